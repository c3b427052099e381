use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::Role;
use crate::auth::use_auth;
use crate::layout::guard::guarded;

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

#[component]
pub fn ProviderHomePage() -> impl IntoView {
    use crate::layout::wizard::{WizardStep, WizardStepper};
    use crate::payments::model::format_euro;
    use crate::requests::api::SubmitRequest;
    use crate::requests::model::RequestState;
    use crate::requests::view::RequestSummary;
    guarded(Role::Provider, |user| {
        let submit = ServerAction::<SubmitRequest>::new();
        let integrate = ServerAction::<crate::requests::api::SubmitIntegration>::new();
        let submit_error = move || submit.value().get().and_then(Result::err);
        let data = Resource::new(
            move || (submit.version().get(), integrate.version().get()),
            |_| async {
                let overview = super::api::load_area_overview().await?;
                Ok::<_, crate::error::AppError>((overview.provider, overview.request, overview.payments, overview.gate))
            },
        );
        view! {
            <Title text="Area provider — Portale ECM"/>
            <h1>"Area provider"</h1>
            <p class="lead" data-testid="benvenuto">"Benvenuto, " {user.display_name.clone()} "."</p>
            <p>"Account: " <strong>{user.email.clone()}</strong></p>
            <crate::accounts::view::EmailVerificationBanner verified=user.email_verified/>
            {move || submit_error().map(|error| view! { <crate::layout::view::ErrorAlert error/> })}
            <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((provider, request, payments, gate)) => {
                            let draft = request.as_ref().is_some_and(|r| r.state == RequestState::Bozza);
                            let accredited = request.as_ref().is_some_and(|r| r.state == RequestState::Accreditato);
                            let paid = payments.as_ref().is_some_and(|p| p.request_paid);
                            let next = match (&provider, &request) {
                                (None, _) => WizardStep::Censimento,
                                (Some(_), None) => WizardStep::Domanda,
                                (Some(_), Some(_)) if draft && !paid && !gate.is_open() => WizardStep::Documenti,
                                (Some(_), Some(_)) if draft && !paid => WizardStep::Pagamento,
                                (Some(_), Some(_)) => WizardStep::Invio,
                            };
                            let (href, label) = match next {
                                WizardStep::Censimento => ("/area/censimento", "Inserisci i dati del provider"),
                                _ => ("/area/domanda", "Scegli il tipo di domanda"),
                            };
                            let due: Vec<_> = payments.as_ref().map(|p| p.request_debts.clone()).unwrap_or_default();
                            let available = payments.as_ref().is_none_or(|p| p.available);
                            view! {
                                <WizardStepper current=next/>
                                {provider.map(|p| view! {
                                    <p data-testid="provider">
                                        "Provider: " <strong>{p.form.denominazione.clone()}</strong>
                                        " (" {p.provider_class.label_it()} ") — "
                                        <A href="/area/censimento">{if p.editable { "modifica i dati" } else { "vedi i dati" }}</A>
                                    </p>
                                })}
                                {request.map(|r| view! { <RequestSummary request=r integrate/> })}
                                {(next <= WizardStep::Domanda).then(|| view! {
                                    <A href=href attr:class="btn btn-primary">{label}</A>
                                })}
                                {(next == WizardStep::Documenti).then(|| view! {
                                    <div class="card card-bg mb-4" data-testid="requisiti">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Prima del pagamento"</h2>
                                            <p class="mb-1">"Per passare al pagamento del contributo manca:"</p>
                                            <ul class="mb-3" data-testid="mancanze">
                                                {gate.missing.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view()}
                                            </ul>
                                            <div class="d-flex flex-wrap gap-3">
                                                <A href="/area/documenti" attr:class="btn btn-primary">"Documenti della domanda"</A>
                                                <A href="/area/domanda" attr:class="btn btn-outline-primary">"Tipo di domanda"</A>
                                            </div>
                                        </div>
                                    </div>
                                })}
                                {(next == WizardStep::Pagamento).then(|| view! {
                                    <div class="card card-bg mb-4" data-testid="contributi">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Contributi da pagare"</h2>
                                            <ul class="mb-3">
                                                {due.iter().map(|d| view! {
                                                    <li>{d.causale.clone()} ": " <strong>{format_euro(d.amount_cents)}</strong> " — " {d.state.label_it()}</li>
                                                }).collect_view()}
                                            </ul>
                                            <p class="small mb-3">"La domanda potrà essere inviata alla Segreteria ECM dopo la verifica del pagamento con MyPay."</p>
                                            {(!available).then(|| view! { <crate::layout::view::PaymentsUnavailable/> })}
                                            <div class="d-flex flex-wrap gap-3">
                                                <A href="/area/pagamento" attr:class="btn btn-primary">"Vai al pagamento"</A>
                                                <A href="/area/domanda" attr:class="btn btn-outline-primary">"Cambia il tipo di domanda"</A>
                                            </div>
                                        </div>
                                    </div>
                                })}
                                {(next == WizardStep::Invio && draft).then(|| view! {
                                    <div class="card card-bg mb-4" data-testid="invio">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Invio della domanda"</h2>
                                            <p>{if due.is_empty() { "Per il primo anno non è dovuto alcun contributo." } else { "I contributi dovuti risultano pagati e verificati." }}</p>
                                            <ActionForm action=submit>
                                                <button type="submit" class="btn btn-primary" disabled=move || submit.pending().get()>
                                                    "Invia la domanda alla Segreteria ECM"
                                                </button>
                                            </ActionForm>
                                        </div>
                                    </div>
                                })}
                                {accredited.then(|| view! {
                                    <div class="card card-bg mb-4" data-testid="piano-formativo">
                                        <div class="card-body">
                                            <h2 class="h5 card-title">"Piano formativo"</h2>
                                            <p>"Il provider è accreditato: dichiara i tuoi eventi formativi e paga i contributi per evento e le quote annuali."</p>
                                            <A href="/area/eventi" attr:class="btn btn-primary">"Vai al piano formativo"</A>
                                        </div>
                                    </div>
                                })}
                                {payments.is_some().then(|| view! {
                                    <p class="d-flex flex-wrap gap-3">
                                        <A href="/area/documenti">"Documenti della domanda"</A>
                                        <A href="/area/pagamenti">"I tuoi pagamenti"</A>
                                        <A href="/area/estratto-conto">"Estratto conto"</A>
                                        {accredited.then(|| view! { <A href="/area/eventi">"Piano formativo"</A> })}
                                    </p>
                                })}
                            }.into_any()
                        }
                        Err(error) => view! { <crate::layout::view::ErrorAlert error/> }.into_any(),
                    }
                })}
            </Transition>
        }
    })
}
