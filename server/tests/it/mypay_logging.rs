//! No MyPay password in logs, errors or Debug output.
//!
//! The test runs alone in a child process of its test binary. `tracing` caches per call site,
//! for the whole process, whether any subscriber wants its events; while this test's scoped
//! subscriber is the only one registered, a call site that another test's thread reaches first
//! is asked of that thread's default (none) and cached as "never" (tracing-core 0.1,
//! `Rebuilder::JustOne`), and its events are lost here: "timeout missing" when the MyPay
//! client tests run alongside.

use crate::mypay_support;

use std::time::Duration;

use mypay::SubmitOutcome;
use mypay_simulator::Mode;
use mypay_support::{cart, Sim, COD_IPA, PASSWORD};

const RETURN_URL: &str = "https://ecm.example.invalid/pagamenti/ritorno";

/// Collects everything `tracing` writes while the test runs.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Set in the child process only.
const ALONE: &str = "ECM_TEST_ALONE";

#[test]
fn the_password_never_appears_in_logs_errors_or_debug() {
    if std::env::var_os(ALONE).is_some() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        return runtime.block_on(password_never_appears());
    }
    // The test's name as libtest knows it: its path without the crate's name.
    let path = concat!(module_path!(), "::the_password_never_appears_in_logs_errors_or_debug");
    let name = path.split_once("::").map_or(path, |(_, name)| name);
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--test-threads", "1"])
        .env(ALONE, "1")
        .output()
        .expect("the test binary runs again");
    let output = format!("{}{}", String::from_utf8_lossy(&child.stdout), String::from_utf8_lossy(&child.stderr));
    assert!(child.status.success(), "{output}");
    assert!(output.contains("test result: ok. 1 passed"), "the child ran no test:\n{output}");
}

async fn password_never_appears() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client_with(COD_IPA, PASSWORD, Duration::from_millis(700));
    let (id, _, _) = match client.invia_dovuti(&cart(1), RETURN_URL).await.unwrap() {
        SubmitOutcome::Accepted { id_session, url } => (id_session, url, ()),
        other => panic!("{other:?}"),
    };
    let _ = client.chiedi_pagati(&id).await.unwrap();
    let wrong = sim.client_with(COD_IPA, "Other#Secret99", Duration::from_millis(700));
    let rejected = wrong.chiedi_pagati(&id).await.unwrap();
    sim.admin("/admin/faults", Some(serde_json::json!({"kind": "delay", "delay_ms": 1500, "count": 1}))).await;
    let error = client.chiedi_pagati(&id).await.unwrap_err();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The span and its fields are there (so the check below looks at real output).
    for expected in [
        "mypay.soap",
        "paaSILInviaDovuti",
        "paaSILChiediPagati",
        "pending_not_started",
        "credentials_rejected",
        "timeout",
        "duration_ms",
    ] {
        assert!(logs.contains(expected), "{expected} missing in {logs}");
    }
    for text in [
        logs,
        format!("{client:?}"),
        format!("{wrong:?}"),
        format!("{rejected:?}"),
        format!("{error:?}"),
        error.to_string(),
    ] {
        assert!(!text.contains(PASSWORD) && !text.contains("Other#Secret99"), "{text}");
    }
    sim.stop();
}
