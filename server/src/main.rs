//! `ecm-server`: the portal (no arguments), or an operators' command (see `server::cli`).
#![recursion_limit = "1024"]

use server::cli::{self, Command};
use server::settings::Settings;
use server::web::leptos_options;
use server::Application;
use tracing_subscriber::EnvFilter;

/// mimalloc instead of the system allocator: server rendering allocates and frees many small
/// objects per page (about a fifth of a page's CPU time went to glibc's malloc and free), and
/// mimalloc hands large freed blocks (a password hash takes ~19 MiB) back to the system, where
/// glibc kept them resident after a burst of registrations.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new(server::settings::text_default("RUST_LOG").unwrap_or("info"))),
        )
        .init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse_args(&args) {
        Ok(command) => command,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("configuration error: {error}");
            std::process::exit(2);
        }
    };
    if let Command::MyPayChiediPagati { id_session } = command {
        let (text, code) = cli::mypay_chiedi_pagati(&settings, &id_session).await;
        print!("{text}");
        std::process::exit(code);
    }
    // cargo-leptos passes the site layout through LEPTOS_* variables; outside it, defaults.
    let mut options = match leptos::config::get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(_) => leptos_options("target/site", settings.site_addr),
    };
    // A sealed build keeps its bundle in pkg/<content hash>/ (scripts/seal-site.sh).
    options.site_pkg_dir = server::web::bundle_dir(&options.site_root, &options.site_pkg_dir).into();
    let app = match Application::build(settings.clone(), options).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "cannot start");
            std::process::exit(1);
        }
    };
    tracing::info!(url = %settings.public_url, addr = %app.local_addr(), "Portale ECM listening");
    let code = match app.run_until_stopped().await {
        Ok(()) => 0,
        Err(error) => {
            tracing::error!(%error, "server stopped with an error");
            1
        }
    };
    // Exit here rather than by dropping the runtime: that would wait for every blocking task
    // (a password hash, a stuck worker) without bound, and a stop must be bounded.
    std::process::exit(code);
}
