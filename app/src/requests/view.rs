use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::api::{load_my_request, ChooseRequestKind};
use super::model::{RequestKind, RequestState, RequestView};
use crate::accounts::Role;
use crate::layout::guard::guarded;
use crate::layout::view::ErrorAlert;
use crate::layout::wizard::{WizardStep, WizardStepper};
use crate::providers::api::load_my_provider;

/// Step 2: provvisorio or standard.
#[component]
pub fn DomandaPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let choose = ServerAction::<ChooseRequestKind>::new();
        let error = crate::auth::action_error(choose);
        let data = Resource::new(
            || (),
            |_| async { Ok::<_, crate::error::AppError>((load_my_provider().await?, load_my_request().await?)) },
        );
        view! {
            <Title text="Tipo di domanda — Portale ECM"/>
            <WizardStepper current=WizardStep::Domanda/>
            <h1>"Tipo di domanda"</h1>
            {move || error().map(|error| view! { <ErrorAlert error/> })}
            <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((None, _)) => view! {
                            <div class="alert alert-warning" role="alert">
                                "Prima di scegliere il tipo di domanda inserisci i dati del provider."
                            </div>
                            <A href="/area/censimento" attr:class="btn btn-primary">"Inserisci i dati del provider"</A>
                        }.into_any(),
                        Ok((Some(_), request)) => {
                            let current = request.as_ref().map(|r| r.kind);
                            let locked = request.as_ref().is_some_and(|r| r.state != RequestState::Bozza);
                            view! {
                                <ActionForm action=choose>
                                    <fieldset disabled=locked>
                                        <legend class="visually-hidden">"Tipo di accreditamento"</legend>
                                        {[RequestKind::Provvisorio, RequestKind::Standard].into_iter().map(|kind| {
                                            let id = format!("kind-{}", kind.as_db().to_lowercase());
                                            let description = match kind {
                                                RequestKind::Provvisorio => "Primo accreditamento: esame documentale, validità 24 mesi.",
                                                RequestKind::Standard => "Dopo l'accreditamento provvisorio: può comprendere una visita in sede, validità 4 anni.",
                                            };
                                            view! {
                                                <div class="form-check mb-3">
                                                    <input class="form-check-input" type="radio" name="kind" id=id.clone()
                                                        value=kind.as_db() checked=current.map_or(kind == RequestKind::Provvisorio, |c| c == kind)/>
                                                    <label class="form-check-label" for=id>
                                                        <strong>{kind.label_it()}</strong>" — "{description}
                                                    </label>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                    {(!locked).then(|| view! {
                                        <button type="submit" class="btn btn-primary mt-2" disabled=move || choose.pending().get()>
                                            "Salva la bozza e continua"
                                        </button>
                                    })}
                                </ActionForm>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
        }
    })
}

/// A summary of the request for the provider's home: state, what the Segreteria wrote,
/// and the integration button when one was asked for.
#[component]
pub fn RequestSummary(
    request: RequestView,
    /// "Invia l'integrazione": owned by the page, which reloads the request when it completes.
    integrate: ServerAction<super::api::SubmitIntegration>,
) -> impl IntoView {
    let error = crate::auth::action_error(integrate);
    let asked = request.state == RequestState::IntegrazioneRichiesta;
    view! {
        <div class="card card-bg mb-4" data-testid="domanda">
            <div class="card-body">
                <h2 class="h5 card-title">{request.kind.label_it()}</h2>
                <p class="mb-1">"Stato: " <strong data-testid="stato-domanda">{request.state.label_it()}</strong></p>
                {asked.then(|| view! {
                    <div class="alert alert-warning mt-2" role="alert" data-testid="integrazione-richiesta">
                        "La Segreteria ECM ha chiesto un'integrazione (vedi la nota nello storico). Puoi modificare solo: "
                        <strong data-testid="sezioni-riaperte">{request.reopened_sections.iter().map(|s| s.label_it()).collect::<Vec<_>>().join("; ")}</strong>
                        ". Aggiorna ciò che serve, poi invia l'integrazione."
                    </div>
                    {move || error().map(|error| view! { <ErrorAlert error/> })}
                    <ActionForm action=integrate>
                        <button type="submit" class="btn btn-primary">"Invia l'integrazione"</button>
                    </ActionForm>
                })}
                <details class="mt-2" open=request.history.len() > 1>
                    <summary>"Storico della domanda"</summary>
                    <RequestHistory history=request.history.clone()/>
                </details>
            </div>
        </div>
    }
}

/// Every state change with actor, time and note (shown to the provider and the Segreteria).
#[component]
pub fn RequestHistory(history: Vec<super::model::HistoryEntry>) -> impl IntoView {
    view! {
        <ol class="list-unstyled small" data-testid="storico">
            {history.into_iter().rev().map(|entry| view! {
                <li class="mb-2 border-start ps-2">
                    <strong>{entry.to_state.label_it()}</strong>
                    " — " {entry.at.replace('T', " ").chars().take(16).collect::<String>()}
                    " — " {if entry.actor_role == "SEGRETERIA" { "Segreteria ECM" } else { "Provider" }}
                    {entry.note.map(|note| view! { <br/><span>{note}</span> })}
                    {entry.declared.map(|declared| view! { <br/><span class="text-muted" data-testid="dichiarato">"Dichiarato: " {declared}</span> })}
                </li>
            }).collect_view()}
        </ol>
    }
}
