//! The debts console: every debt (dovuto) by state, the overdue ones and those with a quietanza
//! to verify; one debt with its history, extension of its due date and annulment.
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
