//! Enqueuing notifications: what services call, inside the transaction of the change that
//! causes the mail (`store::outbox` holds the SQL). Composing is pure (`compose`); this module
//! finds the recipients and writes one row per recipient.

use super::compose::{self, Composed};
use super::model::MailKind;
use crate::db::{new_id, now_utc};
use crate::store::{self, StoreError, Tx};

/// Writes `composed` for each recipient. `dedupe` (reminders) makes the key of each row, from
/// the recipient: a row already written with that key is not written again.
// Eight plain columns of one outbox row, each named at every call site; a struct would only
// rename them.
#[allow(clippy::too_many_arguments)]
pub async fn enqueue_to(
    tx: &mut Tx,
    kind: MailKind,
    provider_id: Option<&str>,
    user_id: Option<&str>,
    recipients: &[String],
    composed: &Composed,
    secret: bool,
    dedupe: Option<&str>,
) -> Result<usize, StoreError> {
    let now = now_utc();
    let mut written = 0;
    for recipient in recipients {
        let id = new_id();
        let key = dedupe.map(|d| format!("{d}:{}", recipient.to_lowercase()));
        let row = store::outbox::NewMail {
            id: &id,
            kind,
            dedupe_key: key.as_deref(),
            provider_id,
            user_id,
            recipient,
            subject: &composed.subject,
            body_text: &composed.text,
            body_html: &composed.html,
            secret,
            now: &now,
        };
        if store::outbox::enqueue(tx, &row).await? {
            written += 1;
            tracing::info!(mail_id = %id, kind = kind.as_db(), provider_id, "notification enqueued");
        }
    }
    Ok(written)
}

/// A notification to a provider's contacts (its account and the organisation's address),
/// composed from the provider's name and the account holder's name.
pub async fn to_provider(
    tx: &mut Tx,
    kind: MailKind,
    provider_id: &str,
    dedupe: Option<&str>,
    compose: impl FnOnce(&store::outbox::ProviderContacts) -> Composed,
) -> Result<usize, StoreError> {
    let Some(contacts) = store::outbox::provider_contacts(tx, provider_id).await? else {
        tracing::warn!(provider_id, kind = kind.as_db(), "notification not written: provider not found");
        return Ok(0);
    };
    let composed = compose(&contacts);
    enqueue_to(
        tx,
        kind,
        Some(provider_id),
        Some(&contacts.owner_user_id),
        &contacts.recipients,
        &composed,
        false,
        dedupe,
    )
    .await
}

/// The notification of a request's move by the Segreteria, if that move tells the provider
/// anything (integration requested, accredited, rejected).
pub async fn request_moved(
    tx: &mut Tx,
    provider_id: &str,
    to: crate::requests::model::RequestState,
    note: Option<&str>,
    sections: &[&str],
) -> Result<usize, StoreError> {
    use crate::requests::model::RequestState;
    let public_url = compose::LINK_BASE;
    let kind = match to {
        RequestState::IntegrazioneRichiesta => MailKind::IntegrationRequested,
        RequestState::Accreditato => MailKind::Accredited,
        RequestState::Rigettato => MailKind::Rejected,
        _ => return Ok(0),
    };
    to_provider(tx, kind, provider_id, None, |c| match kind {
        MailKind::IntegrationRequested => {
            compose::integration_requested(public_url, &c.display_name, &c.denominazione, note.unwrap_or(""), sections)
        }
        MailKind::Accredited => compose::accredited(public_url, &c.display_name, &c.denominazione, note),
        _ => compose::rejected(public_url, &c.display_name, &c.denominazione, note.unwrap_or("")),
    })
    .await
}
