//! Ledger services: the fees of an accreditation request, recomputed at every submission.

use crate::domain::dates::{date_text, today};
use crate::error::AppError;
use crate::payments::model::{causale_quota_annuale, DebtState, FeeKind, TariffCase};
use crate::store::debts::{self, Change, Debt, NewDebt};
use crate::store::providers::Provider;
use crate::store::requests::Request;
use crate::store::{tariffs, Tx};

/// Brings the request's fees in line with the provider's Gruppo as it is now, inside `tx`, and
/// returns the request's live debts (annulled ones left out).
///
/// The first-year quota: Gruppo B owes the PRIMO_ANNO tariff in force today (created when
/// missing) for the provider's first accreditation; Gruppo A owes nothing the first year, so a quota still to pay is annulled — never
/// silently: through the debt machine's writer, with `why` as the reason. A quota being paid
/// (IN_CORSO) blocks the change; a paid one stays paid. A debt keeps the amount it was created
/// with, whatever the tariff says later.
pub async fn recompute_request_fees(
    tx: &mut Tx,
    provider: &Provider,
    request: &Request,
    actor: &str,
    why: &str,
) -> Result<Vec<Debt>, AppError> {
    let today = today();
    // The first-year quota is owed once: a provider already accredited (a standard request
    // after the provisional one) pays the later years' quotas instead, through the daily pass.
    let first_year = !crate::store::requests::accredited(&mut **tx, &provider.id).await?;
    let due = match first_year {
        true => tariffs::in_force(
            &mut **tx,
            FeeKind::QuotaAnnuale,
            provider.provider_class,
            TariffCase::PrimoAnno,
            &date_text(today),
        )
        .await?
        .filter(|t| t.amount_cents > 0),
        false => None,
    };
    let quota = |d: &&Debt| d.fee_kind == FeeKind::QuotaAnnuale && d.state != DebtState::Annullato;
    let existing = debts::of_request_in(tx, &request.id).await?;
    match (due, existing.iter().find(quota)) {
        (None, Some(debt)) if debt.state == DebtState::DaPagare => {
            let reason = format!("Quota del primo anno non dovuta ({}): {why}", provider.provider_class.label_it());
            debts::set_state(tx, &debt.id, DebtState::DaPagare, Change::Annul { by: None }, actor, &reason).await?;
            tracing::info!(debt_id = %debt.id, request_id = %request.id, "first-year quota no longer due: annulled with a reason");
        }
        (None, Some(debt)) if debt.state == DebtState::InCorso => return Err(AppError::PaymentInProgress),
        (Some(tariff), None) => {
            let causale = causale_quota_annuale(today.year());
            let new = NewDebt {
                provider_id: &provider.id,
                request_id: Some(&request.id),
                event_id: None,
                fee_kind: FeeKind::QuotaAnnuale,
                tariff_id: Some(&tariff.id),
                causale: &causale,
                amount_cents: tariff.amount_cents,
                due_date: None,
                reference_year: None,
            };
            let reason = format!("Quota del primo anno dovuta ({}): {why}", provider.provider_class.label_it());
            debts::insert(tx, &new, actor, &reason).await?;
        }
        // Nothing due and nothing there; due and there (to pay, being paid or paid); or a paid
        // quota of a Gruppo that no longer owes it (money is never taken back silently).
        _ => {}
    }
    Ok(debts::of_request_in(tx, &request.id).await?.into_iter().filter(|d| d.state != DebtState::Annullato).collect())
}

/// Days past the due date of a debt still to pay (`None` when it is not overdue).
pub fn days_overdue(state: DebtState, due_date: Option<&str>, today: time::Date) -> Option<i64> {
    let due = time::Date::parse(due_date?, &time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    (state == DebtState::DaPagare && due < today).then(|| (today - due).whole_days())
}

use super::model::check_reason;

/// The Segreteria extends a debt's due date (proroga), as often as needed, with a reason; the
/// provider sees the new date and why. Only a debt still to pay (or being paid) with a due date
/// can be extended, and only to a later date.
pub async fn extend_due(
    db: &crate::db::Db,
    actor: &crate::accounts::CurrentUser,
    debt_id: &str,
    new_due: &str,
    reason: &str,
) -> Result<(), AppError> {
    use crate::domain::{FieldError, FieldRule};
    if actor.role != crate::accounts::Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let new_due = match new_due.trim() {
        "" => return Err(FieldError::new("new_due_date", FieldRule::Required).into()),
        typed => crate::domain::dates::parse_date(typed)
            .ok_or_else(|| FieldError::new("new_due_date", FieldRule::DateFormat))?,
    };
    let reason = check_reason("due_reason", reason)?;
    let mut tx = crate::store::begin_write(db).await?;
    let debt = debts::by_id_in(&mut tx, debt_id).await?.ok_or(AppError::NotFound)?;
    if !matches!(debt.state, DebtState::DaPagare | DebtState::InCorso) || debt.due_date.is_none() {
        return Err(AppError::WrongState);
    }
    let new_due = date_text(new_due);
    if debt.due_date.as_deref().is_some_and(|current| new_due.as_str() <= current) {
        return Err(FieldError::new("new_due_date", FieldRule::DateNotLater).into());
    }
    debts::extend_due(&mut tx, &debt, &new_due, &actor.id, reason).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    tracing::info!(debt_id, new_due = %new_due, user_id = %actor.id, "due date extended");
    Ok(())
}

/// The Segreteria annuls a debt still to pay, with a mandatory reason (for mistakes: a due date
/// is extended, not annulled). Any other state is refused with [`AppError::DebtNotAnnullable`].
pub async fn annul(
    db: &crate::db::Db,
    actor: &crate::accounts::CurrentUser,
    debt_id: &str,
    reason: &str,
) -> Result<(), AppError> {
    if actor.role != crate::accounts::Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let reason = check_reason("reason", reason)?;
    let mut tx = crate::store::begin_write(db).await?;
    let debt = debts::by_id_in(&mut tx, debt_id).await?.ok_or(AppError::NotFound)?;
    if debt.state != DebtState::DaPagare {
        tracing::warn!(debt_id, state = debt.state.as_db(), "annulment refused: the debt is not DA_PAGARE");
        return Err(AppError::DebtNotAnnullable(debt.state));
    }
    debts::set_state(&mut tx, debt_id, DebtState::DaPagare, Change::Annul { by: Some(&actor.id) }, &actor.id, reason)
        .await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    tracing::info!(debt_id, user_id = %actor.id, "debt annulled by the Segreteria");
    Ok(())
}

/// The history of a debt in Italian, oldest first.
pub async fn history(
    db: &crate::db::Db,
    debt_id: &str,
) -> Result<Vec<crate::segreteria::debts::model::DebtHistoryLine>, AppError> {
    use crate::store::debts::DebtEventKind;
    let state_label =
        |code: &Option<String>| code.as_deref().and_then(DebtState::from_db).map_or("—", DebtState::label_it);
    let date_label =
        |value: &Option<String>| value.as_deref().map(crate::debts::model::date_it).unwrap_or_else(|| "—".into());
    Ok(debts::events(db, debt_id)
        .await?
        .into_iter()
        .map(|e| {
            let what = match e.kind {
                DebtEventKind::Created => format!(
                    "Dovuto creato: {}",
                    e.to_value
                        .as_deref()
                        .and_then(|c| c.parse::<i64>().ok())
                        .map(crate::payments::model::format_euro)
                        .unwrap_or_default()
                ),
                DebtEventKind::State => format!("{} → {}", state_label(&e.from_value), state_label(&e.to_value)),
                DebtEventKind::DueDate => {
                    format!("Scadenza prorogata: {} → {}", date_label(&e.from_value), date_label(&e.to_value))
                }
                DebtEventKind::Amount => format!(
                    "Importo corretto: {} → {}",
                    e.from_value
                        .as_deref()
                        .and_then(|c| c.parse::<i64>().ok())
                        .map(crate::payments::model::format_euro)
                        .unwrap_or_default(),
                    e.to_value
                        .as_deref()
                        .and_then(|c| c.parse::<i64>().ok())
                        .map(crate::payments::model::format_euro)
                        .unwrap_or_default()
                ),
            };
            crate::segreteria::debts::model::DebtHistoryLine { at: e.at, actor: e.actor, what, reason: e.reason }
        })
        .collect())
}

/// The statement of account of a provider (the same for the provider and the Segreteria).
pub async fn statement(
    db: &crate::db::Db,
    provider_id: &str,
    today: time::Date,
) -> Result<crate::debts::model::Statement, AppError> {
    use crate::debts::model::{Statement, StatementLine};
    let provider = crate::store::providers::by_id(db, provider_id).await?.ok_or(AppError::NotFound)?;
    let extensions = debts::extensions(db, provider_id).await?;
    let lines = debts::statement(db, provider_id)
        .await?
        .into_iter()
        .map(|(debt, has_receipt)| {
            let latest = extensions.iter().rev().find(|(id, _)| *id == debt.id).map(|(_, e)| e);
            let year = debt
                .reference_year
                .or_else(|| debt.due_date.as_deref().and_then(|d| d.get(0..4)?.parse().ok()))
                .or_else(|| debt.created_at.get(0..4).and_then(|y| y.parse().ok()))
                .unwrap_or_else(|| today.year());
            let paid = debt.state == DebtState::Pagato;
            StatementLine {
                days_overdue: days_overdue(debt.state, debt.due_date.as_deref(), today),
                extended_from: latest.and_then(|e| e.from_value.clone()),
                extension_reason: latest.and_then(|e| e.reason.clone()),
                channel: debt.paid_channel.filter(|_| paid).map(|c| c.label_it().to_string()),
                receipt_pdf_url: paid
                    .then(|| format!("/dovuti/{}/ricevuta.pdf", crate::domain::percent_encode(&debt.id))),
                quietanza_url: debt
                    .paid_quietanza_id
                    .as_deref()
                    .filter(|_| paid)
                    .map(|q| format!("/quietanze/{}", crate::domain::percent_encode(q))),
                receipt_url: debt
                    .paid_attempt_id
                    .as_deref()
                    .filter(|_| paid && has_receipt)
                    .map(|attempt| format!("/api/payments/{}/ricevuta", crate::domain::percent_encode(attempt))),
                annulled_reason: debt.annulled_reason.clone(),
                id: debt.id,
                fee_kind: debt.fee_kind,
                causale: debt.causale,
                amount_cents: debt.amount_cents,
                state: debt.state,
                year,
                due_date: debt.due_date,
                paid_at: debt.paid_at,
                iuv: debt.iuv,
                iur: debt.iur,
            }
        })
        .collect();
    let treasury_enabled = provider.treasury_channel_enabled();
    let treasury_default = provider.treasury_channel.is_none();
    let mut statement =
        Statement::new(provider.id, provider.form.denominazione, provider.form.codice_fiscale, date_text(today), lines);
    statement.treasury_enabled = treasury_enabled;
    statement.treasury_default = treasury_default;
    Ok(statement)
}

/// Debts of a provider annulled by the Segreteria (not the automatic ones), newest first.
pub async fn annulled_of_provider(
    db: &crate::db::Db,
    provider_id: &str,
) -> Result<Vec<super::model::AnnulledDebtView>, AppError> {
    Ok(crate::store::debts::annulled_of_provider(db, provider_id).await?)
}

/// The annulment of one debt, if the Segreteria annulled it.
pub async fn annulment_of(
    db: &crate::db::Db,
    debt_id: &str,
) -> Result<Option<super::model::AnnulledDebtView>, AppError> {
    Ok(crate::store::debts::annulment_of(db, debt_id).await?)
}
