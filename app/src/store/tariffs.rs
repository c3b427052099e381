//! The tariff table (versioned by validity dates).

use super::StoreError;
use crate::payments::model::{FeeKind, TariffCase};
use crate::providers::model::ProviderClass;

/// A tariff version in force: its id and amount in cents.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InForce {
    pub id: String,
    pub amount_cents: i64,
}

/// The tariff valid on `on_date` (YYYY-MM-DD) for a case, if any.
pub async fn in_force(
    executor: impl sqlx::AnyExecutor<'_>,
    fee: FeeKind,
    class: ProviderClass,
    case: TariffCase,
    on_date: &str,
) -> Result<Option<InForce>, StoreError> {
    Ok(sqlx::query_as::<_, InForce>(
        "SELECT id, amount_cents FROM tariffs
         WHERE fee_kind = $1 AND provider_class = $2 AND case_key = $3
           AND valid_from <= $4 AND (valid_to IS NULL OR valid_to >= $4)
         ORDER BY valid_from DESC LIMIT 1",
    )
    .bind(fee.as_db())
    .bind(class.as_db())
    .bind(case.as_db())
    .bind(on_date)
    .fetch_optional(executor)
    .await?)
}
