//! Request services: create the draft, read it, move it between states with history.

use sqlx::Row;

use super::model::{HistoryEntry, RequestKind, RequestState, RequestView};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Db};
use crate::error::AppError;
use crate::state::internal;

/// The provider's current (latest) request, if any.
pub async fn latest_request_of_provider(db: &Db, provider_id: &str) -> Result<Option<RequestView>, AppError> {
    let row = sqlx::query(
        "SELECT id FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(provider_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal)?;
    match row {
        Some(row) => load_request(db, &row.try_get::<String, _>("id").map_err(internal)?).await,
        None => Ok(None),
    }
}

pub async fn load_request(db: &Db, request_id: &str) -> Result<Option<RequestView>, AppError> {
    let Some(row) = sqlx::query(
        "SELECT id, kind, state, created_at, updated_at, submitted_at FROM accreditation_requests WHERE id = $1",
    )
    .bind(request_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal)?
    else {
        return Ok(None);
    };
    let history = sqlx::query(
        "SELECT at, actor_role, from_state, to_state, note FROM request_history WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(request_id)
    .fetch_all(db.pool())
    .await
    .map_err(internal)?
    .into_iter()
    .map(|h| {
        let from: Option<String> = h.try_get("from_state").map_err(internal)?;
        let to: String = h.try_get("to_state").map_err(internal)?;
        Ok(HistoryEntry {
            at: h.try_get("at").map_err(internal)?,
            actor_role: h.try_get("actor_role").map_err(internal)?,
            from_state: from.as_deref().and_then(RequestState::from_db),
            to_state: RequestState::from_db(&to).ok_or_else(|| internal(format!("unknown state {to}")))?,
            note: h.try_get("note").map_err(internal)?,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    let kind: String = row.try_get("kind").map_err(internal)?;
    let state: String = row.try_get("state").map_err(internal)?;
    Ok(Some(RequestView {
        id: row.try_get("id").map_err(internal)?,
        kind: RequestKind::from_db(&kind).ok_or_else(|| internal(format!("unknown kind {kind}")))?,
        state: RequestState::from_db(&state).ok_or_else(|| internal(format!("unknown state {state}")))?,
        created_at: row.try_get("created_at").map_err(internal)?,
        updated_at: row.try_get("updated_at").map_err(internal)?,
        submitted_at: row.try_get("submitted_at").map_err(internal)?,
        history,
    }))
}

/// Starts the draft request of a provider, or changes the kind of its draft.
pub async fn choose_kind(db: &Db, actor: &CurrentUser, provider_id: &str, kind: RequestKind) -> Result<String, AppError> {
    let mut tx = db.pool().begin().await.map_err(internal)?;
    let existing = sqlx::query(
        "SELECT id, state FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(provider_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let now = now_utc();
    let id = match existing {
        Some(row) => {
            let id: String = row.try_get("id").map_err(internal)?;
            let state: String = row.try_get("state").map_err(internal)?;
            if state != RequestState::Bozza.as_db() {
                return Err(AppError::WrongState);
            }
            sqlx::query("UPDATE accreditation_requests SET kind = $1, updated_at = $2 WHERE id = $3")
                .bind(kind.as_db())
                .bind(&now)
                .bind(&id)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            id
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO accreditation_requests (id, provider_id, kind, state, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(&id)
            .bind(provider_id)
            .bind(kind.as_db())
            .bind(RequestState::Bozza.as_db())
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
            record(&mut tx, &id, actor, None, RequestState::Bozza, Some("Domanda creata")).await?;
            id
        }
    };
    tx.commit().await.map_err(internal)?;
    Ok(id)
}

/// Appends one history record (inside the caller's transaction).
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    request_id: &str,
    actor: &CurrentUser,
    from: Option<RequestState>,
    to: RequestState,
    note: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO request_history (id, request_id, at, actor_id, actor_role, from_state, to_state, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id())
    .bind(request_id)
    .bind(now_utc())
    .bind(&actor.id)
    .bind(actor.role.as_db())
    .bind(from.map(RequestState::as_db))
    .bind(to.as_db())
    .bind(note)
    .execute(&mut **tx)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Moves a request from `expected` to `to`, checking the procedure's rules and that nobody
/// moved it meanwhile (the update only applies while the request is still in `expected`).
pub async fn transition(
    db: &Db,
    actor: &CurrentUser,
    request_id: &str,
    expected: RequestState,
    to: RequestState,
    note: Option<&str>,
) -> Result<RequestState, AppError> {
    let mut tx = db.pool().begin().await.map_err(internal)?;
    let state: Option<String> = sqlx::query("SELECT state FROM accreditation_requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?
        .map(|row| row.try_get("state"))
        .transpose()
        .map_err(internal)?;
    let from = state.as_deref().and_then(RequestState::from_db).ok_or(AppError::NotFound)?;
    if from != expected || !from.can_move_to(to) {
        return Err(AppError::WrongState);
    }
    let now = now_utc();
    let submitted = (to == RequestState::Inviata).then(|| now.clone());
    let updated = sqlx::query(
        "UPDATE accreditation_requests SET state = $1, updated_at = $2, submitted_at = COALESCE($3, submitted_at)
         WHERE id = $4 AND state = $5",
    )
    .bind(to.as_db())
    .bind(&now)
    .bind(submitted)
    .bind(request_id)
    .bind(from.as_db())
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if updated.rows_affected() != 1 {
        return Err(AppError::WrongState);
    }
    record(&mut tx, request_id, actor, Some(from), to, note).await?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(request_id, from = from.as_db(), to = to.as_db(), actor = %actor.id, "request moved");
    Ok(from)
}

/// The payment gate (ECM-DOMAIN.md, "Payment gate"): the provider's data are complete and
/// valid, the request exists as a draft, and every required document is present.
pub async fn payment_gate(db: &Db, provider_user_id: &str) -> Result<super::model::PaymentGate, AppError> {
    let mut missing = Vec::new();
    let Some(provider) = crate::providers::server::provider_of_user(db, provider_user_id).await? else {
        missing.push("i dati del provider (censimento)".to_string());
        missing.push("la scelta del tipo di domanda".to_string());
        return Ok(super::model::PaymentGate { missing });
    };
    gate_for_provider(db, &provider).await
}

/// The payment gate of a registered provider.
pub async fn gate_for_provider(db: &Db, provider: &crate::providers::model::ProviderView) -> Result<super::model::PaymentGate, AppError> {
    let mut missing = Vec::new();
    if let Err(errors) = provider.form.validate() {
        // Data saved under older rules, or edited outside the portal: name every field.
        missing.extend(errors.iter().map(|e| format!("dati del provider: {}", e.message_it())));
    }
    match latest_request_of_provider(db, &provider.id).await? {
        None => missing.push("la scelta del tipo di domanda".to_string()),
        Some(request) => {
            let slots = crate::documents::server::slots(db, &request.id).await?;
            missing.extend(
                slots
                    .iter()
                    .filter(|slot| slot.doc_type.required && slot.current.is_none())
                    .map(|slot| format!("il documento «{}»", slot.doc_type.label)),
            );
        }
    }
    Ok(super::model::PaymentGate { missing })
}
