//! `paaSILInviaDovuti`: a new cart in MyPay's cache, with MyPay's checks in MyPay's order
//! (docs/mypay.md §4.3).

use super::*;

impl Engine {
    pub(super) async fn invia_dovuti(
        &self,
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        dovuti: Option<String>,
        return_url: Option<String>,
        show_my_pay: Option<String>,
    ) -> SoapAnswer {
        const R: &str = "paaSILInviaDovutiRisposta";
        // No header: MyPay dereferences a null header (docs/mypay.md §2.4) → SOAP Fault.
        let Some(cod_ipa) = header_cod_ipa else {
            return SoapAnswer::Fault(String::new());
        };
        let ko = |f: FaultBean| SoapAnswer::business_fault(R, f, true);
        let ente = &self.config.ente;
        let cod = cod_ipa.clone().unwrap_or_else(|| "null".into());
        let id = cod_ipa.as_deref();
        // 1–3: Ente, state, password.
        if cod_ipa.as_deref() != Some(ente.cod_ipa.as_str()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("codice IPA Ente [{cod}] non valido"), id));
        }
        if !ente.active {
            return ko(fault("PAA_STATO_ENTE_NON_VALIDO", "Stato Ente Non Valido", id));
        }
        if password.as_deref().map(str::trim) != Some(ente.password.trim()) {
            return ko(fault("PAA_ENTE_NON_VALIDO", format!("Password non valida per ente [{cod}]"), id));
        }
        // 4: the Dovuti parses and is valid against the XSD.
        let Some(dovuti) = dovuti else {
            return SoapAnswer::Fault("dovuti is null".into());
        };
        let cart = match self.validated_xml(&dovuti, "paaSILInviaDovuti", &cod, id, parse_validated_dovuti).await {
            Ok(cart) => cart,
            Err(f) => return ko(f),
        };
        // 5: unreachable after the XSD (minOccurs=1), kept for the order.
        if cart.debts.is_empty() {
            return ko(fault("PAA_XML_NON_VALIDO", "dati singolo versamento mancanti", id));
        }
        // 6: no IUV.
        if cart.iuv.as_deref().is_some_and(|v| !v.trim().is_empty()) {
            return ko(fault("PAA_IUV_NON_VALIDO", "l'inserimento dello IUV è deprecato", id));
        }
        // 7: tipoVersamento.
        let tv = cart.tipo_versamento.trim().to_ascii_uppercase();
        let tv_ok = tv == "ALL" || (!tv.is_empty() && tv.split('|').all(|t| TIPI_VERSAMENTO.contains(&t)));
        if !tv_ok {
            return ko(fault(
                "PAA_TIPO_VERSAMENTO_NON_VALIDO",
                format!("Tipo versamento non valido [{}]", cart.tipo_versamento),
                id,
            ));
        }
        // 8 / 8b: payer identifier. No tipo dovuto of the simulator allows "CF anonimo".
        let code = cart.payer.id_code.trim().to_string();
        let anonimo = code.eq_ignore_ascii_case("ANONIMO");
        match cart.payer.kind {
            PayerKind::Natural if anonimo || validate_codice_fiscale(&code.to_ascii_uppercase()).is_err() => {
                let text = if anonimo {
                    "Funzionalita CF ANONIMO non valida".to_string()
                } else {
                    format!("Codice fiscale non valido [{code}]")
                };
                return ko(fault("PAA_CODICE_FISCALE_NON_VALIDO", text, id));
            }
            PayerKind::Legal if anonimo || validate_partita_iva(&code).is_err() => {
                let text = if anonimo {
                    "Funzionalita CF ANONIMO non valida".to_string()
                } else {
                    format!("P.IVA non valida [{code}]")
                };
                return ko(fault("PAA_P_IVA_NON_VALIDO", text, id));
            }
            _ => {}
        }
        // 9: each debt, in document order.
        {
            let state = self.lock();
            for d in &cart.debts {
                if d.iud.trim().is_empty() || d.iud.starts_with("000") {
                    return ko(fault(
                        "PAA_IUD_NON_VALIDO",
                        format!("IdentificativoUnivocoDovuto non valido [{}]", d.iud),
                        id,
                    ));
                }
                if state.iud_registry.contains(&d.iud) {
                    return ko(fault("PAA_IUD_DUPLICATO", format!("IUD [{}] già inviato", d.iud), id));
                }
                let Some(tipo) = self.config.tipi_dovuto.iter().find(|t| t.code == d.tipo_dovuto) else {
                    return ko(fault(
                        "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
                        format!("identificativoTipoDovuto [{}] non valido", d.tipo_dovuto),
                        id,
                    ));
                };
                if !tipo.active {
                    return ko(fault(
                        "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO",
                        format!("identificativoTipoDovuto [{}] non abilitato", d.tipo_dovuto),
                        id,
                    ));
                }
                if d.tipo_dovuto == "MARCA_BOLLO_DIGITALE" {
                    if d.amount.cents() != 1600 {
                        return ko(fault(
                            "PAA_IMPORTO_MARCA_BOLLO_DIGITALE_NON_VALIDA",
                            "importoSingoloVersamento non valido per tipo dovuto MARCA_BOLLO_DIGITALE",
                            id,
                        ));
                    }
                    match &d.marca_bollo {
                        None => {
                            return ko(fault(
                                "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
                                "dati marca da bollo mancanti o non validi",
                                id,
                            ))
                        }
                        Some(m) if m.hash_documento.chars().count() > 72 => {
                            return ko(fault(
                                "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
                                "hashDocumento non può contenere più di 72 caratteri",
                                id,
                            ))
                        }
                        Some(_) => {}
                    }
                } else if d.marca_bollo.is_some() {
                    return ko(fault(
                        "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
                        "dati marca da bollo non supportati su tipo dovuto diverso da marca da bollo",
                        id,
                    ));
                }
                if !is_valid_dati_specifici_riscossione(&d.dati_specifici_riscossione) {
                    return ko(fault(
                        "PAA_DATI_SPECIFICI_RISCOSSIONE_NON_VALIDO",
                        format!("DatiSpecificiRiscossione non valido [{}]", d.dati_specifici_riscossione),
                        id,
                    ));
                }
                if d.amount.cents() == 0 {
                    return ko(fault(
                        "PAA_IMPORTO_SINGOLO_VERSAMENTO_NON_VALIDO",
                        format!("ImportoSingoloVersamento non valido [{}]", d.amount),
                        id,
                    ));
                }
                if d.bilancio_total.is_some_and(|t| t != d.amount) {
                    return ko(fault(
                        "PAA_IMPORTO_BILANCIO_NON_VALIDO",
                        format!("Importo bilancio non congruente per dovuto con importo [{}]", d.amount),
                        id,
                    ));
                }
                if d.causale.trim().is_empty() {
                    return ko(fault("PAA_CAUSALE_NON_PRESENTE", "Causale versamento obbligatoria mancante", id));
                }
            }
        }
        // 10: only when showMyPay=NONE (unknown values count as SHORT).
        if show_my_pay.as_deref().map(str::trim) == Some("NONE") {
            if let Some(reason) = anagrafica_problem(&cart) {
                return ko(fault(
                    "PAA_ANAGRAFICA_NON_VALIDA",
                    format!("paaSILInviaDovuti: Anagrafica Pagatore non valida{reason}]"),
                    id,
                ));
            }
        }

        let mut state = self.lock();
        let (id_session, landing_token) = self.new_session(&mut state, cart, return_url, None);
        SoapAnswer::Risposta {
            element: R,
            children: vec![
                ("esito", "OK".into()),
                ("idSession", id_session),
                ("redirect", "1".into()),
                ("url", self.landing_url(&landing_token)),
            ],
            fault: None,
        }
    }

    /// A new cart in MyPay's cache (InviaDovuti, or VerificaAvviso for the debt `avviso`):
    /// `(idSession, landing token)`.
    pub(super) fn new_session(
        &self,
        state: &mut State,
        cart: SimCart,
        return_url: Option<String>,
        avviso: Option<u64>,
    ) -> (String, String) {
        let now = Self::now(state);
        let id_session = Self::new_session_id(now);
        let landing_token = Self::new_session_id(now);
        let return_url =
            return_url.filter(|u| !u.trim().is_empty()).or_else(|| self.config.ente.default_return_url.clone());
        state.landing.insert(landing_token.clone(), id_session.clone());
        state.sessions.insert(
            id_session.clone(),
            Session {
                id_session: id_session.clone(),
                landing_token: landing_token.clone(),
                created: now,
                return_url,
                cart,
                phase: Phase::Cached,
                iuv: None,
                avviso: avviso.map(|row_id| AvvisoLink { row_id, settled: false }),
            },
        );
        (id_session, landing_token)
    }

    pub(super) fn landing_url(&self, token: &str) -> String {
        format!("{}/public/landing/inviaDovuti?id={token}", self.base_url)
    }
}

/// `showMyPay=NONE` payer checks (§4.3 step 10); the reason is appended to MyPay's text verbatim.
fn anagrafica_problem(cart: &SimCart) -> Option<&'static str> {
    let p = &cart.payer;
    if !p.email.as_deref().is_some_and(is_valid_email) {
        return Some("email non valida");
    }
    if p.name.trim().is_empty() {
        return Some("denominazione non valorizzata");
    }
    let Some(country) = p.country.as_deref().filter(|c| !c.trim().is_empty()) else {
        return Some("nazione non valorizzata");
    };
    if country == "IT"
        && !p.postal_code.as_deref().is_some_and(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some("cap non valido");
    }
    let allowed = |s: &str, extra: &str| s.chars().all(|c| c.is_alphanumeric() || c == ' ' || extra.contains(c));
    if p.address.as_deref().is_some_and(|a| !allowed(a, ".,'-/")) {
        return Some("indirizzo non valido");
    }
    if p.civic_number.as_deref().is_some_and(|c| !allowed(c, "/-")) {
        return Some("civico non valido");
    }
    None
}
