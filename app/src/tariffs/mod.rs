//! The tariff table: the fee of every case (fee kind, Gruppo, case) in versions valid from a
//! date, never rewritten. Read by `payments` and `events` to price a debt; edited by the
//! Segreteria (`/segreteria/tariffe`). Written only through `store::tariffs`.
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
