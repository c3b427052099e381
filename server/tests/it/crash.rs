//! Crash test of the pay flow (issue 5). The real `ecm-server` binary runs as its own process and
//! is killed with SIGKILL at random moments while providers pay through the real MyPay simulator
//! (`mypay-simulator`, also its own process, up across the kills). After the last restart every
//! cart still open in MyPay reaches a final answer (paid or expired) and the reconciler must close
//! every attempt within a bounded horizon. Then the payment invariants are checked on the
//! database and against the carts the simulator received.
//!
//! The same kills hit the mail worker: the trial's mail (verification at registration, payment
//! verified) goes to a real SMTP sink whose answers are slow, so a kill often lands while a
//! message is on the wire. Every mail must leave the outbox as SENT, reach the sink, and arrive
//! no more often than it was tried (`check_mail`).
//!
//! Run by `scripts/crash-test.sh [TRIALS]` (ignored by a plain `cargo test`). Variables:
//! `CRASH_TRIALS` (default 4); `CRASH_SEED` (default: from the clock; printed, so a run can be
//! repeated as far as timing allows); `CRASH_KEEP=1` keeps the logs of passed trials too. With
//! `ECM_TEST_POSTGRES_URL`, odd trials run on a fresh PostgreSQL database, even ones on SQLite.

use crate::support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::db::{format_utc, new_id, now_utc, Db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::Value;
use server::mail_sink::{Fault, MailSink, ReceivedMail, SinkConfig};
use sqlx::Row;
use support::process::{base_env, free_port, Process};
use support::{fiscal_code, Backend, Portal, TestDb, SIM_COD_IPA, SIM_PASSWORD};

/// Providers paying at once in one trial, and browser tabs per provider.
const PROVIDERS: usize = 3;
const TABS_PER_PROVIDER: usize = 2;
/// After the last restart, how long the reconciler may take to close every attempt.
const HORIZON: Duration = Duration::from_secs(60);
/// The reconciler of the crash test runs every second with a short back-off and short leases,
/// so that a killed instance's claims expire quickly (production settings, other values). The
/// lease stays above twice the MyPay timeout, as the README asks.
/// The mail worker of the trial: quick passes and retries, a short lease so that a claim of a
/// killed server expires within the horizon (above the SMTP timeout, as the settings require).
const MAIL_SETTINGS: &[(&str, &str)] = &[
    ("ECM_MAIL_INTERVAL_SECONDS", "1"),
    ("ECM_MAIL_BACKOFF_MIN_SECONDS", "1"),
    ("ECM_MAIL_BACKOFF_MAX_SECONDS", "2"),
    ("ECM_SMTP_TIMEOUT_SECONDS", "2"),
    ("ECM_MAIL_LEASE_SECONDS", "3"),
];

const RECONCILER_SETTINGS: &[(&str, &str)] = &[
    ("ECM_MYPAY_TIMEOUT_SECONDS", "2"),
    // Every flow registers from 127.0.0.1.
    ("ECM_REGISTRATIONS_PER_ADDRESS", "10000"),
    // Every verification asks MyPay: this test is about kills, the interval has its own test.
    ("ECM_VERIFY_MIN_INTERVAL_SECONDS", "0"),
    ("ECM_RECONCILER_INTERVAL_SECONDS", "1"),
    ("ECM_RECONCILER_BACKOFF_MIN_SECONDS", "1"),
    ("ECM_RECONCILER_BACKOFF_MAX_SECONDS", "2"),
    ("ECM_RECONCILER_CONCURRENCY", "8"),
    ("ECM_RECONCILER_RATE_PER_SECOND", "100"),
    ("ECM_RECONCILER_LEASE_SECONDS", "5"),
];

// ---- the portal over HTTP -------------------------------------------------------------------

struct Remote {
    base: String,
}

impl Portal for Remote {
    fn base_url(&self) -> &str {
        &self.base
    }
}

/// A server-function call that may fail because the server is being killed.
async fn try_call(
    client: &reqwest::Client,
    base: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Result<(StatusCode, Value), String> {
    let response = client
        .post(format!("{base}/api/{endpoint}"))
        .header("Accept", "application/json")
        .form(form)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::String(body))))
}

// ---- one trial ------------------------------------------------------------------------------

/// What the browsers saw during the chaos, shared by the tabs.
#[derive(Default)]
struct Seen {
    /// Every MyPay URL a browser received, by idempotency key.
    delivered: HashMap<String, String>,
    /// Invariants broken while the flows ran (checked again at the end on the database).
    violations: Vec<String>,
    /// Internal errors (HTTP 500) answered to a browser.
    internal_errors: u64,
}

struct Trial {
    portal: String,
    sim: String,
    http: reqwest::Client,
    stop: AtomicBool,
    seen: Mutex<Seen>,
    pays: AtomicU64,
    notices: AtomicU64,
}

impl Trial {
    /// "Genera l'avviso pagoPA" for one debt, as the browser posts it.
    async fn notice(&self, client: &reqwest::Client, key: &str, debt: &str) -> Result<(StatusCode, Value), String> {
        self.notices.fetch_add(1, Ordering::Relaxed);
        let args = [("idempotency_key", key), ("debt", debt), ("payer_email", "ragioneria@example.it")];
        self.call(client, "payments/notice", &args).await
    }

    /// A server function of the portal; an internal error is counted.
    async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        args: &[(&str, &str)],
    ) -> Result<(StatusCode, Value), String> {
        let answer = try_call(client, &self.portal, endpoint, args).await?;
        if answer.0 == StatusCode::INTERNAL_SERVER_ERROR {
            self.seen.lock().unwrap().internal_errors += 1;
        }
        Ok(answer)
    }

    /// MyPay's debt positions (notices), as its admin API lists them.
    async fn positions(&self) -> Vec<Value> {
        let response = self.http.get(format!("{}/admin/avvisi", self.sim)).send().await.expect("the simulator answers");
        response.json().await.expect("positions as JSON")
    }

    /// Somebody pays a notice at a PSP (home banking, a tobacconist): no session, no portal.
    async fn pay_at_psp(&self, iuv: &str) -> StatusCode {
        self.http
            .post(format!("{}/admin/avvisi/{iuv}/pay-at-psp", self.sim))
            .send()
            .await
            .expect("the simulator answers")
            .status()
    }

    /// What a provider does with a notice shown on the cart page: its accounting office pays it
    /// at a PSP, or the provider cancels it to pay online, or nothing yet.
    async fn act_on_notice(&self, client: &reqwest::Client, notice: &Value, rng: &mut StdRng) {
        let (Some(number), Some(attempt)) = (notice["notice_number"].as_str(), notice["attempt_id"].as_str()) else {
            return;
        };
        let roll: f64 = rng.gen();
        if roll < 0.4 {
            let _ = self.pay_at_psp(&number[1..]).await;
        } else if roll < 0.7 {
            let _ = self.call(client, "payments/notice_cancel", &[("attempt", attempt)]).await;
        }
    }

    fn violation(&self, text: String) {
        eprintln!("VIOLATION: {text}");
        self.seen.lock().unwrap().violations.push(text);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// "Paga con pagoPA" with this key and these debts, as the browser posts it.
    async fn pay(&self, client: &reqwest::Client, key: &str, ids: &str) -> Result<(StatusCode, Value), String> {
        self.pays.fetch_add(1, Ordering::Relaxed);
        let args = [("idempotency_key", key), ("debts", ids), ("payer_email", "tesoreria@example.it")];
        let answer = self.call(client, "payments/pay", &args).await?;
        if let Some(url) = answer.1["Redirect"]["url"].as_str() {
            let mut seen = self.seen.lock().unwrap();
            match seen.delivered.get(key) {
                Some(first) if first != url => {
                    let text = format!("key {key} answered with two MyPay URLs: {first} then {url}");
                    drop(seen);
                    self.violation(text);
                }
                Some(_) => {}
                None => {
                    seen.delivered.insert(key.to_string(), url.to_string());
                }
            }
        }
        Ok(answer)
    }

    async fn sessions(&self) -> Vec<Value> {
        let response =
            self.http.get(format!("{}/admin/sessions", self.sim)).send().await.expect("the simulator answers");
        response.json().await.expect("sessions as JSON")
    }

    async fn session_of_url(&self, url: &str) -> Option<Value> {
        self.sessions().await.into_iter().find(|s| s["landing_url"] == url)
    }

    async fn admin(&self, id_session: &str, action: &str) -> StatusCode {
        self.http
            .post(format!("{}/admin/sessions/{id_session}/{action}", self.sim))
            .send()
            .await
            .expect("the simulator answers")
            .status()
    }

    /// A press on the landing page's button; the return URL's `idSession` and `esito`, if any.
    async fn landing(&self, url: &str, azione: &str) -> Option<(String, String)> {
        url.split_once("id=")?;
        let response = crate::mypay_support::press_on_landing(&self.http, &self.sim, url, azione).await;
        let location = response.headers().get("location")?.to_str().ok()?.to_string();
        let query = location.split_once('?')?.1;
        let param = |name: &str| query.split('&').find_map(|p| p.strip_prefix(&format!("{name}="))).map(str::to_string);
        Some((param("idSession")?, param("esito")?))
    }

    /// The return page: the portal verifies the session with MyPay.
    async fn verify(&self, client: &reqwest::Client, id_session: &str, esito: &str) -> Option<Value> {
        match try_call(client, &self.portal, "payments/verify", &[("id_session", id_session), ("esito", esito)]).await {
            Ok((StatusCode::OK, attempt)) => Some(attempt),
            Ok((StatusCode::INTERNAL_SERVER_ERROR, _)) => {
                self.seen.lock().unwrap().internal_errors += 1;
                None
            }
            _ => None,
        }
    }

    /// What the citizen does with a cart once the browser is on MyPay. False when the cart is
    /// left alone for now (the tab comes back to it later).
    async fn act_on_cart(&self, client: &reqwest::Client, url: &str, rng: &mut StdRng) -> bool {
        let roll: f64 = rng.gen();
        if roll < 0.30 {
            // Pays and comes back: the return page must find it paid.
            if let Some((id_session, esito)) = self.landing(url, "paga").await {
                if let Some(attempt) = self.verify(client, &id_session, &esito).await {
                    if attempt["state"] != "Pagata" {
                        self.violation(format!(
                            "session {id_session} paid, verified on return, attempt {}",
                            attempt["state"]
                        ));
                    }
                }
            }
        } else if roll < 0.45 {
            // Pays and closes the tab (the simulator's admin API: receipt without a return).
            if let Some(session) = self.session_of_url(url).await.filter(|s| s["phase"] == "cached") {
                let _ = self.admin(session["id_session"].as_str().unwrap(), "pay").await;
            }
        } else if roll < 0.55 {
            // Pays on the landing page, the return never reaches the portal.
            let _ = self.landing(url, "paga").await;
        } else if roll < 0.80 {
            // Cancels and comes back: the debts are free again for a new cart.
            if let Some((id_session, esito)) = self.landing(url, "annulla").await {
                self.verify(client, &id_session, &esito).await;
            }
        } else if roll < 0.85 {
            // pagoPA error: legacy MyPay keeps the cart "in progress" until an RT arrives.
            if let Some((id_session, esito)) = self.landing(url, "errore").await {
                self.verify(client, &id_session, &esito).await;
            }
        } else {
            // The citizen leaves the cart alone (abandoned, or paid later).
            return false;
        }
        true
    }

    /// One browser tab of a provider: loads the cart page and pays, again and again, with
    /// double clicks, replays of the same key after errors, and new keys.
    async fn tab(self: Arc<Self>, client: reqwest::Client, mut rng: StdRng) {
        let mut resubmit: Option<(String, String)> = None;
        // MyPay pages this tab left open: when nothing is left to pay, it goes back to one.
        let mut left_open: Vec<String> = Vec::new();
        while !self.stopped() {
            let (key, ids) = match resubmit.take() {
                Some(again) => again,
                None => {
                    let page = match try_call(&client, &self.portal, "payments/page", &[]).await {
                        Ok((StatusCode::OK, page)) => page,
                        _ => {
                            tokio::time::sleep(Duration::from_millis(rng.gen_range(20..120))).await;
                            continue;
                        }
                    };
                    let notices = page["notices"].as_array().cloned().unwrap_or_default();
                    if !notices.is_empty() && rng.gen_bool(0.3) {
                        let notice = &notices[rng.gen_range(0..notices.len())];
                        self.act_on_notice(&client, notice, &mut rng).await;
                        continue;
                    }
                    let carts = page["carts"].as_array().cloned().unwrap_or_default();
                    if !carts.is_empty() && rng.gen_bool(0.2) {
                        // Pay later: a notice for one debt, sometimes with a double click, and
                        // the same form again when the server died under the click.
                        let cart = carts[rng.gen_range(0..carts.len())].as_array().cloned().unwrap_or_default();
                        let Some(debt) = cart.first().and_then(|d| d["id"].as_str()).map(String::from) else {
                            continue;
                        };
                        let key = page["notice_key"].as_str().unwrap_or_default().to_string();
                        for _ in 0..3 {
                            let answers = if rng.gen_bool(0.2) {
                                let (a, b) =
                                    tokio::join!(self.notice(&client, &key, &debt), self.notice(&client, &key, &debt));
                                vec![a, b]
                            } else {
                                vec![self.notice(&client, &key, &debt).await]
                            };
                            if answers.iter().all(Result::is_ok) || !rng.gen_bool(0.7) {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(rng.gen_range(30..300))).await;
                        }
                        continue;
                    }
                    if carts.is_empty() {
                        if !left_open.is_empty() {
                            let url = left_open.swap_remove(rng.gen_range(0..left_open.len()));
                            if !self.act_on_cart(&client, &url, &mut rng).await {
                                left_open.push(url);
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(rng.gen_range(20..100))).await;
                        continue;
                    }
                    let cart = carts[rng.gen_range(0..carts.len())].as_array().cloned().unwrap_or_default();
                    let mut ids: Vec<String> = cart.iter().filter_map(|d| d["id"].as_str().map(String::from)).collect();
                    if ids.len() > 1 && rng.gen_bool(0.2) {
                        ids.truncate(rng.gen_range(1..ids.len()));
                    }
                    (page["idempotency_key"].as_str().unwrap_or_default().to_string(), ids.join(","))
                }
            };
            let answers = if rng.gen_bool(0.2) {
                let (a, b) = tokio::join!(self.pay(&client, &key, &ids), self.pay(&client, &key, &ids));
                vec![a, b]
            } else {
                vec![self.pay(&client, &key, &ids).await]
            };
            let url = answers
                .iter()
                .find_map(|a| a.as_ref().ok().and_then(|(_, v)| v["Redirect"]["url"].as_str().map(String::from)));
            if answers.iter().any(Result::is_err) && url.is_none() && rng.gen_bool(0.7) {
                // The server died under the click: the browser submits the same form again.
                resubmit = Some((key.clone(), ids.clone()));
                tokio::time::sleep(Duration::from_millis(rng.gen_range(30..300))).await;
                continue;
            }
            if let Some(url) = url {
                if rng.gen_bool(0.25) {
                    // Back button and the same form again: the stored answer, never a new cart.
                    let _ = self.pay(&client, &key, &ids).await;
                }
                if !self.act_on_cart(&client, &url, &mut rng).await {
                    left_open.push(url);
                }
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..80))).await;
        }
    }
}

/// Counts of one trial, summed over the run.
#[derive(Default, Debug, Clone, Copy)]
struct Stats {
    trials: u64,
    sqlite: u64,
    postgres: u64,
    kills: u64,
    pays: u64,
    notice_calls: u64,
    notices_paid: u64,
    carts: u64,
    paid: u64,
    orphaned_sends: u64,
    internal_errors: u64,
    max_reconcile: Duration,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.trials += other.trials;
        self.sqlite += other.sqlite;
        self.postgres += other.postgres;
        self.kills += other.kills;
        self.pays += other.pays;
        self.notice_calls += other.notice_calls;
        self.notices_paid += other.notices_paid;
        self.carts += other.carts;
        self.paid += other.paid;
        self.orphaned_sends += other.orphaned_sends;
        self.internal_errors += other.internal_errors;
        self.max_reconcile = self.max_reconcile.max(other.max_reconcile);
    }
}

async fn setup_providers(portal: &Remote, db: &Db, rng: &mut StdRng) -> Vec<reqwest::Client> {
    let mut clients = Vec::new();
    for n in 0..PROVIDERS {
        let cf = fiscal_code(&format!("{:010}", rng.gen_range(1_000_000_000u64..9_999_999_999)));
        let email = format!("p{n}-{}@provider.it", &new_id()[..8]);
        let client =
            support::provider_with_draft(portal, &email, &format!("Provider di prova {n}"), &cf, "SOCIETA_SCIENTIFICA")
                .await;
        support::upload_required_documents(portal, &client).await;
        // The cart page creates the request's annual fee (Gruppo B: € 258.22).
        let (status, page) = try_call(&client, &portal.base, "payments/page", &[]).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{page}");
        clients.push(client);
    }
    // Per-event contributions as well, so that carts hold several debts and some providers need two carts.
    add_debts(db, 3, rng).await;
    clients
}

/// Up to `max` new per-event contributions (DA_PAGARE) for each provider, as the portal's event
/// features would create them.
async fn add_debts(db: &Db, max: u32, rng: &mut StdRng) {
    let providers: Vec<String> = sqlx::query("SELECT id FROM providers")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("id"))
        .collect();
    let tariffs =
        [("t-ev-b-res", 25822i64), ("t-ev-b-fad", 150000), ("t-ev-b-res-ns", 17215), ("t-ev-b-fad-ns", 100000)];
    for provider in providers {
        for _ in 0..rng.gen_range(0..=max) {
            let (tariff, cents) = tariffs[rng.gen_range(0..tariffs.len())];
            sqlx::query(
                "INSERT INTO debts (id, provider_id, request_id, fee_kind, tariff_id, causale, amount_cents, due_date, state, created_at, updated_at)
                 VALUES ($1, $2, NULL, 'CONTRIBUTO_EVENTO', $3, $4, $5, NULL, 'DA_PAGARE', $6, $6)",
            )
            .bind(new_id())
            .bind(&provider)
            .bind(tariff)
            .bind(format!("Contributo evento ECM n. {}", rng.gen_range(1..1000)))
            .bind(cents)
            .bind(now_utc())
            .execute(db.pool())
            .await
            .unwrap();
        }
    }
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(db.pool()).await.unwrap().get::<i64, _>(0)
}

/// Gives every cart still open in MyPay its final answer (paid, for some whose URL a browser
/// got; expired for the others), once per cart. Returns how many attempts were found with a send
/// that never got its answer (CREATA without idSession): they hold their debts until a
/// send still in flight is over (`UNSENT_GRACE`, 5 minutes) and the portal has no clock to move,
/// so they are made that old here.
async fn settle(trial: &Trial, db: &Db, settled: &mut HashSet<String>, rng: &mut StdRng) -> u64 {
    let delivered: BTreeSet<String> = trial.seen.lock().unwrap().delivered.values().cloned().collect();
    for session in trial.sessions().await {
        let id_session = session["id_session"].as_str().unwrap();
        let phase = session["phase"].as_str().unwrap();
        if !(phase == "cached" || phase == "checked_out") || settled.contains(id_session) {
            continue;
        }
        let action =
            if phase == "cached" && delivered.contains(session["landing_url"].as_str().unwrap()) && rng.gen_bool(0.3) {
                "pay"
            } else {
                "expire"
            };
        assert_eq!(trial.admin(id_session, action).await, StatusCode::NO_CONTENT, "{action} {id_session}");
        settled.insert(id_session.to_string());
    }
    // Every notice shown to a provider gets paid at a PSP in the end (a notice has no expiry);
    // a position whose IUV the portal never stored (an import whose answer was lost) was never
    // shown to anyone: nobody can pay it, the portal's recovery must cancel it.
    let shown: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT iuv FROM payment_attempts WHERE kind = 'AVVISO' AND iuv IS NOT NULL")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    for position in trial.positions().await {
        let iuv = position["iuv"].as_str().unwrap_or_default();
        if position["state"] == "open" && shown.contains(iuv) {
            let _ = trial.pay_at_psp(iuv).await;
        }
    }
    let aged =
        format_utc(time::OffsetDateTime::now_utc() - app::payments::service::UNSENT_GRACE - time::Duration::minutes(1));
    sqlx::query(
        "UPDATE payment_attempts SET created_at = $1 WHERE state = 'CREATA' AND id_session IS NULL AND created_at > $1",
    )
    .bind(&aged)
    .execute(db.pool())
    .await
    .unwrap()
    .rows_affected()
}

struct AttemptRow {
    id: String,
    key: String,
    kind: String,
    iuv: Option<String>,
    state: String,
    id_session: Option<String>,
    created_at: String,
}

/// The mail invariants: no notification lost (every row SENT, and the sink got it), none sent
/// more often than it was tried (a row confirmed as SENT is never claimed again), and no more
/// messages delivered twice than the server was killed (a kill costs at most the one message in
/// flight; without a kill nothing goes out twice).
async fn check_mail(db: &Db, received: &[ReceivedMail], sigkills: usize) -> Vec<String> {
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, state, tries FROM mail_outbox").fetch_all(db.pool()).await.expect("the outbox");
    let mut broken = Vec::new();
    if rows.is_empty() {
        broken.push("no mail was written: the trial proves nothing about mail".to_string());
    }
    let twice = rows
        .iter()
        .filter(|(id, _, _)| {
            received.iter().filter(|m| m.message_id.as_deref() == Some(format!("{id}@localhost").as_str())).count() > 1
        })
        .count();
    println!(
        "  mail: {} written, {} received, {twice} delivered more than once, {sigkills} kills",
        rows.len(),
        received.len()
    );
    if twice > sigkills {
        broken.push(format!("{twice} mails delivered more than once, but the server was killed only {sigkills} times"));
    }
    for (id, state, tries) in rows {
        let copies =
            received.iter().filter(|m| m.message_id.as_deref() == Some(format!("{id}@localhost").as_str())).count()
                as i64;
        if state != "SENT" {
            broken.push(format!("mail {id} ended {state} after {tries} tries (lost?)"));
        }
        if state == "SENT" && copies == 0 {
            broken.push(format!("mail {id} is SENT but the SMTP server never got it"));
        }
        if copies > tries {
            broken.push(format!(
                "mail {id} arrived {copies} times but was tried {tries} times: a confirmed mail went out again"
            ));
        }
    }
    broken
}

/// The invariants of issue 5, on the database and against the simulator's carts. Every broken
/// rule is described; an empty list means the trial passed.
async fn check_invariants(
    db: &Db,
    sessions: &[Value],
    positions: &[Value],
    delivered: &HashMap<String, String>,
) -> Vec<String> {
    let mut broken = Vec::new();
    let attempts: BTreeMap<String, AttemptRow> =
        sqlx::query("SELECT id, idempotency_key, kind, iuv, state, id_session, created_at FROM payment_attempts")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                let a = AttemptRow {
                    id: r.get("id"),
                    key: r.get("idempotency_key"),
                    kind: r.get("kind"),
                    iuv: r.get("iuv"),
                    state: r.get("state"),
                    id_session: r.get("id_session"),
                    created_at: r.get("created_at"),
                };
                (a.id.clone(), a)
            })
            .collect();
    // (attempt, debt, iud, live_debt_id)
    let lines: Vec<(String, String, String, Option<String>)> =
        sqlx::query("SELECT attempt_id, debt_id, iud, live_debt_id FROM attempt_debts")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("attempt_id"), r.get("debt_id"), r.get("iud"), r.get("live_debt_id")))
            .collect();
    // debt → (state, paid_attempt_id)
    let debts: BTreeMap<String, (String, Option<String>)> = sqlx::query("SELECT id, state, paid_attempt_id FROM debts")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), (r.get("state"), r.get("paid_attempt_id"))))
        .collect();
    // attempt → when it became PAGATA
    let paid_at: HashMap<String, String> =
        sqlx::query("SELECT attempt_id, at FROM payment_events WHERE to_state = 'PAGATA'")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("attempt_id"), r.get("at")))
            .collect();

    // Nothing open past the horizon, nothing anomalous, every payment with its receipt.
    for a in attempts.values() {
        if matches!(a.state.as_str(), "CREATA" | "INVIATA" | "IN_ATTESA" | "ANOMALIA") {
            broken.push(format!("attempt {} is still {} (idSession {:?})", a.id, a.state, a.id_session));
        }
    }
    for (id, (state, _)) in &debts {
        if state == "IN_CORSO" {
            broken.push(format!("debt {id} is still IN_CORSO"));
        }
    }
    // A claim (live_debt_id) only for open attempts: after quiescence, none at all.
    let mut live: HashMap<&str, u32> = HashMap::new();
    for (attempt, debt, _, live_id) in &lines {
        if let Some(live_id) = live_id {
            *live.entry(live_id.as_str()).or_default() += 1;
            let state = attempts.get(attempt).map_or("?", |a| a.state.as_str());
            if !matches!(state, "CREATA" | "INVIATA" | "IN_ATTESA" | "ANOMALIA") {
                broken.push(format!("debt {debt} still claimed by closed attempt {attempt} ({state})"));
            }
        }
    }
    for (debt, n) in live {
        if n > 1 {
            broken.push(format!("debt {debt} belongs to {n} live attempts"));
        }
    }
    // PAGATO by exactly one PAGATA attempt, the one recorded on the debt.
    let mut payers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut attempt_debts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (attempt, debt, _, _) in &lines {
        attempt_debts.entry(attempt.as_str()).or_default().push(debt.as_str());
        if attempts.get(attempt).is_some_and(|a| a.state == "PAGATA") {
            payers.entry(debt.as_str()).or_default().push(attempt.as_str());
        }
    }
    for (debt, (state, paid_by)) in &debts {
        let by = payers.get(debt.as_str()).cloned().unwrap_or_default();
        match (state.as_str(), by.as_slice()) {
            ("PAGATO", [one]) if paid_by.as_deref() == Some(*one) => {}
            ("PAGATO", _) => {
                broken.push(format!("debt {debt} PAGATO (recorded attempt {paid_by:?}) by PAGATA attempts {by:?}"))
            }
            (_, []) => {}
            (state, _) => broken.push(format!("debt {debt} is {state} but PAGATA attempts {by:?} contain it")),
        }
    }
    // No paid debt asked for again (portal side): no attempt created after the payment was recorded.
    for (debt, by) in &payers {
        let Some(when) = by.first().and_then(|p| paid_at.get(*p)) else { continue };
        for (attempt, d, _, _) in &lines {
            if d == debt && !by.contains(&attempt.as_str()) && attempts[attempt].created_at > *when {
                broken.push(format!("debt {debt} paid at {when} was asked for again by attempt {attempt}"));
            }
        }
    }

    // The simulator's carts: each one is exactly one attempt's lines; one cart per attempt.
    let by_iud: HashMap<&str, (&str, &str)> =
        lines.iter().map(|(a, d, iud, _)| (iud.as_str(), (a.as_str(), d.as_str()))).collect();
    let mut carts_of_attempt: HashMap<&str, Vec<&str>> = HashMap::new();
    // debt → the phases of the carts that held it, in the order MyPay received them
    let mut carts_of_debt: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for session in sessions {
        let id_session = session["id_session"].as_str().unwrap();
        let phase = session["phase"].as_str().unwrap();
        let iuds: Vec<&str> = session["iuds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let owners: BTreeSet<&str> = iuds.iter().filter_map(|iud| by_iud.get(iud).map(|(a, _)| *a)).collect();
        let unknown: Vec<&&str> = iuds.iter().filter(|iud| !by_iud.contains_key(**iud)).collect();
        if !unknown.is_empty() || owners.len() != 1 {
            broken.push(format!(
                "cart {id_session} holds IUDs {unknown:?} unknown to the portal or of several attempts {owners:?}"
            ));
            continue;
        }
        let attempt = *owners.iter().next().unwrap();
        let row = &attempts[attempt];
        carts_of_attempt.entry(attempt).or_default().push(id_session);
        if iuds.len() != attempt_debts[attempt].len() {
            broken.push(format!(
                "cart {id_session} has {} lines, attempt {attempt} {}",
                iuds.len(),
                attempt_debts[attempt].len()
            ));
        }
        for iud in &iuds {
            carts_of_debt.entry(by_iud[iud].1).or_default().push((id_session, phase));
        }
        if let Some(own) = &row.id_session {
            if own != id_session {
                broken.push(format!(
                    "attempt {attempt} records idSession {own} but MyPay also has its cart {id_session}"
                ));
            }
        }
        // Every cart paid in MyPay is PAGATA in the portal, under its own idSession.
        match (phase, row.state.as_str()) {
            ("final_0", "PAGATA") if row.id_session.as_deref() == Some(id_session) => {}
            ("final_0", state) => broken
                .push(format!("cart {id_session} paid in MyPay, attempt {attempt} is {state} ({:?})", row.id_session)),
            (phase, "PAGATA") => {
                broken.push(format!("attempt {attempt} PAGATA but its cart {id_session} is {phase} in MyPay"))
            }
            _ => {}
        }
    }
    for (attempt, carts) in &carts_of_attempt {
        if carts.len() > 1 {
            broken.push(format!("attempt {attempt} sent {} carts: {carts:?}", carts.len()));
        }
    }
    for a in attempts.values().filter(|a| a.kind == "CARRELLO") {
        if a.state == "PAGATA" && !carts_of_attempt.contains_key(a.id.as_str()) {
            broken.push(format!("attempt {} PAGATA without a cart in MyPay", a.id));
        }
    }
    // No paid debt asked for again (MyPay side): no cart after the paid one holds it, one payment per debt.
    for (debt, carts) in &carts_of_debt {
        if let Some(paid) = carts.iter().position(|(_, phase)| *phase == "final_0") {
            if paid + 1 < carts.len() {
                broken.push(format!("debt {debt} was sent to MyPay again after it was paid: {carts:?}"));
            }
        }
    }
    // The notices in MyPay: each one an IUD of a notice attempt; per IUD at most one position
    // not cancelled (never two live notices for one debt); none left open; a paid one is the
    // stored notice of a PAGATA attempt, and every PAGATA notice attempt was paid in MyPay.
    let mut live_positions: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for position in positions {
        let iud = position["iud"].as_str().unwrap_or_default();
        let iuv = position["iuv"].as_str().unwrap_or_default();
        let state = position["state"].as_str().unwrap_or_default();
        let Some((attempt, _)) = by_iud.get(iud) else {
            broken.push(format!("MyPay holds notice {iuv} under IUD {iud} unknown to the portal"));
            continue;
        };
        let row = &attempts[*attempt];
        if row.kind != "AVVISO" {
            broken.push(format!("MyPay holds a notice under IUD {iud} of cart attempt {attempt}"));
        }
        if state != "cancelled" {
            live_positions.entry(iud).or_default().push((iuv, state));
        }
        match state {
            "open" | "in_payment" => {
                broken.push(format!("notice {iuv} of attempt {attempt} is still {state} in MyPay"))
            }
            "paid_pagopa" if row.state == "PAGATA" && row.iuv.as_deref() == Some(iuv) => {}
            "paid_pagopa" => broken
                .push(format!("notice {iuv} paid in MyPay, attempt {attempt} is {} with IUV {:?}", row.state, row.iuv)),
            _ => {}
        }
    }
    for (iud, live) in &live_positions {
        if live.len() > 1 {
            broken.push(format!("IUD {iud} has {} live notices in MyPay: {live:?}", live.len()));
        }
    }
    for a in attempts.values().filter(|a| a.kind == "AVVISO" && a.state == "PAGATA") {
        let paid = positions.iter().any(|p| p["state"] == "paid_pagopa" && p["iuv"].as_str() == a.iuv.as_deref());
        if !paid {
            broken.push(format!("notice attempt {} PAGATA (IUV {:?}) without a paid notice in MyPay", a.id, a.iuv));
        }
    }
    // The same key always led to the same cart: every URL a browser got is its key's attempt's cart.
    let key_of: HashMap<&str, &str> = attempts.values().map(|a| (a.id.as_str(), a.key.as_str())).collect();
    for (key, url) in delivered {
        let Some(session) = sessions.iter().find(|s| s["landing_url"] == url.as_str()) else {
            broken.push(format!("URL {url} given for key {key} is no cart of MyPay"));
            continue;
        };
        let first = session["iuds"][0].as_str().unwrap_or_default();
        let attempt = by_iud.get(first).map(|(a, _)| *a);
        if attempt.and_then(|a| key_of.get(a)) != Some(&key.as_str()) {
            broken.push(format!("URL {url} given for key {key} belongs to attempt {attempt:?}"));
        }
    }
    broken
}

async fn run_trial(number: u64, backend: Backend, seed: u64, workdir: &Path) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = workdir.join(format!("trial-{number:03}"));
    std::fs::create_dir_all(&dir).unwrap();
    let db = TestDb::create(backend).await.expect("the database of the trial");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The mail of the trial (verification at registration, payment verified) goes to a real SMTP
    // sink in this process; its answers are slow, so that kills land while mail is on the wire.
    // Started first: its port 0 cannot then take a port picked below for the simulator or portal.
    let sink = MailSink::start(SinkConfig { smtp_addr: "127.0.0.1:0".parse().unwrap(), http_addr: None, dir: None })
        .expect("the sink starts");
    sink.set_fault(Fault::Slow { delay_ms: 150, count: u32::MAX });
    let smtp_url = format!("smtp://{}?tls=none", sink.smtp_addr());

    // The simulator: up for the whole trial.
    let sim_port = free_port();
    let sim_base = format!("http://127.0.0.1:{sim_port}");
    let mut simulator = Process::new(
        workdir.join("bin/mypay-simulator"),
        vec![
            "--addr".into(),
            format!("127.0.0.1:{sim_port}"),
            "--xsd-dir".into(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../xsd").into(),
        ],
        base_env(),
        &dir,
        "simulator.log",
    );
    simulator.spawn();
    simulator.wait_ready(&http, &format!("{sim_base}/ws/pa/PagamentiTelematiciDovutiPagati.wsdl")).await;

    // The portal: killed and restarted on the same address and database.
    let port = free_port();
    let portal = format!("http://127.0.0.1:{port}");
    let mut envs = base_env();
    envs.extend(
        [
            ("DATABASE_URL", db.url.as_str()),
            ("LEPTOS_SITE_ADDR", &format!("127.0.0.1:{port}")),
            ("ECM_PUBLIC_URL", portal.as_str()),
            ("ECM_MYPAY_ENDPOINT", &format!("{sim_base}/ws/pa/PagamentiTelematiciDovutiPagati")),
            ("ECM_MYPAY_COD_IPA_ENTE", SIM_COD_IPA),
            ("ECM_MYPAY_PASSWORD", SIM_PASSWORD),
        ]
        .iter()
        .chain(RECONCILER_SETTINGS)
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    envs.extend(
        [("ECM_SMTP_URL", smtp_url.as_str())].iter().chain(MAIL_SETTINGS).map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mut server = Process::new(workdir.join("bin/ecm-server"), vec![], envs, &dir, "server.log");
    let health = format!("{portal}/healthz");
    server.spawn();
    server.wait_ready(&http, &health).await;

    let remote = Remote { base: portal.clone() };
    let check_db = Db::connect(&db.url).await.expect("the trial database answers the test");
    let clients = setup_providers(&remote, &check_db, &mut rng).await;

    // Chaos: every provider pays in two tabs while the server is killed 1–3 times.
    let trial = Arc::new(Trial {
        portal: portal.clone(),
        sim: sim_base.clone(),
        http: http.clone(),
        stop: AtomicBool::new(false),
        seen: Mutex::new(Seen::default()),
        pays: AtomicU64::new(0),
        notices: AtomicU64::new(0),
    });
    // New fees keep falling due (a provider's events), so the tabs always have something to pay.
    let feeder = tokio::spawn({
        let (db, trial, mut rng) = (check_db.clone(), trial.clone(), StdRng::seed_from_u64(rng.gen()));
        async move {
            while !trial.stopped() {
                tokio::time::sleep(Duration::from_millis(rng.gen_range(50..250))).await;
                add_debts(&db, 1, &mut rng).await;
            }
        }
    });
    let mut tabs = Vec::new();
    for client in &clients {
        for _ in 0..TABS_PER_PROVIDER {
            tabs.push(tokio::spawn(trial.clone().tab(client.clone(), StdRng::seed_from_u64(rng.gen()))));
        }
    }
    let kills = rng.gen_range(1..=3u64);
    // Every SIGKILL of the trial: each can leave at most one mail in flight.
    let mut sigkills = 0usize;
    for _ in 0..kills {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..1500))).await;
        server.sigkill();
        sigkills += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..400))).await;
        server.spawn();
        if rng.gen_bool(0.15) {
            // Killed again while starting (migrations, first reconciler pass).
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..150))).await;
            server.sigkill();
            sigkills += 1;
            server.spawn();
        }
        server.wait_ready(&http, &health).await;
    }
    tokio::time::sleep(Duration::from_millis(rng.gen_range(200..1000))).await;
    // The citizens leave: tabs still waiting for an answer are closed (the server may go on with
    // their requests, as with a real closed tab).
    trial.stop.store(true, Ordering::Relaxed);
    let closing = Instant::now();
    while tabs.iter().any(|t| !t.is_finished()) && closing.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for tab in &tabs {
        tab.abort();
    }
    feeder.await.expect("the debt feeder");
    for tab in tabs {
        if let Err(e) = tab.await {
            assert!(e.is_cancelled(), "a tab panicked: {e}");
        }
    }

    // Every cart still open in MyPay gets a final answer: some are paid now (the citizen paid
    // while the portal was down, or after the chaos), the others expire. Half of the time this
    // happens while the portal is down.
    let down = rng.gen_bool(0.5);
    if down {
        server.sigkill();
        sigkills += 1;
    }
    let mut settled = HashSet::new();
    let mut orphaned_sends = settle(&trial, &check_db, &mut settled, &mut rng).await;
    if down {
        server.spawn();
        server.wait_ready(&http, &health).await;
    }
    // Then the reconciler must close everything within the horizon.
    let started = Instant::now();
    let reconciled = loop {
        orphaned_sends += settle(&trial, &check_db, &mut settled, &mut rng).await;
        let open =
            count(&check_db, "SELECT COUNT(*) FROM payment_attempts WHERE state IN ('CREATA', 'INVIATA', 'IN_ATTESA')")
                .await;
        let in_corso = count(&check_db, "SELECT COUNT(*) FROM debts WHERE state = 'IN_CORSO'").await;
        let no_receipt =
            count(&check_db, "SELECT COUNT(*) FROM payment_attempts WHERE state = 'PAGATA' AND receipt IS NULL").await;
        if open == 0 && in_corso == 0 && no_receipt == 0 {
            break Ok(started.elapsed());
        }
        if started.elapsed() > HORIZON {
            break Err(format!(
                "after {} s still open: {open} attempts, {in_corso} debts IN_CORSO, {no_receipt} paid attempts without receipt",
                HORIZON.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Every mail leaves the outbox within the horizon (a claim of a killed server expires after
    // ECM_MAIL_LEASE_SECONDS), then the mail invariants are checked against what the sink got.
    let mail_started = Instant::now();
    while count(&check_db, "SELECT COUNT(*) FROM mail_outbox WHERE state = 'PENDING'").await > 0
        && mail_started.elapsed() < HORIZON
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mail_broken = check_mail(&check_db, &sink.messages(), sigkills).await;
    let sessions = trial.sessions().await;
    let (delivered, mut broken, internal_errors) = {
        let seen = trial.seen.lock().unwrap();
        (seen.delivered.clone(), seen.violations.clone(), seen.internal_errors)
    };
    if let Err(open) = &reconciled {
        broken.push(open.clone());
    }
    let positions = trial.positions().await;
    broken.extend(check_invariants(&check_db, &sessions, &positions, &delivered).await);
    let notices_paid = positions.iter().filter(|p| p["state"] == "paid_pagopa").count() as u64;
    broken.extend(mail_broken);
    let paid = sessions.iter().filter(|s| s["phase"] == "final_0").count() as u64;
    let reconcile_time = reconciled.clone().unwrap_or(HORIZON);
    println!(
        "trial {number} [{backend:?}] seed {seed}: {kills} kills, {} pay calls, {} notice calls, {notices_paid} notices paid, {} carts, \
         {paid} paid, {orphaned_sends} sends without answer, {internal_errors} internal errors, reconciled in {:.1} s",
        trial.pays.load(Ordering::Relaxed),
        trial.notices.load(Ordering::Relaxed),
        sessions.len(),
        reconcile_time.as_secs_f64()
    );
    if !broken.is_empty() {
        server.sigkill();
        simulator.sigkill();
        panic!(
            "trial {number} [{backend:?}] seed {seed}: {} invariant(s) broken (logs and database in {}):\n  {}",
            broken.len(),
            dir.display(),
            broken.join("\n  ")
        );
    }
    server.sigkill();
    simulator.sigkill();
    check_db.close().await;
    db.cleanup().await;
    if std::env::var_os("CRASH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Stats {
        trials: 1,
        sqlite: u64::from(backend == Backend::Sqlite),
        postgres: u64::from(backend == Backend::Postgres),
        kills,
        pays: trial.pays.load(Ordering::Relaxed),
        notice_calls: trial.notices.load(Ordering::Relaxed),
        notices_paid,
        carts: sessions.len() as u64,
        paid,
        orphaned_sends,
        internal_errors,
        max_reconcile: reconcile_time,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "SIGKILL crash test: run with scripts/crash-test.sh [TRIALS]"]
async fn sigkill_at_random_points_of_the_pay_flow_keeps_every_payment_invariant() {
    let trials: u64 = std::env::var("CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs());
    let postgres = std::env::var("ECM_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty());
    let workdir = std::env::temp_dir().join(format!("ecm-crash-{}", &new_id()[..8]));
    // The binaries cargo built for this test, copied once: every restart runs the same program
    // even if the target directory is rebuilt meanwhile (e.g. shared by several checkouts).
    std::fs::create_dir_all(workdir.join("bin")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_ecm-server"), workdir.join("bin/ecm-server")).unwrap();
    // The simulator is another package's binary (`cargo build -p mypay-simulator`, done by
    // scripts/crash-test.sh): CRASH_SIMULATOR_BIN, or beside ecm-server in the target directory.
    let simulator_bin = std::env::var_os("CRASH_SIMULATOR_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_BIN_EXE_ecm-server")).with_file_name("mypay-simulator"));
    std::fs::copy(&simulator_bin, workdir.join("bin/mypay-simulator")).unwrap_or_else(|e| {
        panic!("no simulator at {} ({e}): build it with `cargo build -p mypay-simulator`", simulator_bin.display())
    });
    println!(
        "crash test: {trials} trials, seed {seed}, SQLite{}, work folder {}",
        if postgres { " + PostgreSQL" } else { "" },
        workdir.display()
    );
    let started = Instant::now();
    let mut total = Stats::default();
    for n in 0..trials {
        let backend = if postgres && n % 2 == 1 { Backend::Postgres } else { Backend::Sqlite };
        let stats = run_trial(n + 1, backend, seed.wrapping_add(n), &workdir).await;
        total.add(&stats);
    }
    let _ = std::fs::remove_dir_all(workdir.join("bin"));
    let _ = std::fs::remove_dir(&workdir);
    println!(
        "crash test passed: {} trials ({} SQLite, {} PostgreSQL), {} kills, {} pay calls, {} notice calls, {} notices paid at a PSP, \
         {} carts sent, {} paid, {} sends without answer, {} internal errors, slowest reconciliation {:.1} s, {:.0} s in all",
        total.trials,
        total.sqlite,
        total.postgres,
        total.kills,
        total.pays,
        total.notice_calls,
        total.notices_paid,
        total.carts,
        total.paid,
        total.orphaned_sends,
        total.internal_errors,
        total.max_reconcile.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert!(total.carts > 0 && total.paid > 0, "the trials must send and pay carts to prove anything");
}
