//! Server functions of the mail log (Segreteria only).

use leptos::prelude::*;

use super::model::MailLogLine;
use crate::error::AppError;

/// How many lines a provider's mail log shows.
pub const LOG_LINES: i64 = 100;

/// The mail of a provider, newest first: what was sent, when, and what failed.
#[server(endpoint = "mail/log", output = crate::codec::Json)]
pub async fn load_mail_log(provider_id: String) -> Result<Vec<MailLogLine>, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        let owner = crate::store::providers::owner(&state.db, &provider_id).await?.ok_or(AppError::NotFound)?;
        Ok(crate::store::outbox::log_of_provider(&state.db, &provider_id, &owner, LOG_LINES).await?)
    })
    .await
}
