//! Accreditation requests and their history: the one writer of the request machine.
//!
//! A request is created by [`create_draft`] (at most one live request per provider: the unique
//! index `accreditation_requests_live` decides) and changes state only through [`move_state`],
//! which checks `RequestState::can_move_to`, compares-and-sets the state and appends the
//! history row (with what was declared, when given) in the caller's transaction.

use sqlx::FromRow;

use super::{audit_row, decode, StoreError, Tx};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Backend, Db};
use crate::requests::model::{HistoryEntry, RequestKind, RequestState};
use crate::segreteria::requests::model::RequestRow as ConsoleLine;

/// An accreditation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: String,
    pub provider_id: String,
    pub kind: RequestKind,
    pub state: RequestState,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    /// While an integration is asked for: the sections the provider may change.
    pub reopened_sections: Vec<String>,
}

#[derive(FromRow)]
struct RequestRow {
    id: String,
    provider_id: String,
    kind: String,
    state: String,
    created_at: String,
    updated_at: String,
    submitted_at: Option<String>,
    reopened_sections: Option<String>,
}

const COLUMNS: &str = "id, provider_id, kind, state, created_at, updated_at, submitted_at, reopened_sections";

impl TryFrom<RequestRow> for Request {
    type Error = StoreError;
    fn try_from(r: RequestRow) -> Result<Request, StoreError> {
        Ok(Request {
            kind: decode(&r.kind, "request kind", RequestKind::from_db)?,
            state: decode(&r.state, "request state", RequestState::from_db)?,
            reopened_sections: r
                .reopened_sections
                .as_deref()
                .map(|s| s.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            id: r.id,
            provider_id: r.provider_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            submitted_at: r.submitted_at,
        })
    }
}

pub async fn by_id(db: &Db, request_id: &str) -> Result<Option<Request>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accreditation_requests WHERE id = $1");
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(db.pool())
        .await?
        .map(Request::try_from)
        .transpose()
}

/// [`by_id`] inside a (write) transaction.
pub async fn by_id_in(tx: &mut Tx, request_id: &str) -> Result<Option<Request>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM accreditation_requests WHERE id = $1");
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Request::try_from)
        .transpose()
}

/// The provider's latest request, if any.
pub async fn latest_of_provider(db: &Db, provider_id: &str) -> Result<Option<Request>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .fetch_optional(db.pool())
        .await?
        .map(Request::try_from)
        .transpose()
}

#[derive(FromRow)]
struct LatestRow {
    #[sqlx(flatten)]
    request: RequestRow,
    accredited: i64,
}

/// The provider's latest request, if any, and whether one of its requests is ACCREDITATO (see
/// [`accredited`]): the two reads a provider's page starts with, in one statement.
pub async fn latest_and_accredited(db: &Db, provider_id: &str) -> Result<(Option<Request>, bool), StoreError> {
    let sql = format!(
        "SELECT {COLUMNS},
                (SELECT COUNT(*) FROM accreditation_requests a
                 WHERE a.provider_id = accreditation_requests.provider_id AND a.state = $2) AS accredited
         FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query_as::<_, LatestRow>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .bind(RequestState::Accreditato.as_db())
        .fetch_optional(db.pool())
        .await?;
    match row {
        // No request at all: none of them is accredited.
        None => Ok((None, false)),
        Some(row) => Ok((Some(Request::try_from(row.request)?), row.accredited > 0)),
    }
}

/// [`latest_of_provider`] inside a (write) transaction.
pub async fn latest_of_provider_in(tx: &mut Tx, provider_id: &str) -> Result<Option<Request>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Request::try_from)
        .transpose()
}

/// Whether one of the provider's requests is ACCREDITATO (the provider is accredited).
pub async fn accredited(executor: impl sqlx::AnyExecutor<'_>, provider_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 AS one FROM accreditation_requests WHERE provider_id = $1 AND state = $2")
        .bind(provider_id)
        .bind(RequestState::Accreditato.as_db())
        .fetch_optional(executor)
        .await?
        .is_some())
}

/// Locks the request's row until `tx` ends and reads it as it is now (after any writer that
/// held the lock committed). Every write transaction that depends on a request's state — its
/// documents, its provider's data, its fees, its moves — takes this lock before reading
/// anything else, so on PostgreSQL they run one after another per request: without it a plain
/// read sees BOZZA while «Invia» is committing, and an upload or a censimento change lands in a
/// request already sent (or a Gruppo correction in a request being accredited). On SQLite
/// `begin_write`'s `BEGIN IMMEDIATE` already serializes every writer: a plain read.
pub async fn lock_in(tx: &mut Tx, backend: Backend, request_id: &str) -> Result<Option<Request>, StoreError> {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT {COLUMNS} FROM accreditation_requests WHERE id = $1"),
        Backend::Postgres => format!("SELECT {COLUMNS} FROM accreditation_requests WHERE id = $1 FOR UPDATE"),
    };
    sqlx::query_as::<_, RequestRow>(sqlx::AssertSqlSafe(sql))
        .bind(request_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Request::try_from)
        .transpose()
}

#[derive(FromRow)]
struct HistoryRow {
    at: String,
    actor_role: String,
    from_state: Option<String>,
    to_state: String,
    note: Option<String>,
    snapshot: Option<String>,
}

/// The request's history, oldest first, with what was declared at each submission (JSON).
pub async fn history(db: &Db, request_id: &str) -> Result<Vec<(HistoryEntry, Option<String>)>, StoreError> {
    sqlx::query_as::<_, HistoryRow>(
        "SELECT at, actor_role, from_state, to_state, note, snapshot FROM request_history WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|h| {
        Ok((
            HistoryEntry {
                from_state: h.from_state.as_deref().map(|s| decode(s, "request state", RequestState::from_db)).transpose()?,
                to_state: decode(&h.to_state, "request state", RequestState::from_db)?,
                at: h.at,
                actor_role: h.actor_role,
                note: h.note,
                declared: None,
            },
            h.snapshot,
        ))
    })
    .collect()
}

async fn record(
    tx: &mut Tx,
    request_id: &str,
    actor: &CurrentUser,
    from: Option<RequestState>,
    to: RequestState,
    note: Option<&str>,
    snapshot: Option<&str>,
) -> Result<(), StoreError> {
    let sql =
        "INSERT INTO request_history (id, request_id, at, actor_id, actor_role, from_state, to_state, note, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    audit_row(sql, request_id, actor)
        .bind(from.map(RequestState::as_db))
        .bind(to.as_db())
        .bind(note)
        .bind(snapshot)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Creates the provider's draft (BOZZA) with its first history row. A provider with a live
/// request already (two tabs, a double click) gets [`StoreError::Conflict`].
pub async fn create_draft(
    tx: &mut Tx,
    provider_id: &str,
    kind: RequestKind,
    actor: &CurrentUser,
) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_utc();
    let inserted = sqlx::query(
        "INSERT INTO accreditation_requests (id, provider_id, kind, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(provider_id)
    .bind(kind.as_db())
    .bind(RequestState::Bozza.as_db())
    .bind(&now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted != 1 {
        return Err(StoreError::Conflict("the provider has a live request already"));
    }
    record(tx, &id, actor, None, RequestState::Bozza, Some("Domanda creata"), None).await?;
    Ok(id)
}

/// Changes the kind of a draft (data, not state: no history row).
pub async fn set_kind(tx: &mut Tx, request_id: &str, kind: RequestKind) -> Result<(), StoreError> {
    let changed =
        sqlx::query("UPDATE accreditation_requests SET kind = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(kind.as_db())
            .bind(now_utc())
            .bind(request_id)
            .bind(RequestState::Bozza.as_db())
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict("the request is no longer a draft"));
    }
    Ok(())
}

/// What a state change records besides the state.
#[derive(Debug, Clone, Default)]
pub struct Move<'a> {
    /// The Segreteria's note or the system's explanation, shown to the provider.
    pub note: Option<&'a str>,
    /// What the provider declared (Gruppo and fees), as JSON, kept in the history row.
    pub snapshot: Option<&'a str>,
    /// For INTEGRAZIONE_RICHIESTA: the sections of the censimento reopened to the provider.
    pub reopened_sections: &'a [&'a str],
}

/// The one state change of the request machine: `from` → `to`, checked against
/// `RequestState::can_move_to`, as a compare-and-set on `from`, with its history row. A request
/// not in `from` is a [`StoreError::Conflict`] and nothing is written.
pub async fn move_state(
    tx: &mut Tx,
    request_id: &str,
    from: RequestState,
    to: RequestState,
    actor: &CurrentUser,
    change: Move<'_>,
) -> Result<(), StoreError> {
    if !from.can_move_to(to) {
        return Err(StoreError::Transition { machine: "request", from: from.as_db(), to: to.as_db() });
    }
    let now = now_utc();
    let submitted = (to == RequestState::Inviata).then(|| now.clone());
    let reopened = (to == RequestState::IntegrazioneRichiesta).then(|| change.reopened_sections.join(","));
    let moved = sqlx::query(
        "UPDATE accreditation_requests SET state = $1, updated_at = $2, submitted_at = COALESCE($3, submitted_at),
                reopened_sections = $4
         WHERE id = $5 AND state = $6",
    )
    .bind(to.as_db())
    .bind(&now)
    .bind(submitted)
    .bind(reopened)
    .bind(request_id)
    .bind(from.as_db())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("the request changed state meanwhile"));
    }
    record(tx, request_id, actor, Some(from), to, change.note, change.snapshot).await?;
    tracing::info!(request_id, from = from.as_db(), to = to.as_db(), actor = %actor.id, "request moved");
    Ok(())
}

// ---- accreditation ----------------------------------------------------------------------------

/// When the provider was first accredited (the earliest move to ACCREDITATO), if one of its
/// requests is ACCREDITATO now.
pub async fn first_accredited_at(db: &Db, provider_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT MIN(h.at) AS first_at FROM request_history h JOIN accreditation_requests r ON r.id = h.request_id
         WHERE r.provider_id = $1 AND h.to_state = $2
           AND EXISTS (SELECT 1 FROM accreditation_requests a WHERE a.provider_id = $1 AND a.state = $2)",
    )
    .bind(provider_id)
    .bind(RequestState::Accreditato.as_db())
    .fetch_one(db.pool())
    .await?)
}

/// The providers with an ACCREDITATO request, by id.
pub async fn accredited_providers(db: &Db) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT provider_id FROM accreditation_requests WHERE state = $1 ORDER BY provider_id",
    )
    .bind(RequestState::Accreditato.as_db())
    .fetch_all(db.pool())
    .await?)
}

/// The provider id of a request.
pub async fn provider_of(db: &Db, request_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT provider_id FROM accreditation_requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(db.pool())
        .await?)
}

// ---- the Segreteria's console -----------------------------------------------------------------

/// A page of the console: requests in `states` whose provider name, codice fiscale or partita
/// IVA contains `search` (case-insensitive), newest change first; and how many match. Only `$n`
/// placeholders carry values; the SQL text is fixed fragments.
pub async fn console(
    db: &Db,
    states: &[RequestState],
    search: &str,
    page: i64,
    page_size: i64,
) -> Result<(Vec<ConsoleLine>, i64), StoreError> {
    let mut filter = super::paged::Filter::new();
    filter.one_of("r.state", states.iter().map(|s| s.as_db()));
    filter.search(search, &["p.denominazione", "p.codice_fiscale", "p.partita_iva"]);
    super::paged::fetch_page::<ConsoleLine>(
        db,
        "r.id, r.kind, r.state, r.updated_at, p.denominazione, p.codice_fiscale, p.partita_iva",
        "FROM accreditation_requests r JOIN providers p ON p.id = r.provider_id",
        &filter,
        "r.updated_at DESC, r.id",
        page,
        page_size,
    )
    .await
}

/// How many requests are in `state`.
pub async fn count_in_state(db: &Db, state: RequestState) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) AS n FROM accreditation_requests WHERE state = $1")
        .bind(state.as_db())
        .fetch_one(db.pool())
        .await?)
}
