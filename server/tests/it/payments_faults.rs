//! The fault matrix, end to end over HTTP against the real MyPay simulator, in both MyPay modes
//! and on both databases: every simulator fault (timeout, HTTP 500, SOAP Fault, malformed XML,
//! dropped connection, slow answer) and every `PAA_*` code MyPay can answer to
//! `paaSILInviaDovuti` and `paaSILChiediPagati` (docs/mypay.md §4.3, §6.2, §10), injected while
//! a provider pays ("Paga con pagoPA") or while the portal verifies (the return page and a
//! reconciler pass). For each row: what the user gets, the attempt and debt states (never paid
//! without a matching `Pagati`), and the recovery once the fault is gone (a reconciler pass
//! brings the attempt to its true final state by itself).
//!
//! The rows are the tables [`SEND_ROWS`] / [`send_paa_rows`] (`paaSILInviaDovuti`),
//! [`CHECK_ROWS`] / [`check_paa_rows`] (`paaSILChiediPagati`), [`RECEIPT_ROWS`]
//! (`paaSILChiediPagatiConRicevuta`) and [`ANOMALY_ROWS`] (what goes to the Segreteria);
//! `without_javascript` checks the same outcomes through plain form posts and server-rendered
//! pages. README "Reconciler" → "Fault matrix" lists them. Rows run one after another on one
//! provider (one debt each; a refused or given-back debt is reused), so a pass only sees the
//! row's own attempt.

use crate::support;

use std::time::Duration;

use app::db::{new_id, Db};
use app::error::AppError;
use app::payments::model::ReconcilerConfig;
use app::payments::reconciler::run_pass;
use mypay_simulator::Mode;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use support::{attempt_state, everything_due, has_receipt, json_of, row, Backend, TestApp, TestSim};

/// The background loop waits an hour between passes; the client gives MyPay one second.
const SETTINGS: [(&str, &str); 2] = [("ECM_RECONCILER_INTERVAL_SECONDS", "3600"), ("ECM_MYPAY_TIMEOUT_SECONDS", "1")];
/// Longer than the client's timeout.
const TIMEOUT_MS: u64 = 1600;
/// Slower than usual, well within the timeout.
const SLOW_MS: u64 = 350;
const CF: &str = "80007580279";

// ---- the matrix -----------------------------------------------------------------------------------

/// A simulator fault plan (`POST /admin/faults`), built when the row runs.
type Plan = fn() -> Value;

/// What "Paga con pagoPA" must answer, and what becomes of the attempt.
#[derive(Debug, Clone)]
enum PayExpect {
    /// HTTP 200, redirect to MyPay: the cart is live (INVIATA, debts IN_CORSO); the citizen pays
    /// and a pass records it.
    Redirect,
    /// HTTP 200 "stiamo verificando": the cart may exist in MyPay. CREATA, debts IN_CORSO; a pass
    /// asks MyPay by IUD and gives the debts back once MyPay's cart cache has expired.
    Verifying,
    /// The error the user sees: nothing was created, attempt ERRORE, debts DA_PAGARE at once.
    Refused(AppError),
}

struct SendRow {
    name: &'static str,
    /// The simulator's fault plan for the `paaSILInviaDovuti` call.
    plan: Plan,
    expect: PayExpect,
}

/// Faults at `paaSILInviaDovuti` other than MyPay's business codes.
const SEND_ROWS: [SendRow; 6] = [
    SendRow {
        name: "timeout",
        plan: || json!({ "kind": "delay", "delay_ms": TIMEOUT_MS }),
        expect: PayExpect::Verifying,
    },
    SendRow { name: "HTTP 500", plan: || json!({ "kind": "http500" }), expect: PayExpect::Verifying },
    SendRow { name: "SOAP Fault", plan: || json!({ "kind": "soap_fault" }), expect: PayExpect::Verifying },
    SendRow { name: "malformed XML", plan: || json!({ "kind": "malformed_xml" }), expect: PayExpect::Verifying },
    SendRow { name: "dropped connection", plan: || json!({ "kind": "drop_connection" }), expect: PayExpect::Verifying },
    SendRow {
        name: "slow answer",
        plan: || json!({ "kind": "delay", "delay_ms": SLOW_MS }),
        expect: PayExpect::Redirect,
    },
];

/// Every code MyPay can answer to `paaSILInviaDovuti` (docs/mypay.md §10): `esito=KO`, no cart.
const INVIA_DOVUTI_CODES: [&str; 18] = [
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
];

/// Each `PAA_*` code at `paaSILInviaDovuti`: refused, "MyPay non ha accettato il carrello".
fn send_paa_rows() -> Vec<(&'static str, PayExpect)> {
    INVIA_DOVUTI_CODES.iter().map(|code| (*code, PayExpect::Refused(AppError::PaymentRejected))).collect()
}

/// What verification (return page, then a reconciler pass) must leave, with the fault still on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckExpect {
    /// Still open, waiting (IN_ATTESA, debts IN_CORSO): asked again later.
    Waiting,
    /// Closed with the debts given back (the state as the return page shows it); a late receipt
    /// still pays them.
    Closed(&'static str),
    /// The citizen had paid and the slow answer arrived in time: PAGATA.
    Paid,
}

/// One fault of `paaSILChiediPagati` per row: its name, the simulator's fault plan (until
/// cleared) and what verification must leave. The citizen has paid before the verification.
const CHECK_ROWS: [(&str, Plan, CheckExpect); 6] = [
    ("timeout", || json!({ "kind": "delay", "delay_ms": TIMEOUT_MS }), CheckExpect::Waiting),
    ("HTTP 500", || json!({ "kind": "http500" }), CheckExpect::Waiting),
    ("SOAP Fault", || json!({ "kind": "soap_fault" }), CheckExpect::Waiting),
    ("malformed XML", || json!({ "kind": "malformed_xml" }), CheckExpect::Waiting),
    ("dropped connection", || json!({ "kind": "drop_connection" }), CheckExpect::Waiting),
    ("slow answer", || json!({ "kind": "delay", "delay_ms": SLOW_MS }), CheckExpect::Paid),
];

/// Every code MyPay can answer to `paaSILChiediPagati` (docs/mypay.md §6.2, §8 decision table),
/// injected while the cart is in fact still open (the citizen pays only after the fault).
fn check_paa_rows() -> Vec<(&'static str, CheckExpect)> {
    vec![
        // Configuration problem: alert, do not change the attempt.
        ("PAA_ENTE_NON_VALIDO", CheckExpect::Waiting),
        // Younger than 70 minutes: MyPay may not know it yet.
        ("PAA_ID_SESSION_NON_VALIDO", CheckExpect::Waiting),
        ("PAA_PAGAMENTO_NON_INIZIATO", CheckExpect::Waiting),
        ("PAA_PAGAMENTO_IN_CORSO", CheckExpect::Waiting),
        ("PAA_PAGAMENTO_ANNULLATO", CheckExpect::Closed("Annullata")),
        ("PAA_PAGAMENTO_SCADUTO", CheckExpect::Closed("Scaduta")),
        // Unknown outcome: retry (ANOMALIA only after 24 hours without a usable answer).
        ("PAA_SYSTEM_ERROR", CheckExpect::Waiting),
    ]
}

// ---- helpers -------------------------------------------------------------------------------------

async fn debt_state(db: &Db, debt_id: &str) -> String {
    row(db, "SELECT state FROM debts WHERE id = $1", debt_id).await.try_get("state").unwrap()
}

async fn paid_debts(db: &Db) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM debts WHERE state = 'PAGATO'")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// The attempt was created two hours ago (MyPay's cart cache has expired since).
async fn age_two_hours(db: &Db, attempt_id: &str) {
    let then = app::db::format_utc(time::OffsetDateTime::now_utc() - time::Duration::hours(2));
    sqlx::query("UPDATE payment_attempts SET created_at = $1 WHERE id = $2")
        .bind(&then)
        .bind(attempt_id)
        .execute(db.pool())
        .await
        .unwrap();
}

async fn clear_faults(sim: &TestSim) {
    let status = sim.http.delete(format!("{}/admin/faults", sim.base)).send().await.unwrap().status();
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// `plan` limited to `operation`.
fn only(operation: &str, mut plan: Value) -> Value {
    plan["operation"] = json!(operation);
    plan
}

/// "Paga con pagoPA" for one debt with a fresh idempotency key.
async fn pay(app: &TestApp, client: &reqwest::Client, debt: &str) -> (StatusCode, Value) {
    let key = new_id();
    json_of(
        app.call(
            client,
            "payments/pay",
            &[("idempotency_key", key.as_str()), ("debts", debt), ("payer_email", "tesoreria@example.it")],
        )
        .await,
    )
    .await
}

/// Every attempt that ever claimed `debt`.
async fn attempts_of(db: &Db, debt: &str) -> Vec<String> {
    sqlx::query("SELECT attempt_id FROM attempt_debts WHERE debt_id = $1")
        .bind(debt)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("attempt_id").unwrap())
        .collect()
}

async fn id_session_of(db: &Db, attempt_id: &str) -> String {
    row(db, "SELECT id_session FROM payment_attempts WHERE id = $1", attempt_id).await.try_get("id_session").unwrap()
}

/// The citizen pays the cart on the (simulated) pagoPA page.
async fn citizen_pays(sim: &TestSim, id_session: &str) {
    sim.act(id_session, "pay").await;
}

/// A Gruppo B provider with every document, and `n` per-event debts besides the annual fee.
async fn provider_with_debts(app: &TestApp, n: usize) -> (reqwest::Client, Vec<String>) {
    let client = support::provider_with_draft(
        app,
        "tesoreria@provider.it",
        "Società Veneta di Formazione",
        CF,
        "SOCIETA_SCIENTIFICA",
    )
    .await;
    support::upload_required_documents(app, &client).await;
    let (status, _) = json_of(app.call(&client, "payments/page", &[]).await).await; // creates the annual fee
    assert_eq!(status, StatusCode::OK);
    support::event_debts(app, CF, n).await;
    let (status, page) = json_of(app.call(&client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let debts: Vec<String> = page["carts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_array().unwrap().clone())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(debts.len(), n + 1);
    (client, debts)
}

/// One reconciler pass (as the background loop runs it), returning how many attempts it checked.
async fn pass(app: &TestApp) -> usize {
    let config = ReconcilerConfig { rate_per_second: 200, ..app.state.reconciler.clone() };
    run_pass(&app.state.db, app.state.payments.clone().unwrap(), &config, "faults-test").await.unwrap().checked
}

// ---- "Paga con pagoPA" under faults at paaSILInviaDovuti ---------------------------------------------

/// One row at `paaSILInviaDovuti` on `debt` (DA_PAGARE); returns with the debt DA_PAGARE again,
/// or PAGATO (the row's recovery paid it).
async fn send_row(
    app: &TestApp,
    sim: &TestSim,
    client: &reqwest::Client,
    debt: &str,
    name: &str,
    plan: Value,
    expect: &PayExpect,
) -> bool {
    let db = &app.state.db;
    let ctx = format!("InviaDovuti / {name}");
    let sessions_before = sim.sessions().await.len();
    let paid_before = paid_debts(db).await;
    sim.fault(only("paaSILInviaDovuti", plan)).await;

    // 1. What the user gets.
    let earlier = attempts_of(db, debt).await;
    let (status, answer) = pay(app, client, debt).await;
    let new: Vec<String> = attempts_of(db, debt).await.into_iter().filter(|a| !earlier.contains(a)).collect();
    assert_eq!(new.len(), 1, "{ctx}: one attempt per click");
    let attempt = new[0].clone();
    match expect {
        PayExpect::Redirect => {
            assert_eq!(status, StatusCode::OK, "{ctx}: {answer}");
            assert!(answer["Redirect"]["url"].as_str().is_some_and(|u| u.starts_with(&sim.base)), "{ctx}: {answer}");
            assert_eq!(attempt_state(db, &attempt).await, "INVIATA", "{ctx}");
            assert_eq!(debt_state(db, debt).await, "IN_CORSO", "{ctx}");
            assert_eq!(sim.sessions().await.len(), sessions_before + 1, "{ctx}: one cart");
        }
        PayExpect::Verifying => {
            assert_eq!(status, StatusCode::OK, "{ctx}: {answer}");
            assert_eq!(answer["Verifying"]["attempt_id"].as_str(), Some(attempt.as_str()), "{ctx}: {answer}");
            assert_eq!(attempt_state(db, &attempt).await, "CREATA", "{ctx}");
            assert_eq!(debt_state(db, debt).await, "IN_CORSO", "{ctx}: kept while the cart may exist");
            let last: String = row(db, "SELECT last_outcome FROM payment_attempts WHERE id = $1", &attempt)
                .await
                .try_get("last_outcome")
                .unwrap();
            assert_eq!(last, "send_unknown", "{ctx}");
        }
        PayExpect::Refused(error) => {
            assert_eq!(status.as_u16(), error.status(), "{ctx}: {answer}");
            assert_eq!(answer["code"].as_str(), Some(error.code()), "{ctx}: {answer}");
            let message = error.message_it();
            assert!(message.contains("nessun importo è stato addebitato"), "{ctx}: {message}");
            assert_eq!(attempt_state(db, &attempt).await, "ERRORE", "{ctx}");
            assert_eq!(debt_state(db, debt).await, "DA_PAGARE", "{ctx}: given back at once");
            assert_eq!(sim.sessions().await.len(), sessions_before, "{ctx}: MyPay created no cart");
        }
    }
    assert_eq!(paid_debts(db).await, paid_before, "{ctx}: nothing paid");

    // 2. A reconciler pass (the fault hits only paaSILInviaDovuti: MyPay answers the pass).
    everything_due(db).await;
    pass(app).await;
    let after_pass = attempt_state(db, &attempt).await;
    match expect {
        PayExpect::Redirect => assert_eq!(after_pass, "IN_ATTESA", "{ctx}: not paid yet, waiting"),
        PayExpect::Verifying => assert_eq!(after_pass, "CREATA", "{ctx}: young, MyPay may still hand it out"),
        PayExpect::Refused(_) => assert_eq!(after_pass, "ERRORE", "{ctx}"),
    }
    assert_eq!(paid_debts(db).await, paid_before, "{ctx}: nothing paid");

    // 3. Recovery: the attempt reaches its true final state by itself.
    clear_faults(sim).await;
    match expect {
        PayExpect::Redirect => {
            citizen_pays(sim, &id_session_of(db, &attempt).await).await;
            everything_due(db).await;
            pass(app).await;
            assert_eq!(attempt_state(db, &attempt).await, "PAGATA", "{ctx}");
            assert_eq!(debt_state(db, debt).await, "PAGATO", "{ctx}");
            assert!(has_receipt(db, &attempt).await, "{ctx}: receipt stored");
            true
        }
        PayExpect::Verifying => {
            // Nobody got the cart's URL: once MyPay's cache has expired the debts come back.
            age_two_hours(db, &attempt).await;
            everything_due(db).await;
            pass(app).await;
            assert_eq!(attempt_state(db, &attempt).await, "SCADUTA", "{ctx}");
            assert_eq!(debt_state(db, debt).await, "DA_PAGARE", "{ctx}: the provider can pay again");
            false
        }
        PayExpect::Refused(_) => false,
    }
}

// ---- verification under faults at paaSILChiediPagati ----------------------------------------------

async fn verify(app: &TestApp, client: &reqwest::Client, id_session: &str) -> (StatusCode, Value) {
    json_of(app.call(client, "payments/verify", &[("id_session", id_session), ("esito", "OK")]).await).await
}

/// "Paga con pagoPA" on `debt`, which must open a cart in MyPay: its attempt and idSession.
async fn live_cart(app: &TestApp, client: &reqwest::Client, debt: &str, ctx: &str) -> (String, String) {
    let (status, answer) = pay(app, client, debt).await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {answer}");
    let attempt = answer["Redirect"]["attempt_id"].as_str().expect("a live cart").to_string();
    let id_session = id_session_of(&app.state.db, &attempt).await;
    (attempt, id_session)
}

/// One row at `paaSILChiediPagati` on `debt` (DA_PAGARE), ending with the debt PAGATO.
#[allow(clippy::too_many_arguments)]
async fn check_row(
    app: &TestApp,
    sim: &TestSim,
    client: &reqwest::Client,
    debt: &str,
    name: &str,
    plan: Value,
    paid_first: bool,
    expect: CheckExpect,
) {
    let db = &app.state.db;
    let ctx = format!("ChiediPagati / {name}");
    let (attempt, id_session) = live_cart(app, client, debt, &ctx).await;
    if paid_first {
        citizen_pays(sim, &id_session).await;
    }
    let paid_before = paid_debts(db).await;
    sim.fault(only("paaSILChiediPagati", plan)).await;

    // 2a. The return page (esito=OK from the browser, never trusted).
    let (status, view) = verify(app, client, &id_session).await;
    assert_eq!(status, StatusCode::OK, "{ctx}: the return page answers: {view}");
    let (state, debt_view, db_state, db_debt) = match expect {
        CheckExpect::Waiting => ("InAttesa", "InCorso", "IN_ATTESA", "IN_CORSO"),
        CheckExpect::Closed(state) => (state, "DaPagare", "", "DA_PAGARE"),
        CheckExpect::Paid => ("Pagata", "Pagato", "PAGATA", "PAGATO"),
    };
    assert_eq!(view["state"].as_str(), Some(state), "{ctx}: {view}");
    assert_eq!(view["debts"][0]["debt_state"].as_str(), Some(debt_view), "{ctx}: {view}");
    if expect != CheckExpect::Paid {
        assert_eq!(paid_debts(db).await, paid_before, "{ctx}: never paid without a matching Pagati");
    }

    // 2b. A reconciler pass with the fault still on: the same clear state.
    let state_before_pass = attempt_state(db, &attempt).await;
    if !db_state.is_empty() {
        assert_eq!(state_before_pass, db_state, "{ctx}");
    }
    everything_due(db).await;
    assert!(pass(app).await >= usize::from(expect != CheckExpect::Paid), "{ctx}: the attempt was asked about");
    assert_eq!(attempt_state(db, &attempt).await, state_before_pass, "{ctx}: the pass changes nothing under the fault");
    assert_eq!(debt_state(db, debt).await, db_debt, "{ctx}");
    if expect != CheckExpect::Paid {
        assert_eq!(paid_debts(db).await, paid_before, "{ctx}: never paid without a matching Pagati");
    }

    // 3. Recovery: fault gone, the citizen pays (if not yet): a pass records the payment, also
    //    for an attempt closed meanwhile (a late receipt pays debts still due).
    clear_faults(sim).await;
    if !paid_first {
        citizen_pays(sim, &id_session).await;
    }
    everything_due(db).await;
    pass(app).await;
    assert_eq!(attempt_state(db, &attempt).await, "PAGATA", "{ctx}");
    assert_eq!(debt_state(db, debt).await, "PAGATO", "{ctx}");
    assert!(has_receipt(db, &attempt).await, "{ctx}: receipt stored");
    let paid_events: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM payment_events WHERE attempt_id = $1 AND to_state = 'PAGATA'")
            .bind(&attempt)
            .fetch_one(db.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
    assert_eq!(paid_events, 1, "{ctx}: recorded once");
}

// ---- the receipt under faults at paaSILChiediPagatiConRicevuta ------------------------------------

/// Faults while fetching the RT of a verified payment: PAGATA stays (Pagati proved it), the
/// receipt follows on a later pass.
const RECEIPT_ROWS: [(&str, Plan); 3] = [
    ("HTTP 500", || json!({ "kind": "http500" })),
    ("timeout", || json!({ "kind": "delay", "delay_ms": TIMEOUT_MS })),
    ("PAA_SYSTEM_ERROR", || json!({ "kind": "paa_fault", "code": "PAA_SYSTEM_ERROR" })),
];

async fn receipt_row(app: &TestApp, sim: &TestSim, client: &reqwest::Client, debt: &str, name: &str, plan: Value) {
    let db = &app.state.db;
    let ctx = format!("ChiediPagatiConRicevuta / {name}");
    let (attempt, id_session) = live_cart(app, client, debt, &ctx).await;
    citizen_pays(sim, &id_session).await;
    sim.fault(only("paaSILChiediPagatiConRicevuta", plan)).await;
    let (status, view) = verify(app, client, &id_session).await;
    assert_eq!(status, StatusCode::OK, "{ctx}: {view}");
    assert_eq!(
        (view["state"].as_str(), view["receipt_available"].as_bool()),
        (Some("Pagata"), Some(false)),
        "{ctx}: {view}"
    );
    assert_eq!(debt_state(db, debt).await, "PAGATO", "{ctx}");
    everything_due(db).await;
    assert_eq!(pass(app).await, 1, "{ctx}: a paid attempt without receipt is due");
    assert!(!has_receipt(db, &attempt).await, "{ctx}");
    clear_faults(sim).await;
    everything_due(db).await;
    pass(app).await;
    assert!(has_receipt(db, &attempt).await, "{ctx}: the receipt follows");
    assert_eq!(attempt_state(db, &attempt).await, "PAGATA", "{ctx}");
}

// ---- answers that make an ANOMALIA for the Segreteria ----------------------------------------------------

/// Rows where the decision table hands the attempt to the Segreteria: no usable answer for longer
/// than allowed (24 hours; zero here), or a session MyPay does not know long after its creation.
/// The debts stay IN_CORSO; after the fault the Segreteria's "Verifica ora" resolves it.
const ANOMALY_ROWS: [(&str, Plan, bool); 4] = [
    ("HTTP 500 for too long", || json!({ "kind": "http500" }), false),
    ("PAA_SYSTEM_ERROR for too long", || json!({ "kind": "paa_fault", "code": "PAA_SYSTEM_ERROR" }), false),
    ("PAA_ENTE_NON_VALIDO for too long", || json!({ "kind": "paa_fault", "code": "PAA_ENTE_NON_VALIDO" }), false),
    (
        "PAA_ID_SESSION_NON_VALIDO after 70 minutes",
        || json!({ "kind": "paa_fault", "code": "PAA_ID_SESSION_NON_VALIDO" }),
        true,
    ),
];

#[allow(clippy::too_many_arguments)]
async fn anomaly_row(
    app: &TestApp,
    sim: &TestSim,
    client: &reqwest::Client,
    segreteria: &reqwest::Client,
    debt: &str,
    name: &str,
    plan: Value,
    old: bool,
) {
    let db = &app.state.db;
    let ctx = format!("ChiediPagati / {name}");
    let (attempt, id_session) = live_cart(app, client, debt, &ctx).await;
    if old {
        age_two_hours(db, &attempt).await;
    }
    sim.fault(only("paaSILChiediPagati", plan)).await;
    let impatient =
        ReconcilerConfig { rate_per_second: 200, fault_anomaly_after: Duration::ZERO, ..app.state.reconciler.clone() };
    everything_due(db).await;
    run_pass(db, app.state.payments.clone().unwrap(), &impatient, "faults-test").await.unwrap();
    assert_eq!(attempt_state(db, &attempt).await, "ANOMALIA", "{ctx}");
    assert_eq!(debt_state(db, debt).await, "IN_CORSO", "{ctx}: no second payment while the Segreteria checks");
    let (status, view) = verify(app, client, &id_session).await;
    assert_eq!(
        (status, view["state"].as_str()),
        (StatusCode::OK, Some("Anomalia")),
        "{ctx}: the return page says so: {view}"
    );

    // Fault gone, the citizen had paid: the Segreteria's re-check records the payment.
    clear_faults(sim).await;
    citizen_pays(sim, &id_session).await;
    everything_due(db).await;
    pass(app).await;
    assert_eq!(
        attempt_state(db, &attempt).await,
        "ANOMALIA",
        "{ctx}: the reconciler leaves anomalies to the Segreteria"
    );
    let (status, report) =
        json_of(app.call(segreteria, "segreteria/payment_verify", &[("id", attempt.as_str())]).await).await;
    assert_eq!((status, report["state"].as_str()), (StatusCode::OK, Some("Pagata")), "{ctx}: {report}");
    assert_eq!(debt_state(db, debt).await, "PAGATO", "{ctx}");
    assert!(has_receipt(db, &attempt).await, "{ctx}");
}

// ---- the scenarios ---------------------------------------------------------------------------------

async fn matrix(backend: Backend, mode: Mode) {
    let Some((app, sim)) = TestApp::spawn_with_mypay_mode(backend, mode, &SETTINGS).await else { return };
    let checks = CHECK_ROWS.len() + check_paa_rows().len() + RECEIPT_ROWS.len() + ANOMALY_ROWS.len();
    let (client, debts) = provider_with_debts(&app, checks + 1).await;
    let mut debts = debts.into_iter();
    let started = std::time::Instant::now();

    // paaSILInviaDovuti: one debt goes through every row until a row's recovery pays it.
    let mut send_debt = debts.next().unwrap();
    let rows: Vec<(&str, Value, PayExpect)> = send_paa_rows()
        .into_iter()
        .map(|(code, expect)| (code, json!({ "kind": "paa_fault", "code": code }), expect))
        .chain(SEND_ROWS.iter().map(|r| (r.name, (r.plan)(), r.expect.clone())))
        .collect();
    for (name, plan, expect) in rows {
        if send_row(&app, &sim, &client, &send_debt, name, plan, &expect).await {
            send_debt = debts.next().unwrap();
        }
    }

    // paaSILChiediPagati: one debt per row, each ends paid.
    for (name, plan, expect) in CHECK_ROWS {
        check_row(&app, &sim, &client, &debts.next().unwrap(), name, plan(), true, expect).await;
    }
    for (code, expect) in check_paa_rows() {
        let plan = json!({ "kind": "paa_fault", "code": code });
        check_row(&app, &sim, &client, &debts.next().unwrap(), code, plan, false, expect).await;
    }
    for (name, plan) in &RECEIPT_ROWS {
        receipt_row(&app, &sim, &client, &debts.next().unwrap(), name, plan()).await;
    }
    let segreteria = app.client();
    assert!(app.login(&segreteria, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    for (name, plan, old) in &ANOMALY_ROWS {
        anomaly_row(&app, &sim, &client, &segreteria, &debts.next().unwrap(), name, plan(), *old).await;
    }
    assert!(debts.next().is_none(), "every debt was used");
    eprintln!("{mode:?} fault matrix on {backend:?}: {:?}", started.elapsed());
    sim.stop();
    app.stop().await;
}

async fn legacy(backend: Backend) {
    matrix(backend, Mode::Legacy).await;
}
both_backends!(the_fault_matrix_in_legacy_mode, legacy);

async fn checkout(backend: Backend) {
    matrix(backend, Mode::Checkout).await;
}
both_backends!(the_fault_matrix_in_checkout_mode, checkout);

// ---- the same faults without JavaScript -----------------------------------------------------------------

/// "Paga con pagoPA" posted by a browser without JavaScript (native form, accepts HTML).
async fn pay_without_javascript(app: &TestApp, client: &reqwest::Client, debt: &str) -> String {
    let key = new_id();
    let form = [("idempotency_key", key.as_str()), ("debts", debt), ("payer_email", "tesoreria@example.it")];
    app.post_plain_form(client, "payments/pay", "/area/pagamento", &form).await
}

async fn page(app: &TestApp, client: &reqwest::Client, location: &str) -> String {
    let url = if location.starts_with("http") { location.to_string() } else { app.url(location) };
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{location}");
    response.text().await.unwrap()
}

/// A debt of the provider other than `but`, still to pay.
async fn debts_of_another_cart(app: &TestApp, client: &reqwest::Client, but: &str) -> String {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["carts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_array().unwrap().clone())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .find(|d| d != but)
        .expect("another debt")
}

async fn without_javascript(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &SETTINGS).await else { return };
    let db = &app.state.db;
    let (client, debts) = provider_with_debts(&app, 1).await;
    let debt = &debts[0];

    // MyPay refuses the cart: back to the cart page with the Italian message, the debt payable.
    sim.fault(json!({ "kind": "paa_fault", "code": "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO", "operation": "paaSILInviaDovuti" })).await;
    let location = pay_without_javascript(&app, &client, debt).await;
    assert!(location.starts_with(&app.url("/area/pagamento?")) && location.contains("__err="), "{location}");
    let html = page(&app, &client, &location).await;
    assert!(html.contains(&AppError::PaymentRejected.message_it()), "the cart page shows why: {html}");
    assert!(html.contains(debt.as_str()), "the debt can be paid again");
    assert!(!html.contains("pagamento-in-corso"));
    assert_eq!(debt_state(db, debt).await, "DA_PAGARE");

    // No answer from MyPay: on to the payments list, the attempt "In verifica", nothing paid.
    sim.fault(json!({ "kind": "http500", "operation": "paaSILInviaDovuti" })).await;
    let location = pay_without_javascript(&app, &client, debt).await;
    assert!(location.ends_with("/area/pagamenti"), "{location}");
    let html = page(&app, &client, &location).await;
    assert!(html.contains(r#"data-stato="CREATA""#) && html.contains("In verifica"), "{html}");
    let html = page(&app, &client, "/area/pagamento").await;
    assert!(html.contains("pagamento-in-corso"), "the cart page says a payment is being verified: {html}");
    assert_eq!(debt_state(db, debt).await, "IN_CORSO");
    assert_eq!(paid_debts(db).await, 0);
    clear_faults(&sim).await;

    // The return page while MyPay cannot answer ChiediPagati: "in corso", never "verificato";
    // once MyPay answers, the same page shows the verified payment.
    let other = &debts_of_another_cart(&app, &client, debt).await;
    let (status, answer) = pay(&app, &client, other).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let id_session = id_session_of(db, answer["Redirect"]["attempt_id"].as_str().unwrap()).await;
    citizen_pays(&sim, &id_session).await;
    sim.fault(json!({ "kind": "soap_fault", "operation": "paaSILChiediPagati" })).await;
    let back = format!("/pagamenti/ritorno?idSession={id_session}&esito=OK");
    let html = page(&app, &client, &back).await;
    assert!(html.contains("Verifica del pagamento in corso") && !html.contains("Pagamento verificato"), "{html}");
    clear_faults(&sim).await;
    let html = page(&app, &client, &back).await;
    assert!(html.contains("Pagamento verificato"), "{html}");
    assert_eq!(debt_state(db, other).await, "PAGATO");
    sim.stop();
    app.stop().await;
}
both_backends!(without_javascript_the_provider_sees_the_same_outcomes, without_javascript);

// ---- the simulator's fault knob ------------------------------------------------------------------------

#[tokio::test]
async fn the_simulator_refuses_fault_plans_it_cannot_apply() {
    let sim = TestSim::start().await;
    for plan in [
        json!({ "kind": "paa_fault" }),
        json!({ "kind": "paa_fault", "code": "PAA_INVENTATO" }),
        json!({ "kind": "http500", "code": "PAA_SYSTEM_ERROR" }),
        json!({ "kind": "http500", "operation": "paaSILAltro" }),
    ] {
        let status = sim.http.post(format!("{}/admin/faults", sim.base)).json(&plan).send().await.unwrap().status();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{plan}");
    }
    sim.stop();
}
