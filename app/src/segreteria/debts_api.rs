//! Server functions of the debts console. Segreteria only: a provider gets `forbidden` (403),
//! an anonymous caller `unauthenticated` (401).

use leptos::prelude::*;

use super::debts_model::{DebtDetail, DebtPage};
use crate::error::AppError;

/// Debts in `state` (a DB code such as `DA_PAGARE`, empty for all), `search` on provider and causale.
#[server(endpoint = "segreteria/debts")]
pub async fn list_debts(state: String, search: String, page: i64) -> Result<DebtPage, AppError> {
    use crate::accounts::Role;
    use crate::payments::model::DebtState;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        let state = match state.trim() {
            "" => None,
            code => Some(DebtState::from_db(code).ok_or(AppError::NotFound)?),
        };
        super::debts_server::list_debts(&app_state()?.db, state, &search, page).await
    })
    .await
}

#[server(endpoint = "segreteria/debt")]
pub async fn load_debt_detail(id: String) -> Result<DebtDetail, AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        super::debts_server::debt_detail(&app_state()?.db, id.trim()).await
    })
    .await
}

/// Annuls a DA_PAGARE debt with a mandatory reason (never IN_CORSO or PAGATO).
#[server(endpoint = "segreteria/debt_annul")]
pub async fn annul_debt(id: String, reason: String) -> Result<(), AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Segreteria).await?;
        let id = id.trim().to_string();
        let page = format!("/segreteria/dovuti/{}", crate::domain::percent_encode(&id));
        let result = crate::payments::annulment::annul_debt(&app_state()?.db, &user, &id, &reason).await;
        match &result {
            Ok(()) => leptos_axum::redirect(&format!("{page}?annullato=1")),
            Err(error) => super::tariffs_api::back_to_form(&page, "segreteria/debt_annul", error, &[("motivo", &reason)]),
        }
        result
    })
    .await
}
