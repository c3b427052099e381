//! The provider's payment pages: the cart (`/area/pagamento`), MyPay's return
//! (`/pagamenti/ritorno`, updating itself until MyPay's answer is final) and the list of
//! payments (`/area/pagamenti`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::{load_my_payments, load_payment_page, verify_attempt, CancelNotice, IssueNotice, Pay};
use super::model::{
    format_euro, AttemptState, AttemptView, CartPage, DebtView, NoticeAnswer, NoticeView, PayAnswer,
    BENEFICIARY_FISCAL_CODE, BENEFICIARY_NAME,
};
use crate::accounts::Role;
use crate::auth::form_error;
use crate::error::AppError;
use crate::layout::form::TextField;
use crate::layout::guard::guarded;
use crate::layout::view::{loaded_after_step, ErrorAlert, Missing, PaymentsUnavailable};
use crate::layout::wizard::{WizardStep, WizardStepper};

#[component]
fn DebtTable(debts: Vec<DebtView>, caption: String) -> impl IntoView {
    let total: i64 = debts.iter().map(|d| d.amount_cents).sum();
    view! {
        <div class="table-responsive">
            <table class="table" data-testid="dovuti">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Causale"</th>
                        <th scope="col" class="d-none d-md-table-cell">"Tipo di contributo"</th>
                        <th scope="col">"Scadenza"</th>
                        <th scope="col" class="text-end">"Importo"</th>
                    </tr>
                </thead>
                <tbody>
                    {debts.into_iter().map(|d| view! {
                        <tr>
                            <td>{d.causale}</td>
                            <td class="d-none d-md-table-cell">{d.fee_kind.label_it()}</td>
                            <td class="text-nowrap">{crate::debts::model::due_label(d.due_date.as_deref())}</td>
                            <td class="text-end text-nowrap">{format_euro(d.amount_cents)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row" colspan="2">"Totale"</th>
                        <td class="d-none d-md-table-cell"></td>
                        <td class="text-end text-nowrap" data-testid="totale"><strong>{format_euro(total)}</strong></td>
                    </tr>
                </tfoot>
            </table>
        </div>
    }
}

/// Step 4: review the cart and pay with pagoPA.
#[component]
pub fn PaymentPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let pay = ServerAction::<Pay>::new();
        let notice = ServerAction::<IssueNotice>::new();
        let cancel = ServerAction::<CancelNotice>::new();
        let redirected = form_error("payments/pay");
        let notice_redirected = form_error("payments/notice");
        let cancel_redirected = form_error("payments/notice_cancel");
        let error = move || {
            pay.value()
                .get()
                .and_then(Result::err)
                .or_else(|| notice.value().get().and_then(Result::err))
                .or_else(|| cancel.value().get().and_then(Result::err))
                .or_else(|| redirected.get())
                .or_else(|| notice_redirected.get())
                .or_else(|| cancel_redirected.get())
        };
        // A new key after every submission: a refused or failed payment is retried as a new attempt.
        let page = Resource::new(
            move || (pay.version().get(), notice.version().get(), cancel.version().get()),
            |_| load_payment_page(),
        );
        view! {
            <Title text="Pagamento dei contributi — Portale ECM"/>
            <WizardStepper current=WizardStep::Pagamento/>
            <h1>"Pagamento dei contributi"</h1>
            {move || error().map(|error| view! { <ErrorAlert error/> })}
            {move || matches!(notice.value().get(), Some(Ok(NoticeAnswer::Issued { .. }))).then(|| view! {
                <div class="alert alert-success" role="status" data-testid="avviso-emesso-ok">
                    "Avviso pagoPA emesso: scaricalo qui sotto e consegnalo a chi paga. Il pagamento verrà riconosciuto da solo."
                </div>
            })}
            {move || matches!(notice.value().get(), Some(Ok(NoticeAnswer::Preparing { .. }))).then(|| view! {
                <div class="alert alert-info" role="status">
                    "MyPay non ha ancora confermato l'avviso: lo completiamo noi tra qualche minuto, senza emetterne due. Ricarica la pagina più tardi."
                </div>
            })}
            {move || matches!(cancel.value().get(), Some(Ok(()))).then(|| view! {
                <div class="alert alert-success" role="status" data-testid="avviso-annullato-ok">
                    "Avviso annullato: il contributo si può ora pagare online o in un altro modo."
                </div>
            })}
            {move || matches!(pay.value().get(), Some(Ok(PayAnswer::Verifying { .. }))).then(|| view! {
                <div class="alert alert-info" role="status">
                    "MyPay non ha risposto in tempo: stiamo verificando il pagamento. Nessun importo verrà addebitato due volte."
                </div>
            })}
            {loaded_after_step(page, move |data| view! { <CartReview data pay notice cancel/> }, Missing {
                message: "Prima del pagamento inserisci i dati del provider e scegli il tipo di domanda.",
                href: "/area",
                label: "Torna all'area provider",
            })}
        }
    })
}

#[component]
fn CartReview(
    data: CartPage,
    pay: ServerAction<Pay>,
    notice: ServerAction<IssueNotice>,
    cancel: ServerAction<CancelNotice>,
) -> impl IntoView {
    let CartPage {
        available,
        payer,
        carts,
        open_attempts,
        idempotency_key,
        treasury_channel,
        due,
        notices,
        notice_key,
    } = data;
    let notice_email = RwSignal::new(payer.email.clone());
    let with_notices = !notices.is_empty();
    let cart_count = carts.len();
    let debt_count: usize = carts.iter().map(Vec::len).sum();
    let mut carts = carts.into_iter();
    let first = carts.next();
    let later: Vec<Vec<DebtView>> = carts.collect();
    let email = RwSignal::new(payer.email.clone());
    view! {
        {(!available).then(|| view! { <PaymentsUnavailable/> })}
        {(!open_attempts.is_empty()).then(|| view! {
            <div class="alert alert-info" role="status" data-testid="pagamento-in-corso">
                "Hai " {open_attempts.len()} " pagamento/i in corso di verifica: i relativi dovuti non possono essere pagati di nuovo finché MyPay non dà l'esito. "
                <A href="/area/pagamenti">"Vedi i pagamenti"</A>
            </div>
        })}
        {(!notices.is_empty()).then(|| view! { <NoticeList notices cancel available/> })}
        <div class="row mb-4">
            <div class="col-12 col-md-6 mb-3">
                <div class="card card-bg h-100" data-testid="pagatore">
                    <div class="card-body">
                        <h2 class="h5 card-title">"Pagatore"</h2>
                        <p class="mb-1"><strong>{payer.name.clone()}</strong></p>
                        <p class="mb-0">
                            "Tipo " {payer.kind.code()} " (" {payer.kind.label_it()} "), codice "
                            <span data-testid="codice-pagatore">{payer.id_code.clone()}</span>
                        </p>
                    </div>
                </div>
            </div>
            <div class="col-12 col-md-6 mb-3">
                <div class="card card-bg h-100" data-testid="beneficiario">
                    <div class="card-body">
                        <h2 class="h5 card-title">"Beneficiario"</h2>
                        <p class="mb-1"><strong>{BENEFICIARY_NAME}</strong></p>
                        <p class="mb-0">"Codice fiscale " {BENEFICIARY_FISCAL_CODE}</p>
                    </div>
                </div>
            </div>
        </div>
        {match first {
            None => view! {
                <div class="alert alert-success" role="status" data-testid="niente-da-pagare">
                    {if with_notices {
                        "Non ci sono altri contributi da pagare: quelli con un avviso emesso si pagano con l'avviso."
                    } else {
                        "Non ci sono contributi da pagare."
                    }}
                </div>
                <div class="d-flex flex-wrap gap-3">
                    <A href="/area" attr:class="btn btn-primary">"Torna all'area provider"</A>
                    <A href="/area/pagamenti" attr:class="btn btn-outline-primary">"Vedi i pagamenti"</A>
                </div>
            }.into_any(),
            Some(cart) => {
                let ids = cart.iter().map(|d| d.id.clone()).collect::<Vec<_>>().join(",");
                let caption = if cart_count > 1 { format!("Carrello 1 di {cart_count}: dovuti da pagare ora") } else { "Dovuti da pagare".to_string() };
                view! {
                    {(cart_count > 1).then(|| view! {
                        <div class="alert alert-info" role="status" data-testid="piu-carrelli">
                            "I dovuti da pagare sono " {debt_count} ". pagoPA accetta al massimo 5 dovuti per pagamento: "
                            "li pagherai in " {cart_count} " carrelli, uno dopo l'altro. Ora paghi il carrello 1."
                        </div>
                    })}
                    <DebtTable debts=cart caption/>
                    {treasury_channel.then(|| view! {
                        <div class="callout note mb-4" data-testid="canale-quietanza">
                            <p class="mb-1"><strong>"Il tuo ente paga con bonifico di tesoreria?"</strong></p>
                            <p class="mb-0">"Puoi pagare un contributo con un bonifico e inviare la quietanza, che la Segreteria ECM verifica. "
                                <A href="/area/quietanza">"Paga con quietanza"</A></p>
                        </div>
                    })}
                    <ActionForm action=pay attr:novalidate=true>
                        <input type="hidden" name="idempotency_key" value=idempotency_key/>
                        <input type="hidden" name="debts" value=ids/>
                        <TextField id="payer_email" label="E-mail del pagatore" kind="email" autocomplete="email"
                            hint="A questo indirizzo pagoPA invia la ricevuta del pagamento." value=email/>
                        <p class="small">
                            "Premendo il pulsante vai su MyPay, il portale dei pagamenti della Regione del Veneto, "
                            "e da lì su pagoPA. Al termine tornerai su questo portale, che verificherà il pagamento con MyPay."
                        </p>
                        <button type="submit" class="btn btn-primary" disabled=move || !available || pay.pending().get()>
                            "Paga con pagoPA"
                        </button>
                    </ActionForm>
                    {(!later.is_empty()).then(|| view! {
                        <h2 class="h4 mt-5">"Carrelli successivi"</h2>
                        <p>"Potrai pagarli dopo il primo, da questa pagina."</p>
                        {later.into_iter().enumerate().map(|(i, cart)| view! {
                            <DebtTable debts=cart caption=format!("Carrello {} di {cart_count}", i + 2)/>
                        }).collect_view()}
                    })}
                    <section class="mt-5" aria-labelledby="paga-dopo" data-testid="genera-avviso">
                        <h2 id="paga-dopo" class="h4">"Pagare più tardi con un avviso pagoPA"</h2>
                        <p>
                            "Se a pagare è un'altra persona (per esempio l'ufficio amministrativo), genera un avviso di pagamento pagoPA: "
                            "si paga in banca, in posta, con l'home banking (CBILL), in tabaccheria o con l'app IO, con il numero avviso. "
                            "Il portale riconosce il pagamento da solo, anche se non torni su questa pagina."
                        </p>
                        <ActionForm action=notice attr:novalidate=true>
                            <input type="hidden" name="idempotency_key" value=notice_key/>
                            <div class="select-wrapper mb-4">
                                <label for="notice_debt">"Contributo da pagare con l'avviso"</label>
                                <select id="notice_debt" name="debt">
                                    {due.into_iter().map(|d| {
                                        let label = format!("{} — {}", d.causale, format_euro(d.amount_cents));
                                        view! { <option value=d.id>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <TextField id="notice_payer_email" name="payer_email" label="E-mail del pagatore" kind="email" autocomplete="email"
                                hint="Il pagatore indicato sull'avviso è il provider; a questo indirizzo pagoPA invia la ricevuta." value=notice_email/>
                            <button type="submit" class="btn btn-outline-primary" disabled=move || !available || notice.pending().get()>
                                "Genera l'avviso pagoPA"
                            </button>
                        </ActionForm>
                    </section>
                }.into_any()
            }
        }}
    }
}

/// The provider's notices that hold a debt: number, amount, PDF, and «Annulla l'avviso».
#[component]
fn NoticeList(notices: Vec<NoticeView>, cancel: ServerAction<CancelNotice>, available: bool) -> impl IntoView {
    view! {
        <section class="mb-4" aria-labelledby="avvisi-emessi">
            <h2 id="avvisi-emessi" class="h4">"Avvisi pagoPA emessi"</h2>
            <p class="small">
                "Un contributo con un avviso emesso si paga con l'avviso. Per pagarlo online o con quietanza, annulla prima l'avviso."
            </p>
            <ul class="list-group mb-3" data-testid="avvisi">
                {notices.into_iter().map(|n| {
                    let pdf = n.pdf_url();
                    let id = n.attempt_id.clone();
                    view! {
                        <li class="list-group-item" data-testid="avviso">
                            <p class="mb-1"><strong>{n.causale.clone()}</strong> " — " {format_euro(n.amount_cents)}</p>
                            {match (n.state, n.notice_number.clone()) {
                                (AttemptState::Creata, _) | (_, None) => view! {
                                    <p class="mb-0" data-testid="avviso-in-preparazione">"Avviso in preparazione: MyPay non ha ancora confermato l'emissione."</p>
                                }.into_any(),
                                (AttemptState::Anomalia, Some(number)) => view! {
                                    <p class="mb-0">"Avviso n. " <span class="font-monospace">{number}</span>
                                        ": il pagamento è in verifica presso la Segreteria ECM."</p>
                                }.into_any(),
                                (_, Some(number)) => view! {
                                    <p class="mb-2">"Avviso emesso — numero avviso "
                                        <strong class="font-monospace" data-testid="numero-avviso">{number}</strong></p>
                                    <div class="d-flex flex-wrap gap-2">
                                        <a class="btn btn-sm btn-primary" href=pdf download data-testid="scarica-avviso">"Scarica l'avviso (PDF)"</a>
                                        <ActionForm action=cancel>
                                            <input type="hidden" name="attempt" value=id/>
                                            <button type="submit" class="btn btn-sm btn-outline-danger" disabled=move || !available || cancel.pending().get()>
                                                "Annulla l'avviso"
                                            </button>
                                        </ActionForm>
                                    </div>
                                }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Next delay of the return page's polling: every 2 s at first, then slower.
fn poll_delay_ms(round: u32) -> u64 {
    match round {
        0..=4 => 2_000,
        5..=14 => 5_000,
        _ => 15_000,
    }
}

/// MyPay sends the browser back here with `idSession`, `esito` and `pollingToken`.
#[component]
pub fn ReturnPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let query = use_query_map();
        let id_session = move || query.read().get("idSession").unwrap_or_default();
        let esito = move || query.read().get("esito").filter(|e| e == "OK" || e == "ERROR");
        let round = RwSignal::new(0u32);
        let attempt =
            Resource::new(move || (id_session(), esito(), round.get()), |(id, esito, _)| verify_attempt(id, esito));
        // Keep asking until the answer is final (browser only: effects do not run on the server).
        let scheduled = StoredValue::new(None::<u32>);
        Effect::new(move |_| {
            let keep_polling = match attempt.get() {
                Some(Ok(a)) => a.state.is_open(),
                Some(Err(AppError::Transport(_) | AppError::Internal)) => true,
                _ => false,
            };
            let current = round.get_untracked();
            if keep_polling && scheduled.get_value() != Some(current) {
                scheduled.set_value(Some(current));
                set_timeout(
                    move || round.update(|r| *r += 1),
                    std::time::Duration::from_millis(poll_delay_ms(current)),
                );
            }
        });
        view! {
            <Title text="Esito del pagamento — Portale ECM"/>
            <h1>"Esito del pagamento"</h1>
            <div class="alert alert-secondary" role="note" data-testid="esito-mypay">
                {move || match esito().as_deref() {
                    Some("OK") => "MyPay ha comunicato: pagamento completato su pagoPA (esito OK).",
                    Some(_) => "MyPay ha comunicato: pagamento non completato o annullato (esito ERROR).",
                    None => "MyPay non ha comunicato un esito.",
                }}
                " Questo messaggio non è ancora la prova del pagamento: il portale verifica il pagamento direttamente con MyPay "
                "e questa pagina si aggiorna da sola."
            </div>
            <Transition fallback=|| view! { <p role="status">"Verifica del pagamento in corso…"</p> }>
                {move || Suspend::new(async move {
                    match attempt.await {
                        Ok(a) => view! { <AttemptStatus attempt=a/> }.into_any(),
                        Err(error) => view! {
                            <ErrorAlert error/>
                            <A href="/area/pagamenti" attr:class="btn btn-outline-primary">"Vedi i pagamenti"</A>
                        }.into_any(),
                    }
                })}
            </Transition>
        }
    })
}

#[component]
fn AttemptStatus(attempt: AttemptView) -> impl IntoView {
    let state = attempt.state;
    let receipt = attempt.receipt_available.then(|| attempt.receipt_url());
    let (class, title, text): (&str, &str, String) = match state {
        AttemptState::Pagata => (
            "alert-success",
            "Pagamento verificato",
            format!("MyPay conferma il pagamento di {} (IUV {}).", format_euro(attempt.total_cents), attempt.iuv.clone().unwrap_or_default()),
        ),
        s if s.is_open() => (
            "alert-info",
            "Verifica del pagamento in corso",
            "MyPay non ha ancora dato l'esito definitivo. La pagina si aggiorna da sola: puoi anche chiuderla, il portale continua a verificare il pagamento.".into(),
        ),
        AttemptState::Anomalia => (
            "alert-warning",
            "Pagamento in verifica dalla Segreteria",
            "L'esito ricevuto da MyPay richiede un controllo della Segreteria ECM, che ti contatterà. Non ripetere il pagamento.".into(),
        ),
        AttemptState::Errore => (
            "alert-danger",
            "Pagamento non avviato",
            "MyPay non ha accettato il carrello: nessun importo è stato addebitato.".into(),
        ),
        s => (
            "alert-danger",
            "Pagamento non riuscito",
            format!("Esito: {}. Nessun importo risulta pagato: i dovuti sono di nuovo da pagare e puoi riprovare.", s.label_it().to_lowercase()),
        ),
    };
    view! {
        <div class=format!("alert {class}") role="status" aria-live="polite" data-testid="stato-verifica" data-stato=state.as_db()>
            <h2 class="h4">{title}</h2>
            <p class="mb-0">{text}</p>
        </div>
        <AttemptDetails attempt=attempt.clone()/>
        <div class="d-flex flex-wrap gap-3 mt-3">
            {receipt.map(|href| view! {
                <a href=href class="btn btn-primary" download="" rel="external">"Scarica la ricevuta"</a>
            })}
            {state.can_retry().then(|| view! { <A href="/area/pagamento" attr:class="btn btn-primary">"Riprova"</A> })}
            <A href="/area/pagamenti" attr:class="btn btn-outline-primary">"Vedi i pagamenti"</A>
            <A href="/area" attr:class="btn btn-outline-primary">"Torna all'area provider"</A>
        </div>
    }
}

#[component]
fn AttemptDetails(attempt: AttemptView) -> impl IntoView {
    view! {
        <dl class="row mt-3">
            <dt class="col-sm-3">"Sessione MyPay (idSession)"</dt>
            <dd class="col-sm-9" data-testid="id-session">{attempt.id_session.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt class="col-sm-3">"IUV"</dt>
            <dd class="col-sm-9" data-testid="iuv">{attempt.iuv.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt class="col-sm-3">"Totale"</dt>
            <dd class="col-sm-9">{format_euro(attempt.total_cents)}</dd>
            <dt class="col-sm-3">"Ultima verifica con MyPay"</dt>
            <dd class="col-sm-9">{attempt.last_check_at.clone().unwrap_or_else(|| "—".into())}</dd>
        </dl>
        <ul class="list-unstyled" data-testid="dovuti-tentativo">
            {attempt.debts.into_iter().map(|d| view! {
                <li>
                    {d.causale} " — " {format_euro(d.amount_cents)} " — " <strong>{d.debt_state.label_it()}</strong>
                    <span class="small text-muted">" (IUD " {d.iud} {d.iur.map(|iur| format!(", IUR {iur}"))} ")"</span>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// Every payment attempt of the provider, with its state, session, debts and receipt.
#[component]
pub fn PaymentsPage() -> impl IntoView {
    guarded(Role::Provider, |_user| {
        let payments = Resource::new(|| (), |_| load_my_payments());
        view! {
            <Title text="Pagamenti — Portale ECM"/>
            <h1>"Pagamenti"</h1>
            <p class="lead">"Ogni tentativo di pagamento inviato a MyPay, con il suo esito verificato."</p>
            <Suspense fallback=|| view! { <p>"Caricamento…"</p> }>
                {move || Suspend::new(async move {
                    match payments.await {
                        Ok(list) if list.is_empty() => view! {
                            <p data-testid="nessun-pagamento">"Non hai ancora effettuato pagamenti."</p>
                            <A href="/area/pagamento" attr:class="btn btn-primary">"Vai al pagamento"</A>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-responsive">
                                <table class="table" data-testid="pagamenti">
                                    <caption>"Tentativi di pagamento, dal più recente"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Data"</th>
                                            <th scope="col">"Stato"</th>
                                            <th scope="col">"Sessione MyPay"</th>
                                            <th scope="col">"Dovuti"</th>
                                            <th scope="col" class="text-end">"Totale"</th>
                                            <th scope="col">"IUV"</th>
                                            <th scope="col">"Ricevuta"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|a| {
                                            let receipt = a.receipt_available.then(|| a.receipt_url());
                                            let verify = (a.state.is_open() && a.id_session.is_some())
                                                .then(|| format!("/pagamenti/ritorno?idSession={}", a.id_session.clone().unwrap_or_default()));
                                            view! {
                                                <tr data-testid="pagamento" data-stato=a.state.as_db()>
                                                    <td>{a.created_at.clone()}</td>
                                                    <td><strong>{a.label_it()}</strong></td>
                                                    <td class="small">{a.id_session.clone().or_else(|| a.notice_number.clone().map(|n| format!("avviso n. {n}"))).unwrap_or_else(|| "—".into())}</td>
                                                    <td>
                                                        <ul class="list-unstyled mb-0">
                                                            {a.debts.iter().map(|d| {
                                                                // The line's outcome in this attempt: a debt paid by a later
                                                                // attempt must not look paid here.
                                                                let outcome = if d.iur.is_some() {
                                                                    "PAGATO"
                                                                } else if a.state.is_open() {
                                                                    d.debt_state.as_db()
                                                                } else {
                                                                    "NON PAGATO"
                                                                };
                                                                view! {
                                                                    <li>{d.causale.clone()} " (" {format_euro(d.amount_cents)} "): "
                                                                        <span data-testid="stato-dovuto">{outcome}</span>
                                                                        <br/><span class="small text-muted">"IUD " {d.iud.clone()}</span></li>
                                                                }
                                                            }).collect_view()}
                                                        </ul>
                                                    </td>
                                                    <td class="text-end">{format_euro(a.total_cents)}</td>
                                                    <td data-testid="iuv">{a.iuv.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>
                                                        {receipt.map(|href| view! { <a href=href download="" rel="external">"Scarica"</a> })}
                                                        {verify.map(|href| view! { <a href=href>"Verifica ora"</a> })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <A href="/area" attr:class="btn btn-outline-primary">"Torna all'area provider"</A>
                        }.into_any(),
                        Err(error) => view! { <ErrorAlert error/> }.into_any(),
                    }
                })}
            </Suspense>
            <crate::debts::view::AnnulledDebts/>
        }
    })
}
