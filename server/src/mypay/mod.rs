//! MyPay (Regione del Veneto) payment gateway: the typed SOAP client the portal uses.
//!
//! Layers (CONVENTIONS §8): schema → wire types and SOAP envelopes ([`wire`], internal) →
//! transport and typed outcomes ([`client`]). Portal code only uses what is re-exported here:
//! the cart it sends, the client, and the outcomes it gets back.

pub mod client;
#[doc(hidden)]
pub mod wire;

pub use client::{
    MyPayClient, MyPayConfig, MyPayError, Payment, PaymentStatus, PendingReason, ReceiptDocument, ReceiptLine,
    ReceiptLookup, ReceiptOutcome, Rejection, SubmitOutcome,
};
pub use wire::amount::AmountCents;
pub use wire::dovuti::{Cart, Debt, DovutiError, Field as CartField, Payer, PayerKind, Problem as CartProblem};
pub use wire::soap::{FaultCode, Mismatch, PaymentVerdict};
