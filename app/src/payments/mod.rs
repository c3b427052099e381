//! Payments: fees (tariff table) → debts (dovuti) → carts of at most five → MyPay → verified
//! payment, with the provider's pages. The gateway is a trait ([`gateway`]) implemented in
//! `server` over the MyPay client.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backlog;
#[cfg(feature = "ssr")]
pub mod gateway;
pub mod model;
#[cfg(feature = "ssr")]
pub mod notices;
#[cfg(feature = "ssr")]
pub mod reconciler;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
