//! Accreditation requests (richieste di accreditamento): kind, state machine, history.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
