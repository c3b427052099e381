//! `GET /dovuti/{id}/ricevuta.pdf`: the readable receipt of a paid debt, for its provider and
//! the Segreteria only (anyone else, and any debt not paid: not found).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::AppError;
use crate::state::{text_error as failed, user_from_headers, AppState};

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
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&crate::documents::http::content_disposition(&name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
