//! The statement of account (estratto conto): `/area/estratto-conto` for the provider and
//! `/segreteria/provider/:id/estratto-conto` for the Segreteria, one component for both.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::api::{load_my_statement, load_provider_statement};
use super::model::{date_it, due_label, overdue_label, Statement, Totals};
use crate::accounts::Role;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded, ErrorAlert};
use crate::payments::model::{format_euro, DebtState};

#[component]
pub fn MyStatementPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let statement = Resource::new(|| (), |_| load_my_statement());
        view! {
            <Title text="Estratto conto — Portale ECM"/>
            <p><A href="/area">"← Torna all'area provider"</A></p>
            <h1>"Estratto conto"</h1>
            {loaded(statement, |statement| match statement {
                Some(statement) => view! { <StatementView statement csv="/area/estratto-conto.csv".to_string()/> }.into_any(),
                None => view! {
                    <p data-testid="estratto-vuoto">"Non ci sono ancora contributi: inserisci prima i dati del provider."</p>
                    <A href="/area/censimento" attr:class="btn btn-primary">"Dati del provider"</A>
                }.into_any(),
            })}
        }
    })
}

#[component]
pub fn ProviderStatementPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let statement =
            Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), load_provider_statement);
        let mail =
            Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), crate::mail::api::load_mail_log);
        view! {
            <Title text="Estratto conto del provider — Console Segreteria"/>
            <p><A href="/segreteria/dovuti">"← Torna ai dovuti"</A></p>
            <h1>"Estratto conto del provider"</h1>
            {loaded(statement, |statement| {
                let csv = format!("/segreteria/provider/{}/estratto-conto.csv", crate::domain::percent_encode(&statement.provider_id));
                let treasury = (statement.provider_id.clone(), statement.treasury_enabled, statement.treasury_default);
                view! { <StatementView statement csv/> <TreasuryChannelForm treasury/> }
            })}
            <crate::mail::view::MailLog lines=mail/>
        }
    })
}

/// The Segreteria switches the provider's treasury channel (quietanza), with a reason.
#[component]
fn TreasuryChannelForm(treasury: (String, bool, bool)) -> impl IntoView {
    let (provider_id, enabled, by_default) = treasury;
    let action = ServerAction::<crate::quietanze::api::SetTreasuryChannel>::new();
    let error = crate::auth::action_error(action);
    let reason_error = move || error().and_then(|e| e.field_message("treasury_reason"));
    let query = leptos_router::hooks::use_query_map();
    let typed = query.with_untracked(|q| q.get("motivo_canale").unwrap_or_default());
    let done = move || query.with(|q| q.get("canale").is_some()) || matches!(action.value().get(), Some(Ok(())));
    let now_on = move || match action.value().get() {
        Some(Ok(())) => !enabled,
        _ => enabled,
    };
    view! {
        <h2 class="h4 mt-4">"Pagamento con quietanza (bonifico di tesoreria)"</h2>
        <p data-testid="canale-tesoreria">
            {move || if now_on() { "Attivo" } else { "Non attivo" }}
            {by_default.then_some(" (impostazione predefinita del Gruppo: attivo per il Gruppo A, non attivo per il Gruppo B)")}
            "."
        </p>
        {move || done().then(|| view! { <div class="alert alert-success" role="status">"Impostazione salvata e registrata nella storia del provider."</div> })}
        {move || error().filter(|e| e.field_message("treasury_reason").is_none()).map(|error| view! { <ErrorAlert error/> })}
        <ActionForm action attr:novalidate=true attr:data-testid="form-canale-tesoreria">
            <input type="hidden" name="provider_id" value=provider_id/>
            <input type="hidden" name="enabled" value=if enabled { "0" } else { "1" }/>
            <div class="form-group mb-3">
                <label for="treasury_reason" class="active">"Motivo" <span aria-hidden="true">" *"</span></label>
                <input type="text" id="treasury_reason" name="treasury_reason" class="form-control" required=true value=typed
                    maxlength=crate::debts::model::REASON_MAX_CHARS class:is-invalid=move || reason_error().is_some()/>
                {move || reason_error().map(|m| view! { <div class="invalid-feedback d-block" role="status">{m}</div> })}
            </div>
            <button type="submit" class="btn btn-outline-primary mb-4" disabled=move || action.pending().get() || done()>
                {if enabled { "Disattiva il pagamento con quietanza" } else { "Attiva il pagamento con quietanza" }}
            </button>
        </ActionForm>
    }
}

fn totals_cells(t: Totals) -> impl IntoView {
    view! {
        <td class="text-end text-nowrap">{format_euro(t.due_cents)}</td>
        <td class="text-end text-nowrap">{format_euro(t.paid_cents)}</td>
        <td class="text-end text-nowrap">{format_euro(t.overdue_cents)}</td>
    }
}

/// Every debt with its state, due date, how it was paid and the evidence, and the totals by year.
#[component]
fn StatementView(statement: Statement, csv: String) -> impl IntoView {
    let Statement { provider, codice_fiscale, today, lines, years, total, .. } = statement;
    view! {
        <p class="lead">{provider} " — codice fiscale " {codice_fiscale} ". Situazione al " {date_it(&today)} "."</p>
        <p><a href=csv class="btn btn-outline-primary" download="" rel="external" data-testid="estratto-csv">"Scarica l'estratto conto (CSV)"</a></p>
        <h2 class="h4">"Totali per anno"</h2>
        <div class="table-responsive">
            <table class="table" data-testid="totali-anno">
                <caption>"Importi da pagare, pagati e scaduti, per anno"</caption>
                <thead><tr>
                    <th scope="col">"Anno"</th><th scope="col" class="text-end">"Da pagare"</th>
                    <th scope="col" class="text-end">"Pagato"</th><th scope="col" class="text-end">"Scaduto"</th>
                </tr></thead>
                <tbody>
                    {years.into_iter().map(|(year, t)| view! { <tr><th scope="row">{year}</th>{totals_cells(t)}</tr> }).collect_view()}
                </tbody>
                <tfoot><tr><th scope="row">"Totale"</th>{totals_cells(total)}</tr></tfoot>
            </table>
        </div>
        <h2 class="h4">"Contributi"</h2>
        {if lines.is_empty() {
            view! { <p data-testid="nessun-contributo">"Nessun contributo."</p> }.into_any()
        } else {
            view! {
                <ul class="list-unstyled" data-testid="righe-estratto">
                    {lines.into_iter().map(|l| {
                        let badge = match (l.state, l.days_overdue) {
                            (_, Some(_)) => "badge bg-danger",
                            (DebtState::Pagato, _) => "badge bg-success",
                            (DebtState::Annullato, _) => "badge bg-secondary",
                            _ => "badge bg-primary",
                        };
                        view! {
                            <li class="card card-bg mb-3" data-testid="riga-estratto" data-stato=l.state.as_db()>
                                <div class="card-body">
                                    <h3 class="h6 card-title text-break">{l.causale.clone()}</h3>
                                    <p class="mb-1">
                                        <strong>{format_euro(l.amount_cents)}</strong> " — " {l.fee_kind.label_it()} " — "
                                        <span class=badge>{l.state.label_it()}</span>
                                    </p>
                                    <p class="mb-1 small">
                                        "Scadenza: " <span data-testid="scadenza">{due_label(l.due_date.as_deref())}</span>
                                        {l.days_overdue.map(|d| view! { " — " <strong class="text-danger" data-testid="ritardo">{overdue_label(d)}</strong> })}
                                    </p>
                                    {l.extended_from.clone().map(|from| view! {
                                        <p class="mb-1 small" data-testid="proroga">
                                            "Prorogata (era " {date_it(&from)} ")" {l.extension_reason.clone().map(|r| format!(": {r}"))}
                                        </p>
                                    })}
                                    {l.channel.clone().map(|channel| view! {
                                        <p class="mb-1 small text-break" data-testid="pagamento">
                                            "Pagato con " {channel} {l.paid_at.as_deref().map(|d| format!(" il {}", date_it(d)))}
                                            {l.iuv.clone().map(|iuv| format!(" — IUV {iuv}"))} {l.iur.clone().map(|iur| format!(" — IUR {iur}"))}
                                        </p>
                                    })}
                                    {l.receipt_pdf_url.clone().map(|pdf| view! {
                                        <p class="mb-1 small" data-testid="ricevute">
                                            <a href=pdf download="" rel="external" data-testid="ricevuta-pdf">"Ricevuta (PDF)"</a>
                                            {l.receipt_url.clone().map(|href| view! { " — " <a href=href download="" rel="external">"Ricevuta telematica pagoPA (XML)"</a> })}
                                            {l.quietanza_url.clone().map(|href| view! { " — " <a href=href download="" rel="external">"Quietanza"</a> })}
                                        </p>
                                    })}
                                    {l.annulled_reason.clone().map(|r| view! { <p class="mb-0 small" data-testid="annullamento">"Annullato: " {r}</p> })}
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

fn annulled_when(value: &str) -> String {
    let date = value.get(0..10).map(date_it).unwrap_or_default();
    format!("{date} {}", value.get(11..16).unwrap_or_default())
}

/// The provider's payments page: the debts the Segreteria annulled, with the reason.
#[component]
pub fn AnnulledDebts() -> impl IntoView {
    let annulled = Resource::new(|| (), |_| super::api::load_my_annulled_debts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match annulled.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="mt-4" aria-labelledby="dovuti-annullati">
                            <h2 id="dovuti-annullati" class="h4">"Dovuti annullati dalla Segreteria"</h2>
                            <ul class="list-group mb-4" data-testid="dovuti-annullati">
                                {list.into_iter().map(|d| view! {
                                    <li class="list-group-item" data-testid="dovuto-annullato">
                                        <strong>{d.causale.clone()}</strong> " (" {d.fee_kind.label_it()} ", " {crate::payments::model::format_euro(d.amount_cents)} "): "
                                        "annullato il " {annulled_when(&d.annulled_at)} " da " {d.annulled_by.clone()} "."
                                        <br/>"Motivo: " <span data-testid="motivo-annullamento">{d.reason.clone()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <crate::layout::view::ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
