//! Pages of the tariff table: `/segreteria/tariffe` (every case, the amount valid today and the
//! history of versions) and `/segreteria/tariffe/:caso` (one case: history and "Nuova tariffa").

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{load_tariff_case, load_tariffs, AddTariffVersion};
use super::model::{parse_euro_cents, TariffCasePage, TariffCaseView, TariffVersion};
use crate::accounts::Role;
use crate::debts::model::{date_it, time_it as short_time};
use crate::domain::FieldError;
use crate::layout::form::TextField;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded, loaded_or, ErrorAlert};
use crate::payments::model::{format_euro, FeeKind};

fn period(version: &TariffVersion) -> String {
    match &version.valid_to {
        Some(to) => format!("dal {} al {}", date_it(&version.valid_from), date_it(to)),
        None => format!("dal {}", date_it(&version.valid_from)),
    }
}

/// "In vigore", "Futura" or "Non più in vigore" for a version, as seen on `today`.
fn status_of(version: &TariffVersion, today: &str) -> (&'static str, &'static str) {
    if version.valid_from.as_str() > today {
        ("Futura", "badge bg-primary")
    } else if version.valid_to.as_deref().is_some_and(|to| to < today) {
        ("Non più in vigore", "badge bg-secondary")
    } else {
        ("In vigore", "badge bg-success")
    }
}

/// Who created a version: the initial values come from the migration.
fn author(version: &TariffVersion) -> String {
    if version.created_by == "migration" {
        "valori iniziali".to_string()
    } else {
        version.created_by.clone()
    }
}

#[component]
fn HistoryList(versions: Vec<TariffVersion>, today: String) -> impl IntoView {
    view! {
        <ul class="list-unstyled small mb-0" data-testid="storico">
            {versions.into_iter().map(|v| {
                let (label, class) = status_of(&v, &today);
                view! {
                    <li class="mb-1">
                        <span class=class>{label}</span> " "
                        <strong>{format_euro(v.amount_cents)}</strong> " " {period(&v)}
                        <br/><span class="text-muted">{if v.created_by == "migration" {
                            "valore iniziale del portale".to_string()
                        } else {
                            format!("inserita da {} il {}", v.created_by, short_time(&v.created_at))
                        }}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

fn case_title(case: &TariffCaseView) -> String {
    format!("{} — {}", case.fee_kind.label_it(), case.description)
}

#[component]
pub fn TariffsPage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let overview = Resource::new(|| (), |_| load_tariffs());
        view! {
            <Title text="Tariffe — Console Segreteria"/>
            <p><A href="/segreteria">"← Torna alla console"</A></p>
            <h1>"Tariffe"</h1>
            {loaded(overview, |overview| {
                let today = overview.today.clone();
                view! {
                    <p class="lead">
                        "Importi in vigore oggi, " {date_it(&today)} ", e storico delle versioni. Una nuova tariffa vale "
                        "solo per i dovuti creati dalla sua data: i dovuti già creati mantengono il loro importo."
                    </p>
                    {[FeeKind::QuotaAnnuale, FeeKind::ContributoEvento].into_iter().map(|fee| {
                        let cases: Vec<TariffCaseView> = overview.cases.iter().filter(|c| c.fee_kind == fee).cloned().collect();
                        let today = today.clone();
                        view! { <TariffGroup fee cases today/> }
                    }).collect_view()}
                }
            })}
        }
    })
}

#[component]
fn TariffGroup(fee: FeeKind, cases: Vec<TariffCaseView>, today: String) -> impl IntoView {
    let heading_id = format!("gruppo-{}", fee.as_db().to_lowercase());
    let labelled_by = heading_id.clone();
    view! {
        <section class="mb-5" aria-labelledby=labelled_by>
            <h2 id=heading_id class="h3">{fee.label_it()}</h2>
            <div class="table-responsive">
                <table class="table align-top" data-testid=format!("tariffe-{}", fee.as_db())>
                    <caption class="visually-hidden">{format!("{}: tariffe in vigore e storico", fee.label_it())}</caption>
                    <thead><tr>
                        <th scope="col">"Caso"</th>
                        <th scope="col" class="text-end">"In vigore oggi"</th>
                        <th scope="col" class="d-none d-lg-table-cell">"Storico delle versioni"</th>
                    </tr></thead>
                    <tbody>
                        {cases.into_iter().map(|case| {
                            let current = case.current_version().cloned();
                            let href = format!("/segreteria/tariffe/{}", case.key);
                            let link_label = format!("Storico e nuova tariffa: {}", case.description);
                            let today = today.clone();
                            view! {
                                <tr data-testid=format!("tariffa-{}", case.key)>
                                    <th scope="row">
                                        <span class="d-block">{case.description.clone()}</span>
                                        <A href=href attr:class="small" attr:aria-label=link_label>"Storico e nuova tariffa"</A>
                                        // Small screens: the history under the case instead of a third column.
                                        <div class="d-lg-none mt-2 fw-normal"><HistoryList versions=case.versions.clone() today=today.clone()/></div>
                                    </th>
                                    <td class="text-end text-nowrap" data-testid="importo-in-vigore">
                                        {match current {
                                            Some(v) => view! { <strong>{format_euro(v.amount_cents)}</strong><br/><span class="small">{period(&v)}</span> }.into_any(),
                                            None => view! { <span>"Nessuna tariffa in vigore"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td class="d-none d-lg-table-cell"><HistoryList versions=case.versions.clone() today=today.clone()/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn TariffCasePage() -> impl IntoView {
    guarded(Role::Segreteria, |_user| {
        let params = use_params_map();
        let query = use_query_map();
        let add = ServerAction::<AddTariffVersion>::new();
        // Reloaded when the case or the `registrata` confirmation changes (a success redirects
        // there), not after a refused post: the form keeps what was typed.
        let page = Resource::new(
            move || (params.with(|p| p.get("caso").unwrap_or_default()), query.with(|q| q.get("registrata"))),
            |(key, _)| load_tariff_case(key),
        );
        view! {
            <Title text="Tariffa — Console Segreteria"/>
            <p><A href="/segreteria/tariffe">"← Torna alle tariffe"</A></p>
            {loaded_or(page, move |answer| match answer {
                Ok(page) => view! { <CaseDetail page add/> }.into_any(),
                Err(error) => view! { <h1>"Tariffa"</h1><ErrorAlert error/> }.into_any(),
            })}
        }
    })
}

#[component]
fn CaseDetail(page: TariffCasePage, add: ServerAction<AddTariffVersion>) -> impl IntoView {
    let query = use_query_map();
    let TariffCasePage { today, case } = page;
    let error = crate::auth::action_error(add);
    let saved = move || {
        let id = query.with(|q| q.get("registrata"))?;
        add.value().get().is_none_or(|r| r.is_ok()).then_some(id)
    };
    // What was typed survives a refused post without JavaScript (the values come back in the URL).
    let amount = RwSignal::new(query.with_untracked(|q| q.get("importo").unwrap_or_default()));
    let valid_from = RwSignal::new(query.with_untracked(|q| q.get("dal").unwrap_or_default()));
    let amount_error = Signal::derive(move || {
        let typed = amount.get();
        let instant = (!typed.trim().is_empty()).then(|| parse_euro_cents(&typed).err()).flatten();
        instant
            .map(|rule| FieldError::new("amount", rule).message_it())
            .or_else(|| error().and_then(|e| e.field_message("amount")))
    });
    let date_error = Signal::derive(move || error().and_then(|e| e.field_message("valid_from")));
    let current = case.current_version().cloned();
    let saved_version = {
        let versions = case.versions.clone();
        move || saved().and_then(|id| versions.iter().find(|v| v.id == id).cloned())
    };
    let key = case.key.clone();
    view! {
        <h1>{case_title(&case)}</h1>
        <p class="lead" data-testid="tariffa-in-vigore">
            {match current {
                Some(v) => view! { "In vigore oggi (" {date_it(&today)} "): " <strong>{format_euro(v.amount_cents)}</strong> " " {period(&v)} "." }.into_any(),
                None => view! { "Nessuna tariffa in vigore oggi (" {date_it(&today)} ")." }.into_any(),
            }}
        </p>
        {move || saved_version().map(|v| view! {
            <div class="alert alert-success" role="status" data-testid="tariffa-registrata">
                "Nuova tariffa registrata: " {format_euro(v.amount_cents)} " " {period(&v)} "."
            </div>
        })}
        {move || error().map(|error| view! { <ErrorAlert error/> })}
        <div class="row">
            <div class="col-12 col-lg-7">
                <div class="table-responsive">
                    <table class="table" data-testid="storico-tariffa">
                        <caption>"Storico delle versioni, dalla più recente"</caption>
                        <thead><tr>
                            <th scope="col" class="text-end">"Importo"</th><th scope="col">"Validità"</th>
                            <th scope="col">"Stato"</th><th scope="col">"Inserita da"</th>
                        </tr></thead>
                        <tbody>
                            {case.versions.iter().map(|v| {
                                let (label, class) = status_of(v, &today);
                                view! {
                                    <tr data-testid="versione">
                                        <th scope="row" class="text-end text-nowrap">{format_euro(v.amount_cents)}</th>
                                        <td>{period(v)}</td>
                                        <td><span class=class>{label}</span></td>
                                        <td>{author(v)} <br/><span class="small">{short_time(&v.created_at)}</span></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </div>
            <div class="col-12 col-lg-5">
                <h2 class="h4">"Nuova tariffa"</h2>
                <p class="small">
                    "La nuova versione vale dalla data indicata (oggi o dopo, e dopo l'inizio dell'ultima versione); "
                    "quella precedente si chiude il giorno prima. I dovuti già creati non cambiano."
                </p>
                <ActionForm action=add attr:novalidate=true attr:data-testid="nuova-tariffa">
                    <input type="hidden" name="key" value=key/>
                    <TextField id="amount" label="Importo in euro" autocomplete="off" maxlength=20
                        hint="Per esempio 258,22 oppure 1.500,00. Zero è ammesso." value=amount error=amount_error/>
                    <TextField id="valid_from" label="Valido dal" kind="date" value=valid_from error=date_error
                        hint="Data di inizio, da oggi in poi."/>
                    <button type="submit" class="btn btn-primary" disabled=move || add.pending().get()>"Registra la nuova tariffa"</button>
                </ActionForm>
            </div>
        </div>
    }
}
