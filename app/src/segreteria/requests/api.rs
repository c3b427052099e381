use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{RequestDetail, RequestRow};
use crate::error::AppError;
use crate::segreteria::queue::QueuePage;

/// Figures for the console's home page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegreteriaOverview {
    pub provider_accounts: i64,
    pub segreteria_accounts: i64,
    /// The latest notifications the SMTP server refused or that failed too many times.
    pub mail_failed: Vec<crate::mail::model::MailLogLine>,
}

/// Segreteria only: a provider calling it gets `forbidden` and HTTP 403.
#[server(endpoint = "segreteria/overview", output = crate::codec::Json)]
pub async fn load_overview() -> Result<SegreteriaOverview, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::{service::count_by_role, Role};
    as_role(Role::Segreteria, |_, state| async move {
        Ok(SegreteriaOverview {
            provider_accounts: count_by_role(&state.db, Role::Provider).await?,
            segreteria_accounts: count_by_role(&state.db, Role::Segreteria).await?,
            mail_failed: crate::store::outbox::failed(&state.db, 10).await?,
        })
    })
    .await
}

/// A queue of requests: `state` empty for all queues, `search` on name / codice fiscale / P.IVA.
#[server(endpoint = "segreteria/requests", output = crate::codec::Json)]
pub async fn list_requests(state: String, search: String, page: i64) -> Result<QueuePage<RequestRow>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::requests::model::RequestState;
    as_role(Role::Segreteria, |_, app| async move {
        let state_filter = crate::segreteria::queue::filter(&state, RequestState::from_db)?;
        super::service::list_requests(&app.db, state_filter, &search, page).await
    })
    .await
}

#[server(endpoint = "segreteria/request", output = crate::codec::Json)]
pub async fn load_request_detail(id: String) -> Result<RequestDetail, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        let db = state.db;
        let request = crate::requests::service::load_request(&db, &id).await?.ok_or(AppError::NotFound)?;
        let provider_id = super::service::provider_of_request(&db, &id).await?.ok_or(AppError::NotFound)?;
        let provider = crate::providers::service::provider_by_id(&db, &provider_id).await?.ok_or(AppError::NotFound)?;
        let documents = crate::documents::service::slots(&db, &id).await?;
        let payments = crate::payments::service::attempts_of_provider(&db, &provider_id).await?;
        let fees =
            crate::store::debts::of_request(&db, &id).await?.iter().map(crate::payments::service::debt_view).collect();
        let changes = crate::store::providers::changes(&db, &provider_id).await?;
        Ok(RequestDetail { request, provider, documents, payments, fees, changes })
    })
    .await
}

/// Take in charge, ask for an integration (note naming the documents), accredit, reject
/// (with reasons). Recorded with actor and time; the provider sees it.
#[server(endpoint = "segreteria/act", output = crate::codec::Json)]
pub async fn act_on_request(
    id: String,
    action: String,
    note: String,
    /// For an integration: the sections reopened to the provider (`Section` codes).
    #[server(default)]
    sections: Vec<String>,
) -> Result<(), AppError> {
    use super::model::RequestAction;
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::domain::{FieldError, FieldRule};
    use crate::providers::model::Section;
    as_role(Role::Segreteria, |user, state| async move {
        let action = RequestAction::from_code(&action).ok_or_else(|| FieldError::new("action", FieldRule::Choice))?;
        let mut reopened = Vec::new();
        for code in &sections {
            let section = Section::from_code(code).ok_or_else(|| FieldError::new("sections", FieldRule::Choice))?;
            if !reopened.contains(&section) {
                reopened.push(section);
            }
        }
        if action != RequestAction::AskIntegration {
            reopened.clear();
        }
        let note = note.trim();
        if action.needs_note() && note.is_empty() {
            return Err(FieldError::new("note", FieldRule::Required).into());
        }
        if note.chars().count() > 2000 {
            return Err(FieldError::new("note", FieldRule::TooLong).into());
        }
        let db = state.db;
        crate::requests::service::transition(
            &db,
            &user,
            &id,
            action.source(),
            action.target(),
            (!note.is_empty()).then_some(note),
            &reopened,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Confirms the provider's Gruppo (`class` = the declared one) or corrects it (`class` the other
/// one, with a mandatory `class_reason`); a correction recomputes the request's fees.
#[server(endpoint = "segreteria/class", output = crate::codec::Json)]
pub async fn set_provider_class(
    id: String,
    class: String,
    #[server(default)] class_reason: String,
) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::domain::{FieldError, FieldRule};
    use crate::providers::model::ProviderClass;
    as_role(Role::Segreteria, |user, state| async move {
        let class =
            ProviderClass::from_db(class.trim()).ok_or_else(|| FieldError::new("provider_class", FieldRule::Choice))?;
        let db = state.db;
        let result = crate::requests::service::confirm_class(&db, &user, id.trim(), class, &class_reason).await;
        if let Err(error) = &result {
            let page = format!("/segreteria/domande/{}", crate::domain::percent_encode(id.trim()));
            crate::state::back_to_form(&page, "segreteria/class", error, &[("motivo_gruppo", &class_reason)]);
        }
        result
    })
    .await
}
