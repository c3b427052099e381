//! Treasury payments (bonifico di tesoreria) proved by a quietanza: the provider uploads it for
//! a debt, the Segreteria accepts it (the debt is PAGATO outside pagoPA) or refuses it with a
//! reason. Written only through `store::quietanze` and `store::debts` (docs/channels.md).

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
