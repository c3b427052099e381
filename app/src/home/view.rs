use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::Role;
use crate::auth::{check_access, use_auth, Access};
use crate::layout::view::{FailurePage, ForbiddenPage, LoginRequiredPage};

#[component]
pub fn LandingPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Title text="Portale ECM — Regione del Veneto"/>
        <h1>"Portale ECM della Regione del Veneto"</h1>
        <p class="lead">
            "Il portale con cui i provider di Educazione Continua in Medicina si registrano, chiedono "
            "l'accreditamento, caricano i documenti e pagano i contributi regionali tramite pagoPA (MyPay)."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! {
                        <A href=user.role.home_path() attr:class="btn btn-primary">"Vai alla tua area"</A>
                    }.into_any(),
                    _ => view! {
                        <div class="d-flex flex-wrap gap-3">
                            <A href="/registrazione" attr:class="btn btn-primary">"Registrati come provider"</A>
                            <A href="/accedi" attr:class="btn btn-outline-primary">"Accedi"</A>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders `page` for an account with `role`; otherwise the right status page.
pub fn guarded<V: IntoView + 'static>(
    role: Role,
    page: impl Fn(crate::accounts::CurrentUser) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
            {
                let page = page.clone();
                move || {
                    let page = page.clone();
                    Suspend::new(async move {
                        match check_access(auth.user.await, role) {
                            Access::Granted(user) => page(user).into_any(),
                            Access::NeedsLogin => view! { <LoginRequiredPage/> }.into_any(),
                            Access::Denied => view! { <ForbiddenPage/> }.into_any(),
                            Access::Failed(error) => view! { <FailurePage error/> }.into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

#[component]
pub fn ProviderHomePage() -> impl IntoView {
    guarded(Role::Provider, |user| {
        view! {
            <Title text="Area provider — Portale ECM"/>
            <h1>"Area provider"</h1>
            <p class="lead" data-testid="benvenuto">"Benvenuto, " {user.display_name.clone()} "."</p>
            <p>"Account: " <strong>{user.email.clone()}</strong></p>
            <h2 class="h4 mt-4">"Il percorso di accreditamento"</h2>
            <ol class="list-group list-group-numbered">
                <li class="list-group-item">"Censimento dell'organizzazione (dati del provider)"</li>
                <li class="list-group-item">"Domanda di accreditamento (provvisorio o standard)"</li>
                <li class="list-group-item">"Caricamento dei documenti richiesti"</li>
                <li class="list-group-item">"Pagamento del contributo tramite pagoPA"</li>
                <li class="list-group-item">"Invio della domanda alla Segreteria ECM"</li>
            </ol>
        }
    })
}
