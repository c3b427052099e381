//! The sink's SMTP server: the subset of RFC 5321 that a submitting client (lettre, the
//! portal's) needs, plus the extensions it looks for.
//!
//! * `220` greeting; `EHLO` (multi-line `250` with `8BITMIME`, `SMTPUTF8`, `PIPELINING`,
//!   `SIZE 10485760`) or `HELO`; `MAIL FROM`, one or more `RCPT TO`, `DATA` (`354`, the text
//!   ends at `CRLF.CRLF`, leading dots unstuffed); `RSET`, `NOOP`, `QUIT` (`221`).
//! * Unknown commands `500`; known but not offered ones (`VRFY`, `STARTTLS`, `AUTH`, …) `502`;
//!   commands out of order `503`. No TLS, no authentication: the sink listens on loopback.
//! * Pipelining needs nothing special: commands are read one line at a time from a buffered
//!   reader and every reply is written in order, so a client may send `MAIL`, `RCPT`… and
//!   `DATA` in one write.
//! * Bounds: command lines of [`MAX_COMMAND_LINE`] bytes, messages of
//!   [`MAX_MESSAGE_SIZE`](super::MAX_MESSAGE_SIZE), [`MAX_RECIPIENTS`] recipients; a silent
//!   connection is closed after the idle timeout (60 s); too many errors close it too.
//! * Faults ([`super::Fault`]) are applied per message: permanent ones at the first `RCPT TO`,
//!   the others once the message text has arrived.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::{DataFault, Store, MAX_MESSAGE_SIZE};

/// The name the sink gives itself in its replies.
const HOSTNAME: &str = "mail-sink";

/// Longest command line accepted, CRLF included (RFC 5321 asks for at least 512; the extra
/// room is for UTF-8 addresses and parameters).
pub const MAX_COMMAND_LINE: usize = 4096;

/// Recipients accepted per message (RFC 5321 §4.5.3.1.8 asks for at least 100).
pub const MAX_RECIPIENTS: usize = 100;

/// Bad commands tolerated on one connection before it is closed.
const MAX_ERRORS: u32 = 20;

/// Accepts connections for ever; each one is served in its own task, all of them stopped
/// when this future is dropped (the sink aborts it).
pub(crate) async fn serve(listener: TcpListener, store: Arc<Store>, idle_timeout: Duration) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(session(stream, peer, store.clone(), idle_timeout));
                }
                Err(error) => {
                    // E.g. too many open files: wait a little instead of spinning.
                    tracing::warn!(%error, "mail sink cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn session(stream: TcpStream, peer: SocketAddr, store: Arc<Store>, idle_timeout: Duration) {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    let mut conn = Connection { reader: BufReader::new(reader), writer, idle_timeout };
    match conn.run(&store).await {
        Ok(()) => tracing::debug!(%peer, "SMTP connection closed"),
        Err(error) => tracing::debug!(%peer, %error, "SMTP connection ended"),
    }
}

/// A line read from the client, without its line ending.
enum Line {
    Text(Vec<u8>),
    /// Longer than allowed; the whole line was read and thrown away.
    TooLong,
    /// The client closed the connection (a partial last line is dropped).
    Eof,
}

/// Reads one line ending in LF (CRLF or a bare LF), keeping at most `max` bytes of it.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        let taken = chunk.len();
        if !too_long {
            if line.len() + chunk.len() > max {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(taken);
        if done {
            if too_long {
                return Ok(Line::TooLong);
            }
            line.pop(); // the LF
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Line::Text(line));
        }
    }
}

/// The envelope of the mail transaction in progress.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
    /// A `RCPT TO` was seen (the permanent fault is decided at the first one).
    rcpt_seen: bool,
    /// This message is refused permanently (an injected [`super::Fault::PermFail`]).
    refused: bool,
}

/// What a command asks the connection to do next.
enum Next {
    Continue,
    Close,
}

struct Connection<R, W> {
    reader: R,
    writer: W,
    idle_timeout: Duration,
}

impl<R: AsyncBufRead + Unpin, W: AsyncWrite + Unpin> Connection<R, W> {
    async fn run(&mut self, store: &Store) -> io::Result<()> {
        self.reply(&format!("220 {HOSTNAME} ESMTP ECM development mail sink (not for production)")).await?;
        let mut greeted = false;
        let mut transaction = Transaction::default();
        let mut errors = 0u32;
        loop {
            let line = match self.read(MAX_COMMAND_LINE).await? {
                Some(Line::Text(line)) => line,
                Some(Line::TooLong) => {
                    errors += 1;
                    self.reply("500 5.5.2 Line too long").await?;
                    continue;
                }
                Some(Line::Eof) | None => return Ok(()),
            };
            let line = String::from_utf8_lossy(&line);
            let (verb, argument) = match line.split_once(' ') {
                Some((verb, argument)) => (verb, argument.trim()),
                None => (line.as_ref(), ""),
            };
            let verb = verb.to_ascii_uppercase();
            let (reply, next, error) = match verb.as_str() {
                "EHLO" | "HELO" if argument.is_empty() => {
                    ("501 5.5.4 Domain name required".to_string(), Next::Continue, true)
                }
                "EHLO" => {
                    greeted = true;
                    transaction = Transaction::default();
                    let reply = format!(
                        "250-{HOSTNAME} Hello {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n250 SIZE {MAX_MESSAGE_SIZE}",
                        printable(argument)
                    );
                    (reply, Next::Continue, false)
                }
                "HELO" => {
                    greeted = true;
                    transaction = Transaction::default();
                    (format!("250 {HOSTNAME} Hello {}", printable(argument)), Next::Continue, false)
                }
                "MAIL" if !greeted => ("503 5.5.1 Send EHLO or HELO first".to_string(), Next::Continue, true),
                "MAIL" if transaction.from.is_some() => {
                    ("503 5.5.1 A mail transaction is already open (RSET first)".to_string(), Next::Continue, true)
                }
                "MAIL" => match mail_from(argument) {
                    Ok(from) => {
                        transaction.from = Some(from);
                        ("250 2.1.0 Sender OK".to_string(), Next::Continue, false)
                    }
                    Err(reply) => (reply, Next::Continue, true),
                },
                "RCPT" if transaction.from.is_none() => {
                    ("503 5.5.1 Send MAIL FROM first".to_string(), Next::Continue, true)
                }
                "RCPT" => match rcpt_to(argument) {
                    Err(reply) => (reply, Next::Continue, true),
                    Ok(to) => {
                        if !transaction.rcpt_seen {
                            transaction.rcpt_seen = true;
                            transaction.refused = store.take_rcpt_fault();
                        }
                        if transaction.refused {
                            ("550 5.1.1 Mailbox unavailable (injected failure)".to_string(), Next::Continue, false)
                        } else if transaction.to.len() >= MAX_RECIPIENTS {
                            ("452 4.5.3 Too many recipients".to_string(), Next::Continue, false)
                        } else {
                            transaction.to.push(to);
                            ("250 2.1.5 Recipient OK".to_string(), Next::Continue, false)
                        }
                    }
                },
                "DATA" if !argument.is_empty() => {
                    ("501 5.5.4 DATA takes no argument".to_string(), Next::Continue, true)
                }
                "DATA" if transaction.from.is_none() => {
                    ("503 5.5.1 Send MAIL FROM first".to_string(), Next::Continue, true)
                }
                "DATA" if transaction.to.is_empty() && transaction.refused => {
                    ("554 5.5.1 No valid recipients".to_string(), Next::Continue, false)
                }
                "DATA" if transaction.to.is_empty() => {
                    ("503 5.5.1 Send RCPT TO first".to_string(), Next::Continue, true)
                }
                "DATA" => {
                    let transaction = std::mem::take(&mut transaction);
                    match self.data(store, transaction).await? {
                        Some(reply) => (reply, Next::Continue, false),
                        None => return Ok(()),
                    }
                }
                "RSET" => {
                    transaction = Transaction::default();
                    ("250 2.0.0 OK".to_string(), Next::Continue, false)
                }
                "NOOP" => ("250 2.0.0 OK".to_string(), Next::Continue, false),
                "QUIT" => (format!("221 2.0.0 {HOSTNAME} closing connection"), Next::Close, false),
                "VRFY" | "EXPN" | "HELP" | "TURN" | "ETRN" | "ATRN" | "BDAT" | "STARTTLS" | "AUTH" => {
                    ("502 5.5.1 Command not implemented".to_string(), Next::Continue, true)
                }
                _ => ("500 5.5.1 Command unrecognized".to_string(), Next::Continue, true),
            };
            if error {
                errors += 1;
            }
            if errors > MAX_ERRORS {
                self.reply(&format!("421 4.7.0 {HOSTNAME} too many errors, closing connection")).await?;
                return Ok(());
            }
            self.reply(&reply).await?;
            if let Next::Close = next {
                return Ok(());
            }
        }
    }

    /// After `DATA` was accepted: `354`, the message text, then the final reply to send, or
    /// `None` to close the connection without one.
    async fn data(&mut self, store: &Store, transaction: Transaction) -> io::Result<Option<String>> {
        self.reply("354 Start mail input; end with <CRLF>.<CRLF>").await?;
        let mut message = Vec::new();
        let mut too_big = false;
        loop {
            let line = match self.read(MAX_MESSAGE_SIZE + 2).await? {
                Some(Line::Text(line)) => line,
                Some(Line::TooLong) => {
                    too_big = true;
                    continue;
                }
                // The client went away (or fell silent) in the middle of the message: nothing is kept.
                Some(Line::Eof) | None => return Ok(None),
            };
            if line == b"." {
                break;
            }
            // RFC 5321 §4.5.2: the client doubled every leading dot.
            let text = line.strip_prefix(b".").unwrap_or(&line);
            if too_big || message.len() + text.len() + 2 > MAX_MESSAGE_SIZE {
                too_big = true;
                message = Vec::new();
                continue;
            }
            message.extend_from_slice(text);
            message.extend_from_slice(b"\r\n");
        }
        if too_big {
            return Ok(Some("552 5.3.4 Message too big".to_string()));
        }
        let from = transaction.from.unwrap_or_default();
        match store.take_data_fault() {
            Some(DataFault::TempFail) => {
                tracing::info!("mail refused with 451 (injected failure)");
                Ok(Some("451 4.3.0 Temporary failure (injected), try again later".to_string()))
            }
            Some(DataFault::Slow(delay)) => {
                let id = store.store(from, transaction.to, message).await;
                tokio::time::sleep(delay).await;
                Ok(Some(format!("250 2.0.0 OK: queued as {id}")))
            }
            Some(DataFault::DropAfterData) => {
                let id = store.store(from, transaction.to, message).await;
                tracing::info!(id, "mail stored, connection dropped without a reply (injected failure)");
                Ok(None)
            }
            None => {
                let id = store.store(from, transaction.to, message).await;
                Ok(Some(format!("250 2.0.0 OK: queued as {id}")))
            }
        }
    }

    /// A line, or `None` when the client stayed silent for the idle timeout (told with `421`).
    async fn read(&mut self, max: usize) -> io::Result<Option<Line>> {
        match tokio::time::timeout(self.idle_timeout, read_line(&mut self.reader, max)).await {
            Ok(line) => line.map(Some),
            Err(_) => {
                self.reply(&format!("421 4.4.2 {HOSTNAME} idle for too long, closing connection")).await?;
                Ok(None)
            }
        }
    }

    async fn reply(&mut self, reply: &str) -> io::Result<()> {
        let write = async {
            self.writer.write_all(reply.as_bytes()).await?;
            self.writer.write_all(b"\r\n").await?;
            self.writer.flush().await
        };
        match tokio::time::timeout(self.idle_timeout, write).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "the client does not read the replies")),
        }
    }
}

/// The client's EHLO argument as shown back: printable ASCII only, at most 64 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_graphic()).take(64).collect()
}

/// `MAIL` argument: `FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME] [SMTPUTF8]`.
fn mail_from(argument: &str) -> Result<String, String> {
    let rest = strip_prefix_ignore_case(argument, "FROM:").ok_or("501 5.5.4 Syntax: MAIL FROM:<address>")?;
    let (path, parameters) = path(rest).ok_or("501 5.1.7 Bad sender address syntax")?;
    for parameter in parameters.split_whitespace() {
        let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => match value.parse::<usize>() {
                Ok(size) if size > MAX_MESSAGE_SIZE => return Err("552 5.3.4 Message too big".to_string()),
                Ok(_) => {}
                Err(_) => return Err("501 5.5.4 Bad SIZE value".to_string()),
            },
            "BODY" if value.eq_ignore_ascii_case("7BIT") || value.eq_ignore_ascii_case("8BITMIME") => {}
            "SMTPUTF8" if value.is_empty() => {}
            _ => return Err(format!("555 5.5.4 Parameter not supported: {}", printable(key))),
        }
    }
    Ok(path)
}

/// `RCPT` argument: `TO:<path>` (parameters are ignored); the path may not be empty.
fn rcpt_to(argument: &str) -> Result<String, String> {
    let rest = strip_prefix_ignore_case(argument, "TO:").ok_or("501 5.5.4 Syntax: RCPT TO:<address>")?;
    match path(rest) {
        Some((path, _)) if !path.is_empty() => Ok(path),
        _ => Err("501 5.1.3 Bad recipient address syntax".to_string()),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// `<address>` (or, leniently, a bare address) and what follows it. A source route
/// (`<@relay:user@host>`, obsolete) is dropped. `<>` gives an empty address.
fn path(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let (inner, rest) = match s.strip_prefix('<') {
        Some(s) => {
            let end = s.find('>')?;
            (&s[..end], &s[end + 1..])
        }
        None => match s.split_once(' ') {
            Some((address, rest)) => (address, rest),
            None => (s, ""),
        },
    };
    let address = match inner.strip_prefix('@') {
        Some(route) => route.split_once(':')?.1,
        None => inner,
    };
    if address.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<') {
        return None;
    }
    if !address.is_empty() && !address.contains('@') && !address.eq_ignore_ascii_case("postmaster") {
        return None;
    }
    Some((address.to_string(), rest))
}
