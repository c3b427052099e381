//! Typed settings from environment variables (documented in the README's configuration
//! table). Unknown `ECM_*` variables are rejected so that a typo cannot silently fall back
//! to a default. Secrets are wrapped in [`Secret`], whose `Debug` prints `<redacted>`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A value that must never appear in logs, errors or the browser.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("unknown setting {0} (see the configuration table in README.md)")]
    Unknown(String),
    #[error("setting {name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("ECM_ADMIN_EMAIL and ECM_ADMIN_PASSWORD must be given together")]
    AdminIncomplete,
}

/// The first Segreteria account, created at start-up when none exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://…` (default `sqlite://data/ecm.sqlite`) or `postgres://…`.
    pub database_url: Secret,
    /// `LEPTOS_SITE_ADDR`: address the HTTP server binds (default `127.0.0.1:3000`).
    pub site_addr: SocketAddr,
    /// `ECM_PUBLIC_URL`: the portal's external base URL, without trailing slash.
    pub public_url: String,
    /// `ECM_ADMIN_EMAIL` + `ECM_ADMIN_PASSWORD`.
    pub admin: Option<AdminBootstrap>,
    /// `ECM_SESSION_TTL_MINUTES` (default 480).
    pub session_ttl: Duration,
    /// `ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT` (default 5).
    pub login_max_failures_per_account: i64,
    /// `ECM_LOGIN_MAX_FAILURES_PER_ADDRESS` (default 20).
    pub login_max_failures_per_address: i64,
    /// `ECM_LOGIN_WINDOW_MINUTES` (default 15).
    pub login_window: Duration,
}

const KNOWN_ECM_KEYS: &[&str] = &[
    "ECM_PUBLIC_URL",
    "ECM_ADMIN_EMAIL",
    "ECM_ADMIN_PASSWORD",
    "ECM_SESSION_TTL_MINUTES",
    "ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "ECM_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "ECM_LOGIN_WINDOW_MINUTES",
    // Test-suite settings, read by the tests and tools, not by the server.
    "ECM_TEST_POSTGRES_URL",
    "ECM_TOOLS_DIR",
];

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_map(std::env::vars().collect())
    }

    /// Reads settings from a map of variables (the environment, or a test's own map).
    pub fn from_map(vars: BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        if let Some(unknown) = vars
            .keys()
            .find(|key| key.starts_with("ECM_") && !KNOWN_ECM_KEYS.contains(&key.as_str()))
        {
            return Err(SettingsError::Unknown(unknown.clone()));
        }
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/ecm.sqlite".to_string());
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres:") || database_url.starts_with("postgresql:")) {
            return Err(SettingsError::Invalid {
                name: "DATABASE_URL",
                reason: "expected a sqlite:// or postgres:// URL".into(),
            });
        }
        let site_addr: SocketAddr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".to_string())
            .parse()
            .map_err(|e: std::net::AddrParseError| SettingsError::Invalid { name: "LEPTOS_SITE_ADDR", reason: e.to_string() })?;
        let public_url = get("ECM_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(SettingsError::Invalid { name: "ECM_PUBLIC_URL", reason: "expected an http:// or https:// URL".into() });
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        let admin = match (get("ECM_ADMIN_EMAIL"), vars.get("ECM_ADMIN_PASSWORD").filter(|v| !v.is_empty())) {
            (Some(email), Some(password)) => Some(AdminBootstrap { email, password: Secret::new(password.clone()) }),
            (None, None) => None,
            _ => return Err(SettingsError::AdminIncomplete),
        };
        let minutes = |name: &'static str, default: u64| -> Result<Duration, SettingsError> {
            let value = get(name).map(|v| v.parse::<u64>()).transpose().map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value.unwrap_or(default) {
                0 => Err(SettingsError::Invalid { name, reason: "must be at least 1".into() }),
                n => Ok(Duration::from_secs(n * 60)),
            }
        };
        let count = |name: &'static str, default: i64| -> Result<i64, SettingsError> {
            let value = get(name).map(|v| v.parse::<i64>()).transpose().map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value.unwrap_or(default) {
                n if n >= 1 => Ok(n),
                _ => Err(SettingsError::Invalid { name, reason: "must be at least 1".into() }),
            }
        };
        Ok(Settings {
            database_url: Secret::new(database_url),
            site_addr,
            public_url,
            admin,
            session_ttl: minutes("ECM_SESSION_TTL_MINUTES", 480)?,
            login_max_failures_per_account: count("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)?,
            login_max_failures_per_address: count("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)?,
            login_window: minutes("ECM_LOGIN_WINDOW_MINUTES", 15)?,
        })
    }

    /// Cookies are marked `Secure` when the portal is reached over https.
    pub fn cookie_secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_give_an_embedded_sqlite_portal_on_port_3000() {
        let settings = Settings::from_map(map(&[])).unwrap();
        assert_eq!(settings.database_url.expose(), "sqlite://data/ecm.sqlite");
        assert_eq!(settings.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.public_url, "http://127.0.0.1:3000");
        assert!(settings.admin.is_none());
        assert!(!settings.cookie_secure());
    }

    #[test]
    fn unknown_ecm_variable_is_rejected() {
        let err = Settings::from_map(map(&[("ECM_PUBLC_URL", "https://x.it")])).unwrap_err();
        assert_eq!(err, SettingsError::Unknown("ECM_PUBLC_URL".into()));
    }

    #[test]
    fn admin_needs_both_email_and_password() {
        let err = Settings::from_map(map(&[("ECM_ADMIN_EMAIL", "a@b.it")])).unwrap_err();
        assert_eq!(err, SettingsError::AdminIncomplete);
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let settings = Settings::from_map(map(&[
            ("ECM_ADMIN_EMAIL", "segreteria@regione.veneto.it"),
            ("ECM_ADMIN_PASSWORD", "TopSecret2026!"),
            ("DATABASE_URL", "postgres://ecm:dbpass-xyz@localhost/ecm"),
            ("ECM_PUBLIC_URL", "https://ecm.regione.veneto.it/"),
        ]))
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("TopSecret2026!"), "{debug}");
        assert!(!debug.contains("dbpass-xyz"), "{debug}");
        assert_eq!(settings.public_url, "https://ecm.regione.veneto.it");
        assert!(settings.cookie_secure());
    }

    #[test]
    fn bad_numbers_and_urls_are_rejected_with_the_setting_name() {
        let err = Settings::from_map(map(&[("ECM_SESSION_TTL_MINUTES", "abc")])).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid { name: "ECM_SESSION_TTL_MINUTES", .. }));
        let err = Settings::from_map(map(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid { name: "DATABASE_URL", .. }));
        let err = Settings::from_map(map(&[("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", "0")])).unwrap_err();
        assert!(matches!(err, SettingsError::Invalid { name: "ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", .. }));
    }
}
