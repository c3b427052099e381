//! Documents of accreditation requests: the types (slots), every uploaded version, one
//! current version per slot (the unique index `documents_current` keeps it so).

use sqlx::FromRow;

use super::{StoreError, Tx};
use crate::db::Db;
use crate::documents::model::{DocumentType, DocumentVersion};

#[derive(FromRow)]
struct TypeRow {
    code: String,
    label: String,
    required: i64,
}

/// The active document types, in form order.
pub async fn types(db: &Db) -> Result<Vec<DocumentType>, StoreError> {
    Ok(sqlx::query_as::<_, TypeRow>(
        "SELECT code, label, required FROM document_types WHERE active = 1 ORDER BY position, code",
    )
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|r| DocumentType { code: r.code, label: r.label, required: r.required == 1 })
    .collect())
}

#[derive(FromRow)]
struct VersionRow {
    id: String,
    type_code: String,
    file_name: String,
    size_bytes: i64,
    sha256: String,
    uploaded_at: String,
    current: i64,
}

/// Every version of a request's documents, newest first: (type code, version, current?).
pub async fn versions(db: &Db, request_id: &str) -> Result<Vec<(String, DocumentVersion, bool)>, StoreError> {
    Ok(sqlx::query_as::<_, VersionRow>(
        "SELECT id, type_code, file_name, size_bytes, sha256, uploaded_at, current
         FROM documents WHERE request_id = $1 ORDER BY uploaded_at DESC, id DESC",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|r| {
        let version = DocumentVersion {
            id: r.id,
            file_name: r.file_name,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            uploaded_at: r.uploaded_at,
        };
        (r.type_code, version, r.current == 1)
    })
    .collect())
}

/// What a request and an account already hold, for the upload limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Versions (current and history) in the slot.
    pub slot_versions: i64,
    /// Bytes of every version of every slot of the request.
    pub request_bytes: i64,
    /// Uploads by the account since the given time, in any request.
    pub recent_uploads: i64,
}

/// The [`Usage`] of `request_id` / `type_code` / `uploaded_by` (uploads since `since`), read in
/// the caller's write transaction so that parallel uploads count each other.
pub async fn usage(
    tx: &mut Tx,
    request_id: &str,
    type_code: &str,
    uploaded_by: &str,
    since: &str,
) -> Result<Usage, StoreError> {
    let row = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM documents WHERE request_id = $1 AND type_code = $2) AS slot_versions,
            (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM documents WHERE request_id = $1) AS request_bytes,
            (SELECT COUNT(*) FROM documents WHERE uploaded_by = $3 AND uploaded_at > $4) AS recent_uploads",
    )
    .bind(request_id)
    .bind(type_code)
    .bind(uploaded_by)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?;
    use sqlx::Row;
    Ok(Usage {
        slot_versions: row.try_get("slot_versions")?,
        request_bytes: row.try_get("request_bytes")?,
        recent_uploads: row.try_get("recent_uploads")?,
    })
}

/// Stores `version` as the current one of its slot, the previous current one becoming history,
/// inside the caller's write transaction (which checked that the slot may change).
pub async fn replace_current(
    tx: &mut Tx,
    request_id: &str,
    type_code: &str,
    version: &DocumentVersion,
    content: &[u8],
    uploaded_by: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE documents SET current = 0 WHERE request_id = $1 AND type_code = $2 AND current = 1")
        .bind(request_id)
        .bind(type_code)
        .execute(&mut **tx)
        .await?;
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
    .bind(content.to_vec())
    .bind(uploaded_by)
    .bind(&version.uploaded_at)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, "another upload became the current document meanwhile"))?;
    Ok(())
}

/// A stored file: the request it belongs to, its name and its bytes.
#[derive(FromRow)]
pub struct StoredFile {
    pub request_id: String,
    pub file_name: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

pub async fn file(db: &Db, document_id: &str) -> Result<Option<StoredFile>, StoreError> {
    Ok(sqlx::query_as::<_, StoredFile>("SELECT request_id, file_name, sha256, content FROM documents WHERE id = $1")
        .bind(document_id)
        .fetch_optional(db.pool())
        .await?)
}

/// The account that owns the provider of a request.
pub async fn request_owner(db: &Db, request_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT p.owner_user_id FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id WHERE r.id = $1",
    )
    .bind(request_id)
    .fetch_optional(db.pool())
    .await?)
}
