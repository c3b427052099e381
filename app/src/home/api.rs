//! Server functions of the provider's home (`/area`): everything the page shows, in one call.

use leptos::prelude::*;

use super::model::AreaOverview;
use crate::error::AppError;

/// The provider, its request with history, the request's fees and the payment gate, read in
/// one pass (the page needs them together; one call instead of four).
#[server(endpoint = "area/overview", output = crate::codec::Json)]
pub async fn load_area_overview() -> Result<AreaOverview, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        super::service::overview(&state.db, state.payments.is_some(), &user.id).await
    })
    .await
}
