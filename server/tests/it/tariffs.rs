//! Tariff editing by the Segreteria (versions by validity date, never rewriting history) and debt
//! annulment, over real HTTP on both databases (annulment against the MyPay simulator).

use crate::support;

use app::payments::model::{FeeKind, TariffCase};
use app::providers::model::ProviderClass;
use reqwest::StatusCode;
use serde_json::Value;
use support::{fiscal_code, json_of, segreteria, Backend, TestApp};

const PRIMO_ANNO_B: &str = "QUOTA_ANNUALE-B-PRIMO_ANNO";
const FAD_B: &str = "CONTRIBUTO_EVENTO-B-EVENTO_FAD";

/// A Gruppo B provider with censimento, draft request and every required document.
async fn provider(app: &TestApp, email: &str, cf: &str) -> reqwest::Client {
    let client =
        support::provider_with_draft(app, email, "Società Veneta di Formazione", cf, "SOCIETA_SCIENTIFICA").await;
    support::upload_required_documents(app, &client).await;
    client
}

fn day(offset: i64) -> time::Date {
    app::domain::dates::today() + time::Duration::days(offset)
}

/// GG/MM/AAAA, as typed where the browser has no date picker.
fn itday(date: time::Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), u8::from(date.month()), date.year())
}

fn text(date: time::Date) -> String {
    app::domain::dates::date_text(date)
}

async fn case(app: &TestApp, admin: &reqwest::Client, key: &str) -> Value {
    let (status, page) = json_of(app.call(admin, "segreteria/tariff_case", &[("key", key)]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["case"].clone()
}

async fn add(app: &TestApp, admin: &reqwest::Client, key: &str, amount: &str, from: &str) -> (StatusCode, Value) {
    json_of(app.call(admin, "segreteria/tariff_new", &[("key", key), ("amount", amount), ("valid_from", from)]).await)
        .await
}

fn current_amount(case: &Value) -> i64 {
    let i = case["current"].as_u64().expect("a version valid today") as usize;
    case["versions"][i]["amount_cents"].as_i64().unwrap()
}

async fn tariff_on(app: &TestApp, date: time::Date) -> i64 {
    app::payments::service::tariff(
        &app.state.db,
        FeeKind::QuotaAnnuale,
        ProviderClass::B,
        TariffCase::PrimoAnno,
        &text(date),
    )
    .await
    .unwrap()
    .expect("a tariff")
    .1
}

/// The amounts of the provider's debts in its cart page.
async fn cart_amounts(app: &TestApp, client: &reqwest::Client) -> Vec<i64> {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["carts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c.as_array().unwrap().clone())
        .map(|d| d["amount_cents"].as_i64().unwrap())
        .collect()
}

fn refused_field(body: &Value, field: &str) -> Vec<String> {
    match body["code"].as_str() {
        Some("invalid") => vec![body["detail"]["rule"].as_str().unwrap().to_string()]
            .into_iter()
            .filter(|_| body["detail"]["field"] == field)
            .collect(),
        Some("invalid_form") => body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["field"] == field)
            .map(|e| e["rule"].as_str().unwrap().to_string())
            .collect(),
        _ => vec![],
    }
}

async fn future_version(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = segreteria(&app).await;

    // The table: 16 cases, quota annuale first, the Veneto values valid today.
    let (status, overview) = json_of(app.call(&admin, "segreteria/tariffs", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let cases = overview["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 16, "{overview}");
    assert_eq!(cases[0]["key"], "QUOTA_ANNUALE-A-PRIMO_ANNO");
    assert_eq!(cases.last().unwrap()["fee_kind"], "ContributoEvento");
    assert_eq!(overview["today"], text(day(0)));
    assert_eq!(current_amount(&case(&app, &admin, PRIMO_ANNO_B).await), 25822);

    // A first provider's debt is created at today's amount.
    let first = provider(&app, "primo@provider.it", "80007580279").await;
    assert_eq!(cart_amounts(&app, &first).await, vec![25822]);

    // € 300,00 from ten days on: the open version is closed the day before.
    let from = text(day(10));
    let (status, version) = add(&app, &admin, PRIMO_ANNO_B, "300,00", &from).await;
    assert_eq!(status, StatusCode::OK, "{version}");
    assert_eq!((version["amount_cents"].as_i64(), version["valid_from"].as_str()), (Some(30000), Some(from.as_str())));
    assert_eq!(version["valid_to"], Value::Null);
    let after = case(&app, &admin, PRIMO_ANNO_B).await;
    let versions = after["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{after}");
    assert_eq!(versions[0]["amount_cents"], 30000, "newest first");
    assert_eq!(versions[0]["created_by"], "Segreteria ECM", "{after}");
    assert_eq!(
        (versions[1]["valid_from"].as_str(), versions[1]["valid_to"].as_str()),
        (Some("2017-01-01"), Some(text(day(9)).as_str()))
    );
    assert_eq!(current_amount(&after), 25822, "a future version does not change today's amount");

    // Lookup by date: today and the day before still € 258,22; from the new date € 300,00.
    assert_eq!(tariff_on(&app, day(0)).await, 25822);
    assert_eq!(tariff_on(&app, day(9)).await, 25822);
    assert_eq!(tariff_on(&app, day(10)).await, 30000);
    assert_eq!(tariff_on(&app, day(400)).await, 30000);
    assert_eq!(tariff_on(&app, time::macros::date!(2020 - 06 - 30)).await, 25822);

    // A provider starting today still owes today's amount; the first one's debt is unchanged.
    let second = provider(&app, "secondo@provider.it", &fiscal_code("0123456789")).await;
    assert_eq!(cart_amounts(&app, &second).await, vec![25822]);
    assert_eq!(cart_amounts(&app, &first).await, vec![25822]);

    // Overlapping or past starts are refused, with the reason, and nothing changes.
    for (from, rule) in [
        (text(day(10)), "date_not_after_latest"),
        (text(day(5)), "date_not_after_latest"),
        (text(day(0)), "date_not_after_latest"),
        (text(day(-1)), "date_in_past"),
        ("2017-01-01".to_string(), "date_in_past"),
        ("2030-02-30".to_string(), "date_format"),
        ("domani".to_string(), "date_format"),
        (String::new(), "required"),
    ] {
        let (status, body) = add(&app, &admin, PRIMO_ANNO_B, "310,00", &from).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{from}: {body}");
        assert_eq!(refused_field(&body, "valid_from"), vec![rule.to_string()], "{from}: {body}");
    }
    // Bad amounts, each with its own rule (and a bad date reported together with a bad amount).
    for (amount, rule) in [
        ("-5", "amount_negative"),
        ("258,223", "amount_decimals"),
        ("100.000,01", "amount_too_large"),
        ("dieci", "amount_format"),
        ("", "required"),
    ] {
        let (status, body) = add(&app, &admin, PRIMO_ANNO_B, amount, &text(day(20))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {body}");
        assert_eq!(refused_field(&body, "amount"), vec![rule.to_string()], "{amount}: {body}");
    }
    let (status, body) = add(&app, &admin, PRIMO_ANNO_B, "-5", &text(day(-3))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (refused_field(&body, "amount"), refused_field(&body, "valid_from")),
        (vec!["amount_negative".into()], vec!["date_in_past".into()])
    );
    let (status, _) = add(&app, &admin, "QUOTA_ANNUALE-C-PRIMO_ANNO", "1", &text(day(20))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(case(&app, &admin, PRIMO_ANNO_B).await["versions"].as_array().unwrap().len(), 2, "nothing changed");

    // A later version after the future one is fine, in Italian formats; it closes the future one.
    let (status, body) = add(&app, &admin, PRIMO_ANNO_B, "1.500", &text(day(11))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["amount_cents"], 150000);
    let versions = case(&app, &admin, PRIMO_ANNO_B).await["versions"].clone();
    assert_eq!(
        (versions[1]["valid_from"].as_str(), versions[1]["valid_to"].as_str()),
        (Some(from.as_str()), Some(from.as_str()))
    );
    assert_eq!(tariff_on(&app, day(10)).await, 30000);
    assert_eq!(tariff_on(&app, day(11)).await, 150000);

    // The pages render on the server: amounts in Italian format and the history.
    let html = admin.get(app.url("/segreteria/tariffe")).send().await.unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(html.contains("Quota annuale") && html.contains("Contributo per evento"), "{html}");
    assert!(
        html.contains("€ 258,22")
            && html.contains("€ 13.000,00")
            && html.contains("€ 1.500,00")
            && html.contains("Futura"),
        "{html}"
    );
    let html =
        admin.get(app.url(&format!("/segreteria/tariffe/{PRIMO_ANNO_B}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Nuova tariffa") && html.contains("€ 300,00") && html.contains("Segreteria ECM"), "{html}");

    app.stop().await;
}
both_backends!(a_future_tariff_applies_from_its_date_and_history_is_never_rewritten, future_version);

async fn from_today(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let admin = segreteria(&app).await;
    let first = provider(&app, "primo@provider.it", "80007580279").await;
    assert_eq!(cart_amounts(&app, &first).await, vec![25822]);

    // From today the first-year fee is € 0 (allowed): the previous version ends yesterday.
    let (status, body) = add(&app, &admin, PRIMO_ANNO_B, "0", &text(day(0))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = case(&app, &admin, PRIMO_ANNO_B).await;
    assert_eq!(current_amount(&after), 0);
    assert_eq!(after["versions"][1]["valid_to"], text(day(-1)));
    assert_eq!(tariff_on(&app, day(-1)).await, 25822);
    assert_eq!(tariff_on(&app, day(0)).await, 0);

    // The existing debt keeps the amount it was created with; a new provider owes nothing.
    assert_eq!(cart_amounts(&app, &first).await, vec![25822]);
    let second = provider(&app, "secondo@provider.it", &fiscal_code("0123456789")).await;
    assert!(cart_amounts(&app, &second).await.is_empty());
    let (_, summary) = json_of(app.call(&second, "payments/summary", &[]).await).await;
    assert_eq!(summary["request_paid"], true, "{summary}");

    // Another case from today, with a dot as decimal separator.
    let (status, _) = add(&app, &admin, FAD_B, "1600.5", &itday(day(0))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current_amount(&case(&app, &admin, FAD_B).await), 160050);

    // Without JavaScript a refused form comes back with what was typed and the Italian message.
    let location = app
        .post_plain_form(
            &admin,
            "segreteria/tariff_new",
            &format!("/segreteria/tariffe/{FAD_B}"),
            &[("key", FAD_B), ("amount", "12,345"), ("valid_from", &text(day(30)))],
        )
        .await;
    assert!(
        location.starts_with(&format!("/segreteria/tariffe/{FAD_B}?importo=12%2C345&dal={}", text(day(30)))),
        "{location}"
    );
    let html = admin.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("L&#x27;importo può avere al massimo due decimali")
            || html.contains("L'importo può avere al massimo due decimali"),
        "{html}"
    );
    assert!(html.contains("value=\"12,345\"") && html.contains(&format!("value=\"{}\"", text(day(30)))), "{html}");
    // And an accepted one goes to the case page with the confirmation.
    let location = app
        .post_plain_form(
            &admin,
            "segreteria/tariff_new",
            &format!("/segreteria/tariffe/{FAD_B}"),
            &[("key", FAD_B), ("amount", "1.700,00"), ("valid_from", &text(day(30)))],
        )
        .await;
    assert!(location.starts_with(&format!("/segreteria/tariffe/{FAD_B}?registrata=")), "{location}");
    let html = admin.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    let confirmation = html.split("data-testid=\"tariffa-registrata\"").nth(1).expect("the confirmation");
    assert!(confirmation.split("</div>").next().unwrap().contains("€ 1.700,00"), "{html}");

    app.stop().await;
}
both_backends!(a_tariff_from_today_leaves_existing_debts_alone_and_works_without_javascript, from_today);

async fn annulment(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let admin = segreteria(&app).await;
    let alpha = provider(&app, "alpha@provider.it", "80007580279").await;
    let beta = provider(&app, "beta@provider.it", &fiscal_code("0123456789")).await;
    assert_eq!(cart_amounts(&app, &alpha).await, vec![25822]);

    let (status, list) = json_of(
        app.call(&admin, "segreteria/debts", &[("state", "DA_PAGARE"), ("search", "80007580279"), ("page", "1")]).await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["rows"].as_array().unwrap().len(), 1, "{list}");
    let alpha_debt = list["rows"][0]["id"].as_str().unwrap().to_string();

    // The reason is mandatory.
    let (status, body) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", &alpha_debt), ("reason", "  ")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(refused_field(&body, "reason"), vec!["required".to_string()]);

    // Annulled with reason, actor and time; shown to the Segreteria and to the provider.
    let reason = "Esenzione deliberata dalla Commissione regionale";
    let (status, body) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", &alpha_debt), ("reason", reason)]).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, detail) = json_of(app.call(&admin, "segreteria/debt", &[("id", &alpha_debt)]).await).await;
    assert_eq!(detail["debt"]["state"], "Annullato", "{detail}");
    assert_eq!(detail["annulment"]["reason"], reason);
    assert_eq!(detail["annulment"]["annulled_by"], "Segreteria ECM");
    assert!(detail["annulment"]["annulled_at"].as_str().is_some_and(|at| at.starts_with(&text(day(0)))), "{detail}");
    let (status, mine) = json_of(app.call(&alpha, "payments/annulled", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(
        (mine[0]["id"].as_str(), mine[0]["reason"].as_str(), mine[0]["amount_cents"].as_i64()),
        (Some(alpha_debt.as_str()), Some(reason), Some(25822))
    );
    let (_, others) = json_of(app.call(&beta, "payments/annulled", &[]).await).await;
    assert_eq!(others, Value::Array(vec![]), "another provider sees nothing");
    // The annulment stands: the provider's pages do not re-open the debt.
    assert!(cart_amounts(&app, &alpha).await.is_empty());
    let (_, summary) = json_of(app.call(&alpha, "payments/summary", &[]).await).await;
    assert_eq!(summary["request_debts"], Value::Array(vec![]), "{summary}");
    let html = alpha.get(app.url("/area/pagamenti")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Dovuti annullati dalla Segreteria") && html.contains(reason), "{html}");
    let html =
        admin.get(app.url(&format!("/segreteria/dovuti/{alpha_debt}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(reason) && html.contains("Annullato il"), "{html}");
    let (status, body) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", &alpha_debt), ("reason", "di nuovo")]).await).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("debt_not_annullable")), "{body}");

    // A debt in a live attempt (IN_CORSO) is refused, and so is a paid one.
    let (status, page) = json_of(app.call(&beta, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK);
    let beta_debt = page["carts"][0][0]["id"].as_str().unwrap().to_string();
    let key = page["idempotency_key"].as_str().unwrap();
    let (status, answer) = json_of(
        app.call(
            &beta,
            "payments/pay",
            &[("idempotency_key", key), ("debts", &beta_debt), ("payer_email", "t@example.it")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, body) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", &beta_debt), ("reason", "prova")]).await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["detail"], "InCorso", "{body}");
    let (_, detail) = json_of(app.call(&admin, "segreteria/debt", &[("id", &beta_debt)]).await).await;
    assert_eq!(detail["debt"]["state"], "InCorso");
    assert_eq!(detail["annulment"], Value::Null);
    let html =
        admin.get(app.url(&format!("/segreteria/dovuti/{beta_debt}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Non si può annullare: c&#x27;è un pagamento in corso")
            || html.contains("Non si può annullare: c'è un pagamento in corso"),
        "{html}"
    );

    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    sim.act(&id_session, "pay").await;
    let (status, attempt) =
        json_of(app.call(&beta, "payments/verify", &[("id_session", &id_session), ("esito", "OK")]).await).await;
    assert_eq!((status, attempt["state"].as_str()), (StatusCode::OK, Some("Pagata")), "{attempt}");
    let (status, body) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", &beta_debt), ("reason", "prova")]).await).await;
    assert_eq!((status, body["detail"].as_str()), (StatusCode::CONFLICT, Some("Pagato")), "{body}");
    let (_, detail) = json_of(app.call(&admin, "segreteria/debt", &[("id", &beta_debt)]).await).await;
    assert_eq!(detail["debt"]["state"], "Pagato");
    let (status, _) =
        json_of(app.call(&admin, "segreteria/debt_annul", &[("id", "nessuno"), ("reason", "prova")]).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The list by state.
    let (_, list) =
        json_of(app.call(&admin, "segreteria/debts", &[("state", ""), ("search", ""), ("page", "1")]).await).await;
    let counts: Vec<(String, i64)> = list["tabs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["code"].as_str().unwrap().to_string(), t["count"].as_i64().unwrap()))
        .collect();
    assert!(
        counts.contains(&("ANNULLATO".into(), 1))
            && counts.contains(&("PAGATO".into(), 1))
            && counts.contains(&("DA_PAGARE".into(), 0)),
        "{counts:?}"
    );

    // Without JavaScript a refused annulment comes back with the typed reason.
    let location = app
        .post_plain_form(
            &admin,
            "segreteria/debt_annul",
            &format!("/segreteria/dovuti/{beta_debt}"),
            &[("id", beta_debt.as_str()), ("reason", "pagato per errore")],
        )
        .await;
    assert!(
        location.starts_with(&format!("/segreteria/dovuti/{beta_debt}?motivo=pagato%20per%20errore&")),
        "{location}"
    );
    let html = admin.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("è già stato pagato"), "{html}");

    sim.stop();
    app.stop().await;
}
both_backends!(the_segreteria_annuls_an_unpaid_debt_with_a_reason_but_never_a_live_or_paid_one, annulment);

async fn access(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let provider_client = provider(&app, "alpha@provider.it", "80007580279").await;
    let admin = segreteria(&app).await;
    let anonymous = app.client();
    for (endpoint, form) in [
        ("segreteria/tariffs", vec![]),
        ("segreteria/tariff_case", vec![("key", PRIMO_ANNO_B)]),
        ("segreteria/tariff_new", vec![("key", PRIMO_ANNO_B), ("amount", "1"), ("valid_from", "2099-01-01")]),
        ("segreteria/debts", vec![("state", ""), ("search", ""), ("page", "1")]),
        ("segreteria/debt", vec![("id", "x")]),
        ("segreteria/debt_annul", vec![("id", "x"), ("reason", "prova")]),
    ] {
        let (status, body) = json_of(app.call(&provider_client, endpoint, &form).await).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{endpoint}: {body}");
        let (status, body) = json_of(app.call(&anonymous, endpoint, &form).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{endpoint}: {body}"
        );
    }
    // The provider-side list of annulled debts: providers only.
    assert_eq!(app.call(&anonymous, "payments/annulled", &[]).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.call(&admin, "payments/annulled", &[]).await.status(), StatusCode::FORBIDDEN);
    // The pages too.
    for path in [
        "/segreteria/tariffe",
        "/segreteria/tariffe/QUOTA_ANNUALE-B-PRIMO_ANNO",
        "/segreteria/dovuti",
        "/segreteria/dovuti/x",
    ] {
        assert_eq!(provider_client.get(app.url(path)).send().await.unwrap().status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(anonymous.get(app.url(path)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // Nothing was changed by the refused calls.
    let (_, page) = json_of(app.call(&admin, "segreteria/tariff_case", &[("key", PRIMO_ANNO_B)]).await).await;
    assert_eq!(page["case"]["versions"].as_array().unwrap().len(), 1);
    app.stop().await;
}
both_backends!(only_the_segreteria_reaches_the_tariff_and_debt_functions, access);
