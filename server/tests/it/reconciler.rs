//! The payment reconciler against the real MyPay simulator over HTTP, on both databases:
//! leases (two claimers, expired claims), two instances sharing one database, late receipts
//! (Checkout mode), sends without an answer resolved by IUD, and the Segreteria's re-check of
//! an anomaly.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use app::db::{new_id, now_utc, Db};
use app::payments::gateway::{CartLine, CartPayer, CartRequest, PaymentGateway};
use app::payments::model::ReconcilerConfig;
use app::payments::model::{FeeKind, PayerType};
use app::payments::reconciler::{claim_due, release_claim, run_pass};
use mypay_simulator::Mode;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use support::{attempt_state, everything_due, fiscal_code, has_receipt, json_of, row, Backend, TestApp, TestSim};

/// The background loop waits an hour between passes: the tests run the passes themselves.
const QUIET: (&str, &str) = ("ECM_RECONCILER_INTERVAL_SECONDS", "3600");

async fn provider(app: &TestApp, email: &str, cf: &str) -> reqwest::Client {
    let client =
        support::provider_with_draft(app, email, "Società Veneta di Formazione", cf, "SOCIETA_SCIENTIFICA").await;
    support::upload_required_documents(app, &client).await;
    client
}

/// The provider's debts to pay (loads the cart page, which also creates the annual fee).
async fn due_debts(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["carts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_array().unwrap().clone())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

async fn pay(app: &TestApp, client: &reqwest::Client, debts: &str) -> Value {
    let key = new_id();
    let (status, answer) = json_of(
        app.call(
            client,
            "payments/pay",
            &[("idempotency_key", key.as_str()), ("debts", debts), ("payer_email", "tesoreria@example.it")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// Pays `debts` and returns (attempt id, idSession).
async fn pay_to_session(app: &TestApp, client: &reqwest::Client, debts: &str) -> (String, String) {
    let answer = pay(app, client, debts).await;
    let attempt_id = answer["Redirect"]["attempt_id"].as_str().expect("a redirect").to_string();
    let id_session: String = row(&app.state.db, "SELECT id_session FROM payment_attempts WHERE id = $1", &attempt_id)
        .await
        .try_get("id_session")
        .unwrap();
    (attempt_id, id_session)
}

async fn debt_states_of(db: &Db, attempt_id: &str) -> Vec<String> {
    sqlx::query(
        "SELECT d.state FROM attempt_debts ad JOIN debts d ON d.id = ad.debt_id WHERE ad.attempt_id = $1 ORDER BY d.id",
    )
    .bind(attempt_id)
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("state").unwrap())
    .collect()
}

/// How many times the attempt was recorded entering `to_state`.
async fn events_to(db: &Db, attempt_id: &str, to_state: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM payment_events WHERE attempt_id = $1 AND to_state = $2")
        .bind(attempt_id)
        .bind(to_state)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn session(sim: &TestSim, id_session: &str) -> Value {
    sim.http.get(format!("{}/admin/sessions/{id_session}", sim.base)).send().await.unwrap().json().await.unwrap()
}

async fn sim_post(sim: &TestSim, path: &str, body: Value) {
    let status = sim.http.post(format!("{}{path}", sim.base)).json(&body).send().await.unwrap().status();
    assert_eq!(status, StatusCode::NO_CONTENT, "{path}");
}

fn test_config() -> ReconcilerConfig {
    ReconcilerConfig { rate_per_second: 200, ..ReconcilerConfig::default() }
}

// ---- leases -------------------------------------------------------------------------------------

async fn leases(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let owner = provider(&app, "b@provider.it", "80007580279").await;
    let debts = due_debts(&app, &owner).await;
    let (attempt_id, _) = pay_to_session(&app, &owner, &debts[0]).await;
    let config = ReconcilerConfig { lease: Duration::from_secs(60), ..test_config() };

    // Two claimers at once, many times: exactly one wins each time.
    for round in 0..8 {
        let due = now_utc();
        let (a, b) =
            tokio::join!(claim_due(db, "instance-a", &config, &due, 5), claim_due(db, "instance-b", &config, &due, 5));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len() + b.len(), 1, "round {round}: one winner ({a:?}, {b:?})");
        let winner = if a.is_empty() { "instance-b" } else { "instance-a" };
        let loser = if a.is_empty() { "instance-a" } else { "instance-b" };
        assert_eq!(a.iter().chain(b.iter()).next().unwrap(), &attempt_id);
        // While the claim holds, nobody else gets it, and only its owner can give it back.
        assert!(claim_due(db, loser, &config, &now_utc(), 5).await.unwrap().is_empty());
        assert!(!release_claim(db, &attempt_id, loser, None).await.unwrap());
        assert!(release_claim(db, &attempt_id, winner, None).await.unwrap());
    }

    // A claim of a crashed instance expires and is taken over; the old owner cannot release it.
    let short = ReconcilerConfig { lease: Duration::from_millis(500), ..config.clone() };
    assert_eq!(claim_due(db, "crashed", &short, &now_utc(), 5).await.unwrap(), vec![attempt_id.clone()]);
    assert!(claim_due(db, "instance-b", &config, &now_utc(), 5).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(claim_due(db, "instance-b", &config, &now_utc(), 5).await.unwrap(), vec![attempt_id.clone()]);
    assert!(!release_claim(db, &attempt_id, "crashed", None).await.unwrap());
    let holder: String = row(db, "SELECT lease_owner FROM payment_attempts WHERE id = $1", &attempt_id)
        .await
        .try_get("lease_owner")
        .unwrap();
    assert_eq!(holder, "instance-b");

    // Released with a next check in the future: not due before then.
    let later = app::db::format_utc(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    assert!(release_claim(db, &attempt_id, "instance-b", Some(&later)).await.unwrap());
    assert!(claim_due(db, "instance-a", &config, &now_utc(), 5).await.unwrap().is_empty());
    sim.stop();
    app.stop().await;
}
both_backends!(a_claim_has_one_winner_and_an_expired_claim_is_taken_over, leases);

// ---- two instances --------------------------------------------------------------------------------

/// A second "server process": its own pool on the same database and its own MyPay client.
async fn second_instance(app: &TestApp, sim: &TestSim) -> (Db, Arc<dyn PaymentGateway>) {
    let db = Db::connect(&app.db.url).await.unwrap();
    let vars = [
        ("ECM_PUBLIC_URL", "http://ecm.test"),
        ("ECM_MYPAY_ENDPOINT", sim.soap_url.as_str()),
        ("ECM_MYPAY_COD_IPA_ENTE", support::SIM_COD_IPA),
        ("ECM_MYPAY_PASSWORD", support::SIM_PASSWORD),
    ];
    let settings =
        server::settings::Settings::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap();
    let gateway = server::payments_gateway::MyPayGateway::new(&settings.mypay.unwrap()).unwrap();
    (db, Arc::new(gateway))
}

async fn two_instances(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279").await;
    support::event_debts(&app, "80007580279", 11).await;
    let debts = due_debts(&app, &owner).await;
    assert_eq!(debts.len(), 12);
    let mut attempts = Vec::new();
    for debt in &debts {
        attempts.push(pay_to_session(&app, &owner, debt).await);
    }
    let (db_b, gateway_b) = second_instance(&app, &sim).await;
    let gateway_a = app.state.payments.clone().unwrap();
    // Back-off of an hour: within this test an attempt is due once per round.
    let config = ReconcilerConfig {
        backoff_min: Duration::from_secs(3600),
        backoff_max: Duration::from_secs(3600),
        ..test_config()
    };
    // Every MyPay answer takes a while, so the checks of the two instances overlap in time.
    sim.fault(json!({ "kind": "delay", "delay_ms": 150 })).await;

    let (a, b) = tokio::join!(
        run_pass(&app.state.db, gateway_a.clone(), &config, "instance-a"),
        run_pass(&db_b, gateway_b.clone(), &config, "instance-b")
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.checked + b.checked, 12, "{a:?} {b:?}");
    assert!(a.checked > 0 && b.checked > 0, "both instances worked: {a:?} {b:?}");
    for (attempt_id, id_session) in &attempts {
        let s = session(&sim, id_session).await;
        assert_eq!(s["chiedi_pagati_calls"], 1, "{s}");
        assert_eq!(s["max_parallel_checks"], 1, "{s}");
        assert_eq!(attempt_state(&app.state.db, attempt_id).await, "IN_ATTESA");
        assert_eq!(events_to(&app.state.db, attempt_id, "IN_ATTESA").await, 1);
    }

    // Half of them get paid; both instances run again at the same time.
    for (_, id_session) in attempts.iter().step_by(2) {
        sim.act(id_session, "pay").await;
    }
    everything_due(&app.state.db).await;
    let (a, b) = tokio::join!(
        run_pass(&app.state.db, gateway_a.clone(), &config, "instance-a"),
        run_pass(&db_b, gateway_b.clone(), &config, "instance-b")
    );
    assert_eq!(a.unwrap().checked + b.unwrap().checked, 12);
    sim.http.delete(format!("{}/admin/faults", sim.base)).send().await.unwrap();
    for (i, (attempt_id, id_session)) in attempts.iter().enumerate() {
        let s = session(&sim, id_session).await;
        assert_eq!((s["chiedi_pagati_calls"].as_u64(), s["max_parallel_checks"].as_u64()), (Some(2), Some(1)), "{s}");
        let paid = i % 2 == 0;
        assert_eq!(attempt_state(&app.state.db, attempt_id).await, if paid { "PAGATA" } else { "IN_ATTESA" });
        assert_eq!(events_to(&app.state.db, attempt_id, "PAGATA").await, i64::from(paid));
        assert_eq!(debt_states_of(&app.state.db, attempt_id).await, vec![if paid { "PAGATO" } else { "IN_CORSO" }]);
        assert_eq!(has_receipt(&app.state.db, attempt_id).await, paid);
    }
    let leased: i64 = sqlx::query("SELECT COUNT(*) AS n FROM payment_attempts WHERE lease_owner IS NOT NULL")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(leased, 0, "every claim is given back after the check");

    // The user's return page, the Segreteria and both reconcilers at once on a paid cart:
    // one transition, recorded once.
    let (attempt_id, id_session) = &attempts[1];
    sim.act(id_session, "pay").await;
    everything_due(&app.state.db).await;
    let form = [("id_session", id_session.as_str()), ("esito", "OK")];
    let verify = || app.call(&owner, "payments/verify", &form);
    let (v1, v2, v3, a, b) = tokio::join!(
        verify(),
        verify(),
        verify(),
        run_pass(&app.state.db, gateway_a.clone(), &config, "instance-a"),
        run_pass(&db_b, gateway_b.clone(), &config, "instance-b")
    );
    for v in [v1, v2, v3] {
        assert_eq!(v.status(), StatusCode::OK);
    }
    a.unwrap();
    b.unwrap();
    assert_eq!(attempt_state(&app.state.db, attempt_id).await, "PAGATA");
    assert_eq!(events_to(&app.state.db, attempt_id, "PAGATA").await, 1);
    let paid_debts: i64 = sqlx::query("SELECT COUNT(*) AS n FROM debts WHERE state = 'PAGATO'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(paid_debts, 7);
    db_b.close().await;
    sim.stop();
    app.stop().await;
}
both_backends!(two_instances_never_check_one_attempt_at_once_and_record_each_transition_once, two_instances);

// ---- late receipts (Checkout mode) ------------------------------------------------------------------

async fn late_receipts(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay_mode(backend, Mode::Checkout, &[QUIET]).await else { return };
    let db = &app.state.db;
    let gateway = app.state.payments.clone().unwrap();
    let config = ReconcilerConfig { late_receipt_interval: Duration::ZERO, ..test_config() };
    let pass = || run_pass(db, gateway.clone(), &config, "instance-a");

    // Three providers pay; pagoPA's receipts will come two hours late; meanwhile the carts expire.
    let mut first = Vec::new();
    let mut clients = Vec::new();
    for (i, cf) in ["80007580279".to_string(), fiscal_code("0123456789"), fiscal_code("0987654321")].iter().enumerate()
    {
        let client = provider(&app, &format!("p{i}@provider.it"), cf).await;
        let debts = due_debts(&app, &client).await;
        let (attempt_id, id_session) = pay_to_session(&app, &client, &debts[0]).await;
        sim_post(&sim, &format!("/admin/sessions/{id_session}/pay"), json!({ "receipt_delay_seconds": 7200 })).await;
        sim.act(&id_session, "expire").await;
        first.push((attempt_id, debts[0].clone()));
        clients.push(client);
    }
    assert_eq!(pass().await.unwrap().checked, 3);
    for (attempt_id, _) in &first {
        assert_eq!(attempt_state(db, attempt_id).await, "SCADUTA");
        assert_eq!(debt_states_of(db, attempt_id).await, vec!["DA_PAGARE"]);
    }
    // Still no receipt: a closed attempt keeps being asked about, and nothing changes.
    assert_eq!(pass().await.unwrap().checked, 3);
    assert_eq!(attempt_state(db, &first[0].0).await, "SCADUTA");

    sim_post(&sim, "/admin/clock", json!({ "advance_seconds": 7300 })).await;
    // Provider 2 pays the same debt again, at once: PAGATO by the second attempt.
    let (second_paid, s2) = pay_to_session(&app, &clients[1], &first[1].1).await;
    sim_post(&sim, &format!("/admin/sessions/{s2}/pay"), json!({ "receipt_delay_seconds": 0 })).await;
    let (status, verified) =
        json_of(app.call(&clients[1], "payments/verify", &[("id_session", s2.as_str()), ("esito", "OK")]).await).await;
    assert_eq!((status, verified["state"].as_str()), (StatusCode::OK, Some("Pagata")), "{verified}");
    // Provider 3 has started paying it again: the debt is in a live attempt.
    let (second_open, _) = pay_to_session(&app, &clients[2], &first[2].1).await;

    pass().await.unwrap();
    // The late receipt of a debt still to pay is a payment.
    assert_eq!(attempt_state(db, &first[0].0).await, "PAGATA");
    assert_eq!(debt_states_of(db, &first[0].0).await, vec!["PAGATO"]);
    assert!(has_receipt(db, &first[0].0).await);
    // Paid meanwhile by another attempt: never a second PAGATO, an anomaly for the Segreteria.
    assert_eq!(attempt_state(db, &first[1].0).await, "ANOMALIA");
    let detail: String =
        row(db, "SELECT detail FROM payment_events WHERE attempt_id = $1 AND to_state = 'ANOMALIA'", &first[1].0)
            .await
            .try_get("detail")
            .unwrap();
    assert!(detail.contains("pagamento doppio"), "{detail}");
    let paid_by: String = row(db, "SELECT paid_attempt_id FROM debts WHERE id = $1", &first[1].1)
        .await
        .try_get("paid_attempt_id")
        .unwrap();
    assert_eq!(paid_by, second_paid);
    assert_eq!(events_to(db, &first[1].0, "PAGATA").await + events_to(db, &second_paid, "PAGATA").await, 1);
    // In another live attempt: anomaly too, and the live attempt keeps its claim.
    assert_eq!(attempt_state(db, &first[2].0).await, "ANOMALIA");
    assert_eq!(debt_states_of(db, &second_open).await, vec!["IN_CORSO"]);
    assert!(["INVIATA", "IN_ATTESA"].contains(&attempt_state(db, &second_open).await.as_str()));

    // After the late-receipt window a closed attempt is no longer asked about.
    sqlx::query("UPDATE payment_attempts SET state = 'SCADUTA' WHERE id = $1")
        .bind(&first[0].0)
        .execute(db.pool())
        .await
        .unwrap();
    everything_due(db).await;
    let past_window = ReconcilerConfig { late_receipt_window: Duration::ZERO, ..config.clone() };
    let calls_before = session(
        &sim,
        &row(db, "SELECT id_session FROM payment_attempts WHERE id = $1", &first[0].0)
            .await
            .try_get::<String, _>("id_session")
            .unwrap(),
    )
    .await;
    run_pass(db, gateway.clone(), &past_window, "instance-a").await.unwrap();
    let calls_after = session(
        &sim,
        &row(db, "SELECT id_session FROM payment_attempts WHERE id = $1", &first[0].0)
            .await
            .try_get::<String, _>("id_session")
            .unwrap(),
    )
    .await;
    assert_eq!(calls_before["chiedi_pagati_calls"], calls_after["chiedi_pagati_calls"]);
    sim.stop();
    app.stop().await;
}
both_backends!(late_receipts_are_payments_unless_the_debt_was_paid_or_claimed_meanwhile, late_receipts);

// ---- sends without an answer: lookup by IUD -----------------------------------------------------------

/// "Paga" whose InviaDovuti answer is lost (the connection drops before MyPay reads it), then
/// the same cart reaches MyPay anyway (as if only the answer had been lost). Returns
/// (attempt id, idSession the portal never learnt).
async fn send_without_answer(app: &TestApp, sim: &TestSim, client: &reqwest::Client, debt: &str) -> (String, String) {
    sim.fault(json!({ "kind": "drop_connection", "count": 1 })).await;
    let answer = pay(app, client, debt).await;
    let attempt_id = answer["Verifying"]["attempt_id"].as_str().expect("outcome unknown").to_string();
    let db = &app.state.db;
    assert_eq!(attempt_state(db, &attempt_id).await, "CREATA");
    let lines = sqlx::query("SELECT iud, amount_cents, causale FROM attempt_debts WHERE attempt_id = $1")
        .bind(&attempt_id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| CartLine {
            iud: r.try_get("iud").unwrap(),
            amount_cents: r.try_get("amount_cents").unwrap(),
            causale: r.try_get("causale").unwrap(),
            fee_kind: FeeKind::QuotaAnnuale,
        })
        .collect();
    let cart = CartRequest {
        payer: CartPayer {
            kind: PayerType::G,
            id_code: "80007580279".into(),
            name: "Società Veneta di Formazione".into(),
            address: None,
            civic_number: None,
            postal_code: None,
            city: None,
            province: None,
            email: Some("tesoreria@example.it".into()),
        },
        lines,
    };
    match app.state.payments.as_ref().unwrap().send_cart(&cart).await {
        app::payments::gateway::SendOutcome::Accepted { id_session, .. } => (attempt_id, id_session),
        other => panic!("{other:?}"),
    }
}

async fn iud_lookup(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let gateway = app.state.payments.clone().unwrap();
    let config = test_config();
    let pass = || run_pass(db, gateway.clone(), &config, "instance-a");
    let owner = provider(&app, "b@provider.it", "80007580279").await;
    let debts = due_debts(&app, &owner).await;
    let (attempt_id, id_session) = send_without_answer(&app, &sim, &owner, &debts[0]).await;

    // Never checked out (PAA_IUD_NON_VALIDO), young: wait.
    assert_eq!(pass().await.unwrap().checked, 1);
    assert_eq!(attempt_state(db, &attempt_id).await, "CREATA");
    let last: String = row(db, "SELECT last_outcome FROM payment_attempts WHERE id = $1", &attempt_id)
        .await
        .try_get("last_outcome")
        .unwrap();
    assert_eq!(last, "unknown_debt");
    // Checked out, payment in progress: wait.
    sim.act(&id_session, "checkout").await;
    everything_due(db).await;
    pass().await.unwrap();
    assert_eq!(attempt_state(db, &attempt_id).await, "CREATA");
    assert_eq!(debt_states_of(db, &attempt_id).await, vec!["IN_CORSO"]);
    // Paid and matching: PAGATA with its receipt, found by IUD.
    sim.act(&id_session, "pay").await;
    everything_due(db).await;
    pass().await.unwrap();
    assert_eq!(attempt_state(db, &attempt_id).await, "PAGATA");
    assert_eq!(debt_states_of(db, &attempt_id).await, vec!["PAGATO"]);
    assert!(has_receipt(db, &attempt_id).await);

    // Another provider: never checked out and older than MyPay's cart cache: debts given back.
    let other = provider(&app, "c@provider.it", &fiscal_code("0123456789")).await;
    let debts = due_debts(&app, &other).await;
    let (stale, _) = send_without_answer(&app, &sim, &other, &debts[0]).await;
    let two_hours_ago = app::db::format_utc(time::OffsetDateTime::now_utc() - time::Duration::hours(2));
    sqlx::query("UPDATE payment_attempts SET created_at = $1 WHERE id = $2")
        .bind(&two_hours_ago)
        .bind(&stale)
        .execute(db.pool())
        .await
        .unwrap();
    pass().await.unwrap();
    assert_eq!(attempt_state(db, &stale).await, "SCADUTA");
    assert_eq!(debt_states_of(db, &stale).await, vec!["DA_PAGARE"]);
    assert_eq!(due_debts(&app, &other).await, debts, "the provider can pay again");
    sim.stop();
    app.stop().await;
}
both_backends!(a_send_without_answer_is_resolved_by_asking_mypay_by_iud, iud_lookup);

// ---- ANOMALIA: persistent faults and the Segreteria's re-check -------------------------------------------

async fn anomaly_recheck(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let gateway = app.state.payments.clone().unwrap();
    let config = ReconcilerConfig { fault_anomaly_after: Duration::ZERO, ..test_config() };
    let segreteria = app.client();
    assert!(app.login(&segreteria, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    let verify_now = |id: String| {
        let segreteria = segreteria.clone();
        let app = &app;
        async move { json_of(app.call(&segreteria, "segreteria/payment_verify", &[("id", id.as_str())]).await).await }
    };

    // A partial payment: an anomaly that stays one on re-check, with the finding recorded.
    let p1 = provider(&app, "p1@provider.it", "80007580279").await;
    let (partial, s1) = pay_to_session(&app, &p1, &due_debts(&app, &p1).await[0]).await;
    sim.act(&s1, "partial-timed-out").await;
    let (status, _) =
        json_of(app.call(&p1, "payments/verify", &[("id_session", s1.as_str()), ("esito", "OK")]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attempt_state(db, &partial).await, "ANOMALIA");
    let (status, report) = verify_now(partial.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["asked"].as_bool(), report["state"].as_str()), (Some(true), Some("Anomalia")), "{report}");
    assert_eq!(events_to(db, &partial, "ANOMALIA").await, 2, "the transition and the re-check's finding");
    assert_eq!(debt_states_of(db, &partial).await, vec!["IN_CORSO"]);

    // MyPay gives no usable answer for longer than allowed: anomalies for the Segreteria.
    let p2 = provider(&app, "p2@provider.it", &fiscal_code("0123456789")).await;
    let (paid_later, s2) = pay_to_session(&app, &p2, &due_debts(&app, &p2).await[0]).await;
    let p3 = provider(&app, "p3@provider.it", &fiscal_code("0987654321")).await;
    let (unpaid_later, s3) = pay_to_session(&app, &p3, &due_debts(&app, &p3).await[0]).await;
    sim.fault(json!({ "kind": "http500" })).await;
    run_pass(db, gateway.clone(), &config, "instance-a").await.unwrap();
    for attempt in [&paid_later, &unpaid_later] {
        assert_eq!(attempt_state(db, attempt).await, "ANOMALIA");
        let detail: String =
            row(db, "SELECT detail FROM payment_events WHERE attempt_id = $1 AND to_state = 'ANOMALIA'", attempt)
                .await
                .try_get("detail")
                .unwrap();
        assert!(detail.contains("MyPay non dà una risposta utilizzabile"), "{detail}");
    }
    // Anomalies are not asked about by the reconciler.
    sim.http.delete(format!("{}/admin/faults", sim.base)).send().await.unwrap();
    everything_due(db).await;
    assert_eq!(run_pass(db, gateway.clone(), &config, "instance-a").await.unwrap().checked, 0);

    // The fault is gone; one cart was paid, the other not: "Verifica ora" resolves both.
    sim.act(&s2, "pay").await;
    sim.act(&s3, "not-paid").await;
    let (_, report) = verify_now(paid_later.clone()).await;
    assert_eq!(
        (report["previous_state"].as_str(), report["state"].as_str()),
        (Some("Anomalia"), Some("Pagata")),
        "{report}"
    );
    assert_eq!(debt_states_of(db, &paid_later).await, vec!["PAGATO"]);
    assert!(has_receipt(db, &paid_later).await);
    let (_, report) = verify_now(unpaid_later.clone()).await;
    assert_eq!(report["state"], "NonPagata", "{report}");
    assert_eq!(debt_states_of(db, &unpaid_later).await, vec!["DA_PAGARE"]);
    assert_eq!(due_debts(&app, &p3).await.len(), 1, "the provider can pay again");
    sim.stop();
    app.stop().await;
}
both_backends!(the_segreteria_recheck_resolves_an_anomaly_when_mypay_has_the_answer, anomaly_recheck);

// ---- a verified receipt and a stale copy of the attempt ---------------------------------------

/// The return page reads the attempt (INVIATA) and asks MyPay; meanwhile the reconciler moves it
/// to IN_ATTESA. The verified receipt must still be recorded (found by the crash test: the
/// compare-and-set used to drop it, leaving a paid fee IN_CORSO until the next check).
async fn stale_copy(backend: Backend) {
    use app::payments::gateway::{CheckOutcome, ExpectedLine};
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let owner = provider(&app, "b@provider.it", "80007580279").await;
    let debts = due_debts(&app, &owner).await;
    let (attempt_id, id_session) = pay_to_session(&app, &owner, &debts[0]).await;
    let stale = app::payments::service::attempt_by_id(db, &attempt_id).await.unwrap().expect("the attempt");
    assert_eq!(attempt_state(db, &attempt_id).await, "INVIATA");

    sim.act(&id_session, "pay").await;
    let expected: Vec<ExpectedLine> =
        stale.debts.iter().map(|d| ExpectedLine { iud: d.iud.clone(), amount_cents: d.amount_cents }).collect();
    let CheckOutcome::Paid(receipt) = app.state.payments.as_ref().unwrap().check(&id_session, &expected).await else {
        panic!("MyPay says paid");
    };
    // Another checker moves the attempt on before this one records the receipt.
    sqlx::query("UPDATE payment_attempts SET state = 'IN_ATTESA' WHERE id = $1")
        .bind(&attempt_id)
        .execute(db.pool())
        .await
        .unwrap();

    app::payments::service::apply_paid(db, &stale, "test", &receipt, false).await.unwrap();
    assert_eq!(attempt_state(db, &attempt_id).await, "PAGATA");
    assert_eq!(debt_states_of(db, &attempt_id).await, vec!["PAGATO"]);
    assert_eq!(events_to(db, &attempt_id, "PAGATA").await, 1);
    // Applying it again (a second late checker) changes nothing and records nothing.
    app::payments::service::apply_paid(db, &stale, "test", &receipt, false).await.unwrap();
    assert_eq!(events_to(db, &attempt_id, "PAGATA").await, 1);
    sim.stop();
    app.stop().await;
}
both_backends!(a_verified_receipt_is_recorded_even_if_the_attempt_moved_since_it_was_read, stale_copy);
