use leptos::prelude::*;

use super::model::DocumentsView;
use crate::error::AppError;

/// The document slots of the provider's latest request (none before the request exists).
#[server(endpoint = "documents/mine", output = crate::codec::Json)]
pub async fn load_my_documents() -> Result<Option<DocumentsView>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let Some(provider) = crate::providers::service::provider_of_user(&state.db, &user.id).await? else {
            return Ok(None);
        };
        let Some(request) = crate::store::requests::latest_of_provider(&state.db, &provider.id).await? else {
            return Ok(None);
        };
        Ok(Some(DocumentsView {
            slots: super::service::slots(&state.db, &request.id).await?,
            editable: super::service::documents_open(&request),
            request_id: request.id,
            max_bytes: state.upload_limits.max_bytes,
        }))
    })
    .await
}
