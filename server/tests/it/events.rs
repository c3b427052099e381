//! Training plan over real HTTP on both databases: the event form's checks, every per-event
//! fee case and its amount from the tariff valid at the start date, later-year annual fees
//! (Gruppo B flat, Gruppo A by band at the band edges), idempotent and concurrent creation,
//! and the gate that keeps a later year's events out until its annual fee is verified paid.

use crate::support;

use app::db::new_id;
use app::events::service as plan_server;
use reqwest::StatusCode;
use serde_json::Value;
use support::{accredited, count, fiscal_code, json_of, provider_of, Backend, TestApp};
use time::{Date, Month};

async fn declare(app: &TestApp, client: &reqwest::Client, fields: [&str; 5]) -> (StatusCode, Value) {
    let [titolo, procedura, inizio, fine, sponsorizzato] = fields;
    let key = new_id();
    let mut form =
        vec![("declaration_key", key.as_str()), ("titolo", titolo), ("data_inizio", inizio), ("data_fine", fine)];
    if !procedura.is_empty() {
        form.push(("procedura", procedura));
    }
    if !sponsorizzato.is_empty() {
        form.push(("sponsorizzato", sponsorizzato));
    }
    json_of(app.call(client, "events/declare", &form).await).await
}

async fn plan(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, plan) = json_of(app.call(client, "events/plan", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

fn event_titled<'a>(plan: &'a Value, title: &str) -> &'a Value {
    plan["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no event {title}: {plan}"))
}

fn field_rules(error: &Value) -> Vec<(String, String)> {
    error["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{error}"))
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["rule"].as_str().unwrap().to_string()))
        .collect()
}

/// Accredited this (real) year: no later-year annual fee is due yet, events can be entered.
fn accredited_this_year() -> String {
    format!("{}-01-15T09:00:00.000Z", time::OffsetDateTime::now_utc().year())
}

fn day(year: i32, month: Month, d: u8) -> Date {
    Date::from_calendar_date(year, month, d).unwrap()
}

async fn form_checks(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (client, provider_id) = accredited(
        &app,
        "eventi@provider.it",
        &fiscal_code("0100000001"),
        "SOCIETA_SCIENTIFICA",
        &accredited_this_year(),
    )
    .await;

    // Everything missing: every field named at once, HTTP 422.
    let (status, error) = declare(&app, &client, [" ", "", "", "", ""]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "invalid_form");
    let expected: Vec<(String, String)> = [
        ("titolo", "required"),
        ("procedura", "choice"),
        ("data_inizio", "required"),
        ("data_fine", "required"),
        ("sponsorizzato", "choice"),
    ]
    .iter()
    .map(|(f, r)| (f.to_string(), r.to_string()))
    .collect();
    assert_eq!(field_rules(&error), expected);

    // Each rule on its own.
    let long = "T".repeat(201);
    let cases: [([&str; 5], (&str, &str)); 6] = [
        ([long.as_str(), "RES", "2027-03-01", "2027-03-02", "SI"], ("titolo", "too_long")),
        (["Corso", "WEBINAR", "2027-03-01", "2027-03-02", "SI"], ("procedura", "choice")),
        (["Corso", "RES", "2027-02-30", "2027-03-02", "SI"], ("data_inizio", "event_date_invalid")),
        (["Corso", "RES", "2027-03-01", "02/03/2027", "SI"], ("data_fine", "event_date_invalid")),
        (["Corso", "RES", "2027-03-02", "2027-03-01", "NO"], ("data_fine", "event_end_before_start")),
        (["Corso", "FAD", "2027-03-01", "2027-03-02", "FORSE"], ("sponsorizzato", "choice")),
    ];
    for (fields, (field, rule)) in cases {
        let (status, error) = declare(&app, &client, fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(field_rules(&error), vec![(field.to_string(), rule.to_string())], "{fields:?}");
    }
    // No tariff before the table starts (2017): a clear message on the start date.
    let (status, error) = declare(&app, &client, ["Corso storico", "RES", "2016-05-01", "2016-05-02", "SI"]).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")), "{error}");
    assert_eq!(error["detail"]["rule"], "event_no_tariff");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM events WHERE provider_id = $1", &provider_id).await,
        0,
        "nothing saved"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM debts WHERE provider_id = $1 AND event_id IS NOT NULL", &provider_id).await,
        0
    );

    // The longest title is fine; an end equal to the start is a one-day event.
    let (status, id) = declare(&app, &client, [&"T".repeat(200), "RES", "2027-03-01", "2027-03-01", "SI"]).await;
    assert_eq!(status, StatusCode::OK, "{id}");

    // A replay of one form (same key) creates nothing more.
    let key = new_id();
    let form = [
        ("declaration_key", key.as_str()),
        ("titolo", "Doppio clic"),
        ("procedura", "FSC"),
        ("data_inizio", "2027-04-01"),
        ("data_fine", "2027-04-01"),
        ("sponsorizzato", "SI"),
    ];
    let (_, first) = json_of(app.call(&client, "events/declare", &form).await).await;
    let (status, again) = json_of(app.call(&client, "events/declare", &form).await).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM events WHERE provider_id = $1", &provider_id).await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM debts WHERE provider_id = $1 AND event_id IS NOT NULL", &provider_id).await,
        2
    );

    // Who may call: anonymous 401, the Segreteria 403, a provider not accredited 412.
    let (status, _) = declare(&app, &app.client(), ["Corso", "RES", "2027-03-01", "2027-03-02", "SI"]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let staff = app.client();
    assert!(app.login(&staff, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    let (status, _) = declare(&app, &staff, ["Corso", "RES", "2027-03-01", "2027-03-02", "SI"]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let draft = support::provider_with_draft(
        &app,
        "bozza@provider.it",
        "Provider in bozza",
        &fiscal_code("0100000002"),
        "SOCIETA_SCIENTIFICA",
    )
    .await;
    let (status, error) = declare(&app, &draft, ["Corso", "RES", "2027-03-01", "2027-03-02", "SI"]).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::PRECONDITION_FAILED, Some("not_accredited")), "{error}");
    assert_eq!(plan(&app, &draft).await["access"], "NotAccredited");
    app.stop().await;
}
both_backends!(the_event_form_refuses_bad_input_with_the_field_and_rule, form_checks);

async fn no_javascript(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (client, _) = accredited(
        &app,
        "nojs@provider.it",
        &fiscal_code("0100000003"),
        "SOCIETA_SCIENTIFICA",
        &accredited_this_year(),
    )
    .await;
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let key = new_id();
        let client = client.clone();
        let url = app.url("/api/events/declare");
        let referer = app.url("/area/eventi");
        async move {
            let mut form = vec![("declaration_key", key.clone())];
            form.extend(fields.into_iter().map(|(k, v)| (k, v.to_string())));
            client.post(url).header("Accept", "text/html").header("Referer", referer).form(&form).send().await.unwrap()
        }
    };
    // An error: back to the page with everything typed and the error in the URL.
    let response = post(vec![
        ("titolo", "Qualità & sicurezza"),
        ("procedura", "FAD"),
        ("data_inizio", "2027-05-10"),
        ("data_fine", "2027-05-09"),
        ("sponsorizzato", "NO"),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/area/eventi?titolo=Qualit%C3%A0%20%26%20sicurezza&procedura=FAD&data_inizio=2027-05-10&data_fine=2027-05-09&sponsorizzato=NO&__path="), "{location}");
    let page = client.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("La data di fine non può precedere la data di inizio."), "the page shows the error");
    assert!(page.contains("value=\"Qualità &amp; sicurezza\""), "the title typed is still there");
    assert!(page.contains("value=\"2027-05-09\""), "the end date typed is still there");
    assert!(page.contains("value=\"FAD\" selected"), "the procedure chosen is still selected");

    // Success: back to the page, which says so and lists the event with its fee.
    let response = post(vec![
        ("titolo", "Ecografia clinica"),
        ("procedura", "FAD"),
        ("data_inizio", "2027-05-10"),
        ("data_fine", "2027-05-11"),
        ("sponsorizzato", "NO"),
    ])
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/area/eventi?inserito=1");
    let page = client.get(app.url("/area/eventi?inserito=1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Evento inserito nel piano formativo."));
    assert!(page.contains("Ecografia clinica") && page.contains("€ 1.000,00"), "the event and its reduced FAD fee");
    app.stop().await;
}
both_backends!(without_javascript_an_error_keeps_everything_typed, no_javascript);

async fn fee_cases(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (b, b_id) =
        accredited(&app, "gruppo-b@provider.it", &fiscal_code("0100000004"), "IMPRESA", &accredited_this_year()).await;
    let cases = [
        ("RES sponsorizzato", "RES", "SI", 25822),
        ("FSC sponsorizzato", "FSC", "SI", 25822),
        ("FAD sponsorizzato", "FAD", "SI", 150000),
        ("RES libero", "RES", "NO", 17215),
        ("FSC libero", "FSC", "NO", 17215),
        ("FAD libero", "FAD", "NO", 100000),
    ];
    for (title, procedure, sponsored, _) in cases {
        let (status, answer) = declare(&app, &b, [title, procedure, "2026-12-15", "2026-12-16", sponsored]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let page = plan(&app, &b).await;
    assert_eq!(page["access"], "Open", "first year: no annual gate");
    for (title, procedure, _, cents) in cases {
        let event = event_titled(&page, title);
        assert_eq!(event["fee_cents"], cents, "{title}");
        let debt = &event["debt"];
        assert_eq!(debt["amount_cents"], cents, "{title}");
        assert_eq!(debt["fee_kind"], "ContributoEvento");
        assert_eq!(debt["state"], "DaPagare");
        assert_eq!(debt["due_date"], "2027-03-16", "90 days after the end");
        let causale = debt["causale"].as_str().unwrap();
        assert!(causale.starts_with(&format!("Contributo evento ECM '{title}' ({procedure}) - ")), "{causale}");
        assert!(causale.len() <= 90 && causale.is_ascii(), "{causale}");
    }
    // The six debts are in the cart page, paid in two carts (5 + 1).
    let (status, cart) = json_of(app.call(&b, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    let sizes: Vec<usize> = cart["carts"].as_array().unwrap().iter().map(|c| c.as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![5, 1]);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM debts WHERE provider_id = $1 AND event_id IS NOT NULL", &b_id).await,
        6
    );

    // Gruppo A: nothing is due for any event, so no debt.
    let (a, a_id) = accredited(
        &app,
        "gruppo-a@provider.it",
        &fiscal_code("0100000005"),
        "AZIENDA_SANITARIA",
        &accredited_this_year(),
    )
    .await;
    for (title, procedure, sponsored, _) in cases {
        let (status, answer) = declare(&app, &a, [title, procedure, "2026-12-15", "2026-12-16", sponsored]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let page = plan(&app, &a).await;
    for (title, ..) in cases {
        let event = event_titled(&page, title);
        assert_eq!((event["fee_cents"].as_i64(), event["debt"].is_null()), (Some(0), true), "{event}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM debts WHERE provider_id = $1", &a_id).await, 0);
    let page = a.get(app.url("/area/eventi")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Nessun contributo dovuto"));
    app.stop().await;
}
both_backends!(each_event_fee_case_has_its_amount_due_date_and_causale, fee_cases);

async fn tariff_by_date(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (client, _) =
        accredited(&app, "tariffa@provider.it", &fiscal_code("0100000006"), "FONDAZIONE", &accredited_this_year())
            .await;
    // A new version of the Gruppo B RES/FSC tariff from 1 July 2027; the old one ends the day before.
    let db = app.state.db.pool();
    sqlx::query("UPDATE tariffs SET valid_to = '2027-06-30' WHERE id = 't-ev-b-res'").execute(db).await.unwrap();
    sqlx::query(
        "INSERT INTO tariffs (id, fee_kind, provider_class, case_key, description, amount_cents, valid_from, valid_to, created_by, created_at)
         VALUES ('t-ev-b-res-2027', 'CONTRIBUTO_EVENTO', 'B', 'EVENTO_RES_FSC', 'Gruppo B, evento RES o FSC (2027)', 30000, '2027-07-01', NULL, 'test', '2026-11-27T00:00:00.000Z')",
    )
    .execute(db)
    .await
    .unwrap();
    for (title, start, end) in [
        ("Prima", "2027-06-30", "2027-07-02"),
        ("Dopo", "2027-07-01", "2027-07-01"),
        ("Oggi", "2026-12-01", "2026-12-01"),
    ] {
        let (status, answer) = declare(&app, &client, [title, "RES", start, end, "SI"]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let page = plan(&app, &client).await;
    assert_eq!(
        event_titled(&page, "Prima")["fee_cents"],
        25822,
        "started under the old version, ends under the new one"
    );
    assert_eq!(event_titled(&page, "Dopo")["fee_cents"], 30000);
    assert_eq!(event_titled(&page, "Oggi")["fee_cents"], 25822);
    let tariff: String =
        sqlx::query_scalar("SELECT d.tariff_id FROM debts d JOIN events e ON e.id = d.event_id WHERE e.title = 'Dopo'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(tariff, "t-ev-b-res-2027");
    app.stop().await;
}
both_backends!(the_event_fee_uses_the_tariff_valid_at_its_start_date, tariff_by_date);

/// `n` events of the provider starting in `year` (as if declared over that year).
async fn insert_events(app: &TestApp, provider_id: &str, user_id: &str, year: i32, n: usize) {
    for i in 0..n {
        let start = format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        sqlx::query(
            "INSERT INTO events (id, provider_id, declaration_key, title, procedure_type, start_date, end_date, sponsored,
                                 provider_class, tariff_id, fee_cents, created_by, created_at)
             VALUES ($1, $2, $3, $4, 'RES', $5, $5, 1, 'A', 't-ev-a-res', 0, $6, '2026-01-01T00:00:00.000Z')",
        )
        .bind(new_id())
        .bind(provider_id)
        .bind(new_id())
        .bind(format!("Evento {i}"))
        .bind(&start)
        .bind(user_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
}

async fn annual_debts_of(app: &TestApp, provider_id: &str) -> Vec<(i64, i64, String, String)> {
    sqlx::query_as(
        "SELECT reference_year, amount_cents, due_date, causale FROM debts
         WHERE provider_id = $1 AND fee_kind = 'QUOTA_ANNUALE' AND reference_year IS NOT NULL ORDER BY reference_year",
    )
    .bind(provider_id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn gruppo_a_bands(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    // Accredited in 2027; the 2029 fee follows the events that started in 2028 (events of
    // 2027 and 2029 must not count). Years after the real today, so the server's own daily
    // pass (which runs at start with the real date) cannot create these debts first.
    let bands = [
        (30, 300000),
        (31, 550000),
        (60, 550000),
        (61, 800000),
        (90, 800000),
        (91, 1050000),
        (120, 1050000),
        (121, 1300000),
    ];
    for (i, (events, cents)) in bands.into_iter().enumerate() {
        let email = format!("ulss{i}@provider.it");
        let (_, provider_id) = accredited(
            &app,
            &email,
            &fiscal_code(&format!("02000000{i:02}")),
            "AZIENDA_SANITARIA",
            "2027-06-01T10:00:00.000Z",
        )
        .await;
        let (_, user_id) = provider_of(&app, &email).await;
        insert_events(&app, &provider_id, &user_id, 2028, events).await;
        insert_events(&app, &provider_id, &user_id, 2027, 3).await;
        insert_events(&app, &provider_id, &user_id, 2029, 40).await;
        let provider = app::providers::service::provider_by_id(&app.state.db, &provider_id).await.unwrap().unwrap();
        let created =
            plan_server::ensure_annual_debts(&app.state.db, &provider, day(2029, Month::February, 1)).await.unwrap();
        assert_eq!(created, vec![2028, 2029], "no fee for the first year (2027)");
        let debts = annual_debts_of(&app, &provider_id).await;
        assert_eq!(debts[0].1, 300000, "2028: 3 events in 2027, band up to 30");
        assert_eq!(
            (debts[1].0, debts[1].1, debts[1].2.as_str(), debts[1].3.as_str()),
            (2029, cents, "2029-07-31", "Quota annuale accreditamento provider ECM - anno 2029"),
            "{events} events in 2028"
        );
    }
    app.stop().await;
}
both_backends!(gruppo_a_later_years_pay_the_band_of_the_previous_years_events_at_its_edges, gruppo_a_bands);

async fn gruppo_b_idempotent(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let (_, first) =
        accredited(&app, "b1@provider.it", &fiscal_code("0300000001"), "UNIVERSITA", "2027-11-30T16:00:00.000Z").await;
    let provider = app::providers::service::provider_by_id(&app.state.db, &first).await.unwrap().unwrap();
    let db = &app.state.db;
    let in_first_year = plan_server::ensure_annual_debts(db, &provider, day(2027, Month::December, 31)).await.unwrap();
    assert!(in_first_year.is_empty());
    let created = plan_server::ensure_annual_debts(db, &provider, day(2030, Month::March, 1)).await.unwrap();
    assert_eq!(created, vec![2028, 2029, 2030]);
    let again = plan_server::ensure_annual_debts(db, &provider, day(2030, Month::March, 1)).await.unwrap();
    assert!(again.is_empty(), "a second call creates nothing");
    let debts = annual_debts_of(&app, &first).await;
    let expected: Vec<(i64, i64, String, String)> = (2028..=2030)
        .map(|y| (y, 25822, format!("{y}-03-31"), format!("Quota annuale accreditamento provider ECM - anno {y}")))
        .collect();
    assert_eq!(debts, expected);

    // Concurrent calls (page loads racing the daily pass): one debt per year.
    let (_, second) =
        accredited(&app, "b2@provider.it", &fiscal_code("0300000002"), "UNIVERSITA", "2028-02-01T08:00:00.000Z").await;
    let provider = app::providers::service::provider_by_id(db, &second).await.unwrap().unwrap();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (db, provider) = (db.clone(), provider.clone());
        calls.spawn(async move {
            plan_server::ensure_annual_debts(&db, &provider, day(2030, Month::January, 2)).await.unwrap()
        });
    }
    calls.spawn({
        let db = db.clone();
        async move {
            vec![i32::try_from(plan_server::ensure_all_annual_debts(&db, day(2030, Month::January, 2)).await.unwrap())
                .unwrap()]
        }
    });
    while let Some(result) = calls.join_next().await {
        result.unwrap();
    }
    let years: Vec<i64> = annual_debts_of(&app, &second).await.into_iter().map(|d| d.0).collect();
    assert_eq!(years, vec![2029, 2030]);
    assert_eq!(annual_debts_of(&app, &first).await.len(), 3, "the daily pass adds nothing already there");

    // A provider that is not accredited gets nothing from the daily pass.
    support::provider_with_draft(&app, "b3@provider.it", "In bozza", &fiscal_code("0300000003"), "UNIVERSITA").await;
    let (draft, _) = provider_of(&app, "b3@provider.it").await;
    plan_server::ensure_all_annual_debts(db, day(2033, Month::January, 2)).await.unwrap();
    assert!(annual_debts_of(&app, &draft).await.is_empty());
    app.stop().await;
}
both_backends!(later_year_annual_debts_are_created_once_even_when_called_concurrently, gruppo_b_idempotent);

async fn gate(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    // Accredited last year: this year's annual fee must be verified paid before any event.
    let last_year = time::OffsetDateTime::now_utc().year() - 1;
    let this_year = last_year + 1;
    let (client, _) = accredited(
        &app,
        "gate@provider.it",
        &fiscal_code("0400000001"),
        "ORDINE_COLLEGIO",
        &format!("{last_year}-05-01T10:00:00.000Z"),
    )
    .await;
    // The daily pass (at start-up and every day) makes this year's fee due; pages only read.
    plan_server::ensure_all_annual_debts(&app.state.db, time::OffsetDateTime::now_utc().date()).await.unwrap();
    let page = plan(&app, &client).await;
    assert_eq!(page["access"]["AnnualFeeUnpaid"]["year"], this_year, "{page}");
    assert_eq!(page["access"]["AnnualFeeUnpaid"]["debt"]["amount_cents"], 25822);
    let (status, error) =
        declare(&app, &client, ["Corso", "RES", &format!("{this_year}-12-01"), &format!("{this_year}-12-02"), "SI"])
            .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("annual_fee_not_paid")),
        "{error}"
    );
    assert_eq!(error["detail"], this_year);
    let html = client.get(app.url("/area/eventi")).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("Quota annuale {this_year} da pagare")) && html.contains("href=\"/area/pagamento\"")
    );
    assert!(
        !html.contains("Inserisci l&#x27;evento") && !html.contains("Inserisci l'evento"),
        "no form while the gate is closed"
    );

    // Pay it through the cart → MyPay → ChiediPagati flow.
    let (_, cart) = json_of(app.call(&client, "payments/page", &[]).await).await;
    let debts = cart["carts"][0].as_array().unwrap();
    assert_eq!(debts.len(), 1, "{cart}");
    assert_eq!(debts[0]["causale"], format!("Quota annuale accreditamento provider ECM - anno {this_year}"));
    let form = [
        ("idempotency_key", cart["idempotency_key"].as_str().unwrap()),
        ("debts", debts[0]["id"].as_str().unwrap()),
        ("payer_email", "tesoreria@example.it"),
    ];
    let (status, answer) = json_of(app.call(&client, "payments/pay", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    // While MyPay has not confirmed, the gate stays closed.
    let (status, _) =
        declare(&app, &client, ["Corso", "RES", &format!("{this_year}-12-01"), &format!("{this_year}-12-02"), "SI"])
            .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    sim.act(&id_session, "pay").await;
    let (status, attempt) =
        json_of(app.call(&client, "payments/verify", &[("id_session", id_session.as_str()), ("esito", "OK")]).await)
            .await;
    assert_eq!((status, attempt["state"].as_str()), (StatusCode::OK, Some("Pagata")), "{attempt}");

    assert_eq!(plan(&app, &client).await["access"], "Open");
    let (status, answer) =
        declare(&app, &client, ["Corso", "RES", &format!("{this_year}-12-01"), &format!("{this_year}-12-02"), "SI"])
            .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let page = plan(&app, &client).await;
    assert_eq!(page["annual_fees"][0][0], this_year);
    assert_eq!(page["annual_fees"][0][1]["state"], "Pagato");
    // The readable receipt of the pagoPA payment: the IUV, the IUR and the PSP from MyPay's receipt.
    let debt_id = page["annual_fees"][0][1]["id"].as_str().unwrap();
    let receipt = client.get(app.url(&format!("/dovuti/{debt_id}/ricevuta.pdf"))).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let text = support::pdf_text(&receipt.bytes().await.unwrap());
    let iuv = page["annual_fees"][0][1]["iuv"].as_str().unwrap();
    let iur = page["annual_fees"][0][1]["iur"].as_str().unwrap();
    let psp: String = sqlx::query_scalar("SELECT psp FROM payment_attempts WHERE state = 'PAGATA'")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    for expected in [iuv, iur, psp.as_str(), "pagoPA (MyPay)", "€ 258,22"] {
        assert!(!expected.is_empty() && text.contains(expected), "{expected} in the receipt:\n{text}");
    }
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    app.stop().await;
    sim.stop();
}
both_backends!(events_of_a_later_year_wait_until_its_annual_fee_is_verified_paid, gate);
