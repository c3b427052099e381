//! Server functions of the censimento. Provider accounts only; each sees its own provider.

use leptos::prelude::*;

use super::model::{ProviderForm, ProviderView};
use crate::error::AppError;

#[server(endpoint = "providers/mine", output = crate::codec::Json)]
pub async fn load_my_provider() -> Result<Option<ProviderView>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move { super::service::provider_of_user(&state.db, &user.id).await })
        .await
}

/// Saves the censimento (every field checked again here) and moves on to the request step.
#[server(endpoint = "providers/save", output = crate::codec::Json)]
pub async fn save_provider(form: ProviderForm) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        // The fields of sections that are not open arrive empty (their fieldset is disabled):
        // they keep their value. One that arrives changed is refused by the service.
        let mut form = form;
        if let Some(current) = super::service::provider_of_user(&db, &user.id).await? {
            for field in super::model::ProviderForm::FIELDS {
                if !current.field_open(field) && form.get(field).trim().is_empty() {
                    form.set(field, current.form.get(field).to_string());
                }
            }
        }
        let valid = form.validate().map_err(AppError::InvalidForm)?;
        super::service::save_provider(&db, &user, &valid).await?;
        leptos_axum::redirect("/area/domanda");
        Ok(())
    })
    .await
}
