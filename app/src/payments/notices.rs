//! pagoPA notices (avvisi di pagamento): a debt imported into MyPay with `paaSILImportaDovuto`
//! and paid later, by anyone, at any pagoPA channel (home banking, CBILL, a PSP, app IO) with
//! the notice number. Compiled with `ssr` only; the facts are in `docs/channels.md` ("Notices")
//! and `docs/mypay-avvisi.md`.
//!
//! A notice is a payment attempt of kind [`AttemptKind::Avviso`] with one line: it holds its
//! debt (IN_CORSO) through the same attempt machine, writer and reconciler as a cart, so a
//! debt is never both in an open cart and behind an active notice.
//!
//! - **Issue** ([`issue`]): intent before effect. In one transaction the idempotency key is
//!   claimed, the attempt is created (CREATA) with a fresh IUD and the debt is claimed; only
//!   then is MyPay called. The import is not idempotent (a repeat burns a new IUV and answers
//!   `PAA_IMPORT_IUD_DUPLICATO`), so an import without an answer is never simply repeated: the
//!   reconciler recovers it ([`check`]).
//! - **Recover** a CREATA notice older than [`ISSUE_GRACE`]: import again with the same IUD; if
//!   MyPay answers that the IUD exists (the first import did arrive), cancel it with action `A`
//!   and import again. Nobody ever saw that first notice's number, so nobody can have paid it.
//! - **Learn** the payment: `paaSILChiediPagatiConRicevuta` by IUD, with the reconciler's
//!   back-off, for as long as the notice is open; a verified receipt pays the debt exactly as
//!   a cart's does (same checks, same receipt, same unlocking).
//! - **Cancel** ([`cancel`]): "Paga online" on a debt behind a notice first cancels the notice
//!   (action `A`), then the debt is payable in a cart; so does the Segreteria's annulment. A
//!   notice MyPay no longer holds may have been paid: it is asked by IUD before anything is
//!   given back.

use std::time::Duration;

use super::gateway::{
    CancelNoticeOutcome, CartLine, CheckOutcome, ExpectedLine, IssueOutcome, IudCheck, NoticePdfOutcome, NoticeRequest,
    OfflinePayment, PaymentGateway, RecordOfflineOutcome,
};
use super::model::{iud_for, AttemptKind, AttemptState, AttemptView, DebtState};
use super::service::{
    anomaly, apply_paid, attempt_by_id, cart_payer, check_owner, fetch_receipt_if_missing, never_sent, open_attempt,
    release, store_receipt, CheckReport,
};
use crate::accounts::CurrentUser;
use crate::db::{now_utc, Db};
use crate::domain::Email;
use crate::error::internal;
use crate::error::AppError;
use crate::providers::model::ProviderView;
use crate::store;
use crate::store::debts::Change;

/// How long a notice whose import got no answer is left alone before it is recovered: longer
/// than any import still in flight (`ECM_MYPAY_TIMEOUT_SECONDS` is capped at 120 s).
pub const ISSUE_GRACE: Duration = Duration::from_secs(3 * 60);

/// What issuing a notice led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueAnswer {
    /// Issued: number, IUV and PDF are stored.
    Issued { attempt_id: String },
    /// MyPay's answer is not known yet: the reconciler completes it (never twice).
    Preparing { attempt_id: String },
}

/// "Genera avviso pagoPA" for one debt of the provider.
pub async fn issue(
    db: &Db,
    gateway: &dyn PaymentGateway,
    actor: &CurrentUser,
    provider: &ProviderView,
    key: &str,
    debt_id: &str,
    payer_email: &Email,
) -> Result<IssueAnswer, AppError> {
    let Some((attempt_id, mut tx)) = open_attempt(db, actor, provider, key, payer_email, AttemptKind::Avviso).await?
    else {
        // A repeated submission (double click, reload): the notice of the first one.
        let keyed = store::attempts::by_key(db, key)
            .await?
            .ok_or_else(|| internal("idempotency key claimed but no attempt"))?;
        if keyed.provider_id != provider.id {
            return Err(AppError::Forbidden);
        }
        return Ok(match keyed.state {
            AttemptState::Creata => IssueAnswer::Preparing { attempt_id: keyed.id },
            AttemptState::Errore => return Err(AppError::NoticeRejected),
            _ => IssueAnswer::Issued { attempt_id: keyed.id },
        });
    };
    let debt = store::debts::by_id_in(&mut tx, debt_id)
        .await?
        .filter(|d| d.provider_id == provider.id)
        .ok_or(AppError::NotFound)?;
    if debt.state != DebtState::DaPagare {
        return Err(AppError::DebtNotPayable(debt.state));
    }
    let reason = format!("avviso pagoPA {attempt_id}");
    match store::debts::set_state(&mut tx, debt_id, DebtState::DaPagare, Change::Claim, &actor.id, &reason).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(_)) => return Err(AppError::DebtNotPayable(DebtState::InCorso)),
        Err(error) => return Err(error.into()),
    }
    let line = CartLine {
        iud: iud_for(debt_id, &attempt_id),
        amount_cents: debt.amount_cents,
        causale: debt.causale,
        fee_kind: debt.fee_kind,
    };
    match store::attempts::add_line(&mut tx, &attempt_id, debt_id, &line.iud, line.amount_cents, &line.causale).await {
        Ok(()) => {}
        Err(store::StoreError::Conflict(_)) => return Err(AppError::DebtNotPayable(DebtState::InCorso)),
        Err(error) => return Err(error.into()),
    }
    store::attempts::created(&mut tx, &attempt_id, line.amount_cents, &actor.id, "avviso pagoPA richiesto").await?;
    tx.commit().await.map_err(internal)?;

    let request = NoticeRequest { payer: cart_payer(provider, payer_email.as_str()), line };
    match gateway.issue_notice(&request).await {
        IssueOutcome::Issued { iuv, notice_number, url } => {
            store::attempts::notice_issued(
                db,
                &attempt_id,
                &iuv,
                &notice_number,
                &url,
                &actor.id,
                &format!("avviso emesso: numero {notice_number}"),
            )
            .await?;
            fetch_pdf_if_missing(db, gateway, &attempt_id).await?;
            tracing::info!(%attempt_id, %iuv, "pagoPA notice issued");
            Ok(IssueAnswer::Issued { attempt_id })
        }
        IssueOutcome::Rejected { code, message } => {
            tracing::error!(%attempt_id, %code, %message, "MyPay refused the notice");
            never_sent(
                db,
                &attempt_id,
                &actor.id,
                &format!("avviso rifiutato da MyPay: {code}"),
                AppError::NoticeRejected,
            )
            .await
        }
        IssueOutcome::TransportError { maybe_received: false, detail } => {
            tracing::error!(%attempt_id, %detail, "the notice could not be sent to MyPay");
            never_sent(
                db,
                &attempt_id,
                &actor.id,
                "MyPay non raggiungibile: avviso non richiesto",
                AppError::PaymentGatewayDown,
            )
            .await
        }
        // A fresh IUD cannot exist in MyPay: treat it as an unknown outcome, recovered later.
        IssueOutcome::AlreadyExists | IssueOutcome::TransportError { .. } => {
            tracing::warn!(%attempt_id, "no usable answer from MyPay to ImportaDovuto: outcome unknown, recovered by the reconciler");
            store::attempts::send_unknown(db, &attempt_id).await?;
            Ok(IssueAnswer::Preparing { attempt_id })
        }
    }
}

/// The MyPay request of a stored notice (its provider's payer data, its one line).
async fn request_of(db: &Db, attempt: &AttemptView, provider_id: &str) -> Result<NoticeRequest, AppError> {
    let provider = crate::providers::service::provider_by_id(db, provider_id)
        .await?
        .ok_or_else(|| internal("notice without provider"))?;
    let email = store::attempts::payer_email(db, &attempt.id).await?.unwrap_or_default();
    let line = attempt.debts.first().ok_or_else(|| internal("notice without line"))?;
    Ok(NoticeRequest {
        payer: cart_payer(&provider, &email),
        line: CartLine {
            iud: line.iud.clone(),
            amount_cents: line.amount_cents,
            causale: line.causale.clone(),
            fee_kind: line.fee_kind,
        },
    })
}

/// Downloads and stores the notice PDF while MyPay still serves it (its URL dies on payment or
/// change). A failure is logged and retried on the next check or download.
async fn fetch_pdf_if_missing(db: &Db, gateway: &dyn PaymentGateway, attempt_id: &str) -> Result<(), AppError> {
    let Some((url, false)) = store::attempts::notice_url(db, attempt_id).await? else {
        return Ok(());
    };
    match gateway.notice_pdf(&url).await {
        NoticePdfOutcome::Pdf(bytes) => store::attempts::store_notice_pdf(db, attempt_id, bytes).await?,
        NoticePdfOutcome::Gone => tracing::warn!(attempt_id, "notice PDF no longer served by MyPay"),
        NoticePdfOutcome::Failed { detail } => tracing::warn!(attempt_id, %detail, "notice PDF not downloaded yet"),
    }
    Ok(())
}

/// Asks MyPay by IUD about a notice's one line and records a verified receipt (the debt paid,
/// the RT stored) before answering with the outcome, so that no caller can drop a payment.
async fn ask_by_iud(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt: &AttemptView,
    iud: &str,
    amount_cents: i64,
    actor: &str,
) -> Result<CheckOutcome, AppError> {
    let expected = [ExpectedLine { iud: iud.to_string(), amount_cents }];
    let IudCheck { outcome, receipt } = gateway.check_by_iud(iud, &expected).await;
    if let CheckOutcome::Paid(paid) = &outcome {
        apply_paid(db, attempt, actor, paid, false).await?;
        if let Some(bytes) = receipt {
            store_receipt(db, &attempt.id, bytes).await?;
        }
    }
    Ok(outcome)
}

/// Imports a CREATA notice whose first import got no answer: again with the same IUD, and if
/// MyPay holds it already, after cancelling it. Returns whether MyPay answered usably.
async fn recover(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt: &AttemptView,
    provider_id: &str,
    actor: &str,
) -> Result<bool, AppError> {
    let request = request_of(db, attempt, provider_id).await?;
    let mut outcome = gateway.issue_notice(&request).await;
    if outcome == IssueOutcome::AlreadyExists {
        // The first import did arrive (PAA_IMPORT_IUD_DUPLICATO): its IUV is unknown to us and
        // its number was never shown, so cancel it and import it again.
        tracing::info!(attempt_id = %attempt.id, "notice IUD already in MyPay: cancelling it to issue it again");
        match gateway.cancel_notice(&request).await {
            CancelNoticeOutcome::Cancelled => outcome = gateway.issue_notice(&request).await,
            CancelNoticeOutcome::NotOpen => {
                // Active but not open: paid (a paid IUD stays taken). Nobody should have had its
                // number, but money is never ignored: a verified receipt pays the debt.
                match ask_by_iud(db, gateway, attempt, &request.line.iud, request.line.amount_cents, actor).await? {
                    CheckOutcome::Paid(_) => return Ok(true),
                    CheckOutcome::AmountMismatch { detail } | CheckOutcome::Partial { detail } => {
                        anomaly(db, &attempt.id, actor, AttemptState::Creata, &format!("avviso ripreso: {detail}"))
                            .await?;
                        return Ok(true);
                    }
                    _ => outcome = gateway.issue_notice(&request).await,
                }
            }
            other => {
                tracing::warn!(attempt_id = %attempt.id, ?other, "cancelling the duplicate notice failed; retried later");
                return Ok(false);
            }
        }
    }
    match outcome {
        IssueOutcome::Issued { iuv, notice_number, url } => {
            store::attempts::notice_issued(
                db,
                &attempt.id,
                &iuv,
                &notice_number,
                &url,
                actor,
                &format!("avviso emesso (ripreso): numero {notice_number}"),
            )
            .await?;
            fetch_pdf_if_missing(db, gateway, &attempt.id).await?;
            Ok(true)
        }
        IssueOutcome::Rejected { code, message } => {
            tracing::error!(attempt_id = %attempt.id, %code, %message, "MyPay refused the notice");
            release(
                db,
                &attempt.id,
                actor,
                AttemptState::Creata,
                AttemptState::Errore,
                &format!("avviso rifiutato da MyPay: {code}"),
            )
            .await?;
            Ok(true)
        }
        IssueOutcome::AlreadyExists | IssueOutcome::TransportError { .. } => Ok(false),
    }
}

/// The reconciler's check of a notice. CREATA: recovered once [`ISSUE_GRACE`] has passed.
/// Open: asked by IUD; a verified receipt pays the debt, a receipt that does not match is an
/// anomaly, anything else waits. Closed without payment (cancelled): asked for a late receipt
/// only (a payment at a PSP that was already under way when the notice was cancelled).
pub(crate) async fn check(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt: &AttemptView,
    actor: &str,
) -> Result<CheckReport, AppError> {
    let from = attempt.state;
    let Some(found) = store::attempts::by_id(db, &attempt.id).await? else {
        return Ok(CheckReport { asked: false, transport_error: false });
    };
    if from == AttemptState::Creata {
        if super::service::age_of(&attempt.created_at) < ISSUE_GRACE {
            return Ok(CheckReport { asked: false, transport_error: false });
        }
        let answered = recover(db, gateway, attempt, &found.provider_id, actor).await?;
        store::attempts::record_check(
            db,
            &attempt.id,
            &now_utc(),
            if answered { "recovered" } else { "recovery_failed" },
            !answered,
        )
        .await?;
        return Ok(CheckReport { asked: true, transport_error: !answered });
    }
    if from.is_open() {
        if let Some(why) = store::attempts::cancel_requested(db, &attempt.id).await? {
            let result = finish_cancel(db, gateway, attempt, &found.provider_id, actor, &why).await;
            let done = matches!(result, Ok(()) | Err(AppError::NoticePaid));
            store::attempts::record_check(
                db,
                &attempt.id,
                &now_utc(),
                if done { "cancelled" } else { "cancel_pending" },
                !done,
            )
            .await?;
            return Ok(CheckReport { asked: true, transport_error: !done });
        }
    }
    let wanted = from.is_open() || from.can_move_to(AttemptState::Pagata);
    let Some(line) = attempt.debts.first().filter(|_| wanted) else {
        fetch_receipt_if_missing(db, gateway, &attempt.id).await?;
        return Ok(CheckReport { asked: false, transport_error: false });
    };
    let outcome = ask_by_iud(db, gateway, attempt, &line.iud, line.amount_cents, actor).await?;
    let unusable = matches!(outcome, CheckOutcome::TransportError { .. } | CheckOutcome::CredentialsError);
    store::attempts::record_check(db, &attempt.id, &now_utc(), outcome.label(), unusable && from.is_open()).await?;
    match outcome {
        CheckOutcome::Paid(_) => {}
        _ if !from.is_open() => {}
        // A treasury payment being recorded for this notice (paaSILRegistraPagamento) shows up
        // as a record of the Ente: the quietanza's acceptance closes the notice.
        CheckOutcome::AmountMismatch { .. } if store::quietanze::live_of_debt(db, &line.debt_id).await? => {}
        CheckOutcome::AmountMismatch { detail } => {
            anomaly(db, &attempt.id, actor, from, &format!("avviso: importi non corrispondenti: {detail}")).await?;
        }
        CheckOutcome::Partial { detail } => {
            anomaly(db, &attempt.id, actor, from, &format!("avviso: pagamento parziale: {detail}")).await?;
        }
        CheckOutcome::UnknownDebt | CheckOutcome::UnknownSession => {
            anomaly(db, &attempt.id, actor, from, "avviso emesso ma sconosciuto a MyPay").await?;
        }
        CheckOutcome::Expired => {
            release(db, &attempt.id, actor, from, AttemptState::Scaduta, "avviso scaduto in MyPay").await?;
        }
        // Not paid yet (or a payment failed: the notice stays payable), or no usable answer.
        CheckOutcome::Pending
        | CheckOutcome::NotPaid { .. }
        | CheckOutcome::Cancelled
        | CheckOutcome::CredentialsError
        | CheckOutcome::TransportError { .. } => {
            fetch_pdf_if_missing(db, gateway, &attempt.id).await?;
        }
    }
    fetch_receipt_if_missing(db, gateway, &attempt.id).await?;
    Ok(CheckReport { asked: true, transport_error: unusable })
}

/// Cancels an issued notice in MyPay and gives its debt back (DA_PAGARE), so that it can be
/// paid online, by quietanza, or annulled. The provider who owns it or the Segreteria.
/// A notice MyPay no longer holds is asked about by IUD first: if it was paid, the payment is
/// recorded and [`AppError::NoticePaid`] answered.
pub async fn cancel(
    db: &Db,
    gateway: &dyn PaymentGateway,
    actor: &CurrentUser,
    attempt_id: &str,
    why: &str,
) -> Result<(), AppError> {
    let found = store::attempts::by_id(db, attempt_id)
        .await?
        .filter(|a| a.view.kind == AttemptKind::Avviso)
        .ok_or(AppError::NotFound)?;
    check_owner(db, actor, &found.provider_id).await?;
    let attempt = found.view;
    match attempt.state {
        AttemptState::Inviata | AttemptState::InAttesa => {}
        AttemptState::Creata => return Err(AppError::NoticeNotReady),
        AttemptState::Pagata => return Err(AppError::NoticePaid),
        AttemptState::Anomalia => return Err(AppError::DebtNotPayable(DebtState::InCorso)),
        // Already closed: nothing holds the debt any more.
        _ => return Ok(()),
    }
    // A quietanza in verification for the debt: the Segreteria decides it first (cancelling the
    // notice would free a debt the quietanza still waits to pay).
    if let Some(line) = attempt.debts.first() {
        if store::quietanze::live_of_debt(db, &line.debt_id).await? {
            return Err(AppError::DebtNotPayable(DebtState::InCorso));
        }
    }
    // Intent before effect: a cancellation cut short (a crash, no answer) is finished by the
    // reconciler, never forgotten with the notice cancelled in MyPay and open here.
    store::attempts::request_cancel(db, attempt_id, why).await?;
    finish_cancel(db, gateway, &attempt, &found.provider_id, &actor.id, why).await
}

/// Asks MyPay to cancel the notice and, once it is no longer payable there, closes it
/// (ANNULLATA) and gives its debt back. A notice that turns out paid is recorded as paid.
async fn finish_cancel(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt: &AttemptView,
    provider_id: &str,
    actor: &str,
    why: &str,
) -> Result<(), AppError> {
    let attempt_id = attempt.id.as_str();
    let request = request_of(db, attempt, provider_id).await?;
    match gateway.cancel_notice(&request).await {
        CancelNoticeOutcome::Cancelled => {}
        CancelNoticeOutcome::NotOpen => {
            match ask_by_iud(db, gateway, attempt, &request.line.iud, request.line.amount_cents, actor).await? {
                CheckOutcome::Paid(_) => return Err(AppError::NoticePaid),
                // A cancelled debt answers with a SOAP Fault: no longer open, not paid.
                CheckOutcome::TransportError { .. }
                | CheckOutcome::UnknownDebt
                | CheckOutcome::Cancelled
                | CheckOutcome::Expired => {}
                other => {
                    tracing::warn!(
                        attempt_id,
                        outcome = other.label(),
                        "notice not open in MyPay but its state is unclear: not given back"
                    );
                    return Err(AppError::PaymentGatewayDown);
                }
            }
        }
        CancelNoticeOutcome::Busy => return Err(AppError::NoticeBusy),
        CancelNoticeOutcome::Rejected { code, message } => {
            tracing::error!(attempt_id, %code, %message, "MyPay refused to cancel the notice");
            return Err(AppError::PaymentGatewayDown);
        }
        CancelNoticeOutcome::TransportError { detail } => {
            tracing::warn!(attempt_id, %detail, "no usable answer from MyPay to the notice's cancellation: nothing changed");
            return Err(AppError::PaymentGatewayDown);
        }
    }
    if !release(db, attempt_id, actor, attempt.state, AttemptState::Annullata, &format!("avviso annullato: {why}"))
        .await?
    {
        // Moved meanwhile (e.g. the reconciler recorded its payment a moment before).
        if attempt_by_id(db, attempt_id).await?.is_some_and(|a| a.state == AttemptState::Pagata) {
            return Err(AppError::NoticePaid);
        }
        return Err(AppError::Conflict);
    }
    tracing::info!(attempt_id, actor, "pagoPA notice cancelled");
    Ok(())
}

/// Before a quietanza for a debt behind an issued notice is accepted: checks with MyPay that the
/// notice was not paid through pagoPA meanwhile (if it was, that payment is recorded and
/// [`AppError::NoticePaid`] answered), then records the treasury payment against the notice's
/// IUV (`paaSILRegistraPagamento`), so that MyPay's books match and pagoPA refuses the notice.
/// Repeating it is harmless (MyPay changes nothing the second time).
pub async fn record_treasury_payment(
    db: &Db,
    gateway: &dyn PaymentGateway,
    attempt_id: &str,
    payment: &OfflinePayment,
) -> Result<(), AppError> {
    let attempt = attempt_by_id(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    let line = attempt.debts.first().ok_or_else(|| internal("notice without line"))?;
    match ask_by_iud(db, gateway, &attempt, &line.iud, line.amount_cents, "segreteria").await? {
        CheckOutcome::Paid(_) => return Err(AppError::NoticePaid),
        // Open and not paid, or already recorded by us (a repeated acceptance).
        CheckOutcome::Pending | CheckOutcome::NotPaid { .. } | CheckOutcome::AmountMismatch { .. } => {}
        other => {
            tracing::warn!(
                attempt_id,
                outcome = other.label(),
                "notice state unclear before recording a treasury payment: not recorded"
            );
            return Err(AppError::PaymentGatewayDown);
        }
    }
    match gateway.record_offline_payment(payment).await {
        RecordOfflineOutcome::Recorded => {
            tracing::info!(attempt_id, iuv = %payment.iuv, "treasury payment recorded in MyPay (paaSILRegistraPagamento)");
            Ok(())
        }
        RecordOfflineOutcome::Rejected { code, message } => {
            tracing::error!(attempt_id, %code, %message, "MyPay refused to record the treasury payment");
            Err(AppError::PaymentGatewayDown)
        }
        RecordOfflineOutcome::TransportError { detail } => {
            tracing::warn!(attempt_id, %detail, "no usable answer recording the treasury payment");
            Err(AppError::PaymentGatewayDown)
        }
    }
}

/// Cancels the notice holding a debt, if any (before the Segreteria annuls the debt).
pub async fn cancel_for_debt(
    db: &Db,
    gateway: Option<&dyn PaymentGateway>,
    actor: &CurrentUser,
    debt_id: &str,
    why: &str,
) -> Result<(), AppError> {
    let Some(attempt_id) = store::attempts::live_notice_of_debt(db, debt_id).await? else {
        return Ok(());
    };
    let gateway = gateway.ok_or(AppError::PaymentsUnavailable)?;
    cancel(db, gateway, actor, &attempt_id, why).await
}

/// The notice PDF, for its provider or the Segreteria: as stored, or downloaded now if it was
/// not yet (MyPay serves it only while the notice is open).
pub async fn pdf(
    db: &Db,
    gateway: Option<&dyn PaymentGateway>,
    actor: &CurrentUser,
    attempt_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let (provider_id, iuv, bytes) = store::attempts::notice_pdf(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    check_owner(db, actor, &provider_id).await?;
    let bytes = match (bytes, gateway) {
        (Some(bytes), _) => bytes,
        (None, Some(gateway)) => {
            fetch_pdf_if_missing(db, gateway, attempt_id).await?;
            store::attempts::notice_pdf(db, attempt_id)
                .await?
                .and_then(|(_, _, b)| b)
                .ok_or(AppError::NoticeNotReady)?
        }
        (None, None) => return Err(AppError::NoticeNotReady),
    };
    Ok((format!("avviso-pagopa-{}.pdf", iuv.unwrap_or_else(|| attempt_id.to_string())), bytes))
}

/// `GET /avvisi/{attempt}/avviso.pdf`: the notice PDF as a download. Ownership is checked here.
pub async fn pdf_handler(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(attempt_id): axum::extract::Path<String>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    crate::accounts::session::download(state, &headers, |state, user| async move {
        let (name, bytes) = pdf(&state.db, state.payments.as_deref(), &user, &attempt_id).await?;
        Ok(crate::state::Download::pdf(name, bytes))
    })
    .await
}

/// The Segreteria annuls a debt: a debt behind an issued pagoPA notice has its notice cancelled
/// in MyPay first (docs/channels.md, "Notices"), then it is annulled like any debt to pay. A
/// notice that turns out paid is recorded as paid and the annulment refused.
pub async fn annul_debt(
    db: &crate::db::Db,
    gateway: Option<&dyn crate::payments::gateway::PaymentGateway>,
    actor: &crate::accounts::CurrentUser,
    debt_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    if actor.role != crate::accounts::Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let why = crate::debts::model::check_reason("reason", reason)?;
    match cancel_for_debt(db, gateway, actor, debt_id, &format!("dovuto annullato dalla Segreteria: {why}")).await {
        Ok(()) => {}
        // A quietanza of the debt waits for a decision: decide it first.
        Err(AppError::DebtNotPayable(state)) => return Err(AppError::DebtNotAnnullable(state)),
        Err(error) => return Err(error),
    }
    crate::debts::service::annul(db, actor, debt_id, reason).await
}
