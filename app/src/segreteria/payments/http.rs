//! The console's plain HTTP endpoint: `GET /segreteria/pagamenti.csv` (the CSV export).

use crate::accounts::session::{download, ensure_role};
use crate::accounts::Role;
use crate::state::{AppState, Download};

#[derive(Debug, serde::Deserialize)]
pub struct CsvQuery {
    pub dal: Option<String>,
    pub al: Option<String>,
}

/// `GET /segreteria/pagamenti.csv?dal=YYYY-MM-DD&al=YYYY-MM-DD`: Segreteria only (401/403).
pub async fn csv_handler(
    axum::extract::State(state): axum::extract::State<AppState>,
    axum::extract::Query(query): axum::extract::Query<CsvQuery>,
    headers: http::HeaderMap,
) -> axum::response::Response {
    download(state, &headers, |state, user| async move {
        ensure_role(&user, Role::Segreteria, "payments export")?;
        let body = super::service::export_csv(&state.db, query.dal.as_deref(), query.al.as_deref()).await?;
        Ok(Download::csv("pagamenti-ecm.csv", body))
    })
    .await
}

/// Routes of the console's plain HTTP endpoints.
pub fn routes<S>(state: AppState) -> axum::Router<S> {
    axum::Router::new().route("/segreteria/pagamenti.csv", axum::routing::get(csv_handler)).with_state(state)
}
