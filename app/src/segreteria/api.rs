use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
