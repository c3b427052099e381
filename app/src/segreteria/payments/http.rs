//! The console's plain HTTP endpoint: `GET /segreteria/pagamenti.csv` (the CSV export).

use crate::accounts::Role;
use crate::error::AppError;
use crate::state::AppState;

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
    use axum::response::IntoResponse;
    let result = async {
        let user =
            crate::accounts::session::user_from_headers(&state, &headers).await?.ok_or(AppError::Unauthenticated)?;
        if user.role != Role::Segreteria {
            tracing::warn!(user_id = %user.id, "access refused: payments export is for the Segreteria");
            return Err(AppError::Forbidden);
        }
        super::service::export_csv(&state.db, query.dal.as_deref(), query.al.as_deref()).await
    }
    .await;
    match result {
        Ok(body) => (
            [
                (http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (http::header::CONTENT_DISPOSITION, "attachment; filename=\"pagamenti-ecm.csv\"".to_string()),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            let status = http::StatusCode::from_u16(error.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], error.message_it()).into_response()
        }
    }
}

/// Routes of the console's plain HTTP endpoints.
pub fn routes<S>(state: AppState) -> axum::Router<S> {
    axum::Router::new().route("/segreteria/pagamenti.csv", axum::routing::get(csv_handler)).with_state(state)
}
