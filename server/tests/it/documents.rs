//! Document uploads and downloads over HTTP, on both databases.

use crate::support;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{Backend, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};

fn pdf(size: usize, marker: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size, marker);
    bytes.extend_from_slice(b"\n%%EOF");
    bytes
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    type_code: &str,
    name: &str,
    bytes: Vec<u8>,
    json: bool,
) -> reqwest::Response {
    let form = Form::new()
        .text("type_code", type_code.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str("application/pdf").unwrap());
    let mut request = client.post(app.url("/documenti/carica")).multipart(form);
    if json {
        request = request.header("Accept", "application/json");
    }
    request.send().await.unwrap()
}

/// A provider account with censimento and a draft request, ready for documents.
async fn provider_with_request(app: &TestApp, email: &str, cf: &str) -> reqwest::Client {
    support::provider_with_draft(app, email, "Ente di Formazione", cf, "IMPRESA").await
}

async fn mine(app: &TestApp, client: &reqwest::Client) -> Value {
    app.call(client, "documents/mine", &[]).await.json().await.unwrap()
}

fn slot<'a>(documents: &'a Value, code: &str) -> &'a Value {
    documents["slots"].as_array().unwrap().iter().find(|s| s["doc_type"]["code"] == code).unwrap()
}

async fn upload_replace_download(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = provider_with_request(&app, "doc@provider.it", "80007580279").await;
    let before = mine(&app, &client).await;
    assert_eq!(before["slots"].as_array().unwrap().len(), 6);
    assert!(slot(&before, "PIANO_QUALITA")["current"].is_null());

    let first = pdf(10_000, b'a');
    let response = upload(&app, &client, "PIANO_QUALITA", "../Piano qualità.pdf", first.clone(), true).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second = pdf(12_000, b'b');
    assert_eq!(
        upload(&app, &client, "PIANO_QUALITA", "piano-v2.pdf", second.clone(), true).await.status(),
        StatusCode::CREATED
    );

    let after = mine(&app, &client).await;
    let piano = slot(&after, "PIANO_QUALITA");
    assert_eq!(piano["current"]["file_name"], "piano-v2.pdf");
    assert_eq!(piano["current"]["size_bytes"], second.len());
    let expected_sha: String = Sha256::digest(&second).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(piano["current"]["sha256"], expected_sha.as_str());
    assert_eq!(piano["history"].as_array().unwrap().len(), 1);
    assert_eq!(piano["history"][0]["file_name"], "Piano qualità.pdf", "the path is removed, letters kept");

    let id = piano["current"]["id"].as_str().unwrap();
    let download = client.get(app.url(&format!("/documenti/{id}"))).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.headers()["content-disposition"].to_str().unwrap().contains("piano-v2.pdf"));
    assert_eq!(download.bytes().await.unwrap().to_vec(), second);

    let old_id = piano["history"][0]["id"].as_str().unwrap();
    let old = client.get(app.url(&format!("/documenti/{old_id}"))).send().await.unwrap();
    assert!(old.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''Piano%20qualit%C3%A0.pdf"));
    assert_eq!(old.bytes().await.unwrap().to_vec(), first, "the replaced version is kept");
    app.stop().await;
}
both_backends!(a_document_is_stored_with_its_hash_replaced_with_history_and_downloaded, upload_replace_download);

async fn bad_uploads(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("ECM_DOCUMENT_MAX_BYTES", "20000")]).await else { return };
    let client = provider_with_request(&app, "bad@provider.it", "80007580279").await;

    let not_pdf = upload(&app, &client, "PIANO_QUALITA", "finto.pdf", b"PK\x03\x04 a zip file".to_vec(), true).await;
    assert_eq!(not_pdf.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = not_pdf.json().await.unwrap();
    assert_eq!(body["code"], "not_pdf");
    assert!(body["message"].as_str().unwrap().contains("non è un PDF"));

    let too_big = upload(&app, &client, "PIANO_QUALITA", "grande.pdf", pdf(30_000, b'x'), true).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = too_big.json().await.unwrap();
    assert_eq!(body["code"], "too_large");

    let unknown = upload(&app, &client, "ALTRO", "a.pdf", pdf(100, b'x'), true).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let documents = mine(&app, &client).await;
    assert!(slot(&documents, "PIANO_QUALITA")["current"].is_null(), "nothing stored");
    assert!(slot(&documents, "PIANO_QUALITA")["history"].as_array().unwrap().is_empty());

    // Without JavaScript the browser is sent back to the page with the reason.
    let plain = upload(&app, &client, "PIANO_QUALITA", "finto.pdf", b"GIF89a".to_vec(), false).await;
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    assert_eq!(plain.headers()["location"], "/area/documenti?errore=not_pdf");
    app.stop().await;
}
both_backends!(a_non_pdf_and_an_oversize_upload_are_refused_and_nothing_is_stored, bad_uploads);

async fn ownership(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let a = provider_with_request(&app, "a@provider.it", "80007580279").await;
    assert_eq!(
        upload(&app, &a, "PIANO_FORMATIVO", "piano.pdf", pdf(500, b'p'), true).await.status(),
        StatusCode::CREATED
    );
    let documents = mine(&app, &a).await;
    let id = slot(&documents, "PIANO_FORMATIVO")["current"]["id"].as_str().unwrap().to_string();
    let url = app.url(&format!("/documenti/{id}"));

    let b = provider_with_request(&app, "b@provider.it", "01234567897").await;
    assert_eq!(
        b.get(&url).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "provider B cannot download A's document"
    );
    let b_documents = mine(&app, &b).await;
    assert!(slot(&b_documents, "PIANO_FORMATIVO")["current"].is_null(), "B does not see A's documents");

    assert_eq!(app.client().get(&url).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let segreteria = app.client();
    app.login(&segreteria, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(segreteria.get(&url).send().await.unwrap().status(), StatusCode::OK);
    // The Segreteria cannot upload as a provider.
    assert_eq!(
        upload(&app, &segreteria, "PIANO_FORMATIVO", "x.pdf", pdf(500, b'p'), true).await.status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
both_backends!(documents_are_reachable_only_by_their_provider_and_the_segreteria, ownership);

async fn no_request_yet(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    app.register(&client, "early@provider.it", "Provider2026").await;
    let response = upload(&app, &client, "PIANO_FORMATIVO", "x.pdf", pdf(500, b'p'), true).await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(mine(&app, &client).await, Value::Null);
    app.stop().await;
}
both_backends!(documents_wait_for_the_request, no_request_yet);

async fn gate(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = app.client();
    app.register(&client, "gate@provider.it", "Provider2026").await;
    let closed: Value = app.call(&client, "requests/gate", &[]).await.json().await.unwrap();
    assert_eq!(closed["missing"].as_array().unwrap().len(), 2, "{closed}");

    let client = provider_with_request(&app, "gate2@provider.it", "80007580279").await;
    let documents: Value = app.call(&client, "requests/gate", &[]).await.json().await.unwrap();
    let missing: Vec<&str> = documents["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(missing.len(), 6);
    assert!(missing.contains(&"il documento «Piano della qualità»"), "{missing:?}");

    for code in ["ATTO_COSTITUTIVO", "PIANO_QUALITA", "DICHIARAZIONE_LEGALE", "CV_RESPONSABILE", "CV_COMITATO"] {
        assert_eq!(upload(&app, &client, code, "d.pdf", pdf(300, b'd'), true).await.status(), StatusCode::CREATED);
    }
    let one_left: Value = app.call(&client, "requests/gate", &[]).await.json().await.unwrap();
    assert_eq!(one_left["missing"], serde_json::json!(["il documento «Piano formativo annuale»"]));
    assert_eq!(
        upload(&app, &client, "PIANO_FORMATIVO", "d.pdf", pdf(300, b'd'), true).await.status(),
        StatusCode::CREATED
    );
    let open: Value = app.call(&client, "requests/gate", &[]).await.json().await.unwrap();
    assert_eq!(open["missing"], serde_json::json!([]));
    app.stop().await;
}
both_backends!(the_payment_gate_says_exactly_what_is_missing, gate);

async fn code_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["code"].as_str().unwrap_or_default().to_string(),
        body["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// Storage is bounded and nothing is dropped to make room: versions per slot, bytes per request
/// and uploads per hour each refuse the next upload with their own reason, and what was
/// stored stays.
async fn storage_limits(backend: Backend) {
    let limits = [
        ("ECM_DOCUMENT_MAX_VERSIONS", "3"),
        ("ECM_DOCUMENT_MAX_REQUEST_BYTES", "50000"),
        ("ECM_UPLOADS_PER_HOUR", "7"),
    ];
    let Some(app) = TestApp::spawn_with(backend, &limits).await else { return };
    let client = provider_with_request(&app, "limits@provider.it", "80007580279").await;
    for i in 0..3u8 {
        assert_eq!(
            upload(&app, &client, "PIANO_QUALITA", &format!("v{i}.pdf"), pdf(1_000, b'a' + i), true).await.status(),
            StatusCode::CREATED
        );
    }
    let (status, code, message) =
        code_of(upload(&app, &client, "PIANO_QUALITA", "v3.pdf", pdf(1_000, b'z'), true).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "too_many_versions"));
    assert!(message.contains("le versioni caricate restano"), "{message}");
    let documents = mine(&app, &client).await;
    assert_eq!(slot(&documents, "PIANO_QUALITA")["current"]["file_name"], "v2.pdf", "the current version stays");
    assert_eq!(slot(&documents, "PIANO_QUALITA")["history"].as_array().unwrap().len(), 2);

    // 3 KB stored; 45 KB more fit, 48 KB would not.
    assert_eq!(
        upload(&app, &client, "ATTO_COSTITUTIVO", "atto.pdf", pdf(45_000, b'x'), true).await.status(),
        StatusCode::CREATED
    );
    let (status, code, _) =
        code_of(upload(&app, &client, "CV_COMITATO", "org.pdf", pdf(3_000, b'x'), true).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::INSUFFICIENT_STORAGE, "request_full"));
    assert!(slot(&mine(&app, &client).await, "CV_COMITATO")["current"].is_null());

    // 4 stored + 2 refused (refusals are not uploads); 3 more small ones reach 7 in the hour.
    for code in ["CV_COMITATO", "CV_RESPONSABILE", "CV_COMITATO"] {
        let status = upload(&app, &client, code, "piccolo.pdf", pdf(100, b'x'), true).await.status();
        assert_eq!(status, StatusCode::CREATED, "{code}");
    }
    let (status, code, message) =
        code_of(upload(&app, &client, "CV_RESPONSABILE", "ancora.pdf", pdf(100, b'x'), true).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::TOO_MANY_REQUESTS, "too_frequent"));
    assert!(message.contains("Riprova più tardi"), "{message}");
    app.stop().await;
}
both_backends!(storage_limits_refuse_the_next_upload_and_keep_what_was_stored, storage_limits);
