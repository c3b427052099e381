//! The server's integration tests: one test binary (`it`), so that the portal and `app` are
//! linked once, not once per file. A module a subject (`payments`, `mail`, `crash`, …);
//! `support` starts real portals on port 0 over a fresh SQLite or PostgreSQL database, the
//! MyPay simulator and child processes, and has the helpers several modules use;
//! `mypay_support` has canonical XML, the fixtures and the WSDL's schemas for the MyPay tests.
//!
//! ```text
//! cargo test -p server --test it                          # everything
//! cargo test -p server --test it payments::               # one module
//! cargo test -p server --test it -- --exact mail::NAME    # one test
//! bash scripts/crash-test.sh 2                            # the ignored crash test
//! ```
//!
//! All tests share this process, on parallel threads: none may change what is process-wide (no
//! `std::env::set_var`, no `set_current_dir`, no global `tracing` subscriber; servers on port
//! 0; a portal in a test runs with `Application::run_until`, not `run_until_stopped`, which
//! would take the process's Ctrl-C). A test that needs the process to itself re-runs this
//! binary for itself alone (`mypay_logging`). The metrics recorder is the process's: counters
//! there add up over every portal of the run.

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
