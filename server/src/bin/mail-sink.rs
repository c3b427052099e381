//! `mail-sink`: the local SMTP sink as a program (see `server::mail_sink`), for `make run`
//! and the end-to-end tests. A development tool: never point production at it.
//! `mail-sink --help` lists the options; each is also a `MAIL_SINK_*` variable.

use server::mail_sink::{MailSink, SinkConfig};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match SinkConfig::from_args_and_env(&args, &std::env::vars().collect()) {
        Ok(config) => config,
        Err(message) if args.iter().any(|a| a == "--help" || a == "-h") => {
            println!("{message}");
            return;
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let dir = config.dir.clone();
    let sink = match MailSink::start(config) {
        Ok(sink) => sink,
        Err(error) => {
            eprintln!("cannot start: {error}");
            std::process::exit(1);
        }
    };
    let http = sink.http_addr().map_or_else(|| "-".to_string(), |a| a.to_string());
    tracing::info!(dir = ?dir, "mail sink listening smtp={} http={}", sink.smtp_addr(), http);
    sink.run_until_stopped().await;
}
