//! The page guard: every page that needs an account renders through [`guarded`] or
//! [`guarded_any`], which show the login, 403 or error page instead when the caller may not see
//! it (docs/ssr.md, rule 1).

use leptos::prelude::*;

use super::view::{FailurePage, ForbiddenPage, LoginRequiredPage};
use crate::accounts::Role;
use crate::auth::{check_access, use_auth, Access};

/// Renders `page` for an account with `role`; otherwise the right status page.
///
/// The decision is synchronous, on the server and in the browser alike: the account was
/// resolved before rendering began (`state::ResolvedUser` on the server, the serialized `Auth`
/// resource while hydrating). There is deliberately no `<Suspense>` here: Leptos runs a
/// suspense body several times while rendering on the server, and `page` creates the page's
/// resources, so every extra run would serialize a second, orphaned copy of the page's data,
/// which the browser then hydrates against (docs/ssr.md). `page` therefore runs exactly once
/// per render, on both sides.
pub fn guarded<V: IntoView + 'static>(
    role: Role,
    page: impl Fn(crate::accounts::CurrentUser) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let auth = use_auth();
    move || match auth.user.get() {
        Some(user) => match check_access(user, role) {
            Access::Granted(user) => page(user).into_any(),
            Access::NeedsLogin => view! { <LoginRequiredPage/> }.into_any(),
            Access::Denied => view! { <ForbiddenPage/> }.into_any(),
            Access::Failed(error) => view! { <FailurePage error/> }.into_any(),
        },
        None => {
            // Only in the browser, while the account is fetched again after a login or logout.
            #[cfg(feature = "ssr")]
            tracing::error!("page guard rendered before the request's account was resolved");
            view! { <p>"Caricamento…"</p> }.into_any()
        }
    }
}

/// [`guarded`] for any logged-in account, whatever its role (the account page).
pub fn guarded_any<V: IntoView + 'static>(
    page: impl Fn(crate::accounts::CurrentUser) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let auth = use_auth();
    move || match auth.user.get() {
        Some(Ok(Some(user))) => page(user).into_any(),
        Some(Ok(None)) => view! { <LoginRequiredPage/> }.into_any(),
        Some(Err(error)) => view! { <FailurePage error/> }.into_any(),
        None => view! { <p>"Caricamento…"</p> }.into_any(),
    }
}
