//! Provider services: read and save the censimento of the logged-in provider account.

use sqlx::Row;

use super::model::{ProviderClass, ProviderForm, ProviderView, ValidProvider};
use crate::db::{new_id, now_utc, Db};
use crate::error::AppError;
use crate::requests::model::RequestState;
use crate::state::internal;

const COLUMNS: &str = "id, denominazione, codice_fiscale, partita_iva, forma_giuridica, provider_class, \
    legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune, provincia, pec, email, telefono";

fn view_from_row(row: &sqlx::any::AnyRow, editable: bool) -> Result<ProviderView, AppError> {
    let get = |name: &str| -> Result<String, AppError> { row.try_get::<String, _>(name).map_err(internal) };
    let class = get("provider_class")?;
    Ok(ProviderView {
        id: get("id")?,
        provider_class: ProviderClass::from_db(&class).ok_or_else(|| internal(format!("unknown class {class}")))?,
        editable,
        form: ProviderForm {
            denominazione: get("denominazione")?,
            codice_fiscale: get("codice_fiscale")?,
            partita_iva: row.try_get::<Option<String>, _>("partita_iva").map_err(internal)?.unwrap_or_default(),
            forma_giuridica: get("forma_giuridica")?,
            legale_nome: get("legale_nome")?,
            legale_cognome: get("legale_cognome")?,
            legale_codice_fiscale: get("legale_codice_fiscale")?,
            via: get("via")?,
            civico: get("civico")?,
            cap: get("cap")?,
            comune: get("comune")?,
            provincia: get("provincia")?,
            pec: get("pec")?,
            email: get("email")?,
            telefono: get("telefono")?,
        },
    })
}

/// State of the provider's latest request, if it has one.
async fn latest_request_state(db: &Db, provider_id: &str) -> Result<Option<RequestState>, AppError> {
    let state: Option<String> = sqlx::query(
        "SELECT state FROM accreditation_requests WHERE provider_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(provider_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal)?
    .map(|row| row.try_get("state"))
    .transpose()
    .map_err(internal)?;
    Ok(state.as_deref().and_then(RequestState::from_db))
}

pub async fn provider_of_user(db: &Db, user_id: &str) -> Result<Option<ProviderView>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM providers WHERE owner_user_id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let id: String = row.try_get("id").map_err(internal)?;
    let editable = latest_request_state(db, &id).await?.is_none_or(RequestState::provider_can_edit);
    view_from_row(&row, editable).map(Some)
}

pub async fn provider_by_id(db: &Db, provider_id: &str) -> Result<Option<ProviderView>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM providers WHERE id = $1");
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let editable = latest_request_state(db, provider_id).await?.is_none_or(RequestState::provider_can_edit);
    view_from_row(&row, editable).map(Some)
}

/// Creates or updates the provider of this account. Refused once the request was sent
/// (until the Segreteria asks for an integration).
pub async fn save_provider(db: &Db, user_id: &str, p: &ValidProvider) -> Result<String, AppError> {
    if let Some(existing) = provider_of_user(db, user_id).await? {
        if !existing.editable {
            return Err(AppError::WrongState);
        }
    }
    let taken: Option<String> = sqlx::query("SELECT id FROM providers WHERE codice_fiscale = $1 AND owner_user_id <> $2")
        .bind(p.codice_fiscale.as_str())
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal)?
        .map(|row| row.try_get("id"))
        .transpose()
        .map_err(internal)?;
    if taken.is_some() {
        return Err(AppError::ProviderExists);
    }
    let now = now_utc();
    let result = sqlx::query(
        "INSERT INTO providers (id, owner_user_id, denominazione, codice_fiscale, partita_iva, provider_class,
             forma_giuridica, legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune,
             provincia, pec, email, telefono, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)
         ON CONFLICT (owner_user_id) DO UPDATE SET
             denominazione = excluded.denominazione, codice_fiscale = excluded.codice_fiscale,
             partita_iva = excluded.partita_iva, provider_class = excluded.provider_class,
             forma_giuridica = excluded.forma_giuridica, legale_nome = excluded.legale_nome,
             legale_cognome = excluded.legale_cognome, legale_codice_fiscale = excluded.legale_codice_fiscale,
             via = excluded.via, civico = excluded.civico, cap = excluded.cap, comune = excluded.comune,
             provincia = excluded.provincia, pec = excluded.pec, email = excluded.email,
             telefono = excluded.telefono, updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(&p.denominazione)
    .bind(p.codice_fiscale.as_str())
    .bind(p.partita_iva.as_ref().map(|v| v.as_str().to_string()))
    .bind(p.provider_class.as_db())
    .bind(&p.forma_giuridica)
    .bind(&p.legale_nome)
    .bind(&p.legale_cognome)
    .bind(p.legale_codice_fiscale.as_str())
    .bind(&p.via)
    .bind(&p.civico)
    .bind(&p.cap)
    .bind(&p.comune)
    .bind(&p.provincia)
    .bind(p.pec.as_str())
    .bind(p.email.as_str())
    .bind(&p.telefono)
    .bind(&now)
    .fetch_one(db.pool())
    .await;
    match result {
        Ok(row) => row.try_get("id").map_err(internal),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(AppError::ProviderExists),
        Err(e) => Err(internal(e)),
    }
}
