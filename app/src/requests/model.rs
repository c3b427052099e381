use serde::{Deserialize, Serialize};

/// Provvisorio: first accreditation, documentary review, valid 24 months.
/// Standard: after provvisorio, may include an on-site visit, valid 4 years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestKind {
    Provvisorio,
    Standard,
}

impl RequestKind {
    pub fn as_db(self) -> &'static str {
        match self {
            RequestKind::Provvisorio => "PROVVISORIO",
            RequestKind::Standard => "STANDARD",
        }
    }
    pub fn from_db(value: &str) -> Option<RequestKind> {
        match value {
            "PROVVISORIO" => Some(RequestKind::Provvisorio),
            "STANDARD" => Some(RequestKind::Standard),
            _ => None,
        }
    }
    pub fn label_it(self) -> &'static str {
        match self {
            RequestKind::Provvisorio => "Accreditamento provvisorio",
            RequestKind::Standard => "Accreditamento standard",
        }
    }
}

/// States of a request (docs/domain.md §3.2). Transitions are recorded with actor and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestState {
    Bozza,
    Inviata,
    InIstruttoria,
    IntegrazioneRichiesta,
    Accreditato,
    Rigettato,
}

impl RequestState {
    pub const ALL: [RequestState; 6] = [
        RequestState::Bozza,
        RequestState::Inviata,
        RequestState::InIstruttoria,
        RequestState::IntegrazioneRichiesta,
        RequestState::Accreditato,
        RequestState::Rigettato,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            RequestState::Bozza => "BOZZA",
            RequestState::Inviata => "INVIATA",
            RequestState::InIstruttoria => "IN_ISTRUTTORIA",
            RequestState::IntegrazioneRichiesta => "INTEGRAZIONE_RICHIESTA",
            RequestState::Accreditato => "ACCREDITATO",
            RequestState::Rigettato => "RIGETTATO",
        }
    }
    pub fn from_db(value: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            RequestState::Bozza => "Bozza",
            RequestState::Inviata => "Inviata",
            RequestState::InIstruttoria => "In istruttoria",
            RequestState::IntegrazioneRichiesta => "Integrazione richiesta",
            RequestState::Accreditato => "Accreditato",
            RequestState::Rigettato => "Rigettato",
        }
    }
    /// The provider may still change data and documents.
    pub fn provider_can_edit(self) -> bool {
        matches!(self, RequestState::Bozza | RequestState::IntegrazioneRichiesta)
    }
    /// Allowed transitions of the procedure.
    pub fn can_move_to(self, next: RequestState) -> bool {
        use RequestState::*;
        matches!(
            (self, next),
            (Bozza, Inviata)
                | (Inviata, InIstruttoria)
                | (InIstruttoria, IntegrazioneRichiesta)
                | (IntegrazioneRichiesta, InIstruttoria)
                | (InIstruttoria, Accreditato)
                | (InIstruttoria, Rigettato)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor_role: String,
    pub from_state: Option<RequestState>,
    pub to_state: RequestState,
    pub note: Option<String>,
    /// At a submission: what the provider declared (Gruppo, legal form, fees), in Italian.
    pub declared: Option<String>,
}

/// What the provider declared when it sent the request (or answered an integration): kept in
/// the history row, so the Segreteria sees the Gruppo and the fees as they were then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    pub denominazione: String,
    pub codice_fiscale: String,
    pub forma_giuridica: String,
    pub gruppo: crate::providers::model::ProviderClass,
    pub contributi: Vec<DeclaredFee>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredFee {
    pub causale: String,
    pub amount_cents: i64,
    pub state: crate::payments::model::DebtState,
}

impl Declared {
    /// One Italian line for the history.
    pub fn summary_it(&self) -> String {
        let forma = crate::providers::model::forma_giuridica(&self.forma_giuridica)
            .map_or(self.forma_giuridica.as_str(), |(_, label, _)| label);
        let fees = if self.contributi.is_empty() {
            "nessun contributo dovuto".to_string()
        } else {
            self.contributi
                .iter()
                .map(|f| {
                    format!(
                        "{} {} ({})",
                        f.causale,
                        crate::payments::model::format_euro(f.amount_cents),
                        f.state.label_it().to_lowercase()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        format!(
            "{}, codice fiscale {}: {} ({}); {}",
            self.denominazione,
            self.codice_fiscale,
            self.gruppo.label_it(),
            forma,
            fees
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: String,
    pub kind: RequestKind,
    pub state: RequestState,
    pub created_at: String,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// While an integration is asked for: what the Segreteria reopened to the provider.
    pub reopened_sections: Vec<crate::providers::model::Section>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_the_database_names() {
        for state in RequestState::ALL {
            assert_eq!(RequestState::from_db(state.as_db()), Some(state));
        }
        assert_eq!(RequestState::from_db("PAGATO"), None);
    }

    #[test]
    fn only_the_documented_transitions_are_allowed() {
        use RequestState::*;
        assert!(Bozza.can_move_to(Inviata));
        assert!(IntegrazioneRichiesta.can_move_to(InIstruttoria));
        assert!(!Bozza.can_move_to(Accreditato));
        assert!(!Inviata.can_move_to(Accreditato));
        assert!(!Accreditato.can_move_to(Rigettato));
        assert!(!Rigettato.can_move_to(InIstruttoria));
    }
}

/// Whether the provider may go on to the payment step, and if not, exactly what is missing
/// (in Italian, one item per missing piece).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentGate {
    pub missing: Vec<String>,
}

impl PaymentGate {
    pub fn is_open(&self) -> bool {
        self.missing.is_empty()
    }
}
