//! Console queries: requests by state with search and pagination.

use sqlx::Row;

use super::model::{RequestPage, RequestRow, QUEUE_STATES};
use crate::db::Db;
use crate::error::AppError;
use crate::requests::model::{RequestKind, RequestState};
use crate::state::internal;

pub const PAGE_SIZE: i64 = 20;

/// Requests in `state` (or in any queue state), whose provider name, codice fiscale or
/// partita IVA contains `search` (case-insensitive), newest change first.
pub async fn list_requests(db: &Db, state: Option<RequestState>, search: &str, page: i64) -> Result<RequestPage, AppError> {
    let page = page.max(1);
    let states: Vec<RequestState> = state.map(|s| vec![s]).unwrap_or_else(|| QUEUE_STATES.to_vec());
    // Placeholders are numbered in the order the values are bound below.
    let mut binds: Vec<String> = states.iter().map(|s| s.as_db().to_string()).collect();
    let state_list = (1..=states.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let mut filter = format!("r.state IN ({state_list})");
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        binds.push(format!("%{search}%"));
        let n = binds.len();
        filter.push_str(&format!(
            " AND (LOWER(p.denominazione) LIKE ${n} OR LOWER(p.codice_fiscale) LIKE ${n} OR LOWER(COALESCE(p.partita_iva, '')) LIKE ${n})"
        ));
    }
    let count_sql = format!("SELECT COUNT(*) AS n FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id WHERE {filter}");
    let mut count = sqlx::query(sqlx::AssertSqlSafe(count_sql));
    for value in &binds {
        count = count.bind(value.clone());
    }
    let total: i64 = count.fetch_one(db.pool()).await.map_err(internal)?.try_get("n").map_err(internal)?;

    let list_sql = format!(
        "SELECT r.id, r.kind, r.state, r.updated_at, p.denominazione, p.codice_fiscale, p.partita_iva
         FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id
         WHERE {filter} ORDER BY r.updated_at DESC, r.id LIMIT {PAGE_SIZE} OFFSET {}",
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
            let kind: String = row.try_get("kind").map_err(internal)?;
            let state: String = row.try_get("state").map_err(internal)?;
            Ok(RequestRow {
                id: row.try_get("id").map_err(internal)?,
                denominazione: row.try_get("denominazione").map_err(internal)?,
                codice_fiscale: row.try_get("codice_fiscale").map_err(internal)?,
                partita_iva: row.try_get("partita_iva").map_err(internal)?,
                kind: RequestKind::from_db(&kind).ok_or_else(|| internal("unknown kind"))?,
                state: RequestState::from_db(&state).ok_or_else(|| internal("unknown state"))?,
                updated_at: row.try_get("updated_at").map_err(internal)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;

    let mut counts = Vec::new();
    for queue in QUEUE_STATES {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM accreditation_requests WHERE state = $1")
            .bind(queue.as_db())
            .fetch_one(db.pool())
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        counts.push((queue, n));
    }
    Ok(RequestPage { rows, total, page, page_size: PAGE_SIZE, counts })
}

/// The provider id of a request.
pub async fn provider_of_request(db: &Db, request_id: &str) -> Result<Option<String>, AppError> {
    sqlx::query("SELECT provider_id FROM accreditation_requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
        .map(|row| row.try_get("provider_id").map_err(internal))
        .transpose()
}
