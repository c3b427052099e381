//! The provider's treasury payment page (`/area/quietanza`): how to pay by bonifico di
//! tesoreria, the form that sends the quietanza, and every quietanza sent with its outcome.
//! The Segreteria decides them on the debt's page (`segreteria::debts::view`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::{load_quietanza_page, AcceptQuietanza, RefuseQuietanza};
use super::model::{Mismatch, QuietanzaPage, QuietanzaState, QuietanzaView, NOTE_MAX_CHARS, PAYING_BODY_MAX_CHARS};
use crate::accounts::Role;
use crate::auth::form_error;
use crate::debts::model::{date_it, due_label};
use crate::documents::model::format_size;
use crate::layout::form::{TextArea, TextField};
use crate::layout::guard::guarded;
use crate::layout::view::{loaded_after_step, ErrorAlert, Missing};
use crate::payments::model::{format_euro, BENEFICIARY_FISCAL_CODE, BENEFICIARY_NAME};

#[component]
pub fn QuietanzaPaymentPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let page = Resource::new(|| (), |_| load_quietanza_page());
        let query = use_query_map();
        let sent = move || query.with(|q| q.get("inviata").is_some());
        view! {
            <Title text="Pagamento con quietanza — Portale ECM"/>
            <h1>"Pagamento con bonifico di tesoreria"</h1>
            {move || sent().then(|| view! {
                <div class="alert alert-success" role="status" data-testid="quietanza-inviata">
                    "Quietanza inviata. La Segreteria ECM la verificherà: riceverai un'e-mail con l'esito. "
                    "Fino ad allora il contributo risulta «in verifica» e non va pagato di nuovo."
                </div>
            })}
            {loaded_after_step(page, |data| view! { <QuietanzaPageView data/> }, Missing {
                message: "Prima inserisci i dati del provider (censimento).",
                href: "/area",
                label: "Torna all'area provider",
            })}
        }
    })
}

#[component]
fn QuietanzaPageView(data: QuietanzaPage) -> impl IntoView {
    let QuietanzaPage { enabled, provider, payable, quietanze, max_bytes } = data;
    let query = use_query_map();
    let error = form_error(super::model::UPLOAD_ENDPOINT);
    let field_error =
        move |field: &'static str| Signal::derive(move || error.get().and_then(|e| e.field_message(field)));
    let general_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, crate::error::AppError::Invalid(_) | crate::error::AppError::InvalidForm(_)))
    };
    let typed = |key: &str| query.with_untracked(|q| q.get(key).unwrap_or_default());
    let chosen = typed("debito");
    let value_date = RwSignal::new(typed("valuta"));
    let amount = RwSignal::new(typed("importo"));
    let cro = RwSignal::new(typed("cro"));
    let body = {
        let typed_body = typed("ente");
        RwSignal::new(if typed_body.is_empty() { provider.clone() } else { typed_body })
    };
    let file_error = field_error("file");
    let debt_error = field_error("debt_id");
    view! {
        {move || general_error().map(|error| view! { <ErrorAlert error/> })}
        {move || error.get().filter(|e| matches!(e, crate::error::AppError::InvalidForm(_) | crate::error::AppError::Invalid(_))).map(|_| view! {
            <div class="alert alert-danger" role="alert" data-testid="errore">
                "La quietanza non è stata inviata: correggi i campi evidenziati e scegli di nuovo il file."
            </div>
        })}
        {if !enabled {
            view! {
                <div class="alert alert-info" role="status" data-testid="quietanza-non-attiva">
                    "Il pagamento con bonifico di tesoreria non è attivo per il tuo provider: paga i contributi online con pagoPA. "
                    "Se il tuo ente paga solo con ordinativo di tesoreria, chiedi alla Segreteria ECM di attivarlo."
                </div>
                <A href="/area/pagamento" attr:class="btn btn-primary">"Vai al pagamento con pagoPA"</A>
            }.into_any()
        } else if payable.is_empty() {
            view! {
                <div class="alert alert-success" role="status" data-testid="niente-da-pagare">"Non ci sono contributi da pagare."</div>
            }.into_any()
        } else {
            view! {
                <p>
                    "Esegui il bonifico a favore di " <strong>{BENEFICIARY_NAME}</strong> " (codice fiscale " {BENEFICIARY_FISCAL_CODE} ") "
                    "indicando la causale del contributo, poi invia qui la quietanza in PDF con i dati del bonifico. "
                    "La Segreteria ECM la confronta con il contributo: il contributo risulta pagato quando la accetta."
                </p>
                <form method="post" action="/area/quietanza/carica" enctype="multipart/form-data" novalidate=true data-testid="form-quietanza">
                    <div class="form-group mb-4">
                        <label for="debt_id" class="active">"Contributo" <span aria-hidden="true">" *"</span></label>
                        <select id="debt_id" name="debt_id" class="form-select" required=true
                            class:is-invalid=move || debt_error.get().is_some()>
                            {payable.iter().map(|d| {
                                let label = format!("{} — {} — scadenza {}", d.causale, format_euro(d.amount_cents), due_label(d.due_date.as_deref()));
                                view! { <option value=d.id.clone() selected=d.id == chosen>{label}</option> }
                            }).collect_view()}
                        </select>
                        {move || debt_error.get().map(|m| view! { <div class="invalid-feedback d-block" role="status">{m}</div> })}
                    </div>
                    <TextField id="value_date" label="Data valuta del bonifico" kind="date" value=value_date error=field_error("value_date")
                        hint="La data valuta riportata sulla quietanza (gg/mm/aaaa se il browser non mostra il calendario)."/>
                    <TextField id="paid_amount" label="Importo pagato (euro)" value=amount error=field_error("paid_amount")
                        hint="Come sulla quietanza, per esempio 3.000,00."/>
                    <TextField id="cro_trn" label="CRO / TRN" value=cro error=field_error("cro_trn") maxlength=40
                        hint="Il codice del bonifico riportato sulla quietanza (CRO di 11 cifre o TRN fino a 35 caratteri)."/>
                    <TextField id="paying_body" label="Ente pagante" value=body error=field_error("paying_body") maxlength=PAYING_BODY_MAX_CHARS
                        hint="Chi ha eseguito il bonifico (di norma il tuo ente)."/>
                    <div class="form-group mb-4">
                        <label for="file" class="active">"Quietanza (PDF)" <span aria-hidden="true">" *"</span></label>
                        <input type="file" id="file" name="file" accept="application/pdf,.pdf" class="form-control" required=true
                            class:is-invalid=move || file_error.get().is_some() aria-describedby="file-aiuto"/>
                        <small id="file-aiuto" class="form-text">"Un file PDF di al massimo " {format_size(max_bytes)} "."</small>
                        {move || file_error.get().map(|m| view! { <div class="invalid-feedback d-block" role="status">{m}</div> })}
                    </div>
                    <button type="submit" class="btn btn-primary">"Invia la quietanza"</button>
                </form>
            }.into_any()
        }}
        <h2 class="h4 mt-5">"Quietanze inviate"</h2>
        {if quietanze.is_empty() {
            view! { <p>"Nessuna quietanza inviata."</p> }.into_any()
        } else {
            view! {
                <div class="table-responsive">
                    <table class="table" data-testid="quietanze">
                        <thead>
                            <tr>
                                <th scope="col">"Contributo"</th>
                                <th scope="col">"Bonifico"</th>
                                <th scope="col">"Stato"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {quietanze.into_iter().map(|q| view! {
                                <tr data-testid="quietanza">
                                    <td>{q.causale.clone()}</td>
                                    <td class="small">
                                        {format_euro(q.amount_cents)} ", valuta " {date_it(&q.value_date)} <br/>
                                        "CRO/TRN " {q.cro_trn.clone()} ", " {q.paying_body.clone()} <br/>
                                        <a href=format!("/quietanze/{}", q.id) download="">{q.file_name.clone()}</a> " (" {format_size(q.size_bytes)} ")"
                                    </td>
                                    <td>
                                        <span class=q.state.badge_class() data-testid="stato-quietanza">{q.state.label_it()}</span>
                                        {(q.state == QuietanzaState::Rifiutata).then(|| q.decision_note.clone().map(|r| view! {
                                            <br/><span class="small" data-testid="motivo-rifiuto">"Motivo: " {r}</span>
                                        }))}
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <p class="mt-4"><A href="/area/estratto-conto">"Vai all'estratto conto"</A></p>
    }
}

/// The quietanze of a debt on the Segreteria's debt page: the one in verification with its
/// differences from the debt highlighted, the file, and the two decisions; the decided ones
/// with their outcome.
#[component]
pub fn QuietanzeReview(
    quietanze: Vec<QuietanzaView>,
    debt_id: String,
    accept: ServerAction<AcceptQuietanza>,
    refuse: ServerAction<RefuseQuietanza>,
) -> impl IntoView {
    let query = use_query_map();
    let accept_redirected = form_error("segreteria/quietanza_accept");
    let refuse_redirected = form_error("segreteria/quietanza_refuse");
    let accept_error = move || accept.value().get().map_or_else(|| accept_redirected.get(), Result::err);
    let refuse_error = move || refuse.value().get().map_or_else(|| refuse_redirected.get(), Result::err);
    let note_error = move || accept_error().and_then(|e| e.field_message("accept_note"));
    let reason_error = move || refuse_error().and_then(|e| e.field_message("refuse_reason"));
    let typed_note = query.with_untracked(|q| q.get("nota").unwrap_or_default());
    let typed_reason = query.with_untracked(|q| q.get("motivo_rifiuto").unwrap_or_default());
    let outcome = move || query.with(|q| q.get("quietanza"));
    view! {
        <h2 class="h4">"Quietanze"</h2>
        {move || outcome().map(|o| view! {
            <div class="alert alert-success" role="status" data-testid="quietanza-decisa">
                {if o == "accettata" { "Quietanza accettata: il dovuto risulta pagato e il provider è stato avvisato." } else { "Quietanza rifiutata: il dovuto è di nuovo da pagare e il provider è stato avvisato con il motivo." }}
            </div>
        })}
        {move || accept_error().filter(|e| e.field_message("accept_note").is_none()).map(|error| view! { <ErrorAlert error/> })}
        {move || refuse_error().filter(|e| e.field_message("refuse_reason").is_none()).map(|error| view! { <ErrorAlert error/> })}
        {quietanze.into_iter().map(|q| {
            let pending = q.state == QuietanzaState::InVerifica;
            let blocking = q.mismatches.iter().any(Mismatch::blocks);
            let differs = !q.mismatches.is_empty();
            let (id_a, id_r, debt_a, debt_r) = (q.id.clone(), q.id.clone(), debt_id.clone(), debt_id.clone());
            let (typed_note, typed_reason) = (typed_note.clone(), typed_reason.clone());
            view! {
                <div class="card card-bg mb-4" data-testid="quietanza-segreteria">
                    <div class="card-body">
                        <p class="mb-2"><span class=q.state.badge_class() data-testid="stato-quietanza">{q.state.label_it()}</span>
                            " caricata il " {date_it(q.uploaded_at.get(0..10).unwrap_or(""))}</p>
                        <dl class="row small mb-2">
                            <dt class="col-5">"Importo dichiarato"</dt><dd class="col-7">{format_euro(q.amount_cents)}</dd>
                            <dt class="col-5">"Data valuta"</dt><dd class="col-7">{date_it(&q.value_date)}</dd>
                            <dt class="col-5">"CRO / TRN"</dt><dd class="col-7" data-testid="cro">{q.cro_trn.clone()}</dd>
                            <dt class="col-5">"Ente pagante"</dt><dd class="col-7">{q.paying_body.clone()}</dd>
                            <dt class="col-5">"File"</dt><dd class="col-7"><a href=format!("/quietanze/{}", q.id) download="">{q.file_name.clone()}</a>
                                " (" {format_size(q.size_bytes)} ")"</dd>
                            {q.decision_note.clone().map(|n| view! { <dt class="col-5">"Nota della decisione"</dt><dd class="col-7">{n}</dd> })}
                        </dl>
                        {(pending && differs).then(|| view! {
                            <div class=if blocking { "alert alert-danger" } else { "alert alert-warning" } role="status" data-testid="differenze">
                                <strong>{if blocking { "Non accettabile: " } else { "Da controllare: " }}</strong>
                                {q.mismatches.iter().map(Mismatch::label_it).collect::<Vec<_>>().join("; ")} "."
                            </div>
                        })}
                        {(pending && !differs).then(|| view! {
                            <p class="small text-success" data-testid="nessuna-differenza">"I dati dichiarati corrispondono al dovuto: controlla che corrispondano anche al PDF."</p>
                        })}
                        {pending.then(|| view! {
                            <div class="row">
                                <div class="col-12 col-md-6">
                                    <ActionForm action=accept attr:novalidate=true attr:data-testid="accetta-quietanza">
                                        <input type="hidden" name="id" value=id_a/>
                                        <input type="hidden" name="debt_id" value=debt_a/>
                                        <TextArea id="accept_note" label="Nota di accettazione" required=differs maxlength=NOTE_MAX_CHARS value=typed_note
                                            hint=if differs { "Obbligatoria: perché accetti nonostante le differenze." } else { "Facoltativa." }
                                            error=Signal::derive(note_error)/>
                                        <button type="submit" class="btn btn-primary mb-3" disabled=move || blocking || accept.pending().get()>"Accetta la quietanza"</button>
                                    </ActionForm>
                                </div>
                                <div class="col-12 col-md-6">
                                    <ActionForm action=refuse attr:novalidate=true attr:data-testid="rifiuta-quietanza">
                                        <input type="hidden" name="id" value=id_r/>
                                        <input type="hidden" name="debt_id" value=debt_r/>
                                        <TextArea id="refuse_reason" label="Motivo del rifiuto" maxlength=NOTE_MAX_CHARS value=typed_reason
                                            hint="Il provider lo legge e può caricare una quietanza corretta." error=Signal::derive(reason_error)/>
                                        <button type="submit" class="btn btn-outline-danger mb-3" disabled=move || refuse.pending().get()>"Rifiuta la quietanza"</button>
                                    </ActionForm>
                                </div>
                            </div>
                        })}
                    </div>
                </div>
            }
        }).collect_view()}
    }
}
