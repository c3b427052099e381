//! What the mail log shows (shared by the server and the browser).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The kinds of notification (docs/mail.md lists when each is sent and to whom).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailKind {
    /// After registration (and on request): the link that confirms the address.
    VerifyEmail,
    /// On request from «Password dimenticata»: the single-use link, valid one hour.
    PasswordReset,
    /// Someone registered with the address of an existing account (at most one an hour).
    AccountExists,
    /// The Segreteria asked for an integration, with its note.
    IntegrationRequested,
    /// The request was accepted: the provider is accredited.
    Accredited,
    /// The request was rejected, with the reasons.
    Rejected,
    /// MyPay confirmed a payment: the debts are paid, the receipt can be downloaded.
    PaymentVerified,
    /// The Segreteria accepted a quietanza: the debt is paid outside pagoPA.
    QuietanzaAccepted,
    /// The Segreteria refused a quietanza, with the reason: the debt is to pay again.
    QuietanzaRefused,
    /// A debt falls due soon (10 days before a quota, 15 before an event fee).
    ReminderDue,
    /// A debt's due date has passed and it is still to pay.
    ReminderOverdue,
}

impl MailKind {
    pub const ALL: [MailKind; 11] = [
        MailKind::VerifyEmail,
        MailKind::PasswordReset,
        MailKind::AccountExists,
        MailKind::IntegrationRequested,
        MailKind::Accredited,
        MailKind::Rejected,
        MailKind::PaymentVerified,
        MailKind::QuietanzaAccepted,
        MailKind::QuietanzaRefused,
        MailKind::ReminderDue,
        MailKind::ReminderOverdue,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "VERIFY_EMAIL",
            MailKind::PasswordReset => "PASSWORD_RESET",
            MailKind::AccountExists => "ACCOUNT_EXISTS",
            MailKind::IntegrationRequested => "INTEGRATION_REQUESTED",
            MailKind::Accredited => "ACCREDITED",
            MailKind::Rejected => "REJECTED",
            MailKind::PaymentVerified => "PAYMENT_VERIFIED",
            MailKind::QuietanzaAccepted => "QUIETANZA_ACCEPTED",
            MailKind::QuietanzaRefused => "QUIETANZA_REFUSED",
            MailKind::ReminderDue => "REMINDER_DUE",
            MailKind::ReminderOverdue => "REMINDER_OVERDUE",
        }
    }

    pub fn from_db(value: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|kind| kind.as_db() == value)
    }

    pub fn label_it(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "Verifica dell'indirizzo e-mail",
            MailKind::PasswordReset => "Reimpostazione della password",
            MailKind::AccountExists => "Registrazione con un indirizzo già registrato",
            MailKind::IntegrationRequested => "Richiesta di integrazione",
            MailKind::Accredited => "Accreditamento concesso",
            MailKind::Rejected => "Domanda rigettata",
            MailKind::PaymentVerified => "Pagamento verificato",
            MailKind::QuietanzaAccepted => "Quietanza accettata",
            MailKind::QuietanzaRefused => "Quietanza rifiutata",
            MailKind::ReminderDue => "Promemoria di scadenza",
            MailKind::ReminderOverdue => "Avviso di scadenza superata",
        }
    }
}

/// Where a notification is in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailState {
    /// Waiting to be sent (or to be tried again).
    Pending,
    /// The SMTP server accepted it.
    Sent,
    /// Given up: refused for good by the SMTP server, or too many failed tries.
    Failed,
}

impl MailState {
    pub fn as_db(self) -> &'static str {
        match self {
            MailState::Pending => "PENDING",
            MailState::Sent => "SENT",
            MailState::Failed => "FAILED",
        }
    }

    pub fn from_db(value: &str) -> Option<MailState> {
        [MailState::Pending, MailState::Sent, MailState::Failed].into_iter().find(|s| s.as_db() == value)
    }

    pub fn label_it(self) -> &'static str {
        match self {
            MailState::Pending => "In coda",
            MailState::Sent => "Inviata",
            MailState::Failed => "Non recapitata",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            MailState::Pending => "badge bg-secondary",
            MailState::Sent => "badge bg-success",
            MailState::Failed => "badge bg-danger",
        }
    }
}

/// One line of a provider's mail log (never the body: it may hold a link with a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MailLogLine {
    pub id: String,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub state: MailState,
    pub tries: i64,
    /// The last SMTP error (English, as the server gave it), if any.
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// How the mail worker works (`ECM_MAIL_*`, read by `server::settings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `ECM_PUBLIC_URL`: the base of the links in the mails (see `compose::LINK_BASE`).
    pub public_url: String,
    /// `ECM_MAIL_INTERVAL_SECONDS` (default 5): how often the outbox is looked at.
    pub interval: Duration,
    /// `ECM_MAIL_MAX_TRIES` (default 8): a message that failed this many times is FAILED.
    pub max_tries: i64,
    /// `ECM_MAIL_BACKOFF_MIN_SECONDS` (default 30): the wait after the first failed try; it
    /// doubles with every further failure, up to `backoff_max`.
    pub backoff_min: Duration,
    /// `ECM_MAIL_BACKOFF_MAX_SECONDS` (default 3600).
    pub backoff_max: Duration,
    /// `ECM_MAIL_LEASE_SECONDS` (default 120): how long a claim on a row lasts. Keep it above
    /// `ECM_SMTP_TIMEOUT_SECONDS`: a row whose lease ran out while its send is still going
    /// could be sent by another instance too. A row claimed by an instance that died is sent
    /// again once its lease is over.
    pub lease: Duration,
    /// Rows sent per pass at most, one claimed after the other (20; not a setting).
    pub batch: usize,
    /// How often the reminders pass runs (30 minutes; not a setting).
    pub reminders_every: Duration,
}

impl MailConfig {
    /// The wait after the `tries`-th failed try: the minimum doubled once per try after the
    /// first, never more than the maximum.
    pub fn backoff(&self, tries: i64) -> std::time::Duration {
        crate::domain::doubling_backoff(self.backoff_min, self.backoff_max, tries)
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            public_url: "http://127.0.0.1:3000".into(),
            interval: Duration::from_secs(5),
            max_tries: 8,
            backoff_min: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            lease: Duration::from_secs(120),
            batch: 20,
            reminders_every: Duration::from_secs(30 * 60),
        }
    }
}
