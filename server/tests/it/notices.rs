//! pagoPA notices (avvisi) over real HTTP against the real MyPay simulator, on both databases
//! (issue "Every provider can pay"): a Gruppo B provider issues a notice from the cart page, the
//! simulator pays it at a PSP, and the reconciler pays the debt with its receipt, without the
//! provider coming back; a debt behind a notice is never in a cart; an import whose answer was
//! lost is recovered without a second live notice (`PAA_IMPORT_IUD_DUPLICATO`); "Paga online"
//! needs the notice cancelled first, and a notice paid meanwhile is recorded, never given back;
//! the Segreteria's annulment cancels the notice; a refusal loses nothing.

use crate::support;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{cart_page, fiscal_code, json_of, scalar, segreteria, Backend, TestApp, TestSim};

/// A Gruppo B provider with its documents uploaded: it owes the first-year quota.
async fn provider(app: &TestApp, email: &str, cf: &str) -> (reqwest::Client, String) {
    let client = support::provider_with_draft(app, email, "Società Formazione", &fiscal_code(cf), "IMPRESA").await;
    support::upload_required_documents(app, &client).await;
    let page = cart_page(app, &client).await;
    let debt_id = page["due"][0]["id"].as_str().unwrap_or_else(|| panic!("a debt to pay: {page}")).to_string();
    (client, debt_id)
}

/// "Genera l'avviso pagoPA" with the page's key.
async fn issue(app: &TestApp, client: &reqwest::Client, key: &str, debt_id: &str) -> (StatusCode, Value) {
    json_of(
        app.call(
            client,
            "payments/notice",
            &[("idempotency_key", key), ("debt", debt_id), ("payer_email", "amministrazione@example.it")],
        )
        .await,
    )
    .await
}

/// The simulator's debt positions under one IUD: (state, IUV).
async fn positions(sim: &TestSim, iud: &str) -> Vec<(String, String)> {
    let rows: Value = sim.http.get(format!("{}/admin/avvisi", sim.base)).send().await.unwrap().json().await.unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["iud"] == iud)
        .map(|r| (r["state"].as_str().unwrap().to_string(), r["iuv"].as_str().unwrap_or_default().to_string()))
        .collect()
}

async fn pay_at_psp(sim: &TestSim, iuv: &str) -> StatusCode {
    sim.http.post(format!("{}/admin/avvisi/{iuv}/pay-at-psp", sim.base)).send().await.unwrap().status()
}

async fn reconcile(app: &TestApp) -> usize {
    let gateway = app.state.payments.clone().unwrap();
    app::payments::reconciler::run_pass(&app.state.db, gateway, &app.state.reconciler, "notices-test")
        .await
        .unwrap()
        .checked
}

/// The notice attempt of a debt: (id, state, IUD).
async fn notice_of(app: &TestApp, debt_id: &str) -> (String, String, String) {
    sqlx::query_as(
        "SELECT a.id, a.state, ad.iud FROM attempt_debts ad JOIN payment_attempts a ON a.id = ad.attempt_id
         WHERE ad.debt_id = $1 AND a.kind = 'AVVISO' ORDER BY a.created_at DESC LIMIT 1",
    )
    .bind(debt_id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

/// Issued from the cart page, held, downloadable by its owner only, paid at a PSP, and the
/// debt is PAGATO with its receipt after one reconciler pass — the provider never came back.
async fn paid_at_a_psp(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay_mode(backend, mypay_simulator::Mode::Checkout, &[]).await else {
        return;
    };
    let (client, debt_id) = provider(&app, "ufficio@formazione.it", "0800000001").await;
    let page = cart_page(&app, &client).await;
    let key = page["notice_key"].as_str().unwrap().to_string();
    let (status, answer) = issue(&app, &client, &key, &debt_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let attempt_id = answer["Issued"]["attempt_id"].as_str().unwrap_or_else(|| panic!("issued: {answer}")).to_string();
    let iuv = scalar(&app, "SELECT iuv FROM payment_attempts WHERE id = $1", &attempt_id).await;
    assert_eq!(
        scalar(&app, "SELECT notice_number FROM payment_attempts WHERE id = $1", &attempt_id).await,
        format!("3{iuv}")
    );
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO");

    // A double click: the same notice, no second import.
    let (_, again) = issue(&app, &client, &key, &debt_id).await;
    assert_eq!(again["Issued"]["attempt_id"], attempt_id.as_str(), "{again}");
    let (_, _, iud) = notice_of(&app, &debt_id).await;
    assert_eq!(positions(&sim, &iud).await, vec![("open".to_string(), iuv.clone())]);

    // The cart page shows it, and the debt is not payable online while it is active.
    let page = cart_page(&app, &client).await;
    assert_eq!(page["notices"][0]["notice_number"], format!("3{iuv}"), "{page}");
    assert_eq!(page["carts"].as_array().unwrap().len(), 0, "{page}");
    let form = [
        ("idempotency_key", page["idempotency_key"].as_str().unwrap()),
        ("debts", debt_id.as_str()),
        ("payer_email", "t@example.it"),
    ];
    let (status, refused) = json_of(app.call(&client, "payments/pay", &form).await).await;
    assert_eq!((status, refused["code"].as_str()), (StatusCode::CONFLICT, Some("payment_in_progress")), "{refused}");
    let (_, twice) = issue(&app, &client, page["notice_key"].as_str().unwrap(), &debt_id).await;
    assert_eq!(twice["code"], "debt_not_payable", "never two notices for one debt: {twice}");

    // The notice PDF: its owner's (and the Segreteria's) only.
    let pdf = client.get(app.url(&format!("/avvisi/{attempt_id}/avviso.pdf"))).send().await.unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    let stranger =
        support::provider_with_draft(&app, "altro@formazione.it", "Altro", &fiscal_code("0800000002"), "IMPRESA").await;
    assert_eq!(
        stranger.get(app.url(&format!("/avvisi/{attempt_id}/avviso.pdf"))).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let seg = segreteria(&app).await;
    assert_eq!(
        seg.get(app.url(&format!("/avvisi/{attempt_id}/avviso.pdf"))).send().await.unwrap().status(),
        StatusCode::OK
    );
    // The Segreteria's page of the debt names the attempt as a notice, not a cart.
    let (status, detail) = json_of(app.call(&seg, "segreteria/debt", &[("id", &debt_id)]).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        (detail["attempts"][0]["id"].as_str(), &detail["attempts"][0]["kind"]),
        (Some(attempt_id.as_str()), &json!("Avviso"))
    );

    // Not paid yet: the reconciler asks and waits.
    assert!(reconcile(&app).await >= 1);
    assert_eq!(scalar(&app, "SELECT state FROM payment_attempts WHERE id = $1", &attempt_id).await, "INVIATA");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO");

    // Paid at a PSP (no idSession anywhere): the next pass pays the debt, with the receipt.
    assert_eq!(pay_at_psp(&sim, &iuv).await, StatusCode::OK);
    sqlx::query("UPDATE payment_attempts SET next_check_at = NULL WHERE id = $1")
        .bind(&attempt_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(reconcile(&app).await >= 1);
    assert_eq!(scalar(&app, "SELECT state FROM payment_attempts WHERE id = $1", &attempt_id).await, "PAGATA");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "PAGATO");
    assert_eq!(scalar(&app, "SELECT paid_channel FROM debts WHERE id = $1", &debt_id).await, "PAGOPA");
    assert_eq!(scalar(&app, "SELECT iuv FROM debts WHERE id = $1", &debt_id).await, iuv);
    let has_rt: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_attempts WHERE id = $1 AND receipt IS NOT NULL")
        .bind(&attempt_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(has_rt, 1, "the RT is stored");
    let (_, statement) = json_of(app.call(&client, "debts/statement", &[]).await).await;
    let line = statement["lines"].as_array().unwrap().iter().find(|l| l["id"] == debt_id.as_str()).unwrap().clone();
    let receipt = client.get(app.url(line["receipt_pdf_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let text = support::pdf_text(&receipt.bytes().await.unwrap());
    for expected in [iuv.as_str(), "€ 258,22", "80007580279"] {
        assert!(text.contains(expected), "{expected} in the receipt:\n{text}");
    }
    assert!(cart_page(&app, &client).await["notices"].as_array().unwrap().is_empty(), "no longer an open notice");
    // The Segreteria's console lists it among the paid payments, as a notice.
    let (_, paid) =
        json_of(app.call(&seg, "segreteria/payments", &[("queue", "pagati"), ("search", &iuv), ("page", "1")]).await)
            .await;
    assert_eq!(paid["rows"][0]["id"], attempt_id.as_str(), "{paid}");
    assert_eq!(paid["rows"][0]["kind"], "Avviso", "{paid}");
    assert_eq!(
        app::payments::model::AttemptKind::Avviso.label_it(app::payments::model::AttemptState::Inviata),
        "Avviso pagoPA emesso, da pagare"
    );
    app.stop().await;
    sim.stop();
}
both_backends!(a_notice_paid_at_a_psp_pays_the_debt_without_the_provider_coming_back, paid_at_a_psp);

/// The import's answer is lost (the connection drops): the notice stays "in preparazione" and
/// cannot be cancelled. MyPay did create it (here: imported again under the same IUD, as a
/// retried request would): recovery meets `PAA_IMPORT_IUD_DUPLICATO`, cancels that unknown
/// notice and issues a new one, so exactly one notice is open and it is the one stored.
async fn lost_answer(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let (client, debt_id) = provider(&app, "ufficio@formazione.it", "0800000003").await;
    let key = cart_page(&app, &client).await["notice_key"].as_str().unwrap().to_string();
    sim.fault(json!({"kind": "drop_connection", "count": 1, "operation": "paaSILImportaDovuto"})).await;
    let (status, answer) = issue(&app, &client, &key, &debt_id).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let attempt_id =
        answer["Preparing"]["attempt_id"].as_str().unwrap_or_else(|| panic!("preparing: {answer}")).to_string();
    let (_, state, iud) = notice_of(&app, &debt_id).await;
    assert_eq!(state, "CREATA");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "IN_CORSO", "held while unknown");
    let page = cart_page(&app, &client).await;
    assert_eq!(page["notices"][0]["state"], "Creata", "{page}");
    let (_, early) = json_of(app.call(&client, "payments/notice_cancel", &[("attempt", &attempt_id)]).await).await;
    assert_eq!(early["code"], "notice_not_ready", "{early}");

    // What a lost answer leaves behind: MyPay holds a debt under the IUD, with an IUV nobody saw.
    let gateway = app.state.payments.clone().unwrap();
    let payer = app::payments::gateway::CartPayer {
        kind: app::payments::model::PayerType::G,
        id_code: fiscal_code("0800000003"),
        name: "Società Formazione".into(),
        address: None,
        civic_number: None,
        postal_code: None,
        city: None,
        province: None,
        email: None,
    };
    let line = app::payments::gateway::CartLine {
        iud: iud.clone(),
        amount_cents: 25822,
        causale: "Quota annuale".into(),
        fee_kind: app::payments::model::FeeKind::QuotaAnnuale,
    };
    let hidden = match gateway.issue_notice(&app::payments::gateway::NoticeRequest { payer, line }).await {
        app::payments::gateway::IssueOutcome::Issued { iuv, .. } => iuv,
        other => panic!("the simulator imports it: {other:?}"),
    };

    // Within the grace nothing happens (an import may still be in flight).
    reconcile(&app).await;
    assert_eq!(notice_of(&app, &debt_id).await.1, "CREATA");
    // Later the reconciler recovers it.
    sqlx::query(
        "UPDATE payment_attempts SET created_at = '2026-01-01T00:00:00.000Z', next_check_at = NULL WHERE id = $1",
    )
    .bind(&attempt_id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    assert!(reconcile(&app).await >= 1);
    assert_eq!(notice_of(&app, &debt_id).await.1, "INVIATA");
    let stored = scalar(&app, "SELECT iuv FROM payment_attempts WHERE id = $1", &attempt_id).await;
    assert_ne!(stored, hidden, "the unknown notice is not the one shown");
    let mut states = positions(&sim, &iud).await;
    states.sort();
    assert_eq!(
        states,
        vec![("cancelled".to_string(), hidden.clone()), ("open".to_string(), stored.clone())],
        "one live notice"
    );
    assert!(!pay_at_psp(&sim, &hidden).await.is_success(), "the cancelled one cannot be paid");
    let page = cart_page(&app, &client).await;
    assert_eq!(page["notices"][0]["notice_number"], format!("3{stored}"), "{page}");

    // A cancellation without an answer: nothing changes now, and the reconciler finishes it
    // (the intent was recorded first), so the notice is never cancelled in MyPay but open here.
    sim.fault(json!({"kind": "drop_connection", "count": 1, "operation": "paaSILImportaDovuto"})).await;
    let (status, cut) = json_of(app.call(&client, "payments/notice_cancel", &[("attempt", &attempt_id)]).await).await;
    assert_eq!(
        (status, cut["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("payment_gateway_down")),
        "{cut}"
    );
    assert_eq!(notice_of(&app, &debt_id).await.1, "INVIATA");
    sqlx::query("UPDATE payment_attempts SET next_check_at = NULL WHERE id = $1")
        .bind(&attempt_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(reconcile(&app).await >= 1);
    assert_eq!(notice_of(&app, &debt_id).await.1, "ANNULLATA");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "DA_PAGARE");
    assert!(positions(&sim, &iud).await.iter().all(|(state, _)| state == "cancelled"), "nothing left payable");
    app.stop().await;
    sim.stop();
}
both_backends!(an_import_whose_answer_was_lost_is_recovered_with_one_live_notice, lost_answer);

/// "Paga online" on a debt behind a notice: cancel the notice first (action A), then the debt is
/// in the cart again. A notice paid at a PSP a moment before the cancellation is recorded as
/// paid and never given back. The Segreteria's annulment cancels the notice too.
async fn cancel_then_pay_online(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay_mode(backend, mypay_simulator::Mode::Checkout, &[]).await else {
        return;
    };
    let (client, debt_id) = provider(&app, "ufficio@formazione.it", "0800000004").await;
    let (_, answer) =
        issue(&app, &client, cart_page(&app, &client).await["notice_key"].as_str().unwrap(), &debt_id).await;
    let attempt_id = answer["Issued"]["attempt_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
    let (_, _, iud) = notice_of(&app, &debt_id).await;

    let (status, cancelled) =
        json_of(app.call(&client, "payments/notice_cancel", &[("attempt", &attempt_id)]).await).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(scalar(&app, "SELECT state FROM payment_attempts WHERE id = $1", &attempt_id).await, "ANNULLATA");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "DA_PAGARE");
    assert_eq!(positions(&sim, &iud).await.first().map(|p| p.0.clone()).as_deref(), Some("cancelled"));
    let page = cart_page(&app, &client).await;
    assert_eq!(page["carts"][0][0]["id"], debt_id.as_str(), "in the cart again: {page}");
    let form = [
        ("idempotency_key", page["idempotency_key"].as_str().unwrap()),
        ("debts", debt_id.as_str()),
        ("payer_email", "t@example.it"),
    ];
    let (status, paying) = json_of(app.call(&client, "payments/pay", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{paying}");
    assert!(paying["Redirect"]["url"].is_string(), "{paying}");

    // A second provider: its notice is paid at a PSP, then it asks to cancel.
    let (other, other_debt) = provider(&app, "altro@formazione.it", "0800000005").await;
    let (_, answer) =
        issue(&app, &other, cart_page(&app, &other).await["notice_key"].as_str().unwrap(), &other_debt).await;
    let other_attempt = answer["Issued"]["attempt_id"].as_str().unwrap().to_string();
    let other_iuv = scalar(&app, "SELECT iuv FROM payment_attempts WHERE id = $1", &other_attempt).await;
    assert_eq!(pay_at_psp(&sim, &other_iuv).await, StatusCode::OK);
    let (status, late) =
        json_of(app.call(&other, "payments/notice_cancel", &[("attempt", &other_attempt)]).await).await;
    assert_eq!((status, late["code"].as_str()), (StatusCode::CONFLICT, Some("notice_paid")), "{late}");
    assert_eq!(
        scalar(&app, "SELECT state FROM debts WHERE id = $1", &other_debt).await,
        "PAGATO",
        "recorded, not given back"
    );
    // Another provider cannot cancel someone's notice.
    let (status, _) = json_of(app.call(&client, "payments/notice_cancel", &[("attempt", &other_attempt)]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The Segreteria annuls a debt behind a notice: the notice is cancelled in MyPay first.
    let (third, third_debt) = provider(&app, "terzo@formazione.it", "0800000006").await;
    let (_, answer) =
        issue(&app, &third, cart_page(&app, &third).await["notice_key"].as_str().unwrap(), &third_debt).await;
    let third_attempt = answer["Issued"]["attempt_id"].as_str().unwrap().to_string();
    let (_, _, third_iud) = notice_of(&app, &third_debt).await;
    let seg = segreteria(&app).await;
    let (status, blank) =
        json_of(app.call(&seg, "segreteria/debt_annul", &[("id", &third_debt), ("reason", " ")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{blank}");
    assert_eq!(positions(&sim, &third_iud).await[0].0, "open", "a refused annulment cancels nothing");
    let (status, annulled) = json_of(
        app.call(&seg, "segreteria/debt_annul", &[("id", &third_debt), ("reason", "Esenzione deliberata")]).await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{annulled}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &third_debt).await, "ANNULLATO");
    assert_eq!(scalar(&app, "SELECT state FROM payment_attempts WHERE id = $1", &third_attempt).await, "ANNULLATA");
    assert_eq!(positions(&sim, &third_iud).await[0].0, "cancelled");
    app.stop().await;
    sim.stop();
}
both_backends!(paying_online_or_annulling_cancels_the_notice_first_and_a_paid_one_is_kept, cancel_then_pay_online);

/// MyPay refuses the import: an Italian message, the debt is to pay again, nothing is left
/// open; MyPay unreachable: the same, and the provider can retry.
async fn refused(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let (client, debt_id) = provider(&app, "ufficio@formazione.it", "0800000007").await;
    sim.fault(json!({"kind": "paa_fault", "code": "PAA_SYSTEM_ERROR", "count": 1, "operation": "paaSILImportaDovuto"}))
        .await;
    let (status, answer) =
        issue(&app, &client, cart_page(&app, &client).await["notice_key"].as_str().unwrap(), &debt_id).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("notice_rejected")), "{answer}");
    assert!(app::error::AppError::NoticeRejected.message_it().contains("nessun avviso è stato creato"));
    assert_eq!(notice_of(&app, &debt_id).await.1, "ERRORE");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "DA_PAGARE");
    let (status, answer) =
        issue(&app, &client, cart_page(&app, &client).await["notice_key"].as_str().unwrap(), &debt_id).await;
    assert_eq!(status, StatusCode::OK, "a retry issues it: {answer}");
    assert!(answer["Issued"].is_object(), "{answer}");
    app.stop().await;
    sim.stop();
}
both_backends!(a_refused_notice_leaves_the_debt_to_pay_with_an_italian_message, refused);

/// A treasury transfer for a debt behind a notice: the quietanza can be sent while the notice
/// holds the debt; its acceptance records the payment in MyPay (`paaSILRegistraPagamento`), so
/// MyPay's books match and pagoPA refuses the notice, and closes the notice; the reconciler
/// meanwhile takes MyPay's record for what it is, not an anomaly.
async fn treasury_payment_of_a_notice(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let (client, debt_id) = provider(&app, "ufficio@formazione.it", "0800000008").await;
    let (_, answer) =
        issue(&app, &client, cart_page(&app, &client).await["notice_key"].as_str().unwrap(), &debt_id).await;
    let attempt_id = answer["Issued"]["attempt_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
    let (_, _, iud) = notice_of(&app, &debt_id).await;
    let iuv = scalar(&app, "SELECT iuv FROM payment_attempts WHERE id = $1", &attempt_id).await;
    let provider_id = scalar(&app, "SELECT provider_id FROM debts WHERE id = $1", &debt_id).await;
    let seg = segreteria(&app).await;
    let form = [
        ("provider_id", provider_id.as_str()),
        ("enabled", "1"),
        ("treasury_reason", "Paga con ordinativo della tesoreria"),
    ];
    assert_eq!(app.call(&seg, "segreteria/treasury_channel", &form).await.status(), StatusCode::OK);

    let (_, qpage) = json_of(app.call(&client, "quietanze/page", &[]).await).await;
    assert_eq!(
        qpage["payable"][0]["id"],
        debt_id.as_str(),
        "the debt behind the notice can be paid by transfer: {qpage}"
    );
    let today = app::domain::dates::date_text(app::domain::dates::today());
    let multipart = reqwest::multipart::Form::new()
        .text("debt_id", debt_id.clone())
        .text("value_date", today)
        .text("paid_amount", "258,22")
        .text("cro_trn", "TRN20261201000777")
        .text("paying_body", "Società Formazione")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n% quietanza\n%%EOF".to_vec()).file_name("quietanza.pdf"),
        );
    let response = client.post(app.url("/area/quietanza/carica")).multipart(multipart).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("inviata="), "stored: {location}");
    let quietanza_id: String = sqlx::query_scalar("SELECT id FROM quietanze WHERE debt_id = $1")
        .bind(&debt_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(notice_of(&app, &debt_id).await.1, "INVIATA", "the notice still holds the debt");
    // While the quietanza waits, the notice cannot be cancelled (that would free the debt).
    let (status, held) = json_of(app.call(&client, "payments/notice_cancel", &[("attempt", &attempt_id)]).await).await;
    assert_eq!((status, held["code"].as_str()), (StatusCode::CONFLICT, Some("debt_not_payable")), "{held}");
    let (status, held) =
        json_of(app.call(&seg, "segreteria/debt_annul", &[("id", &debt_id), ("reason", "Esenzione")]).await).await;
    assert_eq!((status, held["code"].as_str()), (StatusCode::CONFLICT, Some("debt_not_annullable")), "{held}");
    assert_eq!(positions(&sim, &iud).await[0].0, "open");

    let (status, accepted) = json_of(
        app.call(&seg, "segreteria/quietanza_accept", &[("id", quietanza_id.as_str()), ("debt_id", debt_id.as_str())])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &debt_id).await, "PAGATO");
    assert_eq!(scalar(&app, "SELECT paid_channel FROM debts WHERE id = $1", &debt_id).await, "QUIETANZA");
    assert_eq!(notice_of(&app, &debt_id).await.1, "ANNULLATA", "closed: paid outside pagoPA");
    assert_eq!(positions(&sim, &iud).await, vec![("paid_rend9".to_string(), iuv.clone())], "recorded in MyPay");
    assert_eq!(pay_at_psp(&sim, &iuv).await, StatusCode::CONFLICT, "pagoPA refuses the notice now");
    reconcile(&app).await;

    // Paid twice: the notice at a PSP while a quietanza waits. pagoPA's payment is recorded; the
    // quietanza cannot be accepted, and refusing it leaves the debt paid.
    let (other, other_debt) = provider(&app, "altro@formazione.it", "0800000009").await;
    let (_, answer) =
        issue(&app, &other, cart_page(&app, &other).await["notice_key"].as_str().unwrap(), &other_debt).await;
    let other_attempt = answer["Issued"]["attempt_id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
    let other_iuv = scalar(&app, "SELECT iuv FROM payment_attempts WHERE id = $1", &other_attempt).await;
    let other_provider = scalar(&app, "SELECT provider_id FROM debts WHERE id = $1", &other_debt).await;
    let form = [("provider_id", other_provider.as_str()), ("enabled", "1"), ("treasury_reason", "Tesoreria")];
    assert_eq!(app.call(&seg, "segreteria/treasury_channel", &form).await.status(), StatusCode::OK);
    let multipart = reqwest::multipart::Form::new()
        .text("debt_id", other_debt.clone())
        .text("value_date", app::domain::dates::date_text(app::domain::dates::today()))
        .text("paid_amount", "258,22")
        .text("cro_trn", "TRN20261201000888")
        .text("paying_body", "Società Formazione")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n% altra quietanza\n%%EOF".to_vec()).file_name("q.pdf"),
        );
    let response = other.post(app.url("/area/quietanza/carica")).multipart(multipart).send().await.unwrap();
    assert!(response.headers()["location"].to_str().unwrap().contains("inviata="));
    let other_quietanza: String = sqlx::query_scalar("SELECT id FROM quietanze WHERE debt_id = $1")
        .bind(&other_debt)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(pay_at_psp(&sim, &other_iuv).await, StatusCode::OK);
    sqlx::query("UPDATE payment_attempts SET next_check_at = NULL WHERE id = $1")
        .bind(&other_attempt)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    reconcile(&app).await;
    assert_eq!(scalar(&app, "SELECT paid_channel FROM debts WHERE id = $1", &other_debt).await, "PAGOPA");
    let form = [("id", other_quietanza.as_str()), ("debt_id", other_debt.as_str()), ("accept_note", "ok")];
    let (status, refused) = json_of(app.call(&seg, "segreteria/quietanza_accept", &form).await).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("quietanza_not_acceptable")),
        "{refused}"
    );
    let form = [
        ("id", other_quietanza.as_str()),
        ("debt_id", other_debt.as_str()),
        ("refuse_reason", "Già pagato con l'avviso: rimborso"),
    ];
    let (status, answer) = json_of(app.call(&seg, "segreteria/quietanza_refuse", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(scalar(&app, "SELECT state FROM debts WHERE id = $1", &other_debt).await, "PAGATO");
    let anomalies: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_attempts WHERE state = 'ANOMALIA'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(anomalies, 0);
    app.stop().await;
    sim.stop();
}
both_backends!(a_treasury_payment_of_a_notice_is_recorded_in_mypay_and_closes_the_notice, treasury_payment_of_a_notice);
