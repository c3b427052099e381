//! Who is calling: the account behind a request's session cookie.
//!
//! The HTTP layer resolves it once per page or server-function request (`server::web`
//! `resolve_user` → [`crate::state::ResolvedUser`]); server functions read it with
//! [`current_user`], [`require_user`] or [`require_role`]; plain axum handlers (downloads)
//! with [`user_from_headers`]. Only the SHA-256 of a session token is ever stored.

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::model::{CurrentUser, Role};
use super::session_cache::SessionCache;
use crate::db::{format_utc, Db};
use crate::error::AppError;
use crate::state::{app_state, session_token, session_token_from, AppState, ResolvedUser};
use crate::store;
use crate::store::accounts::LiveSession;
use leptos::prelude::use_context;

/// What is stored of a session, verification or reset token: its SHA-256, in hex.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// How often a session's last use is written (a read per request, a write per minute).
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The account behind a session cookie, if the session exists, has not expired and was used
/// within `idle` (then its last use is refreshed, at most once a minute). Answered from `cache`
/// when this process read the session lately ([`SessionCache`], the same rules apply).
pub async fn session_user(
    db: &Db,
    cache: &SessionCache,
    token: &str,
    idle: Duration,
) -> Result<Option<CurrentUser>, AppError> {
    let now = time::OffsetDateTime::now_utc();
    let (now_text, idle_cutoff) = (format_utc(now), format_utc(now - idle));
    let hash = token_hash(token);
    let live = |session: &LiveSession| session.expires_at > now_text && session.last_seen > idle_cutoff;
    let session = match cache.get(&hash).filter(live) {
        Some(session) => session,
        None => {
            let generation = cache.generation();
            let Some(session) = store::accounts::session_user(db, &hash, &now_text, &idle_cutoff).await? else {
                cache.remove(&hash);
                return Ok(None);
            };
            cache.insert(&hash, session.clone(), generation);
            session
        }
    };
    if session.last_seen < format_utc(now - TOUCH_EVERY) {
        store::accounts::touch_session(db, &hash, &now_text).await?;
        cache.touched(&hash, &now_text);
    }
    Ok(Some(session.user))
}

pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    if let Some(ResolvedUser(user)) = use_context::<ResolvedUser>() {
        return user;
    }
    let Some(token) = session_token() else {
        return Ok(None);
    };
    let state = app_state()?;
    session_user(&state.db, &state.sessions, &token, state.session_idle).await
}

/// The logged-in account of a plain axum request (outside Leptos' context).
pub async fn user_from_headers(state: &AppState, headers: &http::HeaderMap) -> Result<Option<CurrentUser>, AppError> {
    match session_token_from(headers, state.cookie_secure) {
        Some(token) => session_user(&state.db, &state.sessions, &token, state.session_idle).await,
        None => Ok(None),
    }
}

pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

pub async fn require_role(role: Role) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    ensure_role(&user, role, "server function")?;
    Ok(user)
}

/// The body of a server function for an account with `role`: it gets the caller and the
/// application state; a caller without the role gets `Unauthenticated` or `Forbidden`, and any
/// error its HTTP status ([`crate::state::respond`]).
pub async fn as_role<T, F, Fut>(role: Role, body: F) -> Result<T, AppError>
where
    F: FnOnce(CurrentUser, AppState) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    crate::state::respond(async move {
        let user = require_role(role).await?;
        body(user, app_state()?).await
    })
    .await
}

/// `Forbidden` (logged) unless `user` has `role`: [`require_role`] for server functions, and
/// plain HTTP endpoints, which get their caller from [`download`].
pub fn ensure_role(user: &CurrentUser, role: Role, what: &str) -> Result<(), AppError> {
    if user.role == role {
        return Ok(());
    }
    tracing::warn!(user_id = %user.id, required = role.as_db(), what, "access refused: wrong role");
    Err(AppError::Forbidden)
}

/// The one shape of every download endpoint: the caller's account from the request's session
/// cookie (401 when nobody is signed in), then `fetch` with the state and that account. The file, or the
/// error's status with its Italian message as plain text.
pub async fn download<Fut>(
    state: AppState,
    headers: &http::HeaderMap,
    fetch: impl FnOnce(AppState, CurrentUser) -> Fut,
) -> axum::response::Response
where
    Fut: std::future::Future<Output = Result<crate::state::Download, AppError>>,
{
    let result = async {
        let user = user_from_headers(&state, headers).await?.ok_or(AppError::Unauthenticated)?;
        fetch(state, user).await
    }
    .await;
    match result {
        Ok(file) => file.into_response(),
        Err(error) => crate::state::text_error(&error),
    }
}
