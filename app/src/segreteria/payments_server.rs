//! Payments console services (ssr only): queues, detail with history, "Verifica ora" and the
//! CSV export handler (`GET /segreteria/pagamenti.csv`).

use sqlx::Row;

use super::payments_model::{
    csv_line, euro_plain, PaymentDetail, PaymentEventView, PaymentPage, PaymentQueue, PaymentRow, VerifyReport, CSV_HEADER,
};
use crate::accounts::{CurrentUser, Role};
use crate::db::Db;
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::payments::gateway::PaymentGateway;
use crate::payments::model::AttemptState;
use crate::state::{internal, AppState};

pub const PAGE_SIZE: i64 = 20;

fn state_of(row: &sqlx::any::AnyRow, column: &str) -> Result<AttemptState, AppError> {
    let value: String = row.try_get(column).map_err(internal)?;
    AttemptState::from_db(&value).ok_or_else(|| internal(format!("unknown attempt state {value}")))
}

fn in_list(states: &[AttemptState], first: usize) -> String {
    (0..states.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}

/// Attempts of `queue` (or all) whose provider name, codice fiscale, P.IVA, idSession or IUV
/// contains `search` (case-insensitive), newest first, [`PAGE_SIZE`] per page.
pub async fn list_attempts(db: &Db, queue: Option<PaymentQueue>, search: &str, page: i64) -> Result<PaymentPage, AppError> {
    let page = page.max(1);
    let states: Vec<AttemptState> = queue.map(|q| q.states().to_vec()).unwrap_or_else(|| AttemptState::ALL.to_vec());
    let mut binds: Vec<String> = states.iter().map(|s| s.as_db().to_string()).collect();
    let mut filter = format!("a.state IN ({})", in_list(&states, 1));
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        binds.push(format!("%{search}%"));
        let n = binds.len();
        filter.push_str(&format!(
            " AND (LOWER(p.denominazione) LIKE ${n} OR LOWER(p.codice_fiscale) LIKE ${n} OR LOWER(COALESCE(p.partita_iva, '')) LIKE ${n}
               OR LOWER(COALESCE(a.id_session, '')) LIKE ${n} OR LOWER(COALESCE(a.iuv, '')) LIKE ${n})"
        ));
    }
    let from = "FROM payment_attempts a JOIN providers p ON p.id = a.provider_id";
    let mut count = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {from} WHERE {filter}")));
    for value in &binds {
        count = count.bind(value.clone());
    }
    let total: i64 = count.fetch_one(db.pool()).await.map_err(internal)?.try_get("n").map_err(internal)?;
    let list_sql = format!(
        "SELECT a.id, a.state, a.id_session, a.iuv, a.total_cents, a.last_check_at, a.created_at, p.denominazione, p.codice_fiscale
         {from} WHERE {filter} ORDER BY a.created_at DESC, a.id LIMIT {PAGE_SIZE} OFFSET {}",
        (page - 1) * PAGE_SIZE
    );
    let mut list = sqlx::query(sqlx::AssertSqlSafe(list_sql));
    for value in &binds {
        list = list.bind(value.clone());
    }
    let rows = list
        .fetch_all(db.pool())
        .await
        .map_err(internal)?
        .iter()
        .map(|row| {
            Ok(PaymentRow {
                id: row.try_get("id").map_err(internal)?,
                provider: row.try_get("denominazione").map_err(internal)?,
                codice_fiscale: row.try_get("codice_fiscale").map_err(internal)?,
                id_session: row.try_get("id_session").map_err(internal)?,
                iuv: row.try_get("iuv").map_err(internal)?,
                total_cents: row.try_get("total_cents").map_err(internal)?,
                state: state_of(row, "state")?,
                last_check_at: row.try_get("last_check_at").map_err(internal)?,
                created_at: row.try_get("created_at").map_err(internal)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let mut counts = Vec::new();
    for queue in PaymentQueue::ALL {
        let sql = format!("SELECT COUNT(*) AS n FROM payment_attempts WHERE state IN ({})", in_list(queue.states(), 1));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in queue.states() {
            q = q.bind(s.as_db());
        }
        let n: i64 = q.fetch_one(db.pool()).await.map_err(internal)?.try_get("n").map_err(internal)?;
        counts.push((queue, n));
    }
    Ok(PaymentPage { rows, total, page, page_size: PAGE_SIZE, counts })
}

/// One attempt with its provider, debts, receipt data and full state history.
pub async fn attempt_detail(db: &Db, attempt_id: &str) -> Result<PaymentDetail, AppError> {
    let row = sqlx::query(
        "SELECT a.provider_id, a.receipt_id, a.last_outcome, a.check_count, p.denominazione, p.codice_fiscale, p.partita_iva
         FROM payment_attempts a JOIN providers p ON p.id = a.provider_id WHERE a.id = $1",
    )
    .bind(attempt_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal)?
    .ok_or(AppError::NotFound)?;
    let provider_id: String = row.try_get("provider_id").map_err(internal)?;
    let attempt = crate::payments::server::attempts_of_provider(db, &provider_id)
        .await?
        .into_iter()
        .find(|a| a.id == attempt_id)
        .ok_or(AppError::NotFound)?;
    let events = sqlx::query(
        "SELECT e.at, COALESCE(u.display_name, e.actor) AS actor, e.from_state, e.to_state, e.detail
         FROM payment_events e LEFT JOIN users u ON u.id = e.actor
         WHERE e.attempt_id = $1 ORDER BY e.at, e.id",
    )
    .bind(attempt_id)
    .fetch_all(db.pool())
    .await
    .map_err(internal)?
    .iter()
    .map(|r| {
        let from: Option<String> = r.try_get("from_state").map_err(internal)?;
        Ok(PaymentEventView {
            at: r.try_get("at").map_err(internal)?,
            actor: r.try_get("actor").map_err(internal)?,
            from_state: from.as_deref().and_then(AttemptState::from_db),
            to_state: state_of(r, "to_state")?,
            detail: r.try_get("detail").map_err(internal)?,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    Ok(PaymentDetail {
        attempt,
        provider: row.try_get("denominazione").map_err(internal)?,
        codice_fiscale: row.try_get("codice_fiscale").map_err(internal)?,
        partita_iva: row.try_get("partita_iva").map_err(internal)?,
        receipt_id: row.try_get("receipt_id").map_err(internal)?,
        last_outcome: row.try_get("last_outcome").map_err(internal)?,
        check_count: row.try_get("check_count").map_err(internal)?,
        events,
    })
}

/// "Verifica ora": asks MyPay about the attempt now, as `actor` (the Segreteria), with the same
/// decision table as the return page and the reconciler.
pub async fn verify_now(db: &Db, gateway: &dyn PaymentGateway, actor: &CurrentUser, attempt_id: &str) -> Result<VerifyReport, AppError> {
    if actor.role != Role::Segreteria {
        return Err(AppError::Forbidden);
    }
    let before = attempt_detail(db, attempt_id).await?;
    let previous_state = before.attempt.state;
    crate::payments::server::verify_attempt_now(db, gateway, actor, attempt_id).await?;
    let row = sqlx::query("SELECT state, last_outcome, check_count FROM payment_attempts WHERE id = $1")
        .bind(attempt_id)
        .fetch_one(db.pool())
        .await
        .map_err(internal)?;
    let check_count: i64 = row.try_get("check_count").map_err(internal)?;
    let asked = check_count > before.check_count;
    Ok(VerifyReport {
        asked,
        outcome: if asked { row.try_get("last_outcome").map_err(internal)? } else { None },
        previous_state,
        state: state_of(&row, "state")?,
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
    let mut filter = String::from("1 = 1");
    let mut binds = Vec::new();
    if let Some(d) = dal {
        binds.push(d);
        filter.push_str(&format!(" AND SUBSTR(a.created_at, 1, 10) >= ${}", binds.len()));
    }
    if let Some(d) = al {
        binds.push(d);
        filter.push_str(&format!(" AND SUBSTR(a.created_at, 1, 10) <= ${}", binds.len()));
    }
    let sql = format!(
        "SELECT a.created_at, p.denominazione, p.codice_fiscale, a.id_session, a.iuv, ad.iud, ad.causale, ad.amount_cents,
                a.state, d.state AS debt_state
         FROM payment_attempts a JOIN providers p ON p.id = a.provider_id
         JOIN attempt_debts ad ON ad.attempt_id = a.id JOIN debts d ON d.id = ad.debt_id
         WHERE {filter} ORDER BY a.created_at, a.id, ad.iud"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in &binds {
        query = query.bind(b.clone());
    }
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(&CSV_HEADER));
    for r in query.fetch_all(db.pool()).await.map_err(internal)? {
        let text = |c: &str| -> Result<String, AppError> { r.try_get::<String, _>(c).map_err(internal) };
        let opt = |c: &str| -> Result<String, AppError> {
            Ok(r.try_get::<Option<String>, _>(c).map_err(internal)?.unwrap_or_default())
        };
        let amount: i64 = r.try_get("amount_cents").map_err(internal)?;
        out.push_str(&csv_line(&[
            text("created_at")?.chars().take(10).collect::<String>(),
            text("denominazione")?,
            text("codice_fiscale")?,
            opt("id_session")?,
            opt("iuv")?,
            text("iud")?,
            text("causale")?,
            euro_plain(amount),
            text("state")?,
            text("debt_state")?,
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
        let user = crate::state::user_from_headers(&state, &headers).await?.ok_or(AppError::Unauthenticated)?;
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
