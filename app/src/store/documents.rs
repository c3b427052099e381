//! Documents of accreditation requests: the types (slots), every uploaded version, one
//! current version per slot (the unique index `documents_current` keeps it so).

use sqlx::FromRow;

use super::{StoreError, Tx};
use crate::db::Db;
use crate::documents::model::{DocumentSlot, DocumentType, DocumentVersion};

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
struct SlotRow {
    code: String,
    label: String,
    required: i64,
    id: Option<String>,
    file_name: Option<String>,
    size_bytes: Option<i64>,
    sha256: Option<String>,
    uploaded_at: Option<String>,
    current: Option<i64>,
}

/// The active document types in form order, each with the request's current version and its
/// earlier ones, newest first: one statement.
pub async fn slots(db: &Db, request_id: &str) -> Result<Vec<DocumentSlot>, StoreError> {
    let rows = sqlx::query_as::<_, SlotRow>(
        "SELECT t.code, t.label, t.required, d.id, d.file_name, d.size_bytes, d.sha256, d.uploaded_at, d.current
         FROM document_types t LEFT JOIN documents d ON d.type_code = t.code AND d.request_id = $1
         WHERE t.active = 1
         ORDER BY t.position, t.code, d.uploaded_at DESC, d.id DESC",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await?;
    let mut slots: Vec<DocumentSlot> = Vec::new();
    for row in rows {
        if slots.last().is_none_or(|slot| slot.doc_type.code != row.code) {
            let doc_type = DocumentType { code: row.code, label: row.label, required: row.required == 1 };
            slots.push(DocumentSlot { doc_type, current: None, history: Vec::new() });
        }
        let (Some(id), Some(file_name), Some(size_bytes), Some(sha256), Some(uploaded_at), Some(current)) =
            (row.id, row.file_name, row.size_bytes, row.sha256, row.uploaded_at, row.current)
        else {
            continue; // a type without any version (the LEFT JOIN's empty side)
        };
        let version = DocumentVersion { id, file_name, size_bytes, sha256, uploaded_at };
        let Some(slot) = slots.last_mut() else { continue };
        if current == 1 {
            slot.current = Some(version);
        } else {
            slot.history.push(version);
        }
    }
    Ok(slots)
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
