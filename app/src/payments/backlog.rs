//! The reconciler's backlog as the operators see it (server `metrics`).

use crate::db::Db;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub open: i64,
    /// 0 when nothing is open.
    pub oldest_open_age_seconds: u64,
    pub anomalies: i64,
    pub receipts_missing: i64,
}

pub async fn read(db: &Db) -> Result<Backlog, AppError> {
    let row = crate::store::backlog::read(db).await?;
    Ok(Backlog {
        open: row.open,
        oldest_open_age_seconds: row.oldest_open.as_deref().map_or(0, |at| super::service::age_of(at).as_secs()),
        anomalies: row.anomalies,
        receipts_missing: row.receipts_missing,
    })
}
