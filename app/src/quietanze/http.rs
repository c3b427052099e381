//! Plain HTTP endpoints for quietanza files (file bytes never travel through server functions).
//!
//! `POST /area/quietanza/carica` (multipart: `debt_id`, `value_date`, `paid_amount`, `cro_trn`,
//! `paying_body`, then `file`): the browser posts the form itself, with or without JavaScript,
//! and is sent back with 303 to `/area/quietanza`: `?inviata=<id>` when stored, else with the
//! typed values and the error in the query, as a server function's form would be (nothing
//! typed is lost; the file has to be chosen again, as browsers never keep it).
//! `GET /quietanze/{id}`: the PDF, for the owning provider and the Segreteria only.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::model::{QuietanzaForm, UPLOAD_ENDPOINT};
use crate::accounts::session::{download, user_from_headers};
use crate::documents::model::UploadProblem;
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::state::{form_error_url, text_error as plain_error, AppState, Download};

const PAGE: &str = "/area/quietanza";

pub fn routes<S>(state: AppState) -> Router<S> {
    // Four times the file limit: a file a little too large is read to its end and answered with
    // the form and its message (documents::http::read_file); beyond this the connection is cut.
    let body_limit = usize::try_from(state.upload_limits.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(4)
        .saturating_add(256 * 1024);
    Router::new()
        .route("/area/quietanza/carica", post(upload).layer(DefaultBodyLimit::max(body_limit)))
        .route("/quietanze/{id}", get(file))
        .with_state(state)
}

fn back(form: &QuietanzaForm, error: &AppError) -> Response {
    let values = [
        ("debito", form.debt_id.as_str()),
        ("valuta", form.value_date.as_str()),
        ("importo", form.paid_amount.as_str()),
        ("cro", form.cro_trn.as_str()),
        ("ente", form.paying_body.as_str()),
    ];
    Redirect::to(&form_error_url(PAGE, UPLOAD_ENDPOINT, error, &values)).into_response()
}

/// Reads a text field, bounded (a form field is never more than a few hundred characters).
async fn text(field: axum::extract::multipart::Field<'_>) -> Option<String> {
    field.text().await.ok().map(|t| t.chars().take(512).collect())
}

async fn upload(State(state): State<AppState>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let max = state.upload_limits.max_bytes;
    let user = match user_from_headers(&state, &headers).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/accedi").into_response(),
        Err(error) => return plain_error(&error),
    };
    let mut form = QuietanzaForm::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut too_large = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(error) => {
                tracing::info!(%error, "quietanza upload refused: the body broke off");
                return back(&form, &AppError::BadRequest(String::new()));
            }
        };
        match field.name() {
            Some("debt_id") => form.debt_id = text(field).await.unwrap_or_default(),
            Some("value_date") => form.value_date = text(field).await.unwrap_or_default(),
            Some("paid_amount") => form.paid_amount = text(field).await.unwrap_or_default(),
            Some("cro_trn") => form.cro_trn = text(field).await.unwrap_or_default(),
            Some("paying_body") => form.paying_body = text(field).await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("quietanza.pdf").to_string();
                match crate::documents::http::read_file(field, max).await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(UploadProblem::TooLarge) => {
                        too_large = true;
                        break;
                    }
                    // The body broke off (a dropped connection): nothing to keep, try again.
                    Err(_) => return back(&form, &AppError::BadRequest(String::new())),
                }
            }
            _ => {}
        }
    }
    if too_large {
        return back(&form, &AppError::Invalid(FieldError::new("file", FieldRule::FileTooLarge)));
    }
    let (name, bytes) = file.unwrap_or_default();
    match super::service::upload(&state.db, &user, &form, &name, &bytes, max).await {
        Ok(stored) => {
            Redirect::to(&format!("{PAGE}?inviata={}", crate::domain::percent_encode(&stored.id))).into_response()
        }
        Err(error) => {
            tracing::info!(code = error.code(), user_id = %user.id, "quietanza upload refused");
            back(&form, &error)
        }
    }
}

async fn file(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    download(state, &headers, |state, user| async move {
        let (name, sha256, content) = super::service::file(&state.db, &user, &id).await?;
        Ok(Download::pdf(name, content).with_sha256(sha256))
    })
    .await
}
