//! The simulated MyPay: Ente configuration, carts ("sessions"), the permanent IUD registry, the
//! cart life cycle of both operating modes, and the three SOAP operations with MyPay's checks in
//! MyPay's order (docs/mypay.md §4.3, §6.2, §7, §8; a bare §n below is a section of that page).
//! Split by concern: the shared state and the SOAP dispatch here, [`faults`] (the test knob of
//! injected faults), [`carts`] (`paaSILInviaDovuti`), [`receipts`] (`paaSILChiediPagati` /
//! `paaSILChiediPagatiConRicevuta`), [`landing`] (checkout, outcomes, the landing page),
//! [`admin`] (the admin API's views and actions). Imported debts (payment notices) and their
//! operations live in [`avvisi`].

mod admin;
mod avvisi;
mod carts;
mod faults;
mod landing;
mod receipts;

pub use admin::{AdminAction, SessionView};
pub use avvisi::{AvvisoView, NoticeAnswer, PspPayment};
pub use faults::{response_shape, FaultKind, FaultPlan, OPERATIONS};
pub use landing::{LandingAction, LandingResult};

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

    /// A `Dovuti` field as MyPay reads it for `operation`: base64, then valid against the XSD,
    /// then parsed by `parse`. Each failure is MyPay's `PAA_XML_NON_VALIDO` with its detail.
    async fn validated_xml<T>(
        &self,
        field: &str,
        operation: &str,
        cod: &str,
        id: Option<&str>,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Result<T, FaultBean> {
        let xml_fault = |detail: String| {
            let mut f = fault("PAA_XML_NON_VALIDO", "XML dei dovuti non valido", id);
            f.description = Some(format!(
                "XML ricevuto per {operation} non conforme all' XSD per ente [{cod}]  XML Error: \n{detail}"
            ));
            f
        };
        let bytes = decode_dovuti_field(field).ok_or_else(|| xml_fault("contenuto base64 non valido".into()))?;
        let xsd = self.config.xsd_dir.join("PagInf_Dovuti_Pagati_6_2_0.patched.xsd");
        xmllint_validate(&self.config.xmllint, &xsd, &bytes).await.map_err(xml_fault)?;
        parse(&bytes).map_err(xml_fault)
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
