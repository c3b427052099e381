//! Treasury payments (ssr only): the provider uploads a quietanza for a debt, the Segreteria
//! accepts it (the debt is PAGATO outside pagoPA) or refuses it with a reason (the debt is to
//! pay again); the Segreteria switches the channel per provider (docs/channels.md).
//!
//! A quietanza IN_VERIFICA holds its debt IN_CORSO through the debt machine's writer, so the
//! same debt can be neither put in a MyPay cart nor covered by a second quietanza meanwhile;
//! and a debt in a live cart cannot get a quietanza (its claim fails). Whatever the channel,
//! a debt is paid once.

use sha2::{Digest, Sha256};

use super::model::{same_body, Mismatch, QuietanzaForm, QuietanzaPage, QuietanzaState, QuietanzaView, NOTE_MAX_CHARS};
use crate::accounts::{CurrentUser, Role};
use crate::db::{new_id, Db};
use crate::documents::model::{check_pdf, sanitize_file_name, UploadProblem};
use crate::domain::dates::{date_text, today};
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::mail::compose::{quietanza_accepted, quietanza_refused, LINK_BASE};
use crate::mail::model::MailKind;
use crate::payments::gateway::OfflinePayment;
use crate::payments::gateway::PaymentGateway;
use crate::payments::model::DebtState;
use crate::payments::service::debt_view;
use crate::store::debts::{Change, Debt};
use crate::store::providers::Provider;
use crate::store::quietanze::{NewQuietanza, Quietanza};
use crate::store::{self, StoreError, Tx};

/// The view of a quietanza; `mismatches` only while it waits for the Segreteria.
fn view(q: &Quietanza, causale: &str, mismatches: Vec<Mismatch>) -> QuietanzaView {
    QuietanzaView {
        id: q.id.clone(),
        debt_id: q.debt_id.clone(),
        causale: causale.to_string(),
        state: q.state,
        file_name: q.file_name.clone(),
        size_bytes: q.size_bytes,
        value_date: q.value_date.clone(),
        amount_cents: q.amount_cents,
        cro_trn: q.cro_trn.clone(),
        paying_body: q.paying_body.clone(),
        uploaded_at: q.uploaded_at.clone(),
        decided_at: q.decided_at.clone(),
        decision_note: q.decision_note.clone(),
        mismatches,
    }
}

/// What differs between the quietanza and its debt (and other quietanze), inside `tx`.
async fn mismatches_in(
    tx: &mut Tx,
    q: &Quietanza,
    debt: &Debt,
    provider: &Provider,
) -> Result<Vec<Mismatch>, AppError> {
    let mut found = Vec::new();
    if q.amount_cents < debt.amount_cents {
        found.push(Mismatch::AmountLower { declared_cents: q.amount_cents, due_cents: debt.amount_cents });
    } else if q.amount_cents > debt.amount_cents {
        found.push(Mismatch::AmountHigher { declared_cents: q.amount_cents, due_cents: debt.amount_cents });
    }
    if q.value_date.as_str() > q.uploaded_at.get(0..10).unwrap_or("") {
        found.push(Mismatch::ValueDateAfterUpload);
    }
    if q.value_date.as_str() < debt.created_at.get(0..10).unwrap_or("") {
        found.push(Mismatch::ValueDateBeforeDebt);
    }
    if !same_body(&q.paying_body, &provider.form.denominazione) {
        found.push(Mismatch::PayingBodyDiffers { provider: provider.form.denominazione.clone() });
    }
    let (cro, file) = store::quietanze::reuses_in(tx, q).await?;
    if cro > 0 {
        found.push(Mismatch::CroReused);
    }
    if file > 0 {
        found.push(Mismatch::FileReused);
    }
    Ok(found)
}

/// The provider's page: the channel, the debts it may pay this way, its quietanze.
pub async fn page(db: &Db, user: &CurrentUser, max_bytes: i64) -> Result<QuietanzaPage, AppError> {
    let provider = store::providers::by_user(db, &user.id).await?.ok_or(AppError::StepMissing)?;
    let debts = store::debts::of_provider(db, &provider.id).await?;
    let causale = |id: &str| debts.iter().find(|d| d.id == id).map(|d| d.causale.clone()).unwrap_or_default();
    let quietanze = store::quietanze::of_provider(db, &provider.id)
        .await?
        .iter()
        .map(|q| view(q, &causale(&q.debt_id), Vec::new()))
        .collect();
    // To pay: debts to pay, and debts behind an issued pagoPA notice without a quietanza yet.
    let mut payable = Vec::new();
    for d in &debts {
        let open = match d.state {
            DebtState::DaPagare => true,
            DebtState::InCorso => {
                store::attempts::issued_notice_of_debt(db, &d.id).await?.is_some()
                    && !store::quietanze::live_of_debt(db, &d.id).await?
            }
            _ => false,
        };
        if open {
            payable.push(debt_view(d));
        }
    }
    Ok(QuietanzaPage {
        enabled: provider.treasury_channel_enabled(),
        provider: provider.form.denominazione.clone(),
        payable,
        quietanze,
        max_bytes,
    })
}

/// The quietanze of a debt for the Segreteria, newest first, with the differences of the one
/// waiting for a decision.
pub async fn of_debt(db: &Db, debt_id: &str) -> Result<Vec<QuietanzaView>, AppError> {
    let stored = store::quietanze::of_debt(db, debt_id).await?;
    if stored.is_empty() {
        return Ok(Vec::new());
    }
    let debt = store::debts::by_id(db, debt_id).await?.ok_or(AppError::NotFound)?;
    let provider = store::providers::by_id(db, &debt.provider_id).await?.ok_or(AppError::NotFound)?;
    let mut tx = store::begin_read(db).await?;
    let mut views = Vec::new();
    for q in &stored {
        let mismatches = if q.state == QuietanzaState::InVerifica {
            mismatches_in(&mut tx, q, &debt, &provider).await?
        } else {
            Vec::new()
        };
        views.push(view(q, &debt.causale, mismatches));
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(views)
}

fn file_error(problem: UploadProblem) -> AppError {
    let rule = match problem {
        UploadProblem::Empty => FieldRule::FileEmpty,
        UploadProblem::TooLarge => FieldRule::FileTooLarge,
        _ => FieldRule::FileNotPdf,
    };
    AppError::Invalid(FieldError::new("file", rule))
}

/// The provider uploads a quietanza for one of its debts still to pay. Everything is checked
/// first (the form, the file, the channel, the debt); then, in one transaction, the debt is
/// claimed (DA_PAGARE → IN_CORSO) and the quietanza stored IN_VERIFICA. A debt already in a
/// cart, paid or annulled meanwhile is refused and nothing is stored.
pub async fn upload(
    db: &Db,
    user: &CurrentUser,
    form: &QuietanzaForm,
    raw_file_name: &str,
    bytes: &[u8],
    max_bytes: i64,
) -> Result<QuietanzaView, AppError> {
    if user.role != Role::Provider {
        return Err(AppError::Forbidden);
    }
    let valid = form.validate(&date_text(today())).map_err(AppError::InvalidForm)?;
    check_pdf(bytes, max_bytes).map_err(file_error)?;
    let provider = store::providers::by_user(db, &user.id).await?.ok_or(AppError::StepMissing)?;
    if !provider.treasury_channel_enabled() {
        return Err(AppError::TreasuryChannelOff);
    }
    let id = new_id();
    let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let file_name = sanitize_file_name(raw_file_name);
    let mut tx = store::begin_write(db).await?;
    let debt = store::debts::by_id_in(&mut tx, &valid.debt_id).await?;
    let Some(debt) = debt.filter(|d| d.provider_id == provider.id) else {
        tracing::warn!(user_id = %user.id, debt_id = %valid.debt_id, "quietanza refused: not a debt of this provider");
        return Err(AppError::NotFound);
    };
    // A debt behind an issued pagoPA notice can be paid by treasury transfer too: the notice
    // keeps holding it, and the acceptance records the payment in MyPay (docs/channels.md).
    let behind_notice =
        debt.state == DebtState::InCorso && store::attempts::issued_notice_of_debt(db, &debt.id).await?.is_some();
    if debt.state != DebtState::DaPagare && !behind_notice {
        return Err(AppError::DebtNotPayable(debt.state));
    }
    let reason = format!("quietanza {id} caricata (CRO/TRN {}): in verifica dalla Segreteria ECM", valid.cro_trn);
    if !behind_notice {
        match store::debts::set_state(&mut tx, &debt.id, DebtState::DaPagare, Change::Claim, &user.id, &reason).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(AppError::DebtNotPayable(DebtState::InCorso)),
            Err(error) => return Err(error.into()),
        }
    }
    let new = NewQuietanza {
        id: &id,
        debt_id: &debt.id,
        provider_id: &provider.id,
        file_name: &file_name,
        sha256: &sha256,
        value_date: &valid.value_date,
        amount_cents: valid.amount_cents,
        cro_trn: &valid.cro_trn,
        paying_body: &valid.paying_body,
        uploaded_by: &user.id,
    };
    store::quietanze::insert(&mut tx, &new, bytes).await?;
    let stored = store::quietanze::by_id_in(&mut tx, &id)
        .await?
        .ok_or_else(|| crate::error::internal("quietanza missing after insert"))?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(quietanza_id = %id, debt_id = %debt.id, provider_id = %provider.id, size = bytes.len(), "quietanza stored, waiting for the Segreteria");
    Ok(view(&stored, &debt.causale, Vec::new()))
}

/// The quietanza, its debt and provider, read inside `tx`, while it waits for a decision.
async fn pending_in(tx: &mut Tx, id: &str) -> Result<(Quietanza, Debt, Provider), AppError> {
    let q = store::quietanze::by_id_in(tx, id).await?.ok_or(AppError::NotFound)?;
    if q.state != QuietanzaState::InVerifica {
        return Err(AppError::Conflict);
    }
    let debt = store::debts::by_id_in(tx, &q.debt_id)
        .await?
        .ok_or_else(|| crate::error::internal("quietanza without its debt"))?;
    let provider = store::providers::by_id_in(tx, &q.provider_id)
        .await?
        .ok_or_else(|| crate::error::internal("quietanza without its provider"))?;
    Ok((q, debt, provider))
}

fn note_checked<'a>(field: &str, note: &'a str) -> Result<&'a str, AppError> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(FieldError::new(field, FieldRule::TooLong).into());
    }
    Ok(note)
}

/// The Segreteria accepts a quietanza: it becomes ACCETTATA and its debt PAGATO (channel
/// quietanza, paid on the value date), with the provider's mail, in one transaction. A
/// quietanza with a blocking difference (less than the amount, a CRO/TRN or file already used)
/// is never accepted; any other difference needs a note saying why it is accepted anyway.
///
/// A debt behind an issued pagoPA notice: the payment is first recorded in MyPay against the
/// notice (`paaSILRegistraPagamento`, after checking the notice was not paid meanwhile), then
/// the notice is closed in the same transaction that pays the debt.
pub async fn accept(
    db: &Db,
    gateway: Option<&dyn PaymentGateway>,
    actor: &CurrentUser,
    id: &str,
    note: &str,
) -> Result<(), AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let note = note_checked("accept_note", note)?;
    let check = |q: &Quietanza, debt: &Debt, mismatches: &[Mismatch]| -> Result<(), AppError> {
        if debt.state == DebtState::Pagato {
            // Paid meanwhile with its pagoPA notice: a second payment, to refund, never to accept.
            return Err(AppError::QuietanzaNotAcceptable(vec![
                "il contributo risulta già pagato con pagoPA (avviso): il bonifico è un secondo pagamento".into(),
            ]));
        }
        let blocking: Vec<String> = mismatches.iter().filter(|m| m.blocks()).map(Mismatch::label_it).collect();
        if !blocking.is_empty() {
            tracing::info!(quietanza_id = %q.id, debt_id = %debt.id, ?mismatches, "quietanza not accepted: blocking differences");
            return Err(AppError::QuietanzaNotAcceptable(blocking));
        }
        if !mismatches.is_empty() && note.is_empty() {
            return Err(FieldError::new("accept_note", FieldRule::Required).into());
        }
        Ok(())
    };
    // The notice, if any, is dealt with in MyPay before the acceptance is written.
    let notice = {
        let mut tx = store::begin_read(db).await?;
        let (q, debt, provider) = pending_in(&mut tx, id).await?;
        let mismatches = mismatches_in(&mut tx, &q, &debt, &provider).await?;
        tx.commit().await.map_err(StoreError::from)?;
        check(&q, &debt, &mismatches)?;
        match store::attempts::issued_notice_of_debt(db, &debt.id).await? {
            Some((attempt_id, iuv)) => {
                let gateway = gateway.ok_or(AppError::PaymentsUnavailable)?;
                let payment = OfflinePayment {
                    iuv,
                    amount_cents: debt.amount_cents,
                    date: q.value_date.clone(),
                    reference: q.cro_trn.clone(),
                    attestor_code: provider.form.codice_fiscale.clone(),
                    attestor_name: q.paying_body.clone(),
                };
                crate::payments::notices::record_treasury_payment(db, gateway, &attempt_id, &payment).await?;
                Some(attempt_id)
            }
            None => None,
        }
    };
    let mut tx = store::begin_write(db).await?;
    let (q, debt, provider) = pending_in(&mut tx, id).await?;
    let mismatches = mismatches_in(&mut tx, &q, &debt, &provider).await?;
    check(&q, &debt, &mismatches)?;
    if let Some(attempt_id) = &notice {
        let detail = format!("pagato fuori pagoPA: quietanza {id} accettata e registrata in MyPay");
        if !store::attempts::close_paid_outside_in(&mut tx, attempt_id, &actor.id, &detail).await? {
            return Err(AppError::Conflict);
        }
    }
    store::quietanze::decide(&mut tx, id, QuietanzaState::Accettata, &actor.id, (!note.is_empty()).then_some(note))
        .await?;
    let reason =
        format!("quietanza {id} accettata dalla Segreteria ECM (CRO/TRN {}, data valuta {})", q.cro_trn, q.value_date);
    store::debts::set_state(
        &mut tx,
        &debt.id,
        DebtState::InCorso,
        Change::PayByQuietanza { quietanza_id: id, paid_at: &q.value_date },
        &actor.id,
        &reason,
    )
    .await?;
    crate::mail::outbox::to_provider(&mut tx, MailKind::QuietanzaAccepted, &provider.id, None, |c| {
        quietanza_accepted(LINK_BASE, &c.display_name, &c.denominazione, &debt.causale, debt.amount_cents, &q.cro_trn)
    })
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(quietanza_id = id, debt_id = %debt.id, actor_id = %actor.id, "quietanza accepted: debt paid outside pagoPA");
    Ok(())
}

/// The Segreteria refuses a quietanza with a reason the provider reads: it becomes RIFIUTATA
/// and its debt DA_PAGARE again, with the provider's mail, in one transaction.
pub async fn refuse(db: &Db, actor: &CurrentUser, id: &str, reason: &str) -> Result<(), AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let reason = crate::debts::model::check_reason("refuse_reason", reason)?;
    let mut tx = store::begin_write(db).await?;
    let (q, debt, provider) = pending_in(&mut tx, id).await?;
    store::quietanze::decide(&mut tx, id, QuietanzaState::Rifiutata, &actor.id, Some(reason)).await?;
    let why = format!("quietanza {id} rifiutata dalla Segreteria ECM: {reason}");
    // A debt behind a notice stays held by it (still payable with the notice); one the notice
    // paid meanwhile stays paid.
    if debt.state == DebtState::InCorso && store::attempts::claimer_in(&mut tx, &debt.id).await?.is_none() {
        store::debts::set_state(&mut tx, &debt.id, DebtState::InCorso, Change::GiveBack, &actor.id, &why).await?;
    }
    crate::mail::outbox::to_provider(&mut tx, MailKind::QuietanzaRefused, &provider.id, None, |c| {
        quietanza_refused(LINK_BASE, &c.display_name, &c.denominazione, &debt.causale, reason)
    })
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(quietanza_id = id, debt_id = %debt.id, actor_id = %actor.id, cro = %q.cro_trn, "quietanza refused: debt to pay again");
    Ok(())
}

/// The Segreteria switches a provider's treasury channel, with a reason (audited). Switching
/// it off leaves quietanze already sent to be decided.
pub async fn set_channel(
    db: &Db,
    actor: &CurrentUser,
    provider_id: &str,
    enabled: bool,
    reason: &str,
) -> Result<(), AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let reason = crate::debts::model::check_reason("treasury_reason", reason)?;
    let mut tx = store::begin_write(db).await?;
    let provider = store::providers::by_id_in(&mut tx, provider_id).await?.ok_or(AppError::NotFound)?;
    store::providers::set_treasury_channel(&mut tx, &provider, enabled, actor, reason).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(provider_id, enabled, actor_id = %actor.id, "treasury channel set");
    Ok(())
}

/// A quietanza's file for its provider's owner or the Segreteria; anyone else gets "not found".
pub async fn file(db: &Db, user: &CurrentUser, id: &str) -> Result<(String, String, Vec<u8>), AppError> {
    let (provider_id, name, sha256, content) = store::quietanze::file(db, id).await?.ok_or(AppError::NotFound)?;
    if user.role != Role::Segreteria
        && store::providers::owner(db, &provider_id).await?.as_deref() != Some(user.id.as_str())
    {
        tracing::warn!(user_id = %user.id, quietanza_id = id, "quietanza download refused: not the owner");
        return Err(AppError::NotFound);
    }
    Ok((name, sha256, content))
}
