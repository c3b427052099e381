//! The Segreteria ECM console.
pub mod api;
pub mod view;
