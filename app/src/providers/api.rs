//! Server functions of the censimento. Provider accounts only; each sees its own provider.

use leptos::prelude::*;

use super::model::{ProviderForm, ProviderView};
use crate::error::AppError;

#[server(endpoint = "providers/mine")]
pub async fn load_my_provider() -> Result<Option<ProviderView>, AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Provider).await?;
        super::server::provider_of_user(&app_state()?.db, &user.id).await
    })
    .await
}

/// Saves the censimento (every field checked again here) and moves on to the request step.
#[server(endpoint = "providers/save")]
pub async fn save_provider(form: ProviderForm) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Provider).await?;
        let valid = form.validate().map_err(AppError::InvalidForm)?;
        super::server::save_provider(&app_state()?.db, &user.id, &valid).await?;
        leptos_axum::redirect("/area/domanda");
        Ok(())
    })
    .await
}
