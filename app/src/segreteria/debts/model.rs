//! The Segreteria's list of debts (dovuti) and one debt with its history (`/segreteria/dovuti`).

use serde::{Deserialize, Serialize};

use crate::debts::model::AnnulledDebtView;
use crate::payments::model::{AttemptKind, AttemptState, DebtView};

/// One line of the debts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtRow {
    pub id: String,
    pub provider: String,
    pub codice_fiscale: String,
    pub debt: DebtView,
    pub created_at: String,
    /// Days past the due date, for a debt still to pay that is overdue.
    pub days_overdue: Option<i64>,
}

/// A payment attempt that carried the debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtAttempt {
    pub id: String,
    /// A cart or a pagoPA notice.
    pub kind: AttemptKind,
    pub state: AttemptState,
    pub created_at: String,
}

/// One line of a debt's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtHistoryLine {
    pub at: String,
    pub actor: String,
    /// What happened, in Italian ("Scadenza prorogata: 31/03/2027 → 30/04/2027").
    pub what: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtDetail {
    pub debt: DebtView,
    pub provider: String,
    pub codice_fiscale: String,
    pub provider_id: String,
    pub request_id: Option<String>,
    pub created_at: String,
    pub days_overdue: Option<i64>,
    /// Who annulled it, when and why (only for debts annulled by the Segreteria).
    pub annulment: Option<AnnulledDebtView>,
    pub attempts: Vec<DebtAttempt>,
    pub history: Vec<DebtHistoryLine>,
    /// Whether its due date can be extended now (still to pay, with a due date).
    pub can_extend: bool,
    /// Its quietanze (treasury payments), newest first; the one in verification with its
    /// differences.
    pub quietanze: Vec<crate::quietanze::model::QuietanzaView>,
}
