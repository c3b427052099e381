//! Payments over real HTTP against the MyPay simulator, on both databases: debts from the
//! tariff table, the cart, idempotent "Paga con pagoPA", verification by ChiediPagati only,
//! retries with fresh IUDs, receipts with ownership, and request submission after payment.

use crate::support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{cart_page, fiscal_code, json_of, Backend, TestApp};

/// A provider with censimento, draft request and every required document (the gate is open).
async fn provider(app: &TestApp, email: &str, cf: &str, forma: &str) -> reqwest::Client {
    let client = support::provider_with_draft(app, email, "Società Veneta di Formazione", cf, forma).await;
    support::upload_required_documents(app, &client).await;
    client
}

fn first_cart_ids(page: &Value) -> String {
    page["carts"][0]
        .as_array()
        .expect("a first cart")
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",")
}

async fn pay(app: &TestApp, client: &reqwest::Client, key: &str, debts: &str) -> (StatusCode, Value) {
    json_of(
        app.call(
            client,
            "payments/pay",
            &[("idempotency_key", key), ("debts", debts), ("payer_email", "tesoreria@example.it")],
        )
        .await,
    )
    .await
}

/// Loads the cart page and pays its first cart with the page's key.
async fn pay_first_cart(app: &TestApp, client: &reqwest::Client) -> (String, String) {
    let page = cart_page(app, client).await;
    let (status, answer) = pay(app, client, page["idempotency_key"].as_str().unwrap(), &first_cart_ids(&page)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let redirect = &answer["Redirect"];
    (redirect["attempt_id"].as_str().expect("a redirect").to_string(), redirect["url"].as_str().unwrap().to_string())
}

async fn verify(app: &TestApp, client: &reqwest::Client, id_session: &str, esito: &str) -> (StatusCode, Value) {
    json_of(app.call(client, "payments/verify", &[("id_session", id_session), ("esito", esito)]).await).await
}

async fn attempts(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let (status, list) = json_of(app.call(client, "payments/mine", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

fn debt_states(attempt: &Value) -> Vec<String> {
    attempt["debts"].as_array().unwrap().iter().map(|d| d["debt_state"].as_str().unwrap().to_string()).collect()
}

fn iuds(attempt: &Value) -> Vec<String> {
    attempt["debts"].as_array().unwrap().iter().map(|d| d["iud"].as_str().unwrap().to_string()).collect()
}

async fn request_state(app: &TestApp, client: &reqwest::Client) -> String {
    let (_, request) = json_of(app.call(client, "requests/mine", &[]).await).await;
    request["state"].as_str().unwrap().to_string()
}

async fn happy_path(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;

    // Gruppo B, first year: one debt of € 258.22 from the tariff table, payer G with the CF.
    let page = cart_page(&app, &owner).await;
    assert_eq!(page["available"], true);
    assert_eq!(page["payer"]["kind"], "G");
    assert_eq!(page["payer"]["id_code"], "80007580279");
    let debts = page["carts"][0].as_array().unwrap();
    assert_eq!(debts.len(), 1);
    assert_eq!(debts[0]["amount_cents"], 25822);
    assert_eq!(debts[0]["fee_kind"], "QuotaAnnuale");
    assert!(debts[0]["causale"].as_str().unwrap().starts_with("Quota annuale accreditamento provider ECM - anno "));

    // The request cannot be sent before the fee is verified as paid.
    let (status, error) = json_of(app.call(&owner, "requests/submit", &[]).await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("debts_not_paid")));

    let (attempt_id, url) = pay_first_cart(&app, &owner).await;
    assert!(url.starts_with(&format!("{}/public/landing/inviaDovuti?id=", sim.base)), "{url}");
    let sessions = sim.sessions().await;
    assert_eq!(sessions.len(), 1);
    let id_session = sessions[0]["id_session"].as_str().unwrap().to_string();
    let iud = sessions[0]["iuds"][0].as_str().unwrap().to_string();
    assert!(iud.starts_with("ECM-") && iud.len() <= 35, "{iud}");

    // The citizen pays on pagoPA; the portal learns it only from ChiediPagati.
    sim.act(&id_session, "pay").await;
    let (status, attempt) = verify(&app, &owner, &id_session, "OK").await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    assert_eq!(attempt["id"], attempt_id.as_str());
    assert_eq!(attempt["state"], "Pagata");
    let iuv = attempt["iuv"].as_str().expect("the IUV is stored").to_string();
    assert!(!iuv.is_empty());
    assert_eq!(debt_states(&attempt), vec!["Pagato"]);
    assert!(attempt["debts"][0]["iur"].as_str().is_some_and(|iur| !iur.is_empty()), "{attempt}");
    assert_eq!(attempt["esito_ritorno"], "OK");
    assert_eq!(attempt["receipt_available"], true);

    // Verifying again changes nothing (idempotent).
    let (_, again) = verify(&app, &owner, &id_session, "OK").await;
    assert_eq!((again["state"].clone(), again["iuv"].clone()), (json!("Pagata"), json!(iuv)));
    assert!(cart_page(&app, &owner).await["carts"].as_array().unwrap().is_empty());

    // The receipt: downloadable by the owner and the Segreteria, not by another provider.
    let receipt_url = app.url(&format!("/api/payments/{attempt_id}/ricevuta"));
    let receipt = owner.get(&receipt_url).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    assert!(receipt.headers()["content-disposition"].to_str().unwrap().contains(&iuv));
    let rt = receipt.text().await.unwrap();
    assert!(rt.contains("RT") && rt.contains(&iuv), "{rt}");
    let other = provider(&app, "other@provider.it", &fiscal_code("0123456789"), "UNIVERSITA").await;
    assert_eq!(other.get(&receipt_url).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(app.client().get(&receipt_url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let (status, _) = verify(&app, &other, &id_session, "OK").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let segreteria = app.client();
    assert!(app.login(&segreteria, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    assert_eq!(segreteria.get(&receipt_url).send().await.unwrap().status(), StatusCode::OK);

    // Paid and verified: now the request can be sent.
    let submitted = app.call(&owner, "requests/submit", &[]).await;
    assert!(submitted.status().is_success(), "{}", submitted.status());
    assert_eq!(request_state(&app, &owner).await, "Inviata");
    sim.stop();
    app.stop().await;
}
both_backends!(a_verified_payment_marks_the_fee_paid_stores_the_receipt_and_unlocks_submission, happy_path);

async fn cancel_and_retry(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    let (_, url) = pay_first_cart(&app, &owner).await;

    // The citizen presses "Annulla" on the landing page and comes back with esito=ERROR.
    let back = sim.press(&url, "annulla").await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let location = back.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://ecm.test/pagamenti/ritorno?idSession="), "{location}");
    assert!(location.contains("&esito=ERROR&pollingToken="), "{location}");
    let id_session = location.split("idSession=").nth(1).unwrap().split('&').next().unwrap().to_string();

    let (status, attempt) = verify(&app, &owner, &id_session, "ERROR").await;
    assert_eq!(status, StatusCode::OK, "{attempt}");
    assert_eq!(attempt["state"], "NonPagata");
    assert_eq!(debt_states(&attempt), vec!["DaPagare"]);
    let first_iuds = iuds(&attempt);

    // "Riprova": a new cart with fresh IUDs (MyPay consumed the first ones at checkout).
    let page = cart_page(&app, &owner).await;
    assert_eq!(page["carts"][0].as_array().unwrap().len(), 1);
    assert!(page["open_attempts"].as_array().unwrap().is_empty());
    pay_first_cart(&app, &owner).await;
    let sessions = sim.sessions().await;
    assert_eq!(sessions.len(), 2);
    let second_iuds: Vec<String> =
        sessions[1]["iuds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(second_iuds.len(), 1);
    assert_ne!(second_iuds, first_iuds);

    // An expired cart also gives the debts back.
    let second = sessions[1]["id_session"].as_str().unwrap().to_string();
    sim.act(&second, "expire").await;
    let (_, attempt) = verify(&app, &owner, &second, "ERROR").await;
    assert_eq!(attempt["state"], "Scaduta");
    assert_eq!(debt_states(&attempt), vec!["DaPagare"]);
    sim.stop();
    app.stop().await;
}
both_backends!(a_cancelled_payment_gives_the_debt_back_and_the_retry_uses_fresh_iuds, cancel_and_retry);

async fn forged_return(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    pay_first_cart(&app, &owner).await;
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();

    // The browser claims esito=OK but nobody paid: MyPay says "not started".
    for _ in 0..2 {
        let (status, attempt) = verify(&app, &owner, &id_session, "OK").await;
        assert_eq!(status, StatusCode::OK, "{attempt}");
        assert_eq!(attempt["state"], "InAttesa");
        assert_eq!(attempt["iuv"], Value::Null);
        assert_eq!(debt_states(&attempt), vec!["InCorso"]);
        assert_eq!(attempt["receipt_available"], false);
    }
    // A made-up session changes nothing and says so.
    let (status, error) = verify(&app, &owner, "00000000-0000-4000-8000-000000000000", "OK").await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_payment_session")));
    assert_eq!(attempts(&app, &owner).await.len(), 1);
    let (status, error) = json_of(app.call(&owner, "requests/submit", &[]).await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("debts_not_paid")));
    assert_eq!(request_state(&app, &owner).await, "Bozza");
    sim.stop();
    app.stop().await;
}
both_backends!(a_forged_esito_ok_for_an_unpaid_session_marks_nothing_paid, forged_return);

async fn idempotent_submission(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    let page = cart_page(&app, &owner).await;
    let key = page["idempotency_key"].as_str().unwrap().to_string();
    let ids = first_cart_ids(&page);

    // Two concurrent submissions with the same key (a double click): one MyPay cart, one URL.
    let (a, b) = tokio::join!(pay(&app, &owner, &key, &ids), pay(&app, &owner, &key, &ids));
    assert_eq!(a.0, StatusCode::OK, "{}", a.1);
    assert_eq!(b.0, StatusCode::OK, "{}", b.1);
    assert_eq!(a.1["Redirect"]["url"], b.1["Redirect"]["url"]);
    assert!(a.1["Redirect"]["url"].is_string(), "{}", a.1);
    assert_eq!(sim.sessions().await.len(), 1);

    // A later replay of the key returns the stored answer.
    let (status, replay) = pay(&app, &owner, &key, &ids).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replay, a.1);
    assert_eq!(sim.sessions().await.len(), 1);

    // A second tab with a new key while the cart is live: refused, no second cart.
    let (status, error) = pay(&app, &owner, &format!("{}x", &key[..31]), &ids).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("payment_in_progress")));
    assert_eq!(sim.sessions().await.len(), 1);
    assert_eq!(attempts(&app, &owner).await.len(), 1);

    // Another provider cannot replay someone else's key.
    let other = provider(&app, "other@provider.it", &fiscal_code("0123456789"), "UNIVERSITA").await;
    let (status, _) = pay(&app, &other, &key, &ids).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    sim.stop();
    app.stop().await;
}
both_backends!(the_same_key_never_sends_a_second_cart_even_concurrently, idempotent_submission);

async fn send_timeout(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[("ECM_MYPAY_TIMEOUT_SECONDS", "1")]).await else {
        return;
    };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    let page = cart_page(&app, &owner).await;
    sim.fault(json!({ "kind": "delay", "delay_ms": 2500, "count": 1 })).await;

    let (status, answer) = pay(&app, &owner, page["idempotency_key"].as_str().unwrap(), &first_cart_ids(&page)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["Verifying"]["attempt_id"].is_string(), "{answer}");

    // The outcome is unknown: the attempt stays open with its debt claimed, nothing is paid.
    let list = attempts(&app, &owner).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["state"], "Creata");
    assert_eq!(list[0]["id_session"], Value::Null);
    assert_eq!(debt_states(&list[0]), vec!["InCorso"]);
    let page = cart_page(&app, &owner).await;
    assert!(page["carts"].as_array().unwrap().is_empty());
    assert_eq!(page["open_attempts"].as_array().unwrap().len(), 1);
    let (status, error) = json_of(app.call(&owner, "requests/submit", &[]).await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::CONFLICT, Some("debts_not_paid")));
    sim.stop();
    app.stop().await;
}
both_backends!(a_timeout_at_invia_dovuti_leaves_the_attempt_open_and_nothing_paid, send_timeout);

async fn six_debts(backend: Backend) {
    use app::payments::model::{FeeKind, TariffCase};
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    cart_page(&app, &owner).await; // creates the annual fee
    let db = &app.state.db;
    let provider_id: String = sqlx::Row::get(
        &sqlx::query("SELECT id FROM providers WHERE codice_fiscale = '80007580279'")
            .fetch_one(db.pool())
            .await
            .unwrap(),
        "id",
    );
    let view = app::providers::service::provider_by_id(db, &provider_id).await.unwrap().unwrap();
    for i in 1..=5 {
        let causale = format!("Contributo evento RES n. {i}");
        app::payments::service::create_debt(
            db,
            &view,
            FeeKind::ContributoEvento,
            TariffCase::EventoResFsc { sponsored: false },
            &causale,
            None,
        )
        .await
        .unwrap()
        .expect("Gruppo B pays per event");
    }
    let page = cart_page(&app, &owner).await;
    let sizes: Vec<usize> = page["carts"].as_array().unwrap().iter().map(|c| c.as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![5, 1]);
    assert_eq!(page["carts"][0][1]["amount_cents"], 17215);

    // Six debts in one submission are refused (pagoPA takes at most five).
    let all: Vec<String> = page["carts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_array().unwrap().clone())
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let (status, _) = pay(&app, &owner, page["idempotency_key"].as_str().unwrap(), &all.join(",")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(sim.sessions().await.is_empty());

    // The first cart goes to MyPay with five lines; once paid, the sixth debt is the next cart.
    pay_first_cart(&app, &owner).await;
    let session = &sim.sessions().await[0];
    assert_eq!(session["iuds"].as_array().unwrap().len(), 5);
    let id_session = session["id_session"].as_str().unwrap().to_string();
    sim.act(&id_session, "pay").await;
    let (_, attempt) = verify(&app, &owner, &id_session, "OK").await;
    assert_eq!(attempt["state"], "Pagata");
    assert_eq!(attempt["total_cents"], 25822 + 4 * 17215);
    let page = cart_page(&app, &owner).await;
    let sizes: Vec<usize> = page["carts"].as_array().unwrap().iter().map(|c| c.as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![1]);
    sim.stop();
    app.stop().await;
}
both_backends!(more_than_five_debts_are_split_into_carts_paid_one_after_another, six_debts);

async fn gruppo_a_and_no_mypay(backend: Backend) {
    // Gruppo A owes nothing the first year: no debt, the request can be sent at once.
    let Some(app) = TestApp::spawn(backend).await else { return };
    let hospital = provider(&app, "a@ulss.it", "80007580279", "AZIENDA_SANITARIA").await;
    let (status, page) = json_of(app.call(&hospital, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["carts"].as_array().unwrap().is_empty());
    // Without MyPay settings, payments are clearly unavailable.
    assert_eq!(page["available"], false);
    let (status, error) = pay(&app, &hospital, &"k".repeat(32), "x").await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("payments_unavailable")));
    let html = hospital.get(app.url("/area/pagamento")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("I pagamenti non sono disponibili"), "{html}");
    assert!(app.call(&hospital, "requests/submit", &[]).await.status().is_success());
    assert_eq!(request_state(&app, &hospital).await, "Inviata");
    app.stop().await;
}
both_backends!(gruppo_a_pays_nothing_the_first_year_and_payments_say_when_unavailable, gruppo_a_and_no_mypay);

async fn reconciler_and_anomalies(backend: Backend) {
    // The background loop waits an hour between passes: this test runs the passes itself.
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[("ECM_RECONCILER_INTERVAL_SECONDS", "3600")]).await
    else {
        return;
    };
    let owner = provider(&app, "b@provider.it", "80007580279", "SOCIETA_SCIENTIFICA").await;
    let gateway = app.state.payments.clone().expect("MyPay is configured");
    let config = app.state.reconciler.clone();
    let pass = || app::payments::reconciler::run_pass(&app.state.db, gateway.clone(), &config, "test-instance");

    // The citizen pays and closes the tab: the reconciler records the payment anyway.
    pay_first_cart(&app, &owner).await;
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    sim.act(&id_session, "pay").await;
    let checked = pass().await.unwrap().checked;
    assert_eq!(checked, 1);
    let list = attempts(&app, &owner).await;
    assert_eq!(list[0]["state"], "Pagata");
    assert_eq!(debt_states(&list[0]), vec!["Pagato"]);
    assert_eq!(list[0]["receipt_available"], true);
    assert_eq!(pass().await.unwrap().checked, 0, "nothing left to ask");

    // A partial outcome is never resolved automatically: ANOMALIA, the debt stays claimed.
    let other = provider(&app, "other@provider.it", &fiscal_code("0123456789"), "UNIVERSITA").await;
    pay_first_cart(&app, &other).await;
    let second = sim.sessions().await[1]["id_session"].as_str().unwrap().to_string();
    sim.act(&second, "partial-timed-out").await;
    let (_, attempt) = verify(&app, &other, &second, "OK").await;
    assert_eq!(attempt["state"], "Anomalia");
    assert_eq!(debt_states(&attempt), vec!["InCorso"]);
    assert!(
        cart_page(&app, &other).await["carts"].as_array().unwrap().is_empty(),
        "no second payment while the Segreteria checks"
    );
    sim.stop();
    app.stop().await;
}
both_backends!(
    the_reconciler_records_payments_of_users_who_never_return_and_partial_outcomes_are_anomalies,
    reconciler_and_anomalies
);

async fn gate_closed(backend: Backend) {
    let Some((app, _sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let client = app.client();
    assert!(app.register(&client, "nodocs@provider.it", "Provider2026").await.status().is_success());
    let form: Vec<(String, String)> = [
        ("denominazione", "Ente senza documenti"),
        ("codice_fiscale", "80007580279"),
        ("partita_iva", ""),
        ("forma_giuridica", "IMPRESA"),
        ("legale_nome", "Mario"),
        ("legale_cognome", "Rossi"),
        ("legale_codice_fiscale", "RSSMRA80A01H501U"),
        ("via", "Via Roma"),
        ("civico", "1"),
        ("cap", "30121"),
        ("comune", "Venezia"),
        ("provincia", "VE"),
        ("pec", "e@pec.it"),
        ("email", "e@x.it"),
        ("telefono", "041 1234567"),
    ]
    .into_iter()
    .map(|(k, v)| (format!("form[{k}]"), v.to_string()))
    .collect();
    client.post(app.url("/api/providers/save")).header("Accept", "application/json").form(&form).send().await.unwrap();
    app.call(&client, "requests/kind", &[("kind", "PROVVISORIO")]).await;

    let (status, error) = json_of(app.call(&client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{error}");
    assert_eq!(error["code"], "payment_gate_closed");
    assert_eq!(error["detail"].as_array().unwrap().len(), 6, "every missing document is named: {error}");
    let (status, _) = pay(&app, &client, &"g".repeat(32), "x").await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "no cart is sent while the gate is closed");
    assert_eq!(app.call(&client, "requests/submit", &[]).await.status(), StatusCode::PRECONDITION_FAILED);
    app.stop().await;
}
both_backends!(the_payment_step_stays_locked_until_every_required_document_is_there, gate_closed);

/// The value of the metric line that starts with `prefix` (name and labels), if any.
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The operators' metrics see what a payment did: the MyPay call, the HTTP answers, and the
/// attempt waiting in the reconciler's backlog.
async fn operators_metrics(backend: Backend) {
    let Some((app, _sim)) = TestApp::spawn_with_mypay(backend, &[("ECM_METRICS_ADDR", "127.0.0.1:0")]).await else {
        return;
    };
    let metrics_url = format!("http://{}/metrics", app.metrics.expect("ECM_METRICS_ADDR is bound"));
    let client = provider(&app, "metrics@provider.it", &fiscal_code("0123456789"), "IMPRESA").await;
    pay_first_cart(&app, &client).await;
    let text = reqwest::get(&metrics_url).await.unwrap().text().await.unwrap();
    // The recorder is the process's (server::metrics::handle): every portal of this test binary
    // counts into it, hence `>= 1`. The gauges are process-wide too, set from the database of
    // the portal scraped; only this test scrapes, and both its backends expect the same values.
    let sent = metric(&text, r#"ecm_mypay_calls_total{operation="paaSILInviaDovuti",outcome="accepted"}"#);
    assert!(sent.is_some_and(|n| n >= 1.0), "{text}");
    assert!(text.contains(r#"ecm_mypay_call_duration_seconds_count{operation="paaSILInviaDovuti"}"#), "{text}");
    let pay_answers = metric(
        &text,
        r#"ecm_http_request_duration_seconds_count{method="POST",route="/api/payments/pay",status="200"}"#,
    );
    assert!(pay_answers.is_some_and(|n| n >= 1.0), "{text}");
    // The backlog is this portal's database, read at the scrape: one cart waits for MyPay.
    assert_eq!(metric(&text, "ecm_payment_attempts_open "), Some(1.0), "{text}");
    assert_eq!(metric(&text, "ecm_payment_anomalies "), Some(0.0), "{text}");
    // No SMTP here: the provider's verification mail waits in the outbox, and the gauge says so.
    assert_eq!(metric(&text, "ecm_mail_pending "), Some(1.0), "{text}");
    assert_eq!(metric(&text, "ecm_mail_failed "), Some(0.0), "{text}");
    app.stop().await;
}
both_backends!(operators_metrics_count_mypay_calls_http_answers_and_the_backlog, operators_metrics);

/// Verifications on demand do not hammer MyPay: 25 at once make one `paaSILChiediPagati`
/// (at most 3 are allowed), answered from the recorded state; the browser's first `esito` is
/// kept whatever later returns say; after the interval MyPay is asked again.
async fn verify_interval(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[("ECM_VERIFY_MIN_INTERVAL_SECONDS", "2")]).await else {
        return;
    };
    let owner = provider(&app, "v@provider.it", &fiscal_code("0123456789"), "IMPRESA").await;
    pay_first_cart(&app, &owner).await;
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    let calls = || async {
        let session: Value = sim
            .http
            .get(format!("{}/admin/sessions/{id_session}", sim.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        session["chiedi_pagati_calls"].as_u64().unwrap()
    };
    let before = calls().await;
    let esiti = ["ERROR", "OK"];
    let all = (0..25).map(|i| verify(&app, &owner, &id_session, esiti[usize::from(i > 0)]));
    // The first call goes out alone, so that its `esito` is the first return.
    let (status, first) = verify(&app, &owner, &id_session, "ERROR").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    for (status, answer) in futures_util::future::join_all(all).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["state"], first["state"]);
        assert_eq!(answer["esito_ritorno"], "ERROR", "a later return never overwrites the first");
    }
    let made = calls().await - before;
    assert!((1..=3).contains(&made), "26 verifications made {made} ChiediPagati calls");
    // Paid meanwhile: after the interval the next verification asks MyPay and sees it.
    sim.act(&id_session, "pay").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (_, paid) = verify(&app, &owner, &id_session, "OK").await;
    assert_eq!(paid["state"], "Pagata", "{paid}");
    assert_eq!(paid["esito_ritorno"], "ERROR");
    app.stop().await;
}
both_backends!(verifications_on_demand_ask_mypay_at_most_once_per_interval_and_keep_the_first_esito, verify_interval);

/// The browser's first return always asks MyPay, even right after another check: a provider
/// who has just paid sees it paid.
async fn first_return(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[("ECM_VERIFY_MIN_INTERVAL_SECONDS", "60")]).await
    else {
        return;
    };
    let owner = provider(&app, "ritorno@provider.it", &fiscal_code("0123456789"), "IMPRESA").await;
    pay_first_cart(&app, &owner).await;
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    // A check moments ago (as the page's polling would make), before the payment.
    let (status, polled) =
        json_of(app.call(&owner, "payments/verify", &[("id_session", id_session.as_str())]).await).await;
    assert_eq!(status, StatusCode::OK, "{polled}");
    assert_ne!(polled["state"], "Pagata");
    sim.act(&id_session, "pay").await;
    let (_, returned) = verify(&app, &owner, &id_session, "OK").await;
    assert_eq!(returned["state"], "Pagata", "{returned}");
    app.stop().await;
}
both_backends!(the_first_return_from_mypay_always_asks_mypay, first_return);
