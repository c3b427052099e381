//! The simulated MyPay: Ente configuration, carts ("sessions"), the permanent IUD registry, the
//! cart life cycle of both operating modes, and the three SOAP operations with MyPay's checks in
//! MyPay's order (docs/mypay.md §4.3, §6.2, §7, §8; a bare §n below is a section of that page).
//! Imported debts (payment notices) and their operations live in [`avvisi`].

mod avvisi;

pub use avvisi::{AvvisoView, NoticeAnswer, PspPayment};

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::documents::{
    decode_dovuti_field, numeric_iuv, parse_validated_dovuti, random_hex, rf_iuv, xmllint_validate, ReceiptFacts,
    SimCart,
};
use super::soap::{FaultBean, SoapAnswer, SoapCall};
use super::{Mode, SimulatorConfig};
use mypay::wire::dovuti::{is_valid_dati_specifici_riscossione, is_valid_email, PayerKind};
use mypay::wire::fiscal::{validate_codice_fiscale, validate_partita_iva};
use mypay::wire::pagati::{EsitoPagamento, PagatiKind};
use mypay::wire::soap::{encode_pagati_field, encode_rt_field};

/// Where a cart is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Only in MyPay's cache: the citizen has not checked out.
    Cached,
    /// Checked out, no outcome: legacy `PAGAM_IN_CORSO`; Checkout mode: citizen on pagoPA (no cart
    /// row yet) or gone.
    CheckedOut,
    /// Checkout mode, pagoPA `ko`/`cn`: the volatile debts are deleted, no cart row.
    CheckoutFailed,
    /// Receipt received (visible from `visible_at`: Checkout mode's late receipt).
    Final { outcome: EsitoPagamento, visible_at: OffsetDateTime, facts: Box<ReceiptFacts> },
    /// Legacy `ABORT` (carts migrated from MyPay 3 only; reachable through the admin API).
    Aborted,
    /// Legacy cart row `SCADUTO`.
    CartExpired,
}

#[derive(Debug, Clone)]
struct Session {
    id_session: String,
    landing_token: String,
    created: OffsetDateTime,
    return_url: Option<String>,
    cart: SimCart,
    phase: Phase,
    iuv: Option<String>,
    /// A `paaSILVerificaAvviso` session: the imported debt it pays.
    avviso: Option<AvvisoLink>,
}

/// The imported debt a `paaSILVerificaAvviso` session pays, and whether the session's outcome
/// has been applied to it.
#[derive(Debug, Clone, Copy)]
struct AvvisoLink {
    row_id: u64,
    settled: bool,
}

/// What the simulator should do to the next SOAP calls (test knob, not a MyPay feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer normally, after `delay_ms`.
    Delay,
    /// HTTP 500 with a plain-text body (a proxy or container error, not Spring-WS).
    Http500,
    /// HTTP 500 SOAP Fault (e.g. MyPay's maintenance block).
    SoapFault,
    /// HTTP 200 with a truncated, malformed XML body.
    MalformedXml,
    /// The connection is cut before a complete answer is sent.
    DropConnection,
    /// HTTP 200 business fault with the plan's `code` (a `PAA_*` code), shaped like MyPay's own
    /// answer to the operation (`esito=KO` for `paaSILInviaDovuti`); nothing is created or changed.
    PaaFault,
}

/// The `PAA_*` codes MyPay's SIL operations can answer (docs/mypay.md §10,
/// docs/mypay-avvisi.md §7), for `paa_fault`.
pub const PAA_CODES: [&str; 37] = [
    "PAA_ENTE_NON_VALIDO",
    "PAA_STATO_ENTE_NON_VALIDO",
    "PAA_XML_NON_VALIDO",
    "PAA_IUV_NON_VALIDO",
    "PAA_TIPO_VERSAMENTO_NON_VALIDO",
    "PAA_CODICE_FISCALE_NON_VALIDO",
    "PAA_P_IVA_NON_VALIDO",
    "PAA_IUD_NON_VALIDO",
    "PAA_IUD_DUPLICATO",
    "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
    "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO",
    "PAA_IMPORTO_MARCA_BOLLO_DIGITALE_NON_VALIDA",
    "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
    "PAA_DATI_SPECIFICI_RISCOSSIONE_NON_VALIDO",
    "PAA_IMPORTO_SINGOLO_VERSAMENTO_NON_VALIDO",
    "PAA_IMPORTO_BILANCIO_NON_VALIDO",
    "PAA_CAUSALE_NON_PRESENTE",
    "PAA_ANAGRAFICA_NON_VALIDA",
    "PAA_ID_SESSION_NON_VALIDO",
    "PAA_PAGAMENTO_NON_INIZIATO",
    "PAA_PAGAMENTO_IN_CORSO",
    "PAA_PAGAMENTO_ANNULLATO",
    "PAA_PAGAMENTO_SCADUTO",
    "PAA_SYSTEM_ERROR",
    "PAA_AZIONE_NON_VALIDO",
    "PAA_SOGG_PAG_NON_VALORIZZATO",
    "PAA_IDENT_TIPO_DOVUTO_NON_PRESENTE",
    "PAA_LIMITAZIONE_ENTI_SECONDARI_ERROR",
    "PAA_IUV_SCADUTO",
    "PAA_IMPORT_IUD_DUPLICATO",
    "PAA_IMPORT_IUV_DUPLICATO",
    "PAA_IMPORT_IUV_NO_NULLABLE",
    "PAA_IMPORT_TIPO_DOVUTO_NON_MODIFICABILE",
    "PAA_IMPORT_DATA_SCADENZA_PAGAMENTO_OBBLIGATORIA",
    "PAA_IMPORT_DOVUTO_NON_PRESENTE",
    "PAA_IMPORT_OPERATORE_NO_PERMESSI",
    "PAA_IMPORT_COD_TIPO_DOVUTO_INESISTENTE",
];

/// The SOAP operations a fault plan can be limited to.
pub const OPERATIONS: [&str; 6] = [
    "paaSILInviaDovuti",
    "paaSILChiediPagati",
    "paaSILChiediPagatiConRicevuta",
    "paaSILImportaDovuto",
    "paaSILVerificaAvviso",
    "paaSILRegistraPagamento",
];

/// The answer element of each operation and whether its business faults carry `esito=KO`.
pub fn response_shape(operation: &str) -> (&'static str, bool) {
    match operation {
        "paaSILInviaDovuti" => ("paaSILInviaDovutiRisposta", true),
        "paaSILChiediPagatiConRicevuta" => ("paaSILChiediPagatiConRicevutaRisposta", false),
        "paaSILImportaDovuto" => ("paaSILImportaDovutoRisposta", true),
        "paaSILVerificaAvviso" => ("paaSILVerificaAvvisoRisposta", true),
        "paaSILRegistraPagamento" => ("paaSILRegistraPagamentoRisposta", true),
        _ => ("paaSILChiediPagatiRisposta", false),
    }
}

/// Body of `POST /admin/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    pub kind: FaultKind,
    /// For `delay` (and added before any other kind).
    #[serde(default)]
    pub delay_ms: u64,
    /// Number of next SOAP calls affected; absent = until `DELETE /admin/faults` or reset.
    #[serde(default)]
    pub count: Option<u32>,
    /// For `paa_fault`: the `PAA_*` code to answer (one of [`PAA_CODES`]).
    #[serde(default)]
    pub code: Option<String>,
    /// Only calls of this operation (one of [`OPERATIONS`]) are affected and counted; absent:
    /// every SOAP call.
    #[serde(default)]
    pub operation: Option<String>,
}

impl FaultPlan {
    /// Why the plan cannot be applied, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if let Some(op) = self.operation.as_deref().filter(|op| !OPERATIONS.contains(op)) {
            return Some(format!("unknown operation {op} (expected one of {OPERATIONS:?})"));
        }
        match (self.kind, self.code.as_deref()) {
            (FaultKind::PaaFault, Some(code)) if PAA_CODES.contains(&code) => None,
            (FaultKind::PaaFault, Some(code)) => Some(format!("unknown PAA code {code}")),
            (FaultKind::PaaFault, None) => Some("paa_fault needs a code".into()),
            (_, Some(_)) => Some("code is only for paa_fault".into()),
            _ => None,
        }
    }

    /// The static spelling of the plan's `PAA_*` code.
    pub fn paa_code(&self) -> Option<&'static str> {
        let code = self.code.as_deref()?;
        PAA_CODES.iter().copied().find(|c| *c == code)
    }
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, Session>,
    /// Landing token → idSession.
    landing: HashMap<String, String>,
    /// Permanent IUD registry (`mygov_identificativo_univoco`, §4.5): filled at checkout.
    iud_registry: HashSet<String>,
    clock_offset_seconds: i64,
    fault: Option<FaultPlan>,
    sequence: u64,
    /// `paaSILChiediPagati` calls per idSession (test knob: who asked, how often, at once).
    checks: HashMap<String, CheckStats>,
    /// Imported debts (`paaSILImportaDovuto`).
    avvisi: avvisi::Registry,
}

/// How an idSession was asked about with `paaSILChiediPagati`.
#[derive(Debug, Clone, Copy, Default)]
struct CheckStats {
    calls: u64,
    in_flight: u64,
    max_in_flight: u64,
}

/// Marks one `paaSILChiediPagati` call in flight for its idSession until dropped.
pub struct CheckGuard<'a> {
    engine: &'a Engine,
    id_session: String,
}

impl Drop for CheckGuard<'_> {
    fn drop(&mut self) {
        if let Some(stats) = self.engine.lock().checks.get_mut(&self.id_session) {
            stats.in_flight = stats.in_flight.saturating_sub(1);
        }
    }
}

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

pub struct Engine {
    config: SimulatorConfig,
    base_url: String,
    state: Mutex<State>,
}

const TIPI_VERSAMENTO: [&str; 6] = ["BBT", "BP", "AD", "CP", "PO", "OBEP"];

fn fault(code: &'static str, string: impl Into<String>, id: Option<&str>) -> FaultBean {
    FaultBean { code, string: string.into(), id: id.map(str::to_string), description: None, serial: None }
}

impl Engine {
    pub fn new(config: SimulatorConfig, base_url: String) -> Engine {
        Engine { config, base_url, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now(state: &State) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(state.clock_offset_seconds)
    }

    fn legacy(&self) -> bool {
        self.config.mode == Mode::Legacy
    }

    fn ttl(&self) -> time::Duration {
        time::Duration::seconds(i64::try_from(self.config.cache_ttl.as_secs()).unwrap_or(i64::MAX / 4))
    }

    fn ttl_plus_grace(&self) -> time::Duration {
        self.ttl() + time::Duration::seconds(i64::try_from(self.config.expiry_grace.as_secs()).unwrap_or(0))
    }

    // ---- faults ------------------------------------------------------------------------------

    pub fn set_fault(&self, plan: Option<FaultPlan>) {
        self.lock().fault = plan.filter(|p| p.count != Some(0));
    }

    /// The fault to apply to the current SOAP call of `operation` (`None`: not routable), if
    /// any (consumes one use).
    pub fn take_fault(&self, operation: Option<&str>) -> Option<FaultPlan> {
        let mut state = self.lock();
        let plan = state.fault.clone()?;
        if plan.operation.is_some() && plan.operation.as_deref() != operation {
            return None;
        }
        match plan.count {
            Some(n) if n <= 1 => state.fault = None,
            Some(n) => state.fault = Some(FaultPlan { count: Some(n - 1), ..plan.clone() }),
            None => {}
        }
        Some(plan)
    }

    /// The Ente's IPA code (the `id` of a business fault).
    pub fn cod_ipa(&self) -> &str {
        &self.config.ente.cod_ipa
    }

    /// Counts a `paaSILChiediPagati` call for `id_session`, in flight until the guard is dropped
    /// (the whole HTTP exchange, injected delays included).
    pub fn enter_check(&self, id_session: &str) -> CheckGuard<'_> {
        let mut state = self.lock();
        let stats = state.checks.entry(id_session.to_string()).or_default();
        stats.calls += 1;
        stats.in_flight += 1;
        stats.max_in_flight = stats.max_in_flight.max(stats.in_flight);
        CheckGuard { engine: self, id_session: id_session.to_string() }
    }

    pub fn reset(&self) {
        *self.lock() = State::default();
    }

    pub fn advance_clock(&self, seconds: i64) {
        self.lock().clock_offset_seconds += seconds;
    }

    // ---- identifiers ---------------------------------------------------------------------------

    /// MyPay's `idSession` format (§4.4): four groups of a random UUID, then the creation time
    /// `yyMMddHHmmssSSS` as a decimal number written in lower-case hex.
    fn new_session_id(now: OffsetDateTime) -> String {
        let g = random_hex(20);
        let variant = ['8', '9', 'a', 'b'][usize::from(g.as_bytes()[12]) % 4];
        let stamp: u64 = format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}{:03}",
            now.year() % 100,
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        )
        .parse()
        .unwrap_or(0);
        format!("{}-{}-4{}-{}{}-{:x}", &g[0..8], &g[8..12], &g[13..16], variant, &g[17..20], stamp)
    }

    /// The creation time MyPay reads back from any id (last dash group, hex → `yyMMddHHmmssSSS`).
    fn time_from_session_id(id: &str) -> Option<OffsetDateTime> {
        let hex = id.rsplit('-').next()?;
        let n = u64::from_str_radix(hex, 16).ok()?;
        let s = format!("{n:015}");
        if s.len() != 15 {
            return None;
        }
        let p = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
        let date = time::Date::from_calendar_date(
            2000 + i32::try_from(p(0..2)?).ok()?,
            time::Month::try_from(u8::try_from(p(2..4)?).ok()?).ok()?,
            u8::try_from(p(4..6)?).ok()?,
        )
        .ok()?;
        let t = time::Time::from_hms_milli(
            u8::try_from(p(6..8)?).ok()?,
            u8::try_from(p(8..10)?).ok()?,
            u8::try_from(p(10..12)?).ok()?,
            u16::try_from(p(12..15)?).ok()?,
        )
        .ok()?;
        Some(time::PrimitiveDateTime::new(date, t).assume_utc())
    }

    // ---- paaSILInviaDovuti ---------------------------------------------------------------------

    pub async fn handle(&self, call: SoapCall) -> SoapAnswer {
        match call {
            SoapCall::InviaDovuti { header_cod_ipa, password, dovuti, return_url, show_my_pay } => {
                self.invia_dovuti(header_cod_ipa, password, dovuti, return_url, show_my_pay).await
            }
            SoapCall::ChiediPagati { cod_ipa, password, id_session } => {
                self.chiedi_pagati(cod_ipa, password, id_session)
            }
            SoapCall::ChiediPagatiConRicevuta { cod_ipa, password, id_session, iuv, iud } => {
                self.chiedi_pagati_con_ricevuta(cod_ipa, password, id_session, iuv, iud)
            }
            SoapCall::ImportaDovuto { header_cod_ipa, password, dovuto, flag_genera_iuv } => {
                self.importa_dovuto(header_cod_ipa, password, dovuto, flag_genera_iuv).await
            }
            SoapCall::VerificaAvviso { header_cod_ipa, password, iuv, return_url } => {
                self.verifica_avviso(header_cod_ipa, password, iuv, return_url)
            }
            SoapCall::RegistraPagamento(r) => self.registra_pagamento(
                r.cod_ipa,
                r.password,
                r.iuv,
                r.amount,
                r.date,
                r.index,
                r.iur,
                r.attestor_kind,
                r.attestor_code,
                r.attestor_name,
            ),
        }
    }

    async fn invia_dovuti(
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
        let xml_ko = |detail: String| {
            let mut f = fault("PAA_XML_NON_VALIDO", "XML dei dovuti non valido", id);
            f.description = Some(format!(
                "XML ricevuto per paaSILInviaDovuti non conforme all' XSD per ente [{cod}]  XML Error: \n{detail}"
            ));
            ko(f)
        };
        let Some(bytes) = decode_dovuti_field(&dovuti) else {
            return xml_ko("contenuto base64 non valido".into());
        };
        let xsd = self.config.xsd_dir.join("PagInf_Dovuti_Pagati_6_2_0.patched.xsd");
        if let Err(detail) = xmllint_validate(&self.config.xmllint, &xsd, &bytes).await {
            return xml_ko(detail);
        }
        let cart = match parse_validated_dovuti(&bytes) {
            Ok(cart) => cart,
            Err(detail) => return xml_ko(detail),
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
    fn new_session(
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

    fn landing_url(&self, token: &str) -> String {
        format!("{}/public/landing/inviaDovuti?id={token}", self.base_url)
    }

    // ---- paaSILChiediPagati / paaSILChiediPagatiConRicevuta -------------------------------------

    /// `EnteService.verificaEnte`: every failure is `PAA_ENTE_NON_VALIDO` with the text of the
    /// last failing check (§6.2). `check_state` is false for ChiediPagatiConRicevuta (§7.1).
    fn verifica_ente(
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

    fn chiedi_pagati(
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

    fn answer_by_session(
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
    fn cart_row(&self, s: &Session, now: OffsetDateTime) -> Option<Phase> {
        match (&s.phase, self.legacy()) {
            (Phase::Cached | Phase::CheckoutFailed, _) => None,
            (Phase::CheckedOut, false) => None,
            (Phase::Final { visible_at, .. }, false) if *visible_at > now => None,
            (phase, _) => Some(phase.clone()),
        }
    }

    fn pagati_answer(r: &'static str, facts: &ReceiptFacts, kind: PagatiKind) -> SoapAnswer {
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

    fn chiedi_pagati_con_ricevuta(
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

    // ---- checkout, outcomes, landing -------------------------------------------------------------

    /// Checks the cart out: consumes its IUDs in the permanent registry and assigns the IUV.
    fn checkout(&self, state: &mut State, id: &str) -> Result<(), String> {
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

    fn finalize(&self, state: &mut State, id: &str, outcome: EsitoPagamento, delay: Duration) {
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

    fn landing_session<'a>(&self, state: &'a State, token: &str) -> Option<&'a Session> {
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

    // ---- admin ------------------------------------------------------------------------------------

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

    fn view_of(&self, state: &State, s: &Session) -> SessionView {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn session_ids_have_mypay_format_and_carry_their_time() {
        let now = datetime!(2025-03-14 10:15:30.123 UTC);
        let id = Engine::new_session_id(now);
        assert_eq!(id.len(), 36, "{id}");
        assert!(id.ends_with("-e3a8cb1a9e0b"), "{id}");
        assert_eq!(Engine::time_from_session_id(&id), Some(now));
        assert_eq!(Engine::time_from_session_id("3f2a9c1e-7b4d-4e2a-9f11-e3a8cb1a9e0b"), Some(now));
        assert_eq!(Engine::time_from_session_id("not-an-id-zz"), None);
    }
}
