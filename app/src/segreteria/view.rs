use leptos::prelude::*;
use leptos_meta::Title;

use super::api::load_overview;
use crate::accounts::Role;
use crate::home::view::guarded;
use crate::layout::view::ErrorAlert;

#[component]
pub fn SegreteriaHomePage() -> impl IntoView {
    guarded(Role::Segreteria, |user| {
        let figures = Resource::new(|| (), |_| load_overview());
        view! {
            <Title text="Console Segreteria — Portale ECM"/>
            <h1>"Console della Segreteria ECM"</h1>
            <p class="lead">"Benvenuta/o, " {user.display_name.clone()} "."</p>
            <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match figures.await {
                        Ok(figures) => view! {
                            <div class="row">
                                <div class="col-12 col-md-6 mb-3">
                                    <div class="card card-bg">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Account provider registrati"</h2>
                                            <p class="display-6 mb-0" data-testid="conteggio-provider">{figures.provider_accounts}</p>
                                        </div>
                                    </div>
                                </div>
                                <div class="col-12 col-md-6 mb-3">
                                    <div class="card card-bg">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Account Segreteria"</h2>
                                            <p class="display-6 mb-0">{figures.segreteria_accounts}</p>
                                        </div>
                                    </div>
                                </div>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}
