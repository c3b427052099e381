//! Server functions of the tariff table. Segreteria only: a provider gets `forbidden` (403), an
//! anonymous caller `unauthenticated` (401).

use leptos::prelude::*;

use super::tariffs_model::{TariffCasePage, TariffVersion, TariffsOverview};
use crate::error::AppError;

/// A plain HTML form post (no JavaScript) that failed goes back to `page` with the typed values
/// and the error in the URL (`__path`, `__err`, read by `auth::form_error`): nothing is lost.
/// With JavaScript the form stays on the page and nothing needs doing.
#[cfg(feature = "ssr")]
pub(crate) fn back_to_form(page: &str, endpoint: &str, error: &AppError, values: &[(&str, &str)]) {
    if !crate::state::is_plain_form_post() {
        return;
    }
    leptos_axum::redirect(&crate::state::form_error_url(page, endpoint, error, values));
}

#[server(endpoint = "segreteria/tariffs", output = crate::codec::Json)]
pub async fn load_tariffs() -> Result<TariffsOverview, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        super::tariffs_server::overview(&app_state()?.db, super::tariffs_server::today()).await
    })
    .await
}

#[server(endpoint = "segreteria/tariff_case", output = crate::codec::Json)]
pub async fn load_tariff_case(key: String) -> Result<TariffCasePage, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        require_role(Role::Segreteria).await?;
        let today = super::tariffs_server::today();
        let case = super::tariffs_server::case_view(&app_state()?.db, key.trim(), today).await?;
        Ok(TariffCasePage { today: super::tariffs_server::date_text(today), case })
    })
    .await
}

/// "Nuova tariffa": `amount` in euro as typed (`258,22`, `1.500,00`, …), `valid_from` YYYY-MM-DD.
#[server(endpoint = "segreteria/tariff_new", output = crate::codec::Json)]
pub async fn add_tariff_version(key: String, amount: String, valid_from: String) -> Result<TariffVersion, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Segreteria).await?;
        let key = key.trim().to_string();
        let page = format!("/segreteria/tariffe/{}", crate::domain::percent_encode(&key));
        let result = super::tariffs_server::add_version(
            &app_state()?.db,
            &user,
            &key,
            &amount,
            &valid_from,
            super::tariffs_server::today(),
        )
        .await;
        match &result {
            Ok(version) => leptos_axum::redirect(&format!("{page}?registrata={}", version.id)),
            Err(error) => {
                back_to_form(&page, "segreteria/tariff_new", error, &[("importo", &amount), ("dal", &valid_from)])
            }
        }
        result
    })
    .await
}
