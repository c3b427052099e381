use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{RequestDetail, RequestPage};
use crate::error::AppError;

/// Figures for the console's home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegreteriaOverview {
    pub provider_accounts: i64,
    pub segreteria_accounts: i64,
}

/// Segreteria only: a provider calling it gets `forbidden` and HTTP 403.
#[server(endpoint = "segreteria/overview")]
pub async fn load_overview() -> Result<SegreteriaOverview, AppError> {
    use crate::accounts::{server::count_by_role, Role};
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        let state = app_state()?;
        Ok(SegreteriaOverview {
            provider_accounts: count_by_role(&state.db, Role::Provider).await?,
            segreteria_accounts: count_by_role(&state.db, Role::Segreteria).await?,
        })
    })
    .await
}

/// A queue of requests: `state` empty for all queues, `search` on name / codice fiscale / P.IVA.
#[server(endpoint = "segreteria/requests")]
pub async fn list_requests(state: String, search: String, page: i64) -> Result<RequestPage, AppError> {
    use crate::accounts::Role;
    use crate::requests::model::RequestState;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        let state_filter = match state.trim() {
            "" => None,
            code => Some(RequestState::from_db(code).ok_or(AppError::NotFound)?),
        };
        super::server::list_requests(&app_state()?.db, state_filter, &search, page).await
    })
    .await
}

#[server(endpoint = "segreteria/request")]
pub async fn load_request_detail(id: String) -> Result<RequestDetail, AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        let db = app_state()?.db;
        let request = crate::requests::server::load_request(&db, &id).await?.ok_or(AppError::NotFound)?;
        let provider_id = super::server::provider_of_request(&db, &id).await?.ok_or(AppError::NotFound)?;
        let provider = crate::providers::server::provider_by_id(&db, &provider_id).await?.ok_or(AppError::NotFound)?;
        let documents = crate::documents::server::slots(&db, &id).await?;
        let payments = crate::payments::server::attempts_of_provider(&db, &provider_id).await?;
        Ok(RequestDetail { request, provider, documents, payments })
    })
    .await
}

/// Take in charge, ask for an integration (note naming the documents), accredit, reject
/// (with reasons). Recorded with actor and time; the provider sees it.
#[server(endpoint = "segreteria/act")]
pub async fn act_on_request(id: String, action: String, note: String) -> Result<(), AppError> {
    use super::model::RequestAction;
    use crate::accounts::Role;
    use crate::domain::{FieldError, FieldRule};
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Segreteria).await?;
        let action = RequestAction::from_code(&action).ok_or_else(|| FieldError::new("action", FieldRule::Choice))?;
        let note = note.trim();
        if action.needs_note() && note.is_empty() {
            return Err(FieldError::new("note", FieldRule::Required).into());
        }
        if note.chars().count() > 2000 {
            return Err(FieldError::new("note", FieldRule::TooLong).into());
        }
        let db = app_state()?.db;
        crate::requests::server::transition(&db, &user, &id, action.source(), action.target(), (!note.is_empty()).then_some(note)).await?;
        Ok(())
    })
    .await
}
