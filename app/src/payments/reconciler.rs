//! The payment reconciler's settings (`ECM_RECONCILER_*`, read by `server::settings`) and
//! its schedule. Compiled with `ssr` only.

use std::time::Duration;

/// How the background reconciler works: one value, built from the settings at start-up and
/// kept in [`crate::state::AppState`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcilerConfig {
    /// `ECM_RECONCILER_INTERVAL_SECONDS` (default 10): how often a pass starts.
    pub interval: Duration,
    /// `ECM_RECONCILER_BACKOFF_MIN_SECONDS` (default 10): wait after the first check of an attempt.
    pub backoff_min: Duration,
    /// `ECM_RECONCILER_BACKOFF_MAX_SECONDS` (default 300): the longest wait between two checks.
    pub backoff_max: Duration,
    /// `ECM_RECONCILER_CONCURRENCY` (default 4): attempts checked at once.
    pub concurrency: usize,
    /// `ECM_RECONCILER_RATE_PER_SECOND` (default 5): calls per second towards MyPay.
    pub rate_per_second: u32,
    /// `ECM_RECONCILER_LEASE_SECONDS` (default 120): how long a claim on an attempt lasts.
    pub lease: Duration,
    /// `ECM_RECONCILER_LATE_RECEIPT_HOURS` (default 48): how long after its creation an attempt
    /// closed without payment is still asked about (late receipts).
    pub late_receipt_window: Duration,
}

impl Default for ReconcilerConfig {
    fn default() -> Self {
        ReconcilerConfig {
            interval: Duration::from_secs(10),
            backoff_min: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            concurrency: 4,
            rate_per_second: 5,
            lease: Duration::from_secs(120),
            late_receipt_window: Duration::from_secs(48 * 3600),
        }
    }
}

impl ReconcilerConfig {
    /// The wait before the next check of an attempt already checked `checks` times: the
    /// minimum doubled once per check, never more than the maximum.
    pub fn backoff(&self, checks: i64) -> Duration {
        let doublings = u32::try_from(checks.saturating_sub(1).clamp(0, 31)).unwrap_or(31);
        self.backoff_min.saturating_mul(1u32 << doublings).min(self.backoff_max)
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

    #[test]
    fn backoff_follows_the_configured_bounds() {
        let config = ReconcilerConfig { backoff_min: Duration::from_secs(3), backoff_max: Duration::from_secs(20), ..Default::default() };
        let secs: Vec<u64> = (1..7).map(|n| config.backoff(n).as_secs()).collect();
        assert_eq!(secs, vec![3, 6, 12, 20, 20, 20]);
    }
}
