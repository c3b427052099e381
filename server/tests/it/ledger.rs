//! What a provider owes, over real HTTP on both databases (issue "What a provider owes"): the
//! dodge from the issue cannot succeed, the Segreteria's correction of the Gruppo recomputes the
//! fees with its reason, double clicks and parallel requests never make two of anything, and a
//! seeded random mix of provider, Segreteria and reconciler actions never breaks a transition
//! table nor accredits a Gruppo B provider whose first-year quota is unpaid.
//!
//! Every scenario ends with [`Ledger::check`], the invariants read back by SQL: every audit row
//! of a debt, a request and a payment attempt is an allowed transition of its domain type, the
//! rows of one machine chain, each row's state is its trail's last, and no request is
//! ACCREDITATO with an unpaid first-year quota or an unconfirmed Gruppo.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use app::db::Db;
use app::error::AppError;
use app::payments::model::{AttemptState, DebtState};
use app::requests::model::RequestState;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Row;
use support::{censimento, fiscal_code, json_of, segreteria, Backend, TestApp, TestSim};

/// The background reconciler waits an hour between passes: these tests run the passes.
const QUIET: (&str, &str) = ("ECM_RECONCILER_INTERVAL_SECONDS", "3600");
const PROVIDER_PASSWORD: &str = "Provider2026";
const QUOTA_B_CENTS: i64 = 25822;

// ---- HTTP helpers -----------------------------------------------------------------------------

/// A refusal of a server function: a 4xx whose body is an [`AppError`] with that status (so it
/// has a stable code and an Italian message). Returns the error.
fn refusal(what: &str, status: StatusCode, body: &Value) -> AppError {
    assert!(status.is_client_error(), "{what}: expected a 4xx refusal, got {status} {body}");
    let error: AppError = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{what}: {status} without an error code ({e}): {body}"));
    assert_eq!(error.status(), status.as_u16(), "{what}: the status is the error's: {body}");
    assert!(error.message_it().len() > 10, "{what}: an Italian message for {body}");
    error
}

/// Asserts a refusal with `code` (and `status`).
fn refused(what: &str, (status, body): &(StatusCode, Value), expected: StatusCode, code: &str) {
    let error = refusal(what, *status, body);
    assert_eq!((*status, error.code()), (expected, code), "{what}: {body}");
}

fn ok(what: &str, (status, body): &(StatusCode, Value)) {
    assert_eq!(*status, StatusCode::OK, "{what}: {body}");
}

async fn save(app: &TestApp, client: &reqwest::Client, data: &BTreeMap<String, String>) -> (StatusCode, Value) {
    let form = support::as_form(data);
    json_of(
        client
            .post(app.url("/api/providers/save"))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A registered provider account with a saved censimento, no request yet.
async fn provider_account(app: &TestApp, email: &str, data: &BTreeMap<String, String>) -> reqwest::Client {
    let client = app.client();
    let registered = app.register(&client, email, PROVIDER_PASSWORD).await;
    assert!(registered.status().is_success(), "register {email}: {}", registered.status());
    ok("censimento", &save(app, &client, data).await);
    client
}

/// A provider with censimento, a provvisorio draft and every required document.
async fn provider_ready(app: &TestApp, email: &str, data: &BTreeMap<String, String>) -> reqwest::Client {
    let client = provider_account(app, email, data).await;
    ok("requests/kind", &json_of(app.call(&client, "requests/kind", &[("kind", "PROVVISORIO")]).await).await);
    support::upload_required_documents(app, &client).await;
    client
}

async fn act(
    app: &TestApp,
    seg: &reqwest::Client,
    id: &str,
    action: &str,
    note: &str,
    sections: &[&str],
) -> (StatusCode, Value) {
    let mut form = vec![("id", id), ("action", action), ("note", note)];
    form.extend(sections.iter().map(|s| ("sections[]", *s)));
    json_of(app.call(seg, "segreteria/act", &form).await).await
}

async fn set_class(app: &TestApp, seg: &reqwest::Client, id: &str, class: &str, reason: &str) -> (StatusCode, Value) {
    json_of(app.call(seg, "segreteria/class", &[("id", id), ("class", class), ("class_reason", reason)]).await).await
}

async fn my_request(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, request) = json_of(app.call(client, "requests/mine", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{request}");
    request
}

async fn my_provider(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, provider) = json_of(app.call(client, "providers/mine", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{provider}");
    provider
}

fn pdf(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% documento di prova {tag}\n%%EOF").into_bytes()
}

/// `POST /documenti/carica` as the hydrated page sends it. Owned arguments: it runs in tasks.
async fn upload(client: reqwest::Client, url: String, type_code: String, content: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("type_code", type_code.clone())
        .part("file", reqwest::multipart::Part::bytes(content).file_name(format!("{type_code}.pdf")));
    json_of(client.post(url).header("Accept", "application/json").multipart(form).send().await.unwrap()).await
}

/// An upload refused: a 4xx with a known code and its Italian message.
fn upload_refusal(what: &str, status: StatusCode, body: &Value) -> String {
    assert!(status.is_client_error(), "{what}: expected a 4xx refusal, got {status} {body}");
    assert_eq!(body["ok"], false, "{what}: {body}");
    let code = body["code"].as_str().unwrap_or_else(|| panic!("{what}: no code in {body}")).to_string();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.len() > 10, "{what}: an Italian message for {body}");
    code
}

async fn required_types(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let (status, documents) = json_of(app.call(client, "documents/mine", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{documents}");
    documents["slots"]
        .as_array()
        .expect("the request exists")
        .iter()
        .filter(|s| s["doc_type"]["required"] == true)
        .map(|s| s["doc_type"]["code"].as_str().unwrap().to_string())
        .collect()
}

/// Loads the cart page and pays its first cart; the simulator does `outcome` (`pay`,
/// `not-paid`, `abort`, …) and the return page verifies. Returns the attempt as verified.
async fn pay_first_cart(app: &TestApp, sim: &TestSim, client: &reqwest::Client, outcome: &str) -> Value {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids: Vec<&str> =
        page["carts"][0].as_array().expect("a cart to pay").iter().map(|d| d["id"].as_str().unwrap()).collect();
    let ids = ids.join(",");
    let key = page["idempotency_key"].as_str().unwrap();
    let paid = json_of(
        app.call(
            client,
            "payments/pay",
            &[("idempotency_key", key), ("debts", &ids), ("payer_email", "tesoreria@example.it")],
        )
        .await,
    )
    .await;
    ok("payments/pay", &paid);
    let attempt_id = paid.1["Redirect"]["attempt_id"].as_str().expect("a redirect to MyPay").to_string();
    let id_session: String = sqlx::query_scalar("SELECT id_session FROM payment_attempts WHERE id = $1")
        .bind(&attempt_id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    sim.act(&id_session, outcome).await;
    let esito = if outcome == "pay" { "OK" } else { "ERROR" };
    let verified =
        json_of(app.call(client, "payments/verify", &[("id_session", id_session.as_str()), ("esito", esito)]).await)
            .await;
    ok("payments/verify", &verified);
    verified.1
}

// ---- SQL helpers ------------------------------------------------------------------------------

/// The first-year quotas of a request, oldest first: (id, state, annulment reason).
async fn quotas(db: &Db, request_id: &str) -> Vec<(String, String, Option<String>)> {
    sqlx::query("SELECT id, state, annulled_reason FROM debts WHERE request_id = $1 AND fee_kind = 'QUOTA_ANNUALE' ORDER BY created_at, id")
        .bind(request_id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("state"), r.get("annulled_reason")))
        .collect()
}

/// The events of a debt, oldest first: (kind, from, to, reason).
async fn debt_events(db: &Db, debt_id: &str) -> Vec<(String, Option<String>, Option<String>, Option<String>)> {
    sqlx::query("SELECT kind, from_value, to_value, reason FROM debt_events WHERE debt_id = $1 ORDER BY at, id")
        .bind(debt_id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("kind"), r.get("from_value"), r.get("to_value"), r.get("reason")))
        .collect()
}

async fn count(db: &Db, sql: &'static str, id: &str) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(db.pool()).await.unwrap()
}

async fn request_state(db: &Db, request_id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM accreditation_requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Every row of the provider as stored, and how many data changes it has recorded.
async fn provider_row(db: &Db, provider_id: &str) -> (Vec<String>, i64) {
    let row = sqlx::query(
        "SELECT denominazione, codice_fiscale, forma_giuridica, provider_class, via, COALESCE(class_confirmed_at, '-') AS confirmed
         FROM providers WHERE id = $1",
    )
    .bind(provider_id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    let values = ["denominazione", "codice_fiscale", "forma_giuridica", "provider_class", "via", "confirmed"]
        .iter()
        .map(|c| row.get(*c))
        .collect();
    (values, count(db, "SELECT COUNT(*) FROM provider_changes WHERE provider_id = $1", provider_id).await)
}

// ---- the invariants ---------------------------------------------------------------------------

/// One audit row of a machine: when, from which state (none for the first), to which.
struct Link {
    at: String,
    from: Option<String>,
    to: String,
}

/// Orders one row's audit trail into a chain and checks every link with `allowed`: each link
/// starts where the previous one ended (`start` before the first). Links of the same
/// millisecond are taken in the order that chains. Returns the state the trail ends in.
fn walk(
    what: &str,
    start: Option<String>,
    mut links: Vec<Link>,
    allowed: impl Fn(Option<&str>, &str) -> bool,
) -> Result<Option<String>, String> {
    links.sort_by(|a, b| a.at.cmp(&b.at));
    let mut current = start;
    while !links.is_empty() {
        let at = links[0].at.clone();
        let same_time = links.iter().take_while(|l| l.at == at).count();
        let Some(i) = (0..same_time).find(|&i| links[i].from == current) else {
            let found: Vec<String> = links[..same_time].iter().map(|l| format!("{:?} -> {}", l.from, l.to)).collect();
            return Err(format!("{what}: at {at} the trail has {found:?}, but the state before was {current:?}"));
        };
        let link = links.remove(i);
        if !allowed(link.from.as_deref(), &link.to) {
            return Err(format!("{what}: {:?} -> {} at {} is not an allowed transition", link.from, link.to, link.at));
        }
        current = Some(link.to);
    }
    Ok(current)
}

fn debt_move(from: Option<&str>, to: &str) -> bool {
    match (from.and_then(DebtState::from_db), DebtState::from_db(to)) {
        (Some(from), Some(to)) => from.can_move_to(to),
        _ => false,
    }
}

fn request_move(from: Option<&str>, to: &str) -> bool {
    match (from, RequestState::from_db(to)) {
        (None, Some(to)) => to == RequestState::Bozza,
        (Some(from), Some(to)) => RequestState::from_db(from).is_some_and(|from| from.can_move_to(to)),
        _ => false,
    }
}

/// The attempt machine, plus the Segreteria's re-check of an anomaly (`transition_allowed` in
/// payments/server.rs): it may resolve it, or record that it stays one (ANOMALIA → ANOMALIA).
fn attempt_move(from: Option<&str>, to: &str) -> bool {
    use AttemptState::*;
    match (from.map(AttemptState::from_db), AttemptState::from_db(to)) {
        (None, Some(to)) => to == Creata,
        (Some(Some(from)), Some(to)) => {
            from.can_move_to(to)
                || (from == Anomalia && matches!(to, Pagata | NonPagata | Scaduta | Annullata | Anomalia))
        }
        _ => false,
    }
}

/// The audit trail of one state machine: every row of `rows` (`id, state`) has links in
/// `links` (`owner, at, from_state, to_state`) that chain from `start` to its state through
/// moves `allowed` allows, and no link belongs to a row that does not exist.
struct Trail {
    noun: &'static str,
    rows: &'static str,
    links: &'static str,
    start: Option<&'static str>,
    allowed: fn(Option<&str>, &str) -> bool,
}

impl Trail {
    async fn violations(&self, pool: &sqlx::AnyPool) -> Vec<String> {
        let noun = self.noun;
        let mut trails: BTreeMap<String, Vec<Link>> = BTreeMap::new();
        for r in sqlx::query(self.links).fetch_all(pool).await.unwrap() {
            let link = Link { at: r.get("at"), from: r.get("from_state"), to: r.get("to_state") };
            trails.entry(r.get("owner")).or_default().push(link);
        }
        let mut out = Vec::new();
        for row in sqlx::query(self.rows).fetch_all(pool).await.unwrap() {
            let (id, state): (String, String) = (row.get("id"), row.get("state"));
            let trail = trails.remove(&id).unwrap_or_default();
            match walk(&format!("{noun} {id}"), self.start.map(str::to_string), trail, self.allowed) {
                Ok(last) if last.as_deref() == Some(state.as_str()) => {}
                Ok(last) => out.push(format!("{noun} {id} is {state} but its trail ends in {last:?}")),
                Err(e) => out.push(e),
            }
        }
        out.extend(trails.keys().map(|id| format!("a trail for a {noun} that does not exist: {id}")));
        out
    }
}

/// The ledger's invariants, checked by SQL after every step of a scenario.
#[derive(Default)]
struct Ledger {
    /// Requests seen ACCREDITATO by an earlier check (checked in full when they became so).
    accredited: BTreeSet<String>,
}

impl Ledger {
    async fn violations(&mut self, db: &Db) -> Vec<String> {
        let pool = db.pool();
        let mut out = Vec::new();

        // Debts: one CREATO each; the STATO rows chain from DA_PAGARE to the debt's state.
        for r in sqlx::query(
            "SELECT d.id, COUNT(e.debt_id) AS n FROM debts d
             LEFT JOIN debt_events e ON e.debt_id = d.id AND e.kind = 'CREATO'
             GROUP BY d.id HAVING COUNT(e.debt_id) <> 1",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        {
            out.push(format!(
                "debt {}: {} CREATO events instead of one",
                r.get::<String, _>("id"),
                r.get::<i64, _>("n")
            ));
        }
        let debts = Trail {
            noun: "debt",
            rows: "SELECT id, state FROM debts",
            links: "SELECT debt_id AS owner, at, from_value AS from_state, to_value AS to_state FROM debt_events WHERE kind = 'STATO'",
            start: Some("DA_PAGARE"),
            allowed: debt_move,
        };
        // Requests: the history chains from creation (→ BOZZA) to the request's state.
        let requests = Trail {
            noun: "request",
            rows: "SELECT id, state FROM accreditation_requests",
            links: "SELECT request_id AS owner, at, from_state, to_state FROM request_history",
            start: None,
            allowed: request_move,
        };
        // Payment attempts: the events chain from creation (→ CREATA) to the attempt's state.
        let attempts = Trail {
            noun: "attempt",
            rows: "SELECT id, state FROM payment_attempts",
            links: "SELECT attempt_id AS owner, at, from_state, to_state FROM payment_events",
            start: None,
            allowed: attempt_move,
        };
        for trail in [debts, requests, attempts] {
            out.extend(trail.violations(pool).await);
        }

        // One live request per provider, one current document per slot.
        for r in sqlx::query(
            "SELECT provider_id, COUNT(*) AS n FROM accreditation_requests WHERE state NOT IN ('ACCREDITATO', 'RIGETTATO')
             GROUP BY provider_id HAVING COUNT(*) > 1",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        {
            out.push(format!("provider {} has {} live requests", r.get::<String, _>("provider_id"), r.get::<i64, _>("n")));
        }
        for r in sqlx::query(
            "SELECT request_id, type_code, COUNT(*) AS n FROM documents WHERE current = 1 GROUP BY request_id, type_code HAVING COUNT(*) > 1",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        {
            out.push(format!("request {} has several current {}", r.get::<String, _>("request_id"), r.get::<String, _>("type_code")));
        }

        // Accredited requests: never with a first-year quota still to pay; when it became
        // ACCREDITATO the Gruppo was confirmed and a Gruppo B provider accredited for the first
        // time had paid its quota; the Gruppo stays confirmed while it is the provider's latest
        // request.
        let accredited = sqlx::query(
            "SELECT r.id, p.provider_class, p.class_confirmed_at,
                (SELECT COUNT(*) FROM debts d WHERE d.request_id = r.id AND d.fee_kind = 'QUOTA_ANNUALE'
                    AND d.state NOT IN ('ANNULLATO', 'PAGATO')) AS unpaid,
                (SELECT COUNT(*) FROM debts d WHERE d.request_id = r.id AND d.fee_kind = 'QUOTA_ANNUALE' AND d.state = 'PAGATO') AS paid,
                (SELECT COUNT(*) FROM accreditation_requests n WHERE n.provider_id = r.provider_id AND n.id <> r.id
                    AND n.created_at >= r.created_at) AS newer,
                (SELECT COUNT(*) FROM request_history h JOIN accreditation_requests o ON o.id = h.request_id
                    WHERE o.provider_id = r.provider_id AND o.id <> r.id AND h.to_state = 'ACCREDITATO') AS accredited_before
             FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id WHERE r.state = 'ACCREDITATO'",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for r in accredited {
            let id: String = r.get("id");
            let class: String = r.get("provider_class");
            let confirmed: Option<String> = r.get("class_confirmed_at");
            let (unpaid, paid, newer): (i64, i64, i64) = (r.get("unpaid"), r.get("paid"), r.get("newer"));
            // The first-year quota is owed once: a provider accredited before (a standard request
            // after its provisional one) owes the later years' quotas instead (debts::service).
            let first_accreditation = r.get::<i64, _>("accredited_before") == 0;
            if unpaid > 0 {
                out.push(format!("request {id} is ACCREDITATO with {unpaid} first-year quota(s) not paid"));
            }
            if newer == 0 && confirmed.is_none() {
                out.push(format!("request {id} is ACCREDITATO with the Gruppo unconfirmed"));
            }
            if self.accredited.insert(id.clone()) && class == "B" && paid == 0 && first_accreditation {
                out.push(format!("request {id} became ACCREDITATO as Gruppo B without a paid first-year quota"));
            }
        }
        out
    }

    /// Panics with every violation found.
    async fn check(&mut self, db: &Db, when: &str) {
        let found = self.violations(db).await;
        assert!(found.is_empty(), "after {when}:\n{}", found.join("\n"));
    }
}

fn elapsed(name: &str, backend: Backend, started: Instant) {
    eprintln!("{name} on {backend:?}: {:.1} s", started.elapsed().as_secs_f64());
}

// ---- 1. the dodge -----------------------------------------------------------------------------

async fn the_dodge(backend: Backend) {
    let started = Instant::now();
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let mut ledger = Ledger::default();
    let (name_1, cf_1) = ("Impresa Formazione Srl", fiscal_code("0200000001"));
    let (name_2, cf_2) = ("Nuova Impresa Formativa Spa", fiscal_code("0200000002"));
    let declared_b = censimento(name_1, &cf_1, "IMPRESA");
    let owner = provider_ready(&app, "dodge@impresa.it", &declared_b).await;
    let request = my_request(&app, &owner).await;
    let request_id = request["id"].as_str().unwrap().to_string();
    let provider_id = my_provider(&app, &owner).await["id"].as_str().unwrap().to_string();

    // Gruppo B, draft: the first-year quota of € 258,22 is due.
    let first = quotas(db, &request_id).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].1, "DA_PAGARE");
    let amount: i64 = sqlx::query_scalar("SELECT amount_cents FROM debts WHERE id = $1")
        .bind(&first[0].0)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(amount, QUOTA_B_CENTS);
    ledger.check(db, "the draft").await;

    // The draft switches to AZIENDA_SANITARIA (Gruppo A): the quota is annulled, with a reason
    // naming the recomputation, through the debt machine's writer; the provider sees it.
    let mut declared_a = declared_b.clone();
    declared_a.insert("forma_giuridica".into(), "AZIENDA_SANITARIA".into());
    ok("switch to Gruppo A in the draft", &save(&app, &owner, &declared_a).await);
    assert_eq!(my_provider(&app, &owner).await["provider_class"], "A");
    let after = quotas(db, &request_id).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].1, "ANNULLATO");
    let reason = after[0].2.clone().expect("an annulment reason");
    assert!(reason.contains("non dovuta") && reason.contains("forma giuridica cambiata nella bozza"), "{reason}");
    let events = debt_events(db, &first[0].0).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, "CREATO");
    assert_eq!(
        (events[1].0.as_str(), events[1].1.as_deref(), events[1].2.as_deref(), events[1].3.as_deref()),
        ("STATO", Some("DA_PAGARE"), Some("ANNULLATO"), Some(reason.as_str()))
    );
    let (status, annulled) = json_of(app.call(&owner, "payments/annulled", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{annulled}");
    assert_eq!(annulled.as_array().unwrap().len(), 1, "{annulled}");
    assert_eq!(annulled[0]["id"], first[0].0.as_str());
    assert_eq!(annulled[0]["reason"], reason.as_str());
    ledger.check(db, "the switch to Gruppo A").await;

    // Sent as Gruppo A (nothing due): INVIATA, and the history keeps what was declared.
    ok("requests/submit", &json_of(app.call(&owner, "requests/submit", &[]).await).await);
    let sent = my_request(&app, &owner).await;
    assert_eq!(sent["state"], "Inviata");
    let submission = sent["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(submission["to_state"], "Inviata");
    let declared = submission["declared"].as_str().expect("what was declared");
    assert!(declared.contains("Gruppo A") && declared.contains(&cf_1) && declared.contains(name_1), "{declared}");
    assert!(declared.contains("nessun contributo dovuto"), "{declared}");
    ledger.check(db, "the submission").await;

    // The Segreteria asks for documents only: the censimento stays frozen.
    let seg = segreteria(&app).await;
    ok("prendi_in_carico", &act(&app, &seg, &request_id, "prendi_in_carico", "", &[]).await);
    ok(
        "integration DOCUMENTI",
        &act(&app, &seg, &request_id, "richiedi_integrazione", "Manca il piano della qualità firmato", &["DOCUMENTI"])
            .await,
    );
    let frozen = provider_row(db, &provider_id).await;
    let mut back_to_b = declared_a.clone();
    back_to_b.insert("forma_giuridica".into(), "IMPRESA".into());
    back_to_b.insert("codice_fiscale".into(), cf_2.clone());
    back_to_b.insert("denominazione".into(), name_2.into());
    // No censimento section is open: the whole form is refused.
    refused(
        "identity change, DOCUMENTI reopened",
        &save(&app, &owner, &back_to_b).await,
        StatusCode::CONFLICT,
        "wrong_state",
    );
    assert_eq!(provider_row(db, &provider_id).await, frozen, "nothing changed");
    let mine = my_provider(&app, &owner).await;
    assert_eq!(
        (mine["editable"].clone(), mine["open_sections"].clone()),
        (Value::Bool(false), serde_json::json!(["Documenti"]))
    );
    // The reopened documents can change; the answer goes through (Gruppo A, nothing due).
    let types = required_types(&app, &owner).await;
    let (status, body) =
        upload(owner.clone(), app.url("/documenti/carica"), types[1].clone(), pdf("piano firmato")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    ok("integration answer (documents)", &json_of(app.call(&owner, "requests/integration", &[]).await).await);
    assert_eq!(request_state(db, &request_id).await, "IN_ISTRUTTORIA");
    ledger.check(db, "the documents integration").await;

    // An integration reopening the seat: a changed field outside it is refused field by field
    // (422, rule `locked`) and nothing is saved, not even the open field.
    ok(
        "integration SEDE",
        &act(&app, &seg, &request_id, "richiedi_integrazione", "Indirizzo della sede da correggere", &["SEDE"]).await,
    );
    let mut sede_and_identity = back_to_b.clone();
    sede_and_identity.insert("via".into(), "Via Garibaldi".into());
    let answer = save(&app, &owner, &sede_and_identity).await;
    refused("identity change, SEDE reopened", &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form");
    let mut locked: Vec<(String, String)> = answer.1["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().into(), e["rule"].as_str().unwrap().into()))
        .collect();
    locked.sort();
    let expected: Vec<(String, String)> = ["codice_fiscale", "denominazione", "forma_giuridica"]
        .iter()
        .map(|f| (f.to_string(), "locked".to_string()))
        .collect();
    assert_eq!(locked, expected, "{}", answer.1);
    assert_eq!(provider_row(db, &provider_id).await, frozen, "nothing changed");
    let mut sede_only = declared_a.clone();
    sede_only.insert("via".into(), "Via Garibaldi".into());
    ok("seat change, SEDE reopened", &save(&app, &owner, &sede_only).await);
    ok("integration answer (seat)", &json_of(app.call(&owner, "requests/integration", &[]).await).await);
    ledger.check(db, "the seat integration").await;

    // An integration reopening the identity: now the switch back to IMPRESA with another codice
    // fiscale and name is allowed (only the identity: the seat is closed again).
    ok(
        "integration IDENTITA",
        &act(&app, &seg, &request_id, "richiedi_integrazione", "Verificare la forma giuridica", &["IDENTITA"]).await,
    );
    let mut identity_and_sede = back_to_b.clone();
    identity_and_sede.insert("via".into(), "Via Mazzini".into());
    let answer = save(&app, &owner, &identity_and_sede).await;
    refused("seat change, IDENTITA reopened", &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form");
    assert_eq!(answer.1["detail"], serde_json::json!([{ "field": "via", "rule": "locked" }]));
    let mut switched = back_to_b.clone();
    switched.insert("via".into(), "Via Garibaldi".into());
    ok("switch back to IMPRESA, IDENTITA reopened", &save(&app, &owner, &switched).await);
    let mine = my_provider(&app, &owner).await;
    assert_eq!(
        (mine["provider_class"].as_str(), mine["form"]["codice_fiscale"].as_str()),
        (Some("B"), Some(cf_2.as_str()))
    );

    // Every change is in the Segreteria's request detail: field, old → new, who.
    let (status, detail) = json_of(app.call(&seg, "segreteria/request", &[("id", request_id.as_str())]).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let changes = detail["changes"].as_array().unwrap();
    for (field, old, new) in [
        ("forma_giuridica", "IMPRESA", "AZIENDA_SANITARIA"),
        ("provider_class", "B", "A"),
        ("via", "Via Roma", "Via Garibaldi"),
        ("denominazione", name_1, name_2),
        ("codice_fiscale", cf_1.as_str(), cf_2.as_str()),
        ("forma_giuridica", "AZIENDA_SANITARIA", "IMPRESA"),
        ("provider_class", "A", "B"),
    ] {
        let found = changes.iter().find(|c| c["field"] == field && c["old_value"] == old && c["new_value"] == new);
        let change = found.unwrap_or_else(|| panic!("no change {field}: {old} → {new} in {changes:?}"));
        assert_eq!(
            (change["actor"].as_str(), change["actor_role"].as_str()),
            (Some("Anna Bianchi"), Some("PROVIDER")),
            "{change}"
        );
        assert!(change["at"].as_str().is_some_and(|at| at.len() == 24), "{change}");
    }
    let integration_changes: Vec<&Value> =
        changes.iter().filter(|c| c["new_value"] == name_2 || c["new_value"] == cf_2.as_str()).collect();
    assert!(
        integration_changes.iter().all(|c| c["reason"] == "Integrazione richiesta dalla Segreteria"),
        "{integration_changes:?}"
    );
    ledger.check(db, "the identity change").await;

    // While the integration is open, the Segreteria cannot accredit nor confirm the Gruppo.
    refused(
        "accredita during the integration",
        &act(&app, &seg, &request_id, "accredita", "ok", &[]).await,
        StatusCode::CONFLICT,
        "wrong_state",
    );
    refused(
        "class during the integration",
        &set_class(&app, &seg, &request_id, "B", "").await,
        StatusCode::CONFLICT,
        "wrong_state",
    );

    // The answer recomputes the fees: Gruppo B owes the quota again, and it is unpaid.
    refused(
        "integration answer, quota unpaid",
        &json_of(app.call(&owner, "requests/integration", &[]).await).await,
        StatusCode::CONFLICT,
        "debts_not_paid",
    );
    let now = quotas(db, &request_id).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!((now[0].1.as_str(), now[1].1.as_str()), ("ANNULLATO", "DA_PAGARE"));
    let created = debt_events(db, &now[1].0).await;
    assert!(
        created[0].3.as_deref().is_some_and(|r| r.contains("dovuta") && r.contains("invio dell'integrazione")),
        "{created:?}"
    );
    assert_eq!(request_state(db, &request_id).await, "INTEGRAZIONE_RICHIESTA");
    ledger.check(db, "the refused answer").await;

    // A payment that fails changes nothing; once paid and verified, the answer goes through.
    let attempt = pay_first_cart(&app, &sim, &owner, "not-paid").await;
    assert_eq!(attempt["state"], "NonPagata", "{attempt}");
    refused(
        "integration answer after a failed payment",
        &json_of(app.call(&owner, "requests/integration", &[]).await).await,
        StatusCode::CONFLICT,
        "debts_not_paid",
    );
    ledger.check(db, "the failed payment").await;
    let attempt = pay_first_cart(&app, &sim, &owner, "pay").await;
    assert_eq!(attempt["state"], "Pagata", "{attempt}");
    assert_eq!(quotas(db, &request_id).await[1].1, "PAGATO");
    ok("integration answer, quota paid", &json_of(app.call(&owner, "requests/integration", &[]).await).await);
    let answered = my_request(&app, &owner).await;
    assert_eq!(answered["state"], "InIstruttoria");
    let declared = answered["history"].as_array().unwrap().last().unwrap()["declared"].as_str().unwrap().to_string();
    assert!(declared.contains("Gruppo B") && declared.contains(&cf_2) && declared.contains("258,22"), "{declared}");
    ledger.check(db, "the answer").await;

    // The Gruppo changed with the legal form: its confirmation was taken back.
    refused(
        "accredita, Gruppo unconfirmed",
        &act(&app, &seg, &request_id, "accredita", "Requisiti verificati", &[]).await,
        StatusCode::PRECONDITION_FAILED,
        "class_not_confirmed",
    );
    ok("confirm Gruppo B", &set_class(&app, &seg, &request_id, "B", "").await);
    ok("accredita", &act(&app, &seg, &request_id, "accredita", "Requisiti verificati", &[]).await);
    assert_eq!(request_state(db, &request_id).await, "ACCREDITATO");
    ledger.check(db, "the accreditation").await;
    assert!(ledger.accredited.contains(&request_id));

    // The check itself can fail: a debt and a request moved behind the ledger's back (no
    // event, no history row) are both reported.
    // (The live quota, annulled: a second live one would break a unique index, not the ledger.)
    let (debt_id, debt_state, _) = quotas(db, &request_id).await.pop().unwrap();
    assert_ne!(debt_state, "ANNULLATO");
    let moved = "ANNULLATO";
    sqlx::query("UPDATE debts SET state = $1 WHERE id = $2")
        .bind(moved)
        .bind(&debt_id)
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE accreditation_requests SET state = 'RIGETTATO' WHERE id = $1")
        .bind(&request_id)
        .execute(db.pool())
        .await
        .unwrap();
    let found = ledger.violations(db).await;
    for expected in [
        format!("debt {debt_id} is {moved} but its trail ends in"),
        format!("request {request_id} is RIGETTATO but its trail ends in"),
    ] {
        assert!(found.iter().any(|f| f.starts_with(&expected)), "{expected:?} not in {found:?}");
    }

    sim.stop();
    app.stop().await;
    elapsed("the dodge", backend, started);
}
both_backends!(the_dodge_from_the_issue_cannot_succeed, the_dodge);

// ---- 2. the Segreteria corrects the Gruppo ------------------------------------------------------

async fn class_correction(backend: Backend) {
    let started = Instant::now();
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let mut ledger = Ledger::default();
    let owner = provider_ready(
        &app,
        "ulss@ente.it",
        &censimento("Ente Privato di Formazione", &fiscal_code("0300000001"), "AZIENDA_SANITARIA"),
    )
    .await;
    let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
    let provider_id = my_provider(&app, &owner).await["id"].as_str().unwrap().to_string();
    assert!(quotas(db, &request_id).await.is_empty(), "Gruppo A owes nothing the first year");
    ok("requests/submit", &json_of(app.call(&owner, "requests/submit", &[]).await).await);
    let seg = segreteria(&app).await;

    // A correction needs a reason; without one nothing changes.
    let before = provider_row(db, &provider_id).await;
    let answer = set_class(&app, &seg, &request_id, "B", "   ").await;
    refused("correction without reason", &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(answer.1["detail"], serde_json::json!({ "field": "class_reason", "rule": "required" }));
    assert_eq!(provider_row(db, &provider_id).await, before);
    assert!(quotas(db, &request_id).await.is_empty());

    // A → B with the reason: the quota is created, the reason on the provider's data and the fee.
    let why_b = "Ente privato: non è un'azienda sanitaria";
    ok("correction A → B", &set_class(&app, &seg, &request_id, "B", why_b).await);
    let now = quotas(db, &request_id).await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].1, "DA_PAGARE");
    let created = debt_events(db, &now[0].0).await;
    assert_eq!(created[0].0, "CREATO");
    let reason = created[0].3.clone().unwrap();
    assert!(
        reason.contains("Gruppo corretto dalla Segreteria (Gruppo A → Gruppo B)") && reason.contains(why_b),
        "{reason}"
    );
    let (_, detail) = json_of(app.call(&seg, "segreteria/request", &[("id", request_id.as_str())]).await).await;
    let correction = detail["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "provider_class" && c["old_value"] == "A" && c["new_value"] == "B")
        .unwrap_or_else(|| panic!("no class change in {}", detail["changes"]))
        .clone();
    assert_eq!(correction["actor_role"], "SEGRETERIA");
    assert!(correction["reason"].as_str().unwrap().contains(why_b), "{correction}");
    assert_eq!(detail["provider"]["class_confirmed"], true);
    assert_eq!(detail["fees"].as_array().unwrap().len(), 1);
    ledger.check(db, "the correction to B").await;

    // Confirmed as B, the quota unpaid: the accreditation is refused.
    ok("prendi_in_carico", &act(&app, &seg, &request_id, "prendi_in_carico", "", &[]).await);
    refused(
        "accredita with the quota unpaid",
        &act(&app, &seg, &request_id, "accredita", "Requisiti verificati", &[]).await,
        StatusCode::CONFLICT,
        "debts_not_paid",
    );

    // B → A: the unpaid quota is annulled with the reason.
    let why_a = "Errore di classificazione: è un'azienda ULSS";
    ok("correction B → A", &set_class(&app, &seg, &request_id, "A", why_a).await);
    let now = quotas(db, &request_id).await;
    assert_eq!(now[0].1, "ANNULLATO");
    let annulled = now[0].2.clone().unwrap();
    assert!(
        annulled.contains("Gruppo corretto dalla Segreteria (Gruppo B → Gruppo A)") && annulled.contains(why_a),
        "{annulled}"
    );
    let events = debt_events(db, &now[0].0).await;
    assert_eq!(events.last().unwrap().2.as_deref(), Some("ANNULLATO"));
    assert_eq!(events.last().unwrap().3.as_deref(), Some(annulled.as_str()));
    ledger.check(db, "the correction to A").await;

    // Back to B: a new quota (the annulled one stays annulled). While it is being paid, another
    // correction is refused and changes nothing.
    ok("correction A → B again", &set_class(&app, &seg, &request_id, "B", why_b).await);
    let now = quotas(db, &request_id).await;
    assert_eq!(now.iter().map(|q| q.1.as_str()).collect::<Vec<_>>(), vec!["ANNULLATO", "DA_PAGARE"]);
    let (status, page) = json_of(app.call(&owner, "payments/page", &[]).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let key = page["idempotency_key"].as_str().unwrap();
    let quota_id = now[1].0.as_str();
    ok(
        "payments/pay",
        &json_of(
            app.call(
                &owner,
                "payments/pay",
                &[("idempotency_key", key), ("debts", quota_id), ("payer_email", "t@example.it")],
            )
            .await,
        )
        .await,
    );
    let during = provider_row(db, &provider_id).await;
    refused(
        "correction while paying",
        &set_class(&app, &seg, &request_id, "A", why_a).await,
        StatusCode::CONFLICT,
        "payment_in_progress",
    );
    assert_eq!(provider_row(db, &provider_id).await, during);
    assert_eq!(quotas(db, &request_id).await[1].1, "IN_CORSO");
    let id_session: String = sqlx::query_scalar("SELECT id_session FROM payment_attempts WHERE provider_id = $1")
        .bind(&provider_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    sim.act(&id_session, "pay").await;
    ok(
        "payments/verify",
        &json_of(app.call(&owner, "payments/verify", &[("id_session", id_session.as_str()), ("esito", "OK")]).await)
            .await,
    );
    assert_eq!(quotas(db, &request_id).await[1].1, "PAGATO");

    // A confirmation of the Gruppo as it is needs no reason; then the accreditation goes through.
    ok("confirm B", &set_class(&app, &seg, &request_id, "B", "").await);
    ok("accredita", &act(&app, &seg, &request_id, "accredita", "Requisiti verificati", &[]).await);
    assert_eq!(request_state(db, &request_id).await, "ACCREDITATO");
    ledger.check(db, "the accreditation").await;

    sim.stop();
    app.stop().await;
    elapsed("the Gruppo correction", backend, started);
}
both_backends!(the_segreterias_correction_of_the_gruppo_recomputes_the_fees_with_the_reason, class_correction);

// ---- 2b. an accredited provider keeps its identity -------------------------------------------

async fn accredited_identity(backend: Backend) {
    let started = Instant::now();
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &[QUIET]).await else { return };
    let db = &app.state.db;
    let mut ledger = Ledger::default();
    let cf = fiscal_code("1100000001");
    let declared = censimento("Impresa Accreditata Srl", &cf, "IMPRESA");
    let owner = provider_ready(&app, "accreditata@impresa.it", &declared).await;
    let provider_id = provider_id_of(db, &cf).await;
    let first = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
    assert_eq!(pay_first_cart(&app, &sim, &owner, "pay").await["state"], "Pagata");
    ok("requests/submit", &json_of(app.call(&owner, "requests/submit", &[]).await).await);
    let seg = segreteria(&app).await;
    ok("prendi_in_carico", &act(&app, &seg, &first, "prendi_in_carico", "", &[]).await);
    ok("confirm B", &set_class(&app, &seg, &first, "B", "").await);
    ok("accredita", &act(&app, &seg, &first, "accredita", "Requisiti verificati", &[]).await);

    // The standard request starts as a new draft: the identity (and so the Gruppo) of an
    // accredited provider stays as the Segreteria accredited it; the other sections are open.
    ok("requests/kind STANDARD", &json_of(app.call(&owner, "requests/kind", &[("kind", "STANDARD")]).await).await);
    // The first-year quota was paid once: the standard request owes no second one.
    let standard = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
    assert_ne!(standard, first);
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM debts WHERE request_id = $1", &standard).await,
        0,
        "no first-year quota for an accredited provider"
    );
    let mine = my_provider(&app, &owner).await;
    let open = mine["open_sections"].as_array().unwrap();
    assert!(!open.contains(&Value::from("Identita")) && open.contains(&Value::from("Sede")), "{mine}");
    assert_eq!(mine["identity_kept"], true);
    let page = owner.get(app.url("/area/censimento")).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Il provider è accreditato") && !page.contains("Integrazione richiesta dalla Segreteria ECM"),
        "{page}"
    );
    let frozen = provider_row(db, &provider_id).await;
    let mut as_hospital = declared.clone();
    as_hospital.insert("forma_giuridica".into(), "AZIENDA_SANITARIA".into());
    let answer = save(&app, &owner, &as_hospital).await;
    refused("Gruppo A by a new draft", &answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_form");
    assert_eq!(answer.1["detail"], serde_json::json!([{ "field": "forma_giuridica", "rule": "locked" }]));
    assert_eq!(provider_row(db, &provider_id).await, frozen, "still Gruppo B, still confirmed");
    let mut moved = declared.clone();
    moved.insert("via".into(), "Via Nuova".into());
    ok("seat change in the new draft", &save(&app, &owner, &moved).await);

    // Its events keep the Gruppo B contribution (FAD, sponsored: € 1.500,00).
    let start = app::domain::dates::date_text(app::domain::dates::today() + time::Duration::days(30));
    let key = app::db::new_id();
    let form = [
        ("declaration_key", key.as_str()),
        ("titolo", "Corso FAD"),
        ("procedura", "FAD"),
        ("data_inizio", &start),
        ("data_fine", &start),
        ("sponsorizzato", "SI"),
    ];
    let (status, event) = json_of(app.call(&owner, "events/declare", &form).await).await;
    assert_eq!(status, StatusCode::OK, "{event}");
    let fee: i64 = sqlx::query_scalar("SELECT amount_cents FROM debts WHERE event_id = $1")
        .bind(event.as_str().unwrap())
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(fee, 150_000);
    ledger.check(db, "the new draft").await;

    sim.stop();
    app.stop().await;
    elapsed("an accredited provider's identity", backend, started);
}
both_backends!(an_accredited_provider_cannot_change_its_identity_or_gruppo_by_opening_a_new_draft, accredited_identity);

// ---- 3. double clicks and parallel requests ---------------------------------------------------

/// A server function called the way the hydrated page does, from a task (owned arguments).
async fn post_fn(client: reqwest::Client, url: String, form: Vec<(&'static str, String)>) -> (StatusCode, Value) {
    json_of(client.post(url).header("Accept", "application/json").form(&form).send().await.unwrap()).await
}

/// Runs every future in its own task at once; the answers in order.
async fn all_at_once<T: Send + 'static>(futures: Vec<impl std::future::Future<Output = T> + Send + 'static>) -> Vec<T> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(futures.len()));
    let tasks: Vec<_> = futures
        .into_iter()
        .map(|f| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                f.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("the task finished"));
    }
    out
}

async fn provider_id_of(db: &Db, cf: &str) -> String {
    sqlx::query_scalar("SELECT id FROM providers WHERE codice_fiscale = $1")
        .bind(cf)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn parallel_kind(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    for n in 0..3 {
        let cf = fiscal_code(&format!("04000000{n:02}"));
        let client =
            provider_account(&app, &format!("kind{n}@provider.it"), &censimento("Ente dei doppi clic", &cf, "IMPRESA"))
                .await;
        let provider_id = provider_id_of(db, &cf).await;
        let calls = (0..8)
            .map(|i| {
                let kind = if i % 2 == 0 { "PROVVISORIO" } else { "STANDARD" };
                post_fn(client.clone(), app.url("/api/requests/kind"), vec![("kind", kind.to_string())])
            })
            .collect();
        let answers = all_at_once(calls).await;
        for (status, body) in &answers {
            if *status != StatusCode::OK {
                let error = refusal("parallel requests/kind", *status, body);
                assert_eq!(*status, StatusCode::CONFLICT, "{body}");
                assert!(matches!(error, AppError::Conflict | AppError::WrongState), "{body}");
            }
        }
        assert!(answers.iter().any(|(s, _)| *s == StatusCode::OK), "one click made the draft: {answers:?}");
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM accreditation_requests WHERE provider_id = $1", &provider_id).await,
            1,
            "exactly one request"
        );
        let request_id: String = sqlx::query_scalar("SELECT id FROM accreditation_requests WHERE provider_id = $1")
            .bind(&provider_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM request_history WHERE request_id = $1", &request_id).await,
            1,
            "created once"
        );
        assert_eq!(quotas(db, &request_id).await.len(), 1, "one first-year quota");
    }
    Ledger::default().check(db, "parallel drafts").await;
    app.stop().await;
    elapsed("8 parallel requests/kind ×3", backend, started);
}
both_backends!(eight_parallel_clicks_on_the_request_kind_make_exactly_one_request, parallel_kind);

async fn parallel_take_in_charge(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    let seg = segreteria(&app).await;
    for n in 0..3 {
        let owner = provider_ready(
            &app,
            &format!("carico{n}@ulss.it"),
            &censimento("Azienda ULSS", &fiscal_code(&format!("05000000{n:02}")), "IRCCS"),
        )
        .await;
        ok("requests/submit", &json_of(app.call(&owner, "requests/submit", &[]).await).await);
        let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
        let calls = (0..6)
            .map(|_| {
                let form = vec![
                    ("id", request_id.clone()),
                    ("action", "prendi_in_carico".to_string()),
                    ("note", String::new()),
                ];
                post_fn(seg.clone(), app.url("/api/segreteria/act"), form)
            })
            .collect();
        let answers = all_at_once(calls).await;
        let won = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(won, 1, "exactly one success: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
            let error = refusal("parallel prendi_in_carico", *status, body);
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert!(matches!(error, AppError::Conflict | AppError::WrongState), "{body}");
        }
        assert_eq!(request_state(db, &request_id).await, "IN_ISTRUTTORIA");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM request_history WHERE request_id = $1 AND to_state = 'IN_ISTRUTTORIA'",
                &request_id
            )
            .await,
            1,
            "one history row"
        );
    }
    Ledger::default().check(db, "parallel take in charge").await;
    app.stop().await;
    elapsed("6 parallel prendi_in_carico ×3", backend, started);
}
both_backends!(six_parallel_takes_in_charge_succeed_once_with_one_history_row, parallel_take_in_charge);

async fn parallel_uploads(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    let cf = fiscal_code("0600000001");
    let owner = provider_account(&app, "carica@provider.it", &censimento("Ente dei caricamenti", &cf, "IMPRESA")).await;
    ok("requests/kind", &json_of(app.call(&owner, "requests/kind", &[("kind", "PROVVISORIO")]).await).await);
    let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
    let slot = required_types(&app, &owner).await[0].clone();
    // First into an empty slot, then into a slot that has a current document.
    for round in 0..4 {
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE request_id = $1 AND type_code = $2")
            .bind(&request_id)
            .bind(&slot)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let calls = (0..6)
            .map(|i| upload(owner.clone(), app.url("/documenti/carica"), slot.clone(), pdf(&format!("{round}-{i}"))))
            .collect();
        let answers = all_at_once(calls).await;
        let stored = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count() as i64;
        assert!(stored >= 1, "round {round}: one upload at least is stored: {answers:?}");
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            let code = upload_refusal("parallel upload", *status, body);
            assert_eq!((*status, code.as_str()), (StatusCode::CONFLICT, "conflict"), "round {round}: {body}");
        }
        let (current, all): (i64, i64) = {
            let row = sqlx::query(
                "SELECT COALESCE(SUM(CASE WHEN current = 1 THEN 1 ELSE 0 END), 0) AS current, COUNT(*) AS total
                 FROM documents WHERE request_id = $1 AND type_code = $2",
            )
            .bind(&request_id)
            .bind(&slot)
            .fetch_one(db.pool())
            .await
            .unwrap();
            (row.get("current"), row.get("total"))
        };
        assert_eq!(current, 1, "round {round}: exactly one current document in the slot");
        assert_eq!(all - before, stored, "round {round}: every stored upload is kept (the others as history)");
        // The current one is the last stored: its content is one of those answered 201.
        let current_id: String =
            sqlx::query_scalar("SELECT id FROM documents WHERE request_id = $1 AND type_code = $2 AND current = 1")
                .bind(&request_id)
                .bind(&slot)
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert!(answers.iter().any(|(_, b)| b["document"]["id"] == current_id.as_str()), "round {round}: {answers:?}");
    }
    Ledger::default().check(db, "parallel uploads").await;
    app.stop().await;
    elapsed("6 parallel uploads to one slot ×4", backend, started);
}
both_backends!(six_parallel_uploads_to_one_slot_leave_exactly_one_current_document, parallel_uploads);

/// The documents of a request: (id, current), by id.
async fn documents_of(db: &Db, request_id: &str) -> Vec<(String, i64)> {
    sqlx::query("SELECT id, current FROM documents WHERE request_id = $1 ORDER BY id")
        .bind(request_id)
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("current")))
        .collect()
}

/// `requests/submit`, and the request's documents read the moment it answered.
async fn submit_and_look(
    client: reqwest::Client,
    url: String,
    db: Db,
    request_id: String,
) -> ((StatusCode, Value), Vec<(String, i64)>) {
    let answer = post_fn(client, url, vec![]).await;
    let documents = documents_of(&db, &request_id).await;
    (answer, documents)
}

/// After the submission answered: the documents are the ones it saw, none uploaded after it.
async fn sent_documents_unchanged(db: &Db, request_id: &str, seen: &[(String, i64)], what: &str) {
    assert_eq!(
        documents_of(db, request_id).await,
        seen,
        "{what}: a document of the sent request changed after «Invia» answered"
    );
    let submitted_at: String = sqlx::query_scalar("SELECT submitted_at FROM accreditation_requests WHERE id = $1")
        .bind(request_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let sent_at: String =
        sqlx::query_scalar("SELECT at FROM request_history WHERE request_id = $1 AND to_state = 'INVIATA'")
            .bind(request_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert!(sent_at >= submitted_at, "{what}: {sent_at} {submitted_at}");
    let late: Vec<String> =
        sqlx::query_scalar("SELECT uploaded_at FROM documents WHERE request_id = $1 AND uploaded_at > $2")
            .bind(request_id)
            .bind(&submitted_at)
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert!(late.is_empty(), "{what}: documents uploaded after the submission at {submitted_at}: {late:?}");
}

async fn upload_racing_submit(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    for n in 0..5 {
        // Gruppo A: nothing to pay, so the submission can succeed while the uploads run.
        let owner = provider_ready(
            &app,
            &format!("invia{n}@ulss.it"),
            &censimento("Azienda ospedaliera", &fiscal_code(&format!("07000000{n:02}")), "AZIENDA_SANITARIA"),
        )
        .await;
        let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
        let types = required_types(&app, &owner).await;
        let uploads: Vec<_> = (0..12)
            .map(|i| {
                upload(
                    owner.clone(),
                    app.url("/documenti/carica"),
                    types[i % types.len()].clone(),
                    pdf(&format!("{n}-{i}")),
                )
            })
            .collect();
        let submit = tokio::spawn(submit_and_look(
            owner.clone(),
            app.url("/api/requests/submit"),
            db.clone(),
            request_id.clone(),
        ));
        let answers = all_at_once(uploads).await;
        let (submitted, seen) = submit.await.unwrap();
        ok("requests/submit racing uploads", &submitted);
        for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
            let code = upload_refusal("upload racing Invia", *status, body);
            assert_eq!(*status, StatusCode::CONFLICT, "{body}");
            assert!(code == "locked" || code == "conflict", "{body}");
        }
        assert_eq!(request_state(db, &request_id).await, "INVIATA");
        sent_documents_unchanged(db, &request_id, &seen, &format!("round {n}")).await;
    }

    // PostgreSQL only, the interleaving forced: an upload has read the request as a draft and
    // is about to write (the test holds a lock on `documents`) when «Invia» arrives.
    if backend == Backend::Postgres {
        let owner = provider_ready(
            &app,
            "forzato@ulss.it",
            &censimento("Azienda ospedaliera", &fiscal_code("0700000099"), "AZIENDA_SANITARIA"),
        )
        .await;
        let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
        let slot = required_types(&app, &owner).await[0].clone();
        let mut hold = db.pool().begin().await.unwrap();
        sqlx::query("LOCK TABLE documents IN SHARE MODE").execute(&mut *hold).await.unwrap();
        let late = tokio::spawn(upload(owner.clone(), app.url("/documenti/carica"), slot, pdf("in ritardo")));
        wait_for_lock(db, "UPDATE documents%").await;
        let mut submit = tokio::spawn(submit_and_look(
            owner.clone(),
            app.url("/api/requests/submit"),
            db.clone(),
            request_id.clone(),
        ));
        let _ = tokio::time::timeout(Duration::from_millis(1500), &mut submit).await;
        hold.commit().await.unwrap();
        let (submitted, seen) = submit.await.unwrap();
        let (status, body) = late.await.unwrap();
        ok("requests/submit with an upload in flight", &submitted);
        if status != StatusCode::CREATED {
            let code = upload_refusal("upload in flight at Invia", status, &body);
            assert_eq!((status, code.as_str()), (StatusCode::CONFLICT, "locked"), "{body}");
        }
        sent_documents_unchanged(db, &request_id, &seen, "forced interleaving").await;
    }
    Ledger::default().check(db, "uploads racing Invia").await;
    app.stop().await;
    elapsed("uploads racing «Invia» ×5", backend, started);
}
both_backends!(an_upload_racing_invia_never_changes_the_documents_of_the_sent_request, upload_racing_submit);

/// PostgreSQL: waits until a session of this database waits on a lock in a statement like
/// `pattern` (the test holds that lock to force an interleaving).
async fn wait_for_lock(db: &Db, pattern: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1",
        )
        .bind(pattern)
        .fetch_one(db.pool())
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(Instant::now() < deadline, "nobody reached a statement like {pattern:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the provider declared at the submission (the history row's snapshot).
async fn declared_at_submission(db: &Db, request_id: &str) -> Value {
    let snapshot: String =
        sqlx::query_scalar("SELECT snapshot FROM request_history WHERE request_id = $1 AND to_state = 'INVIATA'")
            .bind(request_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    serde_json::from_str(&snapshot).unwrap()
}

/// `providers/save` from a task.
async fn save_owned(client: reqwest::Client, url: String, data: BTreeMap<String, String>) -> (StatusCode, Value) {
    let form: Vec<(String, String)> = data.into_iter().map(|(k, v)| (format!("form[{k}]"), v)).collect();
    json_of(client.post(url).header("Accept", "application/json").form(&form).send().await.unwrap()).await
}

/// After a censimento change raced «Invia»: either the change came first (Gruppo B now, so the
/// submission was refused until the new quota is paid) or the submission did (the change was
/// refused); what was sent is what is stored.
async fn one_of_them_won(
    db: &Db,
    request_id: &str,
    provider_id: &str,
    saved: &(StatusCode, Value),
    submitted: &(StatusCode, Value),
    what: &str,
) {
    let (stored, _) = provider_row(db, provider_id).await;
    match request_state(db, request_id).await.as_str() {
        "INVIATA" => {
            ok(&format!("{what}: requests/submit"), submitted);
            let error = refusal(&format!("{what}: the change after «Invia»"), saved.0, &saved.1);
            assert!(
                matches!(error, AppError::WrongState | AppError::Conflict | AppError::InvalidForm(_)),
                "{what}: {}",
                saved.1
            );
            let declared = declared_at_submission(db, request_id).await;
            let sent = [
                declared["denominazione"].clone(),
                declared["codice_fiscale"].clone(),
                declared["forma_giuridica"].clone(),
                declared["gruppo"].clone(),
            ];
            let now = [&stored[0], &stored[1], &stored[2], &stored[3]].map(|v| Value::String(v.clone()));
            assert_eq!(sent, now, "{what}: the request was sent with data that are no longer the provider's");
        }
        "BOZZA" => {
            ok(&format!("{what}: providers/save"), saved);
            refused(
                &format!("{what}: requests/submit after the change"),
                submitted,
                StatusCode::CONFLICT,
                "debts_not_paid",
            );
            assert_eq!(stored[3], "B");
            assert_eq!(quotas(db, request_id).await.iter().filter(|q| q.1 == "DA_PAGARE").count(), 1, "{what}");
        }
        other => panic!("{what}: request {other}"),
    }
}

async fn censimento_racing_submit(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    let rounds = if backend == Backend::Postgres { 6 } else { 5 };
    for n in 0..rounds {
        let cf = fiscal_code(&format!("08000000{n:02}"));
        let declared = censimento("Azienda ULSS", &cf, "AZIENDA_SANITARIA");
        let owner = provider_ready(&app, &format!("censimento{n}@ulss.it"), &declared).await;
        let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
        let provider_id = provider_id_of(db, &cf).await;
        let mut change = declared.clone();
        change.insert("forma_giuridica".into(), "IMPRESA".into());
        change.insert("codice_fiscale".into(), fiscal_code(&format!("08100000{n:02}")));
        change.insert("denominazione".into(), "Impresa privata".into());
        let forced = backend == Backend::Postgres && n == rounds - 1;
        let (saved, submitted) = if forced {
            // The change has written the provider row and waits (the test holds a lock on
            // `provider_changes`) when «Invia» arrives.
            let mut hold = db.pool().begin().await.unwrap();
            sqlx::query("LOCK TABLE provider_changes IN SHARE MODE").execute(&mut *hold).await.unwrap();
            let save = tokio::spawn(save_owned(owner.clone(), app.url("/api/providers/save"), change));
            wait_for_lock(db, "INSERT INTO provider_changes%").await;
            let mut submit = tokio::spawn(post_fn(owner.clone(), app.url("/api/requests/submit"), vec![]));
            let _ = tokio::time::timeout(Duration::from_millis(1500), &mut submit).await;
            hold.commit().await.unwrap();
            (save.await.unwrap(), submit.await.unwrap())
        } else {
            let save = tokio::spawn(save_owned(owner.clone(), app.url("/api/providers/save"), change));
            let submit = tokio::spawn(post_fn(owner.clone(), app.url("/api/requests/submit"), vec![]));
            (save.await.unwrap(), submit.await.unwrap())
        };
        one_of_them_won(
            db,
            &request_id,
            &provider_id,
            &saved,
            &submitted,
            &format!("round {n}{}", if forced { " (forced)" } else { "" }),
        )
        .await;
    }
    Ledger::default().check(db, "censimento changes racing Invia").await;
    app.stop().await;
    elapsed("censimento change racing «Invia»", backend, started);
}
both_backends!(a_censimento_change_racing_invia_never_sends_data_that_are_not_stored, censimento_racing_submit);

async fn correction_racing_accreditation(backend: Backend) {
    let started = Instant::now();
    let Some(app) = TestApp::spawn(backend).await else { return };
    let db = &app.state.db;
    let seg = segreteria(&app).await;
    let rounds = if backend == Backend::Postgres { 6 } else { 5 };
    for n in 0..rounds {
        let cf = fiscal_code(&format!("09000000{n:02}"));
        let owner = provider_ready(
            &app,
            &format!("gruppo{n}@ente.it"),
            &censimento("Ente da classificare", &cf, "OSPEDALE_CLASSIFICATO"),
        )
        .await;
        ok("requests/submit", &json_of(app.call(&owner, "requests/submit", &[]).await).await);
        let request_id = my_request(&app, &owner).await["id"].as_str().unwrap().to_string();
        ok("prendi_in_carico", &act(&app, &seg, &request_id, "prendi_in_carico", "", &[]).await);
        ok("confirm A", &set_class(&app, &seg, &request_id, "A", "").await);
        let correction = vec![
            ("id", request_id.clone()),
            ("class", "B".to_string()),
            ("class_reason", "Struttura privata: Gruppo B".to_string()),
        ];
        let accredit = vec![
            ("id", request_id.clone()),
            ("action", "accredita".to_string()),
            ("note", "Requisiti verificati".to_string()),
        ];
        let forced = backend == Backend::Postgres && n == rounds - 1;
        let (corrected, accredited) = if forced {
            // The correction has changed the Gruppo and waits (the test holds a lock on
            // `provider_changes`) when another tab accredits.
            let mut hold = db.pool().begin().await.unwrap();
            sqlx::query("LOCK TABLE provider_changes IN SHARE MODE").execute(&mut *hold).await.unwrap();
            let correct = tokio::spawn(post_fn(seg.clone(), app.url("/api/segreteria/class"), correction));
            wait_for_lock(db, "INSERT INTO provider_changes%").await;
            let mut accredit = tokio::spawn(post_fn(seg.clone(), app.url("/api/segreteria/act"), accredit));
            let _ = tokio::time::timeout(Duration::from_millis(1500), &mut accredit).await;
            hold.commit().await.unwrap();
            (correct.await.unwrap(), accredit.await.unwrap())
        } else {
            let correct = tokio::spawn(post_fn(seg.clone(), app.url("/api/segreteria/class"), correction));
            let accredit = tokio::spawn(post_fn(seg.clone(), app.url("/api/segreteria/act"), accredit));
            (correct.await.unwrap(), accredit.await.unwrap())
        };
        let what = format!("round {n}{}", if forced { " (forced)" } else { "" });
        let provider_id = provider_id_of(db, &cf).await;
        let class = provider_row(db, &provider_id).await.0[3].clone();
        match request_state(db, &request_id).await.as_str() {
            "ACCREDITATO" => {
                ok(&what, &accredited);
                refused(
                    &format!("{what}: correction after the accreditation"),
                    &corrected,
                    StatusCode::CONFLICT,
                    "wrong_state",
                );
                assert_eq!(class, "A", "{what}: accredited as Gruppo A, and Gruppo A it stays");
                assert!(quotas(db, &request_id).await.is_empty(), "{what}");
            }
            "IN_ISTRUTTORIA" => {
                ok(&what, &corrected);
                refused(
                    &format!("{what}: accreditation after the correction"),
                    &accredited,
                    StatusCode::CONFLICT,
                    "debts_not_paid",
                );
                assert_eq!(class, "B", "{what}");
            }
            other => panic!("{what}: request {other}"),
        }
        Ledger::default().check(db, &what).await;
    }
    app.stop().await;
    elapsed("Gruppo correction racing the accreditation", backend, started);
}
both_backends!(
    a_gruppo_correction_racing_the_accreditation_never_accredits_an_unpaid_gruppo_b,
    correction_racing_accreditation
);

// ---- 4. a seeded random walk ------------------------------------------------------------------

/// SplitMix64: seeded, small, enough to pick actions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const ROUNDS: usize = 40;
const LEGAL_FORMS: [&str; 6] =
    ["AZIENDA_SANITARIA", "IRCCS", "OSPEDALE_CLASSIFICATO", "IMPRESA", "UNIVERSITA", "FONDAZIONE"];
const SECTIONS: [&str; 5] = ["IDENTITA", "LEGALE", "SEDE", "CONTATTI", "DOCUMENTI"];
/// What the citizen does on pagoPA (`none`: nothing yet, the cart stays open).
const SIM_OUTCOMES: [&str; 8] = ["pay", "pay", "not-paid", "abort", "expire", "checkout", "timed-out", "none"];

fn class_of(forma: &str) -> &'static str {
    if matches!(forma, "AZIENDA_SANITARIA" | "IRCCS" | "OSPEDALE_CLASSIFICATO") {
        "A"
    } else {
        "B"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Save,
    Kind,
    Upload,
    Pay,
    Verify,
    Checkout,
    Submit,
    Answer,
    Declare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Desk {
    Take,
    Integration,
    Class,
    Accredit,
    Reject,
}

/// The provider's latest request: (id, state, reopened sections).
type Latest = Option<(String, String, Vec<String>)>;

struct Walk<'a> {
    app: &'a TestApp,
    sim: &'a TestSim,
    backend: Backend,
    seed: u64,
    rng: Rng,
    seg: reqwest::Client,
    players: Vec<(reqwest::Client, String)>,
    ledger: Ledger,
    log: Vec<String>,
    serial: u32,
    calls: usize,
    outcomes: BTreeMap<String, usize>,
}

impl Walk<'_> {
    fn fail(&self, message: &str) -> ! {
        let tail = self.log.iter().skip(self.log.len().saturating_sub(40)).cloned().collect::<Vec<_>>().join("\n  ");
        panic!(
            "random walk on {:?}, seed {} (ECM_LEDGER_SEED={} repeats it): {message}\nlast steps:\n  {tail}",
            self.backend, self.seed, self.seed
        );
    }

    fn expect(&self, condition: bool, message: impl FnOnce() -> String) {
        if !condition {
            self.fail(&message());
        }
    }

    fn tally(&mut self, what: &str, outcome: &str) {
        *self.outcomes.entry(format!("{} {outcome}", what.split(' ').next().unwrap_or(what))).or_default() += 1;
    }

    /// An answer of a server function: never 5xx; a refusal is a 4xx [`AppError`] with that
    /// status and an Italian message. Returns the refusal, if it is one.
    fn judge(&mut self, what: &str, status: StatusCode, body: &Value) -> Option<AppError> {
        self.calls += 1;
        if status.is_server_error() {
            self.fail(&format!("{what}: {status} {body}"));
        }
        if status.is_success() {
            self.log.push(format!("{what} → {}", status.as_u16()));
            self.tally(what, "ok");
            return None;
        }
        let error: AppError = match serde_json::from_value(body.clone()) {
            Ok(error) => error,
            Err(e) => self.fail(&format!("{what}: {status} without an error code ({e}): {body}")),
        };
        self.expect(
            status.is_client_error() && error.status() == status.as_u16() && error.message_it().len() > 10,
            || format!("{what}: {status} {body} is not a 4xx refusal with an Italian message"),
        );
        self.log.push(format!("{what} → {} {}", status.as_u16(), error.code()));
        self.tally(what, error.code());
        Some(error)
    }

    async fn call(
        &mut self,
        client: &reqwest::Client,
        what: &str,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value, Option<AppError>) {
        let (status, body) = json_of(self.app.call(client, endpoint, form).await).await;
        let error = self.judge(what, status, &body);
        (status, body, error)
    }

    async fn check(&mut self, after: &str) {
        let found = self.ledger.violations(&self.app.state.db).await;
        if !found.is_empty() {
            self.fail(&format!("after {after}:\n  {}", found.join("\n  ")));
        }
    }

    async fn latest(&self, provider_id: &str) -> Latest {
        sqlx::query("SELECT id, state, reopened_sections FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(provider_id)
            .fetch_optional(self.app.state.db.pool())
            .await
            .unwrap()
            .map(|r| {
                let reopened: Option<String> = r.get("reopened_sections");
                let sections = reopened.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
                (r.get("id"), r.get("state"), sections)
            })
    }

    /// The live first-year quotas of a request still to pay.
    async fn unpaid_quotas(&self, request_id: &str) -> usize {
        quotas(&self.app.state.db, request_id).await.iter().filter(|q| q.1 != "ANNULLATO" && q.1 != "PAGATO").count()
    }

    // ---- the provider -------------------------------------------------------------------------

    async fn provider_step(&mut self, i: usize) {
        use Move::*;
        let (client, provider_id) = self.players[i].clone();
        let latest = self.latest(&provider_id).await;
        let state = latest.as_ref().map_or("", |l| l.1.as_str()).to_string();
        let choices: &[Move] = match state.as_str() {
            "BOZZA" => &[Save, Save, Upload, Upload, Pay, Pay, Pay, Submit, Submit, Submit, Kind, Verify, Checkout],
            "INTEGRAZIONE_RICHIESTA" => &[Save, Save, Save, Upload, Pay, Pay, Answer, Answer, Answer, Verify, Checkout],
            "ACCREDITATO" => &[Declare, Declare, Pay, Verify, Kind, Save, Submit, Checkout],
            "RIGETTATO" => &[Kind, Kind, Pay, Verify, Save],
            _ => &[Pay, Verify, Checkout, Save, Submit, Answer, Upload, Kind],
        };
        let action = self.rng.pick(choices);
        let who = format!("p{i}");
        match action {
            Save => self.save(&who, &client, &provider_id, &latest).await,
            Kind => {
                let kind = self.rng.pick(&["PROVVISORIO", "STANDARD"]);
                let (_, _, error) = self
                    .call(&client, &format!("requests/kind {who} {kind} ({state})"), "requests/kind", &[("kind", kind)])
                    .await;
                if matches!(state.as_str(), "INVIATA" | "IN_ISTRUTTORIA" | "INTEGRAZIONE_RICHIESTA") {
                    self.expect(error == Some(AppError::WrongState), || {
                        format!("a second request while one is {state}")
                    });
                }
            }
            Upload => self.upload(&who, &client, &latest).await,
            Pay => self.pay(&who, &client, &provider_id).await,
            Verify | Checkout => self.settle(&who, &client, &provider_id, action == Checkout).await,
            Submit | Answer => {
                let (endpoint, from, to) = if action == Submit {
                    ("requests/submit", "BOZZA", "INVIATA")
                } else {
                    ("requests/integration", "INTEGRAZIONE_RICHIESTA", "IN_ISTRUTTORIA")
                };
                let (status, _, _) = self.call(&client, &format!("{endpoint} {who} ({state})"), endpoint, &[]).await;
                if status.is_success() {
                    let (id, now, _) = self.latest(&provider_id).await.expect("a request");
                    self.expect(state == from && now == to, || format!("{endpoint} succeeded from {state} to {now}"));
                    let unpaid = self.unpaid_quotas(&id).await;
                    self.expect(unpaid == 0, || format!("{endpoint} succeeded with {unpaid} quota(s) unpaid"));
                } else {
                    self.expect(self.latest(&provider_id).await.map(|l| l.1) == Some(state.clone()), || {
                        format!("a refused {endpoint} moved the request")
                    });
                }
            }
            Declare => self.declare(&who, &client).await,
        }
        self.check(&format!("{action:?} by {who}")).await;
    }

    async fn save(&mut self, who: &str, client: &reqwest::Client, provider_id: &str, latest: &Latest) {
        let (_, mine, _) = self.call(client, &format!("providers/mine {who}"), "providers/mine", &[]).await;
        let mut form: BTreeMap<String, String> = mine["form"]
            .as_object()
            .expect("a provider")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let before = form.clone();
        self.serial += 1;
        let serial = self.serial;
        if self.rng.chance(60) {
            form.insert("forma_giuridica".into(), self.rng.pick(&LEGAL_FORMS).to_string());
        }
        if self.rng.chance(35) {
            form.insert("codice_fiscale".into(), fiscal_code(&format!("{:010}", 1_500_000_000 + serial)));
            form.insert("denominazione".into(), format!("Ente di formazione {serial}"));
        }
        if self.rng.chance(30) || form == before {
            form.insert("via".into(), format!("Via dei Mille {serial}"));
        }
        if self.rng.chance(20) {
            form.insert("pec".into(), format!("sede{serial}@pec.example.it"));
        }
        if self.rng.chance(15) {
            form.insert("legale_nome".into(), self.rng.pick(&["Giulia", "Marco", "Elena"]).to_string());
        }
        let changed: Vec<&str> = app::providers::model::ProviderForm::FIELDS
            .iter()
            .copied()
            .filter(|f| form.get(*f) != before.get(*f))
            .collect();
        let (status, body) = save(self.app, client, &form).await;
        let state = latest.as_ref().map_or("", |l| l.1.as_str());
        let error = self.judge(&format!("providers/save {who} {changed:?} ({state})"), status, &body);
        // An accredited provider keeps its identity in a new draft.
        let accredited = count(
            &self.app.state.db,
            "SELECT COUNT(*) FROM accreditation_requests WHERE provider_id = $1 AND state = 'ACCREDITATO'",
            provider_id,
        )
        .await
            > 0;
        let open: Vec<&str> = match latest {
            None => SECTIONS.to_vec(),
            Some((_, s, _)) if s == "BOZZA" => {
                SECTIONS.iter().copied().filter(|s| !(accredited && *s == "IDENTITA")).collect()
            }
            Some((_, s, reopened)) if s == "INTEGRAZIONE_RICHIESTA" => reopened.iter().map(String::as_str).collect(),
            Some(_) => vec![],
        };
        let section_of = |f: &str| match f {
            "denominazione" | "codice_fiscale" | "partita_iva" | "forma_giuridica" => "IDENTITA",
            "legale_nome" | "legale_cognome" | "legale_codice_fiscale" => "LEGALE",
            "via" | "civico" | "cap" | "comune" | "provincia" => "SEDE",
            _ => "CONTATTI",
        };
        let locked: Vec<&str> = changed.iter().copied().filter(|f| !open.contains(&section_of(f))).collect();
        let any_field_open = open.iter().any(|s| *s != "DOCUMENTI");
        match error {
            None => {
                self.expect(locked.is_empty() && any_field_open, || {
                    format!("a change of {locked:?} was saved while {open:?} were open")
                });
                let (stored, _) = provider_row(&self.app.state.db, provider_id).await;
                let forma = &form["forma_giuridica"];
                self.expect(&stored[2] == forma && stored[3] == class_of(forma), || {
                    format!("saved {forma}, stored {stored:?}")
                });
            }
            Some(AppError::WrongState) => self.expect(!any_field_open, || format!("wrong_state with {open:?} open")),
            Some(AppError::InvalidForm(errors)) => {
                let mut refused: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                refused.sort_unstable();
                let mut expected = locked.clone();
                expected.sort_unstable();
                self.expect(any_field_open && refused == expected, || {
                    format!("refused {refused:?}, locked {expected:?}")
                });
                self.expect(errors.iter().all(|e| e.rule == app::domain::FieldRule::Locked), || format!("{errors:?}"));
            }
            // A change of Gruppo in a draft recomputes its fees: not while the quota is being paid.
            Some(AppError::PaymentInProgress) => {
                let class_changes = class_of(&form["forma_giuridica"]) != class_of(&before["forma_giuridica"]);
                self.expect(class_changes && state == "BOZZA", || {
                    "payment_in_progress without a change of Gruppo in a draft".into()
                });
            }
            Some(other) => self.fail(&format!("providers/save refused with {other:?}")),
        }
    }

    async fn upload(&mut self, who: &str, client: &reqwest::Client, latest: &Latest) {
        let (_, documents, error) = self.call(client, &format!("documents/mine {who}"), "documents/mine", &[]).await;
        if error.is_some() {
            return;
        }
        let slots = documents["slots"].as_array().unwrap();
        let code = |s: &Value| s["doc_type"]["code"].as_str().unwrap().to_string();
        // Mostly what the payment gate still misses (a new draft starts without documents).
        let missing: Vec<String> =
            slots.iter().filter(|s| s["doc_type"]["required"] == true && s["current"].is_null()).map(code).collect();
        let slot = if !missing.is_empty() && self.rng.chance(80) {
            missing[self.rng.below(missing.len())].clone()
        } else {
            code(&slots[self.rng.below(slots.len())])
        };
        self.serial += 1;
        let (status, body) =
            upload(client.clone(), self.app.url("/documenti/carica"), slot.clone(), pdf(&self.serial.to_string()))
                .await;
        self.calls += 1;
        let (_, state, reopened) = latest.clone().expect("a request");
        let open = state == "BOZZA" || (state == "INTEGRAZIONE_RICHIESTA" && reopened.iter().any(|s| s == "DOCUMENTI"));
        if status.is_server_error() {
            self.fail(&format!("upload {slot}: {status} {body}"));
        }
        let outcome = if status == StatusCode::CREATED {
            "ok".to_string()
        } else {
            self.expect(
                status.is_client_error()
                    && body["ok"] == false
                    && body["message"].as_str().is_some_and(|m| m.len() > 10),
                || format!("upload: {status} {body}"),
            );
            body["code"].as_str().unwrap_or("?").to_string()
        };
        self.log.push(format!("upload {who} {slot} ({state}) → {} {outcome}", status.as_u16()));
        self.tally("upload", &outcome);
        self.expect((status == StatusCode::CREATED) == open, || {
            format!("upload {slot} in {state} {reopened:?}: {status} {body}")
        });
        if !open {
            self.expect(status == StatusCode::CONFLICT && outcome == "locked", || {
                format!("upload refused as {status} {body}")
            });
        }
    }

    /// Loads the cart page, pays the first cart and lets the citizen do something on pagoPA;
    /// sometimes the return page verifies at once.
    async fn pay(&mut self, who: &str, client: &reqwest::Client, provider_id: &str) {
        let (_, page, error) = self.call(client, &format!("payments/page {who}"), "payments/page", &[]).await;
        if error.is_some() {
            return;
        }
        let Some(cart) = page["carts"][0].as_array() else {
            return;
        };
        let ids = cart.iter().map(|d| d["id"].as_str().unwrap()).collect::<Vec<_>>().join(",");
        let key = page["idempotency_key"].as_str().unwrap().to_string();
        let (_, answer, error) = self
            .call(
                client,
                &format!("payments/pay {who}"),
                "payments/pay",
                &[("idempotency_key", &key), ("debts", &ids), ("payer_email", "tesoreria@example.it")],
            )
            .await;
        if error.is_some() {
            return;
        }
        let Some(attempt_id) = answer["Redirect"]["attempt_id"].as_str() else {
            return;
        };
        let id_session: String =
            sqlx::query_scalar("SELECT id_session FROM payment_attempts WHERE id = $1 AND provider_id = $2")
                .bind(attempt_id)
                .bind(provider_id)
                .fetch_one(self.app.state.db.pool())
                .await
                .unwrap();
        self.citizen(&id_session).await;
        if self.rng.chance(60) {
            self.verify(who, client, &id_session).await;
        }
    }

    /// The citizen on pagoPA: a random outcome (some are impossible in the cart's phase: the
    /// simulator refuses them and nothing happens).
    async fn citizen(&mut self, id_session: &str) {
        let outcome = self.rng.pick(&SIM_OUTCOMES);
        if outcome == "none" {
            self.log.push(format!("citizen leaves {id_session} open"));
            return;
        }
        let status = self
            .sim
            .http
            .post(format!("{}/admin/sessions/{id_session}/{outcome}", self.sim.base))
            .send()
            .await
            .unwrap()
            .status();
        self.expect(status == StatusCode::NO_CONTENT || status == StatusCode::CONFLICT, || {
            format!("simulator {outcome}: {status}")
        });
        self.log.push(format!("citizen {outcome} on {id_session} → {}", status.as_u16()));
    }

    async fn verify(&mut self, who: &str, client: &reqwest::Client, id_session: &str) {
        let esito = self.rng.pick(&["OK", "ERROR"]);
        self.call(
            client,
            &format!("payments/verify {who} {esito}"),
            "payments/verify",
            &[("id_session", id_session), ("esito", esito)],
        )
        .await;
    }

    /// One of the provider's carts: the citizen acts on it (`citizen`) or the return page
    /// verifies it.
    async fn settle(&mut self, who: &str, client: &reqwest::Client, provider_id: &str, citizen: bool) {
        let sessions: Vec<String> = sqlx::query_scalar("SELECT id_session FROM payment_attempts WHERE provider_id = $1 AND id_session IS NOT NULL ORDER BY created_at")
            .bind(provider_id)
            .fetch_all(self.app.state.db.pool())
            .await
            .unwrap();
        if sessions.is_empty() {
            return;
        }
        let id_session = sessions[self.rng.below(sessions.len())].clone();
        if citizen {
            self.citizen(&id_session).await;
        } else {
            self.verify(who, client, &id_session).await;
        }
    }

    async fn declare(&mut self, who: &str, client: &reqwest::Client) {
        let start = app::domain::dates::today() + time::Duration::days(10 + self.rng.below(80) as i64);
        let end = start + time::Duration::days(self.rng.below(3) as i64);
        let (start, end) = (app::domain::dates::date_text(start), app::domain::dates::date_text(end));
        let key = app::db::new_id();
        let procedure = self.rng.pick(&["RES", "FSC", "FAD"]);
        let sponsored = self.rng.pick(&["SI", "NO"]);
        let form = [
            ("declaration_key", key.as_str()),
            ("titolo", "Corso di aggiornamento"),
            ("procedura", procedure),
            ("data_inizio", &start),
            ("data_fine", &end),
            ("sponsorizzato", sponsored),
        ];
        self.call(client, &format!("events/declare {who} {procedure}"), "events/declare", &form).await;
    }

    // ---- the Segreteria -----------------------------------------------------------------------

    async fn segreteria_step(&mut self) {
        let roll = self.rng.below(100);
        let what = if roll < 10 {
            self.annul().await
        } else if roll < 22 {
            self.extend().await
        } else if roll < 26 {
            self.recheck().await
        } else {
            self.desk().await
        };
        self.check(&format!("the Segreteria's {what}")).await;
    }

    async fn desk(&mut self) -> &'static str {
        use Desk::*;
        let requests: Vec<(String, String)> =
            sqlx::query("SELECT id, state FROM accreditation_requests WHERE state <> 'BOZZA' ORDER BY id")
                .fetch_all(self.app.state.db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("id"), r.get("state")))
                .collect();
        if requests.is_empty() {
            return "nothing (no request sent)";
        }
        let (id, state) = requests[self.rng.below(requests.len())].clone();
        let choices: &[Desk] = match state.as_str() {
            "INVIATA" => &[Take, Take, Take, Class, Class, Accredit],
            "IN_ISTRUTTORIA" => &[Integration, Integration, Class, Class, Class, Accredit, Accredit, Accredit, Reject],
            "INTEGRAZIONE_RICHIESTA" => &[Accredit, Class, Take, Integration],
            _ => &[Accredit, Class, Reject],
        };
        let seg = self.seg.clone();
        let desk = self.rng.pick(choices);
        let error = match desk {
            Take => {
                self.call(
                    &seg,
                    &format!("prendi_in_carico ({state})"),
                    "segreteria/act",
                    &[("id", &id), ("action", "prendi_in_carico"), ("note", "")],
                )
                .await
                .2
            }
            Integration => {
                let mut sections: Vec<&str> = SECTIONS.iter().copied().filter(|_| self.rng.chance(35)).collect();
                if sections.is_empty() {
                    sections.push(self.rng.pick(&SECTIONS));
                }
                let mut form = vec![
                    ("id", id.as_str()),
                    ("action", "richiedi_integrazione"),
                    ("note", "Integrare quanto indicato"),
                ];
                form.extend(sections.iter().map(|s| ("sections[]", *s)));
                self.call(&seg, &format!("richiedi_integrazione {sections:?} ({state})"), "segreteria/act", &form)
                    .await
                    .2
            }
            Accredit => {
                self.call(
                    &seg,
                    &format!("accredita ({state})"),
                    "segreteria/act",
                    &[("id", &id), ("action", "accredita"), ("note", "Requisiti verificati")],
                )
                .await
                .2
            }
            Reject => {
                self.call(
                    &seg,
                    &format!("rigetta ({state})"),
                    "segreteria/act",
                    &[("id", &id), ("action", "rigetta"), ("note", "Requisiti non soddisfatti")],
                )
                .await
                .2
            }
            Class => return self.class(&id, &state).await,
        };
        let source = match desk {
            Take => "INVIATA",
            _ => "IN_ISTRUTTORIA",
        };
        if state != source {
            self.expect(error == Some(AppError::WrongState), || format!("{desk:?} on a request {state}: {error:?}"));
        } else if desk != Accredit {
            self.expect(error.is_none(), || format!("{desk:?} on a request {state} refused: {error:?}"));
        }
        match desk {
            Take => "take in charge",
            Integration => "integration",
            Accredit => "accreditation",
            _ => "rejection",
        }
    }

    async fn class(&mut self, request_id: &str, state: &str) -> &'static str {
        let db = &self.app.state.db;
        let provider_id: String = sqlx::query_scalar("SELECT provider_id FROM accreditation_requests WHERE id = $1")
            .bind(request_id)
            .fetch_one(db.pool())
            .await
            .unwrap();
        let current = provider_row(db, &provider_id).await.0[3].clone();
        let roll = self.rng.below(100);
        let (class, reason) = match roll {
            0..=44 => (current.clone(), if self.rng.chance(50) { "" } else { "Gruppo verificato sui documenti" }),
            45..=89 => (
                if current == "A" { "B".to_string() } else { "A".to_string() },
                "Forma giuridica verificata sull'atto costitutivo",
            ),
            _ => (if current == "A" { "B".to_string() } else { "A".to_string() }, " "),
        };
        let seg = self.seg.clone();
        let (_, _, error) = self
            .call(
                &seg,
                &format!("segreteria/class {current}→{class} ({state})"),
                "segreteria/class",
                &[("id", request_id), ("class", &class), ("class_reason", reason)],
            )
            .await;
        let (after, _) = provider_row(&self.app.state.db, &provider_id).await;
        if !matches!(state, "INVIATA" | "IN_ISTRUTTORIA") {
            self.expect(error == Some(AppError::WrongState), || format!("class on a request {state}: {error:?}"));
        } else if class != current && reason.trim().is_empty() {
            let required =
                AppError::Invalid(app::domain::FieldError::new("class_reason", app::domain::FieldRule::Required));
            self.expect(error == Some(required), || format!("a correction without reason: {error:?}"));
        } else if class != current && error == Some(AppError::PaymentInProgress) {
            // The quota is being paid: nothing changes until the attempt ends.
        } else {
            self.expect(error.is_none(), || format!("class {class} refused: {error:?}"));
            self.expect(after[3] == class && after[5] != "-", || format!("class {class} confirmed, stored {after:?}"));
        }
        if error.is_some() {
            self.expect(after[3] == current, || format!("a refused correction changed the class: {after:?}"));
        }
        "Gruppo decision"
    }

    /// A debt of any provider, preferring those in `states` (with a due date when `dated`):
    /// (id, state, due date).
    async fn some_debt(&mut self, states: &[&str], dated: bool) -> Option<(String, String, Option<String>)> {
        let all: Vec<(String, String, Option<String>)> =
            sqlx::query("SELECT id, state, due_date FROM debts ORDER BY created_at, id")
                .fetch_all(self.app.state.db.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("id"), r.get("state"), r.get("due_date")))
                .collect();
        let preferred: Vec<_> =
            all.iter().filter(|d| states.contains(&d.1.as_str()) && (!dated || d.2.is_some())).cloned().collect();
        let from = if !preferred.is_empty() && self.rng.chance(80) { preferred } else { all };
        (!from.is_empty()).then(|| from[self.rng.below(from.len())].clone())
    }

    async fn annul(&mut self) -> &'static str {
        let Some((id, state, _)) = self.some_debt(&["DA_PAGARE"], false).await else { return "nothing (no debt)" };
        let reason = if self.rng.chance(15) { "" } else { "Dovuto creato per errore" };
        let seg = self.seg.clone();
        let (_, _, error) = self
            .call(&seg, &format!("debt_annul ({state})"), "segreteria/debt_annul", &[("id", &id), ("reason", reason)])
            .await;
        let expected = if reason.is_empty() {
            Some(AppError::Invalid(app::domain::FieldError::new("reason", app::domain::FieldRule::Required)))
        } else if state == "DA_PAGARE" {
            None
        } else {
            Some(AppError::DebtNotAnnullable(DebtState::from_db(&state).unwrap()))
        };
        self.expect(error == expected, || format!("annulment of a debt {state}: {error:?}, expected {expected:?}"));
        "annulment"
    }

    async fn extend(&mut self) -> &'static str {
        let Some((id, state, due)) = self.some_debt(&["DA_PAGARE", "IN_CORSO"], true).await else {
            return "nothing (no debt)";
        };
        let parse = |d: &str| time::Date::parse(d, &time::macros::format_description!("[year]-[month]-[day]")).unwrap();
        let base = due.as_deref().map_or_else(app::domain::dates::today, parse);
        let earlier = self.rng.chance(15);
        let new_due = if earlier {
            base - time::Duration::days(1)
        } else {
            base + time::Duration::days(1 + self.rng.below(60) as i64)
        };
        let new_due = app::domain::dates::date_text(new_due);
        let reason = if self.rng.chance(10) { "" } else { "Proroga concessa su richiesta del provider" };
        let seg = self.seg.clone();
        let (_, _, error) = self
            .call(
                &seg,
                &format!("debt_extend ({state}, due {due:?})"),
                "segreteria/debt_extend",
                &[("id", &id), ("new_due_date", &new_due), ("due_reason", reason)],
            )
            .await;
        let invalid = |rule| {
            Some(AppError::Invalid(app::domain::FieldError::new(
                if rule == app::domain::FieldRule::Required { "due_reason" } else { "new_due_date" },
                rule,
            )))
        };
        let expected = if reason.is_empty() {
            invalid(app::domain::FieldRule::Required)
        } else if !matches!(state.as_str(), "DA_PAGARE" | "IN_CORSO") || due.is_none() {
            Some(AppError::WrongState)
        } else if earlier {
            invalid(app::domain::FieldRule::DateNotLater)
        } else {
            None
        };
        self.expect(error == expected, || {
            format!("extension of a debt {state} due {due:?} to {new_due}: {error:?}, expected {expected:?}")
        });
        if expected.is_none() {
            let stored: Option<String> = sqlx::query_scalar("SELECT due_date FROM debts WHERE id = $1")
                .bind(&id)
                .fetch_one(self.app.state.db.pool())
                .await
                .unwrap();
            self.expect(stored.as_deref() == Some(new_due.as_str()), || {
                format!("extended to {new_due}, stored {stored:?}")
            });
        }
        "extension"
    }

    /// The Segreteria's «Verifica ora» on one attempt.
    async fn recheck(&mut self) -> &'static str {
        let attempts: Vec<String> = sqlx::query_scalar("SELECT id FROM payment_attempts ORDER BY created_at, id")
            .fetch_all(self.app.state.db.pool())
            .await
            .unwrap();
        if attempts.is_empty() {
            return "nothing (no attempt)";
        }
        let id = attempts[self.rng.below(attempts.len())].clone();
        let seg = self.seg.clone();
        self.call(&seg, "payment_verify", "segreteria/payment_verify", &[("id", &id)]).await;
        "payment check"
    }

    async fn reconcile(&mut self) {
        let gateway = self.app.state.payments.clone().expect("MyPay is configured");
        match app::payments::reconciler::run_pass(
            &self.app.state.db,
            gateway,
            &self.app.state.reconciler,
            "ledger-walk",
        )
        .await
        {
            Ok(report) => {
                self.expect(report.failed == 0, || format!("reconciler pass: {report:?}"));
                self.log.push(format!("reconciler pass: {} checked", report.checked));
                self.tally("reconciler", "ok");
            }
            Err(error) => self.fail(&format!("reconciler pass: {error:?}")),
        }
        self.check("a reconciler pass").await;
    }
}

/// Walks with seeds `base`, `base + 1`, …: `ECM_LEDGER_SEED` repeats them (one seed is printed
/// per walk, and in every failure).
const WALKS: u64 = 3;

async fn random_walks(backend: Backend) {
    let started = Instant::now();
    let base = std::env::var("ECM_LEDGER_SEED").ok().and_then(|s| s.trim().parse().ok()).unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        nanos ^ if backend == Backend::Postgres { 0x5eed } else { 0 }
    });
    for k in 0..WALKS {
        random_walk(backend, base.wrapping_add(k)).await;
    }
    elapsed(&format!("{WALKS} random walks of {ROUNDS} rounds"), backend, started);
}

async fn random_walk(backend: Backend, seed: u64) {
    let started = Instant::now();
    let settings = [
        QUIET,
        ("ECM_RECONCILER_BACKOFF_MIN_SECONDS", "1"),
        ("ECM_RECONCILER_BACKOFF_MAX_SECONDS", "1"),
        ("ECM_RECONCILER_RATE_PER_SECOND", "200"),
    ];
    let Some((app, sim)) = TestApp::spawn_with_mypay(backend, &settings).await else { return };
    eprintln!("ledger random walk on {backend:?}: seed {seed} (ECM_LEDGER_SEED={seed} repeats it)");
    let mut players = Vec::new();
    for (n, forma) in ["IMPRESA", "AZIENDA_SANITARIA", "UNIVERSITA", "IRCCS"].into_iter().enumerate() {
        let cf = fiscal_code(&format!("10000000{n:02}"));
        let client =
            provider_ready(&app, &format!("walk{n}@provider.it"), &censimento(&format!("Ente {n}"), &cf, forma)).await;
        players.push((client, provider_id_of(&app.state.db, &cf).await));
    }
    let seg = segreteria(&app).await;
    let mut walk = Walk {
        app: &app,
        sim: &sim,
        backend,
        seed,
        rng: Rng(seed),
        seg,
        players,
        ledger: Ledger::default(),
        log: Vec::new(),
        serial: 0,
        calls: 0,
        outcomes: BTreeMap::new(),
    };
    walk.check("the set-up").await;
    for round in 0..ROUNDS {
        walk.log.push(format!("-- round {round}"));
        for i in 0..walk.players.len() {
            walk.provider_step(i).await;
        }
        walk.segreteria_step().await;
        walk.segreteria_step().await;
        if walk.rng.chance(30) {
            walk.reconcile().await;
        }
    }
    let states: Vec<String> = sqlx::query_scalar("SELECT state FROM accreditation_requests ORDER BY created_at")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    eprintln!(
        "ledger random walk on {backend:?}, seed {seed}: {} calls in {:.1} s; requests {states:?}; {} accredited; outcomes {:?}",
        walk.calls,
        started.elapsed().as_secs_f64(),
        walk.ledger.accredited.len(),
        walk.outcomes
    );
    sim.stop();
    app.stop().await;
}
both_backends!(random_provider_segreteria_and_reconciler_actions_never_break_the_ledger, random_walks);

#[test]
fn the_trail_checker_refuses_forbidden_moves_broken_chains_and_wrong_ends() {
    let link =
        |at: &str, from: Option<&str>, to: &str| Link { at: at.into(), from: from.map(String::from), to: to.into() };
    let start = || Some("DA_PAGARE".to_string());
    // Claimed, given back, claimed, paid: allowed and chained; links of one millisecond chain in any order.
    let trail = vec![
        link("2026-12-01T10:00:00.002Z", Some("IN_CORSO"), "PAGATO"),
        link("2026-12-01T10:00:00.001Z", Some("DA_PAGARE"), "IN_CORSO"),
        link("2026-12-01T10:00:00.001Z", Some("IN_CORSO"), "DA_PAGARE"),
        link("2026-12-01T10:00:00.000Z", Some("DA_PAGARE"), "IN_CORSO"),
    ];
    assert_eq!(walk("debt", start(), trail, debt_move), Ok(Some("PAGATO".into())));
    // ANNULLATO → DA_PAGARE (what the issue found) is forbidden.
    let reopened = vec![link("1", Some("DA_PAGARE"), "ANNULLATO"), link("2", Some("ANNULLATO"), "DA_PAGARE")];
    assert!(walk("debt", start(), reopened, debt_move).unwrap_err().contains("not an allowed transition"));
    // A link that does not start where the previous one ended.
    let broken = vec![link("1", Some("DA_PAGARE"), "IN_CORSO"), link("2", Some("DA_PAGARE"), "ANNULLATO")];
    assert!(walk("debt", start(), broken, debt_move).unwrap_err().contains("the state before was"));
    // Requests: created as BOZZA only, and BOZZA → ACCREDITATO is not a move.
    assert!(walk("request", None, vec![link("1", None, "INVIATA")], request_move).is_err());
    let skipped = vec![link("1", None, "BOZZA"), link("2", Some("BOZZA"), "ACCREDITATO")];
    assert!(walk("request", None, skipped, request_move).is_err());
    // Attempts: the Segreteria's re-check may resolve an anomaly; nothing else leaves PAGATA.
    let recheck =
        vec![link("1", None, "CREATA"), link("2", Some("CREATA"), "ANOMALIA"), link("3", Some("ANOMALIA"), "PAGATA")];
    assert_eq!(walk("attempt", None, recheck, attempt_move), Ok(Some("PAGATA".into())));
    let unpaid =
        vec![link("1", None, "CREATA"), link("2", Some("CREATA"), "PAGATA"), link("3", Some("PAGATA"), "NON_PAGATA")];
    assert!(walk("attempt", None, unpaid, attempt_move).is_err());
}
