//! Typed settings from environment variables (documented in the README's configuration
//! table). Unknown `ECM_*` variables are rejected so that a typo cannot silently fall back
//! to a default. Secrets are wrapped in [`Secret`] (from the `mypay` crate), whose `Debug` prints
//! `<redacted>`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use app::payments::model::ReconcilerConfig;

use app::documents::model::UploadLimits;

use app::mail::model::MailConfig;

use crate::client_ip::TrustedProxies;
use crate::http_limits::HttpLimits;
use crate::mail_transport::{SmtpSettings, SmtpUrl};

pub use mypay::config::{FeeType, MyPaySettings, Secret};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("unknown setting {0} (see the configuration table in README.md)")]
    Unknown(String),
    #[error("setting {name} has an invalid value: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("ECM_ADMIN_EMAIL and ECM_ADMIN_PASSWORD must be given together")]
    AdminIncomplete,
    #[error("ECM_MYPAY_ENDPOINT, ECM_MYPAY_COD_IPA_ENTE and ECM_MYPAY_PASSWORD must be given together (missing: {0})")]
    MyPayIncomplete(&'static str),
}

/// Path of the portal page MyPay sends the browser back to (`enteSILInviaRispostaPagamentoUrl`).
pub const MYPAY_RETURN_PATH: &str = "/pagamenti/ritorno";

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
    /// `ECM_SESSION_IDLE_MINUTES` (default 60).
    pub session_idle: Duration,
    /// `ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT` (default 5).
    pub login_max_failures_per_account: i64,
    /// `ECM_LOGIN_MAX_FAILURES_PER_ADDRESS` (default 20).
    pub login_max_failures_per_address: i64,
    /// `ECM_LOGIN_WINDOW_MINUTES` (default 15).
    pub login_window: Duration,
    /// `ECM_REGISTRATIONS_PER_ADDRESS` (default 10 per hour).
    pub registrations_per_address: i64,
    /// `ECM_REGISTRATIONS_PER_HOUR` (default 300, from all addresses).
    pub registrations_per_hour: i64,
    /// `ECM_DOCUMENT_MAX_BYTES` (default 2 MiB = 2097152): largest accepted document upload;
    /// `ECM_DOCUMENT_MAX_VERSIONS` (10) per slot, `ECM_DOCUMENT_MAX_REQUEST_BYTES` (40 MiB)
    /// per request, `ECM_UPLOADS_PER_HOUR` (60) per account.
    pub upload_limits: UploadLimits,
    /// `ECM_MYPAY_*`: `None` when MyPay is not configured (payments are then unavailable).
    pub mypay: Option<MyPaySettings>,
    /// `ECM_RECONCILER_*`: the background payment reconciler.
    pub reconciler: ReconcilerConfig,
    /// `ECM_HTTP_*`: connections, idle connections and request bodies.
    pub http: HttpLimits,
    /// `ECM_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` is believed (default none).
    pub trusted_proxies: TrustedProxies,
    /// `ECM_METRICS_ADDR`: where `GET /metrics` (Prometheus) is served; `None`: no metrics.
    pub metrics_addr: Option<SocketAddr>,
    /// `ECM_SMTP_URL`, `ECM_MAIL_FROM`, `ECM_SMTP_TIMEOUT_SECONDS`; `None` when `ECM_SMTP_URL` is
    /// not set: notifications then wait in the outbox.
    pub smtp: Option<SmtpSettings>,
    /// `ECM_MAIL_*`: the mail worker.
    pub mail: MailConfig,
}

const KNOWN_ECM_KEYS: &[&str] = &[
    "ECM_PUBLIC_URL",
    "ECM_ADMIN_EMAIL",
    "ECM_ADMIN_PASSWORD",
    "ECM_SESSION_TTL_MINUTES",
    "ECM_SESSION_IDLE_MINUTES",
    "ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "ECM_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "ECM_LOGIN_WINDOW_MINUTES",
    "ECM_REGISTRATIONS_PER_ADDRESS",
    "ECM_REGISTRATIONS_PER_HOUR",
    "ECM_DOCUMENT_MAX_BYTES",
    "ECM_DOCUMENT_MAX_VERSIONS",
    "ECM_DOCUMENT_MAX_REQUEST_BYTES",
    "ECM_UPLOADS_PER_HOUR",
    "ECM_MYPAY_ENDPOINT",
    "ECM_MYPAY_COD_IPA_ENTE",
    "ECM_MYPAY_PASSWORD",
    "ECM_MYPAY_TIMEOUT_SECONDS",
    "ECM_MYPAY_CONNECT_TIMEOUT_SECONDS",
    "ECM_MYPAY_ALLOW_HTTP",
    "ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE",
    "ECM_MYPAY_DSR_QUOTA_ANNUALE",
    "ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO",
    "ECM_MYPAY_DSR_CONTRIBUTO_EVENTO",
    "ECM_RECONCILER_INTERVAL_SECONDS",
    "ECM_RECONCILER_BACKOFF_MIN_SECONDS",
    "ECM_RECONCILER_BACKOFF_MAX_SECONDS",
    "ECM_RECONCILER_CONCURRENCY",
    "ECM_RECONCILER_RATE_PER_SECOND",
    "ECM_RECONCILER_LEASE_SECONDS",
    "ECM_RECONCILER_LATE_RECEIPT_HOURS",
    "ECM_VERIFY_MIN_INTERVAL_SECONDS",
    "ECM_TRUSTED_PROXIES",
    "ECM_METRICS_ADDR",
    "ECM_HTTP_MAX_CONNECTIONS",
    "ECM_HTTP_IDLE_TIMEOUT_SECONDS",
    "ECM_HTTP_BODY_TIMEOUT_SECONDS",
    "ECM_HTTP_UPLOAD_TIMEOUT_SECONDS",
    "ECM_SMTP_URL",
    "ECM_SMTP_TIMEOUT_SECONDS",
    "ECM_MAIL_FROM",
    "ECM_MAIL_INTERVAL_SECONDS",
    "ECM_MAIL_MAX_TRIES",
    "ECM_MAIL_BACKOFF_MIN_SECONDS",
    "ECM_MAIL_BACKOFF_MAX_SECONDS",
    "ECM_MAIL_LEASE_SECONDS",
    // Read by the test suite only: the Python interpreter (with zeep) of the WSDL check.
    "ECM_ZEEP_PYTHON",
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
        if let Some(unknown) =
            vars.keys().find(|key| key.starts_with("ECM_") && !KNOWN_ECM_KEYS.contains(&key.as_str()))
        {
            return Err(SettingsError::Unknown(unknown.clone()));
        }
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/ecm.sqlite".to_string());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(SettingsError::Invalid {
                name: "DATABASE_URL",
                reason: "expected a sqlite:// or postgres:// URL".into(),
            });
        }
        let site_addr: SocketAddr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".to_string())
            .parse()
            .map_err(|e: std::net::AddrParseError| SettingsError::Invalid {
                name: "LEPTOS_SITE_ADDR",
                reason: e.to_string(),
            })?;
        let public_url = get("ECM_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(SettingsError::Invalid {
                name: "ECM_PUBLIC_URL",
                reason: "expected an http:// or https:// URL".into(),
            });
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        let admin = match (get("ECM_ADMIN_EMAIL"), vars.get("ECM_ADMIN_PASSWORD").filter(|v| !v.is_empty())) {
            (Some(email), Some(password)) => Some(AdminBootstrap { email, password: Secret::new(password.clone()) }),
            (None, None) => None,
            _ => return Err(SettingsError::AdminIncomplete),
        };
        let minutes = |name: &'static str, default: u64| -> Result<Duration, SettingsError> {
            let value = get(name)
                .map(|v| v.parse::<u64>())
                .transpose()
                .map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value.unwrap_or(default) {
                0 => Err(SettingsError::Invalid { name, reason: "must be at least 1".into() }),
                n => Ok(Duration::from_secs(n * 60)),
            }
        };
        let count = |name: &'static str, default: i64| -> Result<i64, SettingsError> {
            let value = get(name)
                .map(|v| v.parse::<i64>())
                .transpose()
                .map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value.unwrap_or(default) {
                n if n >= 1 => Ok(n),
                _ => Err(SettingsError::Invalid { name, reason: "must be at least 1".into() }),
            }
        };
        let mypay = mypay_settings(&get, &vars, &public_url)?;
        let reconciler = reconciler_settings(&get)?;
        let http_seconds = |name: &'static str, default: Duration| -> Result<Duration, SettingsError> {
            let value = get(name)
                .map(|v| v.parse::<u64>())
                .transpose()
                .map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value {
                None => Ok(default),
                Some(n @ 1..=3600) => Ok(Duration::from_secs(n)),
                Some(_) => Err(SettingsError::Invalid { name, reason: "must be between 1 and 3600".into() }),
            }
        };
        let defaults = HttpLimits::default();
        let http = HttpLimits {
            max_connections: usize::try_from(count("ECM_HTTP_MAX_CONNECTIONS", defaults.max_connections as i64)?)
                .unwrap_or(usize::MAX),
            idle_timeout: http_seconds("ECM_HTTP_IDLE_TIMEOUT_SECONDS", defaults.idle_timeout)?,
            body_timeout: http_seconds("ECM_HTTP_BODY_TIMEOUT_SECONDS", defaults.body_timeout)?,
            upload_timeout: http_seconds("ECM_HTTP_UPLOAD_TIMEOUT_SECONDS", defaults.upload_timeout)?,
        };
        let trusted_proxies = TrustedProxies::parse(&get("ECM_TRUSTED_PROXIES").unwrap_or_default())
            .map_err(|reason| SettingsError::Invalid { name: "ECM_TRUSTED_PROXIES", reason })?;
        let metrics_addr = get("ECM_METRICS_ADDR")
            .map(|addr| addr.parse::<SocketAddr>())
            .transpose()
            .map_err(|e| SettingsError::Invalid { name: "ECM_METRICS_ADDR", reason: e.to_string() })?;
        let mail_seconds = |name: &'static str, default: Duration, max: u64| -> Result<Duration, SettingsError> {
            let value = get(name)
                .map(|v| v.parse::<u64>())
                .transpose()
                .map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?;
            match value {
                None => Ok(default),
                Some(n) if (1..=max).contains(&n) => Ok(Duration::from_secs(n)),
                Some(_) => Err(SettingsError::Invalid { name, reason: format!("must be between 1 and {max}") }),
            }
        };
        let mail_defaults = MailConfig::default();
        let mail = MailConfig {
            public_url: public_url.clone(),
            interval: mail_seconds("ECM_MAIL_INTERVAL_SECONDS", mail_defaults.interval, 3600)?,
            max_tries: count("ECM_MAIL_MAX_TRIES", mail_defaults.max_tries)?,
            backoff_min: mail_seconds("ECM_MAIL_BACKOFF_MIN_SECONDS", mail_defaults.backoff_min, 86_400)?,
            backoff_max: mail_seconds("ECM_MAIL_BACKOFF_MAX_SECONDS", mail_defaults.backoff_max, 7 * 86_400)?,
            lease: mail_seconds("ECM_MAIL_LEASE_SECONDS", mail_defaults.lease, 3600)?,
            ..mail_defaults
        };
        if mail.backoff_max < mail.backoff_min {
            return Err(SettingsError::Invalid {
                name: "ECM_MAIL_BACKOFF_MAX_SECONDS",
                reason: "must not be below ECM_MAIL_BACKOFF_MIN_SECONDS".into(),
            });
        }
        let smtp_timeout = mail_seconds("ECM_SMTP_TIMEOUT_SECONDS", Duration::from_secs(30), 120)?;
        if mail.lease <= smtp_timeout {
            return Err(SettingsError::Invalid {
                name: "ECM_MAIL_LEASE_SECONDS",
                reason: "must be above ECM_SMTP_TIMEOUT_SECONDS".into(),
            });
        }
        let mail_from = get("ECM_MAIL_FROM").unwrap_or_else(|| "Portale ECM <ecm-noreply@localhost>".to_string());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(SettingsError::Invalid {
                name: "ECM_MAIL_FROM",
                reason: "expected an address, e.g. Portale ECM <ecm@regione.veneto.it>".into(),
            });
        }
        // Taken verbatim (it may hold a password); errors never repeat it.
        let smtp = match vars.get("ECM_SMTP_URL").map(|v| v.trim()).filter(|v| !v.is_empty()) {
            Some(url) => Some(SmtpSettings {
                url: SmtpUrl::parse(url).map_err(|reason| SettingsError::Invalid { name: "ECM_SMTP_URL", reason })?,
                from: mail_from,
                timeout: smtp_timeout,
            }),
            None => None,
        };
        Ok(Settings {
            smtp,
            mail,
            database_url: Secret::new(database_url),
            site_addr,
            public_url,
            admin,
            session_ttl: minutes("ECM_SESSION_TTL_MINUTES", 480)?,
            session_idle: minutes("ECM_SESSION_IDLE_MINUTES", 60)?,
            login_max_failures_per_account: count("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)?,
            login_max_failures_per_address: count("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)?,
            login_window: minutes("ECM_LOGIN_WINDOW_MINUTES", 15)?,
            registrations_per_address: count("ECM_REGISTRATIONS_PER_ADDRESS", 10)?,
            registrations_per_hour: count("ECM_REGISTRATIONS_PER_HOUR", 300)?,
            upload_limits: {
                let defaults = UploadLimits::default();
                UploadLimits {
                    max_bytes: count("ECM_DOCUMENT_MAX_BYTES", defaults.max_bytes)?,
                    max_versions: count("ECM_DOCUMENT_MAX_VERSIONS", defaults.max_versions)?,
                    max_request_bytes: count("ECM_DOCUMENT_MAX_REQUEST_BYTES", defaults.max_request_bytes)?,
                    per_hour: count("ECM_UPLOADS_PER_HOUR", defaults.per_hour)?,
                }
            },
            mypay,
            reconciler,
            http,
            trusted_proxies,
            metrics_addr,
        })
    }

    /// Cookies are marked `Secure` when the portal is reached over https.
    pub fn cookie_secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// True for `127.0.0.1` (any 127/8 address), `::1` and `localhost`: nothing sent there leaves the
/// machine (the MyPay simulator, the SMTP sink).
pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// True for `http://127.0.0.1…`, `http://[::1]…`, `http://localhost…`: the call never leaves the machine.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    is_loopback_host(host)
}

fn mypay_settings(
    get: &dyn Fn(&str) -> Option<String>,
    vars: &BTreeMap<String, String>,
    public_url: &str,
) -> Result<Option<MyPaySettings>, SettingsError> {
    let invalid = |name: &'static str, reason: &str| SettingsError::Invalid { name, reason: reason.to_string() };
    let seconds = |name: &'static str, default: u64| -> Result<Duration, SettingsError> {
        let value = get(name).map(|v| v.parse::<u64>()).transpose().map_err(|e| invalid(name, &e.to_string()))?;
        match value.unwrap_or(default) {
            0 => Err(invalid(name, "must be at least 1")),
            // A send without answer keeps its debts for UNSENT_GRACE (5 minutes): a call must
            // be over well before that.
            n if n > 120 => Err(invalid(name, "must be at most 120")),
            n => Ok(Duration::from_secs(n)),
        }
    };
    let fee = |tipo_name: &'static str, tipo_default: &str, dsr_name: &'static str| -> Result<FeeType, SettingsError> {
        let tipo_dovuto = get(tipo_name).unwrap_or_else(|| tipo_default.to_string());
        if tipo_dovuto.chars().count() > 64 || tipo_dovuto.chars().any(char::is_control) {
            return Err(invalid(tipo_name, "expected 1..=64 printable characters"));
        }
        let dati_specifici_riscossione = get(dsr_name).unwrap_or_else(|| "9/0301109AP".to_string());
        if !mypay::wire::dovuti::is_valid_dati_specifici_riscossione(&dati_specifici_riscossione) {
            return Err(invalid(dsr_name, "expected the pattern [0129]/\\S{3,138}, e.g. 9/0301109AP"));
        }
        Ok(FeeType { tipo_dovuto, dati_specifici_riscossione })
    };
    // Validated even when MyPay is off, so that a typo is reported before it matters.
    let timeout = seconds("ECM_MYPAY_TIMEOUT_SECONDS", 30)?;
    let connect_timeout = seconds("ECM_MYPAY_CONNECT_TIMEOUT_SECONDS", 5)?;
    let quota_annuale = fee("ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE", "ECM_QUOTA_ANNUALE", "ECM_MYPAY_DSR_QUOTA_ANNUALE")?;
    let contributo_evento =
        fee("ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO", "ECM_CONTRIBUTO_EVENTO", "ECM_MYPAY_DSR_CONTRIBUTO_EVENTO")?;

    // The password is taken verbatim (not trimmed): MyPay trims both sides itself.
    let password = vars.get("ECM_MYPAY_PASSWORD").filter(|v| !v.is_empty()).cloned();
    let (endpoint, cod_ipa_ente, password) = match (get("ECM_MYPAY_ENDPOINT"), get("ECM_MYPAY_COD_IPA_ENTE"), password)
    {
        (None, None, None) => return Ok(None),
        (Some(e), Some(c), Some(p)) => (e, c, p),
        (None, _, _) => return Err(SettingsError::MyPayIncomplete("ECM_MYPAY_ENDPOINT")),
        (_, None, _) => return Err(SettingsError::MyPayIncomplete("ECM_MYPAY_COD_IPA_ENTE")),
        (_, _, None) => return Err(SettingsError::MyPayIncomplete("ECM_MYPAY_PASSWORD")),
    };
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) || endpoint.contains(char::is_whitespace)
    {
        return Err(invalid("ECM_MYPAY_ENDPOINT", "expected an http:// or https:// URL"));
    }
    // The password travels in every call: in clear only to this machine (the simulator), or
    // where ECM_MYPAY_ALLOW_HTTP says so explicitly (a simulator on another test host).
    let allow_http = match get("ECM_MYPAY_ALLOW_HTTP").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(invalid("ECM_MYPAY_ALLOW_HTTP", "expected true or false")),
    };
    if endpoint.starts_with("http://") && !allow_http && !is_loopback_url(&endpoint) {
        return Err(invalid(
            "ECM_MYPAY_ENDPOINT",
            "an http:// endpoint would send the MyPay password in clear: use https://, or set ECM_MYPAY_ALLOW_HTTP=true for a test simulator",
        ));
    }
    if cod_ipa_ente.chars().count() > 35 || cod_ipa_ente.chars().any(char::is_control) {
        return Err(invalid("ECM_MYPAY_COD_IPA_ENTE", "expected 1..=35 printable characters"));
    }
    if password.chars().any(char::is_control) {
        // Deliberately no value in the message.
        return Err(invalid("ECM_MYPAY_PASSWORD", "contains control characters"));
    }
    Ok(Some(MyPaySettings {
        endpoint,
        cod_ipa_ente,
        password: Secret::new(password),
        timeout,
        connect_timeout,
        quota_annuale,
        contributo_evento,
        return_url: format!("{public_url}{MYPAY_RETURN_PATH}"),
    }))
}

fn reconciler_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<ReconcilerConfig, SettingsError> {
    let number = |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, SettingsError> {
        let value = get(name)
            .map(|v| v.parse::<u64>())
            .transpose()
            .map_err(|e| SettingsError::Invalid { name, reason: e.to_string() })?
            .unwrap_or(default);
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(SettingsError::Invalid { name, reason: format!("must be between {min} and {max}") })
        }
    };
    let interval = number("ECM_RECONCILER_INTERVAL_SECONDS", 10, 1, 86_400)?;
    let backoff_min = number("ECM_RECONCILER_BACKOFF_MIN_SECONDS", 10, 1, 86_400)?;
    let backoff_max = number("ECM_RECONCILER_BACKOFF_MAX_SECONDS", 300, 1, 86_400)?;
    if backoff_max < backoff_min {
        return Err(SettingsError::Invalid {
            name: "ECM_RECONCILER_BACKOFF_MAX_SECONDS",
            reason: "must not be smaller than ECM_RECONCILER_BACKOFF_MIN_SECONDS".into(),
        });
    }
    let concurrency = number("ECM_RECONCILER_CONCURRENCY", 4, 1, 64)?;
    let rate_per_second = number("ECM_RECONCILER_RATE_PER_SECOND", 5, 1, 1_000)?;
    let lease = number("ECM_RECONCILER_LEASE_SECONDS", 120, 1, 86_400)?;
    let late_receipt_hours = number("ECM_RECONCILER_LATE_RECEIPT_HOURS", 48, 0, 24 * 365)?;
    let verify_min_interval = number("ECM_VERIFY_MIN_INTERVAL_SECONDS", 3, 0, 300)?;
    Ok(ReconcilerConfig {
        interval: Duration::from_secs(interval),
        backoff_min: Duration::from_secs(backoff_min),
        backoff_max: Duration::from_secs(backoff_max),
        concurrency: usize::try_from(concurrency).unwrap_or(64),
        rate_per_second: u32::try_from(rate_per_second).unwrap_or(1_000),
        lease: Duration::from_secs(lease),
        late_receipt_window: Duration::from_secs(late_receipt_hours * 3600),
        verify_min_interval: Duration::from_secs(verify_min_interval),
        ..ReconcilerConfig::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The README's configuration table: (variable, default cell) for each row.
    fn readme_settings() -> Vec<(String, String)> {
        let readme = include_str!("../../README.md");
        let start = readme.find("## Configuration").expect("README has a Configuration section");
        let section = &readme[start..];
        let end = section[3..].find("\n## ").map_or(section.len(), |at| at + 3);
        section[..end]
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                // "| `KEY` | default | meaning |" → ["", "`KEY`", "default", "meaning", ""]
                let key = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                Some((key.to_string(), cells.get(2)?.to_string()))
            })
            .collect()
    }

    /// Every default the README shows as a literal (a cell that starts with a `value`) is the
    /// code's default: giving all of them explicitly changes nothing.
    #[test]
    fn the_readme_defaults_are_the_code_defaults() {
        let literal = |cell: &str| -> Option<String> {
            let value = cell.strip_prefix('`')?;
            Some(value[..value.find('`')?].to_string())
        };
        let given: Vec<(String, String)> = readme_settings()
            .into_iter()
            .filter_map(|(key, cell)| Some((key, literal(&cell)?)))
            // A default written in terms of another setting (`http://LEPTOS_SITE_ADDR`).
            .filter(|(_, value)| !value.contains("LEPTOS_SITE_ADDR"))
            .collect();
        assert!(given.len() > 30, "only {} literal defaults read from the README", given.len());
        let pairs: Vec<(&str, &str)> = given.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let explicit =
            Settings::from_map(map(&pairs)).unwrap_or_else(|e| panic!("the README defaults are refused: {e}"));
        assert_eq!(
            explicit,
            Settings::from_map(map(&[])).unwrap(),
            "a README default differs from the code's: {given:?}"
        );
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

    const MYPAY: &[(&str, &str)] = &[
        ("ECM_PUBLIC_URL", "https://ecm.regione.veneto.it"),
        ("ECM_MYPAY_ENDPOINT", "https://mypay.example.invalid/ws/pa/PagamentiTelematiciDovutiPagati"),
        ("ECM_MYPAY_COD_IPA_ENTE", "R_VENETO"),
        ("ECM_MYPAY_PASSWORD", "Ecm#Veneto2025"),
    ];

    #[test]
    fn mypay_is_simply_off_when_not_configured() {
        let settings = Settings::from_map(map(&[])).unwrap();
        assert_eq!(settings.mypay, None);
    }

    #[test]
    fn mypay_defaults_and_return_url() {
        let mypay = Settings::from_map(map(MYPAY)).unwrap().mypay.expect("configured");
        assert_eq!(mypay.endpoint, "https://mypay.example.invalid/ws/pa/PagamentiTelematiciDovutiPagati");
        assert_eq!(mypay.cod_ipa_ente, "R_VENETO");
        assert_eq!(mypay.password.expose(), "Ecm#Veneto2025");
        assert_eq!(mypay.timeout, Duration::from_secs(30));
        assert_eq!(mypay.connect_timeout, Duration::from_secs(5));
        assert_eq!(
            mypay.quota_annuale,
            FeeType { tipo_dovuto: "ECM_QUOTA_ANNUALE".into(), dati_specifici_riscossione: "9/0301109AP".into() }
        );
        assert_eq!(mypay.contributo_evento.tipo_dovuto, "ECM_CONTRIBUTO_EVENTO");
        assert_eq!(mypay.return_url, "https://ecm.regione.veneto.it/pagamenti/ritorno");
    }

    #[test]
    fn mypay_fee_types_and_timeouts_can_be_overridden() {
        let mut vars = map(MYPAY);
        for (k, v) in [
            ("ECM_MYPAY_TIMEOUT_SECONDS", "12"),
            ("ECM_MYPAY_CONNECT_TIMEOUT_SECONDS", "2"),
            ("ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE", "ECM_QUOTA_2026"),
            ("ECM_MYPAY_DSR_QUOTA_ANNUALE", "1/ABCDEF"),
            ("ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO", "ECM_EVENTO"),
            ("ECM_MYPAY_DSR_CONTRIBUTO_EVENTO", "2/XYZ"),
        ] {
            vars.insert(k.into(), v.into());
        }
        let mypay = Settings::from_map(vars).unwrap().mypay.unwrap();
        assert_eq!(mypay.timeout, Duration::from_secs(12));
        assert_eq!(mypay.connect_timeout, Duration::from_secs(2));
        assert_eq!(
            mypay.quota_annuale,
            FeeType { tipo_dovuto: "ECM_QUOTA_2026".into(), dati_specifici_riscossione: "1/ABCDEF".into() }
        );
        assert_eq!(
            mypay.contributo_evento,
            FeeType { tipo_dovuto: "ECM_EVENTO".into(), dati_specifici_riscossione: "2/XYZ".into() }
        );
    }

    #[test]
    fn mypay_partial_configuration_is_refused_with_the_missing_name() {
        let mut vars = map(MYPAY);
        vars.remove("ECM_MYPAY_PASSWORD");
        assert_eq!(Settings::from_map(vars).unwrap_err(), SettingsError::MyPayIncomplete("ECM_MYPAY_PASSWORD"));
        let err = Settings::from_map(map(&[("ECM_MYPAY_ENDPOINT", "https://x.it/ws")])).unwrap_err();
        assert_eq!(err, SettingsError::MyPayIncomplete("ECM_MYPAY_COD_IPA_ENTE"));
    }

    #[test]
    fn mypay_bad_values_are_rejected_with_the_setting_name() {
        for (name, value) in [
            ("ECM_MYPAY_ENDPOINT", "ftp://x"),
            ("ECM_MYPAY_COD_IPA_ENTE", &"R".repeat(36)),
            ("ECM_MYPAY_TIMEOUT_SECONDS", "0"),
            ("ECM_MYPAY_TIMEOUT_SECONDS", "121"),
            ("ECM_MYPAY_CONNECT_TIMEOUT_SECONDS", "x"),
            ("ECM_MYPAY_DSR_QUOTA_ANNUALE", "3/0301109AP"),
            ("ECM_MYPAY_DSR_CONTRIBUTO_EVENTO", "9/AB"),
            ("ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE", &"T".repeat(65)),
        ] {
            let mut vars = map(MYPAY);
            vars.insert(name.into(), value.into());
            match Settings::from_map(vars).unwrap_err() {
                SettingsError::Invalid { name: got, .. } => assert_eq!(got, name),
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
        let err = Settings::from_map(map(&[("ECM_MYPAY_ENDPONT", "https://x.it")])).unwrap_err();
        assert_eq!(err, SettingsError::Unknown("ECM_MYPAY_ENDPONT".into()));
    }

    #[test]
    fn a_plain_http_mypay_endpoint_is_refused_unless_it_is_this_machine_or_explicitly_allowed() {
        let with = |endpoint: &str, allow: Option<&str>| {
            let mut vars = map(MYPAY);
            vars.insert("ECM_MYPAY_ENDPOINT".into(), endpoint.into());
            if let Some(allow) = allow {
                vars.insert("ECM_MYPAY_ALLOW_HTTP".into(), allow.into());
            }
            Settings::from_map(vars)
        };
        let refused = with("http://mypay.example.invalid/ws/pa/PagamentiTelematiciDovutiPagati", None).unwrap_err();
        assert!(
            matches!(&refused, SettingsError::Invalid { name: "ECM_MYPAY_ENDPOINT", reason } if reason.contains("in clear")),
            "{refused:?}"
        );
        assert!(with("http://mypay.example.invalid/ws", Some("false")).is_err());
        assert!(with("http://mypay.example.invalid/ws", Some("true")).is_ok(), "allowed explicitly");
        assert!(
            with("http://127.0.0.1:8089/ws/pa/PagamentiTelematiciDovutiPagati", None).is_ok(),
            "the simulator on this machine"
        );
        assert!(with("http://localhost:8089/ws", None).is_ok());
        assert!(with("http://[::1]:8089/ws", None).is_ok());
        assert!(with("http://127.0.0.1.evil.example/ws", None).is_err(), "a name is not an address");
        assert!(matches!(
            with("https://x.it/ws", Some("yes")).unwrap_err(),
            SettingsError::Invalid { name: "ECM_MYPAY_ALLOW_HTTP", .. }
        ));
    }

    #[test]
    fn the_readme_table_documents_every_setting_and_no_other() {
        let rows = readme_settings();
        let documented: std::collections::BTreeSet<&str> =
            rows.iter().map(|(key, _)| key.as_str()).filter(|key| key.starts_with("ECM_")).collect();
        let known: std::collections::BTreeSet<&str> = KNOWN_ECM_KEYS.iter().copied().collect();
        assert_eq!(documented, known, "README.md's configuration table and KNOWN_ECM_KEYS differ");
    }

    #[test]
    fn reconciler_defaults() {
        let config = Settings::from_map(map(&[])).unwrap().reconciler;
        assert_eq!(config, ReconcilerConfig::default());
        assert_eq!(config.interval, Duration::from_secs(10));
        assert_eq!(config.backoff_min, Duration::from_secs(10));
        assert_eq!(config.backoff_max, Duration::from_secs(300));
        assert_eq!(config.concurrency, 4);
        assert_eq!(config.rate_per_second, 5);
        assert_eq!(config.lease, Duration::from_secs(120));
        assert_eq!(config.late_receipt_window, Duration::from_secs(48 * 3600));
    }

    #[test]
    fn reconciler_settings_can_be_overridden() {
        let config = Settings::from_map(map(&[
            ("ECM_RECONCILER_INTERVAL_SECONDS", "2"),
            ("ECM_RECONCILER_BACKOFF_MIN_SECONDS", "1"),
            ("ECM_RECONCILER_BACKOFF_MAX_SECONDS", " 8 "),
            ("ECM_RECONCILER_CONCURRENCY", "16"),
            ("ECM_RECONCILER_RATE_PER_SECOND", "50"),
            ("ECM_RECONCILER_LEASE_SECONDS", "30"),
            ("ECM_RECONCILER_LATE_RECEIPT_HOURS", "0"),
        ]))
        .unwrap()
        .reconciler;
        assert_eq!(
            config,
            ReconcilerConfig {
                interval: Duration::from_secs(2),
                backoff_min: Duration::from_secs(1),
                backoff_max: Duration::from_secs(8),
                concurrency: 16,
                rate_per_second: 50,
                lease: Duration::from_secs(30),
                late_receipt_window: Duration::ZERO,
                ..ReconcilerConfig::default()
            }
        );
        assert_eq!(config.backoff(4), Duration::from_secs(8));
    }

    #[test]
    fn reconciler_bad_values_are_rejected_with_the_setting_name() {
        for (name, value) in [
            ("ECM_RECONCILER_INTERVAL_SECONDS", "0"),
            ("ECM_RECONCILER_INTERVAL_SECONDS", "ten"),
            ("ECM_RECONCILER_BACKOFF_MIN_SECONDS", "0"),
            ("ECM_RECONCILER_BACKOFF_MAX_SECONDS", "5"),
            ("ECM_RECONCILER_CONCURRENCY", "0"),
            ("ECM_RECONCILER_CONCURRENCY", "65"),
            ("ECM_RECONCILER_RATE_PER_SECOND", "-1"),
            ("ECM_RECONCILER_LEASE_SECONDS", "0"),
            ("ECM_RECONCILER_LATE_RECEIPT_HOURS", "1.5"),
        ] {
            match Settings::from_map(map(&[(name, value)])).unwrap_err() {
                SettingsError::Invalid { name: got, .. } => assert_eq!(got, name, "{name}={value}"),
                other => panic!("{name}={value}: unexpected {other:?}"),
            }
        }
        let err = Settings::from_map(map(&[("ECM_RECONCILER_INTERVAL", "5")])).unwrap_err();
        assert_eq!(err, SettingsError::Unknown("ECM_RECONCILER_INTERVAL".into()));
    }

    #[test]
    fn mypay_password_never_shows_in_debug_or_errors() {
        let settings = Settings::from_map(map(MYPAY)).unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("Ecm#Veneto2025"), "{debug}");
        assert!(debug.contains("R_VENETO"), "{debug}");
        let mut vars = map(MYPAY);
        vars.insert("ECM_MYPAY_PASSWORD".into(), "Secret\u{7}Pw2025".into());
        let err = Settings::from_map(vars).unwrap_err();
        assert!(!err.to_string().contains("Secret") && !format!("{err:?}").contains("Secret"), "{err}");
    }
}
