//! Document services: slots of a request, storing an upload (replacing the current version
//! in the same transaction), reading a file back.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::model::{check_pdf, sanitize_file_name, DocumentSlot, DocumentType, DocumentVersion, UploadProblem};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Db};
use crate::error::AppError;
use crate::state::internal;

pub async fn document_types(db: &Db) -> Result<Vec<DocumentType>, AppError> {
    sqlx::query("SELECT code, label, required FROM document_types WHERE active = 1 ORDER BY position, code")
        .fetch_all(db.pool())
        .await
        .map_err(internal)?
        .iter()
        .map(|row| {
            Ok(DocumentType {
                code: row.try_get("code").map_err(internal)?,
                label: row.try_get("label").map_err(internal)?,
                required: row.try_get::<i64, _>("required").map_err(internal)? == 1,
            })
        })
        .collect()
}

pub async fn slots(db: &Db, request_id: &str) -> Result<Vec<DocumentSlot>, AppError> {
    let types = document_types(db).await?;
    let rows = sqlx::query(
        "SELECT id, type_code, file_name, size_bytes, sha256, uploaded_at, current
         FROM documents WHERE request_id = $1 ORDER BY uploaded_at DESC, id DESC",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await
    .map_err(internal)?;
    let mut slots: Vec<DocumentSlot> =
        types.into_iter().map(|doc_type| DocumentSlot { doc_type, current: None, history: Vec::new() }).collect();
    for row in rows {
        let type_code: String = row.try_get("type_code").map_err(internal)?;
        let version = DocumentVersion {
            id: row.try_get("id").map_err(internal)?,
            file_name: row.try_get("file_name").map_err(internal)?,
            size_bytes: row.try_get("size_bytes").map_err(internal)?,
            sha256: row.try_get("sha256").map_err(internal)?,
            uploaded_at: row.try_get("uploaded_at").map_err(internal)?,
        };
        let current = row.try_get::<i64, _>("current").map_err(internal)? == 1;
        if let Some(slot) = slots.iter_mut().find(|s| s.doc_type.code == type_code) {
            if current {
                slot.current = Some(version);
            } else {
                slot.history.push(version);
            }
        }
    }
    Ok(slots)
}

/// Checks and stores an upload as the current version of its type; the previous current
/// version becomes history. Either everything is stored or nothing is.
pub async fn store_upload(
    db: &Db,
    actor: &CurrentUser,
    request_id: &str,
    type_code: &str,
    raw_file_name: &str,
    bytes: &[u8],
    max_bytes: i64,
) -> Result<Result<DocumentVersion, UploadProblem>, AppError> {
    if let Err(problem) = check_pdf(bytes, max_bytes) {
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
    let mut tx = db.pool().begin().await.map_err(internal)?;
    sqlx::query("UPDATE documents SET current = 0 WHERE request_id = $1 AND type_code = $2 AND current = 1")
        .bind(request_id)
        .bind(type_code)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    sqlx::query(
        "INSERT INTO documents (id, request_id, type_code, file_name, size_bytes, sha256, content, uploaded_by, uploaded_at, current)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)",
    )
    .bind(&version.id)
    .bind(request_id)
    .bind(type_code)
    .bind(&version.file_name)
    .bind(version.size_bytes)
    .bind(&version.sha256)
    .bind(bytes.to_vec())
    .bind(&actor.id)
    .bind(&version.uploaded_at)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(request_id, type_code, document_id = %version.id, size = version.size_bytes, "document stored");
    Ok(Ok(version))
}

/// A stored file: the request it belongs to, its name and its bytes.
pub struct StoredFile {
    pub request_id: String,
    pub file_name: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

pub async fn load_file(db: &Db, document_id: &str) -> Result<Option<StoredFile>, AppError> {
    let Some(row) = sqlx::query("SELECT request_id, file_name, sha256, content FROM documents WHERE id = $1")
        .bind(document_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    Ok(Some(StoredFile {
        request_id: row.try_get("request_id").map_err(internal)?,
        file_name: row.try_get("file_name").map_err(internal)?,
        sha256: row.try_get("sha256").map_err(internal)?,
        content: row.try_get("content").map_err(internal)?,
    }))
}

/// The provider (owner account id) of a request.
pub async fn request_owner(db: &Db, request_id: &str) -> Result<Option<String>, AppError> {
    sqlx::query(
        "SELECT p.owner_user_id FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id WHERE r.id = $1",
    )
    .bind(request_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal)?
    .map(|row| row.try_get("owner_user_id").map_err(internal))
    .transpose()
}
