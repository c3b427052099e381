//! Mail over real SMTP, on both databases: the portal's worker sends the outbox to the
//! project's SMTP sink (`server::mail_sink`, a real SMTP server on a local port). Every message
//! kind arrives with its links; password reset and e-mail verification work once and expire;
//! SMTP faults (server down, 4xx, 5xx, slow answers, a connection lost before the answer) are
//! retried or recorded, and nothing is lost.

use crate::support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use server::mail_sink::{Fault, MailSink, ReceivedMail, SinkConfig};
use support::{json_of, segreteria, Backend, TestApp};

const WAIT: Duration = Duration::from_secs(20);

async fn sink() -> MailSink {
    MailSink::start(SinkConfig { smtp_addr: "127.0.0.1:0".parse().unwrap(), http_addr: None, dir: None })
        .expect("the sink starts")
}

/// The portal sending to `smtp` (a sink's address), looking at the outbox every second and
/// retrying after one second.
async fn portal(backend: Backend, smtp: std::net::SocketAddr, extra: &[(&str, &str)]) -> Option<TestApp> {
    let url = format!("smtp://{smtp}?tls=none");
    let mut vars = vec![
        ("ECM_PUBLIC_URL", "http://ecm.test"),
        ("ECM_SMTP_URL", url.as_str()),
        ("ECM_MAIL_FROM", "Portale ECM <ecm-noreply@ecm.test>"),
        ("ECM_MAIL_INTERVAL_SECONDS", "1"),
        ("ECM_MAIL_BACKOFF_MIN_SECONDS", "1"),
        ("ECM_MAIL_BACKOFF_MAX_SECONDS", "2"),
    ];
    vars.extend_from_slice(extra);
    TestApp::spawn_with(backend, &vars).await
}

async fn mails_to(sink: &MailSink, to: &str, n: usize) -> Vec<ReceivedMail> {
    let to = to.to_string();
    let pick = |all: &[ReceivedMail]| {
        all.iter().filter(|m| m.envelope_to.iter().any(|r| r == &to)).cloned().collect::<Vec<_>>()
    };
    match sink.wait_for(|all| pick(all).len() >= n, WAIT).await {
        Ok(all) => pick(&all),
        Err(all) => panic!(
            "expected {n} mail(s) to {to} within {WAIT:?}; the sink has: {:?}",
            all.iter().map(|m| (&m.envelope_to, &m.subject)).collect::<Vec<_>>()
        ),
    }
}

/// The token of the first link in the mail that carries `path?token=`.
fn token_in(mail: &ReceivedMail, path: &str) -> String {
    let text = mail.text.as_deref().expect("a text part");
    let start =
        text.find(&format!("{path}?token=")).unwrap_or_else(|| panic!("no {path} link in {text}")) + path.len() + 7;
    text[start..].split_whitespace().next().unwrap().to_string()
}

async fn outbox(app: &TestApp, sql: &str) -> Vec<(String, String, i64, Option<String>, String)> {
    sqlx::query_as::<_, (String, String, i64, Option<String>, String)>(sqlx::AssertSqlSafe(format!(
        "SELECT kind, state, tries, last_error, body_text FROM mail_outbox {sql} ORDER BY created_at, id"
    )))
    .fetch_all(app.state.db.pool())
    .await
    .unwrap()
}

async fn verification(backend: Backend) {
    let sink = sink().await;
    let Some(app) = portal(backend, sink.smtp_addr(), &[]).await else { return };
    let client = app.client();
    assert!(app.register(&client, "nuovo@provider.it", "Provider2026").await.status().is_success());
    let (_, me) = json_of(app.call(&client, "accounts/me", &[]).await).await;
    assert_eq!(me["email_verified"], false);

    let mail = mails_to(&sink, "nuovo@provider.it", 1).await.remove(0);
    assert_eq!(mail.subject.as_deref(), Some("Conferma il tuo indirizzo e-mail — Portale ECM"));
    assert!(
        mail.html.as_deref().is_some_and(|h| h.contains("http://ecm.test/verifica-email?token=")),
        "an HTML part with the link"
    );
    assert!(mail.message_id.as_deref().is_some_and(|id| id.ends_with("@ecm.test")), "{:?}", mail.message_id);
    let token = token_in(&mail, "/verifica-email");

    let (status, error) = json_of(app.call(&client, "accounts/verify-email", &[("token", "not-a-token")]).await).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::GONE, Some("link_invalid")));
    assert!(app.call(&client, "accounts/verify-email", &[("token", token.as_str())]).await.status().is_success());
    let (_, me) = json_of(app.call(&client, "accounts/me", &[]).await).await;
    assert_eq!(me["email_verified"], true);
    let (status, _) = json_of(app.call(&client, "accounts/verify-email", &[("token", token.as_str())]).await).await;
    assert_eq!(status, StatusCode::GONE, "a link works once");

    // A visitor who registered and opens the link is verified and in the area at once.
    let visitor = app.client();
    let form = [
        ("email", "altro@provider.it"),
        ("display_name", "Marco Neri"),
        ("password", "Provider2026"),
        ("password_confirm", "Provider2026"),
    ];
    assert!(app.call(&visitor, "accounts/register", &form).await.status().is_success());
    let (_, me) = json_of(app.call(&visitor, "accounts/me", &[]).await).await;
    assert_eq!(me, Value::Null, "registering alone does not log in");
    let link = token_in(&mails_to(&sink, "altro@provider.it", 1).await.remove(0), "/verifica-email");
    assert!(app.call(&visitor, "accounts/verify-email", &[("token", link.as_str())]).await.status().is_success());
    let (_, me) = json_of(app.call(&visitor, "accounts/me", &[]).await).await;
    assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some("altro@provider.it"), Some(true)));

    // Once sent, the row keeps no token: the link lives only in the mailbox.
    let rows = outbox(&app, "WHERE kind = 'VERIFY_EMAIL' AND recipient = 'nuovo@provider.it'").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "SENT");
    assert!(!rows[0].4.contains(&token), "the sent body was blanked");
    app.stop().await;
}
both_backends!(registration_mails_a_verification_link_that_works_once, verification);

async fn reset(backend: Backend) {
    let sink = sink().await;
    let Some(app) = portal(backend, sink.smtp_addr(), &[]).await else { return };
    let owner = app.client();
    assert!(app.register(&owner, "anna@provider.it", "Provider2026").await.status().is_success());
    mails_to(&sink, "anna@provider.it", 1).await; // the verification mail

    // A known and an unknown address get the same answer.
    let visitor = app.client();
    let known = visitor
        .post(app.url("/api/accounts/password-reset-request"))
        .header("Accept", "application/json")
        .form(&[("email", "Anna@Provider.it")])
        .send()
        .await
        .unwrap();
    let unknown = visitor
        .post(app.url("/api/accounts/password-reset-request"))
        .header("Accept", "application/json")
        .form(&[("email", "nessuno@provider.it")])
        .send()
        .await
        .unwrap();
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.headers().get("serverfnredirect"), unknown.headers().get("serverfnredirect"));
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    let (status, _) =
        json_of(app.call(&visitor, "accounts/password-reset-request", &[("email", "non è un indirizzo")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a malformed address is a typing error, said as such");

    let mail = mails_to(&sink, "anna@provider.it", 2).await.remove(1);
    assert_eq!(mail.subject.as_deref(), Some("Reimposta la password — Portale ECM"));
    let token = token_in(&mail, "/reimposta-password");
    // A second request within the minute sends nothing more; nothing ever goes to the unknown address.
    app.call(&visitor, "accounts/password-reset-request", &[("email", "anna@provider.it")]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.messages().iter().filter(|m| m.envelope_to.iter().any(|r| r == "anna@provider.it")).count(), 2);
    assert!(sink.messages().iter().all(|m| !m.envelope_to.iter().any(|r| r == "nessuno@provider.it")));

    let (status, _) = json_of(
        app.call(
            &visitor,
            "accounts/password-reset",
            &[("token", token.as_str()), ("password", "Nuova2026pw"), ("password_confirm", "Altra2026pw")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the two passwords differ: the link is not used up");
    let done = app
        .call(
            &visitor,
            "accounts/password-reset",
            &[("token", token.as_str()), ("password", "Nuova2026pw"), ("password_confirm", "Nuova2026pw")],
        )
        .await;
    assert!(done.status().is_success(), "{}", done.status());

    // Every session of the account ended; the old password is gone, the new one works.
    let (_, me) = json_of(app.call(&owner, "accounts/me", &[]).await).await;
    assert_eq!(me, Value::Null, "the session opened before the reset is over");
    assert_eq!(app.login(&app.client(), "anna@provider.it", "Provider2026").await.status(), StatusCode::UNAUTHORIZED);
    assert!(app.login(&app.client(), "anna@provider.it", "Nuova2026pw").await.status().is_success());
    let (status, error) = json_of(
        app.call(
            &visitor,
            "accounts/password-reset",
            &[("token", token.as_str()), ("password", "Terza2026pw"), ("password_confirm", "Terza2026pw")],
        )
        .await,
    )
    .await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::GONE, Some("link_invalid")), "a link works once");

    // A link older than an hour does not work.
    sqlx::query("UPDATE account_tokens SET created_at = '2026-01-01T00:00:00.000Z'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    app.call(&visitor, "accounts/password-reset-request", &[("email", "anna@provider.it")]).await;
    let late = mails_to(&sink, "anna@provider.it", 3).await.remove(2);
    let late_token = token_in(&late, "/reimposta-password");
    sqlx::query("UPDATE account_tokens SET expires_at = '2026-01-01T01:00:00.000Z' WHERE used_at IS NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, _) = json_of(
        app.call(
            &visitor,
            "accounts/password-reset",
            &[("token", late_token.as_str()), ("password", "Terza2026pw"), ("password_confirm", "Terza2026pw")],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "an expired link");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM account_tokens").fetch_all(app.state.db.pool()).await.unwrap();
    assert!(
        stored.iter().all(|hash| hash != &token && hash != &late_token && hash.len() == 64),
        "tokens are stored hashed"
    );
    app.stop().await;
}
both_backends!(password_reset_answers_alike_for_unknown_addresses_works_once_expires_and_ends_every_session, reset);

/// A provider (with its account) whose request is INVIATA, as the console tests build it.
async fn submitted(app: &TestApp, n: usize, org_email: &str) -> (String, String) {
    let db = app.state.db.pool();
    let (user, provider, request) = (format!("u{n}"), format!("p{n}"), format!("r{n}"));
    let at = "2026-11-27T10:00:00.000Z";
    sqlx::query("INSERT INTO users (id, email, password_hash, role, display_name, created_at) VALUES ($1, $2, 'x', 'PROVIDER', 'Anna Bianchi', $3)")
        .bind(&user).bind(format!("referente{n}@provider.it")).bind(at).execute(db).await.unwrap();
    sqlx::query(
        "INSERT INTO providers (id, owner_user_id, denominazione, codice_fiscale, partita_iva, provider_class, forma_giuridica,
            legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune, provincia, pec, email, telefono, created_at, updated_at)
         VALUES ($1, $2, $3, $4, NULL, 'B', 'IMPRESA', 'Mario', 'Rossi', 'RSSMRA80A01H501U', 'Via Roma', '1', '30121', 'Venezia', 'VE',
            'pec@pec.it', $5, '041 1234567', $6, $6)",
    )
    .bind(&provider).bind(&user).bind(format!("Ente Formazione {n}")).bind(format!("CF{n:09}")).bind(org_email).bind(at).execute(db).await.unwrap();
    sqlx::query("INSERT INTO accreditation_requests (id, provider_id, kind, state, created_at, updated_at, submitted_at) VALUES ($1, $2, 'PROVVISORIO', 'INVIATA', $3, $3, $3)")
        .bind(&request).bind(&provider).bind(at).execute(db).await.unwrap();
    (provider, request)
}

async fn request_moves(backend: Backend) {
    let sink = sink().await;
    let Some(app) = portal(backend, sink.smtp_addr(), &[]).await else { return };
    let staff = segreteria(&app).await;
    let (provider_one, one) = submitted(&app, 1, "segreteria@ente1.it").await;
    let (_, two) = submitted(&app, 2, "referente2@provider.it").await;
    let act = |id: String, action: &'static str, note: &'static str, sections: &'static [&'static str]| {
        let (app, staff) = (&app, &staff);
        async move {
            let mut form = vec![("id", id.as_str()), ("action", action), ("note", note)];
            form.extend(sections.iter().map(|s| ("sections[]", *s)));
            let response = app.call(staff, "segreteria/act", &form).await;
            assert!(response.status().is_success(), "{action}: {}", response.status());
        }
    };
    act(one.clone(), "prendi_in_carico", "", &[]).await;
    act(one.clone(), "richiedi_integrazione", "Manca il piano della qualità firmato <dal legale>", &["DOCUMENTI"])
        .await;
    // To the account and to the organisation's own address.
    let to_referent = mails_to(&sink, "referente1@provider.it", 1).await.remove(0);
    let to_org = mails_to(&sink, "segreteria@ente1.it", 1).await.remove(0);
    assert_eq!(to_referent.subject, to_org.subject);
    assert_eq!(
        to_referent.subject.as_deref(),
        Some("Integrazione richiesta per la domanda di Ente Formazione 1 — Portale ECM")
    );
    let text = to_referent.text.as_deref().unwrap();
    assert!(text.contains("Manca il piano della qualità firmato <dal legale>") && text.contains("Documenti"), "{text}");
    assert!(text.contains("http://ecm.test/area/domanda"), "{text}");
    assert!(to_referent.html.as_deref().unwrap().contains("&lt;dal legale&gt;"), "the note is escaped in HTML");
    assert_ne!(to_referent.message_id, to_org.message_id, "one message per recipient");

    // Accredited (Gruppo confirmed, fees verified as paid: simulated here).
    sqlx::query("UPDATE accreditation_requests SET state = 'IN_ISTRUTTORIA' WHERE id = $1")
        .bind(&one)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert!(app.call(&staff, "segreteria/class", &[("id", one.as_str()), ("class", "B")]).await.status().is_success());
    let unpaid =
        app.call(&staff, "segreteria/act", &[("id", one.as_str()), ("action", "accredita"), ("note", "")]).await;
    assert_eq!(unpaid.status(), StatusCode::CONFLICT, "the first-year quota is due first");
    sqlx::query(
        "UPDATE debts SET state = 'PAGATO', iuv = 'RF00', iur = 'IUR00', paid_at = '2026-11-28' WHERE request_id = $1",
    )
    .bind(&one)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    act(one.clone(), "accredita", "Requisiti verificati", &[]).await;
    let accredited = mails_to(&sink, "referente1@provider.it", 2).await.remove(1);
    assert_eq!(accredited.subject.as_deref(), Some("Ente Formazione 1 è accreditato — Portale ECM"));

    // Rejected, with the reasons; the organisation's address is the account's: one message.
    act(two.clone(), "prendi_in_carico", "", &[]).await;
    act(two.clone(), "rigetta", "Sede non conforme ai requisiti strutturali", &[]).await;
    let rejected = mails_to(&sink, "referente2@provider.it", 1).await.remove(0);
    assert!(rejected.text.as_deref().unwrap().contains("Sede non conforme ai requisiti strutturali"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        sink.messages().iter().filter(|m| m.envelope_to.iter().any(|r| r == "referente2@provider.it")).count(),
        1
    );

    // The Segreteria's mail log of the first provider: what was sent, to whom.
    let (status, log) = json_of(app.call(&staff, "mail/log", &[("provider_id", provider_one.as_str())]).await).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let kinds: Vec<&str> = log.as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["Accredited", "Accredited", "IntegrationRequested", "IntegrationRequested"], "{log}");
    assert!(log.as_array().unwrap().iter().all(|l| l["state"] == "Sent"));
    let provider_client = app.client();
    assert!(app.register(&provider_client, "altro@provider.it", "Provider2026").await.status().is_success());
    assert_eq!(
        app.call(&provider_client, "mail/log", &[("provider_id", provider_one.as_str())]).await.status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
both_backends!(integration_accreditation_and_rejection_are_mailed_to_the_provider_and_logged, request_moves);

async fn payment(backend: Backend) {
    let sink = sink().await;
    let url = format!("smtp://{}?tls=none", sink.smtp_addr());
    let vars = [
        ("ECM_SMTP_URL", url.as_str()),
        ("ECM_MAIL_FROM", "Portale ECM <ecm-noreply@ecm.test>"),
        ("ECM_MAIL_INTERVAL_SECONDS", "1"),
    ];
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &vars).await else { return };
    let owner = support::provider_with_draft(
        &app,
        "paga@provider.it",
        "Società Veneta di Formazione",
        "80007580279",
        "SOCIETA_SCIENTIFICA",
    )
    .await;
    support::upload_required_documents(&app, &owner).await;
    let (_, page) = json_of(app.call(&owner, "payments/page", &[]).await).await;
    let ids: Vec<&str> = page["carts"][0].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    let (status, answer) = json_of(
        app.call(
            &owner,
            "payments/pay",
            &[
                ("idempotency_key", page["idempotency_key"].as_str().unwrap()),
                ("debts", &ids.join(",")),
                ("payer_email", "tesoreria@example.it"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let id_session = sim.sessions().await[0]["id_session"].as_str().unwrap().to_string();
    sim.act(&id_session, "pay").await;
    let (_, attempt) =
        json_of(app.call(&owner, "payments/verify", &[("id_session", id_session.as_str()), ("esito", "OK")]).await)
            .await;
    assert_eq!(attempt["state"], "Pagata", "{attempt}");
    let iuv = attempt["iuv"].as_str().unwrap().to_string();
    // Written with the payment: one row per recipient (the account, the organisation's address).
    let written = outbox(&app, "WHERE kind = 'PAYMENT_VERIFIED'").await.len();
    assert_eq!(written, 2);
    // Verified again (the return page, the reconciler): no further mail.
    app.call(&owner, "payments/verify", &[("id_session", id_session.as_str()), ("esito", "OK")]).await;

    let mails = mails_to(&sink, "paga@provider.it", 2).await;
    let paid = mails
        .iter()
        .find(|m| m.subject.as_deref().is_some_and(|s| s.starts_with("Pagamento verificato")))
        .expect("the payment mail");
    assert_eq!(paid.subject.as_deref(), Some("Pagamento verificato: € 258,22 — Portale ECM"));
    let text = paid.text.as_deref().unwrap();
    assert!(
        text.contains(&iuv) && text.contains("Quota annuale") && text.contains("http://ecm.test/area/estratto-conto"),
        "{text}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        outbox(&app, "WHERE kind = 'PAYMENT_VERIFIED'").await.len(),
        written,
        "one mail per verified payment, however often it is verified"
    );
    sim.stop();
    app.stop().await;
}
both_backends!(a_verified_payment_is_mailed_once_with_the_iuv_and_a_link_to_the_statement, payment);

/// A debt of provider `p{n}` (see [`submitted`]) due on `due`.
async fn debt(app: &TestApp, id: &str, provider: &str, kind: &str, due: &str, state: &str) {
    sqlx::query(
        "INSERT INTO debts (id, provider_id, request_id, fee_kind, causale, amount_cents, due_date, state, created_at, updated_at)
         VALUES ($1, $2, NULL, $3, $4, 25822, $5, $6, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    )
    .bind(id)
    .bind(provider)
    .bind(kind)
    .bind(format!("Contributo {id}"))
    .bind(due)
    .bind(state)
    .execute(app.state.db.pool())
    .await
    .unwrap();
}

async fn reminders(backend: Backend) {
    let sink = sink().await;
    let Some(app) = portal(backend, sink.smtp_addr(), &[]).await else { return };
    let (provider, _) = submitted(&app, 3, "referente3@provider.it").await;
    let date = |text: &str| time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    let today = date("2027-03-21");
    debt(&app, "quota-in-10", &provider, "QUOTA_ANNUALE", "2027-03-31", "DA_PAGARE").await; // due in 10 days: remind
    debt(&app, "quota-in-11", &provider, "QUOTA_ANNUALE", "2027-04-01", "DA_PAGARE").await; // 11 days: not yet
    debt(&app, "evento-in-15", &provider, "CONTRIBUTO_EVENTO", "2027-04-05", "DA_PAGARE").await; // event fee, 15 days: remind
    debt(&app, "quota-ieri", &provider, "QUOTA_ANNUALE", "2027-03-20", "DA_PAGARE").await; // overdue since today
    debt(&app, "pagata", &provider, "QUOTA_ANNUALE", "2027-03-25", "PAGATO").await; // paid: never

    let written = app::mail::worker::run_reminders(&app.state.db, today).await.unwrap();
    assert_eq!(written, 3);
    assert_eq!(app::mail::worker::run_reminders(&app.state.db, today).await.unwrap(), 0, "once per debt and due date");
    let mails = mails_to(&sink, "referente3@provider.it", 3).await;
    let mut subjects: Vec<String> = mails.iter().map(|m| m.subject.clone().unwrap()).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        vec![
            "Promemoria: Contributo evento-in-15 scade il 05/04/2027 — Portale ECM".to_string(),
            "Promemoria: Contributo quota-in-10 scade il 31/03/2027 — Portale ECM".to_string(),
            "Scadenza superata: Contributo quota-ieri — Portale ECM".to_string(),
        ]
    );

    // The next day the 11-day quota is due in 10; an extension arms the reminder again.
    assert_eq!(app::mail::worker::run_reminders(&app.state.db, date("2027-03-22")).await.unwrap(), 1);
    sqlx::query("UPDATE debts SET due_date = '2027-04-30' WHERE id = 'quota-in-10'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(
        app::mail::worker::run_reminders(&app.state.db, date("2027-04-20")).await.unwrap(),
        3,
        "the extended quota again, and two now overdue"
    );
    assert_eq!(app::mail::worker::run_reminders(&app.state.db, date("2027-04-21")).await.unwrap(), 0);
    app.stop().await;
}
both_backends!(reminders_go_out_ten_and_fifteen_days_before_and_on_the_overdue_day_once_per_due_date, reminders);

/// Registers `email`: its verification mail is one row in the outbox.
async fn one_mail(app: &TestApp, email: &str) {
    let client = app.client();
    assert!(app.register(&client, email, "Provider2026").await.status().is_success());
}

async fn wait_outbox(
    app: &TestApp,
    what: &str,
    done: impl Fn(&[(String, String, i64, Option<String>, String)]) -> bool,
) -> Vec<(String, String, i64, Option<String>, String)> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let rows = outbox(app, "").await;
        if done(&rows) {
            return rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the outbox is {:?}",
            rows.iter().map(|r| (&r.0, &r.1, r.2, &r.3)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn faults(backend: Backend) {
    // The SMTP server is down: the mail waits and goes out once it is up, on the same port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let Some(app) = portal(backend, port, &[("ECM_SMTP_TIMEOUT_SECONDS", "1"), ("ECM_MAIL_MAX_TRIES", "20")]).await
    else {
        return;
    };
    one_mail(&app, "giu@provider.it").await;
    let rows = wait_outbox(&app, "a try against a closed port", |rows| {
        rows.first().is_some_and(|r| r.2 >= 1 && r.3.is_some())
    })
    .await;
    assert_eq!(rows[0].1, "PENDING", "a refused connection is worth another try");
    let sink = MailSink::start(SinkConfig { smtp_addr: port, http_addr: None, dir: None }).unwrap();
    mails_to(&sink, "giu@provider.it", 1).await;
    wait_outbox(&app, "sent once the server is up", |rows| rows[0].1 == "SENT").await;

    // 4xx twice, then accepted: three tries.
    sink.set_fault(Fault::TempFail { count: 2 });
    one_mail(&app, "quattro@provider.it").await;
    mails_to(&sink, "quattro@provider.it", 1).await;
    let rows = wait_outbox(&app, "accepted at the third try", |rows| rows.len() == 2 && rows[1].1 == "SENT").await;
    assert_eq!(rows[1].2, 3, "{rows:?}");

    // 5xx: refused for good, recorded with the server's answer, never sent.
    sink.set_fault(Fault::PermFail { count: 1 });
    one_mail(&app, "cinque@provider.it").await;
    let rows = wait_outbox(&app, "refused for good", |rows| rows.len() == 3 && rows[2].1 == "FAILED").await;
    assert_eq!(rows[2].2, 1, "no second try after a 5xx");
    assert!(rows[2].3.as_deref().is_some_and(|e| e.contains("550")), "{rows:?}");
    assert!(!rows[2].4.contains("token="), "a failed row keeps no token either");

    // A slow answer (beyond the timeout) and a connection lost before the answer: the message
    // may arrive twice, with the same Message-ID, and the row ends SENT.
    sink.set_fault(Fault::Slow { delay_ms: 2500, count: 1 });
    one_mail(&app, "lento@provider.it").await;
    let slow = mails_to(&sink, "lento@provider.it", 2).await;
    assert_eq!(slow[0].message_id, slow[1].message_id, "the same message, sent again");
    wait_outbox(&app, "slow, then sent", |rows| rows.len() == 4 && rows[3].1 == "SENT").await;
    sink.set_fault(Fault::DropAfterData { count: 1 });
    one_mail(&app, "caduta@provider.it").await;
    let dropped = mails_to(&sink, "caduta@provider.it", 2).await;
    assert_eq!(dropped[0].message_id, dropped[1].message_id);
    wait_outbox(&app, "lost answer, then sent", |rows| rows.len() == 5 && rows[4].1 == "SENT").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        sink.messages().iter().filter(|m| m.envelope_to.iter().any(|r| r == "caduta@provider.it")).count(),
        2,
        "a SENT row never goes out again"
    );
    app.stop().await;

    // Too many 4xx: FAILED after ECM_MAIL_MAX_TRIES, and the Segreteria's overview counts it.
    let Some(app) = portal(backend, sink.smtp_addr(), &[("ECM_MAIL_MAX_TRIES", "2")]).await else { return };
    sink.set_fault(Fault::TempFail { count: 5 });
    one_mail(&app, "arreso@provider.it").await;
    let rows =
        wait_outbox(&app, "given up after two tries", |rows| rows.first().is_some_and(|r| r.1 == "FAILED")).await;
    assert_eq!(rows[0].2, 2);
    assert!(rows[0].3.as_deref().is_some_and(|e| e.contains("after 2 tries")), "{rows:?}");
    let staff = segreteria(&app).await;
    let (_, overview) = json_of(app.call(&staff, "segreteria/overview", &[]).await).await;
    assert_eq!(overview["mail_failed"][0]["recipient"], "arreso@provider.it", "{overview}");
    sink.set_fault(Fault::None);
    app.stop().await;
}
both_backends!(smtp_faults_are_retried_or_recorded_and_nothing_is_lost, faults);

async fn two_instances(backend: Backend) {
    // Mail written while SMTP is not configured waits in the outbox…
    let Some(app) = TestApp::spawn(backend).await else { return };
    for n in 0..30 {
        one_mail(&app, &format!("coda{n}@provider.it")).await;
    }
    assert_eq!(outbox(&app, "WHERE state = 'PENDING'").await.len(), 30);
    // …then two instances (two workers, two owners) send it at once: each mail exactly once.
    let sink = sink().await;
    let smtp = server::mail_transport::SmtpSettings {
        url: server::mail_transport::SmtpUrl::parse(&format!("smtp://{}?tls=none", sink.smtp_addr())).unwrap(),
        from: "Portale ECM <ecm-noreply@ecm.test>".into(),
        timeout: Duration::from_secs(5),
    };
    let mailer = server::mail_transport::SmtpMailer::new(&smtp).unwrap();
    let config = app::mail::model::MailConfig { batch: 4, ..app::mail::model::MailConfig::default() };
    let worker = |owner: &'static str| {
        let (db, mailer, config) = (&app.state.db, &mailer, &config);
        async move {
            let mut sent = 0;
            loop {
                let report = app::mail::worker::run_pass(db, mailer, config, owner).await.unwrap();
                if report.sent == 0 {
                    return sent;
                }
                sent += report.sent;
            }
        }
    };
    let (a, b) = tokio::join!(worker("instance-a"), worker("instance-b"));
    assert_eq!(a + b, 30, "every mail sent once between them ({a} + {b})");
    let received = sink.messages();
    let ids: std::collections::BTreeSet<_> = received.iter().map(|m| m.message_id.clone().unwrap()).collect();
    assert_eq!((received.len(), ids.len()), (30, 30), "no message twice");
    assert!(outbox(&app, "").await.iter().all(|row| row.1 == "SENT" && row.2 == 1));
    app.stop().await;
}
both_backends!(two_instances_share_the_outbox_and_never_send_a_mail_twice, two_instances);
