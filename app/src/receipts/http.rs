//! `GET /dovuti/{id}/ricevuta.pdf`: the readable receipt of a paid debt, for its provider and
//! the Segreteria only (anyone else, and any debt not paid: not found).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::accounts::session::download;
use crate::state::{AppState, Download};

pub fn routes<S>(state: AppState) -> Router<S> {
    Router::new().route("/dovuti/{id}/ricevuta.pdf", get(receipt)).with_state(state)
}

async fn receipt(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    download(state, &headers, |state, user| async move {
        let (name, bytes) = super::service::receipt_pdf(&state.db, &user, &id).await?;
        Ok(Download::pdf(name, bytes))
    })
    .await
}
