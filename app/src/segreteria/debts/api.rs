//! Server functions of the debts console. Segreteria only: a provider gets `forbidden` (403),
//! an anonymous caller `unauthenticated` (401).

use leptos::prelude::*;

use super::model::{DebtDetail, DebtRow};
use crate::error::AppError;
use crate::segreteria::queue::QueuePage;

/// A queue of debts: `state` is empty (all), a state's DB code (`DA_PAGARE`, …) or `SCADUTI`
/// (overdue); `fee` a fee kind code or empty; `year` four digits or empty; `search` on provider
/// and causale.
#[server(endpoint = "segreteria/debts", output = crate::codec::Json)]
pub async fn list_debts(
    state: String,
    search: String,
    page: i64,
    #[server(default)] fee: String,
    #[server(default)] year: String,
) -> Result<QueuePage<DebtRow>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::debts::model::DebtQueue;
    use crate::payments::model::FeeKind;
    as_role(Role::Segreteria, |_, app| async move {
        let queue = DebtQueue::from_code(&state).ok_or(AppError::NotFound)?;
        use crate::segreteria::queue::filter;
        let fee = filter(&fee, FeeKind::from_db)?;
        let year = filter(&year, |y| y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)))?;
        super::service::list_debts(&app.db, queue, fee, year, &search, page).await
    })
    .await
}

#[server(endpoint = "segreteria/debt", output = crate::codec::Json)]
pub async fn load_debt_detail(id: String) -> Result<DebtDetail, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move { super::service::debt_detail(&state.db, id.trim()).await }).await
}

/// Annuls a DA_PAGARE debt with a mandatory reason (never IN_CORSO or PAGATO).
#[server(endpoint = "segreteria/debt_annul", output = crate::codec::Json)]
pub async fn annul_debt(id: String, reason: String) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    as_role(Role::Segreteria, |user, state| async move {
        let id = id.trim().to_string();
        let page = format!("/segreteria/dovuti/{}", crate::domain::percent_encode(&id));
        let result =
            crate::payments::notices::annul_debt(&state.db, state.payments.as_deref(), &user, &id, &reason).await;
        after_form(result, &page, "annullato=1", "segreteria/debt_annul", &[("motivo", &reason)])
    })
    .await
}

/// Extends a debt's due date (proroga): a later date and a mandatory reason, audited and shown
/// to the provider.
#[server(endpoint = "segreteria/debt_extend", output = crate::codec::Json)]
pub async fn extend_debt(id: String, new_due_date: String, due_reason: String) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    as_role(Role::Segreteria, |user, state| async move {
        let id = id.trim().to_string();
        let page = format!("/segreteria/dovuti/{}", crate::domain::percent_encode(&id));
        let result = crate::debts::service::extend_due(&state.db, &user, &id, &new_due_date, &due_reason).await;
        after_form(
            result,
            &page,
            "prorogato=1",
            "segreteria/debt_extend",
            &[("scadenza", &new_due_date), ("motivo_proroga", &due_reason)],
        )
    })
    .await
}
