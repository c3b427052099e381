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

mod admin;
mod import;
mod payments;

use base64::Engine as _;
use serde::Serialize;
use time::{Date, OffsetDateTime};

use super::super::documents::{
    parse_validated_versamento, random_hex, ReceiptFacts, Rend9Facts, SimCart, SimDebt, SimVersamento,
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
