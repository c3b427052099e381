//! The background payment reconciler: its settings (`ECM_RECONCILER_*`, read by
//! `server::settings`), its schedule, the claims (leases) that let several portal instances
//! share one database, and one pass with bounded concurrency and a rate limit towards MyPay.
//! Compiled with `ssr` only.
//!
//! A pass claims due attempts one at a time per worker: on PostgreSQL with
//! `SELECT … FOR UPDATE SKIP LOCKED` in a transaction, and on both backends with a
//! compare-and-set `UPDATE` that succeeds only while the lease is free or expired, so the same
//! code is correct on SQLite (where one process is the rule). The claim is released after the
//! check together with the time of the next check. The SQL of the claims is in
//! `store::attempts` (`claim_due`, `release_claim`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::gateway::{
    CancelNoticeOutcome, CartRequest, CheckOutcome, ExpectedLine, GatewayFuture, IssueOutcome, IudCheck,
    NoticePdfOutcome, NoticeRequest, OfflinePayment, PaymentGateway, ReceiptOutcome, RecordOfflineOutcome, SendOutcome,
};
use super::model::{AttemptKind, AttemptState};
use super::service::{anomaly, attempt_by_id, check_and_apply};
use crate::db::{format_utc, new_id, Db};
use crate::error::internal;
use crate::error::AppError;
use crate::payments::model::ReconcilerConfig;
use crate::store;

/// A fresh id for this server process, the owner written into its claims.
pub fn instance_id() -> String {
    format!("pid{}-{}", std::process::id(), &new_id()[..12])
}

fn at(offset: Duration) -> String {
    format_utc(time::OffsetDateTime::now_utc() + offset)
}

/// Claims up to `limit` attempts due before `due_before` for `owner`, for `config.lease`
/// (`store::attempts::claim_due`: which attempts are due, and how they are claimed on each
/// backend). Returns the ids this owner now holds.
pub async fn claim_due(
    db: &Db,
    owner: &str,
    config: &ReconcilerConfig,
    due_before: &str,
    limit: usize,
) -> Result<Vec<String>, AppError> {
    let now = at(Duration::ZERO);
    let until = at(config.lease);
    let late_cutoff = format_utc(time::OffsetDateTime::now_utc() - config.late_receipt_window);
    let limit = limit.clamp(1, 1000);
    let claim =
        store::attempts::ClaimDue { owner, now: &now, until: &until, due_before, late_cutoff: &late_cutoff, limit };
    Ok(store::attempts::claim_due(db, &claim).await?)
}

/// Gives a claim back (only if `owner` still holds it) and records when the attempt is next due
/// (`None`: never again by schedule).
pub async fn release_claim(
    db: &Db,
    attempt_id: &str,
    owner: &str,
    next_check_at: Option<&str>,
) -> Result<bool, AppError> {
    Ok(store::attempts::release_claim(db, attempt_id, owner, next_check_at).await?)
}

/// Checks one claimed attempt and returns when it is next due. An open attempt about which
/// MyPay has answered nothing usable for `fault_anomaly_after` becomes an ANOMALIA.
pub async fn check_claimed(
    db: &Db,
    gateway: &dyn PaymentGateway,
    config: &ReconcilerConfig,
    attempt_id: &str,
) -> Result<Option<String>, AppError> {
    let Some(attempt) = attempt_by_id(db, attempt_id).await? else {
        return Ok(None);
    };
    let report = match attempt.kind {
        AttemptKind::Carrello => check_and_apply(db, gateway, &attempt, "reconciler", false).await?,
        AttemptKind::Avviso => super::notices::check(db, gateway, &attempt, "reconciler").await?,
    };
    let status = store::attempts::check_status(db, attempt_id).await?;
    let (state, checks, unanswered_since) = (status.state, status.check_count, status.unanswered_since);
    if state.is_open() && report.transport_error {
        if let Some(since) =
            unanswered_since.filter(|since| super::service::age_of(since) >= config.fault_anomaly_after)
        {
            let hours = config.fault_anomaly_after.as_secs() / 3600;
            let detail = format!(
                "MyPay non dà una risposta utilizzabile dal {since} (oltre {hours} ore): la Segreteria deve verificare"
            );
            anomaly(db, attempt_id, "reconciler", state, &detail).await?;
            return Ok(None);
        }
    }
    Ok(match state {
        s if s.is_open() => Some(at(config.backoff(checks))),
        AttemptState::Pagata => Some(at(config.backoff(checks))),
        AttemptState::NonPagata | AttemptState::Scaduta | AttemptState::Annullata => {
            Some(at(config.late_receipt_interval))
        }
        _ => None,
    })
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Attempts checked.
    pub checked: usize,
    /// Checks that failed on the portal's side (database); the attempt is retried later.
    pub failed: usize,
}

/// One pass: `config.concurrency` workers claim due attempts one at a time, check them (at
/// most `config.rate_per_second` gateway calls per second for the whole pass) and release
/// them. Attempts become due again only after the pass started, so a pass always ends.
pub async fn run_pass(
    db: &Db,
    gateway: Arc<dyn PaymentGateway>,
    config: &ReconcilerConfig,
    instance: &str,
) -> Result<PassReport, AppError> {
    let due_before = at(Duration::ZERO);
    let limited: Arc<dyn PaymentGateway> =
        Arc::new(RateLimited { inner: gateway, bucket: Arc::new(TokenBucket::new(config.rate_per_second)) });
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..config.concurrency.max(1) {
        let (db, gateway, config, instance, due_before) =
            (db.clone(), limited.clone(), config.clone(), instance.to_string(), due_before.clone());
        workers.spawn(async move {
            let mut report = PassReport::default();
            loop {
                let Some(id) = claim_due(&db, &instance, &config, &due_before, 1).await?.pop() else {
                    return Ok::<PassReport, AppError>(report);
                };
                let next = match check_claimed(&db, gateway.as_ref(), &config, &id).await {
                    Ok(next) => {
                        report.checked += 1;
                        next
                    }
                    Err(error) => {
                        tracing::warn!(attempt_id = %id, ?error, "payment check failed; retried later");
                        report.failed += 1;
                        Some(at(config.backoff_min))
                    }
                };
                release_claim(&db, &id, &instance, next.as_deref()).await?;
            }
        });
    }
    let mut total = PassReport::default();
    let mut first_error = None;
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(Ok(report)) => {
                total.checked += report.checked;
                total.failed += report.failed;
            }
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(join_error) => {
                first_error.get_or_insert(internal(join_error));
            }
        }
    }
    match first_error {
        Some(error) if total.checked == 0 => Err(error),
        _ => Ok(total),
    }
}

/// A token bucket: at most `rate` calls per second on average, bursts of at most `rate`.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    state: tokio::sync::Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(rate_per_second: u32) -> TokenBucket {
        let rate = f64::from(rate_per_second.max(1));
        TokenBucket { rate, state: tokio::sync::Mutex::new((rate, Instant::now())) }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = *state;
                let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.rate);
                if tokens >= 1.0 {
                    *state = (tokens - 1.0, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((1.0 - tokens) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The gateway seen through the pass's token bucket: every call takes a token first.
#[derive(Debug)]
struct RateLimited {
    inner: Arc<dyn PaymentGateway>,
    bucket: Arc<TokenBucket>,
}

impl PaymentGateway for RateLimited {
    fn send_cart<'a>(&'a self, cart: &'a CartRequest) -> GatewayFuture<'a, SendOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.send_cart(cart).await
        })
    }
    fn check<'a>(&'a self, id_session: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, CheckOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.check(id_session, expected).await
        })
    }
    fn receipt<'a>(&'a self, id_session: &'a str) -> GatewayFuture<'a, ReceiptOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.receipt(id_session).await
        })
    }
    fn check_by_iud<'a>(&'a self, iud: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, IudCheck> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.check_by_iud(iud, expected).await
        })
    }
    fn issue_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, IssueOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.issue_notice(notice).await
        })
    }
    fn cancel_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, CancelNoticeOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.cancel_notice(notice).await
        })
    }
    fn notice_pdf<'a>(&'a self, url: &'a str) -> GatewayFuture<'a, NoticePdfOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.notice_pdf(url).await
        })
    }
    fn record_offline_payment<'a>(&'a self, payment: &'a OfflinePayment) -> GatewayFuture<'a, RecordOfflineOutcome> {
        Box::pin(async move {
            self.bucket.acquire().await;
            self.inner.record_offline_payment(payment).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_to_max() {
        let config = ReconcilerConfig::default();
        let secs: Vec<u64> = (0..9).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![10, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(config.backoff(i64::MAX), Duration::from_secs(300));
        assert_eq!(config.backoff(-3), Duration::from_secs(10));
    }

    #[tokio::test]
    async fn the_token_bucket_allows_a_burst_then_the_rate() {
        let bucket = TokenBucket::new(20);
        let started = Instant::now();
        for _ in 0..20 {
            bucket.acquire().await;
        }
        assert!(started.elapsed() < Duration::from_millis(200), "the first {} calls are a burst", 20);
        for _ in 0..10 {
            bucket.acquire().await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(450), "10 more calls at 20/s take about 0.5 s, took {elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    }

    #[test]
    fn backoff_follows_the_configured_bounds() {
        let config = ReconcilerConfig {
            backoff_min: Duration::from_secs(3),
            backoff_max: Duration::from_secs(20),
            ..Default::default()
        };
        let secs: Vec<u64> = (1..7).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![3, 6, 12, 20, 20, 20]);
    }
}
