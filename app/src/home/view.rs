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
    use crate::providers::api::load_my_provider;
    use crate::requests::api::load_my_request;
    use crate::requests::view::{RequestSummary, WizardStep, WizardStepper};
    guarded(Role::Provider, |user| {
        let data = Resource::new(|| (), |_| async {
            Ok::<_, crate::error::AppError>((load_my_provider().await?, load_my_request().await?))
        });
        view! {
            <Title text="Area provider — Portale ECM"/>
            <h1>"Area provider"</h1>
            <p class="lead" data-testid="benvenuto">"Benvenuto, " {user.display_name.clone()} "."</p>
            <p>"Account: " <strong>{user.email.clone()}</strong></p>
            <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((provider, request)) => {
                            let next = match (&provider, &request) {
                                (None, _) => WizardStep::Censimento,
                                (Some(_), None) => WizardStep::Domanda,
                                (Some(_), Some(_)) => WizardStep::Documenti,
                            };
                            let (href, label) = match next {
                                WizardStep::Censimento => ("/area/censimento", "Inserisci i dati del provider"),
                                _ => ("/area/domanda", "Scegli il tipo di domanda"),
                            };
                            view! {
                                <WizardStepper current=next/>
                                {provider.map(|p| view! {
                                    <p data-testid="provider">
                                        "Provider: " <strong>{p.form.denominazione.clone()}</strong>
                                        " (" {p.provider_class.label_it()} ") — "
                                        <A href="/area/censimento">{if p.editable { "modifica i dati" } else { "vedi i dati" }}</A>
                                    </p>
                                })}
                                {request.map(|r| view! { <RequestSummary request=r/> })}
                                {(next <= WizardStep::Domanda).then(|| view! {
                                    <A href=href attr:class="btn btn-primary">{label}</A>
                                })}
                                {(next == WizardStep::Documenti).then(|| view! {
                                    <div class="d-flex flex-wrap gap-3">
                                        <A href="/area/documenti" attr:class="btn btn-primary">"Documenti della domanda"</A>
                                        <A href="/area/domanda" attr:class="btn btn-outline-primary">"Tipo di domanda"</A>
                                    </div>
                                })}
                            }.into_any()
                        }
                        Err(error) => view! { <crate::layout::view::ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}
