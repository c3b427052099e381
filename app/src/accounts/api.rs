//! Server functions for accounts. Thin: read context, parse input, call `service.rs`.

use leptos::prelude::*;

use super::model::CurrentUser;
use crate::error::AppError;

/// Registers a provider account. The answer is the same whether or not the address already has
/// an account (the confirmation page, no session): a new account gets the verification mail,
/// whose link opens the area; an existing one gets a mail saying someone tried, with the way to
/// log in or reset the password. So the form tells nobody which addresses are registered.
#[server(endpoint = "accounts/register", output = crate::codec::Json)]
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
        super::service::take_registration_slot(&state.db, &state.login_limits, &client_address()).await?;
        match super::service::register_provider(&state.db, &email, &display_name, &password).await {
            Ok(_) => {}
            Err(AppError::EmailTaken) => super::service::tell_existing_account(&state.db, &email).await?,
            Err(error) => return Err(error),
        }
        leptos_axum::redirect("/registrazione?inviata=1");
        Ok(())
    })
    .await
}

/// Logs in; a new session id is issued at every login (and an old cookie is dropped).
#[server(endpoint = "accounts/login", output = crate::codec::Json)]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user =
            super::service::authenticate(&state.db, &state.login_limits, &email, &password, &client_address()).await?;
        if let Some(previous) = session_token() {
            super::service::delete_session(&state.db, &state.sessions, &previous).await?;
        }
        let token = super::service::create_session(&state.db, &user.id, state.session_ttl).await?;
        set_session_cookie(&state, &token);
        leptos_axum::redirect(user.role.home_path());
        Ok(())
    })
    .await
}

#[server(endpoint = "accounts/logout", output = crate::codec::Json)]
pub async fn logout() -> Result<(), AppError> {
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        if let Some(token) = session_token() {
            super::service::delete_session(&state.db, &state.sessions, &token).await?;
        }
        clear_session_cookie(&state);
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// The logged-in account, or `None` for an anonymous visitor.
#[server(endpoint = "accounts/me", output = crate::codec::Json)]
pub async fn fetch_current_user() -> Result<Option<CurrentUser>, AppError> {
    crate::state::respond(crate::accounts::session::current_user()).await
}

/// «Password dimenticata»: the same answer (a redirect to the confirmation) whether or not the
/// address has an account, and in the same time: the lookup and the mail are done after the
/// answer, in a task of their own.
#[server(endpoint = "accounts/password-reset-request", output = crate::codec::Json)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::domain::Email;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let email = Email::parse(&email)?;
        tokio::spawn(async move {
            if let Err(error) = super::service::request_password_reset(&state.db, &email).await {
                tracing::error!(%error, "password reset request not recorded");
            }
        });
        leptos_axum::redirect("/password-dimenticata?inviata=1");
        Ok(())
    })
    .await
}

/// Sets a new password with the token of a reset link; every session of the account ends.
#[server(endpoint = "accounts/password-reset", output = crate::codec::Json)]
pub async fn reset_password(token: String, password: String, password_confirm: String) -> Result<(), AppError> {
    use crate::domain::NewPassword;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let password = NewPassword::parse(&password, &password_confirm)?;
        super::service::reset_password(&state.db, &state.sessions, token.trim(), &password).await?;
        clear_session_cookie(&state);
        leptos_axum::redirect("/accedi?password=reimpostata");
        Ok(())
    })
    .await
}

/// Confirms the account's e-mail address with the token of the verification link.
#[server(endpoint = "accounts/verify-email", output = crate::codec::Json)]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user = super::service::verify_email(&state.db, &state.sessions, token.trim()).await?;
        // The link reached the mailbox: a visitor who just registered goes straight to the area.
        if current_user().await?.is_none() {
            let session = super::service::create_session(&state.db, &user.id, state.session_ttl).await?;
            set_session_cookie(&state, &session);
            leptos_axum::redirect(user.role.home_path());
        } else {
            leptos_axum::redirect("/verifica-email?esito=confermato");
        }
        Ok(())
    })
    .await
}

/// Sends the verification mail of the logged-in account again.
#[server(endpoint = "accounts/verify-email-again", output = crate::codec::Json)]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user = require_user().await?;
        super::service::resend_verification(&state.db, &user).await
    })
    .await
}

/// Changes the password (the current one first); every other session of the account ends and
/// this browser gets a new session.
#[server(endpoint = "accounts/password-change", output = crate::codec::Json)]
pub async fn change_password(
    current_password: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::domain::NewPassword;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user = require_user().await?;
        let password = NewPassword::parse(&password, &password_confirm)?;
        super::service::change_password(
            &state.db,
            &state.sessions,
            &state.login_limits,
            &user,
            &current_password,
            &password,
            &client_address(),
        )
        .await?;
        let token = super::service::create_session(&state.db, &user.id, state.session_ttl).await?;
        set_session_cookie(&state, &token);
        leptos_axum::redirect("/account?password=cambiata");
        Ok(())
    })
    .await
}

/// Ends every session of the account, on every device, this one included.
#[server(endpoint = "accounts/logout-everywhere", output = crate::codec::Json)]
pub async fn logout_everywhere() -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::state::*;
    respond(async move {
        let state = app_state()?;
        let user = require_user().await?;
        super::service::end_all_sessions(&state.db, &state.sessions, &user).await?;
        clear_session_cookie(&state);
        leptos_axum::redirect("/accedi?uscita=ovunque");
        Ok(())
    })
    .await
}
