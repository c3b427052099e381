//! Server functions of the payments console. Segreteria only: a provider gets `forbidden` (403).

use leptos::prelude::*;

use super::model::{PaymentDetail, PaymentRow, VerifyReport};
use crate::error::AppError;
use crate::segreteria::queue::QueuePage;

/// A queue of attempts: `queue` empty for all, `search` on provider, CF/P.IVA, idSession, IUV.
#[server(endpoint = "segreteria/payments", output = crate::codec::Json)]
pub async fn list_payments(queue: String, search: String, page: i64) -> Result<QueuePage<PaymentRow>, AppError> {
    use super::model::PaymentQueue;
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        let queue = crate::segreteria::queue::filter(&queue, PaymentQueue::from_code)?;
        super::service::list_attempts(&state.db, queue, &search, page).await
    })
    .await
}

#[server(endpoint = "segreteria/payment", output = crate::codec::Json)]
pub async fn load_payment_detail(id: String) -> Result<PaymentDetail, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move { super::service::attempt_detail(&state.db, id.trim()).await })
        .await
}

/// "Verifica ora": asks MyPay about the attempt now and applies the decision table.
#[server(endpoint = "segreteria/payment_verify", output = crate::codec::Json)]
pub async fn verify_payment_now(id: String) -> Result<VerifyReport, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |user, state| async move {
        super::service::verify_now(&state.db, state.gateway()?, &user, id.trim()).await
    })
    .await
}
