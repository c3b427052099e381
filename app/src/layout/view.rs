use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::auth::use_auth;
use crate::error::AppError;

#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <a class="visually-hidden-focusable" href="#contenuto">"Vai al contenuto principale"</a>
        <header class="it-header-wrapper">
            <HeaderBand wrapper="it-header-slim-wrapper" content="it-header-slim-wrapper-content">
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
            </HeaderBand>
            <div class="it-nav-wrapper">
                <HeaderBand wrapper="it-header-center-wrapper" content="it-header-center-content-wrapper">
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
                </HeaderBand>
            </div>
        </header>
    }
}

/// One band of Bootstrap Italia's header: its wrapper, the container, row and column, and the
/// band's content box around `children`.
#[component]
fn HeaderBand(wrapper: &'static str, content: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=wrapper>
            <div class="container">
                <div class="row">
                    <div class="col-12">
                        <div class=content>{children()}</div>
                    </div>
                </div>
            </div>
        </div>
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

/// A page of one narrow column (sign-in, registration, the password and e-mail pages): the
/// window title, the heading (the title unless told otherwise) and the content.
#[component]
pub fn NarrowPage(
    title: &'static str,
    #[prop(optional)] heading: Option<&'static str>,
    #[prop(default = "mb-3")] heading_class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=format!("{title} — Portale ECM")/>
        <div class="row justify-content-center">
            <div class="col-12 col-md-8 col-lg-6">
                <h1 class=heading_class>{heading.unwrap_or(title)}</h1>
                {children()}
            </div>
        </div>
    }
}

/// A table that scrolls sideways on a narrow screen, with its caption and column headings
/// (`(heading, class)`, the class empty for none); `children` are the rows.
#[component]
pub fn DataTable(
    testid: &'static str,
    caption: &'static str,
    columns: &'static [(&'static str, &'static str)],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-responsive">
            <table class="table" data-testid=testid>
                <caption>{caption}</caption>
                <thead><tr>{column_headings(columns)}</tr></thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// The `<th scope="col">` headings of a table's columns: `(heading, class)`, the class empty
/// for none.
pub fn column_headings(columns: &'static [(&'static str, &'static str)]) -> impl IntoView {
    columns
        .iter()
        .map(|(heading, class)| view! { <th scope="col" class=(!class.is_empty()).then_some(*class)>{*heading}</th> })
        .collect_view()
}

/// The items of a list group (`item` makes each `<li class="list-group-item">`), or the
/// paragraph `empty` when there are none; either carries `testid`.
pub fn item_list<T, V: IntoView + 'static>(
    testid: &'static str,
    empty: &'static str,
    items: Vec<T>,
    item: impl FnMut(T) -> V,
) -> AnyView {
    if items.is_empty() {
        view! { <p data-testid=testid>{empty}</p> }.into_any()
    } else {
        view! { <ul class="list-group mb-4" data-testid=testid>{items.into_iter().map(item).collect_view()}</ul> }
            .into_any()
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
    loaded_or(resource, move |answer| match answer {
        Ok(value) => render(value).into_any(),
        Err(error) => view! { <ErrorAlert error/> }.into_any(),
    })
}

/// [`loaded`] for a page that shows some answers its own way (a step still missing, nothing
/// yet to show): `render` gets the whole `Result`.
pub fn loaded_or<T>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(Result<T, AppError>) -> AnyView + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    view! {
        <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move { render(resource.await) })
            }}
        </Transition>
    }
}

/// [`loaded`] for a page that needs an earlier step (the censimento, the request): while that
/// step is missing it says so and links to it, instead of the error box.
pub fn loaded_after_step<T, V>(
    resource: Resource<Result<T, AppError>>,
    render: impl Fn(T) -> V + Clone + Send + Sync + 'static,
    missing: Missing,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    loaded_or(resource, move |answer| match answer {
        Ok(value) => render(value).into_any(),
        Err(AppError::StepMissing) => {
            view! { <StepNeeded message=missing.message href=missing.href label=missing.label/> }.into_any()
        }
        Err(error) => view! { <ErrorAlert error/> }.into_any(),
    })
}

/// What a page says while an earlier step is missing, and the link to it.
#[derive(Clone, Copy)]
pub struct Missing {
    pub message: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// The page needs an earlier step first: what is missing and a button to it.
#[component]
pub fn StepNeeded(message: &'static str, href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <div class="alert alert-warning" role="alert">{message}</div>
        <A href=href attr:class="btn btn-primary">{label}</A>
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
