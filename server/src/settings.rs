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
    /// `ECM_SESSION_CACHE_SECONDS` (default 5; 0 = off): how long a session read from the
    /// database is answered from memory (`app::accounts::session_cache`).
    pub session_cache: Duration,
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

/// How the value of a setting is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A whole number of `unit`s in `min..=max`.
    Number { default: u64, min: u64, max: u64, unit: Unit },
    /// Text (an address, a URL, a name), checked where it is read; `None`: unset unless given.
    Text(Option<&'static str>),
    /// Taken verbatim, never trimmed, never shown (passwords).
    Secret,
    /// Not read by the portal: the tests and the tools.
    Tooling,
}

/// The unit of a [`Value::Number`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Minutes,
    Hours,
}

/// One setting: its variable and how its value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    pub value: Value,
}

const fn number(key: &'static str, default: u64, min: u64, max: u64, unit: Unit) -> Setting {
    Setting { key, value: Value::Number { default, min, max, unit } }
}

const fn text(key: &'static str, default: Option<&'static str>) -> Setting {
    Setting { key, value: Value::Text(default) }
}

const DAY: u64 = 86_400;

/// Every setting, with its default and limits: the one list the readers below take them from,
/// and that README.md's configuration table must match (a test compares them). An `ECM_*`
/// variable not listed here is refused at start-up.
pub const SETTINGS: &[Setting] = &[
    text("DATABASE_URL", Some("sqlite://data/ecm.sqlite")),
    text("LEPTOS_SITE_ADDR", Some("127.0.0.1:3000")),
    // Default: http:// + LEPTOS_SITE_ADDR.
    text("ECM_PUBLIC_URL", None),
    text("ECM_ADMIN_EMAIL", None),
    Setting { key: "ECM_ADMIN_PASSWORD", value: Value::Secret },
    number("ECM_SESSION_TTL_MINUTES", 480, 1, 30 * 24 * 60, Unit::Minutes),
    number("ECM_SESSION_IDLE_MINUTES", 60, 1, 30 * 24 * 60, Unit::Minutes),
    number("ECM_SESSION_CACHE_SECONDS", 5, 0, 60, Unit::Seconds),
    number("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, 1, 1_000, Unit::Count),
    number("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, 1, 100_000, Unit::Count),
    text("ECM_TRUSTED_PROXIES", None),
    text("ECM_METRICS_ADDR", None),
    number("ECM_LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60, Unit::Minutes),
    number("ECM_REGISTRATIONS_PER_ADDRESS", 10, 1, 100_000, Unit::Count),
    number("ECM_REGISTRATIONS_PER_HOUR", 300, 1, 1_000_000, Unit::Count),
    number("ECM_DOCUMENT_MAX_BYTES", 2 * 1024 * 1024, 1, 1 << 30, Unit::Count),
    number("ECM_DOCUMENT_MAX_VERSIONS", 10, 1, 100_000, Unit::Count),
    number("ECM_DOCUMENT_MAX_REQUEST_BYTES", 40 * 1024 * 1024, 1, 1 << 34, Unit::Count),
    number("ECM_UPLOADS_PER_HOUR", 60, 1, 100_000, Unit::Count),
    number("ECM_HTTP_MAX_CONNECTIONS", 512, 1, 1_000_000, Unit::Count),
    number("ECM_HTTP_IDLE_TIMEOUT_SECONDS", 60, 1, 3_600, Unit::Seconds),
    number("ECM_HTTP_BODY_TIMEOUT_SECONDS", 30, 1, 3_600, Unit::Seconds),
    number("ECM_HTTP_UPLOAD_TIMEOUT_SECONDS", 120, 1, 3_600, Unit::Seconds),
    text("ECM_MYPAY_ENDPOINT", None),
    text("ECM_MYPAY_ALLOW_HTTP", Some("false")),
    text("ECM_MYPAY_COD_IPA_ENTE", None),
    Setting { key: "ECM_MYPAY_PASSWORD", value: Value::Secret },
    // A send without answer keeps its debts for UNSENT_GRACE (5 minutes): a call must be over
    // well before that.
    number("ECM_MYPAY_TIMEOUT_SECONDS", 30, 1, 120, Unit::Seconds),
    number("ECM_MYPAY_CONNECT_TIMEOUT_SECONDS", 5, 1, 120, Unit::Seconds),
    text("ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE", Some("ECM_QUOTA_ANNUALE")),
    text("ECM_MYPAY_DSR_QUOTA_ANNUALE", Some("9/0301109AP")),
    text("ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO", Some("ECM_CONTRIBUTO_EVENTO")),
    text("ECM_MYPAY_DSR_CONTRIBUTO_EVENTO", Some("9/0301109AP")),
    number("ECM_RECONCILER_INTERVAL_SECONDS", 10, 1, DAY, Unit::Seconds),
    number("ECM_RECONCILER_BACKOFF_MIN_SECONDS", 10, 1, DAY, Unit::Seconds),
    number("ECM_RECONCILER_BACKOFF_MAX_SECONDS", 300, 1, DAY, Unit::Seconds),
    number("ECM_RECONCILER_CONCURRENCY", 4, 1, 64, Unit::Count),
    number("ECM_RECONCILER_RATE_PER_SECOND", 5, 1, 1_000, Unit::Count),
    number("ECM_RECONCILER_LEASE_SECONDS", 120, 1, DAY, Unit::Seconds),
    number("ECM_RECONCILER_LATE_RECEIPT_HOURS", 48, 0, 24 * 365, Unit::Hours),
    number("ECM_VERIFY_MIN_INTERVAL_SECONDS", 3, 0, 300, Unit::Seconds),
    // Taken verbatim (it may hold a password); errors never repeat it.
    Setting { key: "ECM_SMTP_URL", value: Value::Secret },
    text("ECM_MAIL_FROM", Some("Portale ECM <ecm-noreply@localhost>")),
    number("ECM_SMTP_TIMEOUT_SECONDS", 30, 1, 120, Unit::Seconds),
    number("ECM_MAIL_INTERVAL_SECONDS", 5, 1, 3_600, Unit::Seconds),
    number("ECM_MAIL_MAX_TRIES", 8, 1, 100, Unit::Count),
    number("ECM_MAIL_BACKOFF_MIN_SECONDS", 30, 1, DAY, Unit::Seconds),
    number("ECM_MAIL_BACKOFF_MAX_SECONDS", 3_600, 1, 7 * DAY, Unit::Seconds),
    // Above ECM_SMTP_TIMEOUT_SECONDS (at least 1), so at least 2.
    number("ECM_MAIL_LEASE_SECONDS", 120, 2, 3_600, Unit::Seconds),
    // Read by `tracing` in main.rs.
    text("RUST_LOG", Some("info,sqlx=warn,tower_http=info")),
    Setting { key: "ECM_TEST_POSTGRES_URL", value: Value::Tooling },
    Setting { key: "ECM_TOOLS_DIR", value: Value::Tooling },
    Setting { key: "ECM_ZEEP_PYTHON", value: Value::Tooling },
];

/// The entry of `key` in [`SETTINGS`]. A key missing there is a programming error, caught by
/// every test that reads the settings.
fn setting(key: &str) -> &'static Setting {
    SETTINGS.iter().find(|s| s.key == key).unwrap_or_else(|| panic!("{key} is not in settings::SETTINGS"))
}

/// The default text of a [`Value::Text`] setting.
pub fn text_default(key: &str) -> Option<&'static str> {
    match setting(key).value {
        Value::Text(default) => default,
        other => panic!("{key} is not a text setting: {other:?}"),
    }
}

/// Reads settings from a map of variables, each with the default and limits of [`SETTINGS`].
struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
}

impl Reader<'_> {
    /// The trimmed value, if given and not blank.
    fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// The value as given (not trimmed), if not empty: secrets.
    fn verbatim(&self, key: &str) -> Option<String> {
        self.vars.get(key).filter(|v| !v.is_empty()).cloned()
    }

    /// The value, or the table's default.
    fn text(&self, key: &str) -> Option<String> {
        self.get(key).or_else(|| text_default(key).map(str::to_string))
    }

    /// A [`Value::Number`] in its limits (the table's default when not given).
    fn number(&self, key: &'static str) -> Result<u64, SettingsError> {
        let Value::Number { default, min, max, .. } = setting(key).value else {
            panic!("{key} is not a number setting")
        };
        let value = match self.get(key) {
            None => default,
            Some(text) => {
                text.parse::<u64>().map_err(|e| SettingsError::Invalid { name: key, reason: e.to_string() })?
            }
        };
        if (min..=max).contains(&value) {
            Ok(value)
        } else if max == u64::MAX {
            Err(SettingsError::Invalid { name: key, reason: format!("must be at least {min}") })
        } else {
            Err(SettingsError::Invalid { name: key, reason: format!("must be between {min} and {max}") })
        }
    }

    /// A number setting of seconds, minutes or hours as a duration.
    fn duration(&self, key: &'static str) -> Result<Duration, SettingsError> {
        let Value::Number { unit, .. } = setting(key).value else { panic!("{key} is not a number setting") };
        let n = self.number(key)?;
        Ok(match unit {
            Unit::Seconds => Duration::from_secs(n),
            Unit::Minutes => Duration::from_secs(n * 60),
            Unit::Hours => Duration::from_secs(n * 3600),
            Unit::Count => panic!("{key} is a count, not a duration"),
        })
    }

    /// A count setting.
    fn count(&self, key: &'static str) -> Result<i64, SettingsError> {
        Ok(i64::try_from(self.number(key)?).unwrap_or(i64::MAX))
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_map(std::env::vars().collect())
    }

    /// Reads settings from a map of variables (the environment, or a test's own map).
    pub fn from_map(vars: BTreeMap<String, String>) -> Result<Settings, SettingsError> {
        if let Some(unknown) =
            vars.keys().find(|key| key.starts_with("ECM_") && !SETTINGS.iter().any(|s| s.key == key.as_str()))
        {
            return Err(SettingsError::Unknown(unknown.clone()));
        }
        let read = Reader { vars: &vars };
        let invalid = |name: &'static str, reason: &str| SettingsError::Invalid { name, reason: reason.to_string() };

        let database_url = read.text("DATABASE_URL").unwrap_or_default();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(invalid("DATABASE_URL", "expected a sqlite:// or postgres:// URL"));
        }
        let site_addr: SocketAddr = read
            .text("LEPTOS_SITE_ADDR")
            .unwrap_or_default()
            .parse()
            .map_err(|e: std::net::AddrParseError| invalid("LEPTOS_SITE_ADDR", &e.to_string()))?;
        let public_url = read.get("ECM_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(invalid("ECM_PUBLIC_URL", "expected an http:// or https:// URL"));
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        let admin = match (read.get("ECM_ADMIN_EMAIL"), read.verbatim("ECM_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some(AdminBootstrap { email, password: Secret::new(password) }),
            (None, None) => None,
            _ => return Err(SettingsError::AdminIncomplete),
        };
        let mypay = mypay_settings(&read, &public_url)?;
        let reconciler = reconciler_settings(&read)?;
        let http = HttpLimits {
            max_connections: usize::try_from(read.number("ECM_HTTP_MAX_CONNECTIONS")?).unwrap_or(usize::MAX),
            idle_timeout: read.duration("ECM_HTTP_IDLE_TIMEOUT_SECONDS")?,
            body_timeout: read.duration("ECM_HTTP_BODY_TIMEOUT_SECONDS")?,
            upload_timeout: read.duration("ECM_HTTP_UPLOAD_TIMEOUT_SECONDS")?,
        };
        let trusted_proxies = TrustedProxies::parse(&read.get("ECM_TRUSTED_PROXIES").unwrap_or_default())
            .map_err(|reason| SettingsError::Invalid { name: "ECM_TRUSTED_PROXIES", reason })?;
        let metrics_addr = read
            .get("ECM_METRICS_ADDR")
            .map(|addr| addr.parse::<SocketAddr>())
            .transpose()
            .map_err(|e| invalid("ECM_METRICS_ADDR", &e.to_string()))?;
        let mail = MailConfig {
            public_url: public_url.clone(),
            interval: read.duration("ECM_MAIL_INTERVAL_SECONDS")?,
            max_tries: read.count("ECM_MAIL_MAX_TRIES")?,
            backoff_min: read.duration("ECM_MAIL_BACKOFF_MIN_SECONDS")?,
            backoff_max: read.duration("ECM_MAIL_BACKOFF_MAX_SECONDS")?,
            lease: read.duration("ECM_MAIL_LEASE_SECONDS")?,
            ..MailConfig::default()
        };
        if mail.backoff_max < mail.backoff_min {
            return Err(invalid("ECM_MAIL_BACKOFF_MAX_SECONDS", "must not be below ECM_MAIL_BACKOFF_MIN_SECONDS"));
        }
        let smtp_timeout = read.duration("ECM_SMTP_TIMEOUT_SECONDS")?;
        if mail.lease <= smtp_timeout {
            return Err(invalid("ECM_MAIL_LEASE_SECONDS", "must be above ECM_SMTP_TIMEOUT_SECONDS"));
        }
        let mail_from = read.text("ECM_MAIL_FROM").unwrap_or_default();
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid("ECM_MAIL_FROM", "expected an address, e.g. Portale ECM <ecm@regione.veneto.it>"));
        }
        // Errors never repeat the URL: it may hold a password.
        let smtp = match read.verbatim("ECM_SMTP_URL").filter(|v| !v.trim().is_empty()) {
            Some(url) => Some(SmtpSettings {
                url: SmtpUrl::parse(url.trim())
                    .map_err(|reason| SettingsError::Invalid { name: "ECM_SMTP_URL", reason })?,
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
            session_ttl: read.duration("ECM_SESSION_TTL_MINUTES")?,
            session_idle: read.duration("ECM_SESSION_IDLE_MINUTES")?,
            session_cache: read.duration("ECM_SESSION_CACHE_SECONDS")?,
            login_max_failures_per_account: read.count("ECM_LOGIN_MAX_FAILURES_PER_ACCOUNT")?,
            login_max_failures_per_address: read.count("ECM_LOGIN_MAX_FAILURES_PER_ADDRESS")?,
            login_window: read.duration("ECM_LOGIN_WINDOW_MINUTES")?,
            registrations_per_address: read.count("ECM_REGISTRATIONS_PER_ADDRESS")?,
            registrations_per_hour: read.count("ECM_REGISTRATIONS_PER_HOUR")?,
            upload_limits: UploadLimits {
                max_bytes: read.count("ECM_DOCUMENT_MAX_BYTES")?,
                max_versions: read.count("ECM_DOCUMENT_MAX_VERSIONS")?,
                max_request_bytes: read.count("ECM_DOCUMENT_MAX_REQUEST_BYTES")?,
                per_hour: read.count("ECM_UPLOADS_PER_HOUR")?,
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

fn mypay_settings(read: &Reader<'_>, public_url: &str) -> Result<Option<MyPaySettings>, SettingsError> {
    let invalid = |name: &'static str, reason: &str| SettingsError::Invalid { name, reason: reason.to_string() };
    let fee = |tipo_name: &'static str, dsr_name: &'static str| -> Result<FeeType, SettingsError> {
        let tipo_dovuto = read.text(tipo_name).unwrap_or_default();
        if tipo_dovuto.chars().count() > 64 || tipo_dovuto.chars().any(char::is_control) {
            return Err(invalid(tipo_name, "expected 1..=64 printable characters"));
        }
        let dati_specifici_riscossione = read.text(dsr_name).unwrap_or_default();
        if !mypay::wire::dovuti::is_valid_dati_specifici_riscossione(&dati_specifici_riscossione) {
            return Err(invalid(dsr_name, "expected the pattern [0129]/\\S{3,138}, e.g. 9/0301109AP"));
        }
        Ok(FeeType { tipo_dovuto, dati_specifici_riscossione })
    };
    // Validated even when MyPay is off, so that a typo is reported before it matters.
    let timeout = read.duration("ECM_MYPAY_TIMEOUT_SECONDS")?;
    let connect_timeout = read.duration("ECM_MYPAY_CONNECT_TIMEOUT_SECONDS")?;
    let quota_annuale = fee("ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE", "ECM_MYPAY_DSR_QUOTA_ANNUALE")?;
    let contributo_evento = fee("ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO", "ECM_MYPAY_DSR_CONTRIBUTO_EVENTO")?;

    // The password is taken verbatim (not trimmed): MyPay trims both sides itself.
    let password = read.verbatim("ECM_MYPAY_PASSWORD");
    let (endpoint, cod_ipa_ente, password) =
        match (read.get("ECM_MYPAY_ENDPOINT"), read.get("ECM_MYPAY_COD_IPA_ENTE"), password) {
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
    let allow_http = match read.text("ECM_MYPAY_ALLOW_HTTP").as_deref() {
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

fn reconciler_settings(read: &Reader<'_>) -> Result<ReconcilerConfig, SettingsError> {
    let backoff_min = read.duration("ECM_RECONCILER_BACKOFF_MIN_SECONDS")?;
    let backoff_max = read.duration("ECM_RECONCILER_BACKOFF_MAX_SECONDS")?;
    if backoff_max < backoff_min {
        return Err(SettingsError::Invalid {
            name: "ECM_RECONCILER_BACKOFF_MAX_SECONDS",
            reason: "must not be smaller than ECM_RECONCILER_BACKOFF_MIN_SECONDS".into(),
        });
    }
    Ok(ReconcilerConfig {
        interval: read.duration("ECM_RECONCILER_INTERVAL_SECONDS")?,
        backoff_min,
        backoff_max,
        concurrency: usize::try_from(read.number("ECM_RECONCILER_CONCURRENCY")?).unwrap_or(64),
        rate_per_second: u32::try_from(read.number("ECM_RECONCILER_RATE_PER_SECOND")?).unwrap_or(1_000),
        lease: read.duration("ECM_RECONCILER_LEASE_SECONDS")?,
        late_receipt_window: read.duration("ECM_RECONCILER_LATE_RECEIPT_HOURS")?,
        verify_min_interval: read.duration("ECM_VERIFY_MIN_INTERVAL_SECONDS")?,
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
        let documented: std::collections::BTreeSet<&str> = rows.iter().map(|(key, _)| key.as_str()).collect();
        let known: std::collections::BTreeSet<&str> = SETTINGS.iter().map(|s| s.key).collect();
        assert_eq!(documented, known, "README.md's configuration table and settings::SETTINGS differ");
        assert_eq!(known.len(), SETTINGS.len(), "a key is listed twice in SETTINGS");
    }

    /// The default column of the README is the table's: the number (before any unit note) or
    /// the text in backticks, or a dash / "(none)" for a setting without one.
    #[test]
    fn the_readme_shows_the_defaults_of_the_table() {
        let readme: BTreeMap<String, String> = readme_settings().into_iter().collect();
        for setting in SETTINGS {
            let cell = &readme[setting.key];
            let literal = cell.strip_prefix('`').and_then(|v| v.split('`').next());
            match setting.value {
                Value::Number { default, .. } => {
                    assert_eq!(literal, Some(default.to_string().as_str()), "{}: README says {cell}", setting.key)
                }
                Value::Text(Some(default)) => assert_eq!(literal, Some(default), "{}: README says {cell}", setting.key),
                Value::Text(None) | Value::Secret | Value::Tooling => {
                    let derived = setting.key == "ECM_PUBLIC_URL" || setting.key == "ECM_TOOLS_DIR";
                    assert!(
                        derived || cell.starts_with('—') || cell.starts_with("(none)"),
                        "{}: README shows a default ({cell}) the table does not have",
                        setting.key
                    );
                }
            }
        }
    }

    /// The limits of the table are enforced: its minimum and maximum are accepted, one beyond
    /// either is refused with the setting's name.
    #[test]
    fn every_number_is_read_within_the_limits_of_the_table() {
        for setting in SETTINGS {
            let Value::Number { min, max, .. } = setting.value else { continue };
            // Settings checked against another one are given a partner that admits both limits.
            let partners: &[(&str, &str)] = match setting.key {
                "ECM_MAIL_BACKOFF_MIN_SECONDS" => &[("ECM_MAIL_BACKOFF_MAX_SECONDS", "604800")],
                "ECM_MAIL_BACKOFF_MAX_SECONDS" => &[("ECM_MAIL_BACKOFF_MIN_SECONDS", "1")],
                "ECM_RECONCILER_BACKOFF_MIN_SECONDS" => &[("ECM_RECONCILER_BACKOFF_MAX_SECONDS", "86400")],
                "ECM_RECONCILER_BACKOFF_MAX_SECONDS" => &[("ECM_RECONCILER_BACKOFF_MIN_SECONDS", "1")],
                "ECM_MAIL_LEASE_SECONDS" => &[("ECM_SMTP_TIMEOUT_SECONDS", "1")],
                "ECM_SMTP_TIMEOUT_SECONDS" => &[("ECM_MAIL_LEASE_SECONDS", "3600")],
                _ => &[],
            };
            for (value, accepted) in
                [(Some(min), true), (Some(max), true), (min.checked_sub(1), false), (max.checked_add(1), false)]
            {
                let Some(value) = value else { continue };
                let text = value.to_string();
                let mut pairs = vec![(setting.key, text.as_str())];
                pairs.extend_from_slice(partners);
                let result = Settings::from_map(map(&pairs));
                if accepted {
                    assert!(result.is_ok(), "{} = {value} is within its limits: {result:?}", setting.key);
                } else {
                    assert!(
                        matches!(&result, Err(SettingsError::Invalid { name, .. }) if *name == setting.key),
                        "{} = {value} is outside its limits: {result:?}",
                        setting.key
                    );
                }
            }
        }
    }

    /// The table's defaults are those of the configuration types the rest of the code (and its
    /// tests) starts from.
    #[test]
    fn the_table_defaults_are_the_config_types_defaults() {
        let settings = Settings::from_map(map(&[])).unwrap();
        assert_eq!(settings.reconciler, ReconcilerConfig::default());
        assert_eq!(settings.http, HttpLimits::default());
        assert_eq!(settings.upload_limits, UploadLimits::default());
        assert_eq!(settings.mail, MailConfig { public_url: settings.public_url.clone(), ..MailConfig::default() });
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
