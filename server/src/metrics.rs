//! Operators' metrics, in the Prometheus text format, on a listen address of their own
//! (`ECM_METRICS_ADDR`, e.g. `127.0.0.1:9464`; unset: no metrics). What each metric means and
//! what to do when it rises: `docs/operations.md`.
//!
//! - `ecm_http_request_duration_seconds{method, route, status}` (histogram): every HTTP answer;
//!   `route` is the route's pattern (`/segreteria/domande/{id}`), `static` for files and the
//!   404 page, so the label set stays small whatever URLs are asked for.
//! - `ecm_mypay_calls_total{operation, outcome}` and `ecm_mypay_call_duration_seconds{operation}`:
//!   every SOAP call to MyPay.
//! - `ecm_payment_attempts_open`, `ecm_payment_oldest_open_attempt_age_seconds`,
//!   `ecm_payment_anomalies`, `ecm_payment_receipts_missing` (gauges): the reconciler's backlog,
//!   read from the database at each scrape.
//! - `ecm_mail_pending`, `ecm_mail_failed` (gauges): the outbox (docs/mail.md), read the same way.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a cached page (1 ms) to a MyPay call at its timeout (30 s).
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process's recorder (metrics are process-wide: installed once, also when tests start
/// several portals in one process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: the portal's metrics are not recorded");
        }
        handle
    })
}

/// Middleware: one observation per HTTP answer.
pub async fn track_http(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "static".to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    let labels = [("method", method), ("route", route), ("status", response.status().as_u16().to_string())];
    metrics::histogram!("ecm_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// One MyPay call: its outcome and how long it took.
pub fn mypay_call(operation: &'static str, outcome: &'static str, started: Instant) {
    metrics::counter!("ecm_mypay_calls_total", "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!("ecm_mypay_call_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

/// Serves `GET /metrics` on `listener` until the portal stops.
pub async fn serve(listener: tokio::net::TcpListener, db: app::db::Db) {
    handle();
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics on http://{addr}/metrics");
    }
    let router = axum::Router::new().route("/metrics", axum::routing::get(render)).with_state(db);
    if let Err(error) = axum::serve(listener, router).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}

async fn render(State(db): State<app::db::Db>) -> Response {
    match app::payments::backlog::read(&db).await {
        Ok(backlog) => {
            metrics::gauge!("ecm_payment_attempts_open").set(backlog.open as f64);
            metrics::gauge!("ecm_payment_oldest_open_attempt_age_seconds").set(backlog.oldest_open_age_seconds as f64);
            metrics::gauge!("ecm_payment_anomalies").set(backlog.anomalies as f64);
            metrics::gauge!("ecm_payment_receipts_missing").set(backlog.receipts_missing as f64);
        }
        Err(error) => tracing::warn!(?error, "metrics: the payment backlog could not be read"),
    }
    match app::mail::worker::outbox_counts(&db).await {
        Ok((pending, failed)) => {
            metrics::gauge!("ecm_mail_pending").set(pending as f64);
            metrics::gauge!("ecm_mail_failed").set(failed as f64);
        }
        Err(error) => tracing::warn!(?error, "metrics: the mail outbox could not be read"),
    }
    (StatusCode::OK, [("content-type", "text/plain; version=0.0.4")], handle().render()).into_response()
}
