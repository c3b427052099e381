//! The provider wizard's first steps over HTTP: censimento and the draft request.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Backend, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};

fn provider_form(cf: &str) -> Vec<(String, String)> {
    [
        ("denominazione", "Società Italiana di Formazione Sanitaria"),
        ("codice_fiscale", cf),
        ("partita_iva", ""),
        ("forma_giuridica", "SOCIETA_SCIENTIFICA"),
        ("legale_nome", "Mario"),
        ("legale_cognome", "Rossi"),
        ("legale_codice_fiscale", "rssmra80a01h501u"),
        ("via", "Via Roma"),
        ("civico", "1"),
        ("cap", "30121"),
        ("comune", "Venezia"),
        ("provincia", "ve"),
        ("pec", "formazione@pec.example.it"),
        ("email", "info@example.it"),
        ("telefono", "+39 041 1234567"),
    ]
    .into_iter()
    .map(|(k, v)| (format!("form[{k}]"), v.to_string()))
    .collect()
}

async fn save(app: &TestApp, client: &reqwest::Client, form: &[(String, String)]) -> reqwest::Response {
    client.post(app.url("/api/providers/save")).header("Accept", "application/json").form(form).send().await.unwrap()
}

async fn provider_account(app: &TestApp, email: &str) -> reqwest::Client {
    let client = app.client();
    assert!(app.register(&client, email, "Provider2026").await.status().is_success());
    client
}

async fn censimento_saved_and_normalised(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = provider_account(&app, "a@provider.it").await;
    let none: Value = app.call(&client, "providers/mine", &[]).await.json().await.unwrap();
    assert_eq!(none, Value::Null);

    let response = save(&app, &client, &provider_form("80007580279")).await;
    assert!(response.status().is_success(), "{}", response.status());
    let mine: Value = app.call(&client, "providers/mine", &[]).await.json().await.unwrap();
    assert_eq!(mine["form"]["codice_fiscale"], "80007580279");
    assert_eq!(mine["form"]["legale_codice_fiscale"], "RSSMRA80A01H501U");
    assert_eq!(mine["form"]["provincia"], "VE");
    assert_eq!(mine["provider_class"], "B");
    assert_eq!(mine["editable"], true);

    // Saving again updates the same provider.
    let mut changed = provider_form("80007580279");
    changed[0].1 = "Nuova Denominazione".into();
    changed[3].1 = "AZIENDA_SANITARIA".into();
    assert!(save(&app, &client, &changed).await.status().is_success());
    let mine: Value = app.call(&client, "providers/mine", &[]).await.json().await.unwrap();
    assert_eq!(mine["form"]["denominazione"], "Nuova Denominazione");
    assert_eq!(mine["provider_class"], "A");
    app.stop().await;
}
both_backends!(the_censimento_is_saved_normalised_and_can_be_edited, censimento_saved_and_normalised);

async fn censimento_errors(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = provider_account(&app, "b@provider.it").await;
    let mut form = provider_form("80007580278");
    form[9].1 = "301".into();
    let response = save(&app, &client, &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_form");
    let fields: Vec<&str> = body["detail"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["codice_fiscale", "cap"]);
    let mine: Value = app.call(&client, "providers/mine", &[]).await.json().await.unwrap();
    assert_eq!(mine, Value::Null, "nothing stored");
    app.stop().await;
}
both_backends!(an_invalid_censimento_names_every_bad_field_and_stores_nothing, censimento_errors);

async fn codice_fiscale_unique(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let first = provider_account(&app, "first@provider.it").await;
    assert!(save(&app, &first, &provider_form("80007580279")).await.status().is_success());
    let second = provider_account(&app, "second@provider.it").await;
    let response = save(&app, &second, &provider_form("80007580279")).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "provider_exists");
    app.stop().await;
}
both_backends!(two_accounts_cannot_register_the_same_codice_fiscale, codice_fiscale_unique);

async fn draft_request(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = provider_account(&app, "d@provider.it").await;
    let early = app.call(&client, "requests/kind", &[("kind", "PROVVISORIO")]).await;
    assert_eq!(early.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(early.json::<Value>().await.unwrap()["code"], "step_missing");

    assert!(save(&app, &client, &provider_form("80007580279")).await.status().is_success());
    let bad = app.call(&client, "requests/kind", &[("kind", "DEFINITIVO")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert!(app.call(&client, "requests/kind", &[("kind", "PROVVISORIO")]).await.status().is_success());
    assert!(app.call(&client, "requests/kind", &[("kind", "STANDARD")]).await.status().is_success());
    let request: Value = app.call(&client, "requests/mine", &[]).await.json().await.unwrap();
    assert_eq!(request["kind"], "Standard");
    assert_eq!(request["state"], "Bozza");
    let history = request["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "changing the kind of a draft is not a state change");
    assert_eq!(history[0]["to_state"], "Bozza");
    assert_eq!(history[0]["actor_role"], "PROVIDER");
    app.stop().await;
}
both_backends!(the_draft_request_is_created_once_and_keeps_its_history, draft_request);

async fn wizard_access(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let anonymous = app.call(&app.client(), "providers/mine", &[]).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let segreteria = app.client();
    app.login(&segreteria, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let refused = save(&app, &segreteria, &provider_form("80007580279")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.call(&segreteria, "requests/mine", &[]).await.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}
both_backends!(the_wizard_is_for_provider_accounts_only, wizard_access);
