//! A local SMTP sink: a real SMTP server that accepts every message, keeps it in memory and
//! shows it on a small web page and a JSON API.
//!
//! **A development and test tool, not for production.** It relays nothing, offers no TLS and
//! no authentication, and keeps everything in memory (optionally also as `.eml` files). It
//! exists so that `make run`, the integration tests and the Playwright specs can let the portal
//! send its transactional mail over real SMTP (the same client code as in production) and then
//! look at what was sent, without a mail provider.
//!
//! * [`smtp`]: the SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT,
//!   with PIPELINING, 8BITMIME, SMTPUTF8 and SIZE).
//! * [`http`]: the inbox pages (Italian) and the JSON API (`/api/messages`, `/api/fault`).
//! * [`Fault`]: injected failures (temporary, permanent, slow, dropped connection) for the tests
//!   of the portal's retries.
//!
//! From tests: `MailSink::start(SinkConfig { smtp_addr: "127.0.0.1:0".parse()?, .. })`, point
//! the SMTP client at [`MailSink::smtp_addr`], then [`MailSink::wait_for`] the messages. As a
//! program: the `mail-sink` binary (`mail-sink --help`).

pub mod http;
pub mod smtp;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The largest message accepted (the `SIZE` EHLO keyword), in bytes.
pub const MAX_MESSAGE_SIZE: usize = 10 * 1024 * 1024;

/// How long a connection may stay silent before the sink closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// One message received over SMTP, decoded for tests and the inbox page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedMail {
    /// 1, 2, 3… in order of arrival (restarts at 1 with the process and after nothing else).
    pub id: u64,
    /// When the final `.` of DATA arrived, RFC 3339 in UTC.
    pub received_at: String,
    /// The envelope sender (`MAIL FROM`), empty for the null reverse path `<>`.
    pub envelope_from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub envelope_to: Vec<String>,
    /// The `Message-ID` header without the angle brackets.
    pub message_id: Option<String>,
    /// The `Subject` header, RFC 2047 encoded words decoded.
    pub subject: Option<String>,
    /// The `From` header, decoded (`Name <address>`).
    pub from: Option<String>,
    /// The `To` header, decoded (`Name <address>, address`).
    pub to: Option<String>,
    /// The first inline `text/plain` part, transfer encoding and charset decoded.
    pub text: Option<String>,
    /// The first inline `text/html` part, transfer encoding and charset decoded.
    pub html: Option<String>,
    /// The message as received (after dot-unstuffing), CRLF line endings. Bytes that are
    /// not UTF-8 are replaced by U+FFFD.
    pub raw: String,
}

/// A failure injected into the next messages, to test how a client copes. Every variant
/// counts down once per message (per mail transaction) and the sink returns to [`Fault::None`]
/// when its count reaches zero.
///
/// JSON (`POST /api/fault`): `{"kind":"none"}`, `{"kind":"temp_fail","count":2}`,
/// `{"kind":"perm_fail","count":1}`, `{"kind":"slow","delay_ms":3000,"count":1}`,
/// `{"kind":"drop_after_data","count":1}`; a missing `count` is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Every message is accepted.
    #[default]
    None,
    /// `451 4.3.0` after DATA: a temporary failure, the client should retry. Not stored.
    TempFail {
        #[serde(default = "one")]
        count: u32,
    },
    /// `550 5.1.1` at every `RCPT TO` of the transaction: a permanent failure. Not stored.
    PermFail {
        #[serde(default = "one")]
        count: u32,
    },
    /// The message is stored at once, but the reply to DATA comes only after `delay_ms`
    /// (a client with a shorter timeout gives up on a message that was in fact delivered).
    Slow {
        delay_ms: u64,
        #[serde(default = "one")]
        count: u32,
    },
    /// The message is stored, then the connection is closed without the final reply: the
    /// client cannot tell whether it was delivered ("sent but not confirmed").
    DropAfterData {
        #[serde(default = "one")]
        count: u32,
    },
}

fn one() -> u32 {
    1
}

/// What the SMTP server does with the current message, taken from the fault (and counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataFault {
    TempFail,
    Slow(Duration),
    DropAfterData,
}

/// Where the sink listens and whether it also writes files.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// SMTP address (port 0 picks a free one).
    pub smtp_addr: SocketAddr,
    /// Inbox pages and JSON API; `None`: no HTTP server (tests that use the Rust API only).
    pub http_addr: Option<SocketAddr>,
    /// When set, every stored message is also written as `<id>.eml` in this folder (created
    /// if missing). Ids restart at 1 with the process, so old files are overwritten.
    pub dir: Option<PathBuf>,
}

impl Default for SinkConfig {
    /// The program's defaults: SMTP on 127.0.0.1:2525, HTTP on 127.0.0.1:8025, no files.
    fn default() -> Self {
        SinkConfig {
            smtp_addr: SocketAddr::from(([127, 0, 0, 1], 2525)),
            http_addr: Some(SocketAddr::from(([127, 0, 0, 1], 8025))),
            dir: None,
        }
    }
}

pub const USAGE: &str = "\
mail-sink: a local SMTP server that keeps every message and shows it (development and tests
only; it relays nothing, has no TLS and no authentication).

Options (each also as an environment variable):
  --smtp ADDR   MAIL_SINK_SMTP_ADDR   SMTP address (default 127.0.0.1:2525)
  --http ADDR   MAIL_SINK_HTTP_ADDR   inbox pages and JSON API (default 127.0.0.1:8025)
  --dir PATH    MAIL_SINK_DIR         also write every message as PATH/<id>.eml
  --help                              this text

Pages: GET / (inbox), GET /messaggi/{id}; API: GET|DELETE /api/messages,
GET|POST /api/fault ({\"kind\":\"temp_fail\",\"count\":2}), GET /healthz.";

impl SinkConfig {
    /// Reads `--smtp`, `--http`, `--dir`, falling back to the `MAIL_SINK_*` variables, then
    /// to the defaults. `Err` carries the text to print (the usage for `--help`).
    pub fn from_args_and_env(args: &[String], env: &BTreeMap<String, String>) -> Result<SinkConfig, String> {
        let mut flags = BTreeMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let key = match arg.as_str() {
                "--help" | "-h" => return Err(USAGE.to_string()),
                "--smtp" => "SMTP_ADDR",
                "--http" => "HTTP_ADDR",
                "--dir" => "DIR",
                other => return Err(format!("unexpected argument {other:?}\n\n{USAGE}")),
            };
            let value = it.next().ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))?;
            flags.insert(key, value.clone());
        }
        let get = |key: &str| {
            flags
                .get(key)
                .cloned()
                .or_else(|| env.get(&format!("MAIL_SINK_{key}")).cloned())
                .filter(|v| !v.trim().is_empty())
        };
        let mut config = SinkConfig::default();
        if let Some(addr) = get("SMTP_ADDR") {
            config.smtp_addr = addr.trim().parse().map_err(|e| format!("SMTP address {addr:?}: {e}"))?;
        }
        if let Some(addr) = get("HTTP_ADDR") {
            config.http_addr = Some(addr.trim().parse().map_err(|e| format!("HTTP address {addr:?}: {e}"))?);
        }
        config.dir = get("DIR").map(PathBuf::from);
        Ok(config)
    }
}

/// The messages and the current fault, shared by the SMTP and HTTP servers and the API.
pub(crate) struct Store {
    inner: Mutex<Inner>,
    /// Bumped on every change of the messages, so [`MailSink::wait_for`] can sleep.
    changed: watch::Sender<u64>,
    dir: Option<PathBuf>,
}

struct Inner {
    messages: Vec<ReceivedMail>,
    next_id: u64,
    fault: Fault,
}

impl Store {
    fn new(dir: Option<PathBuf>) -> Store {
        Store {
            inner: Mutex::new(Inner { messages: Vec::new(), next_id: 1, fault: Fault::None }),
            changed: watch::Sender::new(0),
            dir,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the data consistent (plain pushes and
        // assignments), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn messages(&self) -> Vec<ReceivedMail> {
        self.lock().messages.clone()
    }

    pub(crate) fn message(&self, id: u64) -> Option<ReceivedMail> {
        self.lock().messages.iter().find(|m| m.id == id).cloned()
    }

    pub(crate) fn clear(&self) {
        self.lock().messages.clear();
        self.changed.send_modify(|v| *v += 1);
    }

    pub(crate) fn fault(&self) -> Fault {
        self.lock().fault
    }

    pub(crate) fn set_fault(&self, fault: Fault) {
        let fault = match fault {
            Fault::TempFail { count: 0 }
            | Fault::PermFail { count: 0 }
            | Fault::Slow { count: 0, .. }
            | Fault::DropAfterData { count: 0 } => Fault::None,
            other => other,
        };
        tracing::info!(?fault, "mail sink fault set");
        self.lock().fault = fault;
    }

    /// At the first `RCPT TO` of a transaction: `true` if this message must be refused
    /// permanently (counts one [`Fault::PermFail`]).
    pub(crate) fn take_rcpt_fault(&self) -> bool {
        let mut inner = self.lock();
        match inner.fault {
            Fault::PermFail { count } => {
                inner.fault = if count > 1 { Fault::PermFail { count: count - 1 } } else { Fault::None };
                true
            }
            _ => false,
        }
    }

    /// After the data of a message: the fault that applies to it, if any (counted).
    pub(crate) fn take_data_fault(&self) -> Option<DataFault> {
        let mut inner = self.lock();
        let (taken, rest) = match inner.fault {
            Fault::TempFail { count } => {
                (DataFault::TempFail, if count > 1 { Fault::TempFail { count: count - 1 } } else { Fault::None })
            }
            Fault::Slow { delay_ms, count } => (
                DataFault::Slow(Duration::from_millis(delay_ms)),
                if count > 1 { Fault::Slow { delay_ms, count: count - 1 } } else { Fault::None },
            ),
            Fault::DropAfterData { count } => (
                DataFault::DropAfterData,
                if count > 1 { Fault::DropAfterData { count: count - 1 } } else { Fault::None },
            ),
            Fault::None | Fault::PermFail { .. } => return None,
        };
        inner.fault = rest;
        Some(taken)
    }

    /// Decodes and keeps a message; returns its id.
    pub(crate) async fn store(&self, envelope_from: String, envelope_to: Vec<String>, raw: Vec<u8>) -> u64 {
        let received_at =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let mail = decode(0, received_at, envelope_from, envelope_to, &raw);
        let mail = {
            let mut inner = self.lock();
            let mail = ReceivedMail { id: inner.next_id, ..mail };
            inner.next_id += 1;
            inner.messages.push(mail.clone());
            mail
        };
        // Only the envelope and the Message-ID: the body may carry personal data or tokens.
        tracing::info!(id = mail.id, message_id = mail.message_id.as_deref().unwrap_or("-"), recipients = ?mail.envelope_to, "mail received");
        if let Some(dir) = &self.dir {
            let path = dir.join(format!("{}.eml", mail.id));
            if let Err(error) = tokio::fs::write(&path, &raw).await {
                tracing::warn!(path = %path.display(), %error, "cannot write the message file");
            }
        }
        self.changed.send_modify(|v| *v += 1);
        mail.id
    }
}

/// Decodes the headers and the body parts of `raw` with `mail-parser`. Never fails: a message
/// it cannot parse keeps only its envelope and raw text.
fn decode(id: u64, received_at: String, envelope_from: String, envelope_to: Vec<String>, raw: &[u8]) -> ReceivedMail {
    let mut mail = ReceivedMail {
        id,
        received_at,
        envelope_from,
        envelope_to,
        message_id: None,
        subject: None,
        from: None,
        to: None,
        text: None,
        html: None,
        raw: String::from_utf8_lossy(raw).into_owned(),
    };
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return mail;
    };
    mail.message_id = message.message_id().map(str::to_string);
    mail.subject = message.subject().map(str::to_string);
    mail.from = message.from().map(format_addresses).filter(|s| !s.is_empty());
    mail.to = message.to().map(format_addresses).filter(|s| !s.is_empty());
    // `body_text`/`body_html` would convert one into the other when a part is missing;
    // the tests want to know which parts were really sent.
    mail.text = message.text_bodies().find_map(|part| match &part.body {
        mail_parser::PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    mail.html = message.html_bodies().find_map(|part| match &part.body {
        mail_parser::PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    mail
}

fn format_addresses(address: &mail_parser::Address<'_>) -> String {
    address
        .iter()
        .map(|addr| match (addr.name.as_deref(), addr.address.as_deref()) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (Some(name), None) => name.to_string(),
            (None, Some(address)) => address.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A running sink. Its servers run in background tasks that stop when it is dropped.
pub struct MailSink {
    store: Arc<Store>,
    smtp_addr: SocketAddr,
    http_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

impl MailSink {
    /// Binds the listeners and starts serving. Must be called inside a Tokio runtime.
    pub fn start(config: SinkConfig) -> io::Result<MailSink> {
        Self::start_with_idle_timeout(config, IDLE_TIMEOUT)
    }

    pub(crate) fn start_with_idle_timeout(config: SinkConfig, idle_timeout: Duration) -> io::Result<MailSink> {
        if let Some(dir) = &config.dir {
            std::fs::create_dir_all(dir)?;
        }
        let store = Arc::new(Store::new(config.dir.clone()));
        let smtp_listener = bind(config.smtp_addr)?;
        let smtp_addr = smtp_listener.local_addr()?;
        let http_listener = config.http_addr.map(bind).transpose()?;
        let http_addr = http_listener.as_ref().map(|l| l.local_addr()).transpose()?;
        let mut tasks = vec![tokio::spawn(smtp::serve(smtp_listener, store.clone(), idle_timeout))];
        if let Some(listener) = http_listener {
            let router = http::router(store.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "mail sink HTTP server stopped");
                }
            }));
        }
        Ok(MailSink { store, smtp_addr, http_addr, tasks })
    }

    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Every message kept so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.store.messages()
    }

    /// Forgets the messages (ids keep counting).
    pub fn clear(&self) {
        self.store.clear();
    }

    /// The fault still to be applied (after the count-down so far).
    pub fn fault(&self) -> Fault {
        self.store.fault()
    }

    /// Replaces the fault for the next messages; [`Fault::None`] clears it.
    pub fn set_fault(&self, fault: Fault) {
        self.store.set_fault(fault);
    }

    /// Waits until `predicate` holds for the messages kept, at most `timeout`.
    /// `Ok` with the messages when it holds, `Err` with the messages at the timeout.
    pub async fn wait_for(
        &self,
        predicate: impl Fn(&[ReceivedMail]) -> bool,
        timeout: Duration,
    ) -> Result<Vec<ReceivedMail>, Vec<ReceivedMail>> {
        let deadline = tokio::time::Instant::now() + timeout;
        // Subscribed before looking, so a message stored in between still wakes us.
        let mut changes = self.store.changed.subscribe();
        loop {
            let messages = self.store.messages();
            if predicate(&messages) {
                return Ok(messages);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                // Timed out (or the sender is gone, which cannot happen while `self` lives).
                _ => {
                    let messages = self.store.messages();
                    return if predicate(&messages) { Ok(messages) } else { Err(messages) };
                }
            }
        }
    }

    /// Serves until Ctrl-C or SIGTERM (the program); the servers stop with `self`.
    pub async fn run_until_stopped(self) {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = ctrl_c => {},
            () = terminate => {},
        }
        tracing::info!("mail sink stopping");
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn bind(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(listener)
}

#[cfg(test)]
mod tests;
