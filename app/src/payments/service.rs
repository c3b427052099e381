//! Payment services: tariffs → debts → carts → gateway → verified payment. Plain async
//! functions with explicit dependencies (database, gateway, actor), unit-testable without Leptos.
//!
//! Payment truth: only the gateway's verified receipt ([`CheckOutcome::Paid`], i.e. MyPay's
//! `Pagati` with `codiceEsitoPagamento = 0` and matching amounts) marks a debt PAGATO. The
//! browser's return (`esito=OK`) is stored for information and never changes a state.
//!
//! Every state change is a compare-and-set (`UPDATE … WHERE state = <expected>`) inside a
//! transaction with an audit record in `payment_events` (`store::attempts::transition`, the one
//! writer of the attempt machine), so concurrent verifications, the reconciler and replays are
//! idempotent. The SQL is in `store::attempts`; this module decides.

use std::time::Duration;

use super::gateway::{
    CartLine, CartPayer, CartRequest, CheckOutcome, ExpectedLine, IudCheck, PaidReceipt, PaymentGateway,
    ReceiptOutcome, SendOutcome,
};
use super::model::{
    iud_for, payer_identity, split_into_carts, AttemptDebtView, AttemptKind, AttemptState, AttemptSummary, AttemptView,
    CartPage, DebtState, DebtView, FeeKind, NoticeView, PayAnswer, PayerView, PaymentSummary, TariffCase,
    MAX_DEBTS_PER_CART,
};
use crate::accounts::{CurrentUser, Role};
use crate::db::{new_id, now_utc, Db};
use crate::domain::Email;
use crate::error::internal;
use crate::error::AppError;
use crate::mail::compose::{payment_verified, PaidLine, LINK_BASE};
use crate::mail::model::MailKind;
use crate::providers::model::{ProviderClass, ProviderView};
use crate::requests::model::{RequestState, RequestView};
use crate::store;
use crate::store::debts::{Change, Debt, NewDebt};

/// MyPay keeps an unsent cart in its cache for 60 minutes (+5 grace): an unknown session
/// younger than this may still appear, and a cart whose send had no answer cannot be paid by
/// anyone after it (nobody has its landing URL).
pub const SESSION_GRACE: Duration = Duration::from_secs(70 * 60);

/// How long a cart whose send got no answer (no idSession stored) keeps its debts. Its MyPay URL
/// was never given to anybody — `pay()` hands out the URL only after storing the idSession, and
/// stores it only while the attempt is still CREATA — so nobody can pay it; the wait only lets a
/// send still in flight (at most `ECM_MYPAY_TIMEOUT_SECONDS`, capped at 120 s) finish normally.
pub const UNSENT_GRACE: Duration = Duration::from_secs(5 * 60);

/// How long a replay of an idempotency key waits for the first request's MyPay answer.
const REPLAY_WAIT: Duration = Duration::from_secs(15);

// ---- payment gate --------------------------------------------------------------------------

/// May the provider reach the payment step? Only when its data are complete and every
/// required document of the request is present (docs/domain.md §3.4); otherwise
/// the error lists exactly what is missing.
pub async fn payment_gate_open(db: &Db, provider: &ProviderView) -> Result<(), AppError> {
    let gate = crate::requests::service::gate_for_provider(db, provider).await?;
    if gate.is_open() {
        Ok(())
    } else {
        Err(AppError::PaymentGateClosed(gate.missing))
    }
}

// ---- tariffs and debts -----------------------------------------------------------------------

/// The tariff valid on `on_date` (YYYY-MM-DD): its id and amount in cents.
pub async fn tariff(
    db: &Db,
    fee: FeeKind,
    class: ProviderClass,
    case: TariffCase,
    on_date: &str,
) -> Result<Option<(String, i64)>, AppError> {
    Ok(store::tariffs::in_force(db.pool(), fee, class, case, on_date).await?.map(|t| (t.id, t.amount_cents)))
}

/// A ledger debt as the browser shows it.
pub fn debt_view(debt: &Debt) -> DebtView {
    DebtView {
        id: debt.id.clone(),
        fee_kind: debt.fee_kind,
        causale: debt.causale.clone(),
        amount_cents: debt.amount_cents,
        due_date: debt.due_date.clone(),
        state: debt.state,
        iuv: debt.iuv.clone(),
        iur: debt.iur.clone(),
        paid_at: debt.paid_at.clone(),
        paid_channel: debt.paid_channel,
    }
}

/// The provider's debts in a state, oldest first (the order carts are paid in).
pub async fn debts_of_provider(db: &Db, provider_id: &str, state: DebtState) -> Result<Vec<DebtView>, AppError> {
    Ok(store::debts::of_provider_in_state(db, provider_id, state).await?.iter().map(debt_view).collect())
}

/// The debts of a request, except annulled ones.
pub async fn debts_of_request(db: &Db, request_id: &str) -> Result<Vec<DebtView>, AppError> {
    Ok(store::debts::of_request(db, request_id)
        .await?
        .iter()
        .filter(|d| d.state != DebtState::Annullato)
        .map(debt_view)
        .collect())
}

/// Creates a debt (for fees other than the request's first-year fee, e.g. per-event
/// contributions), with the amount from the tariff table in force today.
pub async fn create_debt(
    db: &Db,
    provider: &ProviderView,
    fee: FeeKind,
    case: TariffCase,
    causale: &str,
    due_date: Option<&str>,
) -> Result<Option<String>, AppError> {
    let today = crate::domain::dates::date_text(crate::domain::dates::today());
    let Some((tariff_id, cents)) = tariff(db, fee, provider.provider_class, case, &today).await? else {
        return Err(internal(format!(
            "no tariff for {} {} {}",
            fee.as_db(),
            provider.provider_class.as_db(),
            case.as_db()
        )));
    };
    if cents == 0 {
        return Ok(None);
    }
    let new = NewDebt {
        provider_id: &provider.id,
        request_id: None,
        event_id: None,
        fee_kind: fee,
        tariff_id: Some(&tariff_id),
        causale,
        amount_cents: cents,
        due_date,
        reference_year: None,
    };
    let mut tx = store::begin_write(db).await?;
    let id = store::debts::insert(&mut tx, &new, "system", "dovuto creato").await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(id)
}

// ---- pages --------------------------------------------------------------------------------

fn payer_view(provider: &ProviderView) -> PayerView {
    let partita_iva = Some(provider.form.partita_iva.as_str());
    let (kind, id_code) = payer_identity(&provider.form.codice_fiscale, partita_iva);
    PayerView { name: provider.form.denominazione.clone(), kind, id_code, email: provider.form.email.clone() }
}

/// The cart page: debts to pay in carts of at most five, open attempts, a fresh idempotency key.
/// Reading only: the fees exist already (created by the draft, the censimento, the events and
/// the daily pass), so loading a page never changes what a provider owes.
pub async fn cart_page(
    db: &Db,
    available: bool,
    provider: &ProviderView,
    request: Option<&RequestView>,
) -> Result<CartPage, AppError> {
    if request.is_some_and(|r| r.state == RequestState::Bozza) {
        payment_gate_open(db, provider).await?;
    }
    let due = debts_of_provider(db, &provider.id, DebtState::DaPagare).await?;
    let (open, notices): (Vec<AttemptView>, Vec<AttemptView>) = attempts_of_provider(db, &provider.id)
        .await?
        .into_iter()
        .filter(|a| a.state.is_open() || (a.kind == AttemptKind::Avviso && a.state == AttemptState::Anomalia))
        .partition(|a| a.kind == AttemptKind::Carrello);
    let open_attempts = open
        .into_iter()
        .map(|a| AttemptSummary {
            id: a.id,
            state: a.state,
            id_session: a.id_session,
            total_cents: a.total_cents,
            created_at: a.created_at,
        })
        .collect();
    let notices = notices
        .into_iter()
        .map(|a| {
            let line = a.debts.first();
            NoticeView {
                causale: line.map(|l| l.causale.clone()).unwrap_or_default(),
                amount_cents: a.total_cents,
                attempt_id: a.id,
                state: a.state,
                notice_number: a.notice_number,
                iuv: a.iuv,
                created_at: a.created_at,
            }
        })
        .collect();
    let treasury_channel =
        store::providers::by_id(db, &provider.id).await?.is_some_and(|p| p.treasury_channel_enabled());
    Ok(CartPage {
        available,
        payer: payer_view(provider),
        carts: split_into_carts(&due),
        due,
        open_attempts,
        idempotency_key: new_id(),
        treasury_channel,
        notices,
        notice_key: new_id(),
    })
}

/// The payment position of the provider's current request (home page, stepper). Reading only.
pub async fn summary(db: &Db, available: bool, request: Option<&RequestView>) -> Result<PaymentSummary, AppError> {
    let Some(request) = request else {
        return Ok(PaymentSummary { available, request_debts: vec![], request_paid: false });
    };
    let debts = debts_of_request(db, &request.id).await?;
    let request_paid = debts.iter().all(|d| d.state == DebtState::Pagato);
    Ok(PaymentSummary { available, request_debts: debts, request_paid })
}

// ---- attempts: reading -----------------------------------------------------------------------

/// Every attempt of a provider, newest first.
pub async fn attempts_of_provider(db: &Db, provider_id: &str) -> Result<Vec<AttemptView>, AppError> {
    Ok(store::attempts::of_provider(db, provider_id).await?)
}

/// The attempts that carried a debt, newest first: (id, state, created at).
pub async fn attempts_of_debt(db: &Db, debt_id: &str) -> Result<Vec<store::attempts::AttemptOfDebt>, AppError> {
    Ok(store::attempts::of_debt(db, debt_id).await?)
}

/// Who may see an attempt: the Segreteria, or a user of the provider that owns it.
pub(crate) async fn check_owner(db: &Db, actor: &CurrentUser, provider_id: &str) -> Result<(), AppError> {
    if actor.role == Role::Segreteria {
        return Ok(());
    }
    let owner = store::providers::owner(db, provider_id).await?;
    if owner.as_deref() == Some(actor.id.as_str()) {
        Ok(())
    } else {
        tracing::warn!(user_id = %actor.id, provider_id, "access refused: payment of another provider");
        Err(AppError::Forbidden)
    }
}

// ---- state changes ----------------------------------------------------------------------------

/// The attempt machine, plus the Segreteria's re-check of an anomaly ("Verifica ora"), which
/// may resolve it the way a fresh answer from MyPay would: paid, or closed with the debts given
/// back. The store's writer ([`store::attempts::transition`]) enforces it.
fn transition_allowed(from: AttemptState, to: AttemptState, anomaly_recheck: bool) -> bool {
    store::attempts::allowed(from, to, anomaly_recheck)
}

/// Closes an open attempt without payment: its debts go back to DA_PAGARE and leave the attempt.
pub(crate) async fn release(
    db: &Db,
    attempt_id: &str,
    actor: &str,
    from: AttemptState,
    to: AttemptState,
    detail: &str,
) -> Result<bool, AppError> {
    release_ex(db, attempt_id, actor, from, to, detail, false).await
}

/// The end of an attempt MyPay never took (it refused the request, or could not be reached
/// before sending): CREATA → ERRORE with `detail`, its debts given back, and `error` for the
/// provider.
pub(crate) async fn never_sent<T>(
    db: &Db,
    attempt_id: &str,
    actor: &str,
    detail: &str,
    error: AppError,
) -> Result<T, AppError> {
    release(db, attempt_id, actor, AttemptState::Creata, AttemptState::Errore, detail).await?;
    Err(error)
}

/// [`release`], also for the Segreteria's re-check of an anomaly.
async fn release_ex(
    db: &Db,
    attempt_id: &str,
    actor: &str,
    from: AttemptState,
    to: AttemptState,
    detail: &str,
    anomaly_recheck: bool,
) -> Result<bool, AppError> {
    let mut tx = store::begin_write(db).await?;
    if !store::attempts::transition(&mut tx, attempt_id, from, to, anomaly_recheck, actor, detail).await? {
        return Ok(false);
    }
    let claimed = store::attempts::claimed_debts_in(&mut tx, attempt_id).await?;
    let reason = format!("carrello {attempt_id} chiuso senza pagamento: {detail}");
    for debt_id in &claimed {
        store::debts::set_state(&mut tx, debt_id, DebtState::InCorso, Change::GiveBack, actor, &reason).await?;
    }
    store::attempts::release_lines(&mut tx, attempt_id).await?;
    tx.commit().await.map_err(internal)?;
    Ok(true)
}

/// Marks an attempt ANOMALIA: debts stay as they are (IN_CORSO for an open attempt), the
/// Segreteria must look. On an attempt already in ANOMALIA (the Segreteria's re-check) the
/// finding is recorded as an event and the attempt stays as it is.
pub(crate) async fn anomaly(
    db: &Db,
    attempt_id: &str,
    actor: &str,
    from: AttemptState,
    detail: &str,
) -> Result<bool, AppError> {
    if from == AttemptState::Anomalia {
        // Recorded only while it is still an anomaly (a concurrent check may have resolved it).
        store::attempts::note_still_anomaly(db, attempt_id, actor, &format!("verifica: resta in anomalia ({detail})"))
            .await?;
        return Ok(false);
    }
    let moved = store::attempts::transition_now(db, attempt_id, from, AttemptState::Anomalia, actor, detail).await?;
    if moved {
        tracing::error!(attempt_id, detail, "payment anomaly: the Segreteria must check this attempt");
    }
    Ok(moved)
}

/// Does the receipt pay exactly the attempt's lines (IUD and amount, nothing more)? The gateway
/// checked it already; this is the portal's own second look before money becomes "paid".
fn receipt_matches(receipt: &PaidReceipt, lines: &[AttemptDebtView]) -> bool {
    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
    receipt.total_cents == total
        && receipt.lines.len() == lines.len()
        && lines
            .iter()
            .all(|l| receipt.lines.iter().filter(|p| p.iud == l.iud && p.amount_cents == l.amount_cents).count() == 1)
}

/// Records a verified payment: attempt PAGATA, every debt PAGATO with IUV, IUR and date.
/// Idempotent. A receipt that cannot be applied cleanly (a debt already paid by another
/// attempt, or claimed by a live one) makes the attempt an anomaly instead: never paid twice
/// silently.
/// Records a verified receipt. The attempt was read before MyPay was asked; if another check
/// (the reconciler, the return page, the Segreteria) moved it meanwhile — e.g. INVIATA →
/// IN_ATTESA — the receipt is applied again to the attempt as it is now, so a verified payment
/// is never dropped because of a stale copy.
pub async fn apply_paid(
    db: &Db,
    attempt: &AttemptView,
    actor: &str,
    receipt: &PaidReceipt,
    anomaly_recheck: bool,
) -> Result<(), AppError> {
    const TRIES: usize = 5;
    if apply_paid_once(db, attempt, actor, receipt, anomaly_recheck).await? {
        return Ok(());
    }
    for _ in 1..TRIES {
        let Some(current) = attempt_by_id(db, &attempt.id).await? else {
            return Ok(());
        };
        if apply_paid_once(db, &current, actor, receipt, anomaly_recheck).await? {
            return Ok(());
        }
    }
    tracing::warn!(attempt_id = %attempt.id, "verified receipt not applied: the attempt kept changing; the reconciler asks again");
    Ok(())
}

/// One try of [`apply_paid`] against the attempt as read. `Ok(false)`: the attempt changed
/// since it was read, nothing was written.
async fn apply_paid_once(
    db: &Db,
    attempt: &AttemptView,
    actor: &str,
    receipt: &PaidReceipt,
    anomaly_recheck: bool,
) -> Result<bool, AppError> {
    let from = attempt.state;
    if from == AttemptState::Pagata || !transition_allowed(from, AttemptState::Pagata, anomaly_recheck) {
        return Ok(true);
    }
    if !receipt_matches(receipt, &attempt.debts) {
        return anomaly(db, &attempt.id, actor, from, "ricevuta non corrispondente al carrello").await;
    }
    let mut tx = store::begin_write(db).await?;
    // Open attempt: its debts are IN_CORSO and claimed by it. Late receipt of a closed attempt:
    // its debts went back to DA_PAGARE and must not be claimed by another attempt meanwhile.
    let mut clean = true;
    let mut provider_id = None;
    let reason = format!("pagamento verificato con MyPay: IUV {}", receipt.iuv);
    for line in &attempt.debts {
        let paid = receipt.lines.iter().find(|p| p.iud == line.iud).expect("matched above");
        let Some(debt) = store::debts::by_id_in(&mut tx, &line.debt_id).await? else {
            clean = false;
            break;
        };
        provider_id = Some(debt.provider_id.clone());
        let claim = store::attempts::claimer_in(&mut tx, &line.debt_id).await?;
        let payable = match (debt.state, claim.as_deref()) {
            (DebtState::InCorso, Some(claimer)) => claimer == attempt.id,
            (DebtState::DaPagare, None) => true,
            _ => false,
        };
        if !payable {
            clean = false;
            break;
        }
        let change = Change::Pay { attempt_id: &attempt.id, iuv: &receipt.iuv, iur: &paid.iur, paid_at: &paid.date };
        match store::debts::set_state(&mut tx, &line.debt_id, debt.state, change, actor, &reason).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict(_)) => {
                clean = false;
                break;
            }
            Err(error) => return Err(error.into()),
        }
        store::attempts::line_paid(&mut tx, &attempt.id, &line.debt_id, &paid.iur).await?;
    }
    if !clean {
        tx.rollback().await.map_err(internal)?;
        return anomaly(
            db,
            &attempt.id,
            actor,
            from,
            "pagamento doppio: ricevuta per dovuti già pagati o in pagamento con un altro carrello, la Segreteria deve intervenire",
        )
        .await;
    }
    store::attempts::receipt_data(
        &mut tx,
        &attempt.id,
        &receipt.iuv,
        &receipt.receipt_id,
        &receipt.receipt_date,
        &receipt.psp,
    )
    .await?;
    let detail = format!("pagamento verificato: IUV {}, PSP {}", receipt.iuv, receipt.psp);
    if store::attempts::transition(&mut tx, &attempt.id, from, AttemptState::Pagata, anomaly_recheck, actor, &detail)
        .await?
    {
        // The provider is told in the same transaction: a payment recorded has its mail.
        if let Some(provider_id) = &provider_id {
            let lines: Vec<_> = attempt
                .debts
                .iter()
                .map(|l| PaidLine { causale: l.causale.clone(), amount_cents: l.amount_cents })
                .collect();
            crate::mail::outbox::to_provider(&mut tx, MailKind::PaymentVerified, provider_id, None, |c| {
                payment_verified(LINK_BASE, &c.display_name, &c.denominazione, &receipt.iuv, &lines)
            })
            .await?;
        }
        tx.commit().await.map_err(internal)?;
        tracing::info!(attempt_id = %attempt.id, iuv = %receipt.iuv, "payment verified");
        Ok(true)
    } else {
        // Someone else changed the attempt meanwhile: nothing written, look again.
        tx.rollback().await.map_err(internal)?;
        Ok(false)
    }
}

// ---- decision table (docs/mypay.md §8) --------------------------------------------------------

/// What to do with an attempt after asking the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Verified: mark paid (idempotently).
    MarkPaid(PaidReceipt),
    /// Not paid: close the attempt in this state and give the debts back (retry = fresh IUDs).
    Release(AttemptState, String),
    /// Never resolved automatically: the Segreteria must look. Debts stay IN_CORSO.
    Anomaly(String),
    /// Ask again later (the cart is still open, or the answer was unusable).
    Wait(String),
}

/// The decision table. `session_age` is the time since the cart was sent.
pub fn decide(outcome: CheckOutcome, session_age: Duration) -> Decision {
    match outcome {
        CheckOutcome::Paid(receipt) => Decision::MarkPaid(receipt),
        CheckOutcome::NotPaid { detail } => {
            Decision::Release(AttemptState::NonPagata, format!("pagamento non eseguito: {detail}"))
        }
        CheckOutcome::Expired => Decision::Release(AttemptState::Scaduta, "carrello scaduto in MyPay".into()),
        CheckOutcome::Cancelled => Decision::Release(AttemptState::Annullata, "pagamento annullato in MyPay".into()),
        CheckOutcome::AmountMismatch { detail } => Decision::Anomaly(format!("importi non corrispondenti: {detail}")),
        CheckOutcome::Partial { detail } => Decision::Anomaly(format!("pagamento parziale: {detail}")),
        // docs/mypay.md §8: a configuration problem — alert, do not change the attempt (it
        // counts as "no usable answer": ANOMALIA only if it lasts, like a transport error).
        CheckOutcome::CredentialsError => {
            Decision::Wait("credenziali MyPay rifiutate: configurazione da verificare".into())
        }
        CheckOutcome::UnknownSession | CheckOutcome::UnknownDebt if session_age < SESSION_GRACE => {
            Decision::Wait("sessione non ancora nota a MyPay".into())
        }
        CheckOutcome::UnknownSession | CheckOutcome::UnknownDebt => {
            Decision::Anomaly("sessione sconosciuta a MyPay".into())
        }
        CheckOutcome::Pending => Decision::Wait("pagamento in corso".into()),
        CheckOutcome::TransportError { detail } => Decision::Wait(format!("esito sconosciuto: {detail}")),
    }
}

/// The decision table for a cart whose send got no answer (no idSession), asked about by IUD
/// (docs/mypay.md §7.1): `PAA_IUD_NON_VALIDO` means never checked out, and since nobody ever got
/// its URL nobody can check it out later: once a send still in flight can no longer be waiting
/// for its answer ([`UNSENT_GRACE`]) the debts are given back. Every other answer means what it
/// means for a session.
pub fn decide_unsent(outcome: CheckOutcome, age: Duration) -> Decision {
    match outcome {
        CheckOutcome::UnknownDebt if age < UNSENT_GRACE => {
            Decision::Wait("carrello non (ancora) aperto in MyPay".into())
        }
        CheckOutcome::UnknownDebt => {
            Decision::Release(AttemptState::Scaduta, "invio senza risposta: carrello mai consegnato all'utente".into())
        }
        other => decide(other, age),
    }
}

pub(crate) fn age_of(created_at: &str) -> Duration {
    let parsed = time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339);
    parsed.map_or(Duration::ZERO, |at| {
        let age = time::OffsetDateTime::now_utc() - at;
        Duration::from_secs(u64::try_from(age.whole_seconds()).unwrap_or(0))
    })
}

/// What one check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The gateway was asked.
    pub asked: bool,
    /// The answer was unusable (network, SOAP fault, system error, credentials refused).
    pub transport_error: bool,
}

/// Asks the gateway about one attempt and applies the decision table. Open attempts are asked
/// by idSession, or by IUD when the send never got an answer; attempts closed without payment
/// only learn of late receipts; PAGATA ones without a stored receipt get it fetched. ANOMALIA is
/// asked about only on the Segreteria's re-check (`anomaly_recheck`), which may resolve it.
/// Every transition is a compare-and-set, so concurrent checks apply and record it once.
pub(crate) async fn check_and_apply(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt: &AttemptView,
    actor: &str,
    anomaly_recheck: bool,
) -> Result<CheckReport, AppError> {
    let from = attempt.state;
    let recheck = anomaly_recheck && from == AttemptState::Anomalia;
    let mut report = CheckReport { asked: false, transport_error: false };
    let wanted = from.is_open() || from.can_move_to(AttemptState::Pagata) || recheck;
    let first_iud = attempt.debts.first().map(|d| d.iud.clone());
    // Closed attempts without idSession were never delivered to anyone: nothing to learn.
    let by_iud = attempt.id_session.is_none() && (from == AttemptState::Creata || recheck);
    if wanted && (attempt.id_session.is_some() || (by_iud && first_iud.is_some())) {
        let expected: Vec<ExpectedLine> =
            attempt.debts.iter().map(|d| ExpectedLine { iud: d.iud.clone(), amount_cents: d.amount_cents }).collect();
        let (outcome, rt) = match (&attempt.id_session, &first_iud) {
            (Some(id_session), _) => (gateway.check(id_session, &expected).await, None),
            (None, Some(iud)) => {
                let IudCheck { outcome, receipt } = gateway.check_by_iud(iud, &expected).await;
                (outcome, receipt)
            }
            (None, None) => unreachable!("checked above"),
        };
        let unusable = matches!(outcome, CheckOutcome::TransportError { .. } | CheckOutcome::CredentialsError);
        if outcome == CheckOutcome::CredentialsError {
            tracing::error!(attempt_id = %attempt.id, "MyPay refused the portal's credentials (PAA_ENTE_NON_VALIDO): check the MyPay settings");
        }
        report = CheckReport { asked: true, transport_error: unusable };
        let now = now_utc();
        store::attempts::record_check(db, &attempt.id, &now, outcome.label(), report.transport_error).await?;
        let age = age_of(&attempt.created_at);
        let decision = if attempt.id_session.is_none() { decide_unsent(outcome, age) } else { decide(outcome, age) };
        match decision {
            Decision::MarkPaid(receipt) => {
                apply_paid(db, attempt, actor, &receipt, recheck).await?;
                if let Some(bytes) = rt {
                    store_receipt(db, &attempt.id, bytes).await?;
                }
            }
            Decision::Release(to, detail) if recheck => {
                release_ex(db, &attempt.id, actor, from, to, &format!("verifica della Segreteria: {detail}"), true)
                    .await?;
            }
            Decision::Anomaly(detail) | Decision::Wait(detail) if recheck => {
                anomaly(db, &attempt.id, actor, from, &detail).await?;
            }
            // A closed attempt only learns of late receipts; other answers leave it as it is.
            _ if !from.is_open() => {}
            Decision::Release(to, detail) => {
                release(db, &attempt.id, actor, from, to, &detail).await?;
            }
            Decision::Anomaly(detail) => {
                anomaly(db, &attempt.id, actor, from, &detail).await?;
            }
            Decision::Wait(detail) if from == AttemptState::Inviata => {
                store::attempts::transition_now(db, &attempt.id, from, AttemptState::InAttesa, actor, &detail).await?;
            }
            Decision::Wait(_) => {}
        }
    }
    fetch_receipt_if_missing(db, gateway, &attempt.id).await?;
    Ok(report)
}

pub(crate) async fn store_receipt(db: &Db, attempt_id: &str, bytes: Vec<u8>) -> Result<(), AppError> {
    Ok(store::attempts::store_receipt(db, attempt_id, bytes).await?)
}

/// Once paid, fetches the RT with `paaSILChiediPagatiConRicevuta` (by idSession, or by IUD for
/// a cart whose send got no answer) and stores it (retried on every later verification until
/// it is there).
pub(crate) async fn fetch_receipt_if_missing(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt_id: &str,
) -> Result<(), AppError> {
    let Some(id_session) = store::attempts::paid_without_receipt(db, attempt_id).await? else {
        return Ok(());
    };
    let outcome = match id_session {
        Some(id_session) => gateway.receipt(&id_session).await,
        None => {
            let debts = store::attempts::lines(db, attempt_id).await?;
            let Some(first) = debts.first() else { return Ok(()) };
            let expected: Vec<ExpectedLine> =
                debts.iter().map(|d| ExpectedLine { iud: d.iud.clone(), amount_cents: d.amount_cents }).collect();
            match gateway.check_by_iud(&first.iud, &expected).await {
                IudCheck { receipt: Some(bytes), .. } => ReceiptOutcome::Receipt { bytes },
                IudCheck { outcome, .. } => ReceiptOutcome::NotAvailable { detail: outcome.label().into() },
            }
        }
    };
    match outcome {
        ReceiptOutcome::Receipt { bytes } => store_receipt(db, attempt_id, bytes).await?,
        ReceiptOutcome::NotAvailable { detail } | ReceiptOutcome::TransportError { detail } => {
            tracing::warn!(attempt_id, %detail, "receipt not available yet");
        }
    }
    Ok(())
}

/// The return page's verification: find the attempt of `id_session` (only its provider or the
/// Segreteria), note what the browser reported (informational), ask MyPay, apply the table.
///
/// MyPay is asked at most once per `min_interval` per attempt (the return page reloaded, a
/// double click on «Verifica», 25 calls at once: one SOAP call); within it the answer is the
/// recorded state. The browser's `esito` is recorded once, on the first return, which is
/// always answered by MyPay.
pub async fn verify_session(
    db: &Db,
    gateway: Option<&dyn PaymentGateway>,
    actor: &CurrentUser,
    id_session: &str,
    esito: Option<&str>,
    min_interval: Duration,
) -> Result<AttemptView, AppError> {
    let Some(found) = store::attempts::by_session(db, id_session).await? else {
        return Err(AppError::UnknownPaymentSession);
    };
    check_owner(db, actor, &found.provider_id).await?;
    let attempt = found.view;
    // The browser's first return from MyPay: recorded once, and always answered by MyPay (a
    // provider who has just paid must see it paid, even if the reconciler asked a moment
    // before the payment).
    let first_return = match esito.filter(|e| matches!(*e, "OK" | "ERROR")) {
        Some(esito) if attempt.esito_ritorno.is_none() => {
            store::attempts::set_esito_ritorno(db, &attempt.id, esito).await?
        }
        _ => false,
    };
    if let Some(gateway) = gateway {
        let now = time::OffsetDateTime::now_utc();
        let cutoff = crate::db::format_utc(now - min_interval);
        if first_return
            || store::attempts::claim_user_check(db, &attempt.id, &crate::db::format_utc(now), &cutoff).await?
        {
            check_and_apply(db, gateway, &attempt, &actor.id, false).await?;
        } else {
            tracing::debug!(attempt_id = %attempt.id, "verification answered from the recorded state (checked moments ago)");
        }
    }
    attempt_by_id(db, &attempt.id).await?.ok_or_else(|| internal("attempt vanished"))
}

/// The Segreteria's "Verifica ora" on one attempt: asks MyPay now (by idSession, or by IUD for a
/// send without answer) and applies the decision table; on an ANOMALIA it re-applies it (paid
/// and matching → PAGATA; not paid, expired or cancelled → debts given back; otherwise it stays
/// an anomaly, with the finding recorded).
pub async fn verify_attempt_now(
    db: &Db,
    gateway: &dyn PaymentGateway,
    actor: &CurrentUser,
    attempt_id: &str,
) -> Result<CheckReport, AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let attempt = attempt_by_id(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    check_and_apply(db, gateway, &attempt, &actor.id, true).await
}

/// One attempt by id (no ownership check: callers check).
pub async fn attempt_by_id(db: &Db, attempt_id: &str) -> Result<Option<AttemptView>, AppError> {
    Ok(store::attempts::by_id(db, attempt_id).await?.map(|a| a.view))
}

// ---- paying -----------------------------------------------------------------------------------

pub(crate) fn valid_key(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(crate) fn cart_payer(provider: &ProviderView, email: &str) -> CartPayer {
    let f = &provider.form;
    let (kind, id_code) = payer_identity(&f.codice_fiscale, Some(&f.partita_iva));
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    CartPayer {
        kind,
        id_code,
        name: f.denominazione.clone(),
        address: text(&f.via),
        civic_number: text(&f.civico),
        postal_code: text(&f.cap),
        city: text(&f.comune),
        province: text(&f.provincia.to_ascii_uppercase()),
        email: text(email),
    }
}

/// Claims the idempotency key `key` with a new CREATA attempt of `kind`, in a write transaction
/// the caller goes on with (its debts, its creation event) and commits. `None`: the key was used
/// already, nothing was written.
pub(crate) async fn open_attempt(
    db: &Db,
    actor: &CurrentUser,
    provider: &ProviderView,
    key: &str,
    payer_email: &Email,
    kind: AttemptKind,
) -> Result<Option<(String, store::Tx)>, AppError> {
    if !valid_key(key) {
        return Err(AppError::Invalid(crate::domain::FieldError::new(
            "idempotency_key",
            crate::domain::FieldRule::Required,
        )));
    }
    let attempt_id = new_id();
    let now = now_utc();
    let mut tx = store::begin_write(db).await?;
    let new = store::attempts::NewAttempt {
        id: &attempt_id,
        provider_id: &provider.id,
        created_by: &actor.id,
        idempotency_key: key,
        payer_email: payer_email.as_str(),
        now: &now,
        kind,
    };
    if !store::attempts::insert(&mut tx, &new).await? {
        tx.rollback().await.map_err(internal)?;
        return Ok(None);
    }
    Ok(Some((attempt_id, tx)))
}

/// "Paga con pagoPA". Intent before effect: in one transaction the idempotency key is claimed,
/// the attempt is created (CREATA) with fresh IUDs and its debts move DA_PAGARE → IN_CORSO;
/// only then is the cart sent. A replay of the key returns the stored answer and never sends a
/// second cart.
pub async fn pay(
    db: &Db,
    gateway: &dyn PaymentGateway,
    actor: &CurrentUser,
    provider: &ProviderView,
    key: &str,
    debt_ids: &[String],
    payer_email: &Email,
) -> Result<PayAnswer, AppError> {
    if !valid_key(key) {
        return Err(AppError::Invalid(crate::domain::FieldError::new(
            "idempotency_key",
            crate::domain::FieldRule::Required,
        )));
    }
    let mut unique = debt_ids.to_vec();
    unique.sort();
    unique.dedup();
    if debt_ids.is_empty() || debt_ids.len() > MAX_DEBTS_PER_CART || unique.len() != debt_ids.len() {
        return Err(AppError::WrongState);
    }
    let Some((attempt_id, mut tx)) = open_attempt(db, actor, provider, key, payer_email, AttemptKind::Carrello).await?
    else {
        return replay(db, provider, key).await;
    };
    let mut lines = Vec::with_capacity(debt_ids.len());
    for debt_id in debt_ids {
        let Some(debt) = store::debts::by_id_in(&mut tx, debt_id).await? else {
            return Err(AppError::NotFound);
        };
        if debt.provider_id != provider.id {
            return Err(AppError::NotFound);
        }
        match debt.state {
            DebtState::DaPagare => {}
            DebtState::InCorso => return Err(AppError::PaymentInProgress),
            _ => return Err(AppError::WrongState),
        }
        let reason = format!("nel carrello {attempt_id}");
        match store::debts::set_state(&mut tx, debt_id, DebtState::DaPagare, Change::Claim, &actor.id, &reason).await {
            Ok(()) => {}
            Err(store::StoreError::Conflict(_)) => return Err(AppError::PaymentInProgress),
            Err(error) => return Err(error.into()),
        }
        let line = CartLine {
            iud: iud_for(debt_id, &attempt_id),
            amount_cents: debt.amount_cents,
            causale: debt.causale,
            fee_kind: debt.fee_kind,
        };
        match store::attempts::add_line(&mut tx, &attempt_id, debt_id, &line.iud, line.amount_cents, &line.causale)
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::Conflict(_)) => return Err(AppError::PaymentInProgress),
            Err(error) => return Err(error.into()),
        }
        lines.push(line);
    }
    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
    let detail = format!("{} dovuti, totale {total} centesimi", lines.len());
    store::attempts::created(&mut tx, &attempt_id, total, &actor.id, &detail).await?;
    tx.commit().await.map_err(internal)?;

    let cart = CartRequest { payer: cart_payer(provider, payer_email.as_str()), lines };
    match gateway.send_cart(&cart).await {
        SendOutcome::Accepted { id_session, url } => {
            let moved =
                store::attempts::sent(db, &attempt_id, &id_session, &url, &actor.id, "carrello accettato da MyPay")
                    .await?;
            if !moved {
                return Ok(PayAnswer::Verifying { attempt_id });
            }
            Ok(PayAnswer::Redirect { attempt_id, url })
        }
        SendOutcome::Rejected { code, message } => {
            tracing::error!(%attempt_id, %code, %message, "MyPay refused the cart");
            never_sent(
                db,
                &attempt_id,
                &actor.id,
                &format!("carrello rifiutato da MyPay: {code}"),
                AppError::PaymentRejected,
            )
            .await
        }
        SendOutcome::TransportError { maybe_received: false, detail, .. } => {
            tracing::error!(%attempt_id, %detail, "the cart could not be sent to MyPay");
            never_sent(
                db,
                &attempt_id,
                &actor.id,
                "MyPay non raggiungibile: carrello non inviato",
                AppError::PaymentGatewayDown,
            )
            .await
        }
        SendOutcome::TransportError { detail, .. } => {
            // The cart may exist in MyPay, but nobody has its URL: keep the debts claimed and
            // let the reconciler close the attempt (by IUD lookup, after UNSENT_GRACE).
            tracing::warn!(%attempt_id, %detail, "no answer from MyPay to InviaDovuti: outcome unknown");
            store::attempts::send_unknown(db, &attempt_id).await?;
            Ok(PayAnswer::Verifying { attempt_id })
        }
    }
}

/// The stored answer for an idempotency key already used: the same MyPay URL while the attempt
/// is open (waiting a little for the first request's answer), or its outcome.
async fn replay(db: &Db, provider: &ProviderView, key: &str) -> Result<PayAnswer, AppError> {
    let started = std::time::Instant::now();
    loop {
        let keyed = store::attempts::by_key(db, key)
            .await?
            .ok_or_else(|| internal("idempotency key claimed but no attempt"))?;
        if keyed.provider_id != provider.id {
            return Err(AppError::Forbidden);
        }
        let (attempt_id, state, url, last) = (keyed.id, keyed.state, keyed.redirect_url, keyed.last_outcome);
        match (state, url) {
            (s, Some(url)) if s.is_open() => return Ok(PayAnswer::Redirect { attempt_id, url }),
            (AttemptState::Creata, None) if last.is_none() && started.elapsed() < REPLAY_WAIT => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            (s, _) if s.is_open() => return Ok(PayAnswer::Verifying { attempt_id }),
            (AttemptState::Errore, _) => return Err(AppError::PaymentRejected),
            (state, _) => return Ok(PayAnswer::Closed { attempt_id, state }),
        }
    }
}

// ---- receipt ----------------------------------------------------------------------------------

/// The stored RT of an attempt, for its provider or the Segreteria.
pub async fn receipt(db: &Db, actor: &CurrentUser, attempt_id: &str) -> Result<(String, Vec<u8>), AppError> {
    let found = store::attempts::receipt(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    check_owner(db, actor, &found.provider_id).await?;
    let iuv = found.iuv;
    let bytes = found.receipt.ok_or(AppError::NotFound)?;
    Ok((format!("ricevuta-{}.xml", iuv.unwrap_or_else(|| attempt_id.to_string())), bytes))
}

/// `GET /api/payments/{attempt}/ricevuta`: the RT as a download. Ownership is checked here.
pub async fn receipt_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(attempt_id): axum::extract::Path<String>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    crate::accounts::session::download(state, &headers, |state, user| async move {
        let (name, bytes) = receipt(&state.db, &user, &attempt_id).await?;
        Ok(crate::state::Download::xml(name, bytes))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::gateway::PaidLine;

    fn receipt() -> PaidReceipt {
        PaidReceipt {
            iuv: "RF12345".into(),
            receipt_id: "R1".into(),
            receipt_date: "2026-11-27T10:00:00".into(),
            total_cents: 25822,
            lines: vec![PaidLine {
                iud: "ECM-a-b".into(),
                amount_cents: 25822,
                iur: "IUR1".into(),
                date: "2026-11-27".into(),
            }],
            psp: "PSP".into(),
        }
    }

    #[test]
    fn decision_table_follows_sil_reference_section_8() {
        let young = Duration::from_secs(60);
        let old = SESSION_GRACE + Duration::from_secs(1);
        assert_eq!(decide(CheckOutcome::Paid(receipt()), young), Decision::MarkPaid(receipt()));
        assert!(matches!(
            decide(CheckOutcome::NotPaid { detail: "1".into() }, young),
            Decision::Release(AttemptState::NonPagata, _)
        ));
        assert!(matches!(decide(CheckOutcome::Expired, young), Decision::Release(AttemptState::Scaduta, _)));
        assert!(matches!(decide(CheckOutcome::Cancelled, young), Decision::Release(AttemptState::Annullata, _)));
        assert!(matches!(decide(CheckOutcome::Pending, old), Decision::Wait(_)));
        assert!(matches!(decide(CheckOutcome::TransportError { detail: "x".into() }, old), Decision::Wait(_)));
        assert!(matches!(decide(CheckOutcome::AmountMismatch { detail: "x".into() }, young), Decision::Anomaly(_)));
        assert!(matches!(decide(CheckOutcome::Partial { detail: "2".into() }, young), Decision::Anomaly(_)));
        assert!(matches!(decide(CheckOutcome::CredentialsError, old), Decision::Wait(_)));
        assert!(matches!(decide(CheckOutcome::UnknownSession, young), Decision::Wait(_)));
        assert!(matches!(decide(CheckOutcome::UnknownSession, old), Decision::Anomaly(_)));
    }

    #[test]
    fn a_send_without_answer_is_given_back_only_once_nobody_can_pay_it() {
        let young = Duration::from_secs(60);
        let old = UNSENT_GRACE + Duration::from_secs(1);
        assert!(matches!(decide_unsent(CheckOutcome::UnknownDebt, young), Decision::Wait(_)));
        assert!(matches!(decide_unsent(CheckOutcome::UnknownDebt, old), Decision::Release(AttemptState::Scaduta, _)));
        assert!(matches!(decide_unsent(CheckOutcome::Pending, old), Decision::Wait(_)));
        assert_eq!(decide_unsent(CheckOutcome::Paid(receipt()), old), Decision::MarkPaid(receipt()));
        assert!(matches!(decide_unsent(CheckOutcome::Cancelled, young), Decision::Release(AttemptState::Annullata, _)));
    }

    #[test]
    fn only_the_segreteria_recheck_may_resolve_an_anomaly() {
        use AttemptState::*;
        assert!(!transition_allowed(Anomalia, Pagata, false));
        assert!(transition_allowed(Anomalia, Pagata, true));
        assert!(transition_allowed(Anomalia, NonPagata, true));
        assert!(!transition_allowed(Anomalia, Inviata, true));
        assert!(!transition_allowed(Pagata, NonPagata, true));
    }

    #[test]
    fn a_receipt_must_pay_exactly_the_attempt_lines() {
        let line = |iud: &str, cents| AttemptDebtView {
            debt_id: "d".into(),
            iud: iud.into(),
            causale: "c".into(),
            fee_kind: FeeKind::QuotaAnnuale,
            amount_cents: cents,
            iur: None,
            debt_state: DebtState::InCorso,
        };
        assert!(receipt_matches(&receipt(), &[line("ECM-a-b", 25822)]));
        assert!(!receipt_matches(&receipt(), &[line("ECM-a-b", 25823)]));
        assert!(!receipt_matches(&receipt(), &[line("ECM-a-c", 25822)]));
        assert!(!receipt_matches(&receipt(), &[line("ECM-a-b", 25822), line("ECM-a-c", 1)]));
    }

    #[test]
    fn idempotency_keys_are_checked() {
        assert!(valid_key(&new_id()));
        assert!(!valid_key("short"));
        assert!(!valid_key(&format!("{}'; DROP", new_id())));
    }
}
