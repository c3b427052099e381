//! Test support: a real portal on port 0 over a fresh database (a new SQLite file, or a new
//! PostgreSQL database when `ECM_TEST_POSTGRES_URL` is set), and helpers to call it.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use app::db::{new_id, Db};
use server::settings::Settings;
use server::web::leptos_options;
use server::Application;

pub mod process;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database of one backend; dropped again by [`TestDb::cleanup`].
pub struct TestDb {
    pub url: String,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    sqlite_dir: Option<std::path::PathBuf>,
}

impl TestDb {
    /// `None` when the backend is PostgreSQL and `ECM_TEST_POSTGRES_URL` is not set.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("ecm-test-{}", new_id()));
                std::fs::create_dir_all(&dir).unwrap();
                Some(TestDb {
                    url: format!("sqlite://{}/ecm.sqlite", dir.display()),
                    pg_admin_url: None,
                    pg_name: None,
                    sqlite_dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("ECM_TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty())?;
                let name = format!("ecm_test_{}", &new_id()[..16]);
                let admin = Db::connect(&admin_url).await.expect("ECM_TEST_POSTGRES_URL must answer");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(admin.pool())
                    .await
                    .unwrap();
                admin.close().await;
                let (base, _) = admin_url.rsplit_once('/').expect("postgres URL with a database name");
                Some(TestDb {
                    url: format!("{base}/{name}"),
                    pg_admin_url: Some(admin_url),
                    pg_name: Some(name),
                    sqlite_dir: None,
                })
            }
        }
    }

    pub async fn cleanup(self) {
        if let (Some(admin_url), Some(name)) = (&self.pg_admin_url, &self.pg_name) {
            if let Ok(admin) = Db::connect(admin_url).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(admin.pool())
                    .await;
                admin.close().await;
            }
        }
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub const ADMIN_EMAIL: &str = "segreteria@ecm.test";
pub const ADMIN_PASSWORD: &str = "Segreteria2026!";

/// A running portal and an HTTP client that keeps cookies.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub state: app::state::AppState,
    /// `GET /metrics`, when the test set `ECM_METRICS_ADDR`.
    pub metrics: Option<SocketAddr>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
        let db = TestDb::create(backend).await?;
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        vars.insert("DATABASE_URL".into(), db.url.clone());
        vars.insert("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into());
        vars.insert("ECM_ADMIN_EMAIL".into(), ADMIN_EMAIL.into());
        vars.insert("ECM_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into());
        // Every test registers from 127.0.0.1; the tests of the limit set their own.
        vars.insert("ECM_REGISTRATIONS_PER_ADDRESS".into(), "10000".into());
        // The race and random-walk tests upload far more than a provider would; the storage
        // limits have tests of their own (documents.rs).
        vars.insert("ECM_DOCUMENT_MAX_VERSIONS".into(), "10000".into());
        vars.insert("ECM_UPLOADS_PER_HOUR".into(), "10000".into());
        // Tests verify a payment right after acting on the simulator; the test of the
        // interval sets its own.
        vars.insert("ECM_VERIFY_MIN_INTERVAL_SECONDS".into(), "0".into());
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        let settings = Settings::from_map(vars).expect("test settings are valid");
        let app = Application::build(settings.clone(), leptos_options("target/site", settings.site_addr))
            .await
            .expect("the portal starts");
        let addr = app.local_addr();
        let state = app.state().clone();
        let metrics = app.metrics_addr();
        // Not run_until_stopped: it would take this test process's Ctrl-C and SIGTERM for
        // every portal in it, so that Ctrl-C no longer stops the tests (`stop` aborts the task).
        let server = tokio::spawn(app.run_until(std::future::pending()));
        Some(TestApp { base: format!("http://{addr}"), db, state, metrics, server })
    }

    pub fn client(&self) -> reqwest::Client {
        browser()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Calls a server function the way the hydrated browser does (form-encoded, JSON back).
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        Portal::call(self, client, endpoint, form).await
    }

    /// Posts a server function's form the way a browser without JavaScript does (a native form
    /// on `page`, HTML accepted): the portal must answer 302; returns where it sends the browser.
    pub async fn post_plain_form(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        page: &str,
        form: &(impl serde::Serialize + ?Sized),
    ) -> String {
        let response = client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("Accept", "text/html")
            .header("Referer", self.url(page))
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::FOUND, "{endpoint}: the browser is sent on to a page");
        response.headers()["location"].to_str().unwrap().to_string()
    }

    pub async fn register(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        Portal::register(self, client, email, password).await
    }

    pub async fn login(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        self.call(client, "accounts/login", &[("email", email), ("password", password)]).await
    }

    pub async fn stop(self) {
        self.server.abort();
        self.state.db.close().await;
        self.db.cleanup().await;
    }
}

/// A portal reachable over HTTP: the in-process [`TestApp`], or a separate `ecm-server`
/// process (the crash test). The provider helpers below work with both.
#[allow(async_fn_in_trait)] // test helper: never used as `dyn`, no Send bound needed
pub trait Portal {
    /// `http://ADDR`, without trailing slash.
    fn base_url(&self) -> &str;

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url(), path)
    }

    /// Calls a server function the way the hydrated browser does (form-encoded, JSON back).
    async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Registers (the answer never says whether the address was new) and logs in with the new
    /// account, as a provider does after registering; returns the login's answer, so a
    /// registration that did not create the account shows as a failed login.
    async fn register(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let registered = self
            .call(
                client,
                "accounts/register",
                &[
                    ("email", email),
                    ("display_name", "Anna Bianchi"),
                    ("password", password),
                    ("password_confirm", password),
                ],
            )
            .await;
        if !registered.status().is_success() {
            return registered;
        }
        self.call(client, "accounts/login", &[("email", email), ("password", password)]).await
    }
}

impl Portal for TestApp {
    fn base_url(&self) -> &str {
        &self.base
    }
}

/// No request of a test may take this long: a page or call that never answers fails the test
/// with its URL instead of hanging the suite.
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(45);

/// A server function's answer: its status and its JSON (or the text, as a JSON string, when it is
/// not JSON).
pub async fn json_of(response: reqwest::Response) -> (reqwest::StatusCode, serde_json::Value) {
    let status = response.status();
    let body = response.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)))
}

/// A browser logged in as the Segreteria (the administrator of the test settings).
pub async fn segreteria(app: &TestApp) -> reqwest::Client {
    let client = browser();
    assert!(app.login(&client, ADMIN_EMAIL, ADMIN_PASSWORD).await.status().is_success());
    client
}

/// The provider's payments page (`payments/page`), asserting it answers 200.
pub async fn cart_page(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let (status, page) = json_of(app.call(client, "payments/page", &[]).await).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{page}");
    page
}

/// A client that keeps cookies and does not follow redirects (a browser tab).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_LIMIT)
        .build()
        .unwrap()
}

/// Runs one async scenario on SQLite and, when configured, PostgreSQL: `both_backends!(name, scenario_fn)`.
/// Every module of the binary has it (`#[macro_use] mod support` in main.rs).
macro_rules! both_backends {
    ($name:ident, $scenario:path) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                $scenario($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if std::env::var("ECM_TEST_POSTGRES_URL").map(|v| v.is_empty()).unwrap_or(true) {
                    eprintln!("skipped: ECM_TEST_POSTGRES_URL is not set");
                    return;
                }
                $scenario($crate::support::Backend::Postgres).await;
            }
        }
    };
}

// ---- MyPay simulator -------------------------------------------------------------------------

/// The MyPay simulator (legacy mode) on port 0, with a client for its admin API.
pub struct TestSim {
    pub base: String,
    pub soap_url: String,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub const SIM_COD_IPA: &str = "R_VENETO";
pub const SIM_PASSWORD: &str = "Ecm#Veneto2025";

impl TestSim {
    pub async fn start() -> TestSim {
        TestSim::start_mode(mypay_simulator::Mode::Legacy).await
    }

    /// The simulator in one of MyPay's two operating modes.
    pub async fn start_mode(mode: mypay_simulator::Mode) -> TestSim {
        let config = mypay_simulator::SimulatorConfig {
            mode,
            bind: "127.0.0.1:0".parse().unwrap(),
            ..mypay_simulator::SimulatorConfig::default()
        };
        let sim = mypay_simulator::Simulator::build(config).await.expect("the simulator starts");
        let base = sim.base_url().to_string();
        let soap_url = sim.soap_url();
        let task = tokio::spawn(sim.run());
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestSim { base, soap_url, http, task }
    }

    /// A citizen presses a button on the landing page of `landing_url` (`press_on_landing`).
    pub async fn press(&self, landing_url: &str, azione: &str) -> reqwest::Response {
        crate::mypay_support::press_on_landing(&self.http, &self.base, landing_url, azione).await
    }

    /// Every cart the simulator received (`GET /admin/sessions`).
    pub async fn sessions(&self) -> Vec<serde_json::Value> {
        self.http.get(format!("{}/admin/sessions", self.base)).send().await.unwrap().json().await.unwrap()
    }

    /// `POST /admin/sessions/{id}/{action}` (pay, not-paid, abort, expire, …), asserting success.
    pub async fn act(&self, id_session: &str, action: &str) {
        let status = self
            .http
            .post(format!("{}/admin/sessions/{id_session}/{action}", self.base))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT, "{action} on {id_session}");
    }

    /// `POST /admin/faults` for the next SOAP calls.
    pub async fn fault(&self, plan: serde_json::Value) {
        let status = self.http.post(format!("{}/admin/faults", self.base)).json(&plan).send().await.unwrap().status();
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

impl TestApp {
    /// The portal wired to a fresh MyPay simulator (plus `extra` settings).
    pub async fn spawn_with_mypay(backend: Backend, extra: &[(&str, &str)]) -> Option<(TestApp, TestSim)> {
        TestApp::spawn_with_mypay_mode(backend, mypay_simulator::Mode::Legacy, extra).await
    }

    /// [`TestApp::spawn_with_mypay`] with the simulator in `mode`.
    pub async fn spawn_with_mypay_mode(
        backend: Backend,
        mode: mypay_simulator::Mode,
        extra: &[(&str, &str)],
    ) -> Option<(TestApp, TestSim)> {
        if backend == Backend::Postgres && std::env::var("ECM_TEST_POSTGRES_URL").map(|v| v.is_empty()).unwrap_or(true)
        {
            return None;
        }
        let sim = TestSim::start_mode(mode).await;
        let mut vars = vec![
            ("ECM_PUBLIC_URL", "http://ecm.test"),
            ("ECM_MYPAY_ENDPOINT", sim.soap_url.as_str()),
            ("ECM_MYPAY_COD_IPA_ENTE", SIM_COD_IPA),
            ("ECM_MYPAY_PASSWORD", SIM_PASSWORD),
        ];
        vars.extend_from_slice(extra);
        let app = TestApp::spawn_with(backend, &vars).await?;
        Some((app, sim))
    }
}

/// Uploads a small PDF for every required document type of the provider's request, so the
/// payment gate opens (what a provider does on the documents page).
pub async fn upload_required_documents(app: &impl Portal, client: &reqwest::Client) {
    let documents: serde_json::Value = app.call(client, "documents/mine", &[]).await.json().await.unwrap();
    for slot in documents["slots"].as_array().expect("the request exists") {
        if slot["doc_type"]["required"] != true {
            continue;
        }
        let code = slot["doc_type"]["code"].as_str().unwrap().to_string();
        let form = reqwest::multipart::Form::new().text("type_code", code.clone()).part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n% documento di prova\n%%EOF".to_vec())
                .file_name(format!("{code}.pdf")),
        );
        let response = client
            .post(app.url("/documenti/carica"))
            .header("Accept", "application/json")
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED, "upload of {code}");
    }
}

/// A valid 11-digit codice fiscale / partita IVA: `base` (10 digits) and its check digit.
pub fn fiscal_code(base: &str) -> String {
    assert_eq!(base.len(), 10);
    let sum: u32 = base
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 {
                    d - 9
                } else {
                    d
                }
            } else {
                d
            }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

/// A complete, valid censimento (`name`, `cf`, legal form `forma`), by field name.
pub fn censimento(name: &str, cf: &str, forma: &str) -> BTreeMap<String, String> {
    [
        ("denominazione", name),
        ("codice_fiscale", cf),
        ("partita_iva", ""),
        ("forma_giuridica", forma),
        ("legale_nome", "Mario"),
        ("legale_cognome", "Rossi"),
        ("legale_codice_fiscale", "RSSMRA80A01H501U"),
        ("via", "Via Roma"),
        ("civico", "1"),
        ("cap", "30121"),
        ("comune", "Venezia"),
        ("provincia", "VE"),
        ("pec", "formazione@pec.example.it"),
        ("email", "info@example.it"),
        ("telefono", "041 1234567"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Fields as `providers/save` takes them: `form[<field>]` (a struct argument, plain form).
pub fn as_form(fields: &BTreeMap<String, String>) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (format!("form[{k}]"), v.clone())).collect()
}

/// Registers a provider account, saves a valid censimento (`name`, `cf`, legal form `forma`)
/// and starts a provvisorio draft request.
pub async fn provider_with_draft(app: &impl Portal, email: &str, name: &str, cf: &str, forma: &str) -> reqwest::Client {
    let client = browser();
    assert!(app.register(&client, email, "Provider2026").await.status().is_success());
    let form = as_form(&censimento(name, cf, forma));
    let saved = client
        .post(app.url("/api/providers/save"))
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_success(), "{}", saved.status());
    let kind = app.call(&client, "requests/kind", &[("kind", "PROVVISORIO")]).await;
    assert!(kind.status().is_success(), "{}", kind.status());
    client
}

/// A provider whose request the Segreteria accredited at `accredited_at` (RFC 3339), with
/// every required document uploaded. Returns its client and provider id.
pub async fn accredited(
    app: &TestApp,
    email: &str,
    cf: &str,
    forma: &str,
    accredited_at: &str,
) -> (reqwest::Client, String) {
    let client = provider_with_draft(app, email, "Formazione Sanitaria Veneta", cf, forma).await;
    upload_required_documents(app, &client).await;
    let (provider_id, user_id) = provider_of(app, email).await;
    accredit(app, &provider_id, &user_id, accredited_at).await;
    (client, provider_id)
}

pub async fn provider_of(app: &TestApp, email: &str) -> (String, String) {
    let row: (String, String) =
        sqlx::query_as("SELECT p.id, u.id FROM providers p JOIN users u ON u.id = p.owner_user_id WHERE u.email = $1")
            .bind(email)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    row
}

/// What the Segreteria's "Accredita" records, at a chosen time.
pub async fn accredit(app: &TestApp, provider_id: &str, actor_id: &str, at: &str) {
    let db = app.state.db.pool();
    let request_id: String = sqlx::query_scalar("SELECT id FROM accreditation_requests WHERE provider_id = $1")
        .bind(provider_id)
        .fetch_one(db)
        .await
        .unwrap();
    sqlx::query("UPDATE accreditation_requests SET state = 'ACCREDITATO', updated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(&request_id)
        .execute(db)
        .await
        .unwrap();
    // An accredited provider paid its first-year quota (Gruppo B) before the request could leave.
    sqlx::query("UPDATE debts SET state = 'PAGATO', paid_at = $1, iuv = 'RF00TEST', iur = 'IUR-TEST' WHERE request_id = $2 AND state = 'DA_PAGARE'")
        .bind(at)
        .bind(&request_id)
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO request_history (id, request_id, at, actor_id, actor_role, from_state, to_state, note)
         VALUES ($1, $2, $3, $4, 'SEGRETERIA', 'IN_ISTRUTTORIA', 'ACCREDITATO', 'Requisiti verificati')",
    )
    .bind(app::db::new_id())
    .bind(&request_id)
    .bind(at)
    .bind(actor_id)
    .execute(db)
    .await
    .unwrap();
}

// ---- The database, read by the assertions ----------------------------------------------------

/// `n` extra per-event debts of the provider with codice fiscale `cf`.
pub async fn event_debts(app: &TestApp, cf: &str, n: usize) {
    let db = &app.state.db;
    let provider_id: String =
        sqlx::Row::try_get(&row(db, "SELECT id FROM providers WHERE codice_fiscale = $1", cf).await, "id").unwrap();
    let view = app::providers::service::provider_by_id(db, &provider_id).await.unwrap().unwrap();
    for i in 1..=n {
        app::payments::service::create_debt(
            db,
            &view,
            app::payments::model::FeeKind::ContributoEvento,
            app::payments::model::TariffCase::EventoResFsc { sponsored: false },
            &format!("Evento {i}"),
            None,
        )
        .await
        .unwrap()
        .expect("Gruppo B pays per event");
    }
}

/// The row `sql` finds for its one parameter `id`.
pub async fn row(db: &Db, sql: &'static str, id: &str) -> sqlx::any::AnyRow {
    sqlx::query(sql).bind(id).fetch_one(db.pool()).await.unwrap()
}

/// The text `sql` (one column, one row) answers for its one parameter `value`.
pub async fn scalar(app: &TestApp, sql: &str, value: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).bind(value).fetch_one(app.state.db.pool()).await.unwrap()
}

/// The number `sql` (a `SELECT COUNT(*)`) answers for its one parameter `value`.
pub async fn count(app: &TestApp, sql: &str, value: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string())).bind(value).fetch_one(app.state.db.pool()).await.unwrap()
}

pub async fn attempt_state(db: &Db, attempt_id: &str) -> String {
    use sqlx::Row;
    row(db, "SELECT state FROM payment_attempts WHERE id = $1", attempt_id).await.try_get("state").unwrap()
}

/// Whether the payment attempt has its receipt stored.
pub async fn has_receipt(db: &Db, attempt_id: &str) -> bool {
    use sqlx::Row;
    let n: i64 = row(
        db,
        "SELECT CASE WHEN receipt IS NULL THEN 0 ELSE 1 END AS n FROM payment_attempts WHERE id = $1",
        attempt_id,
    )
    .await
    .try_get("n")
    .unwrap();
    n == 1
}

/// Every attempt is due again now (time passes).
pub async fn everything_due(db: &Db) {
    sqlx::query("UPDATE payment_attempts SET next_check_at = NULL").execute(db.pool()).await.unwrap();
}

/// The text of a PDF, by Debian's `pdftotext` (poppler-utils, installed by scripts/bootstrap.sh).
pub fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write;
    let mut file = tempfile_path("pdf");
    std::fs::File::create(&file).and_then(|mut f| f.write_all(pdf)).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-layout").arg(&file).arg("-").output().unwrap_or_else(|e| {
        panic!("pdftotext could not be started ({e}): install poppler-utils (scripts/bootstrap.sh does)")
    });
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_file(&mut file);
    String::from_utf8(out.stdout).unwrap()
}

fn tempfile_path(ext: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ecm-test-{}.{ext}", new_id()))
}
