//! The payment gateway as the portal sees it: domain types only. `server` implements it over
//! the MyPay SOAP client; MyPay's wire types never reach this crate. Compiled with `ssr` only.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use super::model::{FeeKind, PayerType};

pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The payer of a cart (`soggettoPagatore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartPayer {
    pub kind: PayerType,
    /// Codice fiscale or partita IVA, upper case.
    pub id_code: String,
    pub name: String,
    pub address: Option<String>,
    pub civic_number: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub email: Option<String>,
}

/// One debt in a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub iud: String,
    pub amount_cents: i64,
    pub causale: String,
    pub fee_kind: FeeKind,
}

/// A cart of 1..=5 debts of one payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartRequest {
    pub payer: CartPayer,
    pub lines: Vec<CartLine>,
}

/// The answer to sending a cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Store `id_session`, then send the browser to `url`.
    Accepted { id_session: String, url: String },
    /// The gateway refused the cart (nothing was created there). `code` is the gateway's
    /// (e.g. `PAA_ENTE_NON_VALIDO`); `message` is for the log, not for users.
    Rejected { code: String, message: String },
    /// No answer: the cart may or may not have been created. `maybe_received` is false only when
    /// the request certainly never left (e.g. connection refused, invalid cart).
    TransportError { retryable: bool, maybe_received: bool, detail: String },
}

/// One line of the expected cart, to match a receipt against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedLine {
    pub iud: String,
    pub amount_cents: i64,
}

/// One paid line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidLine {
    pub iud: String,
    pub amount_cents: i64,
    /// `identificativoUnivocoRiscossione`.
    pub iur: String,
    /// `dataEsitoSingoloPagamento`, YYYY-MM-DD.
    pub date: String,
}

/// A verified receipt: outcome 0, total and every line matching the expected cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidReceipt {
    pub iuv: String,
    /// `identificativoMessaggioRicevuta`.
    pub receipt_id: String,
    /// `dataOraMessaggioRicevuta` as sent.
    pub receipt_date: String,
    pub total_cents: i64,
    pub lines: Vec<PaidLine>,
    /// The attesting PSP.
    pub psp: String,
}

/// The answer to "what happened to this cart?" (docs/mypay.md §8 decision table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// Outcome 0 and everything matches the expected cart.
    Paid(PaidReceipt),
    /// Outcome 0 but the receipt does not match the cart (total, lines, IUDs).
    AmountMismatch {
        detail: String,
    },
    /// Outcome 1 or 3.
    NotPaid {
        detail: String,
    },
    /// Outcome 2 or 4.
    Partial {
        detail: String,
    },
    /// Not started yet, or in progress: ask again later.
    Pending,
    Expired,
    Cancelled,
    /// The gateway does not know the session.
    UnknownSession,
    /// The gateway does not know the debt (lookup by IUD: `PAA_IUD_NON_VALIDO`): the cart was
    /// never checked out.
    UnknownDebt,
    /// The gateway refused our credentials: configuration problem.
    CredentialsError,
    /// No usable answer (network, SOAP fault, system error): the state is unknown.
    TransportError {
        detail: String,
    },
}

impl CheckOutcome {
    /// A short stable label (the attempt's `last_outcome`, the metrics).
    pub fn label(&self) -> &'static str {
        match self {
            CheckOutcome::Paid(_) => "paid",
            CheckOutcome::AmountMismatch { .. } => "amount_mismatch",
            CheckOutcome::NotPaid { .. } => "not_paid",
            CheckOutcome::Partial { .. } => "partial",
            CheckOutcome::Pending => "pending",
            CheckOutcome::Expired => "expired",
            CheckOutcome::Cancelled => "cancelled",
            CheckOutcome::UnknownSession => "unknown_session",
            CheckOutcome::UnknownDebt => "unknown_debt",
            CheckOutcome::CredentialsError => "credentials_error",
            CheckOutcome::TransportError { .. } => "transport_error",
        }
    }
}

/// The receipt document (RT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    Receipt { bytes: Vec<u8> },
    NotAvailable { detail: String },
    TransportError { detail: String },
}

/// The answer to a lookup by IUD: the outcome, and the RT bytes when the cart was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IudCheck {
    pub outcome: CheckOutcome,
    pub receipt: Option<Vec<u8>>,
}

/// A pagoPA notice for one debt (`paaSILImportaDovuto`; docs/channels.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRequest {
    pub payer: CartPayer,
    /// The notice's IUD (fresh per notice), amount, causale and fee kind.
    pub line: CartLine,
}

/// The answer to issuing a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// Store all three before showing anything. `url` is MyPay's `urlFileAvviso`: its token is a
    /// bearer credential, never shown or logged.
    Issued { iuv: String, notice_number: String, url: String },
    /// MyPay already holds an active debt under this IUD (an earlier import whose answer was
    /// lost): its IUV is unknown and the IUV in MyPay's refusal belongs to no debt. Recover by
    /// cancelling the IUD and importing again.
    AlreadyExists,
    /// Refused; nothing was created. `code` is MyPay's, for the log.
    Rejected { code: String, message: String },
    /// No usable answer: the debt may or may not exist in MyPay. `maybe_received` is false only
    /// when the request certainly never left.
    TransportError { maybe_received: bool, detail: String },
}

/// The answer to cancelling a notice (`paaSILImportaDovuto`, action `A`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelNoticeOutcome {
    /// Cancelled: pagoPA channels now refuse the notice.
    Cancelled,
    /// No open debt under this IUD: never imported, already cancelled, or already **paid** — ask
    /// [`PaymentGateway::check_by_iud`] which.
    NotOpen,
    /// Open but in an online payment right now: try again later.
    Busy,
    /// Refused (credentials, configuration); nothing changed.
    Rejected { code: String, message: String },
    /// No usable answer: the notice may or may not be cancelled.
    TransportError { detail: String },
}

/// The notice PDF at MyPay's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticePdfOutcome {
    Pdf(Vec<u8>),
    /// The debt behind the URL is no longer open (paid, cancelled or changed).
    Gone,
    Failed {
        detail: String,
    },
}

/// A payment received outside pagoPA (a treasury transfer proved by an accepted quietanza), to
/// record against a notice's IUV so that MyPay's books match and pagoPA refuses the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflinePayment {
    pub iuv: String,
    pub amount_cents: i64,
    /// The value date, YYYY-MM-DD.
    pub date: String,
    /// The transfer's CRO/TRN (MyPay's `identificativoUnivocoRiscossione`).
    pub reference: String,
    /// Who attests it: the paying body's fiscal code and name.
    pub attestor_code: String,
    pub attestor_name: String,
}

/// The answer to recording an off-pagoPA payment. MyPay answers OK after authentication
/// whatever it did: check the notice first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOfflineOutcome {
    Recorded,
    Rejected { code: String, message: String },
    TransportError { detail: String },
}

/// The payment gateway (MyPay in production, the simulator in tests and demos).
pub trait PaymentGateway: Send + Sync + Debug {
    /// `paaSILInviaDovuti`.
    fn send_cart<'a>(&'a self, cart: &'a CartRequest) -> GatewayFuture<'a, SendOutcome>;
    /// `paaSILChiediPagati`, matched against the expected cart.
    fn check<'a>(&'a self, id_session: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, CheckOutcome>;
    /// `paaSILChiediPagatiConRicevuta`: the RT bytes of a paid cart.
    fn receipt<'a>(&'a self, id_session: &'a str) -> GatewayFuture<'a, ReceiptOutcome>;
    /// `paaSILChiediPagatiConRicevuta` by IUD, for a cart whose send got no answer (no idSession):
    /// one IUD of the cart and the expected lines to match a receipt against.
    fn check_by_iud<'a>(&'a self, iud: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, IudCheck>;
    /// `paaSILImportaDovuto`, action `I` with `flagGeneraIuv=true`. **Not idempotent**: record
    /// the intent first (docs/channels.md, "Notices").
    fn issue_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, IssueOutcome>;
    /// `paaSILImportaDovuto`, action `A`, for the notice as issued.
    fn cancel_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, CancelNoticeOutcome>;
    /// `GET urlFileAvviso`.
    fn notice_pdf<'a>(&'a self, url: &'a str) -> GatewayFuture<'a, NoticePdfOutcome>;
    /// `paaSILRegistraPagamento`.
    fn record_offline_payment<'a>(&'a self, payment: &'a OfflinePayment) -> GatewayFuture<'a, RecordOfflineOutcome>;
}
