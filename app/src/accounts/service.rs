//! Account services on the server: plain async functions taking explicit dependencies,
//! so they are testable without Leptos. Server functions in `api.rs` are thin wrappers.

use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;

use super::model::{CurrentUser, Role};
use super::session::token_hash;
use super::session_cache::SessionCache;
use crate::accounts::model::LoginLimits;
use crate::db::{format_utc, new_id, now_utc, Db};
use crate::domain::{DisplayName, Email, NewPassword};
use crate::error::internal;
use crate::error::AppError;
use crate::store;

/// Registrations are counted over an hour.
pub const REGISTRATION_WINDOW: Duration = Duration::from_secs(3600);

/// Takes one registration slot of `client_address` (and of the portal as a whole) for the
/// hour, or `TooManyRegistrations`. A slot is taken whether or not the registration then
/// succeeds: trying addresses one after another costs slots too.
pub async fn take_registration_slot(db: &Db, limits: &LoginLimits, client_address: &str) -> Result<(), AppError> {
    let since = format_utc(time::OffsetDateTime::now_utc() - REGISTRATION_WINDOW);
    let checks = [
        store::accounts::FailureLimit {
            scope: "registration",
            subject: client_address,
            max: limits.registrations_per_address,
        },
        store::accounts::FailureLimit { scope: "registration", subject: "*", max: limits.registrations_per_hour },
    ];
    match store::accounts::reserve_failures(db, &checks, &since, &now_utc()).await? {
        Ok(_) => Ok(()),
        Err(_) => {
            tracing::warn!(client_address, "registration refused: too many registrations in the last hour");
            Err(AppError::TooManyRegistrations)
        }
    }
}

/// Password hashing and checking are bounded: at most [`password_work_slots`] run at once in
/// this process (each takes about 19 MiB and a core for tens of milliseconds). A caller waits
/// up to [`PASSWORD_WORK_WAIT`] for a slot and otherwise gets [`AppError::Busy`] (503 with
/// `Retry-After`): a burst of registrations or logins can neither exhaust memory nor starve the
/// pages of CPU.
static PASSWORD_WORK: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(password_work_slots())));

/// How long a password operation waits for a free slot before answering "busy".
pub const PASSWORD_WORK_WAIT: Duration = Duration::from_secs(3);

/// Two per core.
pub fn password_work_slots() -> usize {
    2 * std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

/// Runs `work` (argon2) on the blocking pool once a slot is free within `wait`. The slot is held
/// by the blocking task itself, so it stays taken until the hash is done even if the caller
/// gives up meanwhile.
async fn password_work<T: Send + 'static>(
    wait: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let slots = PASSWORD_WORK.clone();
    let permit = match tokio::time::timeout(wait, slots.acquire_owned()).await {
        Ok(permit) => permit.map_err(internal)?,
        Err(_) => {
            tracing::warn!(slots = password_work_slots(), "every password-hashing slot busy: answering 503");
            return Err(AppError::Busy);
        }
    };
    tokio::task::spawn_blocking(move || {
        let _slot = permit;
        work()
    })
    .await
    .map_err(internal)
}

/// Hashes a password with argon2id (crate defaults: m=19 MiB, t=2, p=1) off the async runtime.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    password_work(PASSWORD_WORK_WAIT, move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await?
    .map_err(internal)
}

async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    password_work(PASSWORD_WORK_WAIT, move || {
        let parsed = PasswordHash::new(&hash)?;
        Ok::<bool, argon2::password_hash::Error>(
            Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        )
    })
    .await?
    .map_err(internal)
}

/// A valid argon2id hash of a random secret: verifying against it when the e-mail is unknown
/// makes "no such account" cost the same time as "wrong password".
async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password(new_id())
                .await
                .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aW52YWxpZA"))
        })
        .await
}

/// Creates an account. Fails with `EmailTaken` when the e-mail exists (case-insensitive).
pub async fn create_account(
    db: &Db,
    email: &Email,
    display_name: &DisplayName,
    password: &NewPassword,
    role: Role,
) -> Result<CurrentUser, AppError> {
    let hash = hash_password(password.expose().to_string()).await?;
    let id = new_id();
    let new = store::accounts::NewUser {
        id: &id,
        email: email.as_str(),
        password_hash: &hash,
        role,
        display_name: display_name.as_str(),
        created_at: &now_utc(),
    };
    if !store::accounts::insert_user(db.pool(), &new).await? {
        return Err(AppError::EmailTaken);
    }
    tracing::info!(user_id = %id, role = role.as_db(), "account created");
    Ok(CurrentUser {
        id,
        email: email.as_str().to_string(),
        display_name: display_name.as_str().to_string(),
        role,
        email_verified: false,
    })
}

/// Registers a provider's account and, in the same transaction, the mail that asks to confirm
/// its address (with a single-use link, [`VERIFY_TTL`]). Fails with `EmailTaken` when the
/// e-mail exists (case-insensitive).
pub async fn register_provider(
    db: &Db,
    email: &Email,
    display_name: &DisplayName,
    password: &NewPassword,
) -> Result<CurrentUser, AppError> {
    let hash = hash_password(password.expose().to_string()).await?;
    let id = new_id();
    let now = now_utc();
    let new = store::accounts::NewUser {
        id: &id,
        email: email.as_str(),
        password_hash: &hash,
        role: Role::Provider,
        display_name: display_name.as_str(),
        created_at: &now,
    };
    let mut tx = store::begin_write(db).await?;
    if !store::accounts::insert_user(&mut *tx, &new).await? {
        return Err(AppError::EmailTaken);
    }
    let user = CurrentUser {
        id,
        email: email.as_str().to_string(),
        display_name: display_name.as_str().to_string(),
        role: Role::Provider,
        email_verified: false,
    };
    issue_verification(&mut tx, &user).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user_id = %user.id, role = Role::Provider.as_db(), "account created");
    Ok(user)
}

/// How long an e-mail verification link works.
pub const VERIFY_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a password-reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(3600);
/// At most one verification or reset mail per account in this interval.
pub const LINK_COOLDOWN: Duration = Duration::from_secs(60);

/// 32 random bytes, URL-safe: a session cookie or the token of a mail link (only its SHA-256
/// is stored).
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn issue_verification(tx: &mut store::Tx, user: &CurrentUser) -> Result<(), AppError> {
    let token = new_token();
    let now = time::OffsetDateTime::now_utc();
    let purpose = store::accounts::TokenPurpose::VerifyEmail;
    store::accounts::insert_token(
        tx,
        &token_hash(&token),
        &user.id,
        purpose,
        &format_utc(now),
        &format_utc(now + VERIFY_TTL),
    )
    .await?;
    let mail = crate::mail::compose::verify_email(crate::mail::compose::LINK_BASE, &user.display_name, &token);
    crate::mail::outbox::enqueue_to(
        tx,
        crate::mail::model::MailKind::VerifyEmail,
        None,
        Some(&user.id),
        std::slice::from_ref(&user.email),
        &mail,
        true,
        None,
    )
    .await?;
    Ok(())
}

/// Sends the verification mail again (at most once per [`LINK_COOLDOWN`]); nothing when the
/// address is already verified.
pub async fn resend_verification(db: &Db, user: &CurrentUser) -> Result<(), AppError> {
    let Some(verified) = store::accounts::by_id(db, &user.id).await?.map(|u| u.email_verified) else {
        return Err(AppError::Unauthenticated);
    };
    let since = format_utc(time::OffsetDateTime::now_utc() - LINK_COOLDOWN);
    if verified
        || store::accounts::token_issued_since(db, &user.id, store::accounts::TokenPurpose::VerifyEmail, &since).await?
    {
        return Ok(());
    }
    let mut tx = store::begin_write(db).await?;
    issue_verification(&mut tx, user).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(())
}

/// A registration with the address of an existing account: that account is told (at most one
/// such mail an hour), nothing else changes.
pub async fn tell_existing_account(db: &Db, email: &Email) -> Result<(), AppError> {
    let Some((user, _)) = store::accounts::by_email(db, email.as_str()).await? else {
        return Ok(());
    };
    let hour = now_utc().chars().take(13).collect::<String>();
    let dedupe = format!("ACCOUNT_EXISTS:{}:{hour}", user.id);
    let mail = crate::mail::compose::account_exists(crate::mail::compose::LINK_BASE, &user.display_name);
    let mut tx = store::begin_write(db).await?;
    let kind = crate::mail::model::MailKind::AccountExists;
    crate::mail::outbox::enqueue_to(
        &mut tx,
        kind,
        None,
        Some(&user.id),
        std::slice::from_ref(&user.email),
        &mail,
        false,
        Some(&dedupe),
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user_id = %user.id, "registration with an existing address: the account was told");
    Ok(())
}

/// Confirms an account's address with the token of its verification link (once); returns the
/// account.
pub async fn verify_email(db: &Db, sessions: &SessionCache, token: &str) -> Result<CurrentUser, AppError> {
    let mut tx = store::begin_write(db).await?;
    let now = now_utc();
    let Some(user_id) =
        store::accounts::use_token(&mut tx, &token_hash(token), store::accounts::TokenPurpose::VerifyEmail, &now)
            .await?
    else {
        tracing::info!("e-mail verification refused: unknown, used or expired link");
        return Err(AppError::LinkInvalid);
    };
    store::accounts::mark_email_verified(&mut tx, &user_id, &now).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    sessions.forget_user(&user_id);
    tracing::info!(%user_id, "e-mail address verified");
    store::accounts::by_id(db, &user_id).await?.ok_or(AppError::LinkInvalid)
}

/// «Password dimenticata»: writes the reset mail (a single-use link valid [`RESET_TTL`]) for
/// the account with this address, if there is one and it had no link in the last
/// [`LINK_COOLDOWN`]. The caller answers the same whatever happened here, and does not wait for
/// it (see `api::request_password_reset`): an unknown address looks exactly like a known one.
pub async fn request_password_reset(db: &Db, email: &Email) -> Result<(), AppError> {
    let Some((user, _)) = store::accounts::by_email(db, email.as_str()).await? else {
        tracing::info!("password reset asked for an address without account: nothing sent");
        return Ok(());
    };
    let purpose = store::accounts::TokenPurpose::ResetPassword;
    let now = time::OffsetDateTime::now_utc();
    if store::accounts::token_issued_since(db, &user.id, purpose, &format_utc(now - LINK_COOLDOWN)).await? {
        tracing::info!(user_id = %user.id, "password reset asked again within a minute: nothing sent");
        return Ok(());
    }
    let token = new_token();
    let mut tx = store::begin_write(db).await?;
    store::accounts::insert_token(
        &mut tx,
        &token_hash(&token),
        &user.id,
        purpose,
        &format_utc(now),
        &format_utc(now + RESET_TTL),
    )
    .await?;
    let mail = crate::mail::compose::password_reset(crate::mail::compose::LINK_BASE, &user.display_name, &token);
    crate::mail::outbox::enqueue_to(
        &mut tx,
        crate::mail::model::MailKind::PasswordReset,
        None,
        Some(&user.id),
        std::slice::from_ref(&user.email),
        &mail,
        true,
        None,
    )
    .await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(user_id = %user.id, "password reset link written to the outbox");
    Ok(())
}

/// Sets a new password with the token of a reset link (once, within the hour): every session of
/// the account ends, every other reset link stops working, and the address counts as verified
/// (the link reached it). Returns the account.
pub async fn reset_password(
    db: &Db,
    sessions: &SessionCache,
    token: &str,
    password: &NewPassword,
) -> Result<CurrentUser, AppError> {
    let hash = hash_password(password.expose().to_string()).await?;
    let mut tx = store::begin_write(db).await?;
    let now = now_utc();
    let purpose = store::accounts::TokenPurpose::ResetPassword;
    let Some(user_id) = store::accounts::use_token(&mut tx, &token_hash(token), purpose, &now).await? else {
        tracing::info!("password reset refused: unknown, used or expired link");
        return Err(AppError::LinkInvalid);
    };
    store::accounts::set_password(&mut tx, &user_id, &hash).await?;
    let ended = store::accounts::delete_sessions_of(&mut tx, &user_id).await?;
    store::accounts::spend_tokens(&mut tx, &user_id, purpose, &now).await?;
    store::accounts::mark_email_verified(&mut tx, &user_id, &now).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    sessions.forget_user(&user_id);
    tracing::info!(%user_id, sessions_ended = ended, "password reset");
    let user = store::accounts::by_id(db, &user_id).await?.ok_or(AppError::LinkInvalid)?;
    Ok(user)
}

/// Changes the password of the logged-in account after checking the current one (with the
/// login limits: a stolen session cannot guess it quickly). Every session of the account ends;
/// the caller opens a new one for the browser that made the change.
pub async fn change_password(
    db: &Db,
    sessions: &SessionCache,
    limits: &LoginLimits,
    user: &CurrentUser,
    current: &str,
    password: &NewPassword,
    client_address: &str,
) -> Result<(), AppError> {
    authenticate(db, limits, &user.email, current, client_address).await.map_err(|error| match error {
        AppError::InvalidCredentials => AppError::WrongPassword,
        other => other,
    })?;
    let hash = hash_password(password.expose().to_string()).await?;
    let mut tx = store::begin_write(db).await?;
    store::accounts::set_password(&mut tx, &user.id, &hash).await?;
    let ended = store::accounts::delete_sessions_of(&mut tx, &user.id).await?;
    store::accounts::spend_tokens(&mut tx, &user.id, store::accounts::TokenPurpose::ResetPassword, &now_utc()).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    sessions.forget_user(&user.id);
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password changed");
    Ok(())
}

/// «Esci da tutti i dispositivi»: ends every session of the account, this one included.
pub async fn end_all_sessions(db: &Db, sessions: &SessionCache, user: &CurrentUser) -> Result<u64, AppError> {
    let mut tx = store::begin_write(db).await?;
    let ended = store::accounts::delete_sessions_of(&mut tx, &user.id).await?;
    tx.commit().await.map_err(store::StoreError::from)?;
    sessions.forget_user(&user.id);
    tracing::info!(user_id = %user.id, sessions_ended = ended, "logged out everywhere");
    Ok(ended)
}

/// Creates the first Segreteria account from the start-up settings when no Segreteria
/// account exists yet. Returns true when it created one.
pub async fn ensure_first_segreteria(db: &Db, email: &Email, password: &NewPassword) -> Result<bool, AppError> {
    let existing = store::accounts::count_by_role(db, Role::Segreteria).await?;
    if existing > 0 {
        return Ok(false);
    }
    let name = DisplayName::parse("Segreteria ECM").map_err(AppError::from)?;
    create_account(db, email, &name, password, Role::Segreteria).await?;
    Ok(true)
}

/// Checks e-mail and password, enforcing the failed-login limits before any hash work.
pub async fn authenticate(
    db: &Db,
    limits: &LoginLimits,
    email_input: &str,
    password: &str,
    client_address: &str,
) -> Result<CurrentUser, AppError> {
    // An unparseable e-mail cannot match an account: count it against the address only.
    let email = Email::parse(email_input).ok();
    let account_key = email.as_ref().map(|e| e.as_str().to_string());
    let pair_key = account_key.as_ref().map(|key| format!("{key} {client_address}"));
    let since = format_utc(time::OffsetDateTime::now_utc() - limits.window);

    // Per account, from every address: never a refusal (anyone could lock the owner out), a
    // slow-down that keeps guessing slow once the account has had its share of failures.
    if let Some(key) = &account_key {
        let failures = store::accounts::count_failures(db, "account", key, &since).await?;
        if let Some(delay) = slow_down(failures, limits.max_failures_per_account) {
            tracing::info!(
                delay_ms = delay.as_millis() as u64,
                "login slowed down: many recent failures for this account"
            );
            tokio::time::sleep(delay).await;
        }
    }
    // Per account-and-address pair, and per address: refusals. The failure is reserved before
    // the password is checked, so parallel attempts count each other (at most the limit are
    // ever evaluated), and released when the password is right.
    let mut checks = vec![store::accounts::FailureLimit {
        scope: "address",
        subject: client_address,
        max: limits.max_failures_per_address,
    }];
    if let (Some(pair), Some(key)) = (&pair_key, &account_key) {
        checks.push(store::accounts::FailureLimit {
            scope: "pair",
            subject: pair,
            max: limits.max_failures_per_account,
        });
        checks.push(store::accounts::FailureLimit { scope: "account", subject: key, max: i64::MAX });
    }
    let reservation = match store::accounts::reserve_failures(db, &checks, &since, &now_utc()).await? {
        Ok(reservation) => reservation,
        Err(scope) => {
            tracing::warn!(client_address, scope, "login refused: too many failures");
            return Err(AppError::TooManyAttempts);
        }
    };

    let found = match &email {
        Some(email) => store::accounts::by_email(db, email.as_str()).await?,
        None => None,
    };
    let user = match found {
        Some((user, hash)) => verify_password(password.to_string(), hash).await?.then_some(user),
        None => {
            let _ = verify_password(password.to_string(), dummy_hash().await.to_string()).await;
            None
        }
    };

    match user {
        Some(user) => {
            store::accounts::release_failures(db, reservation).await?;
            if let Some(pair) = &pair_key {
                store::accounts::clear_pair_failures(db, pair).await?;
            }
            tracing::info!(user_id = %user.id, "login succeeded");
            Ok(user)
        }
        None => {
            tracing::info!(client_address, "login failed: wrong e-mail or password");
            Err(AppError::InvalidCredentials)
        }
    }
}

/// The wait before checking a password of an account that already had `failures` failed
/// logins in the window (from any address): none up to `allowed`, then 0.5 s doubling with
/// every further failure, at most 8 s.
pub fn slow_down(failures: i64, allowed: i64) -> Option<Duration> {
    let over = failures - allowed;
    (over >= 0).then(|| Duration::from_millis(500u64.saturating_mul(1u64 << over.min(4))))
}

/// Starts a session and returns the cookie value (only its SHA-256 is stored).
pub async fn create_session(db: &Db, user_id: &str, ttl: Duration) -> Result<String, AppError> {
    let token = new_token();
    let now = time::OffsetDateTime::now_utc();
    store::accounts::insert_session(db, &token_hash(&token), user_id, &format_utc(now), &format_utc(now + ttl)).await?;
    Ok(token)
}

/// Ends one session (logout).
pub async fn delete_session(db: &Db, sessions: &SessionCache, token: &str) -> Result<(), AppError> {
    let hash = token_hash(token);
    store::accounts::delete_session(db, &hash).await?;
    sessions.forget(&hash);
    Ok(())
}

/// Removes expired sessions and old login failures; run periodically by the server.
pub async fn purge_expired(db: &Db, limits: &LoginLimits) -> Result<(), AppError> {
    let failures_until = format_utc(time::OffsetDateTime::now_utc() - limits.window);
    let registrations_until = format_utc(time::OffsetDateTime::now_utc() - REGISTRATION_WINDOW);
    Ok(store::accounts::purge(db, &now_utc(), &failures_until, &registrations_until).await?)
}

/// Counts accounts by role (for the Segreteria overview).
pub async fn count_by_role(db: &Db, role: Role) -> Result<i64, AppError> {
    Ok(store::accounts::count_by_role(db, role).await?)
}

#[cfg(test)]
mod password_work_tests {
    use super::*;

    #[test]
    fn the_slow_down_starts_at_the_limit_doubles_and_stops_at_eight_seconds() {
        assert_eq!(slow_down(4, 5), None);
        assert_eq!(slow_down(5, 5), Some(Duration::from_millis(500)));
        assert_eq!(slow_down(6, 5), Some(Duration::from_millis(1000)));
        assert_eq!(slow_down(9, 5), Some(Duration::from_millis(8000)));
        assert_eq!(slow_down(500, 5), Some(Duration::from_millis(8000)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_never_runs_more_than_its_slots_and_answers_busy_when_they_stay_taken() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let slots = password_work_slots();
        // Twice as many jobs as slots, each holding its slot for 300 ms.
        let jobs: Vec<_> = (0..slots * 2)
            .map(|_| {
                let (running, peak) = (running.clone(), peak.clone());
                tokio::spawn(password_work(Duration::from_secs(10), move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(300));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Every slot is taken now: a caller that may wait only 50 ms is told the server is busy.
        let busy = password_work(Duration::from_millis(50), || ()).await;
        assert_eq!(busy, Err(AppError::Busy));
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), slots, "at most {slots} at once, and all of them used");
    }
}
