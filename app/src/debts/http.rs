//! The statement of account as CSV: `GET /area/estratto-conto.csv` (the provider's own) and
//! `GET /segreteria/provider/{id}/estratto-conto.csv` (the Segreteria, any provider).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::accounts::session::{download, ensure_role};
use crate::accounts::Role;
use crate::error::AppError;
use crate::state::{AppState, Download};

fn csv_file(statement: &super::model::Statement) -> Download {
    let name = format!("estratto-conto-{}-{}.csv", statement.codice_fiscale, statement.today);
    Download::csv(name, super::model::statement_csv(statement))
}

async fn own(State(state): State<AppState>, headers: HeaderMap) -> Response {
    download(state, &headers, |state, user| async move {
        ensure_role(&user, Role::Provider, "own statement of account")?;
        let provider = crate::store::providers::by_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
        let statement = super::service::statement(&state.db, &provider.id, crate::domain::dates::today()).await?;
        Ok(csv_file(&statement))
    })
    .await
}

async fn of_provider(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    download(state, &headers, |state, user| async move {
        ensure_role(&user, Role::Segreteria, "a provider's statement of account")?;
        let statement = super::service::statement(&state.db, &id, crate::domain::dates::today()).await?;
        Ok(csv_file(&statement))
    })
    .await
}

pub fn routes<S>(state: AppState) -> axum::Router<S> {
    axum::Router::new()
        .route("/area/estratto-conto.csv", axum::routing::get(own))
        .route("/segreteria/provider/{id}/estratto-conto.csv", axum::routing::get(of_provider))
        .with_state(state)
}
