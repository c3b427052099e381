//! Providers (the censimento) and the history of every change to their data.
//!
//! [`insert`] and [`update_fields`] are the only writers of `providers`; each records what it
//! changed in `provider_changes` (who, when, field, old → new, why) in the caller's transaction.

use sqlx::FromRow;

use super::{audit_row, decode, StoreError, Tx};
use crate::accounts::CurrentUser;
use crate::db::{new_id, now_utc, Db};
use crate::providers::model::{ProviderChangeView, ProviderClass, ProviderForm};

/// A registered provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: String,
    pub owner_user_id: String,
    /// The data as stored (the same texts the form shows).
    pub form: ProviderForm,
    pub provider_class: ProviderClass,
    pub class_confirmed_at: Option<String>,
    /// The treasury channel as the Segreteria set it (`None`: the default of the Gruppo).
    pub treasury_channel: Option<bool>,
}

impl Provider {
    /// Whether the provider may pay by treasury transfer: as the Segreteria set it, else on for
    /// Gruppo A (public health bodies pay by treasury order) and off for Gruppo B.
    pub fn treasury_channel_enabled(&self) -> bool {
        self.treasury_channel.unwrap_or(self.provider_class == ProviderClass::A)
    }
}

#[derive(FromRow)]
struct ProviderRow {
    id: String,
    owner_user_id: String,
    denominazione: String,
    codice_fiscale: String,
    partita_iva: Option<String>,
    forma_giuridica: String,
    provider_class: String,
    legale_nome: String,
    legale_cognome: String,
    legale_codice_fiscale: String,
    via: String,
    civico: String,
    cap: String,
    comune: String,
    provincia: String,
    pec: String,
    email: String,
    telefono: String,
    class_confirmed_at: Option<String>,
    treasury_channel: Option<String>,
}

const COLUMNS: &str = "id, owner_user_id, denominazione, codice_fiscale, partita_iva, forma_giuridica, provider_class, \
    legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune, provincia, pec, email, telefono, class_confirmed_at, treasury_channel";

impl TryFrom<ProviderRow> for Provider {
    type Error = StoreError;
    fn try_from(r: ProviderRow) -> Result<Provider, StoreError> {
        Ok(Provider {
            provider_class: decode(&r.provider_class, "provider class", ProviderClass::from_db)?,
            id: r.id,
            owner_user_id: r.owner_user_id,
            class_confirmed_at: r.class_confirmed_at,
            treasury_channel: match r.treasury_channel.as_deref() {
                None => None,
                Some("ON") => Some(true),
                Some("OFF") => Some(false),
                Some(other) => return Err(StoreError::Corrupt(format!("unknown treasury channel {other:?}"))),
            },
            form: ProviderForm {
                denominazione: r.denominazione,
                codice_fiscale: r.codice_fiscale,
                partita_iva: r.partita_iva.unwrap_or_default(),
                forma_giuridica: r.forma_giuridica,
                legale_nome: r.legale_nome,
                legale_cognome: r.legale_cognome,
                legale_codice_fiscale: r.legale_codice_fiscale,
                via: r.via,
                civico: r.civico,
                cap: r.cap,
                comune: r.comune,
                provincia: r.provincia,
                pec: r.pec,
                email: r.email,
                telefono: r.telefono,
            },
        })
    }
}

async fn one(
    db_or_tx: impl sqlx::AnyExecutor<'_>,
    condition: &str,
    value: &str,
) -> Result<Option<Provider>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM providers WHERE {condition} = $1");
    sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(db_or_tx)
        .await?
        .map(Provider::try_from)
        .transpose()
}

pub async fn by_user(db: &Db, user_id: &str) -> Result<Option<Provider>, StoreError> {
    one(db.pool(), "owner_user_id", user_id).await
}

pub async fn by_user_in(tx: &mut Tx, user_id: &str) -> Result<Option<Provider>, StoreError> {
    one(&mut **tx, "owner_user_id", user_id).await
}

pub async fn by_id(db: &Db, provider_id: &str) -> Result<Option<Provider>, StoreError> {
    one(db.pool(), "id", provider_id).await
}

pub async fn by_id_in(tx: &mut Tx, provider_id: &str) -> Result<Option<Provider>, StoreError> {
    one(&mut **tx, "id", provider_id).await
}

/// The account that owns a provider.
pub async fn owner(db: &Db, provider_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT owner_user_id FROM providers WHERE id = $1")
        .bind(provider_id)
        .fetch_optional(db.pool())
        .await?)
}

/// Whether another account's provider already has this codice fiscale.
pub async fn codice_fiscale_taken(tx: &mut Tx, codice_fiscale: &str, owner_user_id: &str) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 AS one FROM providers WHERE codice_fiscale = $1 AND owner_user_id <> $2")
        .bind(codice_fiscale)
        .bind(owner_user_id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

async fn record(
    tx: &mut Tx,
    provider_id: &str,
    actor: &CurrentUser,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let sql =
        "INSERT INTO provider_changes (id, provider_id, at, actor_id, actor_role, field, old_value, new_value, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    audit_row(sql, provider_id, actor).bind(field).bind(old).bind(new).bind(reason).execute(&mut **tx).await?;
    Ok(())
}

fn text_or_null(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// Registers the provider of an account (a codice fiscale or an account already registered is
/// a [`StoreError::Conflict`]).
pub async fn insert(
    tx: &mut Tx,
    owner_user_id: &str,
    form: &ProviderForm,
    class: ProviderClass,
    actor: &CurrentUser,
) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_utc();
    sqlx::query(
        "INSERT INTO providers (id, owner_user_id, denominazione, codice_fiscale, partita_iva, provider_class,
             forma_giuridica, legale_nome, legale_cognome, legale_codice_fiscale, via, civico, cap, comune,
             provincia, pec, email, telefono, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)",
    )
    .bind(&id)
    .bind(owner_user_id)
    .bind(&form.denominazione)
    .bind(&form.codice_fiscale)
    .bind(text_or_null(&form.partita_iva))
    .bind(class.as_db())
    .bind(&form.forma_giuridica)
    .bind(&form.legale_nome)
    .bind(&form.legale_cognome)
    .bind(&form.legale_codice_fiscale)
    .bind(&form.via)
    .bind(&form.civico)
    .bind(&form.cap)
    .bind(&form.comune)
    .bind(&form.provincia)
    .bind(&form.pec)
    .bind(&form.email)
    .bind(&form.telefono)
    .bind(&now)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, "provider already registered"))?;
    record(tx, &id, actor, "censimento", None, Some("creato"), None).await?;
    for field in ProviderForm::FIELDS {
        record(tx, &id, actor, field, None, text_or_null(form.get(field)), None).await?;
    }
    record(tx, &id, actor, "provider_class", None, Some(class.as_db()), None).await?;
    Ok(id)
}

/// Writes the fields of `new` that differ from `current` (and the class, when it changes), each
/// with its change row. Returns the fields that changed.
pub async fn update_fields(
    tx: &mut Tx,
    current: &Provider,
    new: &ProviderForm,
    class: ProviderClass,
    actor: &CurrentUser,
    reason: Option<&str>,
) -> Result<Vec<&'static str>, StoreError> {
    let changed: Vec<&'static str> =
        ProviderForm::FIELDS.iter().copied().filter(|f| current.form.get(f) != new.get(f)).collect();
    if changed.is_empty() && class == current.provider_class {
        return Ok(changed);
    }
    // Column names come from the fixed `ProviderForm::FIELDS` list, never from input.
    let sets: Vec<String> = changed.iter().enumerate().map(|(i, f)| format!("{f} = ${}", i + 1)).collect();
    let n = changed.len();
    let sql = format!(
        "UPDATE providers SET {}provider_class = ${}, updated_at = ${} WHERE id = ${} AND provider_class = ${}",
        sets.iter().map(|s| format!("{s}, ")).collect::<String>(),
        n + 1,
        n + 2,
        n + 3,
        n + 4
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for field in &changed {
        let value = new.get(field);
        query = if *field == "partita_iva" {
            query.bind(text_or_null(value).map(str::to_string))
        } else {
            query.bind(value.to_string())
        };
    }
    let updated = query
        .bind(class.as_db())
        .bind(now_utc())
        .bind(&current.id)
        .bind(current.provider_class.as_db())
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::from_unique(e, "codice fiscale of another provider"))?
        .rows_affected();
    if updated != 1 {
        return Err(StoreError::Conflict("provider changed meanwhile"));
    }
    for field in &changed {
        record(
            tx,
            &current.id,
            actor,
            field,
            text_or_null(current.form.get(field)),
            text_or_null(new.get(field)),
            reason,
        )
        .await?;
    }
    if class != current.provider_class {
        record(
            tx,
            &current.id,
            actor,
            "provider_class",
            Some(current.provider_class.as_db()),
            Some(class.as_db()),
            reason,
        )
        .await?;
    }
    Ok(changed)
}

/// The Segreteria confirms the Gruppo as it is now (`class` must still be the stored one).
pub async fn confirm_class(
    tx: &mut Tx,
    provider_id: &str,
    class: ProviderClass,
    actor: &CurrentUser,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let now = now_utc();
    let updated = sqlx::query("UPDATE providers SET class_confirmed_at = $1, class_confirmed_by = $2, updated_at = $1 WHERE id = $3 AND provider_class = $4")
        .bind(&now)
        .bind(&actor.id)
        .bind(provider_id)
        .bind(class.as_db())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated != 1 {
        return Err(StoreError::Conflict("provider class changed meanwhile"));
    }
    record(
        tx,
        provider_id,
        actor,
        "provider_class",
        Some(class.as_db()),
        Some(class.as_db()),
        Some(reason.unwrap_or("Gruppo confermato dalla Segreteria")),
    )
    .await
}

/// Sets a new Gruppo (the Segreteria's correction), with its change row.
pub async fn set_class(
    tx: &mut Tx,
    provider: &Provider,
    class: ProviderClass,
    actor: &CurrentUser,
    reason: &str,
) -> Result<(), StoreError> {
    update_fields(tx, provider, &provider.form, class, actor, Some(reason)).await?;
    Ok(())
}

/// The Segreteria switches the treasury channel (quietanza) on or off, with its change row.
pub async fn set_treasury_channel(
    tx: &mut Tx,
    provider: &Provider,
    enabled: bool,
    actor: &CurrentUser,
    reason: &str,
) -> Result<(), StoreError> {
    let value = if enabled { "ON" } else { "OFF" };
    let old = provider.treasury_channel.map(|on| if on { "ON" } else { "OFF" });
    sqlx::query("UPDATE providers SET treasury_channel = $1, updated_at = $2 WHERE id = $3")
        .bind(value)
        .bind(now_utc())
        .bind(&provider.id)
        .execute(&mut **tx)
        .await?;
    record(tx, &provider.id, actor, "treasury_channel", old, Some(value), Some(reason)).await
}

/// A change takes the Gruppo's confirmation back (the Segreteria must look again).
pub async fn clear_class_confirmation(tx: &mut Tx, provider_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE providers SET class_confirmed_at = NULL, class_confirmed_by = NULL WHERE id = $1")
        .bind(provider_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Every change of the provider's data, oldest first.
pub async fn changes(db: &Db, provider_id: &str) -> Result<Vec<ProviderChangeView>, StoreError> {
    Ok(sqlx::query_as::<_, ProviderChangeView>(
        "SELECT c.at, COALESCE(u.display_name, c.actor_id) AS actor, c.actor_role, c.field, c.old_value, c.new_value, c.reason
         FROM provider_changes c LEFT JOIN users u ON u.id = c.actor_id WHERE c.provider_id = $1 ORDER BY c.at, c.id",
    )
    .bind(provider_id)
    .fetch_all(db.pool())
    .await?)
}
