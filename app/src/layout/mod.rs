//! The page frame: Bootstrap Italia header, footer, alerts, status pages.
pub mod view;
