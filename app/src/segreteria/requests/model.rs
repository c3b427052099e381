use serde::{Deserialize, Serialize};

use crate::documents::model::DocumentSlot;
use crate::providers::model::ProviderView;
use crate::requests::model::{RequestKind, RequestState, RequestView};

/// One line of a Segreteria queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RequestRow {
    pub id: String,
    pub denominazione: String,
    pub codice_fiscale: String,
    pub partita_iva: Option<String>,
    pub kind: RequestKind,
    pub state: RequestState,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub request: RequestView,
    pub provider: ProviderView,
    pub documents: Vec<DocumentSlot>,
    /// Every payment attempt of the provider, newest first (detail and history in the
    /// payments console).
    pub payments: Vec<crate::payments::model::AttemptView>,
    /// The request's fees (annulled ones included, with their state).
    pub fees: Vec<crate::payments::model::DebtView>,
    /// Every change of the provider's data, oldest first.
    pub changes: Vec<crate::providers::model::ProviderChangeView>,
}

crate::domain::coded_enum! {
    /// What the Segreteria can do with a request.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum RequestAction {
        TakeInCharge = ("prendi_in_carico", "Prendi in carico"),
        AskIntegration = ("richiedi_integrazione", "Richiedi integrazione"),
        Accredit = ("accredita", "Accredita"),
        Reject = ("rigetta", "Rigetta"),
    }
}

impl RequestAction {
    pub fn target(self) -> RequestState {
        match self {
            RequestAction::TakeInCharge => RequestState::InIstruttoria,
            RequestAction::AskIntegration => RequestState::IntegrazioneRichiesta,
            RequestAction::Accredit => RequestState::Accreditato,
            RequestAction::Reject => RequestState::Rigettato,
        }
    }
    /// Asking for an integration must name the documents; a rejection must give reasons.
    pub fn needs_note(self) -> bool {
        matches!(self, RequestAction::AskIntegration | RequestAction::Reject)
    }
    /// The state a request must be in for this action (an integration is answered by the
    /// provider, not taken in charge again by the Segreteria).
    pub fn source(self) -> RequestState {
        match self {
            RequestAction::TakeInCharge => RequestState::Inviata,
            _ => RequestState::InIstruttoria,
        }
    }
    /// The actions that make sense for a request in `state`.
    pub fn available(state: RequestState) -> Vec<RequestAction> {
        RequestAction::ALL.into_iter().filter(|a| a.source() == state).collect()
    }
}

/// The states the Segreteria's queues show (drafts belong to the provider).
pub const QUEUE_STATES: [RequestState; 5] = [
    RequestState::Inviata,
    RequestState::InIstruttoria,
    RequestState::IntegrazioneRichiesta,
    RequestState::Accreditato,
    RequestState::Rigettato,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_state_machine() {
        assert_eq!(RequestAction::available(RequestState::Inviata), vec![RequestAction::TakeInCharge]);
        assert_eq!(
            RequestAction::available(RequestState::InIstruttoria),
            vec![RequestAction::AskIntegration, RequestAction::Accredit, RequestAction::Reject]
        );
        assert!(RequestAction::available(RequestState::Accreditato).is_empty());
        assert!(
            RequestAction::available(RequestState::IntegrazioneRichiesta).is_empty(),
            "the provider answers an integration"
        );
        for action in RequestAction::ALL {
            assert_eq!(RequestAction::from_code(action.code()), Some(action));
            assert!(action.source().can_move_to(action.target()), "{action:?} follows the state machine");
        }
    }
}
