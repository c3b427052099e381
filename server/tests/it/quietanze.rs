//! Treasury payments with a quietanza over real HTTP on both databases (issue "Every provider
//! can pay"): a Gruppo A provider in its second year pays its quota by quietanza, the Segreteria
//! accepts it and events unlock; the channel is off for Gruppo B until the Segreteria switches
//! it on; refusals give the debt back with the reason; underpayment and a reused CRO/TRN are
//! never accepted; a debt is never both in a cart and behind a quietanza; every bad input is
//! answered with the form's values kept and nothing stored.

use crate::support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{accredited, browser, count, fiscal_code, json_of, provider_of, scalar, segreteria, Backend, TestApp};

const PDF: &[u8] = b"%PDF-1.4\n% quietanza di prova\n%%EOF";

/// What the provider types beside the PDF.
struct Declared<'a> {
    debt_id: &'a str,
    value_date: &'a str,
    amount: &'a str,
    cro: &'a str,
    body: &'a str,
}

/// Posts the quietanza form as a browser does; returns the 303's target.
async fn upload(app: &TestApp, client: &reqwest::Client, d: &Declared<'_>, file: &[u8]) -> String {
    let form = reqwest::multipart::Form::new()
        .text("debt_id", d.debt_id.to_string())
        .text("value_date", d.value_date.to_string())
        .text("paid_amount", d.amount.to_string())
        .text("cro_trn", d.cro.to_string())
        .text("paying_body", d.body.to_string())
        .part("file", reqwest::multipart::Part::bytes(file.to_vec()).file_name("quietanza tesoreria.pdf"));
    let response = client.post(app.url("/area/quietanza/carica")).multipart(form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the form always answers with a redirect");
    response.headers()["location"].to_str().unwrap().to_string()
}

/// The error code a redirect carries back to the form (`__err`, as server functions encode it).
fn error_in(location: &str) -> app::error::AppError {
    use base64::Engine;
    let url = reqwest::Url::parse(&format!("http://x{location}")).unwrap();
    let err = url
        .query_pairs()
        .find(|(k, _)| k == "__err")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| panic!("no error in {location}"));
    let bytes = base64::engine::general_purpose::URL_SAFE.decode(err).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn query_value(location: &str, key: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x{location}")).unwrap();
    url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.to_string())
}

async fn page(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, page) = json_of(app.call(client, "quietanze/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

async fn debt_detail(app: &TestApp, seg: &reqwest::Client, debt_id: &str) -> Value {
    let (status, detail) = json_of(app.call(seg, "segreteria/debt", &[("id", debt_id)]).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail
}

fn today() -> String {
    app::domain::dates::date_text(app::domain::dates::today())
}

/// A Gruppo A provider accredited last year owes this year's quota (band up to 30 events,
/// € 3.000,00); the treasury channel is on by default; its quietanza holds the debt, the
/// Segreteria accepts it, the debt is PAGATO "fuori pagoPA" and events unlock.
async fn gruppo_a_pays_by_quietanza(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let last_year = time::OffsetDateTime::now_utc().year() - 1;
    let this_year = last_year + 1;
    let email = "ulss@provider.it";
    let (client, provider_id) = accredited(
        &app,
        email,
        &fiscal_code("0700000001"),
        "AZIENDA_SANITARIA",
        &format!("{last_year}-05-01T10:00:00.000Z"),
    )
    .await;
    app::events::service::ensure_all_annual_debts(&app.state.db, time::OffsetDateTime::now_utc().date()).await.unwrap();

    let before = page(&app, &client).await;
    assert_eq!(before["enabled"], true, "on by default for Gruppo A: {before}");
    let payable = before["payable"].as_array().unwrap();
    assert_eq!(payable.len(), 1, "{before}");
    assert_eq!(payable[0]["amount_cents"], 300000);
    let debt_id = payable[0]["id"].as_str().unwrap().to_string();

    let declared = Declared {
        debt_id: &debt_id,
        value_date: &today(),
        amount: "3.000,00",
        cro: "1234 5678 901",
        body: "Formazione Sanitaria Veneta",
    };
    let location = upload(&app, &client, &declared, PDF).await;
    let quietanza_id = query_value(&location, "inviata").unwrap_or_else(|| panic!("stored: {location}"));
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO");
    assert_eq!(scalar(&app, "SELECT state FROM quietanze WHERE id = $1", &quietanza_id).await, "IN_VERIFICA");
    assert_eq!(scalar(&app, "SELECT cro_trn FROM quietanze WHERE id = $1", &quietanza_id).await, "12345678901");

    // Held: not in a cart, not payable online, no second quietanza, no reminder.
    let (_, cart) = json_of(app.call(&client, "payments/page", &[]).await).await;
    assert_eq!(cart["carts"].as_array().unwrap().len(), 0, "{cart}");
    let form = [
        ("idempotency_key", cart["idempotency_key"].as_str().unwrap()),
        ("debts", debt_id.as_str()),
        ("payer_email", "t@example.it"),
    ];
    let (status, answer) = json_of(app.call(&client, "payments/pay", &form).await).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("payment_in_progress")), "{answer}");
    assert!(sim.sessions().await.is_empty(), "nothing was sent to MyPay");
    let again = upload(&app, &client, &Declared { cro: "99999999999", ..declared }, b"%PDF-1.4\n% altra\n%%EOF").await;
    assert_eq!(error_in(&again).code(), "debt_not_payable", "{again}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quietanze WHERE debt_id = $1", &debt_id).await, 1);
    let (_, plan) = json_of(app.call(&client, "events/plan", &[]).await).await;
    assert_eq!(plan["access"]["AnnualFeeUnpaid"]["year"], this_year, "still closed while in verification: {plan}");

    // The Segreteria sees it in its queue, beside the debt, with nothing to flag.
    let seg = segreteria(&app).await;
    let (_, queue) =
        json_of(app.call(&seg, "segreteria/debts", &[("state", "QUIETANZE"), ("search", ""), ("page", "1")]).await)
            .await;
    let pending =
        queue["tabs"].as_array().unwrap().iter().find(|t| t["code"] == "QUIETANZE").map(|t| t["count"].clone());
    assert_eq!(pending, Some(serde_json::json!(1)), "{queue}");
    assert_eq!(queue["rows"][0]["id"], debt_id.as_str(), "{queue}");
    let detail = debt_detail(&app, &seg, &debt_id).await;
    assert_eq!(detail["quietanze"][0]["state"], "InVerifica", "{detail}");
    assert_eq!(detail["quietanze"][0]["mismatches"], serde_json::json!([]), "{detail}");
    let file = seg.get(app.url(&format!("/quietanze/{quietanza_id}"))).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF, "the Segreteria reads the very file");

    let (status, answer) = json_of(
        app.call(&seg, "segreteria/quietanza_accept", &[("id", quietanza_id.as_str()), ("debt_id", debt_id.as_str())])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "PAGATO");
    assert_eq!(scalar(&app, "SELECT paid_channel FROM debts WHERE id = $1", &debt_id).await, "QUIETANZA");
    assert_eq!(scalar(&app, "SELECT paid_at FROM debts WHERE id = $1", &debt_id).await, today());
    assert_eq!(scalar(&app, "SELECT paid_quietanza_id FROM debts WHERE id = $1", &debt_id).await, quietanza_id);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE provider_id = $1 AND kind = 'QUIETANZA_ACCEPTED'",
            &provider_id
        )
        .await,
        2,
        "account and organisation"
    );
    // Accepted once: a second acceptance finds it decided.
    let (status, answer) = json_of(
        app.call(&seg, "segreteria/quietanza_accept", &[("id", quietanza_id.as_str()), ("debt_id", debt_id.as_str())])
            .await,
    )
    .await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{answer}");

    // Events unlock exactly as after a pagoPA payment; the statement says how it was paid.
    let (_, plan) = json_of(app.call(&client, "events/plan", &[]).await).await;
    assert_eq!(plan["access"], "Open", "{plan}");
    let (_, statement) = json_of(app.call(&client, "debts/statement", &[]).await).await;
    let line = statement["lines"].as_array().unwrap().iter().find(|l| l["id"] == debt_id.as_str()).unwrap().clone();
    assert_eq!(line["channel"], "Bonifico di tesoreria (quietanza verificata)", "{line}");
    assert_eq!(line["quietanza_url"], format!("/quietanze/{quietanza_id}"));
    // Its readable receipt says how it was paid.
    let receipt = client.get(app.url(line["receipt_pdf_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let text = support::pdf_text(&receipt.bytes().await.unwrap());
    for expected in [
        "Formazione Sanitaria Veneta",
        "Bonifico di tesoreria",
        "12345678901",
        "€ 3.000,00",
        "80007580279",
        &app::debts::model::date_it(&today()),
    ] {
        assert!(text.contains(expected), "{expected} in the receipt:\n{text}");
    }
    // The file is the provider's and the Segreteria's only.
    let other = support::provider_with_draft(
        &app,
        "altro@provider.it",
        "Altro Ente",
        &fiscal_code("0700000002"),
        "ORDINE_COLLEGIO",
    )
    .await;
    assert_eq!(
        other.get(app.url(&format!("/quietanze/{quietanza_id}"))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        other.get(app.url(line["receipt_pdf_url"].as_str().unwrap())).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client.get(app.url(&format!("/quietanze/{quietanza_id}"))).send().await.unwrap().status(),
        StatusCode::OK
    );
    let _ = provider_of(&app, email).await;
    app.stop().await;
    sim.stop();
}
both_backends!(
    a_gruppo_a_provider_pays_its_second_year_quota_by_quietanza_and_events_unlock,
    gruppo_a_pays_by_quietanza
);

/// Gruppo B: off by default; the Segreteria switches it on (audited); an underpaid quietanza
/// cannot be accepted and is refused with a reason (the debt is to pay again, the provider is
/// told why); a second one naming another paying body needs a note to be accepted; a CRO/TRN
/// already used by another provider's accepted quietanza can never be accepted.
async fn refusals_and_differences(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let client = support::provider_with_draft(
        &app,
        "b@provider.it",
        "Società Formazione",
        &fiscal_code("0700000003"),
        "IMPRESA",
    )
    .await;
    support::upload_required_documents(&app, &client).await;
    let (provider_id, _) = provider_of(&app, "b@provider.it").await;
    let first = page(&app, &client).await;
    assert_eq!(first["enabled"], false, "off by default for Gruppo B: {first}");
    let debt_id = first["payable"][0]["id"].as_str().unwrap().to_string();
    let declared = Declared {
        debt_id: &debt_id,
        value_date: &today(),
        amount: "258,22",
        cro: "A1B2C3D4E5F6G7",
        body: "Società Formazione",
    };
    let location = upload(&app, &client, &declared, PDF).await;
    assert_eq!(error_in(&location).code(), "treasury_channel_off");
    assert_eq!(
        query_value(&location, "cro").as_deref(),
        Some("A1B2C3D4E5F6G7"),
        "what was typed comes back: {location}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM quietanze WHERE provider_id = $1", &provider_id).await, 0);

    let seg = segreteria(&app).await;
    let (status, answer) = json_of(
        app.call(&seg, "segreteria/treasury_channel", &[("provider_id", provider_id.as_str()), ("enabled", "1")]).await,
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")),
        "a reason is required: {answer}"
    );
    let form = [
        ("provider_id", provider_id.as_str()),
        ("enabled", "1"),
        ("treasury_reason", "Paga con ordinativo della tesoreria"),
    ];
    assert_eq!(app.call(&seg, "segreteria/treasury_channel", &form).await.status(), StatusCode::OK);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM provider_changes WHERE provider_id = $1 AND field = 'treasury_channel'",
            &provider_id
        )
        .await,
        1
    );
    assert_eq!(page(&app, &client).await["enabled"], true);

    // Underpaid: flagged, never accepted, refused with a reason.
    let underpaid = upload(&app, &client, &Declared { amount: "200,00", ..declared }, PDF).await;
    let q1 = query_value(&underpaid, "inviata").unwrap_or_else(|| panic!("{underpaid}"));
    let detail = debt_detail(&app, &seg, &debt_id).await;
    assert_eq!(detail["quietanze"][0]["mismatches"][0]["AmountLower"]["declared_cents"], 20000, "{detail}");
    let (status, answer) = json_of(
        app.call(
            &seg,
            "segreteria/quietanza_accept",
            &[("id", q1.as_str()), ("debt_id", debt_id.as_str()), ("accept_note", "ok")],
        )
        .await,
    )
    .await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("quietanza_not_acceptable")), "{answer}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO");
    let (status, answer) = json_of(
        app.call(&seg, "segreteria/quietanza_refuse", &[("id", q1.as_str()), ("debt_id", debt_id.as_str())]).await,
    )
    .await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{answer}");
    let reason = "Importo inferiore al dovuto: manca la differenza di € 58,22";
    let refuse = [("id", q1.as_str()), ("debt_id", debt_id.as_str()), ("refuse_reason", reason)];
    assert_eq!(app.call(&seg, "segreteria/quietanza_refuse", &refuse).await.status(), StatusCode::OK);
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "DA_PAGARE");
    let after = page(&app, &client).await;
    assert_eq!(after["quietanze"][0]["state"], "Rifiutata");
    assert_eq!(after["quietanze"][0]["decision_note"], reason);
    let body: String =
        sqlx::query_scalar("SELECT body_text FROM mail_outbox WHERE provider_id = $1 AND kind = 'QUIETANZA_REFUSED'")
            .bind(&provider_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(body.contains(reason), "{body}");

    // Another paying body: accepted only with a note saying why.
    let second = upload(
        &app,
        &client,
        &Declared { cro: "ZZ9988776655", body: "Fondazione Amica", ..declared },
        b"%PDF-1.4\n% seconda\n%%EOF",
    )
    .await;
    let q2 = query_value(&second, "inviata").unwrap_or_else(|| panic!("{second}"));
    let (status, answer) = json_of(
        app.call(&seg, "segreteria/quietanza_accept", &[("id", q2.as_str()), ("debt_id", debt_id.as_str())]).await,
    )
    .await;
    assert_eq!(
        (status, answer["detail"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("accept_note")),
        "{answer}"
    );
    let accept = [
        ("id", q2.as_str()),
        ("debt_id", debt_id.as_str()),
        ("accept_note", "Bonifico della fondazione socia, verificato"),
    ];
    assert_eq!(app.call(&seg, "segreteria/quietanza_accept", &accept).await.status(), StatusCode::OK);
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "PAGATO");
    // The request can now be sent, as after a pagoPA payment.
    assert_eq!(app.call(&client, "requests/submit", &[]).await.status(), StatusCode::OK);

    // The same CRO/TRN for another provider's debt is never accepted.
    let other =
        support::provider_with_draft(&app, "c@provider.it", "Altra Società", &fiscal_code("0700000004"), "IMPRESA")
            .await;
    support::upload_required_documents(&app, &other).await;
    let (other_id, _) = provider_of(&app, "c@provider.it").await;
    let form = [("provider_id", other_id.as_str()), ("enabled", "1"), ("treasury_reason", "Tesoreria")];
    assert_eq!(app.call(&seg, "segreteria/treasury_channel", &form).await.status(), StatusCode::OK);
    let other_debt = page(&app, &other).await["payable"][0]["id"].as_str().unwrap().to_string();
    let reused = Declared {
        debt_id: &other_debt,
        value_date: &today(),
        amount: "258,22",
        cro: "ZZ9988776655",
        body: "Altra Società",
    };
    let location = upload(&app, &other, &reused, b"%PDF-1.4\n% terza\n%%EOF").await;
    let q3 = query_value(&location, "inviata").unwrap();
    let detail = debt_detail(&app, &seg, &other_debt).await;
    assert_eq!(detail["quietanze"][0]["mismatches"], serde_json::json!(["CroReused"]), "{detail}");
    let accept = [("id", q3.as_str()), ("debt_id", other_debt.as_str()), ("accept_note", "sembra giusto")];
    let (status, answer) = json_of(app.call(&seg, "segreteria/quietanza_accept", &accept).await).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("quietanza_not_acceptable")), "{answer}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &other_debt).await, "IN_CORSO");
    app.stop().await;
}
both_backends!(refusals_differences_and_reused_transfers_never_pay_a_debt, refusals_and_differences);

/// Bad input: every field checked at once with the typed values sent back, a file that is not
/// a PDF, another provider's debt, a provider account's role on the Segreteria's actions.
async fn bad_input(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let email = "asl@provider.it";
    let (client, provider_id) =
        accredited(&app, email, &fiscal_code("0700000005"), "AZIENDA_SANITARIA", "2020-05-01T10:00:00.000Z").await;
    app::events::service::ensure_all_annual_debts(&app.state.db, time::OffsetDateTime::now_utc().date()).await.unwrap();
    let debt_id = page(&app, &client).await["payable"][0]["id"].as_str().unwrap().to_string();

    let bad = Declared { debt_id: &debt_id, value_date: "31/02/2026", amount: "tremila", cro: "12-34", body: "" };
    let location = upload(&app, &client, &bad, PDF).await;
    let fields: Vec<String> = match error_in(&location) {
        app::error::AppError::InvalidForm(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(fields, ["value_date", "paid_amount", "cro_trn", "paying_body"]);
    assert_eq!(query_value(&location, "importo").as_deref(), Some("tremila"));
    assert_eq!(query_value(&location, "debito").as_deref(), Some(debt_id.as_str()));
    let tomorrow = app::domain::dates::date_text(app::domain::dates::today() + time::Duration::days(1));
    let future = Declared {
        debt_id: &debt_id,
        value_date: &tomorrow,
        amount: "3000",
        cro: "12345678901",
        body: "Formazione Sanitaria Veneta",
    };
    assert!(error_in(&upload(&app, &client, &future, PDF).await).field_message("value_date").is_some());
    let good = Declared { value_date: "2026-01-10", ..future };
    let not_pdf = upload(&app, &client, &good, b"GIF89a not a pdf").await;
    assert!(error_in(&not_pdf).field_message("file").is_some(), "{not_pdf}");
    let mut large = b"%PDF-1.4\n".to_vec();
    large.resize(3 * 1024 * 1024, b'x');
    let too_large = upload(&app, &client, &good, &large).await;
    assert_eq!(
        error_in(&too_large).field_message("file"),
        Some(app::domain::FieldError::new("file", app::domain::FieldRule::FileTooLarge).message_it()),
        "{too_large}"
    );
    assert_eq!(
        query_value(&too_large, "cro").as_deref(),
        Some("12345678901"),
        "the values typed before the file come back"
    );
    let empty = upload(&app, &client, &good, b"").await;
    assert!(error_in(&empty).field_message("file").is_some(), "{empty}");
    let stranger = support::provider_with_draft(
        &app,
        "x@provider.it",
        "Estraneo",
        &fiscal_code("0700000006"),
        "AZIENDA_SANITARIA",
    )
    .await;
    assert_eq!(
        error_in(&upload(&app, &stranger, &good, PDF).await).code(),
        "not_found",
        "another provider's debt is not found"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM quietanze WHERE provider_id = $1", &provider_id).await,
        0,
        "nothing stored"
    );
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "DA_PAGARE");

    let stored = upload(&app, &client, &good, PDF).await;
    let q = query_value(&stored, "inviata").unwrap_or_else(|| panic!("{stored}"));
    let (status, _) = json_of(
        app.call(&client, "segreteria/quietanza_accept", &[("id", q.as_str()), ("debt_id", debt_id.as_str())]).await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a provider cannot accept its own quietanza");
    let anonymous = browser();
    let response = anonymous.get(app.url(&format!("/quietanze/{q}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
both_backends!(bad_input_is_refused_with_the_values_kept_and_nothing_stored, bad_input);

/// A cart and quietanze racing for the same debt: exactly one of them holds it, whatever the
/// order the requests arrive in, and nothing else is stored or sent to MyPay.
async fn race(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let last_year = time::OffsetDateTime::now_utc().year() - 1;
    let (client, _) = accredited(
        &app,
        "gara@provider.it",
        &fiscal_code("0700000007"),
        "AZIENDA_SANITARIA",
        &format!("{last_year}-05-01T10:00:00.000Z"),
    )
    .await;
    app::events::service::ensure_all_annual_debts(&app.state.db, time::OffsetDateTime::now_utc().date()).await.unwrap();
    let debt_id = page(&app, &client).await["payable"][0]["id"].as_str().unwrap().to_string();
    let mut keys = Vec::new();
    for _ in 0..3 {
        let (_, cart) = json_of(app.call(&client, "payments/page", &[]).await).await;
        keys.push(cart["idempotency_key"].as_str().unwrap().to_string());
    }
    let (app_ref, client_ref, debt) = (&app, &client, debt_id.as_str());
    let uploads = (0..3).map(|i| async move {
        let cro = format!("CRO{i}0000000000");
        let file = format!("%PDF-1.4\n% gara {i}\n%%EOF").into_bytes();
        let declared = Declared {
            debt_id: debt,
            value_date: "2026-01-10",
            amount: "3.000,00",
            cro: &cro,
            body: "Formazione Sanitaria Veneta",
        };
        upload(app_ref, client_ref, &declared, &file).await
    });
    let pays = keys.iter().map(|key| async move {
        app_ref
            .call(
                client_ref,
                "payments/pay",
                &[("idempotency_key", key.as_str()), ("debts", debt), ("payer_email", "t@example.it")],
            )
            .await
            .status()
    });
    let (uploaded, paid) =
        futures_util::future::join(futures_util::future::join_all(uploads), futures_util::future::join_all(pays)).await;
    let stored = uploaded.iter().filter(|l| query_value(l, "inviata").is_some()).count();
    let carts = paid.iter().filter(|s| s.is_success()).count();
    assert_eq!(stored + carts, 1, "exactly one holder: uploads {uploaded:?}, pays {paid:?}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO");
    let live_quietanze = count(&app, "SELECT COUNT(*) FROM quietanze WHERE live_debt_id = $1", &debt_id).await;
    let live_lines = count(&app, "SELECT COUNT(*) FROM attempt_debts WHERE live_debt_id = $1", &debt_id).await;
    assert_eq!((live_quietanze, live_lines), (stored as i64, carts as i64));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM quietanze WHERE debt_id = $1", &debt_id).await,
        stored as i64,
        "the losers stored nothing"
    );
    assert_eq!(sim.sessions().await.len(), carts, "MyPay saw only the winning cart");
    app.stop().await;
    sim.stop();
}
both_backends!(a_cart_and_quietanze_racing_for_one_debt_leave_exactly_one_holder, race);
