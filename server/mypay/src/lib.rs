//! MyPay (Regione del Veneto) payment gateway: the typed SOAP client the portal uses. A crate of
//! its own (`server/mypay/`), independent of the portal's `app` crate; the simulator
//! (`server/mypay-simulator/`) shares its wire types.
//!
//! Layers (CONTRIBUTING.md, "The MyPay adapter, in layers"): schema → wire types and SOAP
//! envelopes ([`wire`], internal) → transport and typed outcomes ([`client`], and [`avvisi`] for
//! payment notices). Portal code only
//! uses what is re-exported here: the cart or debt position it sends, the client, and the
//! outcomes it gets back.

pub mod avvisi;
pub mod client;
pub mod config;
#[doc(hidden)]
pub mod wire;

pub use avvisi::{
    Attestor, CancelOutcome, InsertOutcome, IssuedNotice, ModifyOutcome, NotPayableReason, NoticeDownload, NoticePdf,
    NoticeUrl, OffPagoPaPayment, RecordOutcome, VerifyOutcome,
};
pub use client::{
    MyPayClient, MyPayConfig, MyPayError, Payment, PaymentStatus, PendingReason, ReceiptDocument, ReceiptLine,
    ReceiptLookup, ReceiptOutcome, Rejection, SubmitOutcome,
};
pub use config::{FeeType, MyPaySettings, Secret};
pub use wire::amount::AmountCents;
pub use wire::avvisi::{AttestorKind, MAX_NOTICE_PDF_BYTES};
pub use wire::dovuti::{Cart, Debt, DovutiError, Field as CartField, Payer, PayerKind, Problem as CartProblem};
pub use wire::iuv::{Iuv, IuvError, NoticeNumber};
pub use wire::pagati::PaymentChannel;
pub use wire::soap::{FaultCode, Mismatch};
pub use wire::versamento::{DebtPosition, PositionError, PositionField};
