//! Server functions of the payments. Thin: read the context, check who calls, call
//! `payments::service`.

use leptos::prelude::*;

use super::model::{AttemptView, CartPage, NoticeAnswer, PayAnswer, PaymentSummary};
use crate::error::AppError;

/// The cart page of the logged-in provider (with a fresh idempotency key).
#[server(endpoint = "payments/page", output = crate::codec::Json)]
pub async fn load_payment_page() -> Result<CartPage, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let provider =
            crate::providers::service::provider_of_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
        let request = crate::requests::service::latest_request_of_provider(&state.db, &provider.id).await?;
        super::service::cart_page(&state.db, state.payments.is_some(), &provider, request.as_ref()).await
    })
    .await
}

/// "Paga con pagoPA": `debts` is the comma-separated list of the cart's debt ids as shown.
#[server(endpoint = "payments/pay", output = crate::codec::Json)]
pub async fn pay(idempotency_key: String, debts: String, payer_email: String) -> Result<PayAnswer, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::domain::{Email, FieldError};
    as_role(Role::Provider, |user, state| async move {
        let gateway = state.gateway()?;
        let email = Email::parse(&payer_email).map_err(|e| FieldError::new("payer_email", e.rule))?;
        let provider =
            crate::providers::service::provider_of_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
        if crate::requests::service::latest_request_of_provider(&state.db, &provider.id).await?.is_some() {
            super::service::payment_gate_open(&state.db, &provider).await?;
        }
        let debt_ids: Vec<String> =
            debts.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let answer =
            super::service::pay(&state.db, gateway, &user, &provider, &idempotency_key, &debt_ids, &email).await?;
        match &answer {
            PayAnswer::Redirect { url, .. } => leptos_axum::redirect(url),
            PayAnswer::Verifying { .. } | PayAnswer::Closed { .. } => leptos_axum::redirect("/area/pagamenti"),
        }
        Ok(answer)
    })
    .await
}

/// "Genera avviso pagoPA" for one debt of the logged-in provider (docs/channels.md, "Notices").
#[server(endpoint = "payments/notice", output = crate::codec::Json)]
pub async fn issue_notice(
    idempotency_key: String,
    debt: String,
    payer_email: String,
) -> Result<NoticeAnswer, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::domain::{Email, FieldError};
    use crate::payments::notices::IssueAnswer;
    as_role(Role::Provider, |user, state| async move {
        let gateway = state.gateway()?;
        let email = Email::parse(&payer_email).map_err(|e| FieldError::new("notice_payer_email", e.rule))?;
        let provider =
            crate::providers::service::provider_of_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
        if crate::requests::service::latest_request_of_provider(&state.db, &provider.id).await?.is_some() {
            super::service::payment_gate_open(&state.db, &provider).await?;
        }
        if debt.trim().is_empty() {
            return Err(FieldError::new("notice_debt", crate::domain::FieldRule::Required).into());
        }
        Ok(
            match crate::payments::notices::issue(
                &state.db,
                gateway,
                &user,
                &provider,
                &idempotency_key,
                debt.trim(),
                &email,
            )
            .await?
            {
                IssueAnswer::Issued { attempt_id } => NoticeAnswer::Issued { attempt_id },
                IssueAnswer::Preparing { attempt_id } => NoticeAnswer::Preparing { attempt_id },
            },
        )
    })
    .await
}

/// Cancels one of the logged-in provider's notices (to pay the debt online or otherwise).
#[server(endpoint = "payments/notice_cancel", output = crate::codec::Json)]
pub async fn cancel_notice(attempt: String) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let gateway = state.gateway()?;
        crate::payments::notices::cancel(&state.db, gateway, &user, attempt.trim(), "richiesto dal provider").await
    })
    .await
}

/// Asks MyPay about the attempt of `id_session` and applies the decision table. Only the
/// owning provider or the Segreteria. `esito` is what the browser reported (kept, never trusted).
#[server(endpoint = "payments/verify", output = crate::codec::Json)]
pub async fn verify_attempt(id_session: String, esito: Option<String>) -> Result<AttemptView, AppError> {
    use crate::accounts::session::*;
    use crate::state::*;
    respond(async move {
        let user = require_user().await?;
        let state = app_state()?;
        super::service::verify_session(
            &state.db,
            state.payments.as_deref(),
            &user,
            id_session.trim(),
            esito.as_deref(),
            state.reconciler.verify_min_interval,
        )
        .await
    })
    .await
}

/// Every payment attempt of the logged-in provider.
#[server(endpoint = "payments/mine", output = crate::codec::Json)]
pub async fn load_my_payments() -> Result<Vec<AttemptView>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let Some(provider) = crate::providers::service::provider_of_user(&db, &user.id).await? else {
            return Ok(vec![]);
        };
        super::service::attempts_of_provider(&db, &provider.id).await
    })
    .await
}

/// The payment position of the provider's current request (home page and stepper).
#[server(endpoint = "payments/summary", output = crate::codec::Json)]
pub async fn load_payment_summary() -> Result<PaymentSummary, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let provider =
            crate::providers::service::provider_of_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
        let request = crate::requests::service::latest_request_of_provider(&state.db, &provider.id).await?;
        super::service::summary(&state.db, state.payments.is_some(), request.as_ref()).await
    })
    .await
}
