//! Storage behaviour suite: the same scenarios on SQLite and on PostgreSQL.

use crate::support;

use std::time::Duration;

use app::accounts::model::LoginLimits;
use app::accounts::service::*;
use app::accounts::session::session_user;
use app::accounts::session_cache::SessionCache;
use app::accounts::Role;
use app::db::Db;
use app::domain::{DisplayName, Email, NewPassword};
use app::error::AppError;
use support::{Backend, TestDb};

async fn fresh(backend: Backend) -> Option<(TestDb, Db)> {
    let test_db = TestDb::create(backend).await?;
    let db = Db::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    Some((test_db, db))
}

async fn done(test_db: TestDb, db: Db) {
    db.close().await;
    test_db.cleanup().await;
}

fn email(value: &str) -> Email {
    Email::parse(value).unwrap()
}

fn password(value: &str) -> NewPassword {
    NewPassword::parse(value, value).unwrap()
}

fn name() -> DisplayName {
    DisplayName::parse("Anna Bianchi").unwrap()
}

const IDLE: Duration = Duration::from_secs(3600);

const LIMITS: LoginLimits = LoginLimits {
    max_failures_per_account: 3,
    max_failures_per_address: 5,
    window: Duration::from_secs(900),
    registrations_per_address: 10,
    registrations_per_hour: 300,
};

async fn migrations_apply_twice_without_change(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    db.migrate().await.expect("re-running migrations is a no-op");
    assert!(app::store::ping(&db).await);
    done(test_db, db).await;
}
both_backends!(migrations_are_idempotent, migrations_apply_twice_without_change);

async fn account_round_trip(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    let created = create_account(&db, &email("Anna@Provider.it"), &name(), &password("Provider2026"), Role::Provider)
        .await
        .unwrap();
    assert_eq!(created.email, "anna@provider.it");

    let logged = authenticate(&db, &LIMITS, " ANNA@provider.it ", "Provider2026", "10.0.0.1").await.unwrap();
    assert_eq!(logged, created);
    assert_eq!(logged.role, Role::Provider);
    done(test_db, db).await;
}
both_backends!(created_account_can_log_in, account_round_trip);

async fn duplicate_email_refused(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    create_account(&db, &email("dup@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    let second =
        create_account(&db, &email("DUP@provider.it"), &name(), &password("Altra2026pass"), Role::Provider).await;
    assert_eq!(second.unwrap_err(), AppError::EmailTaken);
    // The first account still logs in with its own password: nothing was overwritten.
    assert!(authenticate(&db, &LIMITS, "dup@provider.it", "Provider2026", "10.0.0.1").await.is_ok());
    done(test_db, db).await;
}
both_backends!(duplicate_email_is_refused_case_insensitively, duplicate_email_refused);

async fn wrong_password_and_unknown_account(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    create_account(&db, &email("a@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    let wrong = authenticate(&db, &LIMITS, "a@provider.it", "Sbagliata2026", "10.0.0.1").await;
    assert_eq!(wrong.unwrap_err(), AppError::InvalidCredentials);
    let unknown = authenticate(&db, &LIMITS, "nessuno@provider.it", "Provider2026", "10.0.0.2").await;
    assert_eq!(unknown.unwrap_err(), AppError::InvalidCredentials);
    done(test_db, db).await;
}
both_backends!(wrong_password_and_unknown_email_give_the_same_error, wrong_password_and_unknown_account);

async fn account_rate_limit(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    create_account(&db, &email("a@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    for _ in 0..LIMITS.max_failures_per_account {
        assert_eq!(
            authenticate(&db, &LIMITS, "a@provider.it", "Sbagliata2026", "10.0.1.1").await.unwrap_err(),
            AppError::InvalidCredentials
        );
    }
    // The guessing address is refused for this account, even with the right password...
    let blocked = authenticate(&db, &LIMITS, "a@provider.it", "Provider2026", "10.0.1.1").await;
    assert_eq!(blocked.unwrap_err(), AppError::TooManyAttempts);
    // ...the owner elsewhere gets in: slowed down (the account had its share of failures), not refused.
    let started = std::time::Instant::now();
    assert!(authenticate(&db, &LIMITS, "a@provider.it", "Provider2026", "10.0.2.1").await.is_ok());
    assert!(started.elapsed() >= Duration::from_millis(500), "no slow-down: {:?}", started.elapsed());
    done(test_db, db).await;
}
both_backends!(too_many_failures_block_the_address_for_the_account_and_slow_the_account_down, account_rate_limit);

async fn address_rate_limit(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    create_account(&db, &email("b@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    for i in 0..LIMITS.max_failures_per_address {
        // Different accounts: only the per-address limit can trigger.
        let who = format!("x{i}@provider.it");
        assert_eq!(
            authenticate(&db, &LIMITS, &who, "Sbagliata2026", "10.9.9.9").await.unwrap_err(),
            AppError::InvalidCredentials
        );
    }
    let blocked = authenticate(&db, &LIMITS, "b@provider.it", "Provider2026", "10.9.9.9").await;
    assert_eq!(blocked.unwrap_err(), AppError::TooManyAttempts);
    let elsewhere = authenticate(&db, &LIMITS, "b@provider.it", "Provider2026", "10.9.9.10").await;
    assert!(elsewhere.is_ok(), "another address is not affected");
    done(test_db, db).await;
}
both_backends!(too_many_failures_from_one_address_block_it, address_rate_limit);

async fn success_resets_account_failures(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    create_account(&db, &email("c@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    for _ in 0..LIMITS.max_failures_per_account - 1 {
        let _ = authenticate(&db, &LIMITS, "c@provider.it", "Sbagliata2026", "10.0.3.1").await;
    }
    authenticate(&db, &LIMITS, "c@provider.it", "Provider2026", "10.0.3.1").await.unwrap();
    // The count of this address for this account started again.
    for _ in 0..LIMITS.max_failures_per_account - 1 {
        let wrong = authenticate(&db, &LIMITS, "c@provider.it", "Sbagliata2026", "10.0.3.1").await;
        assert_eq!(wrong.unwrap_err(), AppError::InvalidCredentials);
    }
    assert!(authenticate(&db, &LIMITS, "c@provider.it", "Provider2026", "10.0.3.1").await.is_ok());
    done(test_db, db).await;
}
both_backends!(a_successful_login_resets_the_count_of_its_address, success_resets_account_failures);

async fn sessions_live_and_die(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    let user =
        create_account(&db, &email("s@provider.it"), &name(), &password("Provider2026"), Role::Provider).await.unwrap();
    // With the cache on, as a portal runs: the database's rules hold through it.
    let cache = SessionCache::new(Duration::from_secs(60));
    let token = create_session(&db, &user.id, Duration::from_secs(3600)).await.unwrap();
    assert_eq!(session_user(&db, &cache, &token, IDLE).await.unwrap(), Some(user.clone()));
    assert_eq!(session_user(&db, &cache, "not-a-token", IDLE).await.unwrap(), None);

    let other = create_session(&db, &user.id, Duration::from_secs(3600)).await.unwrap();
    assert_ne!(token, other, "each login gets a new session id");
    delete_session(&db, &cache, &token).await.unwrap();
    assert_eq!(session_user(&db, &cache, &token, IDLE).await.unwrap(), None);
    assert_eq!(
        session_user(&db, &cache, &other, IDLE).await.unwrap(),
        Some(user.clone()),
        "logging out one session keeps the others"
    );

    let short = create_session(&db, &user.id, Duration::from_millis(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(session_user(&db, &cache, &short, IDLE).await.unwrap(), None, "an expired session is not accepted");
    // Nor is one that expires while the cache holds it: its expiry is checked at every use.
    let brief = create_session(&db, &user.id, Duration::from_secs(2)).await.unwrap();
    assert_eq!(session_user(&db, &cache, &brief, IDLE).await.unwrap(), Some(user.clone()));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(session_user(&db, &cache, &brief, IDLE).await.unwrap(), None, "expired while cached");
    purge_expired(&db, &LIMITS).await.unwrap();
    assert_eq!(session_user(&db, &cache, &other, IDLE).await.unwrap(), Some(user));
    done(test_db, db).await;
}
both_backends!(sessions_expire_and_end_at_logout, sessions_live_and_die);

/// A session unused for longer than the idle timeout is over, well before its absolute
/// expiry; using a session keeps it alive (its last use is refreshed).
async fn idle_sessions(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    let user = create_account(&db, &email("idle@provider.it"), &name(), &password("Provider2026"), Role::Provider)
        .await
        .unwrap();
    let cache = SessionCache::new(Duration::from_secs(60));
    let (used, forgotten) = (
        create_session(&db, &user.id, Duration::from_secs(8 * 3600)).await.unwrap(),
        create_session(&db, &user.id, Duration::from_secs(8 * 3600)).await.unwrap(),
    );
    // Both were opened two hours ago (the idle timeout is one hour).
    let two_hours_ago = app::db::format_utc(time::OffsetDateTime::now_utc() - time::Duration::hours(2));
    sqlx::query("UPDATE sessions SET created_at = $1, last_seen_at = NULL")
        .bind(&two_hours_ago)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(session_user(&db, &cache, &forgotten, IDLE).await.unwrap(), None, "unused for two hours");
    // The other one was used ten minutes ago: alive, and this use is recorded.
    use sha2::Digest;
    let used_hash: String = sha2::Sha256::digest(used.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let ten_minutes_ago = app::db::format_utc(time::OffsetDateTime::now_utc() - time::Duration::minutes(10));
    let touched = sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(&ten_minutes_ago)
        .bind(&used_hash)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(touched.rows_affected(), 1);
    assert_eq!(session_user(&db, &cache, &used, IDLE).await.unwrap(), Some(user.clone()));
    assert_eq!(session_user(&db, &cache, &forgotten, IDLE).await.unwrap(), None);
    let last_seen: String = sqlx::query_scalar("SELECT last_seen_at FROM sessions WHERE id_hash = $1")
        .bind(&used_hash)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(last_seen > ten_minutes_ago, "the use was recorded: {last_seen}");
    done(test_db, db).await;
}
both_backends!(an_idle_session_ends_and_a_used_one_lives, idle_sessions);

/// The token of the last link of this kind written to the outbox for this address.
async fn link_token(db: &Db, kind: &str, recipient: &str) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM mail_outbox WHERE kind = $1 AND recipient = $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(kind)
    .bind(recipient)
    .fetch_one(db.pool())
    .await
    .unwrap();
    let start = body.find("token=").unwrap_or_else(|| panic!("no link in {body}")) + "token=".len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

/// The session cache never outlives what ends a session or changes what it says: after a
/// logout, an e-mail verification, a password change, «Esci da tutti i dispositivi» and a password
/// reset, the very next lookup of a session answered from the cache just before sees the change.
async fn cached_sessions_follow_every_change(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    let cache = SessionCache::new(Duration::from_secs(60));
    let address = "cache@provider.it";
    let user = register_provider(&db, &email(address), &name(), &password("Provider2026")).await.unwrap();
    let hour = Duration::from_secs(3600);
    let lookup = |token: String| {
        let (db, cache) = (db.clone(), cache.clone());
        async move { session_user(&db, &cache, &token, IDLE).await.unwrap() }
    };

    // Logout: that session at once, the other one stays.
    let (a, b) =
        (create_session(&db, &user.id, hour).await.unwrap(), create_session(&db, &user.id, hour).await.unwrap());
    assert_eq!(lookup(a.clone()).await, Some(user.clone()));
    assert_eq!(lookup(b.clone()).await, Some(user.clone()));
    assert_eq!(cache.len(), 2, "both answers are kept");
    delete_session(&db, &cache, &a).await.unwrap();
    assert_eq!(lookup(a).await, None, "logged out");
    assert_eq!(lookup(b.clone()).await, Some(user.clone()));

    // The address verified: the cached session says so at once.
    let verify = link_token(&db, "VERIFY_EMAIL", address).await;
    verify_email(&db, &cache, &verify).await.unwrap();
    let verified = lookup(b.clone()).await.expect("still logged in");
    assert!(verified.email_verified, "the cached copy was dropped");

    // A password change ends every session of the account.
    let c = create_session(&db, &user.id, hour).await.unwrap();
    assert!(lookup(c.clone()).await.is_some());
    change_password(&db, &cache, &LIMITS, &verified, "Provider2026", &password("Cambiata2026"), "10.0.9.1")
        .await
        .unwrap();
    assert_eq!((lookup(b).await, lookup(c).await), (None, None), "password changed");

    // «Esci da tutti i dispositivi».
    let d = create_session(&db, &user.id, hour).await.unwrap();
    assert!(lookup(d.clone()).await.is_some());
    end_all_sessions(&db, &cache, &verified).await.unwrap();
    assert_eq!(lookup(d).await, None, "logged out everywhere");

    // A password reset through the mailed link.
    let e = create_session(&db, &user.id, hour).await.unwrap();
    assert!(lookup(e.clone()).await.is_some());
    request_password_reset(&db, &email(address)).await.unwrap();
    let reset = link_token(&db, "PASSWORD_RESET", address).await;
    reset_password(&db, &cache, &reset, &password("Reimpostata2026")).await.unwrap();
    assert_eq!(lookup(e).await, None, "password reset");
    done(test_db, db).await;
}
both_backends!(a_cached_session_follows_every_change_at_once, cached_sessions_follow_every_change);

async fn first_segreteria_once(backend: Backend) {
    let Some((test_db, db)) = fresh(backend).await else { return };
    let admin = email("segreteria@regione.veneto.it");
    assert!(ensure_first_segreteria(&db, &admin, &password("Segreteria2026")).await.unwrap());
    assert!(!ensure_first_segreteria(&db, &email("altro@regione.veneto.it"), &password("Segreteria2026"))
        .await
        .unwrap());
    assert_eq!(count_by_role(&db, Role::Segreteria).await.unwrap(), 1);
    let user = authenticate(&db, &LIMITS, "segreteria@regione.veneto.it", "Segreteria2026", "10.0.0.1").await.unwrap();
    assert_eq!(user.role, Role::Segreteria);
    done(test_db, db).await;
}
both_backends!(the_first_segreteria_account_is_created_only_once, first_segreteria_once);
