use leptos::prelude::*;

use super::model::RequestView;
use crate::error::AppError;

/// The provider's latest accreditation request, if it started one.
#[server(endpoint = "requests/mine", output = crate::codec::Json)]
pub async fn load_my_request() -> Result<Option<RequestView>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let Some(provider) = crate::providers::service::provider_of_user(&db, &user.id).await? else {
            return Ok(None);
        };
        super::service::latest_request_of_provider(&db, &provider.id).await
    })
    .await
}

/// Chooses provvisorio / standard: creates the draft request or updates it.
#[server(endpoint = "requests/kind", output = crate::codec::Json)]
pub async fn choose_request_kind(kind: String) -> Result<(), AppError> {
    use super::model::RequestKind;
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::domain::{FieldError, FieldRule};
    as_role(Role::Provider, |user, state| async move {
        let kind = RequestKind::from_db(&kind).ok_or_else(|| FieldError::new("request_kind", FieldRule::Choice))?;
        let db = state.db;
        let provider =
            crate::providers::service::provider_of_user(&db, &user.id).await?.ok_or(AppError::StepMissing)?;
        super::service::choose_kind(&db, &user, &provider.id, kind).await?;
        leptos_axum::redirect("/area");
        Ok(())
    })
    .await
}

/// After the Segreteria asked for an integration, the provider sends the request back
/// (INTEGRAZIONE_RICHIESTA → IN_ISTRUTTORIA) once documents are updated.
#[server(endpoint = "requests/integration", output = crate::codec::Json)]
pub async fn submit_integration() -> Result<(), AppError> {
    use super::model::RequestState;
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let provider =
            crate::providers::service::provider_of_user(&db, &user.id).await?.ok_or(AppError::StepMissing)?;
        let request =
            super::service::latest_request_of_provider(&db, &provider.id).await?.ok_or(AppError::StepMissing)?;
        if request.state != RequestState::IntegrazioneRichiesta {
            return Err(AppError::WrongState);
        }
        let documents = crate::documents::service::slots(&db, &request.id).await?;
        if documents.iter().any(|slot| slot.doc_type.required && slot.current.is_none()) {
            return Err(AppError::StepMissing);
        }
        super::service::send(&db, &user, &provider.id, RequestState::IntegrazioneRichiesta).await?;
        Ok(())
    })
    .await
}

/// Sends the draft request to the Segreteria (BOZZA → INVIATA). Refused until every fee of the
/// request is verified as paid.
#[server(endpoint = "requests/submit", output = crate::codec::Json)]
pub async fn submit_request() -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let provider =
            crate::providers::service::provider_of_user(&db, &user.id).await?.ok_or(AppError::StepMissing)?;
        crate::payments::service::payment_gate_open(&db, &provider).await?;
        super::service::send(&db, &user, &provider.id, super::model::RequestState::Bozza).await?;
        leptos_axum::redirect("/area");
        Ok(())
    })
    .await
}

/// What still blocks the payment step for the logged-in provider (empty when it is open).
#[server(endpoint = "requests/gate", output = crate::codec::Json)]
pub async fn load_payment_gate() -> Result<super::model::PaymentGate, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move { super::service::payment_gate(&state.db, &user.id).await }).await
}
