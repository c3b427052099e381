//! HTTP wiring: the Leptos app, server functions with the application state in context,
//! static files, health check, security headers, background housekeeping.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::accounts::model::LoginLimits;
use app::accounts::service::{ensure_first_segreteria, purge_expired};
use app::db::Db;
use app::domain::{Email, NewPassword};
use app::payments::gateway::PaymentGateway;
use app::state::AppState;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::csrf::CsrfPolicy;
use crate::http_limits::{BoundedListener, HttpLimits};
use crate::payments_gateway::MyPayGateway;
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] app::db::DbError),
    #[error("first Segreteria account (ECM_ADMIN_EMAIL / ECM_ADMIN_PASSWORD): {0}")]
    Admin(String),
    #[error("MyPay client: {0}")]
    MyPay(#[from] mypay::MyPayError),
    #[error("mail: {0}")]
    Mail(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

#[derive(Clone, FromRef)]
struct ServerState {
    leptos_options: LeptosOptions,
    app: AppState,
}

/// A built, bound, not yet serving portal.
pub struct Application {
    listener: BoundedListener,
    router: Router,
    state: AppState,
    /// `ECM_METRICS_ADDR`, bound.
    metrics: Option<TcpListener>,
}

impl Application {
    /// Connects and migrates the database, creates the first Segreteria account if asked,
    /// binds the address (port 0 picks a free one) and builds the router.
    pub async fn build(settings: Settings, leptos_options: LeptosOptions) -> Result<Application, StartError> {
        let db = Db::connect(settings.database_url.expose()).await?;
        db.migrate().await?;
        if let Some(admin) = &settings.admin {
            let email = Email::parse(&admin.email).map_err(|e| StartError::Admin(e.to_string()))?;
            let password = NewPassword::parse(admin.password.expose(), admin.password.expose())
                .map_err(|e| StartError::Admin(format!("password does not satisfy the policy ({:?})", e.rule)))?;
            if ensure_first_segreteria(&db, &email, &password).await.map_err(|e| StartError::Admin(e.to_string()))? {
                tracing::info!(email = %email, "first Segreteria account created");
            }
        }
        // None when MyPay is not configured: the payment pages then say payments are unavailable.
        let payments: Option<Arc<dyn PaymentGateway>> = match &settings.mypay {
            Some(mypay) => Some(Arc::new(MyPayGateway::new(mypay)?)),
            None => {
                tracing::warn!("MyPay is not configured (ECM_MYPAY_*): payments are unavailable");
                None
            }
        };
        let state = AppState {
            payments,
            db,
            cookie_secure: settings.cookie_secure(),
            session_ttl: settings.session_ttl,
            session_idle: settings.session_idle,
            sessions: app::accounts::session_cache::SessionCache::new(settings.session_cache),
            login_limits: LoginLimits {
                max_failures_per_account: settings.login_max_failures_per_account,
                max_failures_per_address: settings.login_max_failures_per_address,
                window: settings.login_window,
                registrations_per_address: settings.registrations_per_address,
                registrations_per_hour: settings.registrations_per_hour,
            },
            upload_limits: settings.upload_limits,
            reconciler: settings.reconciler.clone(),
            mail: settings.mail.clone(),
            mailer: match &settings.smtp {
                Some(smtp) => Some(Arc::new(crate::mail_transport::SmtpMailer::new(smtp).map_err(StartError::Mail)?)),
                None => {
                    tracing::warn!("mail is not configured (ECM_SMTP_URL): notifications wait in the outbox");
                    None
                }
            },
        };
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .map_err(|source| StartError::Bind { addr: settings.site_addr, source })?;
        let mut leptos_options = leptos_options;
        leptos_options.site_addr =
            listener.local_addr().map_err(|source| StartError::Bind { addr: settings.site_addr, source })?;
        let hsts = settings.public_url.starts_with("https://");
        let router = router(leptos_options, state.clone(), CsrfPolicy::new(&settings.public_url), settings.http, hsts)
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(settings.trusted_proxies.clone()),
                crate::client_ip::resolve_client,
            ));
        let metrics = match settings.metrics_addr {
            Some(addr) => Some(TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?),
            None => None,
        };
        Ok(Application { listener: BoundedListener::new(listener, &settings.http), router, state, metrics })
    }

    pub fn local_addr(&self) -> SocketAddr {
        axum::serve::Listener::local_addr(&self.listener).expect("a bound listener has an address")
    }

    /// Where `GET /metrics` is served, when `ECM_METRICS_ADDR` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|listener| listener.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the process is stopped (Ctrl-C or SIGTERM). In-flight requests get
    /// [`SHUTDOWN_GRACE`] to finish; whatever is still open then is dropped, so a stop never
    /// waits on a stuck connection (the process is down within ~10 s of the signal).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then stops as [`Application::run_until_stopped`] does.
    /// For portals inside another program (the tests: `std::future::pending()`, and the task
    /// aborted), which must not take the process's Ctrl-C and SIGTERM: once tokio listens for
    /// a signal, the signal no longer ends the process.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        // Stopped with the server, also when this future is dropped (tests abort it).
        let mut tasks = vec![
            tokio::spawn(housekeeping(self.state.clone())),
            tokio::spawn(reconciler(self.state.clone())),
            tokio::spawn(mail_worker(self.state.clone())),
            tokio::spawn(reminders(self.state.clone())),
        ];
        if let Some(listener) = self.metrics {
            tasks.push(tokio::spawn(crate::metrics::serve(listener, self.state.db.clone())));
        }
        let background = AbortOnDrop(tasks);
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signal = {
            let stopping = stopping.clone();
            async move {
                stop.await;
                stopping.notify_one();
            }
        };
        let serve = axum::serve(self.listener, crate::http_limits::make_service(self.router))
            .with_graceful_shutdown(signal)
            .into_future();
        let result = tokio::select! {
            result = serve => result,
            () = async {
                stopping.notified().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still open at shutdown; stopping without them");
                Ok(())
            }
        };
        drop(background);
        self.state.db.close().await;
        tracing::info!("stopped");
        result
    }
}

/// How long a stopping server lets in-flight requests finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Background tasks that must not outlive the server that started them.
struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The app's routes, generated once per process.
///
/// `generate_route_list` runs the app with Leptos' process-global "suppress resource loading"
/// flag set (leptos_server's `SuppressResourceLoad`); a resource of *another* request whose
/// future is first polled meanwhile parks on a future that never wakes, and that page never
/// answers (leptos#4773). A portal builds its router once, before it serves, so that cannot
/// happen there; but the test suite starts many portals in one process while others serve
/// pages, and a page of a running test hung now and then (45 s timeouts on `/area/censimento`,
/// `/segreteria/tariffe`, `/accedi`). Generated once, before any portal of the process serves,
/// the flag is never set while a page renders.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

fn router(
    leptos_options: LeptosOptions,
    app_state: AppState,
    csrf: CsrfPolicy,
    limits: HttpLimits,
    hsts: bool,
) -> Router {
    let routes = route_list();
    let state = ServerState { leptos_options: leptos_options.clone(), app: app_state.clone() };
    let context_state = app_state.clone();
    // Pages and server functions (Leptos registers every server function beside the pages):
    // the caller's account is looked up once, before anything renders (`resolve_user`).
    let pages = Router::new()
        .route("/api/{*fn_name}", get(server_fn_handler).post(server_fn_handler))
        .leptos_routes_with_context(&state, routes, move || page_context(&context_state), {
            let leptos_options = leptos_options.clone();
            move || shell(leptos_options.clone())
        })
        .route_layer(axum::middleware::from_fn_with_state(app_state.clone(), resolve_user))
        // HTML and server-function answers (static files come precompressed, see `cache_policy`).
        // Brotli quality 1: on the 8.4 KB HTML of `/area`, quality 4 costs ~280 µs per answer
        // (it sets up and zeroes a hash table of megabytes for every stream) for 3,055 B, quality 1
        // ~50 µs for 3,471 B (docs/BENCHMARKS.md "Compression of pages").
        .layer(CompressionLayer::new().br(true).gzip(true).quality(CompressionLevel::Precise(1)));
    let not_found = not_found_page(leptos_options.clone(), app_state.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(app::documents::http::routes(app_state.clone()))
        .merge(app::debts::http::routes(app_state.clone()))
        .merge(app::quietanze::http::routes(app_state.clone()))
        .merge(app::receipts::http::routes(app_state.clone()))
        .merge(app::segreteria::payments::http::routes(app_state.clone()))
        .route("/api/payments/{attempt}/ricevuta", get(app::payments::service::receipt_handler))
        .route("/avvisi/{attempt}/avviso.pdf", get(app::payments::notices::pdf_handler))
        .merge(pages)
        // Static files (precompressed `.br` / `.gz` beside them when built with `--precompress`),
        // otherwise the portal's 404 page, rendered with the same context as every page.
        .fallback_service(
            ServeDir::new(leptos_options.site_root.as_ref()).precompressed_br().precompressed_gzip().fallback(not_found),
        )
        .layer(axum::middleware::from_fn(cache_policy))
        .layer(axum::middleware::map_response(bad_request_status))
        .layer(axum::middleware::from_fn_with_state(limits, crate::http_limits::body_deadline))
        .layer(axum::middleware::from_fn_with_state(csrf, crate::csrf::guard))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Behind https (ECM_PUBLIC_URL), browsers are told to never use plain http again.
        .layer(axum::middleware::map_response(move |mut response: axum::response::Response| async move {
            if hsts {
                response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
            }
            response
        }))
        // The path only, never the query: a reset or verification link carries its token there.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .layer(axum::middleware::from_fn(crate::metrics::track_http))
        .with_state(state)
}

/// `Strict-Transport-Security` when the public URL is https: one year, subdomains included.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The portal's 404 page, for any path that is neither a page nor a static file.
///
/// Static files are served by `ServeDir` alone, with no reactive owner around them: Leptos' own
/// file handler creates its owner as a child of whatever owner is current on the thread and
/// then takes the response headers of any `ResponseOptions` it finds above it — under load that
/// could be another page's, which then went out without its CSP nonce and never hydrated.
fn not_found_page(
    leptos_options: LeptosOptions,
    state: AppState,
) -> impl tower::Service<
    Request<Body>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone
       + Send
       + Sync
       + 'static {
    let render =
        leptos_axum::render_app_async_with_context(move || page_context(&state), move || shell(leptos_options.clone()));
    tower::service_fn(move |request: Request<Body>| {
        let render = render.clone();
        async move {
            let mut response = render(request).await;
            // NotFoundPage sets 404; a redirect or other status set while rendering stays.
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::NOT_FOUND;
            }
            Ok(response)
        }
    })
}

/// Content Security Policy of every response that does not set its own: the portal's own
/// assets only, WebAssembly allowed, no framing. Inline styles are allowed for `style`
/// attributes (progress bars); inline scripts are not.
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Context of every rendered page: the application state, and a CSP that also admits this
/// page's hydration scripts by their per-request nonce (leptos_axum generates it).
fn page_context(state: &AppState) {
    // Every page and server function gets an owner tree of its own. One with a parent means a
    // reactive owner was left current on this thread by some other request: report it loudly.
    if leptos::prelude::Owner::current().and_then(|owner| owner.parent()).is_some() {
        tracing::error!("request context created under another request's reactive owner");
    }
    provide_context(state.clone());
    app::state::provide_resolved_user();
    match (leptos::nonce::use_nonce(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) {
        (Some(nonce), Some(options)) => {
            let policy = DEFAULT_CSP.replace("script-src 'self'", &format!("script-src 'self' 'nonce-{nonce}'"));
            if let Ok(value) = HeaderValue::from_str(&policy) {
                options.insert_header(header::CONTENT_SECURITY_POLICY, value);
            }
        }
        // Server functions have no nonce (they render no page): nothing to admit.
        (None, _) => {}
        (Some(_), None) => {
            tracing::error!("page rendered without response options: its scripts will be refused by the CSP")
        }
    }
}

async fn server_fn_handler(State(state): State<ServerState>, request: Request<Body>) -> impl IntoResponse {
    let app_state = state.app.clone();
    handle_server_fns_with_context(
        move || {
            provide_context(app_state.clone());
            app::state::provide_resolved_user();
        },
        request,
    )
    .await
}

/// `Cache-Control` of every answer that does not set its own:
/// - the sealed wasm, JS and CSS bundle (`/pkg/<content hash>/…`, see [`bundle_dir`]): a new
///   build has a new folder, so browsers keep it for a year and never revalidate it;
/// - fonts and the icon: kept for a week (their names do not change between builds);
/// - an unsealed bundle (`/pkg/ecm.js`, debug builds): revalidated at every load;
/// - everything else (pages, server functions, downloads, exports) is personal or changes at
///   every load: never stored by the browser or a proxy.
async fn cache_policy(request: Request<Body>, next: Next) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = cache_control_of(&path, response.status());
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

fn cache_control_of(path: &str, status: StatusCode) -> &'static str {
    let found = status == StatusCode::OK || status == StatusCode::NOT_MODIFIED;
    let sealed =
        path.strip_prefix("/pkg/").and_then(|rest| rest.split_once('/')).is_some_and(|(dir, _)| is_content_hash(dir));
    match path {
        _ if found && sealed => "public, max-age=31536000, immutable",
        p if found && (p.starts_with("/bootstrap-italia/") || p == "/favicon.svg") => "public, max-age=604800",
        p if found && p.starts_with("/pkg/") => "no-cache",
        _ => "private, no-store",
    }
}

/// Looks up the caller's account once per page or server-function request and hands it to the
/// app (`app::state::ResolvedUser`): the page guard needs it synchronously (see
/// `app::layout::guard::guarded`), and server functions then need no lookup of their own.
async fn resolve_user(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> axum::response::Response {
    let user = app::accounts::session::user_from_headers(&state, request.headers()).await;
    request.extensions_mut().insert(app::state::ResolvedUser(user));
    next.run(request).await
}

/// Errors raised by the server-function layer itself (arguments that cannot be read) always come
/// back as 500; a malformed request is the caller's fault, so it gets 400 like every other bad
/// input. Errors of the functions themselves already carry their status.
async fn bad_request_status(response: axum::response::Response) -> axum::response::Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "errore interno").into_response();
    };
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string));
    if code.as_deref() == Some("bad_request") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, Body::from(bytes))
}

/// Liveness: 200 as long as the process serves requests (a database outage is not a reason to
/// restart the portal: it recovers by itself when the database is back).
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Readiness: 200 when the database answers, 503 otherwise (a load balancer sends no users
/// to an instance that cannot serve them).
async fn readyz(State(state): State<ServerState>) -> impl IntoResponse {
    if app::store::ping(&state.app.db).await {
        (StatusCode::OK, "ok")
    } else {
        tracing::warn!("readiness check: database does not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    let mut annual_debts_done: Option<time::Date> = None;
    loop {
        tick.tick().await;
        if let Err(error) = purge_expired(&state.db, &state.login_limits).await {
            tracing::warn!(?error, "housekeeping failed");
        }
        // Once a day (and at start): the later-year annual fees of accredited providers.
        let today = time::OffsetDateTime::now_utc().date();
        if annual_debts_done != Some(today) {
            match app::events::service::ensure_all_annual_debts(&state.db, today).await {
                Ok(created) => {
                    annual_debts_done = Some(today);
                    if created > 0 {
                        tracing::info!(created, "annual fee debts created");
                    }
                }
                Err(error) => tracing::warn!(?error, "annual fee debts pass failed"),
            }
        }
    }
}

async fn reconciler(state: AppState) {
    let Some(gateway) = state.payments.clone() else {
        return;
    };
    // Claims carry this id: several instances on one PostgreSQL database never check one
    // attempt at once.
    let instance = app::payments::reconciler::instance_id();
    tracing::info!(%instance, config = ?state.reconciler, "payment reconciler started");
    // How often a pass starts (ECM_RECONCILER_INTERVAL_SECONDS); each open attempt is asked
    // about with its own back-off, so a user who never comes back still gets the payment recorded.
    every("payment reconciliation", state.reconciler.interval, || {
        app::payments::reconciler::run_pass(&state.db, gateway.clone(), &state.reconciler, &instance)
    })
    .await
}

/// Sends the outbox (docs/mail.md). Without `ECM_SMTP_URL` the rows wait.
async fn mail_worker(state: AppState) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    let instance = app::payments::reconciler::instance_id();
    tracing::info!(%instance, config = ?state.mail, "mail worker started");
    every("mail", state.mail.interval, || {
        app::mail::worker::run_pass(&state.db, mailer.as_ref(), &state.mail, &instance)
    })
    .await
}

/// Writes the due-date reminders (at start, then every `reminders_every`).
async fn reminders(state: AppState) {
    every("reminders", state.mail.reminders_every, || {
        app::mail::worker::run_reminders(&state.db, app::domain::dates::today())
    })
    .await
}

/// Runs `pass` at once, then every `interval` (a late tick waits: passes never pile up). A pass
/// that did nothing is not logged; one that did something is (debug), a failed one too (warn).
async fn every<R, E, Fut>(what: &'static str, interval: Duration, mut pass: impl FnMut() -> Fut)
where
    R: std::fmt::Debug + Default + PartialEq,
    E: std::fmt::Debug,
    Fut: std::future::Future<Output = Result<R, E>>,
{
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match pass().await {
            Ok(report) if report == R::default() => {}
            Ok(report) => tracing::debug!(?report, "{what} pass"),
            Err(error) => tracing::warn!(?error, "{what} pass failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Leptos options for a server started outside cargo-leptos (tests, deployments):
/// the site built by `cargo leptos build` under `site_root`.
pub fn leptos_options(site_root: &str, site_addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("ecm")
        .site_root(site_root)
        .site_pkg_dir(bundle_dir(site_root, "pkg"))
        .site_addr(site_addr)
        .build()
}

/// Where the wasm, JS and CSS bundle is, below the site root: `pkg` as cargo-leptos writes it,
/// or `pkg/<content hash>` once `scripts/seal-site.sh` has sealed a release build. A sealed
/// bundle's URLs change with its content, so browsers may keep it for a year (`cache_policy`).
pub fn bundle_dir(site_root: &str, pkg_dir: &str) -> String {
    let pkg = std::path::Path::new(site_root).join(pkg_dir);
    if pkg.join("ecm.js").is_file() {
        return pkg_dir.to_string();
    }
    let sealed = std::fs::read_dir(&pkg)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|entry| is_content_hash(&entry.file_name().to_string_lossy()) && entry.path().join("ecm.js").is_file())
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok());
    match sealed {
        Some(entry) => format!("{pkg_dir}/{}", entry.file_name().to_string_lossy()),
        None => pkg_dir.to_string(),
    }
}

/// The folder name `scripts/seal-site.sh` gives a sealed bundle: 16 lowercase hex digits.
fn is_content_hash(name: &str) -> bool {
    name.len() == 16 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bundles_are_immutable_and_everything_dynamic_is_never_stored() {
        assert_eq!(
            cache_control_of("/pkg/0123456789abcdef/ecm.wasm", StatusCode::OK),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control_of("/pkg/ecm.wasm", StatusCode::OK), "no-cache");
        assert_eq!(cache_control_of("/pkg/0123456789abcdef/missing.js", StatusCode::NOT_FOUND), "private, no-store");
        assert_eq!(cache_control_of("/pkg/not-a-hash/ecm.js", StatusCode::OK), "no-cache");
        assert_eq!(cache_control_of("/bootstrap-italia/fonts/a.woff2", StatusCode::OK), "public, max-age=604800");
        for dynamic in
            ["/", "/area", "/api/accounts/me", "/segreteria/pagamenti/export.csv", "/api/payments/x/ricevuta"]
        {
            assert_eq!(cache_control_of(dynamic, StatusCode::OK), "private, no-store", "{dynamic}");
        }
    }

    #[test]
    fn the_bundle_is_found_sealed_or_not() {
        let root = std::env::temp_dir().join(format!("ecm-site-{}", app::db::new_id()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let site = root.to_str().unwrap();
        assert_eq!(bundle_dir(site, "pkg"), "pkg", "nothing built: the default");
        std::fs::create_dir_all(root.join("pkg/0123456789abcdef")).unwrap();
        std::fs::write(root.join("pkg/0123456789abcdef/ecm.js"), "").unwrap();
        assert_eq!(bundle_dir(site, "pkg"), "pkg/0123456789abcdef");
        std::fs::write(root.join("pkg/ecm.js"), "").unwrap();
        assert_eq!(bundle_dir(site, "pkg"), "pkg", "an unsealed build beside it wins");
        std::fs::remove_dir_all(root).unwrap();
    }
}
