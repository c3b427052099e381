//! MyPay (Regione del Veneto) payment gateway: the typed SOAP client the portal uses.
//!
//! Layers (CONVENTIONS §8): schema → wire types and SOAP envelopes ([`wire`], internal) →
//! transport and typed outcomes ([`client`]). Portal code only uses what is re-exported here.

#[doc(hidden)]
pub mod wire;

pub use wire::amount::AmountCents;
pub use wire::dovuti::{Cart, Debt, DovutiError, Field as CartField, Payer, PayerKind, Problem as CartProblem};
