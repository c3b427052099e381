//! What the provider's home shows.

use serde::{Deserialize, Serialize};

use crate::payments::model::PaymentSummary;
use crate::providers::model::ProviderView;
use crate::requests::model::{PaymentGate, RequestView};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaOverview {
    pub provider: Option<ProviderView>,
    pub request: Option<RequestView>,
    /// The request's fees (when there is a provider and a request).
    pub payments: Option<PaymentSummary>,
    pub gate: PaymentGate,
}
