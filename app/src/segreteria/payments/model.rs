//! The Segreteria's payments console: queues of payment attempts, the attempt detail with its
//! history, "Verifica ora", and the CSV export's columns.

use serde::{Deserialize, Serialize};

use crate::payments::model::{AttemptKind, AttemptState, AttemptView};

crate::domain::coded_enum! {
    /// The console's queues of attempts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum PaymentQueue {
        InCorso = ("in_corso", "In corso"),
        Pagati = ("pagati", "Pagati"),
        Falliti = ("falliti", "Falliti"),
        Anomalie = ("anomalie", "Anomalie"),
    }
}

impl PaymentQueue {
    pub fn states(self) -> &'static [AttemptState] {
        match self {
            PaymentQueue::InCorso => &[AttemptState::Creata, AttemptState::Inviata, AttemptState::InAttesa],
            PaymentQueue::Pagati => &[AttemptState::Pagata],
            PaymentQueue::Falliti => {
                &[AttemptState::NonPagata, AttemptState::Scaduta, AttemptState::Annullata, AttemptState::Errore]
            }
            PaymentQueue::Anomalie => &[AttemptState::Anomalia],
        }
    }
    pub fn of(state: AttemptState) -> PaymentQueue {
        PaymentQueue::ALL.into_iter().find(|q| q.states().contains(&state)).unwrap_or(PaymentQueue::Anomalie)
    }
}

/// One line of a payments queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PaymentRow {
    pub id: String,
    pub provider: String,
    pub codice_fiscale: String,
    pub id_session: Option<String>,
    pub iuv: Option<String>,
    pub total_cents: i64,
    /// A cart or a pagoPA notice.
    pub kind: AttemptKind,
    pub state: AttemptState,
    pub last_check_at: Option<String>,
    pub created_at: String,
}

/// One row of `payment_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PaymentEventView {
    pub at: String,
    /// Display name of the user, or `system` / `reconciler`.
    pub actor: String,
    pub from_state: Option<AttemptState>,
    pub to_state: AttemptState,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentDetail {
    pub attempt: AttemptView,
    pub provider: String,
    pub codice_fiscale: String,
    pub partita_iva: Option<String>,
    pub receipt_id: Option<String>,
    /// Last answer of MyPay (`paid`, `pending`, …) and how many times it was asked.
    pub last_outcome: Option<String>,
    pub check_count: i64,
    pub events: Vec<PaymentEventView>,
}

/// What "Verifica ora" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// False when MyPay was not asked (the attempt is final or has no idSession).
    pub asked: bool,
    pub outcome: Option<String>,
    pub previous_state: AttemptState,
    pub state: AttemptState,
}

impl VerifyReport {
    /// The answer in Italian: what MyPay said and the resulting state.
    pub fn message_it(&self) -> String {
        let said = if self.asked {
            format!("MyPay ha risposto: {}.", outcome_it(self.outcome.as_deref()))
        } else {
            "MyPay non è stato interpellato: il tentativo è in uno stato definitivo o non è mai stato consegnato a MyPay.".to_string()
        };
        let result = if self.previous_state == self.state {
            format!("Lo stato resta «{}».", self.state.label_it())
        } else {
            format!("Lo stato passa da «{}» a «{}».", self.previous_state.label_it(), self.state.label_it())
        };
        format!("{said} {result}")
    }
}

/// The gateway's outcome label (`payment_attempts.last_outcome`) in Italian.
pub fn outcome_it(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("paid") => "pagamento eseguito, importi corrispondenti",
        Some("amount_mismatch") => "pagamento eseguito ma importi non corrispondenti",
        Some("not_paid") => "pagamento non eseguito",
        Some("partial") => "pagamento parziale",
        Some("pending") => "pagamento non ancora concluso",
        Some("expired") => "carrello scaduto",
        Some("cancelled") => "pagamento annullato",
        Some("unknown_session") => "sessione sconosciuta",
        Some("unknown_debt") => "carrello mai aperto in MyPay (identificativo del dovuto sconosciuto)",
        Some("credentials_error") => "credenziali del portale rifiutate",
        Some("transport_error") => "nessuna risposta utilizzabile (errore di comunicazione)",
        Some(_) => "risposta non riconosciuta",
        None => "nessuna risposta registrata",
    }
}

/// The CSV header (`;` separated; amounts in euro with a dot as decimal separator).
pub const CSV_HEADER: [&str; 10] = [
    "data",
    "provider",
    "codice_fiscale",
    "id_session",
    "iuv",
    "iud",
    "causale",
    "importo_euro",
    "stato_tentativo",
    "stato_debito",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attempt_state_belongs_to_exactly_one_queue() {
        for state in AttemptState::ALL {
            let n = PaymentQueue::ALL.iter().filter(|q| q.states().contains(&state)).count();
            assert_eq!(n, 1, "{state:?}");
        }
        assert_eq!(PaymentQueue::of(AttemptState::InAttesa), PaymentQueue::InCorso);
        assert_eq!(PaymentQueue::of(AttemptState::Errore), PaymentQueue::Falliti);
        for q in PaymentQueue::ALL {
            assert_eq!(PaymentQueue::from_code(q.code()), Some(q));
        }
    }

    #[test]
    fn the_verify_report_says_what_mypay_answered_and_the_new_state() {
        let report = VerifyReport {
            asked: true,
            outcome: Some("paid".into()),
            previous_state: AttemptState::Inviata,
            state: AttemptState::Pagata,
        };
        let text = report.message_it();
        assert!(text.contains("pagamento eseguito"), "{text}");
        assert!(text.contains("«Pagato»"), "{text}");
    }
}
