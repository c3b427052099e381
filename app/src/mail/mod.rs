//! Mail: the notifications the portal sends (docs/mail.md).
//!
//! A notification is a row of the outbox (`store::outbox`), written by the service that makes
//! the change, in the same transaction: a change that commits has its mail, a change that rolls
//! back has none. The mail worker ([`worker`]) sends the rows through the [`transport`] port
//! (SMTP, implemented in the server crate with lettre), with retries and back-off, and records
//! what was sent and what failed; the Segreteria reads that log per provider.
//!
//! - `model`: kinds, states and the log line (both targets);
//! - `compose`: the Italian texts (plain text and HTML);
//! - `outbox` (ssr): what services call to enqueue a notification inside their transaction;
//! - `worker` (ssr): claims due rows, sends them, records the outcome; the reminders pass;
//! - `api` / `view`: the Segreteria's mail log.

pub mod api;
#[cfg(feature = "ssr")]
pub mod compose;
pub mod model;
#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
pub mod transport;
pub mod view;
#[cfg(feature = "ssr")]
pub mod worker;
