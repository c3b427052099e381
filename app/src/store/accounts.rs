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
}

impl TryFrom<UserRow> for CurrentUser {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<CurrentUser, StoreError> {
        Ok(CurrentUser { role: decode(&r.role, "role", Role::from_db)?, id: r.id, email: r.email, display_name: r.display_name })
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

/// Creates an account. `false`: the e-mail is taken, nothing was written.
pub async fn insert_user(db: &Db, user: &NewUser<'_>) -> Result<bool, StoreError> {
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
    .execute(db.pool())
    .await?;
    Ok(inserted.rows_affected() != 0)
}

/// How many accounts have `role`.
pub async fn count_by_role(db: &Db, role: Role) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) AS n FROM users WHERE role = $1").bind(role.as_db()).fetch_one(db.pool()).await?)
}

#[derive(FromRow)]
struct LoginRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

/// The account with this e-mail and its password hash.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<(CurrentUser, String)>, StoreError> {
    sqlx::query_as::<_, LoginRow>("SELECT id, email, password_hash, role, display_name FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(db.pool())
        .await?
        .map(|r| Ok((CurrentUser::try_from(r.user)?, r.password_hash)))
        .transpose()
}

// ---- failed logins ----------------------------------------------------------------------------

/// Failed logins of `subject` in `scope` (`account`, `address`) after `since`.
pub async fn count_failures(db: &Db, scope: &str, subject: &str, since: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) AS n FROM login_failures WHERE scope = $1 AND subject = $2 AND failed_at > $3")
        .bind(scope)
        .bind(subject)
        .bind(since)
        .fetch_one(db.pool())
        .await?)
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

/// Forgets the failed logins of an account (after a successful one).
pub async fn clear_account_failures(db: &Db, account: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE scope = 'account' AND subject = $1").bind(account).execute(db.pool()).await?;
    Ok(())
}

// ---- sessions ---------------------------------------------------------------------------------

pub async fn insert_session(db: &Db, token_hash: &str, user_id: &str, created_at: &str, expires_at: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The account behind a session, if the session exists and expires after `now`.
pub async fn session_user(db: &Db, token_hash: &str, now: &str) -> Result<Option<CurrentUser>, StoreError> {
    sqlx::query_as::<_, UserRow>(
        "SELECT u.id, u.email, u.role, u.display_name
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1 AND s.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    .map(CurrentUser::try_from)
    .transpose()
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(token_hash).execute(db.pool()).await?;
    Ok(())
}

/// Removes the sessions expired at `now` and the failed logins up to `failures_until`.
pub async fn purge(db: &Db, now: &str, failures_until: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(db.pool()).await?;
    sqlx::query("DELETE FROM login_failures WHERE failed_at <= $1").bind(failures_until).execute(db.pool()).await?;
    Ok(())
}
