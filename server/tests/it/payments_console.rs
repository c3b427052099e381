//! The Segreteria's payments console over real HTTP against the MyPay simulator, on both
//! databases: queues with counts and search, detail with history, "Verifica ora", the CSV
//! export, and a provider refused everywhere.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{fiscal_code, json_of, segreteria, Backend, TestApp};

/// A provider with censimento, draft request and every required document (the gate is open).
async fn provider(app: &TestApp, email: &str, name: &str, cf: &str) -> reqwest::Client {
    let client = support::provider_with_draft(app, email, name, cf, "SOCIETA_SCIENTIFICA").await;
    support::upload_required_documents(app, &client).await;
    client
}

/// Pays the first cart of the provider's page; returns (attempt id, landing URL).
async fn pay_first_cart(app: &TestApp, client: &reqwest::Client) -> (String, String) {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids = page["carts"][0]
        .as_array()
        .expect("a first cart")
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let key = page["idempotency_key"].as_str().unwrap();
    let (status, answer) = json_of(
        app.call(
            client,
            "payments/pay",
            &[("idempotency_key", key), ("debts", &ids), ("payer_email", "tesoreria@example.it")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let redirect = &answer["Redirect"];
    (redirect["attempt_id"].as_str().expect("a redirect").to_string(), redirect["url"].as_str().unwrap().to_string())
}

async fn session_of(sim: &support::TestSim, index: usize) -> String {
    sim.sessions().await[index]["id_session"].as_str().unwrap().to_string()
}

async fn list(app: &TestApp, client: &reqwest::Client, queue: &str, search: &str) -> Value {
    let (status, page) =
        json_of(app.call(client, "segreteria/payments", &[("queue", queue), ("search", search), ("page", "1")]).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn row_ids(page: &Value) -> Vec<String> {
    page["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

fn count(page: &Value, queue: &str) -> i64 {
    page["tabs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == queue)
        .unwrap_or_else(|| panic!("queue {queue} in {page}"))["count"]
        .as_i64()
        .unwrap()
}

async fn csv(app: &TestApp, client: &reqwest::Client, query: &str) -> (StatusCode, String) {
    let response = client.get(app.url(&format!("/segreteria/pagamenti.csv{query}"))).send().await.unwrap();
    let status = response.status();
    (status, String::from_utf8(response.bytes().await.unwrap().to_vec()).unwrap())
}

async fn console(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let alpha = provider(&app, "alpha@provider.it", "Alfa Formazione", "80007580279").await;
    let beta_cf = fiscal_code("0123456789");
    let beta = provider(&app, "beta@provider.it", "Beta Congressi", &beta_cf).await;
    let admin = segreteria(&app).await;

    // Alpha pays in the simulator, but nobody has verified it yet.
    let (paid_id, _) = pay_first_cart(&app, &alpha).await;
    let paid_session = session_of(&sim, 0).await;
    sim.act(&paid_session, "pay").await;
    let (status, before) = json_of(app.call(&admin, "segreteria/payment", &[("id", &paid_id)]).await).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_ne!(before["attempt"]["state"], "Pagata", "not verified yet");
    assert_eq!(before["attempt"]["iuv"], Value::Null);

    // "Verifica ora" by the Segreteria asks MyPay and records the payment.
    let (status, report) = json_of(app.call(&admin, "segreteria/payment_verify", &[("id", &paid_id)]).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["state"], "Pagata", "{report}");
    assert_eq!(report["asked"], true);
    assert_eq!(report["outcome"], "paid");
    assert_ne!(report["previous_state"], "Pagata");
    let (_, paid) = json_of(app.call(&admin, "segreteria/payment", &[("id", &paid_id)]).await).await;
    assert_eq!(paid["attempt"]["state"], "Pagata");
    assert_eq!(paid["attempt"]["debts"][0]["debt_state"], "Pagato");
    let iuv = paid["attempt"]["iuv"].as_str().expect("IUV stored").to_string();
    assert!(paid["receipt_id"].as_str().is_some_and(|r| !r.is_empty()), "{paid}");

    // The history: from creation to PAGATA, the last change by the Segreteria.
    let events = paid["events"].as_array().unwrap();
    assert!(events.len() >= 2, "{paid}");
    assert_eq!(events[0]["to_state"], "Creata", "{paid}");
    let last = events.last().unwrap();
    assert_eq!(last["to_state"], "Pagata");
    assert_eq!(last["from_state"], report["previous_state"]);
    assert_ne!(last["actor"], "reconciler", "{last}");

    // Beta cancels on the landing page.
    let (cancelled_id, url) = pay_first_cart(&app, &beta).await;
    let back = sim.press(&url, "annulla").await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let cancelled_session = session_of(&sim, 1).await;
    let (status, attempt) =
        json_of(app.call(&beta, "payments/verify", &[("id_session", &cancelled_session), ("esito", "ERROR")]).await)
            .await;
    assert_eq!((status, attempt["state"].as_str()), (StatusCode::OK, Some("NonPagata")), "{attempt}");

    // The request detail shows the provider's own payments, with their state.
    let (_, alpha_request) = json_of(app.call(&alpha, "requests/mine", &[]).await).await;
    let alpha_request = alpha_request["id"].as_str().unwrap().to_string();
    let (status, detail) = json_of(app.call(&admin, "segreteria/request", &[("id", &alpha_request)]).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let payments = detail["payments"].as_array().expect("payments in the request detail");
    assert_eq!(
        payments.iter().map(|p| p["id"].as_str().unwrap()).collect::<Vec<_>>(),
        vec![paid_id.as_str()],
        "{detail}"
    );
    assert_eq!(payments[0]["state"], "Pagata");
    let html =
        admin.get(app.url(&format!("/segreteria/domande/{alpha_request}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("/segreteria/pagamenti/{paid_id}")) && html.contains("€ 258,22"), "{html}");
    assert!(!html.contains(&cancelled_id), "another provider's payment in the request detail");

    // Queues and search.
    let all = list(&app, &admin, "", "").await;
    assert_eq!(
        (count(&all, "pagati"), count(&all, "falliti"), count(&all, "in_corso"), count(&all, "anomalie")),
        (1, 1, 0, 0),
        "{all}"
    );
    assert_eq!(all["total"], 2);
    assert_eq!(row_ids(&list(&app, &admin, "pagati", "").await), vec![paid_id.clone()]);
    assert_eq!(row_ids(&list(&app, &admin, "falliti", "").await), vec![cancelled_id.clone()]);
    assert!(row_ids(&list(&app, &admin, "in_corso", "").await).is_empty());
    assert_eq!(row_ids(&list(&app, &admin, "", &paid_session).await), vec![paid_id.clone()]);
    assert_eq!(row_ids(&list(&app, &admin, "", &cancelled_session.to_uppercase()).await), vec![cancelled_id.clone()]);
    assert_eq!(row_ids(&list(&app, &admin, "", &iuv).await), vec![paid_id.clone()]);
    assert_eq!(row_ids(&list(&app, &admin, "", "beta cong").await), vec![cancelled_id.clone()]);
    assert_eq!(row_ids(&list(&app, &admin, "", &beta_cf).await), vec![cancelled_id.clone()]);
    assert!(row_ids(&list(&app, &admin, "", "nessuno-così").await).is_empty());
    assert!(row_ids(&list(&app, &admin, "falliti", &paid_session).await).is_empty());
    let row = &list(&app, &admin, "", &iuv).await["rows"][0];
    assert_eq!((row["total_cents"].as_i64(), row["provider"].as_str()), (Some(25822), Some("Alfa Formazione")));

    // The pages render on the server for the Segreteria (no JavaScript needed).
    let html = admin.get(app.url(&format!("/segreteria/pagamenti?coda=pagati&cerca={iuv}"))).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(
        html.contains("Tentativi di pagamento") && html.contains(&paid_session) && html.contains("€ 258,22"),
        "{html}"
    );
    assert!(!html.contains(&cancelled_session));
    let html =
        admin.get(app.url(&format!("/segreteria/pagamenti/{paid_id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Verifica ora") && html.contains("Storico degli stati") && html.contains(&iuv), "{html}");
    assert!(html.contains(&format!("/api/payments/{paid_id}/ricevuta")));

    // A provider is refused everywhere (403), an anonymous visitor too (401).
    for (endpoint, form) in [
        ("segreteria/payments", vec![("queue", ""), ("search", ""), ("page", "1")]),
        ("segreteria/payment", vec![("id", paid_id.as_str())]),
        ("segreteria/payment_verify", vec![("id", paid_id.as_str())]),
    ] {
        let (status, body) = json_of(app.call(&alpha, endpoint, &form).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {body}");
        let (status, _) = json_of(app.call(&app.client(), endpoint, &form).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}");
    }
    assert_eq!(csv(&app, &beta, "").await.0, StatusCode::FORBIDDEN);
    assert_eq!(csv(&app, &app.client(), "").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(alpha.get(app.url("/segreteria/pagamenti")).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // CSV: a tricky causale, and Beta's attempt moved to January 2025 for the date filter.
    sqlx::query("UPDATE attempt_debts SET causale = $1 WHERE attempt_id = $2")
        .bind("Quota; \"speciale\" àè")
        .bind(&cancelled_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE payment_attempts SET created_at = $1 WHERE id = $2")
        .bind("2025-01-15T10:00:00.000Z")
        .bind(&cancelled_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, body) = csv(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with('\u{feff}'), "BOM");
    let lines: Vec<&str> = body.trim_start_matches('\u{feff}').split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "data;provider;codice_fiscale;id_session;iuv;iud;causale;importo_euro;stato_tentativo;stato_debito"
    );
    assert_eq!(lines.len(), 3, "{body}");
    assert_eq!(
        lines[1],
        format!(
            "2025-01-15;Beta Congressi;{beta_cf};{cancelled_session};;{};\"Quota; \"\"speciale\"\" àè\";258.22;NON_PAGATA;DA_PAGARE",
            paid_iud_of(&app, &cancelled_id).await
        )
    );
    assert!(lines[2].contains(&format!(";Alfa Formazione;80007580279;{paid_session};{iuv};")), "{}", lines[2]);
    assert!(lines[2].ends_with(";258.22;PAGATA;PAGATO"), "{}", lines[2]);

    let (_, january) = csv(&app, &admin, "?dal=2025-01-01&al=2025-01-31").await;
    let january: Vec<&str> = january.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(january.len(), 2, "{january:?}");
    assert!(january[1].contains(&cancelled_session));
    let (_, recent) = csv(&app, &admin, "?dal=2025-01-16").await;
    let recent: Vec<&str> = recent.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert!(recent[1].contains(&paid_session));
    let (status, _) = csv(&app, &admin, "?dal=15/01/2025").await;
    assert!(status.is_client_error(), "{status}");

    sim.stop();
    app.stop().await;
}
both_backends!(the_payments_console_shows_queues_detail_verifies_now_and_exports_csv, console);

async fn paid_iud_of(app: &TestApp, attempt_id: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT iud FROM attempt_debts WHERE attempt_id = $1")
        .bind(attempt_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
        .try_get("iud")
        .unwrap()
}
