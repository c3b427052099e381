use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::use_auth;
use crate::error::AppError;

#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <a class="visually-hidden-focusable" href="#contenuto">"Vai al contenuto principale"</a>
        <header class="it-header-wrapper">
            <div class="it-header-slim-wrapper">
                <div class="container">
                    <div class="row">
                        <div class="col-12">
                            <div class="it-header-slim-wrapper-content">
                                <span class="d-lg-block navbar-brand">"Regione del Veneto"</span>
                                <div class="it-header-slim-right-zone">
                                    <Suspense fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            match auth.user.await {
                                                Ok(Some(user)) => view! {
                                                    <span class="text-white me-3 d-none d-md-inline" data-testid="utente-corrente">
                                                        {user.display_name.clone()} " · " {user.role.label_it()}
                                                    </span>
                                                    <A href="/account" attr:class="btn btn-outline-light btn-sm me-2" attr:data-testid="link-account">"Account"</A>
                                                    <ActionForm action=auth.logout attr:class="d-inline">
                                                        <button type="submit" class="btn btn-primary btn-sm">"Esci"</button>
                                                    </ActionForm>
                                                }.into_any(),
                                                _ => view! {
                                                    <A href="/accedi" attr:class="btn btn-primary btn-sm">"Accedi"</A>
                                                }.into_any(),
                                            }
                                        })}
                                    </Suspense>
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <div class="it-nav-wrapper">
                <div class="it-header-center-wrapper">
                    <div class="container">
                        <div class="row">
                            <div class="col-12">
                                <div class="it-header-center-content-wrapper">
                                    <div class="it-brand-wrapper">
                                        <a href="/">
                                            <div class="it-brand-text">
                                                <div class="it-brand-title">"Regione del Veneto — Portale ECM"</div>
                                                <div class="it-brand-tagline d-none d-md-block">
                                                    "Educazione Continua in Medicina: accreditamento dei provider"
                                                </div>
                                            </div>
                                        </a>
                                    </div>
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="it-footer mt-5">
            <div class="it-footer-main">
                <div class="container py-4">
                    <p class="mb-1 text-white">"Regione del Veneto — Segreteria ECM"</p>
                    <p class="mb-0 text-white small">
                        "Portale per l'accreditamento dei provider di Educazione Continua in Medicina."
                    </p>
                </div>
            </div>
        </footer>
    }
}

/// An error box with the Italian message of an `AppError`.
#[component]
pub fn ErrorAlert(error: AppError) -> impl IntoView {
    view! {
        <div class="alert alert-danger" role="alert" data-testid="errore">
            {error.message_it()}
        </div>
    }
}

/// The body of a page that loads one resource: "Caricamento…" until it arrives (the previous
/// content stays while it reloads), then `render` of the value, or the error box.
pub fn loaded<T, V>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub fn set_page_status(status: u16) {
    #[cfg(feature = "ssr")]
    crate::state::set_status(status);
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_page_status(404);
    view! {
        <leptos_meta::Title text="Pagina non trovata — Portale ECM"/>
        <h1>"Pagina non trovata"</h1>
        <p>"L'indirizzo richiesto non corrisponde a nessuna pagina del portale."</p>
        <A href="/" attr:class="btn btn-primary">"Torna alla pagina iniziale"</A>
    }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    set_page_status(403);
    view! {
        <leptos_meta::Title text="Accesso negato — Portale ECM"/>
        <h1>"Accesso negato"</h1>
        <div class="alert alert-warning" role="alert" data-testid="accesso-negato">
            "Il tuo account non ha i permessi per vedere questa pagina."
        </div>
        <A href="/" attr:class="btn btn-primary">"Torna alla pagina iniziale"</A>
    }
}

#[component]
pub fn LoginRequiredPage() -> impl IntoView {
    set_page_status(401);
    view! {
        <leptos_meta::Title text="Accesso richiesto — Portale ECM"/>
        <h1>"Accesso richiesto"</h1>
        <div class="alert alert-info" role="alert">
            "Per vedere questa pagina devi accedere con il tuo account."
        </div>
        <A href="/accedi" attr:class="btn btn-primary">"Accedi"</A>
    }
}

#[component]
pub fn FailurePage(error: AppError) -> impl IntoView {
    set_page_status(error.status());
    view! {
        <h1>"Si è verificato un problema"</h1>
        <ErrorAlert error/>
    }
}

/// The alert shown when MyPay is not configured.
#[component]
pub fn PaymentsUnavailable() -> impl IntoView {
    view! {
        <div class="alert alert-warning" role="alert" data-testid="pagamenti-non-disponibili">
            "I pagamenti non sono disponibili in questo momento: il collegamento a MyPay (pagoPA) non è configurato. "
            "Contatta la Segreteria ECM."
        </div>
    }
}
