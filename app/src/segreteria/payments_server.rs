//! Payments console services (ssr only): queues, detail with history, "Verifica ora" and the
//! CSV export handler (`GET /segreteria/pagamenti.csv`).

use super::payments_model::{csv_line, euro_plain, PaymentDetail, PaymentPage, PaymentQueue, VerifyReport, CSV_HEADER};
use crate::accounts::{CurrentUser, Role};
use crate::db::Db;
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::payments::gateway::PaymentGateway;
use crate::payments::model::AttemptState;
use crate::state::AppState;
use crate::store;

pub const PAGE_SIZE: i64 = 20;

/// Attempts of `queue` (or all) whose provider name, codice fiscale, P.IVA, idSession or IUV
/// contains `search` (case-insensitive), newest first, [`PAGE_SIZE`] per page.
pub async fn list_attempts(
    db: &Db,
    queue: Option<PaymentQueue>,
    search: &str,
    page: i64,
) -> Result<PaymentPage, AppError> {
    let page = page.clamp(1, crate::store::MAX_PAGE);
    let states: Vec<AttemptState> = queue.map(|q| q.states().to_vec()).unwrap_or_else(|| AttemptState::ALL.to_vec());
    let (rows, total) = store::attempts::console(db, &states, search, page, PAGE_SIZE).await?;
    let mut counts = Vec::new();
    for queue in PaymentQueue::ALL {
        counts.push((queue, store::attempts::count_in(db, queue.states()).await?));
    }
    Ok(PaymentPage { rows, total, page, page_size: PAGE_SIZE, counts })
}

/// One attempt with its provider, debts, receipt data and full state history.
pub async fn attempt_detail(db: &Db, attempt_id: &str) -> Result<PaymentDetail, AppError> {
    let detail = store::attempts::detail(db, attempt_id).await?.ok_or(AppError::NotFound)?;
    let attempt = crate::payments::server::attempts_of_provider(db, &detail.provider_id)
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
    crate::payments::server::verify_attempt_now(db, gateway, actor, attempt_id).await?;
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

#[derive(Debug, serde::Deserialize)]
pub struct CsvQuery {
    pub dal: Option<String>,
    pub al: Option<String>,
}

/// `GET /segreteria/pagamenti.csv?dal=YYYY-MM-DD&al=YYYY-MM-DD`: Segreteria only (401/403).
pub async fn csv_handler(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(query): axum::extract::Query<CsvQuery>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let result = async {
        let user =
            crate::accounts::session::user_from_headers(&state, &headers).await?.ok_or(AppError::Unauthenticated)?;
        if user.role != Role::Segreteria {
            tracing::warn!(user_id = %user.id, "access refused: payments export is for the Segreteria");
            return Err(AppError::Forbidden);
        }
        export_csv(&state.db, query.dal.as_deref(), query.al.as_deref()).await
    }
    .await;
    match result {
        Ok(body) => (
            [
                (http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (http::header::CONTENT_DISPOSITION, "attachment; filename=\"pagamenti-ecm.csv\"".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            let status = http::StatusCode::from_u16(error.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], error.message_it()).into_response()
        }
    }
}

/// Routes of the console's plain HTTP endpoints.
pub fn routes<S>(state: AppState) -> axum::Router<S> {
    axum::Router::new().route("/segreteria/pagamenti.csv", axum::routing::get(csv_handler)).with_state(state)
}
