//! The provider's training plan page (`/area/eventi`): the gate, the form to declare an event
//! (works without JavaScript: errors come back with everything typed), the events with their
//! contribution and debt state, and the later-year annual fees.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::{load_training_plan, DeclareEvent};
use super::model::{date_it, EventForm, EventView, PlanAccess, Procedure, TrainingPlan, TITLE_MAX_CHARS};
use crate::accounts::Role;
use crate::error::AppError;
use crate::layout::form::TextField;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded_after_step, DataTable, ErrorAlert, Missing};
use crate::payments::model::{format_euro, DebtState, DebtView};

/// The form's values: kept across re-renders of the page, filled from the URL after a
/// no-JavaScript error, emptied after a successful declaration.
#[derive(Clone, Copy)]
struct FormValues(StoredValue<Vec<(&'static str, RwSignal<String>)>>);

impl FormValues {
    fn get(self, field: &str) -> RwSignal<String> {
        self.0.with_value(|v| v.iter().find(|(f, _)| *f == field).map(|(_, s)| *s)).expect("known field")
    }
    fn current(self) -> EventForm {
        let mut form = EventForm::default();
        self.0.with_value(|values| {
            for (field, value) in values {
                form.set(field, value.get());
            }
        });
        form
    }
    fn clear(self) {
        self.0.with_value(|values| values.iter().for_each(|(_, v)| v.set(String::new())));
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let declare = ServerAction::<DeclareEvent>::new();
        let query = use_query_map();
        let server_error = Signal::derive(crate::auth::action_error(declare));
        let initial = query.read_untracked();
        let values = FormValues(StoredValue::new(
            EventForm::FIELDS.iter().map(|f| (*f, RwSignal::new(initial.get(f).unwrap_or_default()))).collect(),
        ));
        Effect::new(move |_| {
            if let Some(Ok(_)) = declare.value().get() {
                values.clear();
            }
        });
        let saved = move || match declare.value().get() {
            Some(result) => result.is_ok(),
            None => query.read().get("inserito").is_some(),
        };
        let plan = Resource::new(move || declare.version().get(), |_| load_training_plan());
        view! {
            <Title text="Piano formativo — Portale ECM"/>
            <h1>"Piano formativo"</h1>
            <p class="lead">
                "Gli eventi formativi del provider, con il contributo regionale dovuto per ciascuno. "
                "I contributi si pagano con pagoPA dalla pagina dei pagamenti."
            </p>
            {move || saved().then(|| view! {
                <div class="alert alert-success" role="status" data-testid="evento-inserito">
                    "Evento inserito nel piano formativo."
                </div>
            })}
            {move || server_error.get().map(|error| view! { <ErrorAlert error/> })}
            {loaded_after_step(plan, move |plan| view! { <Plan plan declare values server_error/> }, Missing {
                message: "Il piano formativo è disponibile dopo l'accreditamento: prima inserisci i dati del provider e presenta la domanda.",
                href: "/area",
                label: "Torna all'area provider",
            })}
        }
    })
}

#[component]
fn Plan(
    plan: TrainingPlan,
    declare: ServerAction<DeclareEvent>,
    values: FormValues,
    server_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let TrainingPlan { provider_class, accredited_year, access, events, annual_fees, declaration_key } = plan;
    let to_pay = events
        .iter()
        .filter_map(|e| e.debt.as_ref())
        .chain(annual_fees.iter().map(|(_, d)| d))
        .any(|d| d.state == DebtState::DaPagare);
    view! {
        <p data-testid="classe-provider">
            "Tipologia: " <strong>{provider_class.label_it()}</strong>
            {accredited_year.map(|y| format!(" — accreditato dal {y}"))}
        </p>
        {match access {
            PlanAccess::NotAccredited => view! {
                <div class="alert alert-info" role="alert" data-testid="non-accreditato">
                    <h2 class="h5">"Piano formativo non ancora disponibile"</h2>
                    <p class="mb-0">
                        "Gli eventi formativi si inseriscono solo quando il provider è accreditato. "
                        "Quando la Segreteria ECM avrà accreditato la tua domanda potrai dichiarare qui i tuoi eventi."
                    </p>
                </div>
                <A href="/area" attr:class="btn btn-primary mb-4">"Vai allo stato della domanda"</A>
            }.into_any(),
            PlanAccess::AnnualFeeUnpaid { year, debt } => view! {
                <div class="alert alert-warning" role="alert" data-testid="quota-da-pagare">
                    <h2 class="h5">{format!("Quota annuale {year} da pagare")}</h2>
                    <p>
                        {format!(
                            "Gli eventi del {year} si possono inserire solo dopo la verifica del pagamento della quota annuale {year} ({}, scadenza {}). ",
                            format_euro(debt.amount_cents),
                            debt.due_date.as_deref().map(date_it).unwrap_or_else(|| "—".into()),
                        )}
                        {if debt.state == DebtState::InCorso {
                            "Il pagamento è in corso di verifica con MyPay: appena confermato potrai inserire gli eventi."
                        } else {
                            "Pagala con pagoPA: appena MyPay conferma il pagamento potrai inserire gli eventi."
                        }}
                    </p>
                    <A href="/area/pagamento" attr:class="btn btn-primary">"Vai al pagamento"</A>
                </div>
            }.into_any(),
            PlanAccess::Open => view! { <EventFormCard declare values server_error declaration_key/> }.into_any(),
        }}
        {(!annual_fees.is_empty()).then(|| view! { <AnnualFees fees=annual_fees/> })}
        <h2 class="h4 mt-4">"Eventi dichiarati"</h2>
        {if events.is_empty() {
            view! { <p data-testid="nessun-evento">"Non hai ancora dichiarato eventi."</p> }.into_any()
        } else {
            view! { <EventTable events/> }.into_any()
        }}
        <div class="d-flex flex-wrap gap-3 mt-3">
            {to_pay.then(|| view! { <A href="/area/pagamento" attr:class="btn btn-primary">"Paga i contributi"</A> })}
            <A href="/area/pagamenti" attr:class="btn btn-outline-primary">"I tuoi pagamenti"</A>
            <A href="/area" attr:class="btn btn-outline-primary">"Torna all'area provider"</A>
        </div>
    }
}

#[component]
fn EventFormCard(
    declare: ServerAction<DeclareEvent>,
    values: FormValues,
    server_error: Signal<Option<AppError>>,
    declaration_key: String,
) -> impl IntoView {
    // Live check once something is typed; the server's answer wins after a submit.
    let error = move |field: &'static str| {
        Signal::derive(move || {
            let typed = !values.get(field).get().trim().is_empty();
            let live = typed.then(|| values.current().check(field).err().map(|e| e.message_it())).flatten();
            live.or_else(|| server_error.get().and_then(|e| e.field_message(field)))
        })
    };
    // After a successful declaration the form starts empty again. Re-rendering keeps the
    // inputs (only their `value` attributes change), so the form is reset to them.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = declare.value().get() {
            if let Some(form) = form_ref.get_untracked() {
                form.reset();
            }
        }
    });
    let procedura = values.get("procedura");
    let sponsorizzato = values.get("sponsorizzato");
    let procedure_error = error("procedura");
    let sponsor_error = error("sponsorizzato");
    view! {
        <section class="card card-bg mb-4" aria-labelledby="nuovo-evento">
            <div class="card-body">
                <h2 id="nuovo-evento" class="h4 card-title">"Dichiara un evento"</h2>
                <p class="small">"I campi con * sono obbligatori. Il contributo si calcola con la tariffa in vigore alla data di inizio ed è dovuto entro 90 giorni dalla fine dell'evento."</p>
                <ActionForm action=declare node_ref=form_ref attr:novalidate=true attr:data-testid="form-evento">
                    <input type="hidden" name="declaration_key" value=declaration_key/>
                    <TextField id="titolo" label="Titolo dell'evento" maxlength=TITLE_MAX_CHARS value=values.get("titolo") error=error("titolo")/>
                    <div class="select-wrapper mb-4">
                        <label for="procedura">"Tipologia dell'evento" <span aria-hidden="true">" *"</span></label>
                        <select
                            id="procedura"
                            name="procedura"
                            required=true
                            aria-invalid=move || if procedure_error.get().is_some() { "true" } else { "false" }
                            aria-describedby=move || procedure_error.get().is_some().then_some("procedura-errore")
                            on:change=move |ev| procedura.set(event_target_value(&ev))
                        >
                            <option value="" selected=procedura.get_untracked().is_empty()>"Scegli la tipologia"</option>
                            {Procedure::ALL.into_iter().map(|p| view! {
                                <option value=p.as_db() selected=procedura.get_untracked() == p.as_db()>{p.label_it()}</option>
                            }).collect_view()}
                        </select>
                        {move || procedure_error.get().map(|m| view! { <div id="procedura-errore" class="invalid-feedback d-block" role="status">{m}</div> })}
                    </div>
                    <div class="row">
                        <div class="col-12 col-md-6">
                            <TextField id="data_inizio" label="Data di inizio" kind="date" value=values.get("data_inizio") error=error("data_inizio")/>
                        </div>
                        <div class="col-12 col-md-6">
                            <TextField id="data_fine" label="Data di fine" kind="date" value=values.get("data_fine") error=error("data_fine")/>
                        </div>
                    </div>
                    <fieldset class="mb-4" aria-describedby="sponsorizzato-aiuto">
                        <legend class="h6 mb-2">"L'evento è sponsorizzato o finanziato?" <span aria-hidden="true">" *"</span></legend>
                        {[("SI", "Sì"), ("NO", "No")].into_iter().map(|(code, label)| {
                            let id = format!("sponsorizzato-{}", code.to_lowercase());
                            view! {
                                <div class="form-check form-check-inline">
                                    <input class="form-check-input" type="radio" name="sponsorizzato" id=id.clone() value=code
                                        checked=sponsorizzato.get_untracked() == code
                                        on:change=move |_| sponsorizzato.set(code.to_string())/>
                                    <label class="form-check-label" for=id>{label}</label>
                                </div>
                            }
                        }).collect_view()}
                        <small id="sponsorizzato-aiuto" class="form-text d-block">
                            "Un evento né sponsorizzato né finanziato in altro modo ha il contributo ridotto di un terzo (Gruppo B)."
                        </small>
                        {move || sponsor_error.get().map(|m| view! { <div class="invalid-feedback d-block" role="status">{m}</div> })}
                    </fieldset>
                    <button type="submit" class="btn btn-primary" disabled=move || declare.pending().get()>
                        "Inserisci l'evento"
                    </button>
                </ActionForm>
            </div>
        </section>
    }
}

/// `Da pagare (scadenza 15/03/2027)`, `Pagato — IUV …`.
fn debt_state_text(debt: &DebtView) -> String {
    match debt.state {
        DebtState::Pagato => {
            format!("Pagato{}", debt.iuv.as_deref().map(|iuv| format!(" — IUV {iuv}")).unwrap_or_default())
        }
        DebtState::Annullato => "Annullato dalla Segreteria".into(),
        state => format!(
            "{} (scadenza {})",
            state.label_it(),
            debt.due_date.as_deref().map(date_it).unwrap_or_else(|| "—".into())
        ),
    }
}

#[component]
fn EventTable(events: Vec<EventView>) -> impl IntoView {
    // Three columns, so that the table fits a phone: the event's details go under its title.
    view! {
        <DataTable testid="eventi" caption="Eventi del piano formativo, dal più recente"
            columns=&[("Evento", ""), ("Contributo", "text-end"), ("Stato del pagamento", "")]>
            {events.into_iter().map(|e| {
                let state = e.debt.as_ref().map(|d| d.state.as_db()).unwrap_or("NESSUNO");
                let status = e.debt.as_ref().map(debt_state_text).unwrap_or_else(|| "—".into());
                let dates = if e.start_date == e.end_date {
                    format!("il {}", date_it(&e.start_date))
                } else {
                    format!("dal {} al {}", date_it(&e.start_date), date_it(&e.end_date))
                };
                let details = format!(
                    "{} · {dates} · {}",
                    e.procedure.label_it(),
                    if e.sponsored { "sponsorizzato o finanziato" } else { "né sponsorizzato né finanziato" },
                );
                view! {
                    <tr data-testid="evento" data-stato=state>
                        <th scope="row" class="fw-normal">
                            <span class="fw-semibold">{e.title}</span>
                            <br/>
                            <span class="small text-muted" data-testid="dettagli-evento">{details}</span>
                        </th>
                        <td class="text-end text-nowrap" data-testid="contributo">
                            {if e.fee_cents == 0 { "Nessun contributo dovuto".to_string() } else { format_euro(e.fee_cents) }}
                        </td>
                        <td data-testid="stato-contributo">{status}</td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
}

#[component]
fn AnnualFees(fees: Vec<(i32, DebtView)>) -> impl IntoView {
    view! {
        <h2 class="h4 mt-4">"Quote annuali"</h2>
        <DataTable testid="quote-annuali" caption="Quote annuali degli anni successivi al primo"
            columns=&[("Anno", ""), ("Importo", "text-end"), ("Stato del pagamento", "")]>
            {fees.into_iter().map(|(year, debt)| view! {
                <tr data-testid="quota-annuale" data-stato=debt.state.as_db()>
                    <th scope="row">{year}</th>
                    <td class="text-end text-nowrap">{format_euro(debt.amount_cents)}</td>
                    <td>{debt_state_text(&debt)}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
}
