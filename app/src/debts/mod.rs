//! The ledger: what a provider owes. Debts (dovuti) with their due dates and extensions, the
//! fees a request owes, and the statement of account (estratto conto). Written only through
//! `store::debts`, the one writer of the debt machine.

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
