//! `paaSILChiediPagati` / `paaSILChiediPagatiConRicevuta`: the Ente check and the answers by
//! idSession (docs/mypay.md §6.2, §7, §8).

use super::*;

impl Engine {
    /// `EnteService.verificaEnte`: every failure is `PAA_ENTE_NON_VALIDO` with the text of the
    /// last failing check (§6.2). `check_state` is false for ChiediPagatiConRicevuta (§7.1).
    pub(super) fn verifica_ente(
        &self,
        cod_ipa: &Option<String>,
        password: &Option<String>,
        check_state: bool,
    ) -> Option<FaultBean> {
        let ente = &self.config.ente;
        let cod = cod_ipa.clone().unwrap_or_else(|| "null".into());
        let known = cod_ipa.as_deref() == Some(ente.cod_ipa.as_str());
        let mut text = None;
        if !known {
            text = Some(if check_state {
                format!("Codice IPA Ente [{cod}] non valido o password errata")
            } else {
                format!("codice IPA Ente [{cod}] non valido o password errata")
            });
        } else if check_state && !ente.active {
            text = Some(format!("Stato Ente non valido: {cod}"));
        }
        if !known || password.as_deref().map(str::trim) != Some(ente.password.trim()) {
            text = Some(format!("Password non valida per ente [{cod}]"));
        }
        text.map(|t| fault("PAA_ENTE_NON_VALIDO", t, cod_ipa.as_deref()))
    }

    pub(super) fn chiedi_pagati(
        &self,
        cod_ipa: Option<String>,
        password: Option<String>,
        id_session: Option<String>,
    ) -> SoapAnswer {
        const R: &str = "paaSILChiediPagatiRisposta";
        if let Some(f) = self.verifica_ente(&cod_ipa, &password, true) {
            return SoapAnswer::business_fault(R, f, false);
        }
        let id_session = id_session.unwrap_or_default();
        let state = self.lock();
        self.answer_by_session(&state, &id_session, cod_ipa.as_deref(), R, PagatiKind::Pagati)
    }

    pub(super) fn answer_by_session(
        &self,
        state: &State,
        id: &str,
        cod: Option<&str>,
        r: &'static str,
        kind: PagatiKind,
    ) -> SoapAnswer {
        let ko = |code: &'static str, text: String| SoapAnswer::business_fault(r, fault(code, text, cod), false);
        let now = Self::now(state);
        let Some(s) = state.sessions.get(id) else {
            // Unknown: MyPay still reads a time from the id (lenient, §6.2 notes).
            return match Self::time_from_session_id(id) {
                Some(t) if now - t > self.ttl_plus_grace() => {
                    ko("PAA_PAGAMENTO_SCADUTO", format!("Pagamento scaduto per l'idSession specificato [{id}]"))
                }
                _ => ko("PAA_ID_SESSION_NON_VALIDO", format!("idSession [{id}] non valido per l Ente specificato")),
            };
        };
        match self.cart_row(s, now) {
            None if now - s.created < self.ttl() => {
                ko("PAA_PAGAMENTO_NON_INIZIATO", format!("Pagamento non iniziato per l'idSession specificato [{id}]"))
            }
            None if now - s.created > self.ttl_plus_grace() => {
                ko("PAA_PAGAMENTO_SCADUTO", format!("Pagamento scaduto per l'idSession specificato [{id}]"))
            }
            None => ko("PAA_ID_SESSION_NON_VALIDO", format!("idSession [{id}] non valido per l Ente specificato")),
            Some(Phase::CheckedOut) => {
                ko("PAA_PAGAMENTO_IN_CORSO", format!("Pagamento in corso per idSession specificato [{id}]"))
            }
            Some(Phase::Aborted) => {
                ko("PAA_PAGAMENTO_ANNULLATO", format!("Pagamento annullato per idSession specificato [{id}]"))
            }
            Some(Phase::CartExpired) => {
                ko("PAA_PAGAMENTO_SCADUTO", format!("Pagamento scaduto per idSession specificato [{id}]"))
            }
            Some(Phase::Final { outcome: EsitoPagamento::PartiallyPaid, .. }) => {
                let mut f = fault("PAA_SYSTEM_ERROR", "PAA SYSTEM ERROR", cod);
                f.description = Some(format!("Errore interno per idSession: {id}"));
                SoapAnswer::business_fault(r, f, false)
            }
            Some(Phase::Final { facts, .. }) => Self::pagati_answer(r, &facts, kind),
            Some(Phase::Cached | Phase::CheckoutFailed) => unreachable!("cart_row never returns these"),
        }
    }

    /// The cart row MyPay would find (§1, §8): legacy has one from checkout on; Checkout mode only
    /// once a (visible) positive receipt exists.
    pub(super) fn cart_row(&self, s: &Session, now: OffsetDateTime) -> Option<Phase> {
        match (&s.phase, self.legacy()) {
            (Phase::Cached | Phase::CheckoutFailed, _) => None,
            (Phase::CheckedOut, false) => None,
            (Phase::Final { visible_at, .. }, false) if *visible_at > now => None,
            (phase, _) => Some(phase.clone()),
        }
    }

    pub(super) fn pagati_answer(r: &'static str, facts: &ReceiptFacts, kind: PagatiKind) -> SoapAnswer {
        let pagati = facts.pagati(kind).to_xml();
        let mut children = vec![("pagati", encode_pagati_field(pagati.as_bytes()))];
        if kind == PagatiKind::PagatiConRicevuta {
            if facts.legacy {
                children.push(("tipoFirma", String::new()));
            }
            children.push(("rt", encode_rt_field(&facts.receipt_document())));
        }
        SoapAnswer::Risposta { element: r, children, fault: None }
    }

    pub(super) fn chiedi_pagati_con_ricevuta(
        &self,
        cod_ipa: Option<String>,
        password: Option<String>,
        id_session: Option<String>,
        iuv: Option<String>,
        iud: Option<String>,
    ) -> SoapAnswer {
        const R: &str = "paaSILChiediPagatiConRicevutaRisposta";
        if let Some(f) = self.verifica_ente(&cod_ipa, &password, false) {
            return SoapAnswer::business_fault(R, f, false);
        }
        let cod = cod_ipa.as_deref();
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        let count = [&id_session, &iuv, &iud].into_iter().filter(|v| given(v)).count();
        if count != 1 {
            let mut f = fault("PAA_SYSTEM_ERROR", "PAA SYSTEM ERROR", cod);
            f.description = Some(if count == 0 {
                "Nessun campo di input tra idSession, identificativoUnivocoVersamento e identificativoUnivocoDovuto valorizzato".into()
            } else {
                "Errore, è stato specificato più di un paramero tra idSession, identificativoUnivocoVersamento e identificativoUnivocoDovuto".into()
            });
            return SoapAnswer::business_fault(R, f, false);
        }
        let mut state = self.lock();
        self.settle(&mut state);
        if let Some(id) = id_session.filter(|s| !s.trim().is_empty()) {
            return self.answer_by_session(&state, &id, cod, R, PagatiKind::PagatiConRicevuta);
        }
        let iud = iud.filter(|s| !s.trim().is_empty());
        // Imported debts first (paaSILImportaDovuto, docs/mypay-avvisi.md §2.3).
        if let Some(answer) = self.lookup_position(&state, iud.as_deref(), iuv.as_deref(), cod) {
            return answer;
        }
        let ko = |code: &'static str, text: String| SoapAnswer::business_fault(R, fault(code, text, cod), false);
        let cod_text = cod.unwrap_or("null");
        let now = Self::now(&state);
        // By IUD or IUV: only checked-out carts have debts MyPay knows (§7.1).
        let (found, not_found) = match (&iud, &iuv) {
            (Some(iud), _) if !iud.trim().is_empty() => (
                state
                    .sessions
                    .values()
                    .find(|s| s.phase != Phase::Cached && s.cart.debts.iter().any(|d| &d.iud == iud)),
                ko("PAA_IUD_NON_VALIDO", format!("IUD non valido per ente [ {cod_text} ].")),
            ),
            (_, Some(iuv)) => (
                state.sessions.values().find(|s| s.iuv.as_deref() == Some(iuv.as_str())),
                ko("PAA_IUV_NON_VALIDO", format!("IUV non valido per ente [ {cod_text} ]")),
            ),
            _ => (None, ko("PAA_IUD_NON_VALIDO", format!("IUD non valido per ente [ {cod_text} ]."))),
        };
        let Some(s) = found else { return not_found };
        // The texts of the IUD/IUV branches (docs/mypay-avvisi.md §2.3); the ANNULLATO one is
        // not given there and follows the same pattern.
        let key = match (&iud, &iuv) {
            (Some(iud), _) => format!("IUD [ {iud} ]"),
            (None, Some(iuv)) => format!("IUV [{iuv}]"),
            (None, None) => String::new(),
        };
        match (&s.phase, self.cart_row(s, now)) {
            (Phase::CheckoutFailed, _) => not_found,
            (_, Some(Phase::Final { outcome: EsitoPagamento::PartiallyPaid, .. })) => not_found,
            (_, Some(Phase::Final { facts, .. })) => Self::pagati_answer(R, &facts, PagatiKind::PagatiConRicevuta),
            (_, Some(Phase::CheckedOut)) => {
                ko("PAA_PAGAMENTO_IN_CORSO", format!("Pagamento in corso per ente [ {cod_text} ], {key}"))
            }
            (_, Some(Phase::Aborted)) => {
                ko("PAA_PAGAMENTO_ANNULLATO", format!("Pagamento annullato per ente [ {cod_text} ], {key}"))
            }
            (_, Some(Phase::CartExpired)) => {
                ko("PAA_PAGAMENTO_SCADUTO", format!("Pagamento scaduto per ente [ {cod_text} ], {key}"))
            }
            _ if now - s.created > self.ttl_plus_grace() => {
                ko("PAA_PAGAMENTO_SCADUTO", format!("Pagamento scaduto per ente [ {cod_text} ], {key}"))
            }
            _ => ko("PAA_PAGAMENTO_NON_INIZIATO", format!("Pagamento non iniziato per ente [ {cod_text} ], {key}")),
        }
    }
}
