//! Debt annulment by the Segreteria (docs/domain.md §5.3: "ANNULLATO by the Segreteria").
//!
//! Only a DA_PAGARE debt can be annulled, with a mandatory reason recorded with actor and time.
//! A debt IN_CORSO (a live MyPay attempt may still be paid) or PAGATO (verified money) never is.
//! The change is one compare-and-set on the debt's state, so it cannot race with "Paga con
//! pagoPA" (which claims DA_PAGARE → IN_CORSO the same way). The provider sees the annulment,
//! with the reason, on its payments page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{format_euro, FeeKind};
use crate::error::AppError;

/// Longest reason accepted.
pub const REASON_MAX_CHARS: usize = 1000;

/// A debt annulled by the Segreteria, as the provider and the Segreteria see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnulledDebtView {
    pub id: String,
    pub fee_kind: FeeKind,
    pub causale: String,
    pub amount_cents: i64,
    pub annulled_at: String,
    /// Display name of the Segreteria user.
    pub annulled_by: String,
    pub reason: String,
}

/// The logged-in provider's debts annulled by the Segreteria, newest first.
#[server(endpoint = "payments/annulled")]
pub async fn load_my_annulled_debts() -> Result<Vec<AnnulledDebtView>, AppError> {
    use crate::accounts::Role;
    use crate::state::*;
    respond(async move {
        let user = require_role(Role::Provider).await?;
        let db = app_state()?.db;
        let Some(provider) = crate::providers::server::provider_of_user(&db, &user.id).await? else {
            return Ok(vec![]);
        };
        annulled_of_provider(&db, &provider.id).await
    })
    .await
}

/// The reason, trimmed: required, at most [`REASON_MAX_CHARS`].
pub fn check_reason(reason: &str) -> Result<&str, crate::domain::FieldError> {
    use crate::domain::{FieldError, FieldRule};
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldError::new("reason", FieldRule::Required));
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(FieldError::new("reason", FieldRule::TooLong));
    }
    Ok(reason)
}

/// Debts of a provider annulled by the Segreteria (not the automatic ones), newest first.
#[cfg(feature = "ssr")]
pub async fn annulled_of_provider(db: &crate::db::Db, provider_id: &str) -> Result<Vec<AnnulledDebtView>, AppError> {
    Ok(crate::store::debts::annulled_of_provider(db, provider_id).await?)
}

/// The annulment of one debt, if the Segreteria annulled it.
#[cfg(feature = "ssr")]
pub async fn annulment_of(db: &crate::db::Db, debt_id: &str) -> Result<Option<AnnulledDebtView>, AppError> {
    Ok(crate::store::debts::annulment_of(db, debt_id).await?)
}

fn when(value: &str) -> String {
    let date = value.get(0..10).map(crate::debts::model::date_it).unwrap_or_default();
    format!("{date} {}", value.get(11..16).unwrap_or_default())
}

/// The provider's payments page: the debts the Segreteria annulled, with the reason.
#[component]
pub fn AnnulledDebts() -> impl IntoView {
    let annulled = Resource::new(|| (), |_| load_my_annulled_debts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match annulled.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="mt-4" aria-labelledby="dovuti-annullati">
                            <h2 id="dovuti-annullati" class="h4">"Dovuti annullati dalla Segreteria"</h2>
                            <ul class="list-group mb-4" data-testid="dovuti-annullati">
                                {list.into_iter().map(|d| view! {
                                    <li class="list-group-item" data-testid="dovuto-annullato">
                                        <strong>{d.causale.clone()}</strong> " (" {d.fee_kind.label_it()} ", " {format_euro(d.amount_cents)} "): "
                                        "annullato il " {when(&d.annulled_at)} " da " {d.annulled_by.clone()} "."
                                        <br/>"Motivo: " <span data-testid="motivo-annullamento">{d.reason.clone()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <crate::layout::view::ErrorAlert error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_required_and_bounded() {
        assert_eq!(check_reason("  Esenzione deliberata  "), Ok("Esenzione deliberata"));
        assert_eq!(check_reason("   ").unwrap_err().rule, crate::domain::FieldRule::Required);
        assert_eq!(check_reason(&"x".repeat(REASON_MAX_CHARS + 1)).unwrap_err().rule, crate::domain::FieldRule::TooLong);
        assert!(check_reason(&"è".repeat(REASON_MAX_CHARS)).is_ok());
    }
}
