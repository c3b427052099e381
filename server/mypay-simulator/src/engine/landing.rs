//! Checkout, outcomes and the simulated landing/pagoPA page.

use super::*;

/// A landing-page action (the simulated pagoPA page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LandingAction {
    /// "Paga": payment succeeds.
    Paga,
    /// "Annulla": the citizen cancels on pagoPA.
    Annulla,
    /// "Simula errore pagoPA": pagoPA answers with an error.
    Errore,
    /// "Abbandona": the citizen closes the tab; no redirect.
    Abbandona,
}

/// Result of a landing action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LandingResult {
    /// 303 to this URL.
    Redirect(String),
    /// No return URL known, or the citizen abandoned: a page with this Italian message.
    Page(String),
    /// The checkout itself failed (e.g. an IUD already used): an error page.
    CheckoutError(String),
    /// HTTP 400 `Id not valid: …`.
    InvalidId(String),
}

/// A cart as shown on the landing page.
#[derive(Debug, Clone)]
pub struct LandingCart {
    pub payer_name: String,
    pub payer_id: String,
    pub lines: Vec<(String, String, String)>,
    pub total: String,
}

impl Engine {
    /// Checks the cart out: consumes its IUDs in the permanent registry and assigns the IUV.
    pub(super) fn checkout(&self, state: &mut State, id: &str) -> Result<(), String> {
        let s = state.sessions.get(id).ok_or_else(|| format!("idSession [{id}] sconosciuto"))?;
        if s.phase != Phase::Cached {
            return Ok(());
        }
        // A VerificaAvviso session pays an existing debt: its IUD is registered, its IUV is the
        // debt's own (docs/mypay-avvisi.md §6).
        if let Some(link) = s.avviso {
            let iuv = self.checkout_avviso(state, id, link.row_id)?;
            let s = state.sessions.get_mut(id).expect("checked above");
            s.iuv = Some(iuv);
            s.phase = Phase::CheckedOut;
            return Ok(());
        }
        let mut seen = HashSet::new();
        for d in &s.cart.debts {
            if state.iud_registry.contains(&d.iud) || !seen.insert(d.iud.clone()) {
                return Err(format!("Il dovuto {} risulta già inviato: impossibile procedere al pagamento.", d.iud));
            }
        }
        let iuds: Vec<String> = s.cart.debts.iter().map(|d| d.iud.clone()).collect();
        state.iud_registry.extend(iuds);
        state.sequence += 1;
        let iuv = if self.legacy() { rf_iuv(state.sequence) } else { numeric_iuv(state.sequence) };
        let s = state.sessions.get_mut(id).expect("checked above");
        s.iuv = Some(iuv);
        s.phase = Phase::CheckedOut;
        Ok(())
    }

    pub(super) fn finalize(&self, state: &mut State, id: &str, outcome: EsitoPagamento, delay: Duration) {
        let now = Self::now(state);
        let legacy = self.legacy();
        let ente = &self.config.ente;
        let Some(s) = state.sessions.get_mut(id) else { return };
        let receipt_id = random_hex(32);
        let facts = ReceiptFacts {
            legacy,
            outcome,
            iuv: s.iuv.clone().unwrap_or_default(),
            request_id: if legacy { random_hex(32) } else { receipt_id.clone() },
            receipt_id,
            at: now,
            ente_fiscal_code: ente.fiscal_code.clone(),
            ente_name: ente.name.clone(),
            payer: s.cart.payer.clone(),
            debts: s.cart.debts.clone(),
        };
        let visible_at = now + time::Duration::milliseconds(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 4));
        s.phase = Phase::Final { outcome, visible_at, facts: Box::new(facts) };
    }

    /// The cart behind a landing token, if it can still be checked out.
    pub fn landing_cart(&self, token: &str) -> Option<LandingCart> {
        let state = self.lock();
        let s = self.landing_session(&state, token)?;
        Some(LandingCart {
            payer_name: s.cart.payer.name.clone(),
            payer_id: s.cart.payer.id_code.clone(),
            lines: s.cart.debts.iter().map(|d| (d.iud.clone(), d.causale.clone(), d.amount.to_string())).collect(),
            total: s.cart.total().to_string(),
        })
    }

    pub(super) fn landing_session<'a>(&self, state: &'a State, token: &str) -> Option<&'a Session> {
        let id = state.landing.get(token)?;
        let s = state.sessions.get(id)?;
        (s.phase == Phase::Cached && Self::now(state) - s.created < self.ttl()).then_some(s)
    }

    pub fn landing_action(&self, token: &str, action: LandingAction) -> LandingResult {
        let mut state = self.lock();
        let Some(s) = self.landing_session(&state, token) else {
            return LandingResult::InvalidId(format!("Id not valid: {token}"));
        };
        let id = s.id_session.clone();
        let return_url = s.return_url.clone();
        if let Err(message) = self.checkout(&mut state, &id) {
            return LandingResult::CheckoutError(message);
        }
        let legacy = self.legacy();
        let esito = match (action, legacy) {
            (LandingAction::Paga, true) => {
                self.finalize(&mut state, &id, EsitoPagamento::Paid, Duration::ZERO);
                "OK"
            }
            (LandingAction::Paga, false) => {
                self.finalize(&mut state, &id, EsitoPagamento::Paid, self.config.receipt_delay);
                "OK"
            }
            // Legacy: pagoPA sends a negative RT for a cancelled payment.
            (LandingAction::Annulla, true) => {
                self.finalize(&mut state, &id, EsitoPagamento::NotPaid, Duration::ZERO);
                "ERROR"
            }
            // Legacy: the cart stays PAGAM_IN_CORSO until an RT arrives (admin `not-paid`, …).
            (LandingAction::Errore, true) => "ERROR",
            (LandingAction::Annulla | LandingAction::Errore, false) => {
                if let Some(s) = state.sessions.get_mut(&id) {
                    s.phase = Phase::CheckoutFailed;
                }
                "ERROR"
            }
            (LandingAction::Abbandona, _) => {
                return LandingResult::Page(
                    "Hai abbandonato il pagamento: nessun ritorno al portale dell'Ente.".into(),
                );
            }
        };
        match return_url {
            Some(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                let polling_token = format!("eyJhbGciOiJIUzI1NiJ9.{}.{}", random_hex(24), random_hex(16));
                LandingResult::Redirect(format!(
                    "{url}{separator}idSession={id}&esito={esito}&pollingToken={polling_token}"
                ))
            }
            None => LandingResult::Page(format!("Esito del pagamento: {esito}")),
        }
    }
}
