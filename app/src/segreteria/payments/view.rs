//! Pages of the payments console: `/segreteria/pagamenti` (queues, search, pagination, all in
//! the URL) and `/segreteria/pagamenti/:id` (detail, history, "Verifica ora").

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::api::{list_payments, load_payment_detail, VerifyPaymentNow};
use super::model::{outcome_it, PaymentDetail, PaymentQueue};
use crate::accounts::Role;
use crate::debts::model::time_it as short_time;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded, ErrorAlert};
use crate::payments::model::format_euro;
use crate::segreteria::queue::{or_dash, queue_view, use_queue_query, ProviderCell, QueueSearch, QueueText, LG, MD};

#[component]
pub fn PaymentsConsolePage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let query = use_queue_query("coda");
        let page = Resource::new(query, |q| list_payments(q.queue, q.search, q.page));
        let options = PaymentQueue::ALL.into_iter().map(|q| (q.code(), q.label_it())).collect();
        view! {
            <Title text="Pagamenti — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alla console"</A></p>
            <h1>"Pagamenti"</h1>
            <QueueSearch action="/segreteria/pagamenti" key="coda" id="pagamenti" query options all_label="Tutte"
                search_label="Cerca per provider, codice fiscale / P.IVA, idSession o IUV" select_label="Coda"/>
            <form method="get" action="/segreteria/pagamenti.csv" class="row g-2 align-items-end mb-4" aria-label="Esportazione CSV">
                <div class="col-6 col-md-3">
                    <label for="csv-dal" class="form-label">"Dal"</label>
                    <input type="date" id="csv-dal" name="dal" class="form-control"/>
                </div>
                <div class="col-6 col-md-3">
                    <label for="csv-al" class="form-label">"Al"</label>
                    <input type="date" id="csv-al" name="al" class="form-control"/>
                </div>
                <div class="col-12 col-md-3">
                    <button type="submit" class="btn btn-outline-primary w-100">"Esporta CSV"</button>
                </div>
            </form>
            {loaded(page, move |page| {
                let q = query();
                let link = move |queue: &str, p: i64| {
                    format!("/segreteria/pagamenti?coda={queue}&cerca={}&pagina={p}", crate::domain::percent_encode(&q.search))
                };
                queue_view(page, &query().queue, link, PAYMENTS, view! { <caption>"Tentativi di pagamento"</caption> }, |row| view! {
                    <tr>
                        <ProviderCell href=format!("/segreteria/pagamenti/{}", row.id) name=row.provider codice_fiscale=row.codice_fiscale/>
                        <td class=MD><code>{or_dash(row.id_session)}</code></td>
                        <td class=MD>{or_dash(row.iuv)}</td>
                        <td>{format_euro(row.total_cents)}</td>
                        <td>{row.kind.label_it(row.state)}</td>
                        <td class=LG>{or_dash(row.last_check_at.as_deref().map(short_time))}</td>
                        <td class=LG>{short_time(&row.created_at)}</td>
                    </tr>
                })
            })}
        }
    })
}

const PAYMENTS: QueueText = QueueText {
    tabs: "Code dei pagamenti",
    count_testid: "coda",
    table_testid: "elenco-pagamenti",
    empty_testid: "nessun-pagamento",
    empty: "Nessun pagamento corrisponde alla ricerca.",
    noun: "tentativi",
    columns: &[
        ("Provider", ""),
        ("idSession", MD),
        ("IUV", MD),
        ("Totale", ""),
        ("Stato", ""),
        ("Ultima verifica", LG),
        ("Creato", LG),
    ],
};

#[component]
pub fn PaymentDetailPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let verify = ServerAction::<VerifyPaymentNow>::new();
        let detail = Resource::new(
            move || (params.with(|p| p.get("id").unwrap_or_default()), verify.version().get()),
            |(id, _)| load_payment_detail(id),
        );
        view! {
            <Title text="Pagamento — Console Segreteria"/>
            <p><A href="/segreteria/pagamenti">"← Torna ai pagamenti"</A></p>
            {loaded(detail, move |detail| view! { <PaymentDetailView detail verify/> })}
        }
    })
}

#[component]
fn PaymentDetailView(detail: PaymentDetail, verify: ServerAction<VerifyPaymentNow>) -> impl IntoView {
    let a = detail.attempt.clone();
    let receipt_url = a.receipt_url();
    let id = a.id.clone();
    view! {
        <h1>"Pagamento di " {detail.provider.clone()}</h1>
        <p class="lead">"Stato: " <strong data-testid="stato-pagamento">{a.label_it()}</strong></p>
        {move || verify.value().get().map(|answer| match answer {
            Ok(report) => view! { <div class="alert alert-info" role="status" data-testid="esito-verifica">{report.message_it()}</div> }.into_any(),
            Err(error) => view! { <ErrorAlert error/> }.into_any(),
        })}
        <ActionForm action=verify attr:class="mb-4">
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="btn btn-primary" disabled=move || verify.pending().get()>"Verifica ora"</button>
        </ActionForm>
        <div class="row">
            <div class="col-12 col-lg-6">
                <h2 class="h4">"Dati del pagamento"</h2>
                <dl class="row small">
                    <dt class="col-5">"Provider"</dt><dd class="col-7">{detail.provider.clone()}</dd>
                    <dt class="col-5">"Codice fiscale / P.IVA"</dt>
                    <dd class="col-7">{detail.codice_fiscale.clone()} {detail.partita_iva.clone().map(|p| format!(" / {p}"))}</dd>
                    <dt class="col-5">"idSession"</dt><dd class="col-7"><code>{or_dash(a.id_session.clone())}</code></dd>
                    <dt class="col-5">"IUV"</dt><dd class="col-7">{or_dash(a.iuv.clone())}</dd>
                    <dt class="col-5">"Totale"</dt><dd class="col-7">{format_euro(a.total_cents)}</dd>
                    <dt class="col-5">"Ricevuta"</dt>
                    <dd class="col-7">{or_dash(detail.receipt_id.clone())} " — " {or_dash(a.receipt_date.clone())}
                        {a.receipt_available.then(|| view! { <br/><a href=receipt_url.clone() download="">"Scarica la ricevuta"</a> })}
                    </dd>
                    <dt class="col-5">"Ultima verifica"</dt>
                    <dd class="col-7">{or_dash(a.last_check_at.as_deref().map(short_time))} " — " {outcome_it(detail.last_outcome.as_deref())}
                        " (" {detail.check_count} " verifiche)"</dd>
                    <dt class="col-5">"Creato"</dt><dd class="col-7">{short_time(&a.created_at)}</dd>
                </dl>
                <div class="table-responsive">
                    <table class="table table-sm" data-testid="carrello">
                        <caption>"Contenuto del carrello"</caption>
                        <thead><tr>
                            <th scope="col">"IUD"</th><th scope="col">"Causale"</th><th scope="col">"Importo"</th><th scope="col">"Stato del debito"</th>
                        </tr></thead>
                        <tbody>
                            {a.debts.iter().map(|d| view! {
                                <tr>
                                    <th scope="row"><code>{d.iud.clone()}</code></th>
                                    <td><a href=format!("/segreteria/dovuti/{}", d.debt_id)>{d.causale.clone()}</a></td>
                                    <td>{format_euro(d.amount_cents)}</td>
                                    <td>{d.debt_state.label_it()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
            <div class="col-12 col-lg-6">
                <div class="table-responsive">
                    <table class="table table-sm" data-testid="storico-pagamento">
                        <caption>"Storico degli stati"</caption>
                        <thead><tr>
                            <th scope="col">"Quando"</th><th scope="col">"Chi"</th><th scope="col">"Da → a"</th><th scope="col">"Dettaglio"</th>
                        </tr></thead>
                        <tbody>
                            {detail.events.iter().map(|e| view! {
                                <tr>
                                    <th scope="row">{short_time(&e.at)}</th>
                                    <td>{e.actor.clone()}</td>
                                    <td>{e.from_state.map_or("—", |s| s.label_it())} " → " {e.to_state.label_it()}</td>
                                    <td>{or_dash(e.detail.clone())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
        </div>
    }
}
