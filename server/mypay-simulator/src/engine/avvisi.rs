//! Imported debts of the simulated MyPay (payment notices): `paaSILImportaDovuto` with MyPay's
//! check order and texts, the IUV generator, the registry of open and processed debts, the notice
//! PDF behind `urlFileAvviso`, `paaSILVerificaAvviso`, `paaSILRegistraPagamento`, the answers of
//! `paaSILChiediPagatiConRicevuta` by IUD/IUV for these debts, and the test knob "paid at a PSP".
//! Section numbers (§n) and traps (An) are those of docs/mypay-avvisi.md.
//!
//! Model (§2.1): a debt row is *open* (`mygov_dovuto`: payable, or in an online payment in
//! legacy mode) or *processed* (`mygov_dovuto_elaborato`: cancelled, or paid with a pagoPA
//! receipt or a "code 9" record). `M` moves the row to processed/cancelled and inserts a new row
//! with a new internal id; `A` moves it to processed/cancelled.

use base64::Engine as _;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::super::documents::{
    decode_dovuti_field, parse_validated_versamento, random_hex, xmllint_validate, ReceiptFacts, Rend9Facts, SimCart,
    SimDebt, SimVersamento,
};
use super::super::pdf::{notice_pdf, NoticeFacts};
use super::super::soap::{FaultBean, SoapAnswer};
use super::{fault, Engine, Phase, State, TIPI_VERSAMENTO};
use mypay::wire::amount::AmountCents;
use mypay::wire::dovuti::{is_valid_dati_specifici_riscossione, Payer, PayerKind};
use mypay::wire::fiscal::{validate_codice_fiscale, validate_partita_iva};
use mypay::wire::iuv::check_digits;
use mypay::wire::pagati::{parse_xsd_date, EsitoPagamento, PagatiKind};
use mypay::wire::soap::encode_pagati_field;
use mypay::wire::versamento::Azione;
use mypay::wire::zip::build_zip;

const R_IMPORTA: &str = "paaSILImportaDovutoRisposta";
const R_VERIFICA: &str = "paaSILVerificaAvvisoRisposta";
const R_REGISTRA: &str = "paaSILRegistraPagamentoRisposta";
const R_RICEVUTA: &str = "paaSILChiediPagatiConRicevutaRisposta";
/// Lifetime of the `securityToken` of `urlFileAvviso` (§1.5).
const TOKEN_LIFETIME_DAYS: i64 = 2 * 365;

/// Imported debts and the IUV generator's state.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    next_id: u64,
    /// Per-Ente progressive of the IUV generator (§1.5), consumed even when the import fails.
    progressive: u64,
    rows: Vec<Row>,
    /// Test knob: the next N IUV generations fail.
    fail_iuv_generation: u32,
}

#[derive(Debug, Clone)]
struct PositionData {
    payer: Payer,
    amount: AmountCents,
    due_date: Option<Date>,
    tipo_dovuto: String,
    causale: String,
    dati_specifici_riscossione: String,
}

#[derive(Debug, Clone)]
enum Completion {
    /// A pagoPA receipt: paid at a PSP (`ctReceipt` shape) or online through VerificaAvviso.
    PagoPa(Box<ReceiptFacts>),
    /// `paaSILRegistraPagamento`.
    Rend9(Box<Rend9Facts>),
}

#[derive(Debug, Clone)]
enum RowState {
    /// `INSERIMENTO_DOVUTO`; with `online` = the idSession of a legacy online payment in
    /// progress (`PAGAMENTO_INIZIATO`).
    Open { online: Option<String> },
    /// Processed `ANNULLATO` (cancelled, or replaced by a modification).
    Cancelled,
    /// Processed `COMPLETATO`.
    Paid(Completion),
}

#[derive(Debug, Clone)]
struct Row {
    /// MyPay's internal id (a new one after each `M`).
    id: u64,
    iud: String,
    iuv: Option<String>,
    data: PositionData,
    state: RowState,
    token: String,
    token_issued: OffsetDateTime,
}

impl Row {
    fn is_open(&self) -> bool {
        matches!(self.state, RowState::Open { .. })
    }

    fn online(&self) -> Option<&str> {
        match &self.state {
            RowState::Open { online } => online.as_deref(),
            _ => None,
        }
    }

    fn sim_debt(&self) -> SimDebt {
        SimDebt {
            iud: self.iud.clone(),
            amount: self.data.amount,
            tipo_dovuto: self.data.tipo_dovuto.clone(),
            causale: self.data.causale.clone(),
            dati_specifici_riscossione: self.data.dati_specifici_riscossione.clone(),
            marca_bollo: None,
            bilancio_total: None,
        }
    }
}

/// A row as shown by `GET /admin/avvisi`.
#[derive(Debug, Clone, Serialize)]
pub struct AvvisoView {
    /// MyPay's internal id (changes with every modification).
    pub id: u64,
    pub iud: String,
    pub iuv: Option<String>,
    pub notice_number: Option<String>,
    /// `open`, `in_payment`, `cancelled`, `paid_pagopa`, `paid_rend9`.
    pub state: &'static str,
    pub amount: String,
    pub causale: String,
    /// `urlFileAvviso`, for open rows.
    pub url: Option<String>,
}

/// What `POST /admin/avvisi/{iuv}/pay-at-psp` did.
#[derive(Debug, Clone, Serialize)]
pub struct PspPayment {
    pub iuv: String,
    pub iud: String,
    pub receipt_id: String,
    pub amount: String,
}

/// Answer to `GET /public/landing/avviso`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeAnswer {
    Pdf {
        file_name: String,
        bytes: Vec<u8>,
    },
    /// HTTP 418: the debt is no longer open.
    Gone,
    /// Invalid or expired token: MyPay's "codice sicurezza non valido" (HTTP 500).
    BadToken,
}

fn import_text(iuv: Option<&str>, iud: &str, desc: &str) -> String {
    format!("paaSILImportaDovuto: Errore import dovuto IUV [{}] e IUD [{iud}]: {desc}", iuv.unwrap_or("null"))
}

/// A KO of `paaSILImportaDovuto`, with the IUV generated during the call if any (trap A2).
fn import_ko(f: FaultBean, consumed_iuv: Option<String>) -> SoapAnswer {
    let mut children = vec![("esito", "KO".to_string())];
    if let Some(iuv) = consumed_iuv {
        children.push(("identificativoUnivocoVersamento", iuv));
    }
    SoapAnswer::Risposta { element: R_IMPORTA, children, fault: Some(f) }
}

fn anonimo() -> Payer {
    Payer {
        kind: PayerKind::Natural,
        id_code: "ANONIMO".into(),
        name: "ANONIMO".into(),
        address: None,
        civic_number: None,
        postal_code: None,
        city: None,
        province: None,
        country: None,
        email: None,
    }
}

fn non_blank(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

/// `Utilities.validaIUV` (§1.4 step 6).
fn iuv_is_valid(iuv: &str, flag: bool, insert: bool, today: Date, application_code: &str) -> bool {
    let chars: Vec<char> = iuv.chars().collect();
    match chars.len() {
        // Old 15-character IUVs: never `00…`, and for inserts only until pa.dataLimiteNuoviIuv15.
        15 => !iuv.starts_with("00") && (!insert || today <= time::macros::date!(2024 - 04 - 30)),
        25 => !iuv.ends_with("0000") || chars[6..8] == ['9', '9'],
        17 => flag || (iuv.starts_with(application_code) && chars[2..4] != ['0', '0']),
        _ => false,
    }
}

impl Engine {
    fn tipo(&self, code: &str) -> Option<&super::super::TipoDovuto> {
        self.config.tipi_dovuto.iter().find(|t| t.code == code)
    }

    /// The due-date rule of the database functions (§1.2, §1.4 step 20).
    fn due_date_problem(&self, tipo: &str, due: Option<Date>, today: Date) -> Option<&'static str> {
        let t = self.tipo(tipo)?;
        if (t.scadenza_obbligatoria || t.stampa_data_scadenza) && due.is_none() {
            return Some("dataScadenzaPagamento deve essere valorizzata per questo tipo dovuto");
        }
        if t.scadenza_obbligatoria && due.is_some_and(|d| d < today) {
            return Some("dataScadenzaPagamento deve essere maggiore uguale alla data attuale per questo tipo dovuto");
        }
        None
    }

    /// A debt past its mandatory due date: no longer payable (§2.1).
    fn expired(&self, row: &Row, today: Date) -> bool {
        self.tipo(&row.data.tipo_dovuto).is_some_and(|t| t.scadenza_obbligatoria)
            && row.data.due_date.is_some_and(|d| d < today)
    }

    fn notice_number(&self, iuv: &str) -> Option<String> {
        match iuv.len() {
            17 => Some(format!("3{iuv}")),
            15 => Some(format!("0{}{iuv}", self.config.segregation_code)),
            _ => None,
        }
    }

    fn notice_url(&self, row: &Row) -> String {
        format!("{}/public/landing/avviso?id={}&securityToken={}", self.base_url, row.id, row.token)
    }

    /// A JWT-shaped token (header, claims `sub`/`oid`/`type`/`exp`, random signature, §1.5).
    fn new_token(id: u64, now: OffsetDateTime) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let exp = (now + time::Duration::days(TOKEN_LIFETIME_DAYS)).unix_timestamp();
        let claims = format!(r#"{{"sub":"<ANONIMO>","oid":"{id}","type":"sec","exp":{exp}}}"#);
        format!("{}.{}.{}", b64.encode(r#"{"alg":"HS512"}"#), b64.encode(claims), b64.encode(random_hex(32)))
    }

    fn generate_iuv(&self, state: &mut State) -> Result<String, String> {
        let registry = &mut state.avvisi;
        if registry.fail_iuv_generation > 0 {
            registry.fail_iuv_generation -= 1;
            return Err("nodoSILChiediIUV: servizio non disponibile (guasto simulato)".into());
        }
        registry.progressive += 1;
        let body = format!("{}00{:011}", self.config.segregation_code, registry.progressive % 100_000_000_000);
        let check = check_digits(&body)
            .ok_or_else(|| format!("codice di segregazione non valido [{}]", self.config.segregation_code))?;
        Ok(format!("{body}{check}"))
    }

    fn new_row(
        &self,
        state: &mut State,
        iud: &str,
        iuv: Option<String>,
        data: PositionData,
        paid: Option<Completion>,
    ) -> u64 {
        let now = Self::now(state);
        let registry = &mut state.avvisi;
        registry.next_id += 1;
        let id = 4710 + registry.next_id;
        registry.rows.push(Row {
            id,
            iud: iud.to_string(),
            iuv,
            data,
            state: paid.map_or(RowState::Open { online: None }, RowState::Paid),
            token: Self::new_token(id, now),
            token_issued: now,
        });
        state.iud_registry.insert(iud.to_string());
        id
    }

    /// `is_dovuto_annullato`: every earlier debt with this IUD was cancelled (§1.8).
    fn iud_reusable(state: &State, iud: &str) -> bool {
        let rows: Vec<&Row> = state.avvisi.rows.iter().filter(|r| r.iud == iud).collect();
        rows.iter().any(|r| matches!(r.state, RowState::Cancelled))
            && rows.iter().all(|r| matches!(r.state, RowState::Cancelled))
    }

    // ---- paaSILImportaDovuto ----------------------------------------------------------------------

    pub(super) async fn importa_dovuto(
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
        let xml_ko = |detail: String| {
            let mut f = fault("PAA_XML_NON_VALIDO", "XML dei dovuti non valido", id);
            f.description = Some(format!(
                "XML ricevuto per paaSILImportaDovuto non conforme all' XSD per ente [{cod}]  XML Error: \n{detail}"
            ));
            ko(f)
        };
        let Some(bytes) = decode_dovuti_field(&dovuto) else {
            return xml_ko("contenuto base64 non valido".into());
        };
        let xsd = self.config.xsd_dir.join("PagInf_Dovuti_Pagati_6_2_0.patched.xsd");
        if let Err(detail) = xmllint_validate(&self.config.xmllint, &xsd, &bytes).await {
            return xml_ko(detail);
        }
        let v = match parse_validated_versamento(&bytes) {
            Ok(v) => v,
            Err(detail) => return xml_ko(detail),
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

    fn ok_with_notice(&self, state: &State, row_id: u64, generated: Option<String>, flag: bool) -> SoapAnswer {
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
    fn insert(
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
    fn modify(
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

    fn cancel(
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
    fn print(
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
    fn pdf_for(
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

    pub(super) fn verifica_avviso(
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
    pub(super) fn checkout_avviso(&self, state: &mut State, session_id: &str, row_id: u64) -> Result<String, String> {
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
    pub(super) fn settle(&self, state: &mut State) {
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
    pub(super) fn registra_pagamento(
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
    pub(super) fn lookup_position(
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

    // ---- admin ------------------------------------------------------------------------------------

    /// `POST /admin/avvisi/{iuv}/pay-at-psp`: the notice is paid at a pagoPA channel (modello 3).
    /// pagoPA's checks of `paVerifyPaymentNotice`/`paGetPayment` come first (§2.2); then
    /// `paSendRT` stores a `ctReceipt` and a synthetic cart without idSession.
    pub fn pay_at_psp(&self, iuv: &str) -> Result<PspPayment, (u16, String)> {
        let mut state = self.lock();
        self.settle(&mut state);
        let now = Self::now(&state);
        let rows = &state.avvisi.rows;
        let Some(index) = rows.iter().position(|r| r.is_open() && r.iuv.as_deref() == Some(iuv)) else {
            let with_iuv =
                |pred: fn(&RowState) -> bool| rows.iter().any(|r| r.iuv.as_deref() == Some(iuv) && pred(&r.state));
            return Err(if with_iuv(|s| matches!(s, RowState::Paid(_))) {
                (409, "PAA_PAGAMENTO_DUPLICATO".into())
            } else if with_iuv(|s| matches!(s, RowState::Cancelled)) {
                (409, "PAA_PAGAMENTO_ANNULLATO".into())
            } else {
                (404, "PAA_PAGAMENTO_SCONOSCIUTO".into())
            });
        };
        if rows[index].online().is_some() {
            return Err((409, "PAA_PAGAMENTO_IN_CORSO".into()));
        }
        if self.expired(&rows[index], now.date()) {
            return Err((409, "PAA_PAGAMENTO_SCADUTO".into()));
        }
        let row = &rows[index];
        let receipt_id = random_hex(32);
        let facts = ReceiptFacts {
            // A pagoPA receipt (ctReceipt) in both modes: paSendRT is the same (§6).
            legacy: false,
            outcome: EsitoPagamento::Paid,
            iuv: iuv.to_string(),
            receipt_id: receipt_id.clone(),
            request_id: receipt_id.clone(),
            at: now,
            ente_fiscal_code: self.config.ente.fiscal_code.clone(),
            ente_name: self.config.ente.name.clone(),
            payer: row.data.payer.clone(),
            debts: vec![row.sim_debt()],
        };
        let done =
            PspPayment { iuv: iuv.to_string(), iud: row.iud.clone(), receipt_id, amount: row.data.amount.to_string() };
        state.avvisi.rows[index].state = RowState::Paid(Completion::PagoPa(Box::new(facts)));
        Ok(done)
    }

    /// `POST /admin/avvisi/iuv-generator`: the next `n` IUV generations fail.
    pub fn fail_iuv_generation(&self, n: u32) {
        self.lock().avvisi.fail_iuv_generation = n;
    }

    /// `GET /admin/avvisi`: every imported debt row, oldest first.
    pub fn avvisi_views(&self) -> Vec<AvvisoView> {
        let mut state = self.lock();
        self.settle(&mut state);
        state
            .avvisi
            .rows
            .iter()
            .map(|r| AvvisoView {
                id: r.id,
                iud: r.iud.clone(),
                iuv: r.iuv.clone(),
                notice_number: r.iuv.as_deref().and_then(|i| self.notice_number(i)),
                state: match &r.state {
                    RowState::Open { online: None } => "open",
                    RowState::Open { online: Some(_) } => "in_payment",
                    RowState::Cancelled => "cancelled",
                    RowState::Paid(Completion::PagoPa(_)) => "paid_pagopa",
                    RowState::Paid(Completion::Rend9(_)) => "paid_rend9",
                },
                amount: r.data.amount.to_string(),
                causale: r.data.causale.clone(),
                url: r.is_open().then(|| self.notice_url(r)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn iuv_rules_of_validaiuv() {
        let today = date!(2025 - 04 - 10);
        // MyPay's own shape: only with flagGeneraIuv=true (trap A1, §8.4).
        assert!(iuv_is_valid("01000000012345688", true, false, today, "01"));
        assert!(!iuv_is_valid("01000000012345688", false, false, today, "01"));
        // An Ente IUV: the application code first, no 00 in positions 3–4.
        assert!(iuv_is_valid("01123456789012345", false, true, today, "01"));
        assert!(!iuv_is_valid("02123456789012345", false, true, today, "01"));
        // 15 characters: never 00…, and no longer for inserts after 30/04/2024.
        assert!(iuv_is_valid("123456789012345", false, false, today, "01"));
        assert!(!iuv_is_valid("123456789012345", false, true, today, "01"));
        assert!(iuv_is_valid("123456789012345", false, true, date!(2024 - 04 - 30), "01"));
        assert!(!iuv_is_valid("003456789012345", false, false, today, "01"));
        // 25 characters ending in 0000 need 99 in positions 7–8.
        assert!(!iuv_is_valid("RF230000000000000000001234", false, true, today, "01"));
        assert!(!iuv_is_valid("RF2300990000000000000000", false, true, today, "01"));
        assert!(iuv_is_valid("RF23009900000000000000000", false, true, today, "01"));
        assert!(!iuv_is_valid("RF23001100000000000000000", false, true, today, "01"));
        assert!(iuv_is_valid("RF23001100000000000001234", false, true, today, "01"));
        assert!(!iuv_is_valid("1234", true, true, today, "01"));
    }
}
