use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::api::{list_requests, load_overview, load_request_detail, ActOnRequest, SetProviderClass};
use super::model::{RequestAction, RequestDetail, QUEUE_STATES};
use crate::accounts::Role;
use crate::debts::model::time_it;
use crate::documents::model::format_size;
use crate::layout::form::TextArea;
use crate::layout::guard::guarded;
use crate::layout::view::{item_list, loaded, ErrorAlert};
use crate::providers::model::{ProviderClass, Section};
use crate::requests::model::RequestState;
use crate::requests::view::RequestHistory;
use crate::segreteria::queue::{queue_view, use_queue_query, QueueSearch, QueueText, LG, MD};

/// Console home: the figures, the links to the other consoles and the queue of requests.
#[component]
pub fn SegreteriaHomePage() -> impl IntoView {
    guarded(Role::Segreteria, |user| {
        let query = use_queue_query("stato");
        let figures = Resource::new(|| (), |_| load_overview());
        let page = Resource::new(query, |q| list_requests(q.queue, q.search, q.page));
        let options = QUEUE_STATES.into_iter().map(|s| (s.as_db(), s.label_it())).collect();
        view! {
            <Title text="Console Segreteria — Portale ECM"/>
            <h1>"Console della Segreteria ECM"</h1>
            <p class="lead">"Benvenuta/o, " {user.display_name.clone()} "."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    figures.await.ok().map(|f| view! {
                        <p>"Account provider registrati: " <strong data-testid="conteggio-provider">{f.provider_accounts}</strong></p>
                        {(!f.mail_failed.is_empty()).then(|| view! {
                            <div class="alert alert-warning" role="status" data-testid="posta-non-recapitata">
                                <p class="fw-semibold mb-2">"Messaggi non recapitati (i più recenti)"</p>
                                <ul class="mb-0">
                                    {f.mail_failed.iter().map(|m| view! {
                                        <li>
                                            {m.recipient.clone()} " — " {m.subject.clone()}
                                            {m.last_error.clone().map(|e| view! { <br/><small>{e}</small> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                    })
                })}
            </Suspense>
            <nav aria-label="Sezioni della console">
                <ul class="list-inline">
                    <li class="list-inline-item me-4"><A href="/segreteria/pagamenti">"Console dei pagamenti"</A></li>
                    <li class="list-inline-item me-4"><A href="/segreteria/dovuti">"Dovuti"</A></li>
                    <li class="list-inline-item me-4"><A href="/segreteria/dovuti?stato=QUIETANZE">"Quietanze da verificare"</A></li>
                    <li class="list-inline-item"><A href="/segreteria/tariffe">"Tariffe"</A></li>
                </ul>
            </nav>
            <h2 class="h4 mt-4">"Domande di accreditamento"</h2>
            <QueueSearch action="/segreteria" key="stato" id="domande" query options all_label="Tutti"
                search_label="Cerca per denominazione, codice fiscale o partita IVA" select_label="Stato"/>
            {loaded(page, move |page| {
                let q = query();
                let link = move |state: &str, p: i64| {
                    format!("/segreteria?stato={state}&cerca={}&pagina={p}", crate::domain::percent_encode(&q.search))
                };
                let caption = view! { <caption class="visually-hidden">"Domande di accreditamento"</caption> };
                queue_view(page, &query().queue, link, REQUESTS, caption, |row| view! {
                    <tr>
                        <td><A href=format!("/segreteria/domande/{}", row.id)>{row.denominazione}</A></td>
                        <td class=MD>{row.codice_fiscale}</td>
                        <td class=MD>{row.kind.label_it()}</td>
                        <td>{row.state.label_it()}</td>
                        <td class=LG>{time_it(&row.updated_at)}</td>
                    </tr>
                })
            })}
        }
    })
}

const REQUESTS: QueueText = QueueText {
    tabs: "Code per stato",
    count_testid: "coda",
    table_testid: "elenco-domande",
    empty_testid: "nessuna-domanda",
    empty: "Nessuna domanda corrisponde alla ricerca.",
    noun: "domande",
    columns: &[("Provider", ""), ("Codice fiscale", MD), ("Tipo", MD), ("Stato", ""), ("Aggiornata", LG)],
};

/// A request seen by the Segreteria: provider data, documents, history, actions.
#[component]
pub fn RequestDetailPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let act = ServerAction::<ActOnRequest>::new();
        let class = ServerAction::<SetProviderClass>::new();
        let detail = Resource::new(
            move || (params.with(|p| p.get("id").unwrap_or_default()), act.version().get(), class.version().get()),
            |(id, _, _)| load_request_detail(id),
        );
        view! {
            <Title text="Domanda — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alle domande"</A></p>
            {loaded(detail, move |detail| view! { <RequestDetailView detail act class/> })}
        }
    })
}

#[component]
fn RequestDetailView(
    detail: RequestDetail,
    act: ServerAction<ActOnRequest>,
    class: ServerAction<SetProviderClass>,
) -> impl IntoView {
    let error = crate::auth::action_error(act);
    let p = detail.provider.form.clone();
    let request = detail.request.clone();
    let actions = RequestAction::available(request.state);
    view! {
        <h1>{p.denominazione.clone()}</h1>
        <p class="lead">
            {request.kind.label_it()} " — stato: " <strong data-testid="stato-domanda">{request.state.label_it()}</strong>
        </p>
        {move || error().map(|error| view! { <ErrorAlert error/> })}
        <div class="row">
            <div class="col-12 col-lg-6">
                <h2 class="h4">"Dati del provider"</h2>
                <dl class="row small">
                    <dt class="col-5">"Codice fiscale"</dt><dd class="col-7">{p.codice_fiscale.clone()}</dd>
                    <dt class="col-5">"Partita IVA"</dt><dd class="col-7">{if p.partita_iva.is_empty() { "—".to_string() } else { p.partita_iva.clone() }}</dd>
                    <dt class="col-5">"Forma giuridica"</dt><dd class="col-7">{crate::providers::model::forma_giuridica(&p.forma_giuridica).map_or(p.forma_giuridica.clone(), |(_, label, _)| label.to_string())}</dd>
                    <dt class="col-5">"Gruppo"</dt><dd class="col-7" data-testid="gruppo">{detail.provider.provider_class.label_it()}
                        {if detail.provider.class_confirmed { " (confermato dalla Segreteria)" } else { " (dichiarato, da confermare)" }}</dd>
                    <dt class="col-5">"Legale rappresentante"</dt><dd class="col-7">{format!("{} {} ({})", p.legale_nome, p.legale_cognome, p.legale_codice_fiscale)}</dd>
                    <dt class="col-5">"Sede legale"</dt><dd class="col-7">{format!("{} {}, {} {} ({})", p.via, p.civico, p.cap, p.comune, p.provincia)}</dd>
                    <dt class="col-5">"PEC"</dt><dd class="col-7">{p.pec.clone()}</dd>
                    <dt class="col-5">"E-mail / telefono"</dt><dd class="col-7">{format!("{} / {}", p.email, p.telefono)}</dd>
                </dl>
                <h2 class="h4">"Documenti"</h2>
                <ul class="list-group mb-4" data-testid="documenti-domanda">
                    {detail.documents.into_iter().map(|slot| view! {
                        <li class="list-group-item">
                            <strong>{slot.doc_type.label.clone()}</strong><br/>
                            {match slot.current {
                                Some(doc) => view! {
                                    <a href=format!("/documenti/{}", doc.id)>{doc.file_name.clone()}</a>
                                    " (" {format_size(doc.size_bytes)} ") " <span class="small">"SHA-256 " <code>{doc.sha256.chars().take(16).collect::<String>()} "…"</code></span>
                                }.into_any(),
                                None => view! { <span class="text-danger">"mancante"</span> }.into_any(),
                            }}
                            {(!slot.history.is_empty()).then(|| view! { <span class="small ms-2">"(" {slot.history.len()} " versioni precedenti)"</span> })}
                        </li>
                    }).collect_view()}
                </ul>
                <RequestFees fees=detail.fees.clone()/>
                <p><A href=format!("/segreteria/provider/{}/estratto-conto", detail.provider.id)>"Estratto conto del provider"</A></p>
                <RequestPayments payments=detail.payments/>
                <ProviderChanges changes=detail.changes.clone()/>
            </div>
            <div class="col-12 col-lg-6">
                {matches!(request.state, RequestState::Inviata | RequestState::InIstruttoria).then(|| view! {
                    <ClassPanel request_id=request.id.clone() class=detail.provider.provider_class confirmed=detail.provider.class_confirmed action=class/>
                })}
                <h2 class="h4">"Azioni"</h2>
                {if actions.is_empty() {
                    view! { <p>"Nessuna azione disponibile in questo stato."</p> }.into_any()
                } else {
                    actions.into_iter().map(|action| {
                        let note_id = format!("nota-{}", action.code());
                        let id = request.id.clone();
                        view! {
                            <ActionForm action=act attr:class="mb-4">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="action" value=action.code()/>
                                <div class="form-group mt-4 mb-2">
                                    <label for=note_id.clone() class="active">
                                        {match action {
                                            RequestAction::AskIntegration => "Documenti da integrare (obbligatorio)",
                                            RequestAction::Reject => "Motivi del rigetto (obbligatorio)",
                                            _ => "Nota (facoltativa)",
                                        }}
                                    </label>
                                    <textarea id=note_id name="note" class="form-control" rows="2" required=action.needs_note()></textarea>
                                </div>
                                {(action == RequestAction::AskIntegration).then(|| view! {
                                    <fieldset class="mb-3" data-testid="sezioni-da-riaprire">
                                        <legend class="h6">"Cosa può modificare il provider (almeno una voce)"</legend>
                                        {Section::ALL.into_iter().map(|section| {
                                            let id = format!("riapri-{}", section.code().to_lowercase());
                                            view! {
                                                <div class="form-check">
                                                    <input class="form-check-input" type="checkbox" name="sections[]" id=id.clone() value=section.code()/>
                                                    <label class="form-check-label" for=id>{section.label_it()}</label>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                })}
                                <button type="submit" class=if action == RequestAction::Reject { "btn btn-outline-danger" } else { "btn btn-primary" }
                                    disabled=move || act.pending().get()>{action.label_it()}</button>
                            </ActionForm>
                        }
                    }).collect_view().into_any()
                }}
                <h2 class="h4">"Storico"</h2>
                <RequestHistory history=request.history.clone()/>
            </div>
        </div>
    }
}

/// The provider's payment attempts in the request detail; each links to its detail in the
/// payments console (debts, IUDs, IUV, state history, receipt, "Verifica ora").
#[component]
fn RequestPayments(payments: Vec<crate::payments::model::AttemptView>) -> impl IntoView {
    use crate::payments::model::format_euro;
    view! {
        <h2 class="h4">"Pagamenti"</h2>
        {item_list("pagamenti-domanda", "Nessun tentativo di pagamento.", payments, |attempt| {
            let causali = attempt.debts.iter().map(|d| d.causale.clone()).collect::<Vec<_>>().join("; ");
            view! {
                <li class="list-group-item">
                    <a href=format!("/segreteria/pagamenti/{}", attempt.id)>
                        {format!("{} — {}", attempt.created_at.replace('T', " ").chars().take(16).collect::<String>(), format_euro(attempt.total_cents))}
                    </a>
                    " " <span class="badge bg-secondary">{attempt.state.label_it()}</span>
                    {attempt.receipt_available.then(|| view! {
                        " " <a class="small" href=attempt.receipt_url()>"Ricevuta"</a>
                    })}
                    <br/><span class="small">{causali}</span>
                </li>
            }
        })}
    }
}

/// The Gruppo the provider declared, and the Segreteria's confirmation or correction (with the
/// reason; a correction recomputes the request's fees).
#[component]
fn ClassPanel(
    request_id: String,
    class: ProviderClass,
    confirmed: bool,
    action: ServerAction<SetProviderClass>,
) -> impl IntoView {
    let error = crate::auth::action_error(action);
    let reason_error = move || error().and_then(|e| e.field_message("class_reason"));
    let other = if class == ProviderClass::A { ProviderClass::B } else { ProviderClass::A };
    let confirm_id = request_id.clone();
    view! {
        <h2 class="h4">"Gruppo del provider"</h2>
        {move || error().map(|error| view! { <ErrorAlert error/> })}
        <p>
            "Dichiarato: " <strong>{class.label_it()}</strong>
            {if confirmed { " — confermato." } else { " — da confermare prima dell'accreditamento." }}
            " Dal Gruppo dipendono i contributi: il Gruppo A non paga la quota del primo anno."
        </p>
        {(!confirmed).then(|| view! {
            <ActionForm action=action attr:class="mb-3" attr:data-testid="conferma-gruppo">
                <input type="hidden" name="id" value=confirm_id/>
                <input type="hidden" name="class" value=class.as_db()/>
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>{format!("Conferma il {}", class.label_it())}</button>
            </ActionForm>
        })}
        <ActionForm action=action attr:class="mb-4" attr:novalidate=true attr:data-testid="correggi-gruppo">
            <input type="hidden" name="id" value=request_id/>
            <input type="hidden" name="class" value=other.as_db()/>
            <TextArea id="class_reason" label=format!("Motivo della correzione in {}", other.label_it())
                error=Signal::derive(reason_error) spacing="mb-2"/>
            <button type="submit" class="btn btn-outline-primary" disabled=move || action.pending().get()>{format!("Correggi in {}", other.label_it())}</button>
        </ActionForm>
    }
}

/// The request's fees with their state and due date (annulled ones with the reason).
#[component]
fn RequestFees(fees: Vec<crate::payments::model::DebtView>) -> impl IntoView {
    use crate::payments::model::format_euro;
    view! {
        <h2 class="h4">"Contributi della domanda"</h2>
        {item_list(
            "contributi-domanda",
            "Nessun contributo: per il Gruppo dichiarato non è dovuta la quota del primo anno.",
            fees,
            |d| view! {
                <li class="list-group-item">
                    <a href=format!("/segreteria/dovuti/{}", d.id)>{d.causale}</a> " — " {format_euro(d.amount_cents)}
                    " " <span class="badge bg-secondary">{d.state.label_it()}</span>
                </li>
            },
        )}
    }
}

/// Every change of the provider's data: when, who, which field, old → new, why.
#[component]
fn ProviderChanges(changes: Vec<crate::providers::model::ProviderChangeView>) -> impl IntoView {
    use crate::providers::model::field_label;
    // The first registration records every field: show it as one line, list the later changes.
    let later: Vec<_> = changes
        .into_iter()
        .filter(|c| c.old_value.is_some() || c.field == "provider_class" && c.reason.is_some())
        .collect();
    view! {
        <h2 class="h4">"Modifiche ai dati del provider"</h2>
        {if later.is_empty() {
            view! { <p data-testid="modifiche-provider">"Nessuna modifica dopo la registrazione."</p> }.into_any()
        } else {
            view! {
                <ul class="list-unstyled small mb-4" data-testid="modifiche-provider">
                    {later.into_iter().map(|c| view! {
                        <li class="mb-2 border-start ps-2">
                            <strong>{field_label(&c.field).to_string()}</strong> ": "
                            {c.old_value.clone().unwrap_or_else(|| "—".into())} " → " {c.new_value.clone().unwrap_or_else(|| "—".into())}
                            <br/>{c.at.replace('T', " ").chars().take(16).collect::<String>()} " — " {c.actor.clone()}
                            " (" {if c.actor_role == "SEGRETERIA" { "Segreteria ECM" } else { "Provider" }} ")"
                            {c.reason.clone().map(|r| view! { <br/><span>{r}</span> })}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
