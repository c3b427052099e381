//! The Segreteria's list of debts (dovuti) and one debt with its annulment (`/segreteria/dovuti`).

use serde::{Deserialize, Serialize};

use crate::payments::annulment::AnnulledDebtView;
use crate::payments::model::{AttemptState, DebtState, DebtView};

/// One line of the debts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtRow {
    pub id: String,
    pub provider: String,
    pub codice_fiscale: String,
    pub debt: DebtView,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtPage {
    pub rows: Vec<DebtRow>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// Debts per state (all of them, whatever the search), for the tabs.
    pub counts: Vec<(DebtState, i64)>,
}

/// A payment attempt that carried the debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtAttempt {
    pub id: String,
    pub state: AttemptState,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtDetail {
    pub debt: DebtView,
    pub provider: String,
    pub codice_fiscale: String,
    pub request_id: Option<String>,
    pub created_at: String,
    /// Who annulled it, when and why (only for debts annulled by the Segreteria).
    pub annulment: Option<AnnulledDebtView>,
    pub attempts: Vec<DebtAttempt>,
}
