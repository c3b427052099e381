//! Document services: slots of a request, storing an upload (replacing the current version
//! in the same transaction), reading a file back.

use sha2::{Digest, Sha256};

use super::model::{
    check_pdf, sanitize_file_name, DocumentSlot, DocumentType, DocumentVersion, UploadLimits, UploadProblem,
};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Db};
use crate::error::AppError;
use crate::providers::model::Section;
use crate::store::{self, StoreError};

pub use crate::store::documents::StoredFile;

pub async fn document_types(db: &Db) -> Result<Vec<DocumentType>, AppError> {
    Ok(store::documents::types(db).await?)
}

pub async fn slots(db: &Db, request_id: &str) -> Result<Vec<DocumentSlot>, AppError> {
    Ok(store::documents::slots(db, request_id).await?)
}

/// Whether the provider may change the documents of `request` now: in a draft, or when the
/// Segreteria reopened them with an integration.
pub fn documents_open(request: &store::requests::Request) -> bool {
    // Being accredited closes only the identity of a draft, never its documents.
    crate::providers::service::open_sections(Some(request), false).contains(&Section::Documenti)
}

/// Checks and stores an upload as the current version of its type; the previous current
/// version becomes history. Either everything is stored or nothing is. Whether the documents
/// may still change is checked in the same write transaction as the insert: an upload that
/// finishes after "Invia" never replaces a document of the sent request (`Locked`). So are the
/// storage limits: parallel uploads count each other.
pub async fn store_upload(
    db: &Db,
    actor: &CurrentUser,
    request_id: &str,
    type_code: &str,
    raw_file_name: &str,
    bytes: &[u8],
    limits: &UploadLimits,
) -> Result<Result<DocumentVersion, UploadProblem>, AppError> {
    if let Err(problem) = check_pdf(bytes, limits.max_bytes) {
        return Ok(Err(problem));
    }
    if !document_types(db).await?.iter().any(|t| t.code == type_code) {
        return Ok(Err(UploadProblem::UnknownType));
    }
    let version = DocumentVersion {
        id: new_id(),
        file_name: sanitize_file_name(raw_file_name),
        size_bytes: bytes.len() as i64,
        sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        uploaded_at: now_utc(),
    };
    let mut tx = store::begin_write(db).await?;
    let request = store::requests::lock_in(&mut tx, db.backend(), request_id).await?.ok_or(AppError::NotFound)?;
    if !documents_open(&request) {
        tracing::info!(
            request_id,
            state = request.state.as_db(),
            "upload refused: the documents of this request can no longer change"
        );
        return Ok(Err(UploadProblem::Locked));
    }
    let hour_ago = crate::db::format_utc(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let usage = store::documents::usage(&mut tx, request_id, type_code, &actor.id, &hour_ago).await?;
    let refusal = if usage.recent_uploads >= limits.per_hour {
        Some(UploadProblem::TooFrequent)
    } else if usage.slot_versions >= limits.max_versions {
        Some(UploadProblem::TooManyVersions)
    } else if usage.request_bytes + version.size_bytes > limits.max_request_bytes {
        Some(UploadProblem::RequestFull)
    } else {
        None
    };
    if let Some(problem) = refusal {
        tracing::info!(request_id, type_code, code = problem.code(), ?usage, "upload refused: storage limit");
        return Ok(Err(problem));
    }
    store::documents::replace_current(&mut tx, request_id, type_code, &version, bytes, &actor.id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(request_id, type_code, document_id = %version.id, size = version.size_bytes, "document stored");
    Ok(Ok(version))
}

pub async fn load_file(db: &Db, document_id: &str) -> Result<Option<StoredFile>, AppError> {
    Ok(store::documents::file(db, document_id).await?)
}

/// The provider (owner account id) of a request.
pub async fn request_owner(db: &Db, request_id: &str) -> Result<Option<String>, AppError> {
    Ok(store::documents::request_owner(db, request_id).await?)
}
