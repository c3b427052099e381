//! Provider services: the censimento of the logged-in account and its freeze rules.
//!
//! While the request is a draft the provider may change every section; once it is sent,
//! identity (denominazione, codice fiscale, partita IVA, legal form and so the Gruppo) and
//! everything else are frozen, until the Segreteria asks for an integration and reopens the
//! sections it chooses (`accreditation_requests.reopened_sections`). Every change is recorded
//! field by field (`store::providers`), and the Gruppo's confirmation by the Segreteria is
//! taken back when the legal form changes.

use super::model::{ProviderView, Section, ValidProvider};
use crate::accounts::CurrentUser;
use crate::db::Db;
use crate::domain::{FieldError, FieldRule};
use crate::error::AppError;
use crate::requests::model::RequestState;
use crate::store::providers::Provider;
use crate::store::requests::Request;
use crate::store::{self, begin_write};

/// What the provider may change while its latest request is `request`. An `accredited`
/// provider (one of its requests is ACCREDITATO) keeps its identity — and so its Gruppo, its
/// annual and per-event fees — in a later draft too: only an integration reopening IDENTITA lets
/// it change.
pub fn open_sections(request: Option<&Request>, accredited: bool) -> Vec<Section> {
    match request {
        None => Section::ALL.to_vec(),
        Some(r) if r.state == RequestState::Bozza => {
            Section::ALL.into_iter().filter(|s| !(accredited && *s == Section::Identita)).collect()
        }
        Some(r) if r.state == RequestState::IntegrazioneRichiesta => {
            r.reopened_sections.iter().filter_map(|code| Section::from_code(code)).collect()
        }
        Some(_) => vec![],
    }
}

/// The provider as the browser sees it.
pub fn view(provider: &Provider, request: Option<&Request>, accredited: bool) -> ProviderView {
    let open_sections = open_sections(request, accredited);
    ProviderView {
        id: provider.id.clone(),
        form: provider.form.clone(),
        provider_class: provider.provider_class,
        class_confirmed: provider.class_confirmed_at.is_some(),
        editable: open_sections.iter().any(|s| !s.fields().is_empty()),
        open_sections,
        identity_kept: accredited && request.is_some_and(|r| r.state == RequestState::Bozza),
    }
}

pub async fn provider_of_user(db: &Db, user_id: &str) -> Result<Option<ProviderView>, AppError> {
    let Some(provider) = store::providers::by_user(db, user_id).await? else {
        return Ok(None);
    };
    let (request, accredited) = store::requests::latest_and_accredited(db, &provider.id).await?;
    Ok(Some(view(&provider, request.as_ref(), accredited)))
}

pub async fn provider_by_id(db: &Db, provider_id: &str) -> Result<Option<ProviderView>, AppError> {
    let Some(provider) = store::providers::by_id(db, provider_id).await? else {
        return Ok(None);
    };
    let (request, accredited) = store::requests::latest_and_accredited(db, &provider.id).await?;
    Ok(Some(view(&provider, request.as_ref(), accredited)))
}

/// Creates or updates the provider of this account, within what is open now (see the module
/// documentation). A field outside the open sections that differs is refused, field by field,
/// and nothing is saved. While the request is a draft, its fees follow a change of Gruppo at
/// once (with the reason recorded).
pub async fn save_provider(db: &Db, actor: &CurrentUser, valid: &ValidProvider) -> Result<String, AppError> {
    let form = valid.normalized_form();
    let mut tx = begin_write(db).await?;
    let Some(provider) = store::providers::by_user_in(&mut tx, &actor.id).await? else {
        if store::providers::codice_fiscale_taken(&mut tx, &form.codice_fiscale, &actor.id).await? {
            return Err(AppError::ProviderExists);
        }
        let id =
            store::providers::insert(&mut tx, &actor.id, &form, valid.provider_class, actor).await.map_err(exists)?;
        tx.commit().await.map_err(store::StoreError::from)?;
        return Ok(id);
    };
    // The request's lock first (see `store::requests::lock_in`), then the data as they are now.
    let request = match store::requests::latest_of_provider_in(&mut tx, &provider.id).await? {
        Some(latest) => store::requests::lock_in(&mut tx, db.backend(), &latest.id).await?,
        None => None,
    };
    let current = store::providers::by_id_in(&mut tx, &provider.id).await?.ok_or(AppError::NotFound)?;
    let accredited = store::requests::accredited(&mut *tx, &current.id).await?;
    let open = open_sections(request.as_ref(), accredited);
    if !open.iter().any(|s| !s.fields().is_empty()) {
        return Err(AppError::WrongState);
    }
    let locked: Vec<FieldError> = crate::providers::model::ProviderForm::FIELDS
        .iter()
        .filter(|f| current.form.get(f) != form.get(f) && !Section::of_field(f).is_some_and(|s| open.contains(&s)))
        .map(|f| FieldError::new(f, FieldRule::Locked))
        .collect();
    if !locked.is_empty() {
        tracing::warn!(provider_id = %current.id, fields = ?locked.iter().map(|e| e.field.clone()).collect::<Vec<_>>(), "change of frozen provider data refused");
        return Err(AppError::InvalidForm(locked));
    }
    if form.codice_fiscale != current.form.codice_fiscale
        && store::providers::codice_fiscale_taken(&mut tx, &form.codice_fiscale, &actor.id).await?
    {
        return Err(AppError::ProviderExists);
    }
    let reason = match request.as_ref().map(|r| r.state) {
        Some(RequestState::IntegrazioneRichiesta) => Some("Integrazione richiesta dalla Segreteria"),
        _ => None,
    };
    store::providers::update_fields(&mut tx, &current, &form, valid.provider_class, actor, reason)
        .await
        .map_err(exists)?;
    if valid.provider_class != current.provider_class {
        store::providers::clear_class_confirmation(&mut tx, &current.id).await?;
        if let Some(draft) = request.as_ref().filter(|r| r.state == RequestState::Bozza) {
            let updated = store::providers::by_id_in(&mut tx, &current.id).await?.ok_or(AppError::NotFound)?;
            crate::debts::service::recompute_request_fees(
                &mut tx,
                &updated,
                draft,
                &actor.id,
                "forma giuridica cambiata nella bozza",
            )
            .await?;
        }
    }
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(current.id)
}

/// A codice fiscale taken by another provider meanwhile is "already registered", not a conflict.
fn exists(error: store::StoreError) -> AppError {
    match error {
        store::StoreError::Conflict(_) => AppError::ProviderExists,
        other => other.into(),
    }
}
