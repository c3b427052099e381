//! Debts console services (ssr only): the list with search and the detail of one debt.

use sqlx::Row;

use super::debts_model::{DebtAttempt, DebtDetail, DebtPage, DebtRow};
use crate::db::Db;
use crate::error::AppError;
use crate::payments::model::{AttemptState, DebtState};
use crate::payments::server::debt_from_row;
use crate::state::internal;

pub const PAGE_SIZE: i64 = 20;

const COLUMNS: &str = "d.id, d.fee_kind, d.causale, d.amount_cents, d.due_date, d.state, d.iuv, d.iur, d.paid_at, d.created_at,
    d.request_id, p.denominazione, p.codice_fiscale";

/// Debts in `state` (or all) whose provider name, codice fiscale, P.IVA or causale contains
/// `search` (case-insensitive), newest first, [`PAGE_SIZE`] per page.
pub async fn list_debts(db: &Db, state: Option<DebtState>, search: &str, page: i64) -> Result<DebtPage, AppError> {
    let page = page.max(1);
    let mut binds: Vec<String> = Vec::new();
    let mut filter = String::from("1 = 1");
    if let Some(state) = state {
        binds.push(state.as_db().to_string());
        filter.push_str(" AND d.state = $1");
    }
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        binds.push(format!("%{search}%"));
        let n = binds.len();
        filter.push_str(&format!(
            " AND (LOWER(p.denominazione) LIKE ${n} OR LOWER(p.codice_fiscale) LIKE ${n}
               OR LOWER(COALESCE(p.partita_iva, '')) LIKE ${n} OR LOWER(d.causale) LIKE ${n})"
        ));
    }
    let from = "FROM debts d JOIN providers p ON p.id = d.provider_id";
    let mut count = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {from} WHERE {filter}")));
    for value in &binds {
        count = count.bind(value.clone());
    }
    let total: i64 = count.fetch_one(db.pool()).await.map_err(internal)?.try_get("n").map_err(internal)?;
    let sql = format!(
        "SELECT {COLUMNS} {from} WHERE {filter} ORDER BY d.created_at DESC, d.id LIMIT {PAGE_SIZE} OFFSET {}",
        (page - 1) * PAGE_SIZE
    );
    let mut list = sqlx::query(sqlx::AssertSqlSafe(sql));
    for value in &binds {
        list = list.bind(value.clone());
    }
    let rows = list
        .fetch_all(db.pool())
        .await
        .map_err(internal)?
        .iter()
        .map(|row| {
            Ok(DebtRow {
                id: row.try_get("id").map_err(internal)?,
                provider: row.try_get("denominazione").map_err(internal)?,
                codice_fiscale: row.try_get("codice_fiscale").map_err(internal)?,
                debt: debt_from_row(row)?,
                created_at: row.try_get("created_at").map_err(internal)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let mut counts = Vec::new();
    for state in DebtState::ALL {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM debts WHERE state = $1")
            .bind(state.as_db())
            .fetch_one(db.pool())
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        counts.push((state, n));
    }
    Ok(DebtPage { rows, total, page, page_size: PAGE_SIZE, counts })
}

/// One debt with its provider, annulment and the attempts that carried it.
pub async fn debt_detail(db: &Db, debt_id: &str) -> Result<DebtDetail, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM debts d JOIN providers p ON p.id = d.provider_id WHERE d.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(debt_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let attempts = sqlx::query(
        "SELECT a.id, a.state, a.created_at FROM attempt_debts ad JOIN payment_attempts a ON a.id = ad.attempt_id
         WHERE ad.debt_id = $1 ORDER BY a.created_at DESC, a.id",
    )
    .bind(debt_id)
    .fetch_all(db.pool())
    .await
    .map_err(internal)?
    .iter()
    .map(|r| {
        let state: String = r.try_get("state").map_err(internal)?;
        Ok(DebtAttempt {
            id: r.try_get("id").map_err(internal)?,
            state: AttemptState::from_db(&state).ok_or_else(|| internal(format!("unknown attempt state {state}")))?,
            created_at: r.try_get("created_at").map_err(internal)?,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    Ok(DebtDetail {
        debt: debt_from_row(&row)?,
        provider: row.try_get("denominazione").map_err(internal)?,
        codice_fiscale: row.try_get("codice_fiscale").map_err(internal)?,
        request_id: row.try_get("request_id").map_err(internal)?,
        created_at: row.try_get("created_at").map_err(internal)?,
        annulment: crate::payments::annulment::annulment_of(db, debt_id).await?,
        attempts,
    })
}
