//! The admin API's views of sessions and actions on them (test knobs, not MyPay features).

use super::*;

/// Admin actions on a session (`POST /admin/sessions/{id}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Check out (consume the IUDs) without an outcome.
    Checkout,
    /// Receipt with code 0 (Checkout mode: after the configured receipt delay, or `delay`).
    Pay,
    /// Legacy: receipt code 1.
    NotPaid,
    /// Legacy: receipt code 3.
    TimedOut,
    /// Legacy: receipt code 2 (`PARZ_PAGATO`, answered as `PAA_SYSTEM_ERROR`).
    Partial,
    /// Legacy: receipt code 4.
    PartialTimedOut,
    /// Checkout mode: pagoPA `ko`/`cn` (debts deleted).
    Fail,
    /// Legacy: cart `ABORT`.
    Abort,
    /// Make the session expired: legacy checked-out cart → `SCADUTO`; otherwise its cache entry
    /// is aged past TTL + grace.
    Expire,
}

impl AdminAction {
    pub fn parse(s: &str) -> Option<AdminAction> {
        Some(match s {
            "checkout" => AdminAction::Checkout,
            "pay" => AdminAction::Pay,
            "not-paid" => AdminAction::NotPaid,
            "timed-out" => AdminAction::TimedOut,
            "partial" => AdminAction::Partial,
            "partial-timed-out" => AdminAction::PartialTimedOut,
            "fail" => AdminAction::Fail,
            "abort" => AdminAction::Abort,
            "expire" => AdminAction::Expire,
            _ => return None,
        })
    }
}

/// Session summary for `GET /admin/sessions/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id_session: String,
    pub landing_url: String,
    pub phase: String,
    pub iuv: Option<String>,
    pub iuds: Vec<String>,
    /// `paaSILChiediPagati` calls received for this idSession.
    pub chiedi_pagati_calls: u64,
    /// The most `paaSILChiediPagati` calls for this idSession in flight at the same time.
    pub max_parallel_checks: u64,
}

impl Engine {
    pub fn session_view(&self, id: &str) -> Option<SessionView> {
        let state = self.lock();
        let s = state.sessions.get(id)?;
        Some(self.view_of(&state, s))
    }

    /// Every session (cart) received so far, oldest first.
    pub fn session_views(&self) -> Vec<SessionView> {
        let state = self.lock();
        let mut sessions: Vec<&Session> = state.sessions.values().collect();
        sessions.sort_by_key(|s| s.created);
        sessions.into_iter().map(|s| self.view_of(&state, s)).collect()
    }

    pub(super) fn view_of(&self, state: &State, s: &Session) -> SessionView {
        let stats = state.checks.get(&s.id_session).copied().unwrap_or_default();
        let phase = match &s.phase {
            Phase::Cached => "cached".to_string(),
            Phase::CheckedOut => "checked_out".into(),
            Phase::CheckoutFailed => "checkout_failed".into(),
            Phase::Final { outcome, .. } => format!("final_{}", outcome.code()),
            Phase::Aborted => "aborted".into(),
            Phase::CartExpired => "cart_expired".into(),
        };
        SessionView {
            id_session: s.id_session.clone(),
            landing_url: self.landing_url(&s.landing_token),
            phase,
            iuv: s.iuv.clone(),
            iuds: s.cart.debts.iter().map(|d| d.iud.clone()).collect(),
            chiedi_pagati_calls: stats.calls,
            max_parallel_checks: stats.max_in_flight,
        }
    }

    /// Applies an admin action. `Err((status, message))` for unknown sessions or actions that the
    /// current mode cannot produce.
    pub fn admin_action(&self, id: &str, action: AdminAction, delay: Option<Duration>) -> Result<(), (u16, String)> {
        let mut state = self.lock();
        if !state.sessions.contains_key(id) {
            return Err((404, format!("unknown idSession {id}")));
        }
        let legacy = self.legacy();
        let legacy_only = |what: &str| Err((409, format!("{what} is only possible in legacy mode")));
        match action {
            AdminAction::Expire => {
                let aged = self.ttl_plus_grace() + time::Duration::seconds(1);
                let s = state.sessions.get_mut(id).expect("checked");
                if legacy && s.phase == Phase::CheckedOut {
                    s.phase = Phase::CartExpired;
                } else {
                    s.created -= aged;
                }
                return Ok(());
            }
            AdminAction::Checkout => {}
            AdminAction::Fail if legacy => return Err((409, "fail is only possible in checkout mode".into())),
            AdminAction::NotPaid
            | AdminAction::TimedOut
            | AdminAction::Partial
            | AdminAction::PartialTimedOut
            | AdminAction::Abort
                if !legacy =>
            {
                return legacy_only("this outcome");
            }
            _ => {}
        }
        self.checkout(&mut state, id).map_err(|m| (409, m))?;
        let outcome = match action {
            AdminAction::Checkout => return Ok(()),
            AdminAction::Pay => EsitoPagamento::Paid,
            AdminAction::NotPaid => EsitoPagamento::NotPaid,
            AdminAction::TimedOut => EsitoPagamento::TimedOut,
            AdminAction::Partial => EsitoPagamento::PartiallyPaid,
            AdminAction::PartialTimedOut => EsitoPagamento::PartiallyTimedOut,
            AdminAction::Fail => {
                state.sessions.get_mut(id).expect("checked").phase = Phase::CheckoutFailed;
                return Ok(());
            }
            AdminAction::Abort => {
                state.sessions.get_mut(id).expect("checked").phase = Phase::Aborted;
                return Ok(());
            }
            AdminAction::Expire => unreachable!("handled above"),
        };
        let delay = if legacy { Duration::ZERO } else { delay.unwrap_or(self.config.receipt_delay) };
        self.finalize(&mut state, id, outcome, delay);
        Ok(())
    }
}
