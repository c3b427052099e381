//! MyPay SIL wire layer: the `Dovuti` and `Versamento` documents, the `Pagati` /
//! `PagatiConRicevuta` documents and the SOAP 1.1 envelopes of `paaSILInviaDovuti`,
//! `paaSILChiediPagati`, `paaSILChiediPagatiConRicevuta` ([`soap`]) and of the payment-notice
//! operations `paaSILImportaDovuto`, `paaSILVerificaAvviso`, `paaSILRegistraPagamento`
//! ([`avvisi`]). No transport: [`super::client`] POSTs the bodies built here and hands the
//! answers back to the `parse_*_response` functions.
//!
//! Facts come from `docs/mypay.md` (carts, receipts, transport: cited as "docs/mypay.md §n", and
//! traps T1–T21), `docs/mypay-avvisi.md` (payment notices: "docs/mypay-avvisi.md §n", traps
//! A1–A16) and the official schemas in the repository's `xsd/` folder; no MyPay code is used.
//! Where a file says so at its top, a bare "§n" is a section of the page it names.
//!
//! This module is an internal contract between the MyPay client, the simulator (the
//! `mypay-simulator` crate) and the wire-level tests (`server/tests/it/mypay_*.rs`). It is `pub`
//! only so that those can reach it, and hidden from the docs: portal code uses the domain types
//! re-exported by [`crate`].
//!
//! Codice fiscale / partita IVA checks live in the `ecm-fiscal` crate (`app::domain::fiscal` in
//! the portal), shared with the browser.

pub mod amount;
pub mod avvisi;
pub mod dovuti;
pub use ecm_fiscal as fiscal;
pub mod iuv;
pub mod pagati;
#[doc(hidden)]
pub mod samples;
pub mod soap;
pub mod versamento;
pub mod xml;
pub mod zip;

#[cfg(any(test, feature = "xsd-check"))]
#[doc(hidden)]
pub mod xsd_check;

pub use amount::AmountCents;
