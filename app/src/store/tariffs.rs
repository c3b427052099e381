//! The tariff table (versioned by validity dates): the version in force on a date, every
//! version for the Segreteria, and [`add_version`], the only writer (a new version never
//! overlaps: it closes the open one the day before).

use super::StoreError;
use crate::db::Db;
use crate::payments::model::{FeeKind, TariffCase};
use crate::providers::model::ProviderClass;

/// A tariff version in force: its id and amount in cents.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InForce {
    pub id: String,
    pub amount_cents: i64,
}

/// The tariff valid on `on_date` (YYYY-MM-DD) for a case, if any.
pub async fn in_force(
    executor: impl sqlx::AnyExecutor<'_>,
    fee: FeeKind,
    class: ProviderClass,
    case: TariffCase,
    on_date: &str,
) -> Result<Option<InForce>, StoreError> {
    Ok(sqlx::query_as::<_, InForce>(
        "SELECT id, amount_cents FROM tariffs
         WHERE fee_kind = $1 AND provider_class = $2 AND case_key = $3
           AND valid_from <= $4 AND (valid_to IS NULL OR valid_to >= $4)
         ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(fee.as_db())
    .bind(class.as_db())
    .bind(case.as_db())
    .bind(on_date)
    .fetch_optional(executor)
    .await?)
}

/// A tariff version, with the display name of who created it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Version {
    pub id: String,
    pub fee_kind: FeeKind,
    pub provider_class: ProviderClass,
    pub case_key: String,
    pub description: String,
    pub amount_cents: i64,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// Every version of every case, newest first (by start, then creation).
pub async fn all(db: &Db) -> Result<Vec<Version>, StoreError> {
    Ok(sqlx::query_as::<_, Version>(
        "SELECT t.id, t.fee_kind, t.provider_class, t.case_key, t.description, t.amount_cents, t.valid_from,
                t.valid_to, COALESCE(u.display_name, t.created_by) AS created_by, t.created_at
         FROM tariffs t LEFT JOIN users u ON u.id = t.created_by ORDER BY t.valid_from DESC, t.created_at DESC",
    )
    .fetch_all(db.pool())
    .await?)
}

/// A new version of a case.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub id: &'a str,
    pub fee_kind: FeeKind,
    pub provider_class: ProviderClass,
    pub case_key: &'a str,
    pub amount_cents: i64,
    /// `YYYY-MM-DD`: the new version's first day.
    pub valid_from: &'a str,
    /// `YYYY-MM-DD`: the day before, when the open version closes.
    pub closing: &'a str,
    pub created_by: &'a str,
    pub created_at: &'a str,
}

/// What [`add_version`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Created; the open version it closed.
    Added { previous_id: String },
    /// The case has a version starting on or after the new one's start (or a concurrent edit
    /// closed the open version first): nothing written.
    NotAfterLatest,
    /// No such case: nothing written.
    UnknownCase,
}

#[derive(sqlx::FromRow)]
struct ClosedRow {
    id: String,
    description: String,
}

/// Adds a version to a case: in one transaction the open version is closed the day before the
/// new one starts, and the new one is inserted (with the closed one's description). Writes
/// first (SQLite takes the write lock now; PostgreSQL locks the open row): the open version is
/// closed only if it starts before the new one, so a concurrent edit that closed it first makes
/// this one find nothing and be refused.
pub async fn add_version(db: &Db, new: &NewVersion<'_>) -> Result<Added, StoreError> {
    let (fee, class) = (new.fee_kind.as_db(), new.provider_class.as_db());
    let mut tx = db.pool().begin().await?;
    let closed = sqlx::query_as::<_, ClosedRow>(
        "UPDATE tariffs SET valid_to = $1
         WHERE fee_kind = $2 AND provider_class = $3 AND case_key = $4 AND valid_to IS NULL AND valid_from < $5
         RETURNING id, description",
    )
    .bind(new.closing)
    .bind(fee)
    .bind(class)
    .bind(new.case_key)
    .bind(new.valid_from)
    .fetch_optional(&mut *tx)
    .await?;
    let later = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) AS n FROM tariffs WHERE fee_kind = $1 AND provider_class = $2 AND case_key = $3 AND valid_from >= $4",
    )
    .bind(fee)
    .bind(class)
    .bind(new.case_key)
    .bind(new.valid_from)
    .fetch_one(&mut *tx)
    .await?;
    let Some(closed) = closed.filter(|_| later == 0) else {
        tx.rollback().await?;
        let exists =
            sqlx::query("SELECT 1 AS one FROM tariffs WHERE fee_kind = $1 AND provider_class = $2 AND case_key = $3")
                .bind(fee)
                .bind(class)
                .bind(new.case_key)
                .fetch_optional(db.pool())
                .await?;
        return Ok(if exists.is_some() { Added::NotAfterLatest } else { Added::UnknownCase });
    };
    let inserted = sqlx::query(
        "INSERT INTO tariffs (id, fee_kind, provider_class, case_key, description, amount_cents, valid_from, valid_to, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9)",
    )
    .bind(new.id)
    .bind(fee)
    .bind(class)
    .bind(new.case_key)
    .bind(&closed.description)
    .bind(new.amount_cents)
    .bind(new.valid_from)
    .bind(new.created_by)
    .bind(new.created_at)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return Ok(Added::NotAfterLatest);
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(Added::Added { previous_id: closed.id })
}
