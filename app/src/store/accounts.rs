//! Accounts (`users`), their sessions (`sessions`, by the SHA-256 of the cookie) and the failed
//! logins that rate-limit authentication (`login_failures`).

use sqlx::FromRow;

use super::{decode, StoreError};
use crate::accounts::{CurrentUser, Role};
use crate::db::Db;

#[derive(FromRow)]
struct UserRow {
    id: String,
    email: String,
    role: String,
    display_name: String,
    email_verified_at: Option<String>,
}

impl TryFrom<UserRow> for CurrentUser {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<CurrentUser, StoreError> {
        Ok(CurrentUser {
            role: decode(&r.role, "role", Role::from_db)?,
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            email_verified: r.email_verified_at.is_some(),
        })
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub id: &'a str,
    /// Normalized (the unique index on `email` decides).
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub display_name: &'a str,
    pub created_at: &'a str,
}

/// Creates an account (on the pool, or inside a transaction). `false`: the e-mail is taken,
/// nothing was written.
pub async fn insert_user(executor: impl sqlx::AnyExecutor<'_>, user: &NewUser<'_>) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, password_hash, role, display_name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(user.id)
    .bind(user.email)
    .bind(user.password_hash)
    .bind(user.role.as_db())
    .bind(user.display_name)
    .bind(user.created_at)
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected() != 0)
}

/// How many accounts have `role`.
pub async fn count_by_role(db: &Db, role: Role) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) AS n FROM users WHERE role = $1")
        .bind(role.as_db())
        .fetch_one(db.pool())
        .await?)
}

#[derive(FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

/// The account with this e-mail and its password hash.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<(CurrentUser, String)>, StoreError> {
    sqlx::query_as::<_, LoginRow>(
        "SELECT id, email, password_hash, role, display_name, email_verified_at FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(db.pool())
    .await?
    .map(|r| Ok((CurrentUser::try_from(r.user)?, r.password_hash)))
    .transpose()
}

// ---- failed logins ----------------------------------------------------------------------------

/// Failed logins of `subject` in `scope` (`account`, `address`) after `since`.
pub async fn count_failures(db: &Db, scope: &str, subject: &str, since: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) AS n FROM login_failures WHERE scope = $1 AND subject = $2 AND failed_at > $3",
    )
    .bind(scope)
    .bind(subject)
    .bind(since)
    .fetch_one(db.pool())
    .await?)
}

/// A reserved failure: the row written before a password is checked (see [`reserve_failures`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation(Vec<i64>);

/// One limit of [`reserve_failures`]: at most `max` failures of `subject` in `scope` after `since`.
#[derive(Debug, Clone, Copy)]
pub struct FailureLimit<'a> {
    pub scope: &'static str,
    pub subject: &'a str,
    pub max: i64,
}

/// Counts and reserves in one write transaction: if any limit is reached, `Ok(Err(scope))`
/// and nothing is written; otherwise one failure row per limit is written *before* the caller
/// checks the password, so that parallel attempts count each other (at most `max` are ever
/// evaluated). The caller removes the reservation with [`release_failures`] when the password
/// is right. On PostgreSQL the transaction takes a lock per subject first
/// (`pg_advisory_xact_lock`): plain reads there do not wait for a concurrent insert.
pub async fn reserve_failures(
    db: &Db,
    limits: &[FailureLimit<'_>],
    since: &str,
    at: &str,
) -> Result<Result<Reservation, &'static str>, StoreError> {
    let mut tx = super::begin_write(db).await?;
    if db.backend() == crate::db::Backend::Postgres {
        let mut keys: Vec<String> = limits.iter().map(|l| format!("{}:{}", l.scope, l.subject)).collect();
        keys.sort();
        for key in keys {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))").bind(key).execute(&mut *tx).await?;
        }
    }
    for limit in limits {
        let n = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) AS n FROM login_failures WHERE scope = $1 AND subject = $2 AND failed_at > $3",
        )
        .bind(limit.scope)
        .bind(limit.subject)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        if n >= limit.max {
            return Ok(Err(limit.scope));
        }
    }
    let mut ids = Vec::new();
    for limit in limits {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO login_failures (scope, subject, failed_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(limit.scope)
        .bind(limit.subject)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(Ok(Reservation(ids)))
}

/// Removes a reservation (the password was right: it was not a failure).
pub async fn release_failures(db: &Db, reservation: Reservation) -> Result<(), StoreError> {
    for id in reservation.0 {
        sqlx::query("DELETE FROM login_failures WHERE id = $1").bind(id).execute(db.pool()).await?;
    }
    Ok(())
}

pub async fn record_failure(db: &Db, scope: &str, subject: &str, at: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO login_failures (scope, subject, failed_at) VALUES ($1, $2, $3)")
        .bind(scope)
        .bind(subject)
        .bind(at)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Forgets the failed logins of an account from one address (after a successful one there).
pub async fn clear_pair_failures(db: &Db, pair: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE scope = 'pair' AND subject = $1")
        .bind(pair)
        .execute(db.pool())
        .await?;
    Ok(())
}

// ---- sessions ---------------------------------------------------------------------------------

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A live session as the database has it: its account, when it expires and when it was last used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub user: CurrentUser,
    pub expires_at: String,
    pub last_seen: String,
}

/// The session with this token hash, if it exists, expires after `now` and was last used
/// after `idle_cutoff`.
pub async fn session_user(
    db: &Db,
    token_hash: &str,
    now: &str,
    idle_cutoff: &str,
) -> Result<Option<LiveSession>, StoreError> {
    let row = sqlx::query_as::<_, SessionRow>(
        "SELECT u.id, u.email, u.role, u.display_name, u.email_verified_at, s.expires_at,
                COALESCE(s.last_seen_at, s.created_at) AS last_seen
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND COALESCE(s.last_seen_at, s.created_at) > $3",
    )
    .bind(token_hash)
    .bind(now)
    .bind(idle_cutoff)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => {
            let user = CurrentUser::try_from(UserRow {
                id: row.id,
                email: row.email,
                role: row.role,
                display_name: row.display_name,
                email_verified_at: row.email_verified_at,
            })?;
            Ok(Some(LiveSession { user, expires_at: row.expires_at, last_seen: row.last_seen }))
        }
        None => Ok(None),
    }
}

#[derive(FromRow)]
struct SessionRow {
    id: String,
    email: String,
    role: String,
    display_name: String,
    email_verified_at: Option<String>,
    expires_at: String,
    last_seen: String,
}

/// Notes that a session was used at `now`.
pub async fn touch_session(db: &Db, token_hash: &str, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(token_hash).execute(db.pool()).await?;
    Ok(())
}

/// Removes the sessions expired at `now` and the failed logins up to `failures_until`.
pub async fn purge(db: &Db, now: &str, failures_until: &str, registrations_until: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(db.pool()).await?;
    sqlx::query("DELETE FROM login_failures WHERE scope <> 'registration' AND failed_at <= $1")
        .bind(failures_until)
        .execute(db.pool())
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE scope = 'registration' AND failed_at <= $1")
        .bind(registrations_until)
        .execute(db.pool())
        .await?;
    Ok(())
}

// ---- single-use tokens (e-mail verification, password reset) ----------------------------------

/// What a token is for (`account_tokens.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_db(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "VERIFY_EMAIL",
            TokenPurpose::ResetPassword => "RESET_PASSWORD",
        }
    }
}

/// Stores a token (its SHA-256) inside the caller's transaction.
pub async fn insert_token(
    tx: &mut super::Tx,
    token_hash: &str,
    user_id: &str,
    purpose: TokenPurpose,
    created_at: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(purpose.as_db())
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// True when the account was given a token for `purpose` after `since` (a cool-down).
pub async fn token_issued_since(
    db: &Db,
    user_id: &str,
    purpose: TokenPurpose,
    since: &str,
) -> Result<bool, StoreError> {
    let n = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) AS n FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3",
    )
    .bind(user_id)
    .bind(purpose.as_db())
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// Uses a token once: marks it used if it exists for `purpose`, is unused and has not expired
/// at `now`, and returns its account; `None` otherwise (nothing written). A compare-and-set on
/// `used_at`: of two concurrent uses only one gets the account.
pub async fn use_token(
    tx: &mut super::Tx,
    token_hash: &str,
    purpose: TokenPurpose,
    now: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar::<_, String>(
        "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose.as_db())
    .fetch_optional(&mut **tx)
    .await?)
}

/// Marks every unused token of the account for `purpose` as used (a reset link from an older
/// mail stops working once the password was reset).
pub async fn spend_tokens(
    tx: &mut super::Tx,
    user_id: &str,
    purpose: TokenPurpose,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .bind(purpose.as_db())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the account's password hash.
pub async fn set_password(tx: &mut super::Tx, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends every session of the account; returns how many there were.
pub async fn delete_sessions_of(tx: &mut super::Tx, user_id: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?.rows_affected())
}

/// Notes that the account's e-mail address was verified at `now` (the first time only).
pub async fn mark_email_verified(tx: &mut super::Tx, user_id: &str, now: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The account with this id.
pub async fn by_id(db: &Db, user_id: &str) -> Result<Option<CurrentUser>, StoreError> {
    sqlx::query_as::<_, UserRow>("SELECT id, email, role, display_name, email_verified_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .map(CurrentUser::try_from)
        .transpose()
}
