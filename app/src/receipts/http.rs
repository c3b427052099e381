//! `GET /dovuti/{id}/ricevuta.pdf`: the readable receipt of a paid debt, for its provider and
//! the Segreteria only (anyone else, and any debt not paid: not found).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::accounts::session::user_from_headers;
use crate::error::AppError;
use crate::state::{text_error as failed, AppState};

pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new().route("/dovuti/{id}/ricevuta.pdf", get(download)).with_state(state)
}

async fn download(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let user = match user_from_headers(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return failed(&AppError::Unauthenticated),
        Err(error) => return failed(&error),
    };
    let (name, bytes) = match super::service::receipt_pdf(&state.db, &user, &id).await {
        Ok(found) => found,
        Err(error) => return failed(&error),
    };
    crate::state::pdf_download(&name, None, bytes)
}
