//! Documents of an accreditation request: one slot per required type (configurable in the
//! `document_types` table), PDF only (checked by content), size limit from the settings,
//! SHA-256 kept, replaced versions kept as history.

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
