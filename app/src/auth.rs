//! The client-side view of who is logged in: the account actions and a resource that
//! refetches the current account whenever one of them completes.

use base64::Engine;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use server_fn::error::FromServerFnError;

use crate::accounts::api::{fetch_current_user, Login, Logout, Register};
use crate::accounts::{CurrentUser, Role};
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub register: ServerAction<Register>,
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

impl Auth {
    pub fn provide() -> Auth {
        let login = ServerAction::<Login>::new();
        let logout = ServerAction::<Logout>::new();
        let register = ServerAction::<Register>::new();
        let user = Resource::new(
            move || (login.version().get(), logout.version().get(), register.version().get()),
            |_| fetch_current_user(),
        );
        let auth = Auth { login, logout, register, user };
        provide_context(auth);
        auth
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// What a protected page shows when the visitor may not see it.
pub enum Access {
    Granted(CurrentUser),
    NeedsLogin,
    Denied,
    Failed(AppError),
}

pub fn check_access(user: Result<Option<CurrentUser>, AppError>, role: Role) -> Access {
    match user {
        Ok(Some(user)) if user.role == role => Access::Granted(user),
        Ok(Some(_)) => Access::Denied,
        Ok(None) => Access::NeedsLogin,
        Err(error) => Access::Failed(error),
    }
}

/// The error of a form that was posted without JavaScript: server_fn redirects back to the
/// form with `__path` (the function's URL) and `__err` (the encoded error) in the query. Only
/// the error's code is believed ([`AppError::from_url`]): a URL can be forged.
pub fn form_error(endpoint: &'static str) -> Memo<Option<AppError>> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        let path = query.get("__path")?;
        if !path.ends_with(endpoint) {
            return None;
        }
        let bytes = base64::engine::general_purpose::URL_SAFE.decode(query.get("__err")?).ok()?;
        Some(AppError::from_url(AppError::de(bytes.into())))
    })
}

/// The error of a form's last submission: the action's answer when the page is hydrated, else
/// the one a plain form post brought back in the URL ([`form_error`] of the function's path).
pub fn action_error<S>(action: ServerAction<S>) -> impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static
where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let redirected = form_error(S::PATH);
    move || action.value().get().map_or_else(|| redirected.get(), Result::err)
}
