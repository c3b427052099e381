//! The ECM portal's application: pages, server functions and domain types.
//!
//! Compiled twice: with `ssr` into the server (server functions run, pages render to HTML)
//! and with `hydrate` into the browser bundle (pages become interactive). One module per
//! domain concept: `accounts/`, `segreteria/`, ...; each has `model` (both targets),
//! `api` (server functions), `service` (ssr-only services), `http` (plain axum routes) and
//! `view` (components). CONTRIBUTING.md ("Layers") draws the tree.
#![recursion_limit = "1024"]

pub mod accounts;
pub mod auth;
pub mod codec;
#[cfg(feature = "ssr")]
pub mod db;
pub mod debts;
pub mod documents;
pub mod domain;
pub mod error;
pub mod events;
pub mod home;
pub mod layout;
pub mod mail;
pub mod payments;
pub mod providers;
pub mod quietanze;
pub mod receipts;
#[cfg(test)]
mod repo_checks;
pub mod requests;
pub mod segreteria;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
pub mod tariffs;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

use crate::accounts::view::{
    AccountPage, LoginPage, PasswordForgottenPage, RegisterPage, ResetPasswordPage, VerifyEmailPage,
};
use crate::auth::Auth;
use crate::debts::view::{MyStatementPage, ProviderStatementPage};
use crate::documents::view::DocumentsPage;
use crate::events::view::EventsPage;
use crate::home::view::{LandingPage, ProviderHomePage};
use crate::layout::view::{Footer, Header, NotFoundPage};
use crate::payments::view::{PaymentPage, PaymentsPage, ReturnPage};
use crate::providers::view::CensimentoPage;
use crate::quietanze::view::QuietanzaPaymentPage;
use crate::requests::view::DomandaPage;
use crate::segreteria::debts::view::{DebtDetailPage, DebtsPage};
use crate::segreteria::payments::view::{PaymentDetailPage, PaymentsConsolePage};
use crate::segreteria::requests::view::{RequestDetailPage, SegreteriaHomePage};
use crate::tariffs::view::{TariffCasePage, TariffsPage};

/// The HTML document around the app (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="it">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=format!("/{}/ecm.css", options.site_pkg_dir)/>
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

/// A route whose page is compiled into a chunk of the wasm bundle of its own, loaded when the
/// route is first shown (`cargo leptos build --split`): the Segreteria's console is not part of
/// what a provider downloads (docs/BENCHMARKS.md, "First visit").
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                preload_lazy_chunks();
                view! { <$page/> }.into_any()
            }
        }
    };
}

/// Server side of a lazy page: `<link rel="preload">` in the page's `<head>` for the wasm chunks
/// it needs (from the split manifest, `__wasm_split_manifest.json`) and `modulepreload` for the
/// split loader, so a browser fetches them beside the main bundle instead of discovering them
/// while hydrating, one round trip later.
///
/// Leptos would add these links itself once the page has rendered, but it does so outside the
/// request's reactive owner (leptos_integration_utils 0.8.9, `ExtendResponse::from_app`): it
/// usually finds no split manifest there and adds nothing, and when the thread holds another
/// request's owner it renders them where there is no `ServerMetaContext`, and leptos_meta logs
/// "tried to use a leptos_meta component without `ServerMetaContext` provided". Here the
/// links are rendered in the page's own owner, and the requests are taken out of Leptos' list so
/// that its own pass finds nothing to do.
#[cfg(feature = "ssr")]
fn preload_lazy_chunks() {
    use leptos_meta::Link;
    let Some(requested) = use_context::<leptos::PrefetchLazyFn>() else { return };
    let ids: Vec<&'static str> = requested.0.try_update_value(|ids| ids.drain().collect()).unwrap_or_default();
    let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else { return };
    let Some((chunks, loader)) = manifest
        .0
        .try_with_value(|(pkg_path, modules, loader)| {
            let mut chunks: Vec<String> = ids
                .iter()
                .flat_map(|id| modules.get(*id).into_iter().flatten())
                .map(|module| format!("{pkg_path}/{module}.wasm"))
                .collect();
            chunks.sort();
            chunks.dedup();
            (!chunks.is_empty()).then(|| (chunks, format!("{pkg_path}/{loader}")))
        })
        .flatten()
    else {
        return;
    };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    for href in chunks {
        // `to_html` of a leptos_meta element hands it to the page's <head>.
        let _ =
            view! { <Link rel="preload" href=href as_="fetch" type_="application/wasm" crossorigin=nonce.clone()/> }
                .to_html();
    }
    let _ = view! { <Link rel="modulepreload" href=loader crossorigin=nonce/> }.to_html();
}

lazy_page!(SegreteriaHomeRoute, SegreteriaHomePage);
lazy_page!(RequestDetailRoute, RequestDetailPage);
lazy_page!(PaymentsConsoleRoute, PaymentsConsolePage);
lazy_page!(PaymentDetailRoute, PaymentDetailPage);
lazy_page!(TariffsRoute, TariffsPage);
lazy_page!(TariffCaseRoute, TariffCasePage);
lazy_page!(DebtsRoute, DebtsPage);
lazy_page!(DebtDetailRoute, DebtDetailPage);
lazy_page!(ProviderStatementRoute, ProviderStatementPage);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();
    view! {
        <Title text="Portale ECM — Regione del Veneto"/>
        <Router>
            <Header/>
            <main id="contenuto" class="container my-4" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("") view=LandingPage ssr=SsrMode::Async/>
                    <Route path=path!("/accedi") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/registrazione") view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/password-dimenticata") view=PasswordForgottenPage ssr=SsrMode::Async/>
                    <Route path=path!("/reimposta-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/verifica-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/area") view=ProviderHomePage ssr=SsrMode::Async/>
                    <Route path=path!("/area/censimento") view=CensimentoPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/domanda") view=DomandaPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/documenti") view=DocumentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/pagamento") view=PaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/pagamenti") view=PaymentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/quietanza") view=QuietanzaPaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/eventi") view=EventsPage ssr=SsrMode::Async/>
                    <Route path=path!("/area/estratto-conto") view=MyStatementPage ssr=SsrMode::Async/>
                    <Route path=path!("/pagamenti/ritorno") view=ReturnPage ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria") view={Lazy::<SegreteriaHomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/domande/:id") view={Lazy::<RequestDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/pagamenti") view={Lazy::<PaymentsConsoleRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/pagamenti/:id") view={Lazy::<PaymentDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/tariffe") view={Lazy::<TariffsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/tariffe/:caso") view={Lazy::<TariffCaseRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/dovuti") view={Lazy::<DebtsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/dovuti/:id") view={Lazy::<DebtDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/segreteria/provider/:id/estratto-conto") view={Lazy::<ProviderStatementRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
