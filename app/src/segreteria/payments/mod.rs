//! The payments console: payment attempts by queue, one attempt with its history and
//! "Verifica ora", and the CSV export (`http`).
pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
