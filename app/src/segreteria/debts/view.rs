//! Pages of the debts console: `/segreteria/dovuti` (states, search, pages, all in the URL) and
//! `/segreteria/dovuti/:id` (one debt: annulment with a mandatory reason, or why it is refused).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{list_debts, load_debt_detail, AnnulDebt, ExtendDebt};
use super::model::DebtDetail;
use crate::accounts::Role;
use crate::auth::form_error;
use crate::debts::model::REASON_MAX_CHARS;
use crate::debts::model::{due_label, overdue_label, time_it as short_time};
use crate::layout::form::TextArea;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded, loaded_or, ErrorAlert};
use crate::payments::model::{format_euro, DebtState};
use crate::quietanze::api::{AcceptQuietanza, RefuseQuietanza};
use crate::quietanze::view::QuietanzeReview;
use crate::segreteria::queue::{page_number, queue_view, ProviderCell, QueueText, MD};

/// The queue, search, fee kind, year and page of the list, all in the URL.
#[derive(Clone, PartialEq)]
struct DebtsQuery {
    state: String,
    search: String,
    fee: String,
    year: String,
    page: i64,
}

impl DebtsQuery {
    fn link(&self, state: &str, page: i64) -> String {
        let e = crate::domain::percent_encode;
        format!(
            "/segreteria/dovuti?stato={}&cerca={}&tipo={}&anno={}&pagina={page}",
            e(state),
            e(&self.search),
            e(&self.fee),
            e(&self.year)
        )
    }
}

#[component]
pub fn DebtsPage() -> impl IntoView {
    use crate::debts::model::DebtQueue;
    use crate::payments::model::FeeKind;
    guarded(Role::Segreteria, |_user| {
        let query = use_query_map();
        let params = move || {
            query.with(|q| DebtsQuery {
                state: q.get("stato").unwrap_or_default(),
                search: q.get("cerca").unwrap_or_default(),
                fee: q.get("tipo").unwrap_or_default(),
                year: q.get("anno").unwrap_or_default(),
                page: page_number(q.get("pagina")),
            })
        };
        let page = Resource::new(params, |q| list_debts(q.state, q.search, q.page, q.fee, q.year));
        view! {
            <Title text="Dovuti — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alla console"</A></p>
            <h1>"Dovuti"</h1>
            <p class="lead">"I contributi dovuti dai provider, con le scadenze. Dalla pagina di un dovuto puoi prorogarne la scadenza o, se è un errore, annullarlo: sempre con il motivo."</p>
            <form method="get" action="/segreteria/dovuti" class="row g-2 align-items-end mb-3" role="search">
                <div class="col-12 col-md-4">
                    <label for="cerca-dovuti" class="form-label">"Cerca per provider, codice fiscale / P.IVA o causale"</label>
                    <input type="search" id="cerca-dovuti" name="cerca" class="form-control" value=move || params().search/>
                </div>
                <div class="col-6 col-md-2">
                    <label for="stato-dovuti" class="form-label">"Stato"</label>
                    <select id="stato-dovuti" name="stato" class="form-select">
                        <option value="" selected=move || params().state.is_empty()>"Tutti"</option>
                        {DebtQueue::tabs().into_iter().map(|t| view! {
                            <option value=t.code() selected=move || params().state == t.code()>{t.label_it()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="col-6 col-md-2">
                    <label for="tipo-dovuti" class="form-label">"Tipo di contributo"</label>
                    <select id="tipo-dovuti" name="tipo" class="form-select">
                        <option value="" selected=move || params().fee.is_empty()>"Tutti"</option>
                        {[FeeKind::QuotaAnnuale, FeeKind::ContributoEvento].into_iter().map(|f| view! {
                            <option value=f.as_db() selected=move || params().fee == f.as_db()>{f.label_it()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="col-6 col-md-2">
                    <label for="anno-dovuti" class="form-label">"Anno di scadenza"</label>
                    <input type="text" inputmode="numeric" id="anno-dovuti" name="anno" class="form-control" maxlength="4" pattern="[0-9]{4}"
                        value=move || params().year/>
                </div>
                <div class="col-6 col-md-2">
                    <button type="submit" class="btn btn-primary w-100">"Cerca"</button>
                </div>
            </form>
            {loaded(page, move |page| {
                let q = params();
                let caption = if DebtQueue::from_code(&q.state) == Some(DebtQueue::Overdue) {
                    "Dovuti scaduti, dal più in ritardo"
                } else {
                    "Dovuti, dal più recente"
                };
                let current = q.state.clone();
                queue_view(page, &current, move |state, p| q.link(state, p), DEBTS, view! { <caption>{caption}</caption> }, |row| view! {
                    <tr data-testid="dovuto" data-ritardo=row.days_overdue.map(|d| d.to_string())>
                        <ProviderCell href=format!("/segreteria/dovuti/{}", row.id) name=row.provider codice_fiscale=row.codice_fiscale/>
                        <td>{row.debt.causale}<br/><span class="small">{row.debt.fee_kind.label_it()}</span></td>
                        <td class="text-end text-nowrap">{format_euro(row.debt.amount_cents)}</td>
                        <td class="text-nowrap">
                            {due_label(row.debt.due_date.as_deref())}
                            {row.days_overdue.map(|d| view! { <br/><span class="badge bg-danger" data-testid="giorni-ritardo">{overdue_label(d)}</span> })}
                        </td>
                        <td>{row.debt.state.label_it()}</td>
                        <td class=MD>{short_time(&row.created_at)}</td>
                    </tr>
                })
            })}
        }
    })
}

const DEBTS: QueueText = QueueText {
    tabs: "Dovuti per stato",
    count_testid: "dovuti",
    table_testid: "elenco-dovuti",
    empty_testid: "nessun-dovuto",
    empty: "Nessun dovuto corrisponde alla ricerca.",
    noun: "dovuti",
    columns: &[
        ("Provider", ""),
        ("Causale", ""),
        ("Importo", "text-end"),
        ("Scadenza", ""),
        ("Stato", ""),
        ("Creato", MD),
    ],
};

#[component]
pub fn DebtDetailPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let query = use_query_map();
        let annul = ServerAction::<AnnulDebt>::new();
        let extend = ServerAction::<ExtendDebt>::new();
        let accept = ServerAction::<AcceptQuietanza>::new();
        let refuse = ServerAction::<RefuseQuietanza>::new();
        // Reloaded after a success (it redirects to `?annullato=1` / `?prorogato=1`) and after
        // an action from this page, not after a refused post without JavaScript: the form
        // keeps what was typed.
        let detail = Resource::new(
            move || {
                (
                    params.with(|p| p.get("id").unwrap_or_default()),
                    query.with(|q| (q.get("annullato"), q.get("prorogato"), q.get("quietanza"))),
                    (annul.version().get(), extend.version().get(), accept.version().get(), refuse.version().get()),
                )
            },
            |(id, _, _)| load_debt_detail(id),
        );
        view! {
            <Title text="Dovuto — Console Segreteria"/>
            <p><A href="/segreteria/dovuti">"← Torna ai dovuti"</A></p>
            {loaded_or(detail, move |answer| match answer {
                Ok(detail) => view! { <DebtDetailView detail annul extend accept refuse/> }.into_any(),
                Err(error) => view! { <h1>"Dovuto"</h1><ErrorAlert error/> }.into_any(),
            })}
        }
    })
}

#[component]
fn DebtDetailView(
    detail: DebtDetail,
    annul: ServerAction<AnnulDebt>,
    extend: ServerAction<ExtendDebt>,
    accept: ServerAction<AcceptQuietanza>,
    refuse: ServerAction<RefuseQuietanza>,
) -> impl IntoView {
    let query = use_query_map();
    let error = crate::auth::action_error(annul);
    let reason_error = move || error().and_then(|e| e.field_message("reason"));
    let typed_reason = query.with_untracked(|q| q.get("motivo").unwrap_or_default());
    let redirected_extend = form_error("segreteria/debt_extend");
    let extend_error = move || extend.value().get().map_or_else(|| redirected_extend.get(), Result::err);
    let due_error = move || extend_error().and_then(|e| e.field_message("new_due_date"));
    let due_reason_error = move || extend_error().and_then(|e| e.field_message("due_reason"));
    let typed_due = query.with_untracked(|q| q.get("scadenza").unwrap_or_default());
    let typed_due_reason = query.with_untracked(|q| q.get("motivo_proroga").unwrap_or_default());
    let extended = move || query.with(|q| q.get("prorogato").is_some()) || matches!(extend.value().get(), Some(Ok(())));
    let d = detail.debt.clone();
    let id = d.id.clone();
    view! {
        <h1>{d.causale.clone()}</h1>
        <p class="lead">"Stato: " <strong data-testid="stato-dovuto">{d.state.label_it()}</strong>
            {detail.days_overdue.map(|days| view! { " " <span class="badge bg-danger" data-testid="giorni-ritardo">{overdue_label(days)}</span> })}
        </p>
        {move || error().map(|error| view! { <ErrorAlert error/> })}
        {move || extend_error().map(|error| view! { <ErrorAlert error/> })}
        {move || extended().then(|| view! { <div class="alert alert-success" role="status" data-testid="proroga-registrata">"Scadenza prorogata: il provider vede la nuova data e il motivo."</div> })}
        <div class="row">
            <div class="col-12 col-lg-6">
                <h2 class="h4">"Dati del dovuto"</h2>
                <dl class="row small">
                    <dt class="col-5">"Provider"</dt><dd class="col-7">{detail.provider.clone()} " (" {detail.codice_fiscale.clone()} ")"</dd>
                    <dt class="col-5">"Tipo di contributo"</dt><dd class="col-7">{d.fee_kind.label_it()}</dd>
                    <dt class="col-5">"Importo"</dt><dd class="col-7">{format_euro(d.amount_cents)}</dd>
                    <dt class="col-5">"Scadenza"</dt><dd class="col-7" data-testid="scadenza">{due_label(d.due_date.as_deref())}</dd>
                    <dt class="col-5">"Creato"</dt><dd class="col-7">{short_time(&detail.created_at)}</dd>
                    <dt class="col-5">"Estratto conto"</dt><dd class="col-7"><A href=format!("/segreteria/provider/{}/estratto-conto", detail.provider_id)>"Apri l'estratto conto del provider"</A></dd>
                    {detail.request_id.clone().map(|r| view! {
                        <dt class="col-5">"Domanda"</dt><dd class="col-7"><A href=format!("/segreteria/domande/{r}")>"Apri la domanda"</A></dd>
                    })}
                    {d.iuv.clone().map(|iuv| view! { <dt class="col-5">"IUV"</dt><dd class="col-7">{iuv}</dd> })}
                </dl>
                {(!detail.quietanze.is_empty()).then(|| view! {
                    <QuietanzeReview quietanze=detail.quietanze.clone() debt_id=detail.debt.id.clone() accept refuse/>
                })}
                {(!detail.attempts.is_empty()).then(|| view! {
                    <h2 class="h4">"Tentativi di pagamento"</h2>
                    <ul class="list-unstyled" data-testid="tentativi-dovuto">
                        {detail.attempts.clone().into_iter().map(|a| view! {
                            <li><A href=format!("/segreteria/pagamenti/{}", a.id)>{short_time(&a.created_at)}</A> " — " {a.kind.label_it(a.state)}</li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
            <div class="col-12 col-lg-6">
                {detail.can_extend.then(|| view! {
                    <h2 class="h4">"Proroga della scadenza"</h2>
                    <ActionForm action=extend attr:novalidate=true attr:data-testid="proroga-dovuto">
                        <input type="hidden" name="id" value=detail.debt.id.clone()/>
                        <div class="form-group mb-3">
                            <label for="new_due_date" class="active">"Nuova scadenza" <span aria-hidden="true">" *"</span></label>
                            <input type="date" id="new_due_date" name="new_due_date" class="form-control" required=true value=typed_due
                                class:is-invalid=move || due_error().is_some()
                                aria-describedby=move || if due_error().is_some() { "new_due_date-aiuto new_due_date-errore" } else { "new_due_date-aiuto" }/>
                            <small id="new_due_date-aiuto" class="form-text">"Successiva alla scadenza attuale (gg/mm/aaaa se il browser non mostra il calendario)."</small>
                            {move || due_error().map(|m| view! { <div id="new_due_date-errore" class="invalid-feedback d-block" role="status">{m}</div> })}
                        </div>
                        <TextArea id="due_reason" label="Motivo della proroga" maxlength=REASON_MAX_CHARS value=typed_due_reason
                            hint="Obbligatorio: il provider lo vedrà accanto alla nuova scadenza." error=Signal::derive(due_reason_error)/>
                        <button type="submit" class="btn btn-primary mb-4" disabled=move || extend.pending().get()>"Proroga la scadenza"</button>
                    </ActionForm>
                })}
                <h2 class="h4">"Annullamento"</h2>
                {match (d.state, detail.annulment.clone()) {
                    (DebtState::DaPagare, _) => view! {
                        <ActionForm action=annul attr:novalidate=true attr:data-testid="annulla-dovuto">
                            <input type="hidden" name="id" value=id/>
                            <TextArea id="reason" label="Motivo dell'annullamento" rows=3 maxlength=REASON_MAX_CHARS value=typed_reason
                                hint="Obbligatorio: il provider lo vedrà nella sua pagina dei pagamenti." error=Signal::derive(reason_error)/>
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
                        <p>"Annullato: vedi il motivo nella storia del dovuto."</p>
                    }.into_any(),
                    (DebtState::InCorso, _) => view! {
                        <p data-testid="annullamento-non-possibile">"Non si può annullare: c'è un pagamento in corso (con pagoPA, o una quietanza da verificare). Attendi l'esito o verificalo dalla console dei pagamenti; una quietanza si decide qui accanto."</p>
                    }.into_any(),
                    (DebtState::Pagato, _) => view! {
                        <p data-testid="annullamento-non-possibile">"Non si può annullare: il dovuto è pagato e il pagamento è verificato."</p>
                    }.into_any(),
                }}
            </div>
        </div>
        <h2 class="h4 mt-4">"Storia del dovuto"</h2>
        <ul class="list-unstyled" data-testid="storia-dovuto">
            {detail.history.into_iter().map(|h| view! {
                <li class="mb-2">
                    <span class="small text-muted">{short_time(&h.at)} " — " {h.actor}</span><br/>
                    {h.what}
                    {h.reason.map(|r| view! { <br/><span class="small">"Motivo: " {r}</span> })}
                </li>
            }).collect_view()}
        </ul>
    }
}
