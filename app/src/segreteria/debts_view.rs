//! Pages of the debts console: `/segreteria/dovuti` (states, search, pages, all in the URL) and
//! `/segreteria/dovuti/:id` (one debt: annulment with a mandatory reason, or why it is refused).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::debts_api::{list_debts, load_debt_detail, AnnulDebt};
use super::debts_model::DebtDetail;
use super::tariffs_model::date_it;
use crate::accounts::Role;
use crate::auth::form_error;
use crate::home::view::guarded;
use crate::layout::view::ErrorAlert;
use crate::payments::annulment::REASON_MAX_CHARS;
use crate::payments::model::{format_euro, DebtState};

fn short_time(value: &str) -> String {
    let date = date_it(value.get(0..10).unwrap_or(value));
    match value.get(11..16) {
        Some(time) => format!("{date} {time}"),
        None => date,
    }
}

#[component]
pub fn DebtsPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
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
        let page = Resource::new(params, |(state, search, page)| list_debts(state, search, page));
        view! {
            <Title text="Dovuti — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alla console"</A></p>
            <h1>"Dovuti"</h1>
            <p class="lead">"I contributi dovuti dai provider. Un dovuto da pagare può essere annullato, con il motivo, dalla sua pagina."</p>
            <form method="get" action="/segreteria/dovuti" class="row g-2 align-items-end mb-3" role="search">
                <div class="col-12 col-md-5">
                    <label for="cerca-dovuti" class="form-label">"Cerca per provider, codice fiscale / P.IVA o causale"</label>
                    <input type="search" id="cerca-dovuti" name="cerca" class="form-control" value=move || params().1/>
                </div>
                <div class="col-12 col-md-4">
                    <label for="stato-dovuti" class="form-label">"Stato"</label>
                    <select id="stato-dovuti" name="stato" class="form-select">
                        <option value="" selected=move || params().0.is_empty()>"Tutti"</option>
                        {DebtState::ALL.into_iter().map(|s| view! {
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
                            let link = move |p: i64| format!("/segreteria/dovuti?stato={}&cerca={}&pagina={p}", state, crate::domain::percent_encode(&search));
                            let pages = ((page.total + page.page_size - 1) / page.page_size).max(1);
                            view! {
                                <ul class="nav nav-tabs mb-3" aria-label="Dovuti per stato">
                                    {page.counts.iter().map(|(s, n)| view! {
                                        <li class="nav-item">
                                            <a class="nav-link" href=format!("/segreteria/dovuti?stato={}", s.as_db())>
                                                {s.label_it()} " " <span class="badge bg-primary" data-testid=format!("dovuti-{}", s.as_db())>{*n}</span>
                                            </a>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                {if page.rows.is_empty() {
                                    view! { <p data-testid="nessun-dovuto">"Nessun dovuto corrisponde alla ricerca."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-responsive">
                                            <table class="table" data-testid="elenco-dovuti">
                                                <caption>"Dovuti, dal più recente"</caption>
                                                <thead><tr>
                                                    <th scope="col">"Provider"</th><th scope="col">"Causale"</th>
                                                    <th scope="col" class="text-end">"Importo"</th><th scope="col">"Stato"</th><th scope="col">"Creato"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {page.rows.into_iter().map(|row| view! {
                                                        <tr>
                                                            <th scope="row"><A href=format!("/segreteria/dovuti/{}", row.id)>{row.provider.clone()}</A>
                                                                <br/><span class="small">{row.codice_fiscale.clone()}</span></th>
                                                            <td>{row.debt.causale.clone()}<br/><span class="small">{row.debt.fee_kind.label_it()}</span></td>
                                                            <td class="text-end text-nowrap">{format_euro(row.debt.amount_cents)}</td>
                                                            <td>{row.debt.state.label_it()}</td>
                                                            <td>{short_time(&row.created_at)}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                                <nav aria-label="Pagine" class="d-flex gap-3 align-items-center">
                                    {(page.page > 1).then(|| view! { <a href=link(page.page - 1)>"Pagina precedente"</a> })}
                                    <span>"Pagina " {page.page} " di " {pages} " (" {page.total} " dovuti)"</span>
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

#[component]
pub fn DebtDetailPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let query = use_query_map();
        let annul = ServerAction::<AnnulDebt>::new();
        // Reloaded after a success (it redirects to `?annullato=1`), not after a refused post:
        // the form keeps the typed reason.
        let detail = Resource::new(
            move || (params.with(|p| p.get("id").unwrap_or_default()), query.with(|q| q.get("annullato"))),
            |(id, _)| load_debt_detail(id),
        );
        view! {
            <Title text="Dovuto — Console Segreteria"/>
            <p><A href="/segreteria/dovuti">"← Torna ai dovuti"</A></p>
            <Transition fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <DebtDetailView detail annul/> }.into_any(),
                        Err(error) => view! { <h1>"Dovuto"</h1><ErrorAlert error/> }.into_any(),
                    }
                })}
            </Transition>
        }
    })
}

#[component]
fn DebtDetailView(detail: DebtDetail, annul: ServerAction<AnnulDebt>) -> impl IntoView {
    let query = use_query_map();
    let redirected = form_error("segreteria/debt_annul");
    let error = move || annul.value().get().map_or_else(|| redirected.get(), Result::err);
    let reason_error = move || error().and_then(|e| e.field_message("reason"));
    let typed_reason = query.with_untracked(|q| q.get("motivo").unwrap_or_default());
    let d = detail.debt.clone();
    let id = d.id.clone();
    view! {
        <h1>{d.causale.clone()}</h1>
        <p class="lead">"Stato: " <strong data-testid="stato-dovuto">{d.state.label_it()}</strong></p>
        {move || error().map(|error| view! { <ErrorAlert error/> })}
        <div class="row">
            <div class="col-12 col-lg-6">
                <h2 class="h4">"Dati del dovuto"</h2>
                <dl class="row small">
                    <dt class="col-5">"Provider"</dt><dd class="col-7">{detail.provider.clone()} " (" {detail.codice_fiscale.clone()} ")"</dd>
                    <dt class="col-5">"Tipo di contributo"</dt><dd class="col-7">{d.fee_kind.label_it()}</dd>
                    <dt class="col-5">"Importo"</dt><dd class="col-7">{format_euro(d.amount_cents)}</dd>
                    <dt class="col-5">"Scadenza"</dt><dd class="col-7">{d.due_date.as_deref().map(date_it).unwrap_or_else(|| "—".into())}</dd>
                    <dt class="col-5">"Creato"</dt><dd class="col-7">{short_time(&detail.created_at)}</dd>
                    {detail.request_id.clone().map(|r| view! {
                        <dt class="col-5">"Domanda"</dt><dd class="col-7"><A href=format!("/segreteria/domande/{r}")>"Apri la domanda"</A></dd>
                    })}
                    {d.iuv.clone().map(|iuv| view! { <dt class="col-5">"IUV"</dt><dd class="col-7">{iuv}</dd> })}
                </dl>
                {(!detail.attempts.is_empty()).then(|| view! {
                    <h2 class="h4">"Tentativi di pagamento"</h2>
                    <ul class="list-unstyled" data-testid="tentativi-dovuto">
                        {detail.attempts.clone().into_iter().map(|a| view! {
                            <li><A href=format!("/segreteria/pagamenti/{}", a.id)>{short_time(&a.created_at)}</A> " — " {a.state.label_it()}</li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
            <div class="col-12 col-lg-6">
                <h2 class="h4">"Annullamento"</h2>
                {match (d.state, detail.annulment.clone()) {
                    (DebtState::DaPagare, _) => view! {
                        <ActionForm action=annul attr:novalidate=true attr:data-testid="annulla-dovuto">
                            <input type="hidden" name="id" value=id/>
                            <div class="form-group mb-3">
                                <label for="reason" class="active">"Motivo dell'annullamento" <span aria-hidden="true">" *"</span></label>
                                <textarea id="reason" name="reason" class="form-control" rows="3" required=true maxlength=REASON_MAX_CHARS
                                    class:is-invalid=move || reason_error().is_some()
                                    aria-describedby=move || if reason_error().is_some() { "reason-aiuto reason-errore" } else { "reason-aiuto" }
                                >{typed_reason}</textarea>
                                <small id="reason-aiuto" class="form-text">"Obbligatorio: il provider lo vedrà nella sua pagina dei pagamenti."</small>
                                {move || reason_error().map(|m| view! { <div id="reason-errore" class="invalid-feedback d-block" role="status">{m}</div> })}
                            </div>
                            <button type="submit" class="btn btn-outline-danger" disabled=move || annul.pending().get()>"Annulla il dovuto"</button>
                        </ActionForm>
                    }.into_any(),
                    (DebtState::Annullato, Some(a)) => view! {
                        <div class="alert alert-info" role="status" data-testid="annullamento">
                            "Annullato il " {short_time(&a.annulled_at)} " da " {a.annulled_by.clone()} "."
                            <br/>"Motivo: " {a.reason.clone()}
                        </div>
                    }.into_any(),
                    (DebtState::Annullato, None) => view! {
                        <p>"Annullato automaticamente: la tipologia del provider non prevede questo contributo."</p>
                    }.into_any(),
                    (DebtState::InCorso, _) => view! {
                        <p data-testid="annullamento-non-possibile">"Non si può annullare: c'è un pagamento in corso con pagoPA. Attendi l'esito o verificalo dalla console dei pagamenti."</p>
                    }.into_any(),
                    (DebtState::Pagato, _) => view! {
                        <p data-testid="annullamento-non-possibile">"Non si può annullare: il dovuto è pagato e il pagamento è verificato con MyPay."</p>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}
