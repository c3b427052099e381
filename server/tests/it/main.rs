//! The server's integration tests, one test binary (`it`) instead of one per file: the portal
//! and `app` are linked once. Each module is what used to be its own `tests/<name>.rs`;
//! `support` (a real portal on port 0 over a fresh SQLite or PostgreSQL database, the MyPay
//! simulator, child processes) and `mypay_support` (canonical XML, fixtures, the WSDL's
//! schemas, a simulator for the bare client) are shared by all of them.
//!
//! Every test runs in this one process: a test must not change process-wide state (environment
//! variables, the current directory, a global `tracing` subscriber, fixed ports).
//!
//! ```text
//! cargo test -p server --test it                      # all of them
//! cargo test -p server --test it payments::           # one module
//! cargo test -p server --test it payments::operators  # the tests whose names contain this
//! ```

#[macro_use]
mod support;
mod mypay_support;

mod access_matrix;
mod console;
mod crash;
mod csrf;
mod documents;
mod events;
mod http;
mod ledger;
mod mail;
mod mypay_avvisi;
mod mypay_avvisi_golden;
mod mypay_cli;
mod mypay_client;
mod mypay_golden;
mod mypay_logging;
mod mypay_security;
mod mypay_xsd;
mod mypay_zeep;
mod notices;
mod payments;
mod payments_console;
mod payments_faults;
mod quietanze;
mod reconciler;
mod shutdown;
mod ssr_soundness;
mod storage;
mod tariffs;
mod wizard;
