//! `leptos-baseline`: the smallest Leptos 0.8 SSR application worth the name — the page of the
//! Leptos start-axum template (meta context, stylesheet, title, router, one route with a
//! counter). `scripts/bench-pages.sh` serves it beside the portal and measures both in the same
//! run, so the portal's throughput is read as a fraction of what Leptos itself can do on this
//! machine. Not part of the product.
//!
//! `leptos-baseline ADDR` (e.g. `127.0.0.1:3401`).

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router as PageRouter, Routes};
use leptos_router::path;

fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/baseline.css"/>
        <Title text="Welcome to Leptos"/>
        <PageRouter>
            <main>
                <Routes fallback=|| "Page not found.".into_view()>
                    <Route path=path!("") view=HomePage/>
                </Routes>
            </main>
        </PageRouter>
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let count = RwSignal::new(0);
    view! {
        <h1>"Welcome to Leptos!"</h1>
        <button on:click=move |_| *count.write() += 1>"Click Me: " {count}</button>
    }
}

#[tokio::main]
async fn main() {
    let addr: std::net::SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3401".into())
        .parse()
        .expect("usage: leptos-baseline ADDR");
    let options = LeptosOptions::builder()
        .output_name("baseline")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let routes = generate_route_list(App);
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .with_state(options);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("the address is free");
    axum::serve(listener, app).await.expect("serves");
}
