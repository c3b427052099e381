//! `paaSILImportaDovuto` (§1): MyPay's checks in MyPay's order, then the four actions (insert,
//! modify, cancel, print) and the notice PDF of an answer.

use super::*;

impl Engine {
    // ---- paaSILImportaDovuto ----------------------------------------------------------------------

    pub(in crate::engine) async fn importa_dovuto(
        &self,
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        dovuto: Option<String>,
        flag_genera_iuv: Option<String>,
    ) -> SoapAnswer {
        // No header (null dereference) or no document: SOAP Fault (§0, §1.1).
        let Some(cod_ipa) = header_cod_ipa else { return SoapAnswer::Fault(String::new()) };
        let Some(dovuto) = dovuto else { return SoapAnswer::Fault(String::new()) };
        let flag = flag_genera_iuv.as_deref().map(str::trim).is_some_and(|f| f == "true" || f == "1");
        let ente = &self.config.ente;
        let cod = cod_ipa.clone().unwrap_or_else(|| "null".into());
        let id = cod_ipa.as_deref();
        let ko = |f: FaultBean| import_ko(f, None);

        // 1: XSD first, before the Ente (trap A6).
        let v = match self.validated_xml(&dovuto, "paaSILImportaDovuto", &cod, id, parse_validated_versamento).await {
            Ok(v) => v,
            Err(f) => return ko(f),
        };
        // 2–4: Ente, state (answered as PAA_ENTE_NON_VALIDO here), password.
        if cod_ipa.as_deref() != Some(ente.cod_ipa.as_str()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("codice IPA Ente [{cod}] non valido"), id));
        }
        if !ente.active {
            let mut f = fault("PAA_ENTE_NON_VALIDO", "Stato Ente Non Valido", id);
            f.serial = Some(0);
            return ko(f);
        }
        if password.as_deref().map(str::trim) != Some(ente.password.trim()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("Password non valida per ente [{cod}]"), id));
        }
        // 5: azione.
        let Some(azione) = v.azione.as_deref().and_then(Azione::from_code) else {
            return ko(fault(
                "PAA_AZIONE_NON_VALIDO",
                format!("azione non valida [{}]", v.azione.as_deref().unwrap_or("null")),
                id,
            ));
        };
        let mut state = self.lock();
        let now = Self::now(&state);
        let today = now.date();
        // 6: the IUV, when present.
        let request_iuv = non_blank(&v.iuv);
        if let Some(iuv) = &request_iuv {
            if !iuv_is_valid(iuv, flag, azione == Azione::Inserimento, today, &self.config.segregation_code) {
                return ko(fault(
                    "PAA_IUV_NON_VALIDO",
                    format!("IdentificativoUnivocoVersamento non valido [{iuv}] per ente [{cod}]"),
                    id,
                ));
            }
        }
        // 9: bilancio.
        if v.bilancio_total.is_some_and(|t| t != v.amount) {
            return ko(fault(
                "PAA_IMPORTO_BILANCIO_NON_VALIDO",
                format!("Importo bilancio non congruente per dovuto con importo [{}]", v.amount),
                id,
            ));
        }
        // 11–12: tipo dovuto known and active; not the digital stamp.
        if !self.tipo(&v.tipo_dovuto).is_some_and(|t| t.active) {
            return ko(fault(
                "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
                format!("Error tipo dovuto [{}] non censito per ente [{cod}]", v.tipo_dovuto),
                id,
            ));
        }
        if v.tipo_dovuto == "MARCA_BOLLO_DIGITALE" {
            return ko(fault(
                "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
                "Error tipo dovuto [MARCA_BOLLO_DIGITALE] non abilitato per funzione di import",
                id,
            ));
        }
        // 13: payer.
        let Some(payer) = v.payer.clone() else {
            return ko(fault(
                "PAA_SOGG_PAG_NON_VALORIZZATO",
                "paaSILImportaDovuto: soggettoPagatore non valorizzato. ",
                id,
            ));
        };
        // 14: tipoVersamento (blank = ALL).
        let tv = v.tipo_versamento.clone().unwrap_or_default();
        let tv_norm = tv.trim().to_ascii_uppercase();
        if !(tv_norm.is_empty() || tv_norm == "ALL" || tv_norm.split('|').all(|t| TIPI_VERSAMENTO.contains(&t))) {
            return ko(fault(
                "PAA_TIPO_VERSAMENTO_NON_VALIDO",
                format!("paaSILImportaDovuto: Tipo versamento non valido: {tv}"),
                id,
            ));
        }
        // 15: IUD.
        let iud = v.iud.clone().unwrap_or_default();
        if iud.trim().is_empty() || iud.starts_with("000") {
            let shown = v.iud.clone().unwrap_or_else(|| "null".into());
            return ko(fault(
                "PAA_IUD_NON_VALIDO",
                format!("paaSILImportaDovuto: IdentificativoUnivocoDovuto non valido: {shown}"),
                id,
            ));
        }
        // 16–17: causale, datiSpecificiRiscossione.
        if v.causale.trim().is_empty() {
            return ko(fault(
                "PAA_CAUSALE_NON_PRESENTE",
                "paaSILImportaDovuto: causaleVersamento non specificato ",
                id,
            ));
        }
        if !is_valid_dati_specifici_riscossione(&v.dati_specifici_riscossione) {
            return ko(fault(
                "PAA_DATI_SPECIFICI_RISCOSSIONE_NON_VALIDO",
                format!("paaSILImportaDovuto: DatiSpecificiRiscossione non valido: {}", v.dati_specifici_riscossione),
                id,
            ));
        }
        // 18: payer code, upper-cased. No tipo dovuto of the simulator allows "CF anonimo".
        let code = payer.id_code.trim().to_uppercase();
        let anonimo = code == "ANONIMO";
        let code_ko = match payer.kind {
            PayerKind::Natural if anonimo || validate_codice_fiscale(&code).is_err() => {
                Some("PAA_CODICE_FISCALE_NON_VALIDO")
            }
            PayerKind::Legal if anonimo || validate_partita_iva(&code).is_err() => Some("PAA_P_IVA_NON_VALIDO"),
            _ => None,
        };
        if let Some(fault_code) = code_ko {
            let text = match (anonimo, payer.kind) {
                (true, _) => "paaSILImportaDovuto: Funzionalita CF ANONIMO non valida [ANONIMO]".to_string(),
                (false, PayerKind::Natural) => format!("paaSILImportaDovuto: Codice fiscale non valido [{code}]"),
                (false, PayerKind::Legal) => format!("paaSILImportaDovuto: P.IVA non valida [{code}]"),
            };
            return ko(fault(fault_code, text, id));
        }
        let mut payer = payer;
        payer.id_code = code;
        let data = PositionData {
            payer,
            amount: v.amount,
            due_date: v.due_date,
            tipo_dovuto: v.tipo_dovuto.clone(),
            causale: v.causale.clone(),
            dati_specifici_riscossione: v.dati_specifici_riscossione.clone(),
        };
        self.settle(&mut state);
        // 19–20: the action.
        match azione {
            Azione::Inserimento => self.insert(&mut state, &iud, request_iuv, flag, data, id, today),
            Azione::Modifica => self.modify(&mut state, &iud, request_iuv, flag, data, &cod, id, today),
            Azione::Annullamento => self.cancel(&mut state, &iud, request_iuv.as_deref(), &cod, id),
            Azione::Stampa => self.print(&state, &iud, request_iuv, flag, &v, &cod, id),
        }
    }

    pub(super) fn ok_with_notice(
        &self,
        state: &State,
        row_id: u64,
        generated: Option<String>,
        flag: bool,
    ) -> SoapAnswer {
        let mut children = vec![("esito", "OK".to_string())];
        let row = state.avvisi.rows.iter().find(|r| r.id == row_id).expect("the row was just written");
        if let Some(iuv) = generated {
            children.push(("identificativoUnivocoVersamento", iuv));
        }
        if flag && row.iuv.as_ref().is_some_and(|i| i.len() == 15 || i.len() == 17) {
            children.push(("urlFileAvviso", self.notice_url(row)));
        }
        SoapAnswer::Risposta { element: R_IMPORTA, children, fault: None }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn insert(
        &self,
        state: &mut State,
        iud: &str,
        request_iuv: Option<String>,
        flag: bool,
        data: PositionData,
        id: Option<&str>,
        today: Date,
    ) -> SoapAnswer {
        let (iuv, generated) = match request_iuv {
            Some(iuv) => (Some(iuv), None),
            None if flag => match self.generate_iuv(state) {
                Ok(iuv) => (Some(iuv.clone()), Some(iuv)),
                Err(message) => {
                    let text = import_text(None, iud, &format!("Errore generazione iuv: {message}"));
                    return import_ko(fault("PAA_SYSTEM_ERROR", text, id), None);
                }
            },
            None => (None, None),
        };
        let db_ko = |code: &'static str, desc: &str| {
            import_ko(fault(code, import_text(iuv.as_deref(), iud, desc), id), generated.clone())
        };
        if let Some(desc) = self.due_date_problem(&data.tipo_dovuto, data.due_date, today) {
            return db_ko("PAA_IMPORT_DATA_SCADENZA_PAGAMENTO_OBBLIGATORIA", desc);
        }
        if state.iud_registry.contains(iud) && !Self::iud_reusable(state, iud) {
            return db_ko(
                "PAA_IMPORT_IUD_DUPLICATO",
                "IUD attivo presente nel database, non si accettano dovuti duplicati",
            );
        }
        if let Some(iuv) = &iuv {
            if state.avvisi.rows.iter().any(|r| r.iuv.as_ref() == Some(iuv) && !matches!(r.state, RowState::Cancelled))
            {
                return db_ko(
                    "PAA_IMPORT_IUV_DUPLICATO",
                    "IUV attivo presente nel database, non si accettano dovuti duplicati",
                );
            }
        }
        let row_id = self.new_row(state, iud, iuv, data, None);
        self.ok_with_notice(state, row_id, generated, flag)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn modify(
        &self,
        state: &mut State,
        iud: &str,
        request_iuv: Option<String>,
        flag: bool,
        data: PositionData,
        cod: &str,
        id: Option<&str>,
        today: Date,
    ) -> SoapAnswer {
        let wrapped = |iuv: Option<&str>, message: &str| {
            import_ko(
                fault("PAA_SYSTEM_ERROR", import_text(iuv, iud, &format!("Errore generazione iuv: {message}")), id),
                None,
            )
        };
        let Some(index) = state.avvisi.rows.iter().position(|r| r.iud == iud && r.is_open()) else {
            return wrapped(
                request_iuv.as_deref(),
                &format!("Dovuto non trovato per IUD [{iud}] e codice IPA Ente [{cod}]"),
            );
        };
        if state.avvisi.rows[index].online().is_some() {
            return wrapped(request_iuv.as_deref(), "pa.debiti.nonModificabile");
        }
        let (new_iuv, generated) = match request_iuv {
            Some(iuv) => (Some(iuv), None),
            None if flag => match self.generate_iuv(state) {
                Ok(iuv) => (Some(iuv.clone()), Some(iuv)),
                Err(message) => return wrapped(None, &message),
            },
            None => (None, None),
        };
        let old = state.avvisi.rows[index].clone();
        let db_ko = |code: &'static str, desc: &str| {
            import_ko(fault(code, import_text(new_iuv.as_deref(), iud, desc), id), generated.clone())
        };
        if let Some(desc) = self.due_date_problem(&data.tipo_dovuto, data.due_date, today) {
            return db_ko("PAA_IMPORT_DATA_SCADENZA_PAGAMENTO_OBBLIGATORIA", desc);
        }
        if data.tipo_dovuto != old.data.tipo_dovuto {
            return db_ko(
                "PAA_IMPORT_TIPO_DOVUTO_NON_MODIFICABILE",
                "Non è possibile modificare il tipo dovuto di un dovuto",
            );
        }
        if let Some(iuv) = &new_iuv {
            let taken = state
                .avvisi
                .rows
                .iter()
                .any(|r| r.id != old.id && r.iuv.as_ref() == Some(iuv) && !matches!(r.state, RowState::Cancelled));
            if taken {
                return db_ko(
                    "PAA_IMPORT_IUV_DUPLICATO",
                    "IUV duplicato nel database, non si accettano dovuti duplicati",
                );
            }
        }
        match (&old.iuv, &new_iuv) {
            (Some(stored), Some(new)) if stored != new => {
                return db_ko("PAA_IMPORT_IUV_DUPLICATO", "Non è possibile modificare il codice iuv di un dovuto");
            }
            (Some(_), None) => {
                return db_ko("PAA_IMPORT_IUV_NO_NULLABLE", "Non è possibile azzerare il codice iuv di un dovuto")
            }
            _ => {}
        }
        // The current row goes to "processed" as ANNULLATO; a new row with a new id replaces it.
        state.avvisi.rows[index].state = RowState::Cancelled;
        let row_id = self.new_row(state, iud, new_iuv.or(old.iuv), data, None);
        self.ok_with_notice(state, row_id, generated, flag)
    }

    pub(super) fn cancel(
        &self,
        state: &mut State,
        iud: &str,
        request_iuv: Option<&str>,
        cod: &str,
        id: Option<&str>,
    ) -> SoapAnswer {
        let wrapped = |message: &str| {
            import_ko(
                fault(
                    "PAA_SYSTEM_ERROR",
                    import_text(request_iuv, iud, &format!("Errore generazione iuv: {message}")),
                    id,
                ),
                None,
            )
        };
        let Some(row) = state.avvisi.rows.iter_mut().find(|r| r.iud == iud && r.is_open()) else {
            return wrapped(&format!("Dovuto non trovato per IUD [{iud}] e codice IPA Ente [{cod}]"));
        };
        if row.online().is_some() {
            return wrapped("Questo dovuto non può essere annullato.");
        }
        row.state = RowState::Cancelled;
        SoapAnswer::Risposta { element: R_IMPORTA, children: vec![("esito", "OK".into())], fault: None }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn print(
        &self,
        state: &State,
        iud: &str,
        request_iuv: Option<String>,
        flag: bool,
        v: &SimVersamento,
        cod: &str,
        id: Option<&str>,
    ) -> SoapAnswer {
        let iuv = match request_iuv {
            Some(iuv) if !flag => iuv,
            other => {
                let text = import_text(
                    other.as_deref(),
                    iud,
                    "Errore richiesta azione 'S' prevede presenza di 'IUV' e assenza 'flag_genera_iuv'",
                );
                return import_ko(fault("PAA_SYSTEM_ERROR", text, id), None);
            }
        };
        if !state.avvisi.rows.iter().any(|r| r.is_open() && r.iuv.as_deref() == Some(iuv.as_str())) {
            return import_ko(
                fault("PAA_IUV_NON_VALIDO", format!("Error nessun dovuto trovato per IUV [{iuv}] ed ente [{cod}]"), id),
                None,
            );
        }
        // Printed from the request's data, not from the stored debt (§1.3).
        let payer = v.payer.clone().unwrap_or_else(anonimo);
        let pdf = self.pdf_for(&payer, v.amount, &v.causale, &v.tipo_dovuto, v.due_date, &iuv);
        let zip = build_zip(&format!("avviso_{}_{iuv}.pdf", self.config.ente.fiscal_code), &pdf, true);
        SoapAnswer::Risposta {
            element: R_IMPORTA,
            children: vec![
                ("esito", "OK".into()),
                ("base64ZipAvviso", base64::engine::general_purpose::STANDARD.encode(zip)),
            ],
            fault: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn pdf_for(
        &self,
        payer: &Payer,
        amount: AmountCents,
        causale: &str,
        tipo: &str,
        due: Option<Date>,
        iuv: &str,
    ) -> Vec<u8> {
        let address = [
            payer.address.as_deref(),
            payer.civic_number.as_deref(),
            payer.postal_code.as_deref(),
            payer.city.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        notice_pdf(&NoticeFacts {
            ente_name: self.config.ente.name.clone(),
            ente_fiscal_code: self.config.ente.fiscal_code.clone(),
            payer_name: payer.name.chars().take(70).collect(),
            payer_code: payer.id_code.clone(),
            payer_address: (!address.is_empty()).then(|| address.chars().take(140).collect()),
            causale: causale.to_string(),
            amount,
            due_date: due.filter(|_| self.tipo(tipo).is_some_and(|t| t.stampa_data_scadenza)),
            notice_number: self.notice_number(iuv).unwrap_or_default(),
        })
    }
}
