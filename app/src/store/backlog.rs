//! The reconciler's backlog, for the operators' metrics: how many payment attempts wait for an
//! answer, since when, and how many need the Segreteria.

use sqlx::FromRow;

use super::StoreError;
use crate::db::Db;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BacklogRow {
    /// Attempts not yet closed (CREATA, INVIATA, IN_ATTESA).
    pub open: i64,
    /// `created_at` of the oldest of them.
    pub oldest_open: Option<String>,
    /// Attempts in ANOMALIA.
    pub anomalies: i64,
    /// Paid attempts whose receipt (RT) has not arrived yet.
    pub receipts_missing: i64,
}

pub async fn read(db: &Db) -> Result<BacklogRow, StoreError> {
    Ok(sqlx::query_as::<_, BacklogRow>(
        "SELECT
            (SELECT COUNT(*) FROM payment_attempts WHERE state IN ('CREATA', 'INVIATA', 'IN_ATTESA')) AS open,
            (SELECT MIN(created_at) FROM payment_attempts WHERE state IN ('CREATA', 'INVIATA', 'IN_ATTESA')) AS oldest_open,
            (SELECT COUNT(*) FROM payment_attempts WHERE state = 'ANOMALIA') AS anomalies,
            (SELECT COUNT(*) FROM payment_attempts WHERE state = 'PAGATA' AND receipt IS NULL) AS receipts_missing",
    )
    .fetch_one(db.pool())
    .await?)
}
