//! Server functions of the ledger: the statement of account, for the provider (its own) and
//! for the Segreteria (any provider's).

use leptos::prelude::*;

use super::model::Statement;
use crate::error::AppError;

/// The logged-in provider's statement of account (`None` before the censimento).
#[server(endpoint = "debts/statement", output = crate::codec::Json)]
pub async fn load_my_statement() -> Result<Option<Statement>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let Some(provider) = crate::store::providers::by_user(&db, &user.id).await? else {
            return Ok(None);
        };
        super::service::statement(&db, &provider.id, crate::domain::dates::today()).await.map(Some)
    })
    .await
}

/// A provider's statement of account, for the Segreteria (`id` = the provider's id).
#[server(endpoint = "segreteria/statement", output = crate::codec::Json)]
pub async fn load_provider_statement(id: String) -> Result<Statement, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        super::service::statement(&state.db, id.trim(), crate::domain::dates::today()).await
    })
    .await
}

/// The logged-in provider's debts annulled by the Segreteria, newest first.
#[server(endpoint = "payments/annulled", output = crate::codec::Json)]
pub async fn load_my_annulled_debts() -> Result<Vec<super::model::AnnulledDebtView>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let Some(provider) = crate::providers::service::provider_of_user(&db, &user.id).await? else {
            return Ok(vec![]);
        };
        super::service::annulled_of_provider(&db, &provider.id).await
    })
    .await
}
