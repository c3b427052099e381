//! The Segreteria's list of debts (dovuti) and one debt with its history (`/segreteria/dovuti`).

use serde::{Deserialize, Serialize};

use crate::debts::model::AnnulledDebtView;
use crate::payments::model::{AttemptKind, AttemptState, DebtState, DebtView, FeeKind};

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

/// The queues of the console: every debt, one state, or the overdue ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DebtQueue {
    All,
    State(DebtState),
    Overdue,
    /// Debts with a quietanza waiting for the Segreteria.
    Quietanze,
}

impl DebtQueue {
    /// The code in the URL (`?stato=`): empty, a state's DB code, or `SCADUTI`.
    pub fn code(self) -> &'static str {
        match self {
            DebtQueue::All => "",
            DebtQueue::State(state) => state.as_db(),
            DebtQueue::Overdue => "SCADUTI",
            DebtQueue::Quietanze => "QUIETANZE",
        }
    }
    pub fn from_code(code: &str) -> Option<DebtQueue> {
        match code.trim() {
            "" => Some(DebtQueue::All),
            "SCADUTI" => Some(DebtQueue::Overdue),
            "QUIETANZE" => Some(DebtQueue::Quietanze),
            other => DebtState::from_db(other).map(DebtQueue::State),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtPage {
    pub rows: Vec<DebtRow>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// Debts per state (all of them, whatever the search), for the tabs.
    pub counts: Vec<(DebtState, i64)>,
    /// Debts still to pay past their due date.
    pub overdue: i64,
    /// Quietanze waiting for the Segreteria.
    pub quietanze_pending: i64,
    /// The filters applied: fee kind and year.
    pub fee_kind: Option<FeeKind>,
    pub year: Option<i32>,
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
