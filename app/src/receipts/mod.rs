//! Readable payment receipts: a one-page A4 PDF that a provider can keep or forward, built from
//! a [`model::ReceiptDoc`]. It is a copy for people: the legal receipt stays the pagoPA RT (or
//! the quietanza the Segreteria accepted), which the portal keeps and serves as it came
//! (docs/receipts.md).
//!
//! `model` is plain data for both targets; the renderer (`pdf`) and its font tables (`font`)
//! are server-only; `service` builds the document of a paid debt from the ledger, `http` serves
//! it at `/dovuti/{id}/ricevuta.pdf`.

#[cfg(feature = "ssr")]
mod font;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod service;
