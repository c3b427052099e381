//! How an imported debt is paid and looked up: the notice PDF behind `urlFileAvviso` (§1.6),
//! `paaSILVerificaAvviso` (§3), `paaSILRegistraPagamento` (§5) and the answers of
//! `paaSILChiediPagatiConRicevuta` by IUD / IUV (§2.3).

use super::*;

impl Engine {
    // ---- urlFileAvviso ------------------------------------------------------------------------------

    /// `GET /public/landing/avviso?id=…&securityToken=…` (§1.6 item 1).
    pub fn notice_download(&self, id: &str, token: &str) -> NoticeAnswer {
        let mut state = self.lock();
        self.settle(&mut state);
        let now = Self::now(&state);
        let Some(row) = state.avvisi.rows.iter().find(|r| r.token == token && r.id.to_string() == id) else {
            return NoticeAnswer::BadToken;
        };
        if now > row.token_issued + time::Duration::days(TOKEN_LIFETIME_DAYS) {
            return NoticeAnswer::BadToken;
        }
        if !row.is_open() {
            return NoticeAnswer::Gone;
        }
        let iuv = row.iuv.clone().unwrap_or_default();
        let d = &row.data;
        NoticeAnswer::Pdf {
            file_name: format!("MYPAY_AVVISO_{}_{iuv}.pdf", self.config.ente.fiscal_code.to_uppercase()),
            bytes: self.pdf_for(&d.payer, d.amount, &d.causale, &d.tipo_dovuto, d.due_date, &iuv),
        }
    }

    // ---- paaSILVerificaAvviso -------------------------------------------------------------------------

    pub(in crate::engine) fn verifica_avviso(
        &self,
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        iuv: Option<String>,
        return_url: Option<String>,
    ) -> SoapAnswer {
        let Some(cod_ipa) = header_cod_ipa else { return SoapAnswer::Fault(String::new()) };
        let ko = |f: FaultBean| SoapAnswer::business_fault(R_VERIFICA, f, true);
        if let Some(f) = self.verifica_ente(&cod_ipa, &password, true) {
            return ko(f);
        }
        let cod = cod_ipa.clone().unwrap_or_else(|| "null".into());
        let id = cod_ipa.as_deref();
        let iuv = iuv.unwrap_or_default();
        let mut state = self.lock();
        self.settle(&mut state);
        let today = Self::now(&state).date();
        let open: Vec<&Row> =
            state.avvisi.rows.iter().filter(|r| r.is_open() && r.iuv.as_deref() == Some(iuv.as_str())).collect();
        // Step 2: a debt with an unknown or inactive tipo dovuto is removed from the list being
        // iterated: ConcurrentModificationException → SOAP Fault (§3.2, trap A9).
        if open.iter().any(|r| !self.tipo(&r.data.tipo_dovuto).is_some_and(|t| t.active)) {
            return SoapAnswer::Fault(String::new());
        }
        if open.iter().any(|r| r.online().is_some()) {
            return ko(fault("PAA_IUV_NON_VALIDO", format!("non ci sono dovuti pagabili per il dato IUV [{iuv}]"), id));
        }
        if open.iter().any(|r| self.expired(r, today)) {
            return ko(fault("PAA_IUV_SCADUTO", format!("alcuni dovuti sono scaduti per il dato IUV [{iuv}]"), id));
        }
        let Some(row) = open.first() else {
            return ko(fault(
                "PAA_IUV_NON_VALIDO",
                format!("Error nessun dovuto trovato per IUV [{iuv}] ed ente [{cod}]"),
                id,
            ));
        };
        let cart = SimCart {
            payer: row.data.payer.clone(),
            tipo_versamento: "ALL".into(),
            iuv: None,
            debts: vec![row.sim_debt()],
        };
        let row_id = row.id;
        let (id_session, landing_token) = self.new_session(&mut state, cart, return_url, Some(row_id));
        SoapAnswer::Risposta {
            element: R_VERIFICA,
            children: vec![
                ("esito", "OK".into()),
                ("idSession", id_session),
                ("redirect", "1".into()),
                ("url", self.landing_url(&landing_token)),
            ],
            fault: None,
        }
    }

    /// Checkout of a VerificaAvviso session: the debt must still be payable; legacy mode marks it
    /// `PAGAMENTO_INIZIATO`, Checkout mode leaves it payable (§6). Returns the debt's IUV.
    pub(in crate::engine) fn checkout_avviso(
        &self,
        state: &mut State,
        session_id: &str,
        row_id: u64,
    ) -> Result<String, String> {
        self.settle(state);
        let today = Self::now(state).date();
        let legacy = self.legacy();
        let Some(index) = state.avvisi.rows.iter().position(|r| r.id == row_id && r.is_open()) else {
            return Err("Il dovuto non risulta più pagabile.".into());
        };
        if state.avvisi.rows[index].online().is_some() {
            return Err(
                "Esiste già una sessione di pagamento in corso per questo dovuto. Si prega di riprovare in seguito."
                    .into(),
            );
        }
        if self.expired(&state.avvisi.rows[index], today) {
            return Err("Il dovuto risulta scaduto.".into());
        }
        let row = &mut state.avvisi.rows[index];
        if legacy {
            row.state = RowState::Open { online: Some(session_id.to_string()) };
        }
        Ok(row.iuv.clone().unwrap_or_default())
    }

    /// Applies the outcome of finished VerificaAvviso sessions to their debts: a visible positive
    /// receipt pays the debt (if still open: otherwise the receipt is linked to nothing, §6); any
    /// other final state puts a legacy `PAGAMENTO_INIZIATO` debt back to payable.
    pub(in crate::engine) fn settle(&self, state: &mut State) {
        let now = Self::now(state);
        let mut updates = Vec::new();
        for s in state.sessions.values_mut() {
            let Some(link) = s.avviso.as_mut() else { continue };
            if link.settled {
                continue;
            }
            let result = match &s.phase {
                Phase::Final { outcome: EsitoPagamento::Paid, visible_at, facts } if *visible_at <= now => {
                    Some(Some(facts.clone()))
                }
                Phase::Final { visible_at, .. } if *visible_at <= now => Some(None),
                Phase::CartExpired | Phase::Aborted | Phase::CheckoutFailed => Some(None),
                _ => None,
            };
            if let Some(result) = result {
                link.settled = true;
                updates.push((link.row_id, s.id_session.clone(), result));
            }
        }
        for (row_id, id_session, result) in updates {
            let Some(row) = state.avvisi.rows.iter_mut().find(|r| r.id == row_id && r.is_open()) else { continue };
            match result {
                Some(facts) => row.state = RowState::Paid(Completion::PagoPa(facts)),
                None if row.online() == Some(id_session.as_str()) => row.state = RowState::Open { online: None },
                None => {}
            }
        }
    }

    // ---- paaSILRegistraPagamento ----------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub(in crate::engine) fn registra_pagamento(
        &self,
        cod_ipa: Option<String>,
        password: Option<String>,
        iuv: Option<String>,
        amount: Option<String>,
        date: Option<String>,
        index: Option<String>,
        iur: Option<String>,
        attestor_kind: Option<String>,
        attestor_code: Option<String>,
        attestor_name: Option<String>,
    ) -> SoapAnswer {
        let ente = &self.config.ente;
        let cod = cod_ipa.clone().unwrap_or_else(|| "null".into());
        let id = cod_ipa.as_deref();
        let ko = |f: FaultBean| SoapAnswer::business_fault(R_REGISTRA, f, true);
        // (GPD off: nothing happens before authentication, §5.2 step 0.)
        if cod_ipa.as_deref() != Some(ente.cod_ipa.as_str()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("codice IPA Ente [{cod}] non valido"), id));
        }
        if !ente.active {
            let mut f = fault("PAA_STATO_ENTE_NON_VALIDO", "Stato Ente Non Valido", id);
            f.serial = Some(0);
            return ko(f);
        }
        if password.as_deref().map(str::trim) != Some(ente.password.trim()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("Password non valida per ente [{cod}]"), id));
        }
        // Unexpected errors are SOAP Faults (missing tipoIstitutoAttestante, unreadable values).
        let Some(attestor_kind) = attestor_kind.map(|k| k.trim().to_string()) else {
            return SoapAnswer::Fault(String::new());
        };
        let Some(amount) = amount.and_then(|a| AmountCents::parse(a.trim()).ok()) else {
            return SoapAnswer::Fault("singoloImportoPagato non leggibile".into());
        };
        let Some(date) = date.and_then(|d| parse_xsd_date(d.trim())) else {
            return SoapAnswer::Fault("dataEsitoSingoloPagamento non leggibile".into());
        };
        let iuv = iuv.unwrap_or_default();
        let mut state = self.lock();
        self.settle(&mut state);
        let now = Self::now(&state);
        let facts = |iud: &str, payer: Payer, causale: &str, dsr: &str| Rend9Facts {
            at: now,
            ente_fiscal_code: ente.fiscal_code.clone(),
            ente_name: ente.name.clone(),
            iuv: iuv.clone(),
            iud: iud.to_string(),
            payer,
            causale: causale.to_string(),
            dati_specifici_riscossione: dsr.to_string(),
            amount,
            date,
            iur: iur.clone().unwrap_or_default(),
            index: index.as_deref().and_then(|i| i.trim().parse().ok()),
            attestor_kind: attestor_kind.clone(),
            attestor_code: attestor_code.clone().unwrap_or_default(),
            attestor_name: attestor_name.clone().unwrap_or_default(),
            receipt_id: format!("-9-{}", random_hex(32)),
            request_id: format!("-9-{}", random_hex(32)),
        };
        let rows = &state.avvisi.rows;
        let open = rows.iter().position(|r| r.is_open() && r.iuv.as_deref() == Some(iuv.as_str()));
        let paid = rows.iter().any(|r| matches!(r.state, RowState::Paid(_)) && r.iuv.as_deref() == Some(iuv.as_str()));
        let cancelled = rows
            .iter()
            .rev()
            .find(|r| matches!(r.state, RowState::Cancelled) && r.iuv.as_deref() == Some(iuv.as_str()))
            .cloned();
        let generic = |tipo: &str| PositionData {
            payer: anonimo(),
            amount,
            due_date: Some(date),
            tipo_dovuto: tipo.into(),
            causale: "PAGATO".into(),
            dati_specifici_riscossione: "9/---".into(),
        };
        match (open, paid, cancelled) {
            // An open debt – even one in an online payment – is marked paid, without checks (§5.3).
            (Some(index), _, _) => {
                let row = &state.avvisi.rows[index];
                let f =
                    facts(&row.iud, row.data.payer.clone(), &row.data.causale, &row.data.dati_specifici_riscossione);
                state.avvisi.rows[index].state = RowState::Paid(Completion::Rend9(Box::new(f)));
            }
            // Already paid (by pagoPA or an earlier registration): nothing changes.
            (None, true, _) => {}
            // Only a cancelled debt: a new paid copy, anonymous and generic (§5.3).
            (None, false, Some(old)) => {
                let f = facts(&old.iud, anonimo(), "PAGATO", "9/---");
                self.new_row(
                    &mut state,
                    &old.iud,
                    Some(iuv.clone()),
                    generic("DEFAULT"),
                    Some(Completion::Rend9(Box::new(f))),
                );
            }
            // Nothing at all: a synthetic paid record with a random IUD.
            (None, false, None) => {
                let iud = format!("000{}", random_hex(32));
                let f = facts(&iud, anonimo(), "PAGATO", "9/---");
                self.new_row(
                    &mut state,
                    &iud,
                    Some(iuv.clone()),
                    generic("DEFAULT"),
                    Some(Completion::Rend9(Box::new(f))),
                );
            }
        }
        SoapAnswer::Risposta { element: R_REGISTRA, children: vec![("esito", "OK".into())], fault: None }
    }

    // ---- paaSILChiediPagatiConRicevuta by IUD / IUV ---------------------------------------------------

    /// The answer for an imported debt (§2.3), or `None` when no imported debt has this IUD/IUV
    /// (the caller then looks at the carts of `paaSILInviaDovuti`).
    pub(in crate::engine) fn lookup_position(
        &self,
        state: &State,
        iud: Option<&str>,
        iuv: Option<&str>,
        cod: Option<&str>,
    ) -> Option<SoapAnswer> {
        let (label, key, rows): (&str, String, Vec<&Row>) = match (iud, iuv) {
            (Some(iud), _) => {
                ("IUD", format!("[ {iud} ]"), state.avvisi.rows.iter().filter(|r| r.iud == iud).collect())
            }
            (None, Some(iuv)) => (
                "IUV",
                format!("[{iuv}]"),
                state.avvisi.rows.iter().filter(|r| r.iuv.as_deref() == Some(iuv)).collect(),
            ),
            (None, None) => return None,
        };
        if rows.is_empty() {
            return None;
        }
        let cod_text = cod.unwrap_or("null");
        let ko =
            |code: &'static str, text: String| SoapAnswer::business_fault(R_RICEVUTA, fault(code, text, cod), false);
        let today = Self::now(state).date();
        if let Some(open) = rows.iter().find(|r| r.is_open()) {
            if self.expired(open, today) {
                let mut f = fault("PAA_SYSTEM_ERROR", "PAA SYSTEM ERROR", cod);
                let bare = key.trim_start_matches('[').trim_end_matches(']').trim();
                f.description = Some(format!("Dovuto scaduto per ente [ {cod_text} ], {label} [ {bare} ]"));
                return Some(SoapAnswer::business_fault(R_RICEVUTA, f, false));
            }
            return Some(match open.online() {
                Some(_) => {
                    ko("PAA_PAGAMENTO_IN_CORSO", format!("Pagamento in corso per ente [ {cod_text} ], {label} {key}"))
                }
                None => ko(
                    "PAA_PAGAMENTO_NON_INIZIATO",
                    format!("Pagamento non iniziato per ente [ {cod_text} ], {label} {key}"),
                ),
            });
        }
        match rows.iter().find_map(|r| match &r.state {
            RowState::Paid(c) => Some(c),
            _ => None,
        }) {
            Some(Completion::PagoPa(facts)) => {
                Some(Self::pagati_answer(R_RICEVUTA, facts, PagatiKind::PagatiConRicevuta))
            }
            // No receipt exists: an empty `rt` (§5.4).
            Some(Completion::Rend9(facts)) => {
                let pagati = facts.pagati(PagatiKind::PagatiConRicevuta).to_xml();
                Some(SoapAnswer::Risposta {
                    element: R_RICEVUTA,
                    children: vec![("pagati", encode_pagati_field(pagati.as_bytes())), ("rt", String::new())],
                    fault: None,
                })
            }
            // Only cancelled rows: the missing cart is dereferenced → SOAP Fault (§2.3, trap A13).
            None => Some(SoapAnswer::Fault(String::new())),
        }
    }
}
