use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{list_requests, load_overview, load_request_detail, ActOnRequest};
use super::model::{RequestAction, RequestDetail, QUEUE_STATES};
use crate::accounts::Role;
use crate::auth::form_error;
use crate::documents::model::format_size;
use crate::home::view::guarded;
use crate::layout::view::ErrorAlert;
use crate::requests::view::RequestHistory;
use super::payments_view::{LG, MD};

/// Console home: the request queues, search and pagination (all in the URL, so the page
/// works without JavaScript and can be bookmarked).
#[component]
pub fn SegreteriaHomePage() -> impl IntoView {
    guarded(Role::Segreteria, |user| {
        let query = use_query_map();
        let params = move || {
            query.with(|q| {
                (
                    q.get("stato").unwrap_or_default(),
                    q.get("cerca").unwrap_or_default(),
                    q.get("pagina").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1),
                )
            })
        };
        let figures = Resource::new(|| (), |_| load_overview());
        let page = Resource::new(params, |(state, search, page)| list_requests(state, search, page));
        view! {
            <Title text="Console Segreteria — Portale ECM"/>
            <h1>"Console della Segreteria ECM"</h1>
            <p class="lead">"Benvenuta/o, " {user.display_name.clone()} "."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    figures.await.ok().map(|f| view! {
                        <p>"Account provider registrati: " <strong data-testid="conteggio-provider">{f.provider_accounts}</strong></p>
                    })
                })}
            </Suspense>
            <nav aria-label="Sezioni della console">
                <ul class="list-inline">
                    <li class="list-inline-item me-4"><A href="/segreteria/pagamenti">"Console dei pagamenti"</A></li>
                    <li class="list-inline-item me-4"><A href="/segreteria/dovuti">"Dovuti"</A></li>
                    <li class="list-inline-item"><A href="/segreteria/tariffe">"Tariffe"</A></li>
                </ul>
            </nav>
            <h2 class="h4 mt-4">"Domande di accreditamento"</h2>
            <form method="get" action="/segreteria" class="row g-2 align-items-end mb-3" role="search">
                <div class="col-12 col-md-5">
                    <label for="cerca" class="form-label">"Cerca per denominazione, codice fiscale o partita IVA"</label>
                    <input type="search" id="cerca" name="cerca" class="form-control" value=move || params().1/>
                </div>
                <div class="col-12 col-md-4">
                    <label for="stato" class="form-label">"Stato"</label>
                    <select id="stato" name="stato" class="form-select">
                        <option value="" selected=move || params().0.is_empty()>"Tutti"</option>
                        {QUEUE_STATES.into_iter().map(|s| view! {
                            <option value=s.as_db() selected=move || params().0 == s.as_db()>{s.label_it()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="col-12 col-md-3">
                    <button type="submit" class="btn btn-primary w-100">"Cerca"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let (state, search, _) = params();
                            let link = move |p: i64| format!("/segreteria?stato={}&cerca={}&pagina={p}", state, crate::domain::percent_encode(&search));
                            let pages = ((page.total + page.page_size - 1) / page.page_size).max(1);
                            view! {
                                <ul class="nav nav-tabs ecm-queues mb-3" aria-label="Code per stato">
                                    {page.counts.iter().map(|(s, n)| view! {
                                        <li class="nav-item">
                                            <a class="nav-link" href=format!("/segreteria?stato={}", s.as_db())>
                                                {s.label_it()} " " <span class="badge bg-primary" data-testid=format!("coda-{}", s.as_db())>{*n}</span>
                                            </a>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {if page.rows.is_empty() {
                                    view! { <p data-testid="nessuna-domanda">"Nessuna domanda corrisponde alla ricerca."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-responsive">
                                            <table class="table" data-testid="elenco-domande">
                                                <caption class="visually-hidden">"Domande di accreditamento"</caption>
                                                <thead><tr>
                                                    <th scope="col">"Provider"</th><th scope="col" class=MD>"Codice fiscale"</th>
                                                    <th scope="col" class=MD>"Tipo"</th><th scope="col">"Stato"</th><th scope="col" class=LG>"Aggiornata"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {page.rows.into_iter().map(|row| view! {
                                                        <tr>
                                                            <td><A href=format!("/segreteria/domande/{}", row.id)>{row.denominazione.clone()}</A></td>
                                                            <td class=MD>{row.codice_fiscale.clone()}</td>
                                                            <td class=MD>{row.kind.label_it()}</td>
                                                            <td>{row.state.label_it()}</td>
                                                            <td class=LG>{row.updated_at.replace('T', " ").chars().take(16).collect::<String>()}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                                <nav aria-label="Pagine" class="d-flex gap-3 align-items-center">
                                    {(page.page > 1).then(|| view! { <a href=link(page.page - 1)>"Pagina precedente"</a> })}
                                    <span>"Pagina " {page.page} " di " {pages} " (" {page.total} " domande)"</span>
                                    {(page.page < pages).then(|| view! { <a href=link(page.page + 1)>"Pagina successiva"</a> })}
                                </nav>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Transition>
        }
    })
}


/// A request seen by the Segreteria: provider data, documents, history, actions.
#[component]
pub fn RequestDetailPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let act = ServerAction::<ActOnRequest>::new();
        let detail = Resource::new(
            move || (params.with(|p| p.get("id").unwrap_or_default()), act.version().get()),
            |(id, _)| load_request_detail(id),
        );
        view! {
            <Title text="Domanda — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alle domande"</A></p>
            <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <RequestDetailView detail act/> }.into_any(),
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Transition>
        }
    })
}

#[component]
fn RequestDetailView(detail: RequestDetail, act: ServerAction<ActOnRequest>) -> impl IntoView {
    let redirected = form_error("segreteria/act");
    let error = move || act.value().get().map_or_else(|| redirected.get(), Result::err);
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
                    <dt class="col-5">"Tipologia"</dt><dd class="col-7">{detail.provider.provider_class.label_it()}</dd>
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
                <RequestPayments payments=detail.payments/>
            </div>
            <div class="col-12 col-lg-6">
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
        {if payments.is_empty() {
            view! { <p data-testid="pagamenti-domanda">"Nessun tentativo di pagamento."</p> }.into_any()
        } else {
            view! {
                <ul class="list-group mb-4" data-testid="pagamenti-domanda">
                    {payments.into_iter().map(|attempt| {
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
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
