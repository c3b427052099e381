//! The real `ecm-server` process under page load, on both databases: no internal error is
//! logged while 64 clients load every provider and Segreteria page at once, and SIGTERM then
//! stops the process within 10 s (a server that does not stop can only be SIGKILLed, losing
//! the requests in flight).

use crate::support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::process::{base_env, Process};
use support::{fiscal_code, Backend, Portal, TestDb};

struct Remote {
    base: String,
}

impl Portal for Remote {
    fn base_url(&self) -> &str {
        &self.base
    }
}

/// How long the load runs, and how many clients load pages at once.
const LOAD: Duration = Duration::from_secs(6);
const CLIENTS: usize = 64;
/// SIGTERM must stop the process within this.
const STOP_LIMIT: Duration = Duration::from_secs(10);

async fn sigterm_after_page_load_stops_the_server_and_nothing_failed(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else { return };
    let dir = std::env::temp_dir().join(format!("ecm-shutdown-{}", &app::db::new_id()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let mut envs = base_env();
    envs.extend(
        [
            ("DATABASE_URL", db.url.as_str()),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
            ("LEPTOS_OUTPUT_NAME", "ecm"),
            ("ECM_ADMIN_EMAIL", support::ADMIN_EMAIL),
            ("ECM_ADMIN_PASSWORD", support::ADMIN_PASSWORD),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut server = Process::new(env!("CARGO_BIN_EXE_ecm-server").into(), vec![], envs, &dir, "server.log");
    server.spawn();
    let addr = server.wait_listening("Portale ECM listening").await;
    let portal = Arc::new(Remote { base: format!("http://{addr}") });
    server.wait_ready(&reqwest::Client::new(), &portal.url("/healthz")).await;

    // Arrange: a provider with a draft request and its documents, and the Segreteria.
    let provider = support::provider_with_draft(
        &*portal,
        "carico@provider.it",
        "Provider sotto carico",
        &fiscal_code("1234567890"),
        "IMPRESA",
    )
    .await;
    support::upload_required_documents(&*portal, &provider).await;
    let segreteria = support::browser();
    let login = portal
        .call(&segreteria, "accounts/login", &[("email", support::ADMIN_EMAIL), ("password", support::ADMIN_PASSWORD)])
        .await;
    assert!(login.status().is_success());
    let pages: Vec<(reqwest::Client, &str)> = [
        "/area",
        "/area/censimento",
        "/area/domanda",
        "/area/documenti",
        "/area/pagamento",
        "/area/pagamenti",
        "/area/eventi",
    ]
    .into_iter()
    .map(|p| (provider.clone(), p))
    .chain(
        ["/segreteria", "/segreteria/pagamenti", "/segreteria/tariffe", "/segreteria/dovuti"]
            .into_iter()
            .map(|p| (segreteria.clone(), p)),
    )
    .collect();

    // Act: 64 clients load pages for a few seconds, then SIGTERM.
    let served = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(std::sync::Mutex::new(Vec::new()));
    let deadline = Instant::now() + LOAD;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (portal, pages, served, wrong) = (portal.clone(), pages.clone(), served.clone(), wrong.clone());
        clients.spawn(async move {
            let mut i = c;
            while Instant::now() < deadline {
                let (client, path) = &pages[i % pages.len()];
                i += 1;
                match client.get(portal.url(path)).send().await {
                    Ok(response) if response.status().is_success() => {
                        let body = response.text().await.unwrap_or_default();
                        if body.contains("data-testid=\"errore\"") {
                            wrong.lock().unwrap().push(format!("{path}: error box"));
                        }
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(response) => wrong.lock().unwrap().push(format!("{path}: {}", response.status())),
                    Err(error) => wrong.lock().unwrap().push(format!("{path}: {error}")),
                }
            }
        });
    }
    while clients.join_next().await.is_some() {}
    let stop = Instant::now();
    server.terminate();
    let status = server.wait_exit(STOP_LIMIT).await;

    // Assert
    let log = server.log();
    let stopped_in = stop.elapsed();
    assert!(status.is_some(), "still running {STOP_LIMIT:?} after SIGTERM; log tail:\n{}", server.log_tail());
    assert!(status.unwrap().success(), "exit status {status:?}; log tail:\n{}", server.log_tail());
    let served = served.load(Ordering::Relaxed);
    assert!(served > pages.len() * 4, "only {served} pages served in {LOAD:?}");
    let wrong = std::mem::take(&mut *wrong.lock().unwrap());
    assert!(
        wrong.is_empty(),
        "{} of {} loads went wrong, e.g. {:?}",
        wrong.len(),
        served + wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    for marker in ["internal error", "panicked"] {
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(marker)).take(5).collect();
        assert!(lines.is_empty(), "the log holds {marker:?} after {served} page loads:\n{}", lines.join("\n"));
    }
    // Lines logged at level ERROR (not any line with the word: a slow-statement warning quotes
    // the migration's SQL, whose attempt states include 'ERRORE').
    let errors: Vec<&str> = log.lines().filter(|l| level_of(l).as_deref() == Some("ERROR")).take(5).collect();
    assert!(errors.is_empty(), "the log holds ERROR lines after {served} page loads:\n{}", errors.join("\n"));
    println!("{backend:?}: {served} pages in {LOAD:?} by {CLIENTS} clients, stopped {stopped_in:?} after SIGTERM");
    let _ = std::fs::remove_dir_all(&dir);
    db.cleanup().await;
}
both_backends!(
    sigterm_after_page_load_stops_the_server_and_nothing_failed,
    sigterm_after_page_load_stops_the_server_and_nothing_failed
);

/// The level of a tracing line (`<time> <LEVEL> <target>: …`), colours removed.
fn level_of(line: &str) -> Option<String> {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An ANSI colour sequence: ESC [ … m.
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain.split_whitespace().nth(1).map(str::to_string)
}

#[test]
fn the_level_is_read_from_its_place_not_from_the_message() {
    assert_eq!(
        level_of("\u{1b}[2m2026-12-01T20:20:14Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m app::state: internal error")
            .as_deref(),
        Some("ERROR")
    );
    assert_eq!(level_of("2026-12-01T20:20:14Z  WARN sqlx::query: slow statement 'ERRORE'").as_deref(), Some("WARN"));
}
