//! Server functions of the training plan. Thin: check who calls, parse, call `events::service`.

use leptos::prelude::*;

use super::model::TrainingPlan;
use crate::error::AppError;

/// The URL of the page, used by the no-JavaScript redirects.
pub const PAGE: &str = "/area/eventi";

/// The training plan of the logged-in provider (annual debts brought up to date first).
#[server(endpoint = "events/plan", output = crate::codec::Json)]
pub async fn load_training_plan() -> Result<TrainingPlan, AppError> {
    use crate::accounts::session::*;
    use crate::accounts::Role;
    as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let provider =
            crate::providers::service::provider_of_user(&db, &user.id).await?.ok_or(AppError::StepMissing)?;
        super::service::training_plan(&db, &provider, time::OffsetDateTime::now_utc().date()).await
    })
    .await
}

/// Declares an event of the training plan. Without JavaScript the browser comes back to the
/// page: with `inserito=1` on success, or with everything typed and the error in the URL.
#[server(endpoint = "events/declare", output = crate::codec::Json)]
pub async fn declare_event(
    declaration_key: String,
    titolo: String,
    procedura: Option<String>,
    data_inizio: String,
    data_fine: String,
    sponsorizzato: Option<String>,
) -> Result<String, AppError> {
    use super::model::EventForm;
    use crate::accounts::session::*;
    use crate::accounts::Role;
    use crate::state::*;
    let form = EventForm {
        titolo,
        procedura: procedura.unwrap_or_default(),
        data_inizio,
        data_fine,
        sponsorizzato: sponsorizzato.unwrap_or_default(),
    };
    let event = form.clone();
    let result = as_role(Role::Provider, |user, state| async move {
        let db = state.db;
        let provider =
            crate::providers::service::provider_of_user(&db, &user.id).await?.ok_or(AppError::StepMissing)?;
        let event = event.validate().map_err(AppError::InvalidForm)?;
        let today = time::OffsetDateTime::now_utc().date();
        super::service::declare_event(&db, &user, &provider, &declaration_key, &event, today).await
    })
    .await;
    if is_plain_form_post() {
        match &result {
            Ok(_) => leptos_axum::redirect(&format!("{PAGE}?inserito=1")),
            Err(error) => leptos_axum::redirect(&back_with(&form, error)),
        }
    }
    result
}

/// The page again with what was typed and the error, in the query (`__path`/`__err` as
/// server_fn encodes them, so `auth::form_error` reads it like any other form error).
#[cfg(feature = "ssr")]
fn back_with(form: &super::model::EventForm, error: &AppError) -> String {
    use base64::Engine;
    use server_fn::error::FromServerFnError;
    use server_fn::ServerFn;
    let encode = crate::domain::percent_encode;
    let mut url = format!("{PAGE}?");
    for field in super::model::EventForm::FIELDS {
        url.push_str(&format!("{field}={}&", encode(form.get(field))));
    }
    let err = base64::engine::general_purpose::URL_SAFE.encode(error.ser());
    url.push_str(&format!("__path={}&__err={}", encode(DeclareEvent::PATH), encode(&err)));
    url
}
