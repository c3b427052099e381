//! Accounts: registration, login, logout, server-side sessions, roles.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod session_cache;
pub mod view;

pub use model::{CurrentUser, Role};
