//! The store: the only code that runs SQL (besides migrations, the pool plumbing of
//! [`crate::db`] and tests; `guard.rs` fails the tests when SQL appears anywhere else).
//!
//! One module per table group: [`accounts`] (users, sessions, failed logins), [`attempts`]
//! (payment attempts, their lines and events, the reconciler's leases, the payments console),
//! [`debts`] (debts, their events, annulments, the debts console, the statement), [`documents`],
//! [`events`] (the training plan), [`providers`], [`quietanze`] (treasury payment evidence),
//! [`requests`] (requests, their history, the requests console) and [`tariffs`]; [`paged`] is
//! the paged query every console queue runs on.
//!
//! Services call the functions here with domain values and get domain values back; rows are
//! decoded with `sqlx::FromRow` into the private `…Row` structs of each module. One SQL text
//! runs on both databases (the portable subset, see CONTRIBUTING "Storage"); where the dialects
//! truly differ the module branches on [`Db::backend`] and nowhere else does.
//!
//! **One writer per state machine.** Each machine — request, debt, payment attempt, quietanza —
//! has exactly one function that changes its state: it checks the transition table of the domain
//! type (`RequestState::can_move_to`, `DebtState::can_move_to`, `AttemptState::can_move_to`,
//! `QuietanzaState::can_move_to`),
//! changes the row with a compare-and-set on the expected state, and appends the audit row in
//! the same transaction. Nothing else writes those columns.
//!
//! **Write transactions take the write lock first** ([`begin_write`]): on SQLite `BEGIN
//! IMMEDIATE`, so two writers queue on the busy timeout instead of one failing with "database is
//! locked" when its read lock cannot be upgraded; on PostgreSQL an ordinary transaction whose
//! first statement is the write (`INSERT … ON CONFLICT`, `UPDATE … RETURNING`), or — when what
//! it writes depends on a request's state — the request's row lock ([`requests::lock_in`],
//! `SELECT … FOR UPDATE`): PostgreSQL's plain reads do not wait for writers, so without it an
//! upload or a censimento change could read BOZZA while «Invia» commits.

pub mod accounts;
pub mod attempts;
pub mod backlog;
pub mod debts;
pub mod documents;
pub mod events;
pub mod outbox;
pub mod paged;
pub mod providers;
pub mod quietanze;
pub mod requests;
pub mod tariffs;

#[cfg(test)]
mod guard;

use crate::db::{Backend, Db};
use crate::error::AppError;

/// The largest page number a console asks for (a number typed in a URL is clamped to it).
pub const MAX_PAGE: i64 = 1_000_000;

/// A transaction on either database.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The insert of an audit row (a request's history, a provider's changes) with what every such
/// row starts with already bound: `$1` a new id, `$2` the subject, `$3` now, `$4`/`$5` the
/// actor's id and role. The caller binds the rest, from `$6`.
pub(crate) fn audit_row<'q>(
    sql: &'static str,
    subject: &'q str,
    actor: &'q crate::accounts::CurrentUser,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sql)
        .bind(crate::db::new_id())
        .bind(subject)
        .bind(crate::db::now_utc())
        .bind(&actor.id)
        .bind(actor.role.as_db())
}

/// What can go wrong in the store. Services turn it into an [`AppError`] with `?`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A concurrent change won (a compare-and-set found another state, a unique key was
    /// taken): nothing was written. The user gets 409 and reloads.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A caller asked a machine for a move its transition table forbids: a bug, not a race.
    #[error("{machine}: transition {from} -> {to} not allowed")]
    Transition { machine: &'static str, from: &'static str, to: &'static str },
    /// A row holds a value the domain does not know (an unknown state code, …).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A unique-key violation, as a conflict (`what` names it for the log).
    pub fn from_unique(error: sqlx::Error, what: &'static str) -> StoreError {
        match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Database(error),
        }
    }
}

impl From<StoreError> for AppError {
    #[track_caller]
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::Conflict(what) => {
                tracing::info!(what, "concurrent change: answering 409");
                AppError::Conflict
            }
            other => crate::error::internal_error(&other),
        }
    }
}

/// Begins a transaction that will write (see the module documentation).
pub async fn begin_write(db: &Db) -> Result<Tx, StoreError> {
    Ok(match db.backend() {
        Backend::Sqlite => db.pool().begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => db.pool().begin().await?,
    })
}

/// True when the database answers a trivial query (the readiness check).
pub async fn ping(db: &Db) -> bool {
    sqlx::query("SELECT 1").execute(db.pool()).await.is_ok()
}

/// Begins a read-only transaction (a consistent view of several reads).
pub async fn begin_read(db: &Db) -> Result<Tx, StoreError> {
    Ok(db.pool().begin().await?)
}

/// The domain's coded enums are TEXT columns: a row struct holds them directly, decoded by
/// their `from_db` (an unknown code fails the read, naming the type and the code).
macro_rules! text_codes {
    ($($ty:ty),* $(,)?) => {$(
        impl sqlx::Type<sqlx::Any> for $ty {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Any> for $ty {
            fn decode(value: <sqlx::Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let code = <&str as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                <$ty>::from_db(code).ok_or_else(|| format!("unknown {} code {code:?}", stringify!($ty)).into())
            }
        }
    )*};
}

text_codes!(
    crate::accounts::Role,
    crate::events::model::Procedure,
    crate::mail::model::MailKind,
    crate::mail::model::MailState,
    crate::payments::model::AttemptKind,
    crate::payments::model::AttemptState,
    crate::payments::model::DebtState,
    crate::payments::model::FeeKind,
    crate::payments::model::PaidChannel,
    crate::providers::model::ProviderClass,
    crate::quietanze::model::QuietanzaState,
    crate::requests::model::RequestKind,
    crate::requests::model::RequestState,
    debts::DebtEventKind,
);

/// A domain code read from a column: `parse` or [`StoreError::Corrupt`].
pub(crate) fn decode<T>(value: &str, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} {value:?}")))
}
