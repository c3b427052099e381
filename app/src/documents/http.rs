//! Plain HTTP endpoints for files (multipart upload, download): file bytes do not travel
//! through server functions. Both check the session and ownership on the server.
//!
//! `POST /documenti/carica` (multipart: `type_code`, then `file`): a browser without
//! JavaScript gets a 303 back to the documents page; the hydrated page sends
//! `Accept: application/json` and gets JSON (and shows upload progress meanwhile).
//! `GET /documenti/{id}`: the PDF, for the owning provider and the Segreteria only.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::model::UploadProblem;
use crate::accounts::session::{download, user_from_headers};
use crate::accounts::Role;
use crate::error::AppError;
use crate::requests::model::RequestState;
use crate::state::{AppState, Download};

/// Routes of this module, with a body limit a little above the document limit (the
/// handler enforces the exact limit while reading).
pub fn routes<S>(state: AppState) -> Router<S> {
    let body_limit = usize::try_from(state.upload_limits.max_bytes).unwrap_or(usize::MAX).saturating_add(256 * 1024);
    Router::new()
        .route("/documenti/carica", post(upload).layer(DefaultBodyLimit::max(body_limit)))
        .route("/documenti/{id}", get(file))
        .with_state(state)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

fn refused(json: bool, status: StatusCode, problem: UploadProblem, max_bytes: i64) -> Response {
    if json {
        let body = json!({ "ok": false, "code": problem.code(), "message": problem.message_it(max_bytes) });
        (status, Json(body)).into_response()
    } else {
        Redirect::to(&format!("/area/documenti?errore={}", problem.code())).into_response()
    }
}

fn failed(json: bool, error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if json {
        (status, Json(json!({ "ok": false, "code": error.code(), "message": error.message_it() }))).into_response()
    } else {
        crate::state::text_error(&error)
    }
}

async fn upload(State(state): State<AppState>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let json = wants_json(&headers);
    let max = state.upload_limits.max_bytes;
    let user = match user_from_headers(&state, &headers).await {
        Ok(Some(user)) if user.role == Role::Provider => user,
        Ok(Some(_)) => return failed(json, AppError::Forbidden),
        Ok(None) => return failed(json, AppError::Unauthenticated),
        Err(error) => return failed(json, error),
    };
    // The request being edited: the provider's latest, while the provider may change it.
    let request = match crate::providers::service::provider_of_user(&state.db, &user.id).await {
        Ok(Some(provider)) => {
            match crate::requests::service::latest_request_of_provider(&state.db, &provider.id).await {
                Ok(Some(request)) => request,
                Ok(None) => return failed(json, AppError::StepMissing),
                Err(error) => return failed(json, error),
            }
        }
        Ok(None) => return failed(json, AppError::StepMissing),
        Err(error) => return failed(json, error),
    };
    // A first look before reading the body; the final word is in the same transaction as the
    // insert (an upload still in flight when the request is sent is refused there).
    if !RequestState::provider_can_edit(request.state) {
        return refused(json, StatusCode::CONFLICT, UploadProblem::Locked, max);
    }

    let mut type_code = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                let problem = if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    UploadProblem::TooLarge
                } else {
                    UploadProblem::Unreadable
                };
                tracing::info!(%error, "upload refused while reading the body");
                return refused(json, error.status(), problem, max);
            }
        };
        match field.name() {
            Some("type_code") => type_code = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().unwrap_or("documento.pdf").to_string();
                match read_file(field, max).await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(UploadProblem::TooLarge) => {
                        return refused(json, StatusCode::PAYLOAD_TOO_LARGE, UploadProblem::TooLarge, max)
                    }
                    Err(problem) => return refused(json, StatusCode::BAD_REQUEST, problem, max),
                }
            }
            _ => {}
        }
    }
    let Some(type_code) = type_code else {
        return refused(json, StatusCode::UNPROCESSABLE_ENTITY, UploadProblem::UnknownType, max);
    };
    let Some((name, bytes)) = file else {
        return refused(json, StatusCode::UNPROCESSABLE_ENTITY, UploadProblem::Empty, max);
    };
    match super::service::store_upload(&state.db, &user, &request.id, &type_code, &name, &bytes, &state.upload_limits)
        .await
    {
        Ok(Ok(version)) if json => {
            (StatusCode::CREATED, Json(json!({ "ok": true, "document": version }))).into_response()
        }
        Ok(Ok(_)) => Redirect::to(&format!("/area/documenti?caricato={type_code}")).into_response(),
        Ok(Err(problem)) => {
            let status = match problem {
                UploadProblem::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                UploadProblem::NotPdf => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                UploadProblem::Locked => StatusCode::CONFLICT,
                UploadProblem::TooFrequent => StatusCode::TOO_MANY_REQUESTS,
                UploadProblem::RequestFull => StatusCode::INSUFFICIENT_STORAGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            tracing::info!(code = problem.code(), "upload refused");
            refused(json, status, problem, max)
        }
        Err(error) => failed(json, error),
    }
}

/// Reads a file field of a multipart body, at most `max` bytes: `TooLarge` when it is larger
/// (or the body limit cut it), `Unreadable` when the body breaks off. A file over `max` is read
/// to its end (and dropped) within the route's body limit, so that the answer goes out after the
/// browser has sent everything: answered early, a browser still sending sees a reset connection
/// instead of the page with the message.
pub(crate) async fn read_file(
    mut field: axum::extract::multipart::Field<'_>,
    max: i64,
) -> Result<Vec<u8>, UploadProblem> {
    let mut bytes = Vec::new();
    loop {
        match field.chunk().await {
            Ok(Some(chunk)) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as i64 > max {
                    drop(bytes);
                    while let Ok(Some(_)) = field.chunk().await {}
                    return Err(UploadProblem::TooLarge);
                }
            }
            Ok(None) => return Ok(bytes),
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(UploadProblem::TooLarge),
            Err(error) => {
                tracing::info!(%error, "upload: the body broke off");
                return Err(UploadProblem::Unreadable);
            }
        }
    }
}

async fn file(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    download(state, &headers, |state, user| async move {
        let file = super::service::load_file(&state.db, &id).await?.ok_or(AppError::NotFound)?;
        if user.role != Role::Segreteria
            && super::service::request_owner(&state.db, &file.request_id).await?.as_deref() != Some(user.id.as_str())
        {
            tracing::warn!(user_id = %user.id, document_id = %id, "download refused: not the owner");
            // Same answer as a missing document: another provider learns nothing.
            return Err(AppError::NotFound);
        }
        Ok(Download::pdf(file.file_name, file.content).with_sha256(file.sha256))
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_disposition_keeps_accents_for_browsers_and_ascii_for_old_clients() {
        assert_eq!(
            crate::state::content_disposition("Piano qualità.pdf"),
            "attachment; filename=\"Piano qualit_.pdf\"; filename*=UTF-8''Piano%20qualit%C3%A0.pdf"
        );
    }

    #[test]
    fn a_quote_or_backslash_in_a_file_name_cannot_end_the_header_value_early() {
        let header = crate::state::content_disposition("a\"b\\c.pdf");
        assert!(header.starts_with("attachment; filename=\"a_b_c.pdf\"; "), "{header}");
    }
}
