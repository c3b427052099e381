//! The port through which the worker sends a message (SMTP with lettre, in the server crate:
//! `server::mail_transport`). The worker only needs to know whether the server accepted the
//! message, refused it for good, or failed in a way worth another try.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

/// A message ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The outbox row's id: the transport builds the stable Message-ID from it, so a message
    /// sent again after a crash is recognisably the same message.
    pub id: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The SMTP server accepted the message (250 after DATA).
    Accepted,
    /// Worth trying again later: connection refused or lost, timeout, a 4xx answer. English
    /// detail for the log and the mail log (never credentials).
    Transient(String),
    /// Refused for good (a 5xx answer, an address the server will not take).
    Permanent(String),
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// Sends one message.
pub trait MailTransport: Send + Sync + Debug {
    fn send<'a>(&'a self, message: &'a Message<'a>) -> SendFuture<'a>;
}
