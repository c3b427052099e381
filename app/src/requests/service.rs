//! Request services: the draft, its submission and integrations, and the Segreteria's moves.
//! Every state change goes through `store::requests::move_state`; the fees of the request are
//! recomputed (`debts::service`) at the draft's creation, at every submission and at every
//! answer to an integration, and a request never leaves the provider while a fee is unpaid.

use super::model::{Declared, DeclaredFee, RequestKind, RequestState, RequestView};
use crate::accounts::CurrentUser;
use crate::db::Db;
use crate::debts::service::recompute_request_fees;
use crate::error::AppError;
use crate::payments::model::DebtState;
use crate::providers::model::Section;
use crate::store::requests::{Move, Request};
use crate::store::{self, begin_write, StoreError};

/// The request as the browser sees it, with its history.
pub async fn view(db: &Db, request: Request) -> Result<RequestView, AppError> {
    let history = store::requests::history(db, &request.id)
        .await?
        .into_iter()
        .map(|(mut entry, snapshot)| {
            entry.declared =
                snapshot.and_then(|json| serde_json::from_str::<Declared>(&json).ok()).map(|d| d.summary_it());
            entry
        })
        .collect();
    Ok(RequestView {
        id: request.id,
        kind: request.kind,
        state: request.state,
        created_at: request.created_at,
        updated_at: request.updated_at,
        submitted_at: request.submitted_at,
        history,
        reopened_sections: request.reopened_sections.iter().filter_map(|c| Section::from_code(c)).collect(),
    })
}

/// The provider's current (latest) request, if any.
pub async fn latest_request_of_provider(db: &Db, provider_id: &str) -> Result<Option<RequestView>, AppError> {
    match store::requests::latest_of_provider(db, provider_id).await? {
        Some(request) => view(db, request).await.map(Some),
        None => Ok(None),
    }
}

pub async fn load_request(db: &Db, request_id: &str) -> Result<Option<RequestView>, AppError> {
    match store::requests::by_id(db, request_id).await? {
        Some(request) => view(db, request).await.map(Some),
        None => Ok(None),
    }
}

/// Starts the draft request of a provider (with its fees), or changes the kind of its draft.
/// Two tabs or a double click make one draft: the second gets 409 (or, for the same kind,
/// simply the draft the first made).
pub async fn choose_kind(
    db: &Db,
    actor: &CurrentUser,
    provider_id: &str,
    kind: RequestKind,
) -> Result<String, AppError> {
    let mut tx = begin_write(db).await?;
    let provider = store::providers::by_id_in(&mut tx, provider_id).await?.ok_or(AppError::StepMissing)?;
    let id = match store::requests::latest_of_provider_in(&mut tx, provider_id).await? {
        Some(request) if request.state == RequestState::Bozza => {
            if request.kind != kind {
                store::requests::set_kind(&mut tx, &request.id, kind).await?;
            }
            request.id
        }
        Some(request) if !matches!(request.state, RequestState::Accreditato | RequestState::Rigettato) => {
            return Err(AppError::WrongState)
        }
        _ => {
            let id = store::requests::create_draft(&mut tx, provider_id, kind, actor).await?;
            let draft =
                store::requests::latest_of_provider_in(&mut tx, provider_id).await?.ok_or(AppError::Internal)?;
            recompute_request_fees(&mut tx, &provider, &draft, &actor.id, "domanda creata").await?;
            id
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// What the provider declares now: kept in the history row of the submission.
fn declared(provider: &store::providers::Provider, fees: &[store::debts::Debt]) -> String {
    let declared = Declared {
        denominazione: provider.form.denominazione.clone(),
        codice_fiscale: provider.form.codice_fiscale.clone(),
        forma_giuridica: provider.form.forma_giuridica.clone(),
        gruppo: provider.provider_class,
        contributi: fees
            .iter()
            .map(|d| DeclaredFee { causale: d.causale.clone(), amount_cents: d.amount_cents, state: d.state })
            .collect(),
    };
    serde_json::to_string(&declared).unwrap_or_default()
}

/// The provider sends its request: BOZZA → INVIATA, or (answering an integration)
/// INTEGRAZIONE_RICHIESTA → IN_ISTRUTTORIA. The fees are recomputed for the Gruppo as it is
/// now, in the same transaction; while one of them is not verified PAGATO nothing moves.
pub async fn send(db: &Db, actor: &CurrentUser, provider_id: &str, from: RequestState) -> Result<(), AppError> {
    let (to, note_paid, note_free) = match from {
        RequestState::Bozza => (
            RequestState::Inviata,
            "Domanda inviata: contributi pagati e verificati",
            "Domanda inviata (nessun contributo dovuto)",
        ),
        RequestState::IntegrazioneRichiesta => {
            (RequestState::InIstruttoria, "Integrazione inviata dal provider", "Integrazione inviata dal provider")
        }
        _ => return Err(AppError::WrongState),
    };
    let mut tx = begin_write(db).await?;
    let latest = store::requests::latest_of_provider_in(&mut tx, provider_id).await?.ok_or(AppError::StepMissing)?;
    // The lock first: the provider's data and fees are read as they are once no upload or
    // censimento change of this request is still writing.
    let request = store::requests::lock_in(&mut tx, db.backend(), &latest.id).await?.ok_or(AppError::StepMissing)?;
    let provider = store::providers::by_id_in(&mut tx, provider_id).await?.ok_or(AppError::StepMissing)?;
    if request.state != from {
        return Err(AppError::WrongState);
    }
    let why = if from == RequestState::Bozza { "invio della domanda" } else { "invio dell'integrazione" };
    let fees = recompute_request_fees(&mut tx, &provider, &request, &actor.id, why).await?;
    if fees.iter().any(|d| d.state != DebtState::Pagato) {
        // The recomputation itself stands (a fee now due is shown to the provider to pay).
        tx.commit().await.map_err(StoreError::from)?;
        return Err(AppError::DebtsNotPaid);
    }
    let snapshot = declared(&provider, &fees);
    let note = if fees.is_empty() { note_free } else { note_paid };
    store::requests::move_state(
        &mut tx,
        &request.id,
        from,
        to,
        actor,
        Move { note: Some(note), snapshot: Some(&snapshot), ..Move::default() },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// A move of the Segreteria (take in charge, integration, accreditation, rejection), from
/// `expected`. Asking for an integration names the sections it reopens; accrediting needs the
/// Gruppo confirmed and every fee of the request verified as paid.
pub async fn transition(
    db: &Db,
    actor: &CurrentUser,
    request_id: &str,
    expected: RequestState,
    to: RequestState,
    note: Option<&str>,
    reopened: &[Section],
) -> Result<RequestState, AppError> {
    let mut tx = begin_write(db).await?;
    let request = store::requests::lock_in(&mut tx, db.backend(), request_id).await?.ok_or(AppError::NotFound)?;
    if request.state != expected || !expected.can_move_to(to) {
        return Err(AppError::WrongState);
    }
    if to == RequestState::IntegrazioneRichiesta && reopened.is_empty() {
        return Err(AppError::Invalid(crate::domain::FieldError::new("sections", crate::domain::FieldRule::Required)));
    }
    if to == RequestState::Accreditato {
        let provider = store::providers::by_id_in(&mut tx, &request.provider_id).await?.ok_or(AppError::NotFound)?;
        if provider.class_confirmed_at.is_none() {
            return Err(AppError::ClassNotConfirmed);
        }
        let fees = recompute_request_fees(&mut tx, &provider, &request, &actor.id, "accreditamento").await?;
        if fees.iter().any(|d| d.state != DebtState::Pagato) {
            tx.commit().await.map_err(StoreError::from)?;
            return Err(AppError::DebtsNotPaid);
        }
    }
    let codes: Vec<&str> = reopened.iter().map(|s| s.code()).collect();
    store::requests::move_state(
        &mut tx,
        request_id,
        expected,
        to,
        actor,
        Move { note, snapshot: None, reopened_sections: &codes },
    )
    .await?;
    // The provider is told in the same transaction (integration, accreditation, rejection).
    let labels: Vec<&str> = reopened.iter().map(|s| s.label_it()).collect();
    crate::mail::outbox::request_moved(&mut tx, &request.provider_id, to, note, &labels).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(expected)
}

/// The payment gate (docs/domain.md §3.4): the provider's data are complete and
/// valid, the request exists as a draft, and every required document is present.
pub async fn payment_gate(db: &Db, provider_user_id: &str) -> Result<super::model::PaymentGate, AppError> {
    let mut missing = Vec::new();
    let Some(provider) = crate::providers::service::provider_of_user(db, provider_user_id).await? else {
        missing.push("i dati del provider (censimento)".to_string());
        missing.push("la scelta del tipo di domanda".to_string());
        return Ok(super::model::PaymentGate { missing });
    };
    gate_for_provider(db, &provider).await
}

/// The payment gate of a registered provider.
pub async fn gate_for_provider(
    db: &Db,
    provider: &crate::providers::model::ProviderView,
) -> Result<super::model::PaymentGate, AppError> {
    let mut missing = Vec::new();
    if let Err(errors) = provider.form.validate() {
        // Data saved under older rules, or edited outside the portal: name every field.
        missing.extend(errors.iter().map(|e| format!("dati del provider: {}", e.message_it())));
    }
    match store::requests::latest_of_provider(db, &provider.id).await? {
        None => missing.push("la scelta del tipo di domanda".to_string()),
        Some(request) => {
            let slots = crate::documents::service::slots(db, &request.id).await?;
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

/// The Segreteria confirms the provider's Gruppo as declared, or corrects it with a reason: a
/// correction recomputes the request's fees at once (Gruppo A owes nothing the first year,
/// Gruppo B the first-year quota), with the reason recorded on the provider's data and on the
/// fees. Only while the request is with the Segreteria (INVIATA, IN_ISTRUTTORIA).
pub async fn confirm_class(
    db: &Db,
    actor: &CurrentUser,
    request_id: &str,
    class: crate::providers::model::ProviderClass,
    reason: &str,
) -> Result<(), AppError> {
    let mut tx = begin_write(db).await?;
    let request = store::requests::lock_in(&mut tx, db.backend(), request_id).await?.ok_or(AppError::NotFound)?;
    if !matches!(request.state, RequestState::Inviata | RequestState::InIstruttoria) {
        return Err(AppError::WrongState);
    }
    let provider = store::providers::by_id_in(&mut tx, &request.provider_id).await?.ok_or(AppError::NotFound)?;
    if class == provider.provider_class {
        let note = (!reason.trim().is_empty()).then(|| reason.trim());
        store::providers::confirm_class(&mut tx, &provider.id, class, actor, note).await?;
    } else {
        let reason = crate::debts::model::check_reason("class_reason", reason)?;
        let why = format!(
            "Gruppo corretto dalla Segreteria ({} → {}): {reason}",
            provider.provider_class.label_it(),
            class.label_it()
        );
        store::providers::set_class(&mut tx, &provider, class, actor, &why).await?;
        store::providers::confirm_class(&mut tx, &provider.id, class, actor, Some(&why)).await?;
        let corrected = store::providers::by_id_in(&mut tx, &provider.id).await?.ok_or(AppError::NotFound)?;
        recompute_request_fees(&mut tx, &corrected, &request, &actor.id, &why).await?;
        tracing::info!(request_id, provider_id = %provider.id, class = class.as_db(), "provider class corrected by the Segreteria");
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
