//! Server-side context for server functions: the one `AppState`, who is calling, and how
//! errors become HTTP statuses. Compiled only with the `ssr` feature.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::accounts::model::LoginLimits;
use crate::accounts::CurrentUser;
use crate::db::Db;
use crate::error::{internal, AppError};
use crate::payments::gateway::PaymentGateway;
use crate::payments::model::ReconcilerConfig;

pub const SESSION_COOKIE: &str = "ecm_session";
/// The session cookie's name behind https: the `__Host-` prefix makes the browser refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`, so neither a sibling subdomain nor a
/// plain-http page can plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-ecm_session";

/// The session cookie's name for this installation.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Everything server functions need, provided once through Leptos context.
#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    /// Mark cookies `Secure` (when the public URL is https).
    pub cookie_secure: bool,
    pub session_ttl: Duration,
    /// A session unused for this long is over (`ECM_SESSION_IDLE_MINUTES`).
    pub session_idle: Duration,
    /// Sessions read lately, kept for `ECM_SESSION_CACHE_SECONDS` (`accounts::session_cache`).
    pub sessions: crate::accounts::session_cache::SessionCache,
    pub login_limits: LoginLimits,
    /// What a provider may upload (size, versions, bytes per request, uploads per hour).
    pub upload_limits: crate::documents::model::UploadLimits,
    /// The payment gateway (MyPay); `None` when MyPay is not configured: payments unavailable.
    pub payments: Option<Arc<dyn PaymentGateway>>,
    /// The payment reconciler's settings (`ECM_RECONCILER_*`).
    pub reconciler: ReconcilerConfig,
    /// The mail worker's settings (`ECM_MAIL_*`).
    pub mail: crate::mail::model::MailConfig,
    /// The SMTP transport; `None` when `ECM_SMTP_URL` is not set: notifications then wait in
    /// the outbox until mail is configured.
    pub mailer: Option<Arc<dyn crate::mail::transport::MailTransport>>,
}

impl AppState {
    /// The payment gateway, or the "payments unavailable" error.
    pub fn gateway(&self) -> Result<&dyn PaymentGateway, AppError> {
        self.payments.as_deref().ok_or(AppError::PaymentsUnavailable)
    }
}

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| internal("AppState missing from context"))
}

fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The session cookie of the current request, if any.
pub fn session_token() -> Option<String> {
    let secure = use_context::<AppState>().is_some_and(|state| state.cookie_secure);
    session_token_from(&request_parts()?.headers, secure)
}

/// The session cookie among these request headers, if any (for plain axum handlers). Behind
/// https only the `__Host-` cookie counts: an unprefixed one may have been planted.
pub fn session_token_from(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    let wanted = session_cookie_name(secure);
    headers.get_all(COOKIE).iter().find_map(|value| {
        value.to_str().ok()?.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == wanted && !value.is_empty()).then(|| value.to_string())
        })
    })
}

/// The client's address, as the HTTP layer worked it out from the TCP peer and, behind a
/// trusted proxy, `X-Forwarded-For` (`server::client_ip`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The client's address (for rate limiting): the HTTP layer's [`ClientAddress`], else the
/// TCP peer.
pub fn client_address() -> String {
    request_parts()
        .and_then(|parts| {
            let resolved = parts.extensions.get::<ClientAddress>().map(|client| client.0);
            resolved.or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip()))
        })
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

/// The account of the request being served, looked up once by the HTTP layer before the page
/// or server function runs (see `server::web`), and carried in the request's extensions.
///
/// Pages need it *synchronously*: the page guard decides what to render from it, and the
/// browser must make the same decision while hydrating (it reads the same value from the
/// serialized `Auth` resource). Were the lookup asynchronous, the guard would need a
/// `<Suspense>`, whose body Leptos runs several times during server rendering: every run would
/// create the page's resources again, and the browser would hydrate against the discarded
/// copies (docs/ssr.md).
#[derive(Clone, Debug)]
pub struct ResolvedUser(pub Result<Option<CurrentUser>, AppError>);

/// Puts the request's [`ResolvedUser`] (if the HTTP layer resolved one) into the Leptos context
/// of the page or server function being run.
pub fn provide_resolved_user() {
    if let Some(user) = use_context::<Parts>().and_then(|parts| parts.extensions.get::<ResolvedUser>().cloned()) {
        provide_context(user);
    }
}

/// A plain-text answer for `error` (downloads and other plain HTTP endpoints): its status and
/// Italian message, nothing else.
pub fn text_error(error: &AppError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = http::StatusCode::from_u16(error.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], error.message_it()).into_response()
}

/// A file answered to the signed-in user who asked for it over plain HTTP (documents, receipts,
/// notices, quietanze, CSV exports): never cached, its file name (UTF-8 safe) and, when known,
/// its SHA-256 in `x-content-sha256`.
#[derive(Debug)]
pub struct Download {
    pub file_name: String,
    pub content_type: &'static str,
    pub sha256: Option<String>,
    pub bytes: Vec<u8>,
}

impl Download {
    pub fn pdf(file_name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { file_name: file_name.into(), content_type: "application/pdf", sha256: None, bytes }
    }

    pub fn csv(file_name: impl Into<String>, text: String) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: "text/csv; charset=utf-8",
            sha256: None,
            bytes: text.into_bytes(),
        }
    }

    pub fn xml(file_name: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self { file_name: file_name.into(), content_type: "application/xml", sha256: None, bytes }
    }

    pub fn with_sha256(self, sha256: impl Into<String>) -> Self {
        Self { sha256: Some(sha256.into()), ..self }
    }

    pub fn into_response(self) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::header;
        let mut response = (StatusCode::OK, self.bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        if let Ok(value) = HeaderValue::from_str(&content_disposition(&self.file_name)) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        if let Some(Ok(value)) = self.sha256.as_deref().map(HeaderValue::from_str) {
            headers.insert("x-content-sha256", value);
        }
        response
    }
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 5987).
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let encoded = crate::domain::percent_encode(file_name);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A plain HTML form post (no JavaScript) that failed goes back to `page` with the typed values
/// and the error in the URL (`__path`, `__err`, read by `auth::form_error`): nothing is lost.
/// With JavaScript the form stays on the page and nothing needs doing.
pub fn back_to_form(page: &str, endpoint: &str, error: &AppError, values: &[(&str, &str)]) {
    if !is_plain_form_post() {
        return;
    }
    leptos_axum::redirect(&form_error_url(page, endpoint, error, values));
}

/// The end of a form's action: on success, to `page` with `done` in its query (`annullato=1`:
/// the page says what happened); on failure, back to the form with what was typed
/// ([`back_to_form`]). The result is handed back as it came.
pub fn after_form<T>(
    result: Result<T, AppError>,
    page: &str,
    done: &str,
    endpoint: &str,
    values: &[(&str, &str)],
) -> Result<T, AppError> {
    match &result {
        Ok(_) => leptos_axum::redirect(&format!("{page}?{done}")),
        Err(error) => back_to_form(page, endpoint, error, values),
    }
    result
}

/// The address a form posted without JavaScript goes back to after `error`: `page` with the
/// typed `values` and the error the way server functions encode it (`__path`, `__err`), which
/// the page reads with `auth::form_error(endpoint)`.
pub fn form_error_url(page: &str, endpoint: &str, error: &AppError, values: &[(&str, &str)]) -> String {
    use base64::Engine;
    use server_fn::error::FromServerFnError;
    let encode = crate::domain::percent_encode;
    let mut url = format!("{page}?");
    for (name, value) in values {
        url.push_str(&format!("{name}={}&", encode(value)));
    }
    let error = base64::engine::general_purpose::URL_SAFE.encode(error.ser());
    url.push_str(&format!("__path={}&__err={}", encode(&format!("/api/{endpoint}")), encode(&error)));
    url
}

/// Runs a server function body and turns its error into the matching HTTP status.
///
/// A plain HTML form post (no JavaScript) is the exception: server_fn answers it with a
/// redirect back to the form carrying the error in the URL, and the status must stay 302.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    if let Err(error) = &result {
        if !is_plain_form_post() {
            set_status(error.status());
        }
        if *error == AppError::Busy {
            if let Some(options) = use_context::<ResponseOptions>() {
                options.insert_header(http::header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
        }
    }
    result
}

/// True for a browser's native form submission (it accepts HTML), false for a fetch
/// from the hydrated page.
pub fn is_plain_form_post() -> bool {
    request_parts()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT)?.to_str().ok().map(|v| v.contains("text/html")))
        .unwrap_or(false)
}

pub fn set_status(status: u16) {
    if let (Some(options), Ok(status)) = (use_context::<ResponseOptions>(), StatusCode::from_u16(status)) {
        options.set_status(status);
    }
}

fn cookie(value: &str, max_age: Option<u64>, secure: bool) -> String {
    let name = session_cookie_name(secure);
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    match max_age {
        Some(seconds) => cookie.push_str(&format!("; Max-Age={seconds}")),
        None => cookie.push_str("; Max-Age=0"),
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

pub fn set_session_cookie(state: &AppState, token: &str) {
    if let Some(options) = use_context::<ResponseOptions>() {
        let value = cookie(token, Some(state.session_ttl.as_secs()), state.cookie_secure);
        if let Ok(value) = HeaderValue::from_str(&value) {
            options.append_header(SET_COOKIE, value);
        }
    }
}

pub fn clear_session_cookie(state: &AppState) {
    if let Some(options) = use_context::<ResponseOptions>() {
        if let Ok(value) = HeaderValue::from_str(&cookie("", None, state.cookie_secure)) {
            options.append_header(SET_COOKIE, value);
        }
    }
}
