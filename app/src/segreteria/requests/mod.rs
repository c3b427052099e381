//! The queue of accreditation requests (the console's home page), one request with its
//! documents, fees and history, and what the Segreteria does with it.
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
