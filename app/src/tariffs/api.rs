//! Server functions of the tariff table. Segreteria only: a provider gets `forbidden` (403), an
//! anonymous caller `unauthenticated` (401).

use leptos::prelude::*;

use super::model::{TariffCasePage, TariffVersion, TariffsOverview};
use crate::error::AppError;

#[server(endpoint = "segreteria/tariffs", output = crate::codec::Json)]
pub async fn load_tariffs() -> Result<TariffsOverview, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        super::service::overview(&state.db, crate::domain::dates::today()).await
    })
    .await
}

#[server(endpoint = "segreteria/tariff_case", output = crate::codec::Json)]
pub async fn load_tariff_case(key: String) -> Result<TariffCasePage, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |_, state| async move {
        let today = crate::domain::dates::today();
        let case = super::service::case_view(&state.db, key.trim(), today).await?;
        Ok(TariffCasePage { today: crate::domain::dates::date_text(today), case })
    })
    .await
}

/// "Nuova tariffa": `amount` in euro as typed (`258,22`, `1.500,00`, …), `valid_from` YYYY-MM-DD.
#[server(endpoint = "segreteria/tariff_new", output = crate::codec::Json)]
pub async fn add_tariff_version(key: String, amount: String, valid_from: String) -> Result<TariffVersion, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Segreteria, |user, state| async move {
        let key = key.trim().to_string();
        let page = format!("/segreteria/tariffe/{}", crate::domain::percent_encode(&key));
        let result =
            super::service::add_version(&state.db, &user, &key, &amount, &valid_from, crate::domain::dates::today())
                .await;
        match &result {
            Ok(version) => leptos_axum::redirect(&format!("{page}?registrata={}", version.id)),
            Err(error) => crate::state::back_to_form(
                &page,
                "segreteria/tariff_new",
                error,
                &[("importo", &amount), ("dal", &valid_from)],
            ),
        }
        result
    })
    .await
}
