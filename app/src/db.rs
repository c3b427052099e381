//! Storage: one portable SQL text for both databases, over sqlx's `Any` driver.
//!
//! SQLite is the embedded default, PostgreSQL the production choice; both drivers are in
//! every binary and the scheme of the URL picks one. Queries use the portable subset
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`, TEXT ids, integer cents, TEXT UTC
//! timestamps in RFC 3339 with milliseconds, so they sort as strings). Where the dialects
//! truly differ, code asks [`Db::backend`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL scheme (expected sqlite: or postgres:)")]
    UnsupportedScheme,
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The database handle kept in the application state: a pool plus which backend it is.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects (creating the SQLite file and its folder when needed); does not migrate.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedScheme);
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool_options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let pool_options = if backend == Backend::Sqlite {
            pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers work while one writer commits; foreign keys are off by
                    // default in SQLite; the busy timeout turns lock contention into waiting.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            })
        } else {
            pool_options
        };
        let pool = pool_options.connect_with(options).await?;
        Ok(Db { pool, backend })
    }

    /// Applies the migrations of this backend (append-only, same version numbers on both).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool: idle connections at once, then waits for checked-out ones to come back,
    /// for at most [`CLOSE_WAIT`] (a connection held by a task that never finishes must not
    /// keep the process from stopping; it is dropped with the process).
    pub async fn close(&self) {
        if tokio::time::timeout(CLOSE_WAIT, self.pool.close()).await.is_err() {
            tracing::warn!(
                in_use = self.pool.size().saturating_sub(u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX)),
                "database connections still in use at shutdown; stopping without them"
            );
        }
    }
}

/// How long [`Db::close`] waits for connections still in use.
pub const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// Makes sure the folder of a SQLite file exists and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, DbError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !path.is_empty() && path != ":memory:" {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|source| DbError::CreateDir { path: parent.display().to_string(), source })?;
            }
        }
    }
    let query = if query.split('&').any(|kv| kv.starts_with("mode=")) {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Current UTC time in the storage format (RFC 3339, milliseconds, `Z`).
pub fn now_utc() -> String {
    format_utc(time::OffsetDateTime::now_utc())
}

pub fn format_utc(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .expect("a UTC timestamp always formats")
}

/// A random identifier: 128 bits, lower-case hex.
pub fn new_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gets_create_mode_and_keeps_other_parameters() {
        let dir = std::env::temp_dir().join(format!("ecm-url-{}", new_id()));
        let url = format!("sqlite://{}/x/ecm.sqlite?cache=shared", dir.display());
        let prepared = prepare_sqlite_url(&url).unwrap();
        assert!(prepared.ends_with("?cache=shared&mode=rwc"), "{prepared}");
        assert!(dir.join("x").is_dir());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn timestamps_sort_as_strings() {
        let earlier = format_utc(time::macros::datetime!(2026-01-02 03:04:05.006 UTC));
        let later = format_utc(time::macros::datetime!(2026-01-02 03:04:05.010 UTC));
        assert_eq!(earlier, "2026-01-02T03:04:05.006Z");
        assert!(earlier < later);
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// One schema history on both databases: the same versions with the same names, so a
    /// migration added for one backend and forgotten for the other fails here, not in production.
    #[test]
    fn sqlite_and_postgres_migrations_hold_the_same_versions() {
        let versions = |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        let sqlite = versions(&SQLITE_MIGRATIONS);
        assert!(sqlite.len() >= 11, "{sqlite:?}");
        assert_eq!(sqlite, versions(&POSTGRES_MIGRATIONS));
    }
}
