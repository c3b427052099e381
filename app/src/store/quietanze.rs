//! Quietanze (treasury payment evidence): the one writer of the quietanza machine
//! (IN_VERIFICA → ACCETTATA | RIFIUTATA, `QuietanzaState::can_move_to`).
//!
//! `live_debt_id` holds the debt while the quietanza is in verification or accepted, so a debt
//! never has two of them at once (a unique key on both databases); a refused one lets go.

use sqlx::FromRow;

use super::{StoreError, Tx};
use crate::db::{now_utc, Db};
use crate::quietanze::model::QuietanzaState;

/// A stored quietanza (without the file's bytes).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Quietanza {
    pub id: String,
    pub debt_id: String,
    pub provider_id: String,
    pub state: QuietanzaState,
    pub file_name: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub value_date: String,
    pub amount_cents: i64,
    pub cro_trn: String,
    pub paying_body: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
}

const COLUMNS: &str =
    "id, debt_id, provider_id, state, file_name, size_bytes, sha256, value_date, amount_cents, cro_trn, \
    paying_body, uploaded_by, uploaded_at, decided_by, decided_at, decision_note";

// ---- reading ----------------------------------------------------------------------------------

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Quietanza>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM quietanze WHERE id = $1");
    Ok(sqlx::query_as::<_, Quietanza>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(db.pool()).await?)
}

/// The quietanza as it is inside `tx`.
pub async fn by_id_in(tx: &mut Tx, id: &str) -> Result<Option<Quietanza>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM quietanze WHERE id = $1");
    Ok(sqlx::query_as::<_, Quietanza>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut **tx).await?)
}

/// The quietanze of a debt, newest first.
pub async fn of_debt(db: &Db, debt_id: &str) -> Result<Vec<Quietanza>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM quietanze WHERE debt_id = $1 ORDER BY uploaded_at DESC, id");
    Ok(sqlx::query_as::<_, Quietanza>(sqlx::AssertSqlSafe(sql)).bind(debt_id).fetch_all(db.pool()).await?)
}

/// The quietanze of a provider, newest first.
pub async fn of_provider(db: &Db, provider_id: &str) -> Result<Vec<Quietanza>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM quietanze WHERE provider_id = $1 ORDER BY uploaded_at DESC, id");
    Ok(sqlx::query_as::<_, Quietanza>(sqlx::AssertSqlSafe(sql)).bind(provider_id).fetch_all(db.pool()).await?)
}

/// How many other quietanze, in verification or accepted, carry this CRO/TRN, and how many
/// carry this file (SHA-256): one transfer pays one debt.
pub async fn reuses_in(tx: &mut Tx, quietanza: &Quietanza) -> Result<(i64, i64), StoreError> {
    let count = |column: &'static str| {
        format!(
            "SELECT COUNT(*) FROM quietanze WHERE {column} = $1 AND id <> $2 AND state IN ('IN_VERIFICA', 'ACCETTATA')"
        )
    };
    let cro = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count("cro_trn")))
        .bind(&quietanza.cro_trn)
        .bind(&quietanza.id)
        .fetch_one(&mut **tx)
        .await?;
    let file = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count("sha256")))
        .bind(&quietanza.sha256)
        .bind(&quietanza.id)
        .fetch_one(&mut **tx)
        .await?;
    Ok((cro, file))
}

/// The file of a quietanza: its provider, name, SHA-256 and bytes.
pub async fn file(db: &Db, id: &str) -> Result<Option<(String, String, String, Vec<u8>)>, StoreError> {
    Ok(sqlx::query_as::<_, (String, String, String, Vec<u8>)>(
        "SELECT provider_id, file_name, sha256, content FROM quietanze WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// How many quietanze wait for the Segreteria.
/// Whether a debt has a quietanza in verification or accepted.
pub async fn live_of_debt(db: &Db, debt_id: &str) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM quietanze WHERE live_debt_id = $1")
        .bind(debt_id)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

pub async fn pending_count(db: &Db) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM quietanze WHERE state = 'IN_VERIFICA'")
        .fetch_one(db.pool())
        .await?)
}

// ---- the writer -------------------------------------------------------------------------------

/// What a new quietanza is.
#[derive(Debug, Clone)]
pub struct NewQuietanza<'a> {
    pub id: &'a str,
    pub debt_id: &'a str,
    pub provider_id: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub value_date: &'a str,
    pub amount_cents: i64,
    pub cro_trn: &'a str,
    pub paying_body: &'a str,
    pub uploaded_by: &'a str,
}

/// Stores a quietanza IN_VERIFICA holding its debt. [`StoreError::Conflict`] when the debt
/// already has one in verification or accepted.
pub async fn insert(tx: &mut Tx, q: &NewQuietanza<'_>, content: &[u8]) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO quietanze (id, debt_id, provider_id, state, file_name, size_bytes, sha256, content, value_date, amount_cents,
                                cro_trn, paying_body, uploaded_by, uploaded_at, live_debt_id)
         VALUES ($1, $2, $3, 'IN_VERIFICA', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $2)",
    )
    .bind(q.id)
    .bind(q.debt_id)
    .bind(q.provider_id)
    .bind(q.file_name)
    .bind(content.len() as i64)
    .bind(q.sha256)
    .bind(content.to_vec())
    .bind(q.value_date)
    .bind(q.amount_cents)
    .bind(q.cro_trn)
    .bind(q.paying_body)
    .bind(q.uploaded_by)
    .bind(now_utc())
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, "the debt already has a quietanza in verification or accepted"))?;
    Ok(())
}

/// The Segreteria's decision: IN_VERIFICA → `to`, as a compare-and-set, with who, when and the
/// note. A refused quietanza lets go of its debt. A quietanza decided meanwhile is a
/// [`StoreError::Conflict`] and nothing is written.
pub async fn decide(
    tx: &mut Tx,
    id: &str,
    to: QuietanzaState,
    actor: &str,
    note: Option<&str>,
) -> Result<(), StoreError> {
    let from = QuietanzaState::InVerifica;
    if !from.can_move_to(to) {
        return Err(StoreError::Transition { machine: "quietanza", from: from.as_db(), to: to.as_db() });
    }
    let moved = sqlx::query(
        "UPDATE quietanze SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4,
                              live_debt_id = CASE WHEN $1 = 'RIFIUTATA' THEN NULL ELSE live_debt_id END
         WHERE id = $5 AND state = $6",
    )
    .bind(to.as_db())
    .bind(actor)
    .bind(now_utc())
    .bind(note)
    .bind(id)
    .bind(from.as_db())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("quietanza decided meanwhile"));
    }
    Ok(())
}
