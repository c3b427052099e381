//! The Segreteria console over HTTP: queues, search, pagination, actions and history.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{segreteria, Backend, TestApp};

/// Puts a request straight into INVIATA, as the provider's verified payment and submission
/// would (those steps have their own tests); the console is what is tested here.
async fn submitted_request(app: &TestApp, n: usize, name: &str) -> String {
    let db = app.state.db.pool();
    let user = format!("u{n:03}");
    let provider = format!("p{n:03}");
    let request = format!("r{n:03}");
    let at = format!("2026-11-27T10:{:02}:{:02}.000Z", n / 60, n % 60);
    sqlx::query("INSERT INTO users (id, email, password_hash, role, display_name, created_at) VALUES ($1, $2, 'x', 'PROVIDER', 'Referente', $3)")
        .bind(&user).bind(format!("{user}@provider.it")).bind(&at).execute(db).await.unwrap();
    sqlx::query(
        "INSERT INTO providers (id, owner_user_id, denominazione, codice_fiscale, partita_iva, provider_class, forma_giuridica,
            legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune, provincia, pec, email, telefono, created_at, updated_at)
         VALUES ($1, $2, $3, $4, NULL, 'B', 'IMPRESA', 'Mario', 'Rossi', 'RSSMRA80A01H501U', 'Via Roma', '1', '30121', 'Venezia', 'VE',
            'pec@pec.it', 'info@x.it', '041 1234567', $5, $5)",
    )
    .bind(&provider).bind(&user).bind(name).bind(format!("CF{n:09}")).bind(&at).execute(db).await.unwrap();
    sqlx::query("INSERT INTO accreditation_requests (id, provider_id, kind, state, created_at, updated_at, submitted_at) VALUES ($1, $2, 'PROVVISORIO', 'INVIATA', $3, $3, $3)")
        .bind(&request).bind(&provider).bind(&at).execute(db).await.unwrap();
    request
}

async fn list(app: &TestApp, client: &reqwest::Client, state: &str, search: &str, page: &str) -> Value {
    let response =
        app.call(client, "segreteria/requests", &[("state", state), ("search", search), ("page", page)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn queues_search_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for n in 0..22 {
        submitted_request(&app, n, &format!("Ente Formazione {n:02}")).await;
    }
    submitted_request(&app, 50, "Azienda ULSS 3 Serenissima").await;
    let client = segreteria(&app).await;

    let first = list(&app, &client, "INVIATA", "", "1").await;
    assert_eq!(first["total"], 23);
    assert_eq!(first["rows"].as_array().unwrap().len(), 20);
    assert_eq!(first["rows"][0]["denominazione"], "Azienda ULSS 3 Serenissima", "newest change first");
    let second = list(&app, &client, "INVIATA", "", "2").await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 3);

    let by_name = list(&app, &client, "", "ulss 3", "1").await;
    assert_eq!(by_name["total"], 1);
    let by_cf = list(&app, &client, "", "cf000000007", "1").await;
    assert_eq!(by_cf["rows"][0]["denominazione"], "Ente Formazione 07");
    let other_queue = list(&app, &client, "ACCREDITATO", "", "1").await;
    assert_eq!(other_queue["total"], 0);
    let tabs = first["tabs"].as_array().unwrap();
    assert_eq!(
        (&tabs[0]["code"], &tabs[0]["count"]),
        (&serde_json::json!("INVIATA"), &serde_json::json!(23)),
        "{first}"
    );
    assert_eq!(tabs.len(), 5, "one tab per queue state: {first}");
    app.stop().await;
}
both_backends!(the_console_lists_requests_by_state_with_search_and_pages, queues_search_pages);

async fn procedure(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = submitted_request(&app, 1, "Ente Uno").await;
    let client = segreteria(&app).await;
    let act = |action: &'static str, note: &'static str| {
        let (app, client, id) = (&app, &client, id.clone());
        async move { app.call(client, "segreteria/act", &[("id", id.as_str()), ("action", action), ("note", note)]).await }
    };

    assert_eq!(act("accredita", "").await.status(), StatusCode::CONFLICT, "cannot accredit before taking in charge");
    assert!(act("prendi_in_carico", "").await.status().is_success());
    let missing_note = act("richiedi_integrazione", "  ").await;
    assert_eq!(missing_note.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_section = act("richiedi_integrazione", "Manca il piano della qualità firmato").await;
    assert_eq!(no_section.status(), StatusCode::UNPROCESSABLE_ENTITY, "an integration names what it reopens");
    let reopened = app
        .call(
            &client,
            "segreteria/act",
            &[
                ("id", id.as_str()),
                ("action", "richiedi_integrazione"),
                ("note", "Manca il piano della qualità firmato"),
                ("sections[]", "DOCUMENTI"),
            ],
        )
        .await;
    assert!(reopened.status().is_success(), "{}", reopened.status());

    let detail: Value = app.call(&client, "segreteria/request", &[("id", id.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["request"]["state"], "IntegrazioneRichiesta");
    let history = detail["request"]["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["note"], "Manca il piano della qualità firmato");
    assert_eq!(last["actor_role"], "SEGRETERIA");
    assert_eq!(last["from_state"], "InIstruttoria");
    assert_eq!(detail["request"]["reopened_sections"], serde_json::json!(["Documenti"]));
    assert!(detail["documents"].as_array().unwrap().len() >= 6);

    assert_eq!(
        act("prendi_in_carico", "").await.status(),
        StatusCode::CONFLICT,
        "the provider answers an integration, not the Segreteria"
    );
    // The request is back with the Segreteria once the provider answers (simulated here).
    sqlx::query("UPDATE accreditation_requests SET state = 'IN_ISTRUTTORIA' WHERE id = $1")
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(act("rigetta", "").await.status(), StatusCode::UNPROCESSABLE_ENTITY, "a rejection needs reasons");
    let unconfirmed: Value = act("accredita", "Requisiti verificati").await.json().await.unwrap();
    assert_eq!(unconfirmed["code"], "class_not_confirmed", "the Gruppo is confirmed before accrediting");
    let confirmed = app.call(&client, "segreteria/class", &[("id", id.as_str()), ("class", "B")]).await;
    assert!(confirmed.status().is_success(), "{}", confirmed.status());
    let unpaid = act("accredita", "Requisiti verificati").await;
    assert_eq!(unpaid.status(), StatusCode::CONFLICT, "Gruppo B: the first-year quota must be paid first");
    let quota: (String, String) = sqlx::query_as("SELECT state, causale FROM debts WHERE request_id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(quota.0, "DA_PAGARE", "the recomputation made the quota due: {}", quota.1);
    // Verified paid (simulated here: the payment flow has its own tests).
    sqlx::query(
        "UPDATE debts SET state = 'PAGATO', iuv = 'RF00', iur = 'IUR00', paid_at = '2026-11-28' WHERE request_id = $1",
    )
    .bind(&id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    assert!(act("accredita", "Requisiti verificati").await.status().is_success());
    assert_eq!(act("rigetta", "ripensamento").await.status(), StatusCode::CONFLICT, "a final state stays final");
    let detail: Value = app.call(&client, "segreteria/request", &[("id", id.as_str())]).await.json().await.unwrap();
    assert_eq!(detail["request"]["state"], "Accreditato");
    app.stop().await;
}
both_backends!(each_segreteria_action_follows_the_procedure_and_is_recorded, procedure);

async fn console_is_segreteria_only(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = submitted_request(&app, 1, "Ente Uno").await;
    let provider = app.client();
    app.register(&provider, "curioso@provider.it", "Provider2026").await;
    assert_eq!(
        app.call(&provider, "segreteria/requests", &[("state", ""), ("search", ""), ("page", "1")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.call(&provider, "segreteria/request", &[("id", id.as_str())]).await.status(), StatusCode::FORBIDDEN);
    let act =
        app.call(&provider, "segreteria/act", &[("id", id.as_str()), ("action", "accredita"), ("note", "")]).await;
    assert_eq!(act.status(), StatusCode::FORBIDDEN);
    let state: String = sqlx::query_scalar("SELECT state FROM accreditation_requests WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(state, "INVIATA");
    app.stop().await;
}
both_backends!(a_provider_cannot_use_the_console, console_is_segreteria_only);
