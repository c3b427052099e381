//! The access matrix: anonymous, provider A, provider B and the Segreteria against every server
//! function and every download URL, on both databases.
//!
//! The table below must name every server function the portal registers (checked against the
//! server-function registry), so a new endpoint cannot ship without a decision on who may call
//! it. Calls that B makes with A's identifiers must be refused *and* leave nothing of A in the
//! answer; "mine" functions answered to B must not contain A's data.
//!
//! State-changing calls by their rightful actor are not repeated here (`Own`): the functional
//! suites (wizard, payments, console) exercise them; here they would change the fixture.

use crate::support;

use std::collections::BTreeSet;

use reqwest::StatusCode;
use support::{fiscal_code, json_of, Backend, TestApp, TestSim};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    ProviderA,
    ProviderB,
    Segreteria,
}

const ACTORS: [Actor; 4] = [Actor::Anonymous, Actor::ProviderA, Actor::ProviderB, Actor::Segreteria];

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 200, and the body must not contain provider A's markers unless the actor may see them.
    Ok,
    /// Refused with exactly this status; the body must not contain A's markers.
    Refused(u16),
    /// Refused with any of these statuses (the refusal reason may differ, never the outcome).
    RefusedAny(&'static [u16]),
    /// Allowed, state-changing for the actor's own data: covered by the functional suites.
    Own,
}

/// What a test run knows about provider A, to look for in answers given to others.
struct Fixture {
    provider_a: String,
    request_a: String,
    document_a: String,
    attempt_a: String,
    session_a: String,
    debt_a: String,
    name_a: &'static str,
    email_a: &'static str,
}

impl Fixture {
    /// Strings that identify provider A's data.
    fn markers(&self) -> [&str; 6] {
        [&self.request_a, &self.document_a, &self.attempt_a, &self.session_a, self.name_a, self.email_a]
    }
}

struct Row {
    endpoint: &'static str,
    args: fn(&Fixture) -> Vec<(String, String)>,
    expect: [Expect; 4],
}

fn row(endpoint: &'static str, args: fn(&Fixture) -> Vec<(String, String)>, expect: [Expect; 4]) -> Row {
    Row { endpoint, args, expect }
}

fn none(_: &Fixture) -> Vec<(String, String)> {
    Vec::new()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A complete, valid censimento form (so that only the caller decides the answer).
fn censimento(name: &str) -> Vec<(String, String)> {
    support::as_form(&support::censimento(name, "01234567897", "SOCIETA_SCIENTIFICA"))
}

use Expect::{Ok as Allowed, Own, Refused, RefusedAny};

/// Status codes of the portal's refusals: 401 not signed in, 403 wrong role or not the owner,
/// 404 not found (another provider's object is never confirmed to exist), 409 wrong state.
const NOT_YOURS: &[u16] = &[403, 404];

/// What only the Segreteria may read: nobody signed in, a provider (A or B).
const SEGRETERIA_ONLY: [Expect; 4] = [Refused(401), Refused(403), Refused(403), Allowed];

fn matrix() -> Vec<Row> {
    vec![
        // ---- accounts: public by nature -----------------------------------------------------
        row("accounts/me", none, [Allowed, Allowed, Allowed, Allowed]),
        // Invalid input on purpose: open to all, answered with the form errors.
        row(
            "accounts/register",
            |_| pairs(&[("email", "x"), ("display_name", ""), ("password", "a"), ("password_confirm", "b")]),
            [Refused(422), Refused(422), Refused(422), Refused(422)],
        ),
        // Nobody gets in with A's e-mail and a wrong password, whoever asks.
        row(
            "accounts/login",
            |f| pairs(&[("email", f.email_a), ("password", "wrong-password")]),
            [Refused(401), Refused(401), Refused(401), Refused(401)],
        ),
        row("accounts/logout", none, [Allowed, Own, Own, Own]),
        // Mail links: open to all (the token decides); a wrong token is refused alike for all.
        row(
            "accounts/password-reset-request",
            |_| pairs(&[("email", "non-una-mail")]),
            [Refused(422), Refused(422), Refused(422), Refused(422)],
        ),
        row(
            "accounts/password-reset",
            |_| pairs(&[("token", "not-a-token"), ("password", "Nuova2026pw"), ("password_confirm", "Nuova2026pw")]),
            [Refused(410), Refused(410), Refused(410), Refused(410)],
        ),
        row(
            "accounts/verify-email",
            |_| pairs(&[("token", "not-a-token")]),
            [Refused(410), Refused(410), Refused(410), Refused(410)],
        ),
        row("accounts/verify-email-again", none, [Refused(401), Own, Own, Own]),
        // One's own account only: a wrong current password changes nothing, whoever asks.
        row(
            "accounts/password-change",
            |_| {
                pairs(&[
                    ("current_password", "sbagliata-2026"),
                    ("password", "Nuova2026pw"),
                    ("password_confirm", "Nuova2026pw"),
                ])
            },
            [Refused(401), Refused(422), Refused(422), Refused(422)],
        ),
        row("accounts/logout-everywhere", none, [Refused(401), Own, Own, Own]),
        row("mail/log", |f| pairs(&[("provider_id", &f.provider_a)]), SEGRETERIA_ONLY),
        // ---- provider wizard ----------------------------------------------------------------
        row("providers/mine", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("providers/save", |_| censimento("Intrusa Srl"), [Refused(401), Own, Own, Refused(403)]),
        row("requests/mine", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("requests/kind", |_| pairs(&[("kind", "STANDARD")]), [Refused(401), Own, Own, Refused(403)]),
        // Neither request is waiting for an integration: refused by state for providers.
        row("requests/integration", none, [Refused(401), Refused(409), Refused(409), Refused(403)]),
        // B has not paid: the payment gate refuses; A's submission is the wizard suite's.
        row("requests/submit", none, [Refused(401), Own, Refused(409), Refused(403)]),
        row("requests/gate", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("documents/mine", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        // ---- payments -----------------------------------------------------------------------
        row("payments/page", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("payments/mine", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("payments/annulled", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        // Each provider gets its own statement of account; the Segreteria any provider's.
        row("debts/statement", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("area/overview", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row("segreteria/statement", |f| pairs(&[("id", &f.provider_a)]), SEGRETERIA_ONLY),
        row("payments/summary", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        // A's debt (already paid) with a fresh key: nobody may pay it, A included.
        row(
            "payments/pay",
            |f| {
                pairs(&[
                    ("idempotency_key", "matrix-key-0000000001"),
                    ("debts", &f.debt_a),
                    ("payer_email", "x@example.it"),
                ])
            },
            [Refused(401), RefusedAny(&[409]), RefusedAny(NOT_YOURS), Refused(403)],
        ),
        // A's debt (already paid): nobody may issue a notice for it, A included.
        row(
            "payments/notice",
            |f| {
                pairs(&[
                    ("idempotency_key", "matrix-key-0000000002"),
                    ("debt", &f.debt_a),
                    ("payer_email", "x@example.it"),
                ])
            },
            [Refused(401), RefusedAny(&[409]), RefusedAny(NOT_YOURS), Refused(403)],
        ),
        // A cart is not a notice: nobody can cancel it as one; the Segreteria annuls debts instead.
        row(
            "payments/notice_cancel",
            |f| pairs(&[("attempt", &f.attempt_a)]),
            [Refused(401), Refused(404), Refused(404), Refused(403)],
        ),
        row(
            "payments/verify",
            |f| pairs(&[("id_session", &f.session_a), ("esito", "OK")]),
            [Refused(401), Allowed, RefusedAny(NOT_YOURS), Allowed],
        ),
        // ---- training plan (accredited providers only; neither provider is accredited yet) ----
        row("events/plan", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        row(
            "events/declare",
            |_| {
                pairs(&[
                    ("declaration_key", "matrix-declaration-0001"),
                    ("titolo", "Corso di prova"),
                    ("procedura", "RES"),
                    ("data_inizio", "2026-12-01"),
                    ("data_fine", "2026-12-02"),
                    ("sponsorizzato", "NO"),
                ])
            },
            [Refused(401), Refused(412), Refused(412), Refused(403)],
        ),
        // ---- Segreteria console -------------------------------------------------------------
        row("segreteria/overview", none, SEGRETERIA_ONLY),
        row("segreteria/requests", |_| pairs(&[("state", "INVIATA"), ("search", ""), ("page", "1")]), SEGRETERIA_ONLY),
        row("segreteria/request", |f| pairs(&[("id", &f.request_a)]), SEGRETERIA_ONLY),
        row(
            "segreteria/act",
            |f| pairs(&[("id", &f.request_a), ("action", "ACCREDITA"), ("note", "")]),
            [Refused(401), Refused(403), Refused(403), Own],
        ),
        row("segreteria/tariffs", none, SEGRETERIA_ONLY),
        row("segreteria/tariff_case", |_| pairs(&[("key", "QUOTA_ANNUALE-B-PRIMO_ANNO")]), SEGRETERIA_ONLY),
        row(
            "segreteria/tariff_new",
            |_| pairs(&[("key", "QUOTA_ANNUALE-B-PRIMO_ANNO"), ("amount", "1,00"), ("valid_from", "2099-01-01")]),
            [Refused(401), Refused(403), Refused(403), Own],
        ),
        row("segreteria/debts", |_| pairs(&[("state", ""), ("search", ""), ("page", "1")]), SEGRETERIA_ONLY),
        row("segreteria/debt", |f| pairs(&[("id", &f.debt_a)]), SEGRETERIA_ONLY),
        // A's debt is paid: not even the Segreteria may annul it.
        row(
            "segreteria/debt_annul",
            |f| pairs(&[("id", &f.debt_a), ("reason", "Prova di accesso")]),
            [Refused(401), Refused(403), Refused(403), Refused(409)],
        ),
        // A's request is a draft: the Gruppo is confirmed once it reaches the Segreteria.
        row(
            "segreteria/class",
            |f| pairs(&[("id", &f.request_a), ("class", "B")]),
            [Refused(401), Refused(403), Refused(403), Refused(409)],
        ),
        // A's debt is paid: nobody extends the due date of a paid debt.
        row(
            "segreteria/debt_extend",
            |f| pairs(&[("id", &f.debt_a), ("new_due_date", "2099-01-01"), ("due_reason", "Prova di accesso")]),
            [Refused(401), Refused(403), Refused(403), Refused(409)],
        ),
        row("segreteria/payments", |_| pairs(&[("queue", "pagati"), ("search", ""), ("page", "1")]), SEGRETERIA_ONLY),
        row("quietanze/page", none, [Refused(401), Allowed, Allowed, Refused(403)]),
        // A has no quietanza: even the Segreteria finds nothing to accept.
        row(
            "segreteria/quietanza_accept",
            |f| pairs(&[("id", "nessuna"), ("debt_id", &f.debt_a)]),
            [Refused(401), Refused(403), Refused(403), Refused(404)],
        ),
        row(
            "segreteria/quietanza_refuse",
            |f| pairs(&[("id", "nessuna"), ("debt_id", &f.debt_a), ("refuse_reason", "Prova di accesso")]),
            [Refused(401), Refused(403), Refused(403), Refused(404)],
        ),
        row(
            "segreteria/treasury_channel",
            |f| pairs(&[("provider_id", &f.provider_a), ("enabled", "1"), ("treasury_reason", "Prova di accesso")]),
            [Refused(401), Refused(403), Refused(403), Own],
        ),
        row("segreteria/payment", |f| pairs(&[("id", &f.attempt_a)]), SEGRETERIA_ONLY),
        row("segreteria/payment_verify", |f| pairs(&[("id", &f.attempt_a)]), SEGRETERIA_ONLY),
    ]
}

/// Download URLs (GET): who may fetch A's files.
fn downloads(f: &Fixture) -> Vec<(String, [Expect; 4])> {
    vec![
        (format!("/documenti/{}", f.document_a), [Refused(401), Allowed, Refused(404), Allowed]),
        (format!("/api/payments/{}/ricevuta", f.attempt_a), [Refused(401), Allowed, RefusedAny(NOT_YOURS), Allowed]),
        (format!("/dovuti/{}/ricevuta.pdf", f.debt_a), [Refused(401), Allowed, Refused(404), Allowed]),
        ("/segreteria/pagamenti.csv?dal=2000-01-01&al=2100-12-31".to_string(), SEGRETERIA_ONLY),
        ("/area/estratto-conto.csv".to_string(), [Refused(401), Allowed, Allowed, Refused(403)]),
        (format!("/segreteria/provider/{}/estratto-conto.csv", f.provider_a), SEGRETERIA_ONLY),
    ]
}

/// May this actor see provider A's data in an answer?
fn may_see_a(actor: Actor) -> bool {
    matches!(actor, Actor::ProviderA | Actor::Segreteria)
}

/// Provider A (Gruppo B) has uploaded its documents and paid its first-year fee (verified,
/// receipt stored); provider B has a draft of its own.
async fn fixture(app: &TestApp, sim: &TestSim) -> (Fixture, reqwest::Client, reqwest::Client) {
    let name_a = "Provider Alfa Formazione";
    let email_a = "alfa@provider.it";
    let a = support::provider_with_draft(app, email_a, name_a, &fiscal_code("0123456789"), "SOCIETA_SCIENTIFICA").await;
    support::upload_required_documents(app, &a).await;
    let b = support::provider_with_draft(
        app,
        "beta@provider.it",
        "Provider Beta Sanità",
        &fiscal_code("9876543210"),
        "SOCIETA_SCIENTIFICA",
    )
    .await;
    // B's payment gate is open too: what stops B from paying A's debt must be ownership.
    support::upload_required_documents(app, &b).await;

    let request_a = json_of(app.call(&a, "requests/mine", &[]).await).await.1["id"].as_str().unwrap().to_string();
    let documents = json_of(app.call(&a, "documents/mine", &[]).await).await.1;
    let document_a = documents["slots"][0]["current"]["id"].as_str().expect("an uploaded document").to_string();

    let page = json_of(app.call(&a, "payments/page", &[]).await).await.1;
    let debt_a = page["carts"][0][0]["id"].as_str().expect("a debt due").to_string();
    let key = page["idempotency_key"].as_str().unwrap().to_string();
    let answer = json_of(
        app.call(&a, "payments/pay", &[("idempotency_key", &key), ("debts", &debt_a), ("payer_email", email_a)]).await,
    )
    .await
    .1;
    let attempt_a = answer["Redirect"]["attempt_id"].as_str().expect("a redirect to MyPay").to_string();
    let session_a = sim.sessions().await.last().expect("a cart at MyPay")["id_session"].as_str().unwrap().to_string();
    sim.act(&session_a, "pay").await;
    let verified =
        json_of(app.call(&a, "payments/verify", &[("id_session", &session_a), ("esito", "OK")]).await).await.1;
    assert_eq!(verified["state"], "Pagata", "{verified}");

    let provider_a: String =
        sqlx::query_scalar("SELECT p.id FROM providers p JOIN users u ON u.id = p.owner_user_id WHERE u.email = $1")
            .bind(email_a)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    let fixture = Fixture { provider_a, request_a, document_a, attempt_a, session_a, debt_a, name_a, email_a };
    (fixture, a, b)
}

fn check_answer(
    what: &str,
    actor: Actor,
    expect: Expect,
    status: StatusCode,
    body: &str,
    f: &Fixture,
    failures: &mut Vec<String>,
) {
    let code = status.as_u16();
    let outcome_ok = match expect {
        Expect::Ok => code == 200,
        Expect::Refused(want) => code == want,
        Expect::RefusedAny(codes) => codes.contains(&code),
        Expect::Own => unreachable!("not called"),
    };
    if !outcome_ok {
        failures.push(format!(
            "{what} as {actor:?}: expected {expect:?}, got {code}: {}",
            body.chars().take(200).collect::<String>()
        ));
    }
    if !may_see_a(actor) {
        for marker in f.markers() {
            if body.contains(marker) {
                failures.push(format!("{what} as {actor:?}: the answer contains provider A's {marker:?}"));
            }
        }
    }
}

async fn access_matrix(backend: Backend) {
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[]).await else { return };
    let (f, a, b) = fixture(&app, &sim).await;
    let segreteria = app.client();
    assert!(app.login(&segreteria, support::ADMIN_EMAIL, support::ADMIN_PASSWORD).await.status().is_success());
    let anonymous = app.client();
    let client_of = |actor: Actor| match actor {
        Actor::Anonymous => &anonymous,
        Actor::ProviderA => &a,
        Actor::ProviderB => &b,
        Actor::Segreteria => &segreteria,
    };

    // Every registered server function has a row, and every row is a registered function.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let rows = matrix();
    let listed: BTreeSet<String> = rows.iter().map(|r| r.endpoint.to_string()).collect();
    assert_eq!(registered, listed, "the access matrix must list exactly the registered server functions");

    let attempts_before = sim.sessions().await.len();
    let mut failures = Vec::new();
    for row in &rows {
        for (actor, expect) in ACTORS.iter().zip(row.expect) {
            if matches!(expect, Expect::Own) {
                continue;
            }
            let args = (row.args)(&f);
            let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let response = app.call(client_of(*actor), row.endpoint, &form).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            check_answer(row.endpoint, *actor, expect, status, &body, &f, &mut failures);
        }
    }
    for (url, expects) in downloads(&f) {
        for (actor, expect) in ACTORS.iter().zip(expects) {
            let response = client_of(*actor).get(app.url(&url)).send().await.unwrap();
            let status = response.status();
            let body = String::from_utf8_lossy(&response.bytes().await.unwrap()).to_string();
            check_answer(&url, *actor, expect, status, &body, &f, &mut failures);
        }
    }
    assert!(failures.is_empty(), "access matrix violations:\n{}", failures.join("\n"));

    // A malformed call (arguments missing) is the caller's fault: 400, with nothing of A.
    for client in [&anonymous, &b] {
        let malformed = app.call(client, "payments/pay", &[("idempotency_key", "Incompleta")]).await;
        let (status, headers) = (malformed.status(), format!("{:?}", malformed.headers()));
        let body = malformed.text().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{headers} {body}");
        assert!(body.contains("bad_request") && !body.contains(f.name_a), "{body}");
        // Only the code: not the deserializer's text naming the missing field.
        assert!(!body.contains("debts") && !body.contains("missing") && !body.contains("field"), "{body}");
    }

    // Nothing the refused callers did reached MyPay or changed A's payment.
    assert_eq!(sim.sessions().await.len(), attempts_before, "a refused call sent a cart to MyPay");
    let mine = json_of(app.call(&a, "payments/mine", &[]).await).await.1;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
    assert_eq!(mine[0]["state"], "Pagata");
    app.stop().await;
    sim.stop();
}

both_backends!(access_matrix_holds, access_matrix);
