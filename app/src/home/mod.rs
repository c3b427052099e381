//! Landing page and the provider's home.
pub mod view;
