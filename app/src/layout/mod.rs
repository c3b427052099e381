//! The page frame: Bootstrap Italia header, footer, alerts, status pages.
pub mod form;
pub mod view;
