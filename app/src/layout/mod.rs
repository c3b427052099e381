//! The page frame: Bootstrap Italia header, footer, alerts, status pages.
pub mod form;
pub mod guard;
pub mod view;
pub mod wizard;
