//! The Segreteria ECM console: queues, request detail and actions.
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;
