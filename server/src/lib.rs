//! The ECM portal server: settings, start-up, HTTP wiring. `main.rs` is a thin CLI over
//! [`Application`], so tests start the real server on port 0.
#![recursion_limit = "1024"]

pub mod cli;
pub mod client_ip;
pub mod csrf;
pub mod http_limits;
pub mod mail_sink;
pub mod mail_transport;
pub mod metrics;
pub mod payments_gateway;
pub mod settings;
pub mod web;

pub use web::Application;
