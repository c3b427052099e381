//! The statement of account as CSV: `GET /area/estratto-conto.csv` (the provider's own) and
//! `GET /segreteria/provider/{id}/estratto-conto.csv` (the Segreteria, any provider).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::accounts::session::user_from_headers;
use crate::accounts::Role;
use crate::error::AppError;
use crate::state::AppState;

fn csv_answer(result: Result<super::model::Statement, AppError>) -> Response {
    match result {
        Ok(statement) => {
            let name = format!("estratto-conto-{}-{}.csv", statement.codice_fiscale, statement.today);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                super::model::statement_csv(&statement),
            )
                .into_response()
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], error.message_it()).into_response()
        }
    }
}

async fn own(State(state): State<AppState>, headers: HeaderMap) -> Response {
    csv_answer(
        async {
            let user = user_from_headers(&state, &headers).await?.ok_or(AppError::Unauthenticated)?;
            if user.role != Role::Provider {
                return Err(AppError::Forbidden);
            }
            let provider = crate::store::providers::by_user(&state.db, &user.id).await?.ok_or(AppError::StepMissing)?;
            super::service::statement(&state.db, &provider.id, crate::domain::dates::today()).await
        }
        .await,
    )
}

async fn of_provider(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    csv_answer(
        async {
            let user = user_from_headers(&state, &headers).await?.ok_or(AppError::Unauthenticated)?;
            if user.role != Role::Segreteria {
                return Err(AppError::Forbidden);
            }
            super::service::statement(&state.db, &id, crate::domain::dates::today()).await
        }
        .await,
    )
}

pub fn routes<S>(state: AppState) -> axum::Router<S> {
    axum::Router::new()
        .route("/area/estratto-conto.csv", axum::routing::get(own))
        .route("/segreteria/provider/{id}/estratto-conto.csv", axum::routing::get(of_provider))
        .with_state(state)
}
