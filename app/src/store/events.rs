//! Training events declared in the plan (`events`), each with its per-event debt.
//!
//! An event is created once per form shown: the unique `events.declaration_key` decides, so a
//! replay of the form finds the event it created ([`by_declaration_key`]).

use sqlx::FromRow;

use super::{decode, StoreError, Tx};
use crate::db::Db;
use crate::events::model::{EventView, Procedure};
use crate::payments::model::{DebtState, DebtView, FeeKind, PaidChannel};

/// How many of the provider's events start between `from` and `to` (`YYYY-MM-DD`, inclusive).
pub async fn count_started_between(db: &Db, provider_id: &str, from: &str, to: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) AS n FROM events WHERE provider_id = $1 AND start_date >= $2 AND start_date <= $3",
    )
    .bind(provider_id)
    .bind(from)
    .bind(to)
    .fetch_one(db.pool())
    .await?)
}

#[derive(FromRow)]
struct EventRow {
    id: String,
    title: String,
    procedure_type: String,
    start_date: String,
    end_date: String,
    sponsored: i64,
    fee_cents: i64,
    created_at: String,
    debt_id: Option<String>,
    fee_kind: Option<String>,
    causale: Option<String>,
    amount_cents: Option<i64>,
    due_date: Option<String>,
    state: Option<String>,
    iuv: Option<String>,
    iur: Option<String>,
    paid_at: Option<String>,
    paid_channel: Option<String>,
}

fn missing(column: &str) -> StoreError {
    StoreError::Corrupt(format!("event debt without {column}"))
}

impl TryFrom<EventRow> for EventView {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<EventView, StoreError> {
        let debt = match r.debt_id {
            None => None,
            Some(id) => Some(DebtView {
                id,
                fee_kind: decode(
                    r.fee_kind.as_deref().ok_or_else(|| missing("fee_kind"))?,
                    "fee kind",
                    FeeKind::from_db,
                )?,
                causale: r.causale.ok_or_else(|| missing("causale"))?,
                amount_cents: r.amount_cents.ok_or_else(|| missing("amount_cents"))?,
                due_date: r.due_date,
                state: decode(r.state.as_deref().ok_or_else(|| missing("state"))?, "debt state", DebtState::from_db)?,
                iuv: r.iuv,
                iur: r.iur,
                paid_at: r.paid_at,
                paid_channel: r
                    .paid_channel
                    .as_deref()
                    .map(|c| decode(c, "paid channel", PaidChannel::from_db))
                    .transpose()?,
            }),
        };
        Ok(EventView {
            procedure: decode(&r.procedure_type, "procedure", Procedure::from_db)?,
            id: r.id,
            title: r.title,
            start_date: r.start_date,
            end_date: r.end_date,
            sponsored: r.sponsored == 1,
            fee_cents: r.fee_cents,
            debt,
            created_at: r.created_at,
        })
    }
}

/// Every event of the provider with its debt, newest start first.
pub async fn of_provider(db: &Db, provider_id: &str) -> Result<Vec<EventView>, StoreError> {
    sqlx::query_as::<_, EventRow>(
        "SELECT e.id, e.title, e.procedure_type, e.start_date, e.end_date, e.sponsored, e.fee_cents, e.created_at,
                d.id AS debt_id, d.fee_kind, d.causale, d.amount_cents, d.due_date, d.state, d.iuv, d.iur, d.paid_at, d.paid_channel
         FROM events e LEFT JOIN debts d ON d.event_id = e.id
         WHERE e.provider_id = $1 ORDER BY e.start_date DESC, e.created_at DESC, e.id",
    )
    .bind(provider_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(EventView::try_from)
    .collect()
}

/// A new event.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub provider_id: &'a str,
    pub declaration_key: &'a str,
    pub title: &'a str,
    pub procedure: Procedure,
    /// `YYYY-MM-DD`.
    pub start_date: &'a str,
    pub end_date: &'a str,
    pub sponsored: bool,
    /// The provider's class code when declared.
    pub provider_class: &'a str,
    pub tariff_id: &'a str,
    pub fee_cents: i64,
    pub created_by: &'a str,
    pub created_at: &'a str,
}

/// Creates the event. `false`: its declaration key was used already, nothing was written.
pub async fn insert(tx: &mut Tx, event: &NewEvent<'_>) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO events (id, provider_id, declaration_key, title, procedure_type, start_date, end_date, sponsored,
                             provider_class, tariff_id, fee_cents, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (declaration_key) DO NOTHING RETURNING id",
    )
    .bind(event.id)
    .bind(event.provider_id)
    .bind(event.declaration_key)
    .bind(event.title)
    .bind(event.procedure.as_db())
    .bind(event.start_date)
    .bind(event.end_date)
    .bind(i64::from(event.sponsored))
    .bind(event.provider_class)
    .bind(event.tariff_id)
    .bind(event.fee_cents)
    .bind(event.created_by)
    .bind(event.created_at)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(inserted.is_some())
}

#[derive(FromRow)]
struct KeyRow {
    id: String,
    provider_id: String,
}

/// The event created with a declaration key (which must exist): (event id, provider id).
pub async fn by_declaration_key(db: &Db, key: &str) -> Result<(String, String), StoreError> {
    let r = sqlx::query_as::<_, KeyRow>("SELECT id, provider_id FROM events WHERE declaration_key = $1")
        .bind(key)
        .fetch_one(db.pool())
        .await?;
    Ok((r.id, r.provider_id))
}
