//! Payments console services (ssr only): queues, detail with history, "Verifica ora" and the
//! CSV export's text (served by `super::http`).

use super::model::{PaymentDetail, PaymentQueue, PaymentRow, VerifyReport, CSV_HEADER};
use crate::accounts::{CurrentUser, Role};
use crate::db::Db;
use crate::domain::csv::{csv_line, euro_plain};
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::payments::gateway::PaymentGateway;
use crate::payments::model::AttemptState;
use crate::segreteria::queue::{QueuePage, QueueTab, PAGE_SIZE};
use crate::store;

/// Attempts of `queue` (or all) whose provider name, codice fiscale, P.IVA, idSession or IUV
/// contains `search` (case-insensitive), newest first, [`PAGE_SIZE`] per page.
pub async fn list_attempts(
    db: &Db,
    queue: Option<PaymentQueue>,
    search: &str,
    page: i64,
) -> Result<QueuePage<PaymentRow>, AppError> {
    let page = page.clamp(1, crate::store::MAX_PAGE);
    let states: Vec<AttemptState> = queue.map(|q| q.states().to_vec()).unwrap_or_else(|| AttemptState::ALL.to_vec());
    let (rows, total) = store::attempts::console(db, &states, search, page, PAGE_SIZE).await?;
    let mut tabs = Vec::new();
    for queue in PaymentQueue::ALL {
        tabs.push(QueueTab::new(queue.code(), queue.label_it(), store::attempts::count_in(db, queue.states()).await?));
    }
    Ok(QueuePage { rows, total, page, page_size: PAGE_SIZE, tabs })
}

/// One attempt with its provider, debts, receipt data and full state history.
pub async fn attempt_detail(db: &Db, attempt_id: &str) -> Result<PaymentDetail, AppError> {
    let detail = store::attempts::detail(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    let attempt = crate::payments::service::attempts_of_provider(db, &detail.provider_id)
        .await?
        .into_iter()
        .find(|a| a.id == attempt_id)
        .ok_or(AppError::NotFound)?;
    let events = store::attempts::events(db, attempt_id).await?;
    Ok(PaymentDetail {
        attempt,
        provider: detail.denominazione,
        codice_fiscale: detail.codice_fiscale,
        partita_iva: detail.partita_iva,
        receipt_id: detail.receipt_id,
        last_outcome: detail.last_outcome,
        check_count: detail.check_count,
        events,
    })
}

/// "Verifica ora": asks MyPay about the attempt now, as `actor` (the Segreteria), with the same
/// decision table as the return page and the reconciler.
pub async fn verify_now(
    db: &Db,
    gateway: &dyn PaymentGateway,
    actor: &CurrentUser,
    attempt_id: &str,
) -> Result<VerifyReport, AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let before = attempt_detail(db, attempt_id).await?;
    let previous_state = before.attempt.state;
    crate::payments::service::verify_attempt_now(db, gateway, actor, attempt_id).await?;
    let status = store::attempts::check_status(db, attempt_id).await?;
    let asked = status.check_count > before.check_count;
    Ok(VerifyReport {
        asked,
        outcome: if asked { status.last_outcome } else { None },
        previous_state,
        state: status.state,
    })
}

fn parse_date(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(v, &format).map_err(|_| FieldError::new(field, FieldRule::Choice))?;
            Ok(Some(v.to_string()))
        }
    }
}

/// The CSV text (with BOM): one line per attempt-debt, attempts created between `dal` and `al`
/// (inclusive, YYYY-MM-DD, UTC), oldest first.
pub async fn export_csv(db: &Db, dal: Option<&str>, al: Option<&str>) -> Result<String, AppError> {
    let dal = parse_date("dal", dal)?;
    let al = parse_date("al", al)?;
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(&CSV_HEADER));
    for line in store::attempts::export(db, dal.as_deref(), al.as_deref()).await? {
        out.push_str(&csv_line(&[
            line.created_at.chars().take(10).collect::<String>(),
            line.denominazione,
            line.codice_fiscale,
            line.id_session.unwrap_or_default(),
            line.iuv.unwrap_or_default(),
            line.iud,
            line.causale,
            euro_plain(line.amount_cents),
            line.state,
            line.debt_state,
        ]));
    }
    Ok(out)
}
