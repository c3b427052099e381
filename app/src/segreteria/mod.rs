//! The Segreteria ECM console: queues, request detail and actions.
pub mod api;
pub mod model;
pub mod payments_api;
pub mod payments_model;
#[cfg(feature = "ssr")]
pub mod payments_server;
pub mod payments_view;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;
