//! Server functions for accounts. Thin: read context, parse input, call `server.rs`.

use leptos::prelude::*;

use super::model::CurrentUser;
use crate::error::AppError;

/// Registers a provider account and logs it in.
#[server(endpoint = "accounts/register")]
pub async fn register(
    email: String,
    display_name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::domain::{DisplayName, Email, NewPassword};
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let email = Email::parse(&email)?;
        let display_name = DisplayName::parse(&display_name)?;
        let password = NewPassword::parse(&password, &password_confirm)?;
        super::server::take_registration_slot(&state.db, &state.login_limits, &client_address()).await?;
        let user = super::server::create_account(&state.db, &email, &display_name, &password, super::Role::Provider).await?;
        let token = super::server::create_session(&state.db, &user.id, state.session_ttl).await?;
        set_session_cookie(&state, &token);
        leptos_axum::redirect(user.role.home_path());
        Ok(())
    })
    .await
}

/// Logs in; a new session id is issued at every login (and an old cookie is dropped).
#[server(endpoint = "accounts/login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user = super::server::authenticate(&state.db, &state.login_limits, &email, &password, &client_address()).await?;
        if let Some(previous) = session_token() {
            super::server::delete_session(&state.db, &previous).await?;
        }
        let token = super::server::create_session(&state.db, &user.id, state.session_ttl).await?;
        set_session_cookie(&state, &token);
        leptos_axum::redirect(user.role.home_path());
        Ok(())
    })
    .await
}

#[server(endpoint = "accounts/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        if let Some(token) = session_token() {
            super::server::delete_session(&state.db, &token).await?;
        }
        clear_session_cookie(&state);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// The logged-in account, or `None` for an anonymous visitor.
#[server(endpoint = "accounts/me")]
pub async fn fetch_current_user() -> Result<Option<CurrentUser>, AppError> {
    crate::state::respond(crate::state::current_user()).await
}
