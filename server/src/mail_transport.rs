//! The SMTP side of mail: [`SmtpMailer`] implements the app's `MailTransport` port with lettre.
//! The wire (lettre's types, the SMTP URL, credentials) stays here; the worker only sees
//! "accepted", "try again" or "refused for good".
//!
//! `ECM_SMTP_URL` (a secret: it may hold credentials):
//! - `smtp://[user:password@]host[:port]` — STARTTLS, required (port 587 by default);
//! - `smtps://[user:password@]host[:port]` — TLS from the first byte (port 465 by default);
//! - `smtp://host:port?tls=none` — no TLS, accepted only for a loopback host (the local sink
//!   of `make run` and of the tests), so credentials never cross a network in clear.

use std::time::Duration;

use app::mail::transport::{MailTransport, Message, SendFuture, SendOutcome};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::settings::Secret;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// STARTTLS after the greeting; refused if the server does not offer it.
    StartTls,
    /// TLS from the first byte (smtps).
    Implicit,
    /// None (loopback only).
    None,
}

/// A parsed `ECM_SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub tls: Tls,
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("SmtpUrl")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or("a % is not followed by two hex digits")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "a % is not followed by two hex digits")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8".to_string())
}

impl SmtpUrl {
    /// Parses the URL; the error never repeats the URL (it may hold a password).
    pub fn parse(url: &str) -> Result<SmtpUrl, String> {
        let (scheme, rest) = url.split_once("://").ok_or("expected smtp://… or smtps://…")?;
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a.trim_end_matches('/'), Some(q)),
            None => (rest.trim_end_matches('/'), None),
        };
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, Some(p.parse::<u16>().map_err(|_| "the port is not a number")?))
            }
            _ => (host_port, None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        if host.is_empty() {
            return Err("the host is missing".into());
        }
        let mut tls = match scheme {
            "smtp" => Tls::StartTls,
            "smtps" => Tls::Implicit,
            _ => return Err("expected smtp://… or smtps://…".into()),
        };
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match pair {
                "tls=none" if scheme == "smtp" => tls = Tls::None,
                "tls=required" if scheme == "smtp" => tls = Tls::StartTls,
                _ => return Err("the only option is tls=none (loopback hosts) or tls=required".into()),
            }
        }
        if tls == Tls::None && !crate::settings::is_loopback_host(&host) {
            return Err("tls=none is accepted only for a loopback host (127.0.0.1, ::1, localhost)".into());
        }
        let (user, password) = match credentials {
            Some(c) => {
                let (user, password) = c.split_once(':').ok_or("credentials must be user:password")?;
                (Some(percent_decode(user)?), Some(Secret::new(percent_decode(password)?)))
            }
            None => (None, None),
        };
        let port = port.unwrap_or(match tls {
            Tls::Implicit => 465,
            _ => 587,
        });
        Ok(SmtpUrl { tls, host, port, user, password })
    }
}

/// Mail settings of the server: the SMTP server and the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub url: SmtpUrl,
    /// `ECM_MAIL_FROM`, e.g. `Portale ECM <ecm-noreply@regione.veneto.it>`.
    pub from: String,
    /// `ECM_SMTP_TIMEOUT_SECONDS` (default 30): the whole of one send (connection, commands,
    /// data, the final answer).
    pub timeout: Duration,
}

/// The portal's SMTP client.
#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the Message-IDs (the sender's).
    domain: String,
    timeout: Duration,
}

impl SmtpMailer {
    pub fn new(settings: &SmtpSettings) -> Result<SmtpMailer, String> {
        let from: Mailbox = settings.from.parse().map_err(|e| format!("ECM_MAIL_FROM is not a mail address: {e}"))?;
        let domain = from.email.domain().to_string();
        let url = &settings.url;
        let builder = match url.tls {
            Tls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&url.host).map_err(|e| format!("SMTP: {e}"))?
            }
            Tls::Implicit => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&url.host).map_err(|e| format!("SMTP: {e}"))?
            }
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host),
        };
        let mut builder = builder.port(url.port).timeout(Some(settings.timeout));
        if let (Some(user), Some(password)) = (&url.user, &url.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(SmtpMailer { transport: builder.build(), from, domain, timeout: settings.timeout })
    }

    /// The Message-ID of an outbox row: the same for every try of the row.
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.domain)
    }

    async fn deliver(&self, message: &Message<'_>) -> SendOutcome {
        let to: Mailbox = match message.to.parse() {
            Ok(to) => to,
            Err(error) => return SendOutcome::Permanent(format!("invalid recipient address: {error}")),
        };
        let built = lettre::Message::builder()
            .message_id(Some(self.message_id(message.id)))
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .multipart(MultiPart::alternative_plain_html(message.text.to_string(), message.html.to_string()));
        let built = match built {
            Ok(built) => built,
            Err(error) => return SendOutcome::Permanent(format!("message not buildable: {error}")),
        };
        // lettre's async transport bounds only the connection with its timeout: this bounds the
        // whole exchange (connection, commands, data and the server's final answer).
        match tokio::time::timeout(self.timeout, self.transport.send(built)).await {
            Ok(Ok(_)) => SendOutcome::Accepted,
            Ok(Err(error)) if error.is_permanent() => SendOutcome::Permanent(format!("SMTP refused: {error}")),
            Ok(Err(error)) => SendOutcome::Transient(format!("SMTP: {error}")),
            Err(_) => SendOutcome::Transient(format!("SMTP: no answer within {} s", self.timeout.as_secs())),
        }
    }
}

impl MailTransport for SmtpMailer {
    fn send<'a>(&'a self, message: &'a Message<'a>) -> SendFuture<'a> {
        Box::pin(self.deliver(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_starttls_by_default_and_plain_text_only_on_loopback() {
        let url = SmtpUrl::parse("smtp://mailer:p%40ss%3Aword@smtp.regione.veneto.it").unwrap();
        assert_eq!((url.tls, url.host.as_str(), url.port), (Tls::StartTls, "smtp.regione.veneto.it", 587));
        assert_eq!(url.user.as_deref(), Some("mailer"));
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("p@ss:word"));
        let url = SmtpUrl::parse("smtps://relay.example:2465").unwrap();
        assert_eq!((url.tls, url.port), (Tls::Implicit, 2465));
        let url = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((url.tls, url.port), (Tls::None, 2525));
        assert!(SmtpUrl::parse("smtp://smtp.example:25?tls=none").is_err(), "no clear text over a network");
        assert!(SmtpUrl::parse("http://smtp.example").is_err());
        assert!(SmtpUrl::parse("smtp://:25").is_err());
    }

    #[test]
    fn neither_errors_nor_debug_output_show_the_password() {
        let url = SmtpUrl::parse("smtp://mailer:Segreto-123@smtp.example").unwrap();
        assert!(!format!("{url:?}").contains("Segreto-123"));
        let error = SmtpUrl::parse("smtp://mailer:Segreto-123@smtp.example:notaport").unwrap_err();
        assert!(!error.contains("Segreto-123"), "{error}");
    }
}
