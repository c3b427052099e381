//! No MyPay password in logs, errors or Debug output. Alone in its own test binary: `tracing`
//! caches per-callsite interest globally, so tests running in parallel threads without a
//! subscriber could otherwise hide events from this test's scoped subscriber.

mod mypay_support;

use std::time::Duration;

use mypay_support::{cart, Sim, COD_IPA, PASSWORD};
use server::mypay::SubmitOutcome;
use server::simulator::Mode;

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

#[tokio::test(flavor = "current_thread")]
async fn the_password_never_appears_in_logs_errors_or_debug() {
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
    for expected in ["mypay.soap", "paaSILInviaDovuti", "paaSILChiediPagati", "pending_not_started", "credentials_rejected", "timeout", "duration_ms"] {
        assert!(logs.contains(expected), "{expected} missing in {logs}");
    }
    for text in [logs, format!("{client:?}"), format!("{wrong:?}"), format!("{rejected:?}"), format!("{error:?}"), error.to_string()] {
        assert!(!text.contains(PASSWORD) && !text.contains("Other#Secret99"), "{text}");
    }
    sim.stop();
}
