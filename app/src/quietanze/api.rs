//! Server functions of the treasury channel: the provider's page, and the Segreteria's
//! decisions (accept, refuse) and channel switch. The file upload is a plain HTTP endpoint
//! (`http.rs`).

use leptos::prelude::*;

use super::model::QuietanzaPage;
use crate::error::AppError;

/// The logged-in provider's quietanza page.
#[server(endpoint = "quietanze/page", output = crate::codec::Json)]
pub async fn load_quietanza_page() -> Result<QuietanzaPage, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        super::service::page(&state.db, &user, state.upload_limits.max_bytes).await
    })
    .await
}

/// The Segreteria accepts a quietanza (a note is needed when it differs from the debt).
#[server(endpoint = "segreteria/quietanza_accept", output = crate::codec::Json)]
pub async fn accept_quietanza(
    id: String,
    debt_id: String,
    #[server(default)] accept_note: String,
) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    as_role(Role::Segreteria, |user, state| async move {
        let page = format!("/segreteria/dovuti/{}", crate::domain::percent_encode(debt_id.trim()));
        let result = super::service::accept(&state.db, state.payments.as_deref(), &user, id.trim(), &accept_note).await;
        after_form(result, &page, "quietanza=accettata", "segreteria/quietanza_accept", &[("nota", &accept_note)])
    })
    .await
}

/// The Segreteria refuses a quietanza with a reason the provider reads.
#[server(endpoint = "segreteria/quietanza_refuse", output = crate::codec::Json)]
pub async fn refuse_quietanza(
    id: String,
    debt_id: String,
    #[server(default)] refuse_reason: String,
) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    as_role(Role::Segreteria, |user, state| async move {
        let page = format!("/segreteria/dovuti/{}", crate::domain::percent_encode(debt_id.trim()));
        let result = super::service::refuse(&state.db, &user, id.trim(), &refuse_reason).await;
        after_form(
            result,
            &page,
            "quietanza=rifiutata",
            "segreteria/quietanza_refuse",
            &[("motivo_rifiuto", &refuse_reason)],
        )
    })
    .await
}

/// The Segreteria switches a provider's treasury channel on (`enabled` = "1") or off, with a
/// reason.
#[server(endpoint = "segreteria/treasury_channel", output = crate::codec::Json)]
pub async fn set_treasury_channel(
    provider_id: String,
    enabled: String,
    #[server(default)] treasury_reason: String,
) -> Result<(), AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    as_role(Role::Segreteria, |user, state| async move {
        let provider_id = provider_id.trim().to_string();
        let page = format!("/segreteria/provider/{}/estratto-conto", crate::domain::percent_encode(&provider_id));
        let on = match enabled.trim() {
            "1" => true,
            "0" => false,
            _ => return Err(AppError::BadRequest("enabled must be 0 or 1".into())),
        };
        let result = super::service::set_channel(&state.db, &user, &provider_id, on, &treasury_reason).await;
        after_form(result, &page, "canale=1", "segreteria/treasury_channel", &[("motivo_canale", &treasury_reason)])
    })
    .await
}
