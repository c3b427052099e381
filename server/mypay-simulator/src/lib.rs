//! A faithful MyPay simulator: a real HTTP server speaking MyPay's SIL SOAP interface
//! (docs/mypay.md §12), with a simulated landing/pagoPA page and an admin API for tests.
//!
//! * `POST /ws/**` – SOAP 1.1; routed by the body's root element (namespace-aware), not by path.
//! * `GET /ws/pa/PagamentiTelematiciDovutiPagati.wsdl` – the official WSDL, address rewritten.
//! * `GET /public/landing/inviaDovuti?id=…` – the cart page (Italian) with the buttons Paga,
//!   Annulla, Simula errore pagoPA, Abbandona; then HTTP 303 to the Ente's return URL with
//!   `idSession`, `esito` (`OK`/`ERROR`) and `pollingToken`.
//! * `GET /public/landing/avviso?id=…&securityToken=…` – the PDF of a payment notice
//!   (`urlFileAvviso` of `paaSILImportaDovuto`).
//! * `/admin/…` – test knobs (not MyPay features): fault injection, reset, clock, session
//!   outcomes, imported debts and "paid at a PSP". See [`router`].
//!
//! Both operating modes (docs/mypay.md §1) are implemented behind [`Mode`]. Start it from tests
//! with `Simulator::build(config).await` on port 0, like the portal's `server::Application`.

mod documents;
mod engine;
mod pdf;
mod soap;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use tokio::net::TcpListener;

pub use engine::{
    AdminAction, AvvisoView, FaultKind, FaultPlan, LandingAction, NoticeAnswer, PspPayment, SessionView, OPERATIONS,
};

use engine::{Engine, LandingResult};
use soap::{parse_request, RouteError, SoapAnswer};

/// Codice fiscale of the Ente the simulated MyPay serves, the beneficiary of every ECM payment:
/// Regione del Veneto (the portal's `app::payments::model::BENEFICIARY_FISCAL_CODE`).
pub const BENEFICIARY_FISCAL_CODE: &str = "80007580279";

/// MyPay's operating mode (docs/mypay.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// RPT/RT via MyPay's node: `PAA_PAGAMENTO_IN_CORSO` while paying; outcomes 0, 1, 3, 4 (2 →
    /// `PAA_SYSTEM_ERROR`); `rt` is an AgID `RT`.
    Legacy,
    /// pagoPA Checkout ("modello unico"): `PAA_PAGAMENTO_NON_INIZIATO` while paying; only outcome
    /// 0, possibly late; `rt` is a pagoPA `ctReceipt`.
    Checkout,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "legacy" => Ok(Mode::Legacy),
            "checkout" => Ok(Mode::Checkout),
            other => Err(format!("unknown mode {other:?} (expected legacy or checkout)")),
        }
    }
}

/// The Ente registered in the simulated MyPay.
#[derive(Debug, Clone)]
pub struct EnteConfig {
    pub cod_ipa: String,
    pub password: String,
    pub fiscal_code: String,
    pub name: String,
    /// `false`: the Ente is still "INSERITO" (not activated).
    pub active: bool,
    /// Used when a request has no `enteSILInviaRispostaPagamentoUrl`.
    pub default_return_url: Option<String>,
}

/// A *tipo dovuto* configured for the Ente.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TipoDovuto {
    pub code: String,
    pub active: bool,
    /// "Scadenza obbligatoria": imported debts need a due date not in the past, and are no
    /// longer payable after it (docs/mypay-avvisi.md §1.2, trap A16).
    pub scadenza_obbligatoria: bool,
    /// "Stampa data scadenza": imported debts need a due date, printed on the notice.
    pub stampa_data_scadenza: bool,
}

impl TipoDovuto {
    /// A tipo dovuto without due-date flags.
    pub fn new(code: impl Into<String>, active: bool) -> TipoDovuto {
        TipoDovuto { code: code.into(), active, ..TipoDovuto::default() }
    }
}

/// Simulator configuration. Defaults match the portal's defaults.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Address to bind (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Base URL used in the landing URLs and the WSDL address; default `http://{bound address}`.
    pub public_url: Option<String>,
    pub mode: Mode,
    pub ente: EnteConfig,
    pub tipi_dovuto: Vec<TipoDovuto>,
    /// The Ente's 2-digit segregation code: first digits of the IUVs MyPay generates for
    /// imported debts (docs/mypay-avvisi.md §1.5); also the "application code" an Ente-made
    /// 17-digit IUV must start with.
    pub segregation_code: String,
    /// MyPay's cart cache lifetime (`uploadCache`, 3600 s).
    pub cache_ttl: Duration,
    /// Extra time before an uncached session counts as expired (300 s).
    pub expiry_grace: Duration,
    /// Checkout mode: delay between "Paga" and the receipt becoming visible (late receipt).
    pub receipt_delay: Duration,
    /// Folder with the schemas (the repository's `xsd/`).
    pub xsd_dir: PathBuf,
    /// xmllint executable used to validate incoming `Dovuti` documents.
    pub xmllint: String,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8089)),
            public_url: None,
            mode: Mode::Legacy,
            ente: EnteConfig {
                cod_ipa: "R_VENETO".into(),
                password: "Ecm#Veneto2025".into(),
                fiscal_code: BENEFICIARY_FISCAL_CODE.into(),
                name: "Regione del Veneto".into(),
                active: true,
                default_return_url: None,
            },
            tipi_dovuto: vec![
                TipoDovuto::new("ECM_QUOTA_ANNUALE", true),
                TipoDovuto::new("ECM_CONTRIBUTO_EVENTO", true),
            ],
            segregation_code: "01".into(),
            cache_ttl: Duration::from_secs(3600),
            expiry_grace: Duration::from_secs(300),
            receipt_delay: Duration::ZERO,
            xsd_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../xsd"),
            xmllint: "xmllint".into(),
        }
    }
}

const USAGE: &str = "\
mypay-simulator: a MyPay SIL simulator for the ECM portal's tests and demos.

Options (each also as an environment variable):
  --addr ADDR                 MYPAY_SIM_ADDR              bind address (default 127.0.0.1:8089)
  --public-url URL            MYPAY_SIM_PUBLIC_URL        base URL in links (default http://ADDR)
  --mode legacy|checkout      MYPAY_SIM_MODE              MyPay operating mode (default legacy)
  --cod-ipa CODE              MYPAY_SIM_COD_IPA           Ente IPA code (default R_VENETO)
  --password PW               MYPAY_SIM_PASSWORD          Ente password (default Ecm#Veneto2025)
  --fiscal-code CF            MYPAY_SIM_FISCAL_CODE       Ente fiscal code (default 80007580279)
  --ente-inactive             MYPAY_SIM_ENTE_INACTIVE=1   Ente not yet activated
  --tipi-dovuto LIST          MYPAY_SIM_TIPI_DOVUTO       comma-separated codes, '!' prefix = disabled
                                                          (default ECM_QUOTA_ANNUALE,ECM_CONTRIBUTO_EVENTO)
  --segregation-code NN       MYPAY_SIM_SEGREGATION_CODE  2-digit code starting generated IUVs (default 01)
  --cache-ttl-seconds N       MYPAY_SIM_CACHE_TTL_SECONDS cart cache lifetime (default 3600)
  --grace-seconds N           MYPAY_SIM_GRACE_SECONDS     grace before SCADUTO (default 300)
  --receipt-delay-seconds N   MYPAY_SIM_RECEIPT_DELAY_SECONDS  checkout mode late receipt (default 0)
  --xsd-dir DIR               MYPAY_SIM_XSD_DIR           schema folder (default the repository's xsd/)
  --xmllint PATH              MYPAY_SIM_XMLLINT           xmllint executable (default xmllint)";

impl SimulatorConfig {
    /// Reads `--flag value` arguments, falling back to `MYPAY_SIM_*` variables, then defaults.
    pub fn from_args_and_env(
        args: &[String],
        env: &std::collections::BTreeMap<String, String>,
    ) -> Result<SimulatorConfig, String> {
        let known = [
            "ADDR",
            "PUBLIC_URL",
            "MODE",
            "COD_IPA",
            "PASSWORD",
            "FISCAL_CODE",
            "ENTE_INACTIVE",
            "TIPI_DOVUTO",
            "SEGREGATION_CODE",
            "CACHE_TTL_SECONDS",
            "GRACE_SECONDS",
            "RECEIPT_DELAY_SECONDS",
            "XSD_DIR",
            "XMLLINT",
        ];
        let mut flags = std::collections::BTreeMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--help" | "-h" => return Err(USAGE.to_string()),
                "--ente-inactive" => {
                    flags.insert("ENTE_INACTIVE".to_string(), "1".to_string());
                }
                flag if flag.starts_with("--") => {
                    let key = flag.trim_start_matches("--").replace('-', "_").to_ascii_uppercase();
                    if !known.contains(&key.as_str()) {
                        return Err(format!("unknown option {flag}\n\n{USAGE}"));
                    }
                    let value = it.next().ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
                    flags.insert(key, value.clone());
                }
                other => return Err(format!("unexpected argument {other:?}\n\n{USAGE}")),
            }
        }
        let get = |key: &str| {
            flags.get(key).cloned().or_else(|| env.get(&format!("MYPAY_SIM_{key}")).cloned()).filter(|v| !v.is_empty())
        };
        if let Some(unknown) =
            env.keys().find(|k| k.starts_with("MYPAY_SIM_") && !known.contains(&&k["MYPAY_SIM_".len()..]))
        {
            return Err(format!("unknown variable {unknown}\n\n{USAGE}"));
        }
        let seconds = |key: &str, default: u64| -> Result<Duration, String> {
            get(key)
                .map_or(Ok(default), |v| v.parse::<u64>().map_err(|e| format!("{key}: {e}")))
                .map(Duration::from_secs)
        };
        let mut config = SimulatorConfig::default();
        if let Some(addr) = get("ADDR") {
            config.bind = addr.parse().map_err(|e| format!("ADDR: {e}"))?;
        }
        config.public_url = get("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(mode) = get("MODE") {
            config.mode = mode.parse()?;
        }
        if let Some(v) = get("COD_IPA") {
            config.ente.cod_ipa = v;
        }
        if let Some(v) = get("PASSWORD") {
            config.ente.password = v;
        }
        if let Some(v) = get("FISCAL_CODE") {
            config.ente.fiscal_code = v;
        }
        if get("ENTE_INACTIVE").is_some_and(|v| v != "0" && v != "false") {
            config.ente.active = false;
        }
        if let Some(list) = get("TIPI_DOVUTO") {
            config.tipi_dovuto = list
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| match c.strip_prefix('!') {
                    Some(code) => TipoDovuto::new(code, false),
                    None => TipoDovuto::new(c, true),
                })
                .collect();
        }
        if let Some(code) = get("SEGREGATION_CODE") {
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("SEGREGATION_CODE: two digits expected, got {code:?}"));
            }
            config.segregation_code = code;
        }
        config.cache_ttl = seconds("CACHE_TTL_SECONDS", 3600)?;
        config.expiry_grace = seconds("GRACE_SECONDS", 300)?;
        config.receipt_delay = seconds("RECEIPT_DELAY_SECONDS", 0)?;
        if let Some(dir) = get("XSD_DIR") {
            config.xsd_dir = dir.into();
        }
        if let Some(x) = get("XMLLINT") {
            config.xmllint = x;
        }
        Ok(config)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot read the WSDL {path}: {source}")]
    Wsdl { path: PathBuf, source: std::io::Error },
    #[error("xmllint is needed to validate Dovuti documents ({0}); install Debian package libxml2-utils")]
    Xmllint(String),
}

/// A built, bound, not yet serving simulator.
pub struct Simulator {
    listener: TcpListener,
    router: Router,
    base_url: String,
}

#[derive(Clone)]
struct SimState {
    engine: Arc<Engine>,
    wsdl: Arc<String>,
    dovuti_xsd: Arc<String>,
}

impl Simulator {
    pub async fn build(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| SimulatorError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| SimulatorError::Bind { addr: config.bind, source })?;
        let base_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let wsdl_path = config.xsd_dir.join("pa-per-ente.wsdl");
        let wsdl = std::fs::read_to_string(&wsdl_path)
            .map_err(|source| SimulatorError::Wsdl { path: wsdl_path.clone(), source })?;
        // MyPay rewrites the static address `/ws/pa/` to its absolute URL (docs/mypay.md §2.1).
        let wsdl = wsdl.replace(r#"location="/ws/pa/""#, &format!(r#"location="{base_url}/ws/pa/""#));
        let xsd_path = config.xsd_dir.join("PagInf_Dovuti_Pagati_6_2_0.xsd");
        let dovuti_xsd =
            std::fs::read_to_string(&xsd_path).map_err(|source| SimulatorError::Wsdl { path: xsd_path, source })?;
        let probe = tokio::process::Command::new(&config.xmllint).arg("--version").output().await;
        if !probe.as_ref().is_ok_and(|o| o.status.success()) {
            return Err(SimulatorError::Xmllint(config.xmllint.clone()));
        }
        let state = SimState {
            engine: Arc::new(Engine::new(config, base_url.clone())),
            wsdl: Arc::new(wsdl),
            dovuti_xsd: Arc::new(dovuti_xsd),
        };
        Ok(Simulator { listener, router: router(state), base_url })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Base URL (`http://127.0.0.1:PORT` unless configured).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The SOAP endpoint to put in `ECM_MYPAY_ENDPOINT`.
    pub fn soap_url(&self) -> String {
        format!("{}/ws/pa/PagamentiTelematiciDovutiPagati", self.base_url)
    }

    /// Serves forever (tests spawn this and abort the task).
    pub async fn run(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router).await
    }

    /// Serves until Ctrl-C.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    }
}

/// The routes. Admin API (JSON):
/// * `POST /admin/reset` – forget sessions, IUD registry, faults, clock;
/// * `POST /admin/faults` `{"kind": "delay"|"http500"|"soap_fault"|"malformed_xml"|"drop_connection"|"paa_fault",
///   "delay_ms": 0, "count": 1, "code": "PAA_…", "operation": "paaSILChiediPagati"}` – next `count`
///   SOAP calls (absent: until cleared), only of `operation` when given; `paa_fault` answers
///   the business fault `code` (HTTP 200, as MyPay would);
///   `DELETE /admin/faults` clears;
/// * `POST /admin/clock` `{"advance_seconds": N}` – move the simulated clock;
/// * `GET /admin/sessions` – every session received (e.g. to count the carts sent);
/// * `GET /admin/sessions/{idSession}` – state summary, with `chiedi_pagati_calls` (how many
///   `paaSILChiediPagati` asked about it) and `max_parallel_checks` (the most at the same time);
/// * `POST /admin/sessions/{idSession}/{action}` with action `checkout`, `pay`, `not-paid`,
///   `timed-out`, `partial`, `partial-timed-out`, `fail`, `abort`, `expire`; optional body
///   `{"receipt_delay_seconds": N}` for `pay` in Checkout mode. Also for the sessions of
///   `paaSILVerificaAvviso` (their outcome then applies to the imported debt);
/// * `GET /admin/avvisi` – every imported debt row (open, in payment, cancelled, paid), with
///   IUV, notice number and `urlFileAvviso`;
/// * `POST /admin/avvisi/{iuv}/pay-at-psp` – the notice is paid at a pagoPA channel (PSP, home
///   banking, app IO): no idSession, a pagoPA `ctReceipt` as RT; 200 with
///   `{"iuv","iud","receipt_id","amount"}`, or 404/409 with pagoPA's refusal
///   (`PAA_PAGAMENTO_SCONOSCIUTO`, `…_DUPLICATO`, `…_ANNULLATO`, `…_IN_CORSO`, `…_SCADUTO`);
/// * `POST /admin/avvisi/iuv-generator` `{"fail_next": N}` – the next N IUV generations fail.
///
/// Public, as in MyPay: `GET /public/landing/avviso?id=…&securityToken=…` – the notice PDF
/// (`urlFileAvviso`); HTTP 418 once the debt is paid, cancelled or modified.
fn router(state: SimState) -> Router {
    Router::new()
        .route("/ws/pa/PagamentiTelematiciDovutiPagati.wsdl", get(wsdl))
        .route("/ws/pa/PagInf_Dovuti_Pagati_6_2_0.xsd", get(dovuti_xsd))
        .route("/ws/{*path}", post(soap_endpoint))
        .route("/public/landing/inviaDovuti", get(landing_page).post(landing_post))
        .route("/admin/reset", post(admin_reset))
        .route("/admin/faults", post(admin_faults).delete(admin_clear_faults))
        .route("/admin/clock", post(admin_clock))
        .route("/admin/sessions", get(admin_sessions))
        .route("/admin/sessions/{id}", get(admin_session))
        .route("/admin/sessions/{id}/{action}", post(admin_session_action))
        .route("/public/landing/avviso", get(notice_download))
        .route("/admin/avvisi", get(admin_avvisi))
        .route("/admin/avvisi/iuv-generator", post(admin_iuv_generator))
        .route("/admin/avvisi/{iuv}/pay-at-psp", post(admin_pay_at_psp))
        .with_state(state)
}

fn xml_response(status: u16, body: String) -> Response {
    let mut response = Response::new(Body::from(body.clone()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !body.is_empty() {
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    }
    response
}

async fn soap_endpoint(State(state): State<SimState>, body: Bytes) -> Response {
    let call = parse_request(&body);
    // Counted for the admin API over the whole exchange, injected faults and delays included.
    let _in_flight = match &call {
        Ok(soap::SoapCall::ChiediPagati { id_session: Some(id), .. }) => Some(state.engine.enter_check(id.trim())),
        _ => None,
    };
    let operation = call.as_ref().ok().map(soap::SoapCall::operation);
    if let Some(plan) = state.engine.take_fault(operation) {
        if plan.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(plan.delay_ms)).await;
        }
        match plan.kind {
            FaultKind::Delay => {}
            FaultKind::Http500 => return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
            FaultKind::SoapFault => {
                let (status, body) = SoapAnswer::Fault("Operazione temporaneamente non disponibile".into()).render();
                return xml_response(status, body);
            }
            FaultKind::MalformedXml => {
                return xml_response(
                    200,
                    r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><ns2:paaSIL"#.into(),
                )
            }
            FaultKind::PaaFault => {
                let code = plan.paa_code().unwrap_or("PAA_SYSTEM_ERROR");
                let bean = soap::FaultBean {
                    code,
                    string: format!("{code} (guasto simulato)"),
                    id: Some(state.engine.cod_ipa().to_string()),
                    description: None,
                    serial: None,
                };
                let (element, esito_ko) = engine::response_shape(operation.unwrap_or_default());
                let answer = SoapAnswer::business_fault(element, bean, esito_ko);
                let (status, body) = answer.render();
                return xml_response(status, body);
            }
            FaultKind::DropConnection => {
                // The body stream fails before its first byte: hyper aborts the connection.
                let stream = futures_util::stream::once(async {
                    Err::<Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped"))
                });
                let mut response = Response::new(Body::from_stream(stream));
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
                return response;
            }
        }
    }
    let answer = match call {
        Ok(call) => state.engine.handle(call).await,
        Err(RouteError::NoEndpoint) => SoapAnswer::NotFound,
        Err(RouteError::BadEnvelope(message)) => SoapAnswer::Fault(message),
    };
    let (status, body) = answer.render();
    xml_response(status, body)
}

async fn wsdl(State(state): State<SimState>) -> Response {
    xml_response(200, state.wsdl.as_str().to_string())
}

async fn dovuti_xsd(State(state): State<SimState>) -> Response {
    xml_response(200, state.dovuti_xsd.as_str().to_string())
}

#[derive(Deserialize)]
struct LandingQuery {
    id: Option<String>,
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn page(title: &str, main: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="it">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} – MyPay (simulatore)</title></head>
<body>
<header><p>MyPay – Regione del Veneto <strong>(simulatore di test)</strong></p></header>
<main>
<h1>{title}</h1>
{main}
</main>
</body>
</html>
"#
    )
}

async fn landing_page(State(state): State<SimState>, Query(q): Query<LandingQuery>) -> Response {
    let token = q.id.unwrap_or_default();
    let Some(cart) = state.engine.landing_cart(&token) else {
        return (StatusCode::BAD_REQUEST, format!("Id not valid: {token}")).into_response();
    };
    let rows: String = cart
        .lines
        .iter()
        .map(|(iud, causale, amount)| {
            format!("<tr><td>{}</td><td>{}</td><td>€ {}</td></tr>\n", escape(iud), escape(causale), amount)
        })
        .collect();
    let main = format!(
        r#"<p>Pagatore: {} ({})</p>
<table>
<caption>Dovuti nel carrello</caption>
<thead><tr><th scope="col">Identificativo</th><th scope="col">Causale</th><th scope="col">Importo</th></tr></thead>
<tbody>
{rows}</tbody>
<tfoot><tr><th scope="row" colspan="2">Totale</th><td>€ {}</td></tr></tfoot>
</table>
<form method="post" action="/public/landing/inviaDovuti">
<input type="hidden" name="id" value="{}">
<button type="submit" name="azione" value="paga">Paga</button>
<button type="submit" name="azione" value="annulla">Annulla</button>
<button type="submit" name="azione" value="errore" aria-describedby="nota-errore">Simula errore pagoPA</button>
<button type="submit" name="azione" value="abbandona" aria-describedby="nota-abbandona">Abbandona</button>
</form>
<p id="nota-errore">«Simula errore pagoPA» riproduce un errore del nodo pagoPA.</p>
<p id="nota-abbandona">«Abbandona» simula la chiusura della finestra: nessun ritorno al portale.</p>"#,
        escape(&cart.payer_name),
        escape(&cart.payer_id),
        cart.total,
        escape(&token),
    );
    Html(page("Riepilogo del pagamento", &main)).into_response()
}

#[derive(Deserialize)]
struct LandingForm {
    id: String,
    azione: LandingAction,
}

async fn landing_post(State(state): State<SimState>, Form(form): Form<LandingForm>) -> Response {
    match state.engine.landing_action(&form.id, form.azione) {
        LandingResult::Redirect(url) => match HeaderValue::from_str(&url) {
            Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
            Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "invalid return URL").into_response(),
        },
        LandingResult::Page(message) => {
            Html(page("Pagamento", &format!("<p>{}</p>", escape(&message)))).into_response()
        }
        LandingResult::CheckoutError(message) => (
            StatusCode::CONFLICT,
            Html(page("Errore durante il pagamento", &format!(r#"<p role="alert">{}</p>"#, escape(&message)))),
        )
            .into_response(),
        LandingResult::InvalidId(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

async fn admin_reset(State(state): State<SimState>) -> StatusCode {
    state.engine.reset();
    StatusCode::NO_CONTENT
}

async fn admin_faults(State(state): State<SimState>, Json(plan): Json<FaultPlan>) -> Response {
    if let Some(problem) = plan.problem() {
        return (StatusCode::BAD_REQUEST, problem).into_response();
    }
    state.engine.set_fault(Some(plan));
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_clear_faults(State(state): State<SimState>) -> StatusCode {
    state.engine.set_fault(None);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ClockBody {
    advance_seconds: i64,
}

async fn admin_clock(State(state): State<SimState>, Json(body): Json<ClockBody>) -> StatusCode {
    state.engine.advance_clock(body.advance_seconds);
    StatusCode::NO_CONTENT
}

async fn admin_sessions(State(state): State<SimState>) -> Response {
    Json(state.engine.session_views()).into_response()
}

async fn admin_session(State(state): State<SimState>, Path(id): Path<String>) -> Response {
    match state.engine.session_view(&id) {
        Some(view) => Json(view).into_response(),
        None => (StatusCode::NOT_FOUND, format!("unknown idSession {id}")).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct ActionBody {
    receipt_delay_seconds: Option<u64>,
}

async fn admin_session_action(
    State(state): State<SimState>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(action) = AdminAction::parse(&action) else {
        return (StatusCode::NOT_FOUND, format!("unknown action {action}")).into_response();
    };
    let options: ActionBody = if body.is_empty() {
        ActionBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(options) => options,
            Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        }
    };
    match state.engine.admin_action(&id, action, options.receipt_delay_seconds.map(Duration::from_secs)) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err((status, message)) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), message).into_response()
        }
    }
}

#[derive(Deserialize)]
struct NoticeQuery {
    id: Option<String>,
    #[serde(rename = "securityToken")]
    security_token: Option<String>,
}

async fn notice_download(State(state): State<SimState>, Query(q): Query<NoticeQuery>) -> Response {
    match state
        .engine
        .notice_download(q.id.as_deref().unwrap_or_default(), q.security_token.as_deref().unwrap_or_default())
    {
        NoticeAnswer::Pdf { file_name, bytes } => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            let mut response = Response::new(Body::from(bytes));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        // MyPay's NotFoundException is annotated I_AM_A_TEAPOT (docs/mypay-avvisi.md §1.6).
        NoticeAnswer::Gone => (StatusCode::IM_A_TEAPOT, "Dovuto non trovato").into_response(),
        NoticeAnswer::BadToken => (StatusCode::INTERNAL_SERVER_ERROR, "codice sicurezza non valido").into_response(),
    }
}

async fn admin_avvisi(State(state): State<SimState>) -> Response {
    Json(state.engine.avvisi_views()).into_response()
}

#[derive(Deserialize)]
struct IuvGeneratorBody {
    fail_next: u32,
}

async fn admin_iuv_generator(State(state): State<SimState>, Json(body): Json<IuvGeneratorBody>) -> StatusCode {
    state.engine.fail_iuv_generation(body.fail_next);
    StatusCode::NO_CONTENT
}

async fn admin_pay_at_psp(State(state): State<SimState>, Path(iuv): Path<String>) -> Response {
    match state.engine.pay_at_psp(&iuv) {
        Ok(payment) => Json(payment).into_response(),
        Err((status, message)) => {
            (StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT), message).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn flags_override_env_and_defaults_match_the_portal() {
        let args: Vec<String> =
            ["--mode", "checkout", "--tipi-dovuto", "A,!B", "--ente-inactive"].iter().map(|s| s.to_string()).collect();
        let config = SimulatorConfig::from_args_and_env(
            &args,
            &env(&[("MYPAY_SIM_MODE", "legacy"), ("MYPAY_SIM_COD_IPA", "X_ENTE")]),
        )
        .unwrap();
        assert_eq!(config.mode, Mode::Checkout);
        assert_eq!(config.ente.cod_ipa, "X_ENTE");
        assert!(!config.ente.active);
        assert_eq!(config.tipi_dovuto, vec![TipoDovuto::new("A", true), TipoDovuto::new("B", false)]);
        let defaults = SimulatorConfig::from_args_and_env(&[], &env(&[])).unwrap();
        assert_eq!(defaults.mode, Mode::Legacy);
        assert_eq!(defaults.ente.fiscal_code, "80007580279");
        assert_eq!(defaults.tipi_dovuto[0].code, "ECM_QUOTA_ANNUALE");
        assert_eq!(defaults.tipi_dovuto[1].code, "ECM_CONTRIBUTO_EVENTO");
    }

    #[test]
    fn unknown_flags_and_variables_are_refused() {
        let err = SimulatorConfig::from_args_and_env(&["--bogus".to_string()], &env(&[])).unwrap_err();
        assert!(err.starts_with("unknown option --bogus"), "{err}");
        let err = SimulatorConfig::from_args_and_env(&[], &env(&[("MYPAY_SIM_FOO", "1")])).unwrap_err();
        assert!(err.starts_with("unknown variable MYPAY_SIM_FOO"), "{err}");
        assert!(SimulatorConfig::from_args_and_env(&["--mode".to_string(), "other".to_string()], &env(&[])).is_err());
    }
}
