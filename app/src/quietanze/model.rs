//! Treasury payments proved by a quietanza (shared by the server and the browser): its states,
//! the form a provider fills in, what the Segreteria sees and the differences it is shown.
//! docs/channels.md tells the whole flow.

use serde::{Deserialize, Serialize};

use crate::domain::{FieldError, FieldRule};
use crate::payments::model::{format_euro, DebtView};

/// The states of a quietanza. IN_VERIFICA → ACCETTATA (the debt is PAGATO) or RIFIUTATA (the
/// debt is to pay again); both are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuietanzaState {
    InVerifica,
    Accettata,
    Rifiutata,
}

impl QuietanzaState {
    pub const ALL: [QuietanzaState; 3] =
        [QuietanzaState::InVerifica, QuietanzaState::Accettata, QuietanzaState::Rifiutata];

    pub fn as_db(self) -> &'static str {
        match self {
            QuietanzaState::InVerifica => "IN_VERIFICA",
            QuietanzaState::Accettata => "ACCETTATA",
            QuietanzaState::Rifiutata => "RIFIUTATA",
        }
    }
    pub fn from_db(value: &str) -> Option<QuietanzaState> {
        QuietanzaState::ALL.into_iter().find(|s| s.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            QuietanzaState::InVerifica => "In verifica dalla Segreteria",
            QuietanzaState::Accettata => "Accettata",
            QuietanzaState::Rifiutata => "Rifiutata",
        }
    }
    pub fn badge_class(self) -> &'static str {
        match self {
            QuietanzaState::InVerifica => "badge bg-warning text-dark",
            QuietanzaState::Accettata => "badge bg-success",
            QuietanzaState::Rifiutata => "badge bg-danger",
        }
    }
    pub fn can_move_to(self, next: QuietanzaState) -> bool {
        use QuietanzaState::*;
        matches!((self, next), (InVerifica, Accettata) | (InVerifica, Rifiutata))
    }
}

/// What differs between a quietanza and its debt, as the Segreteria is shown it. Some
/// differences forbid acceptance ([`Mismatch::blocks`]); the others need a note to accept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mismatch {
    /// The declared amount is less than the debt: the debt is not paid in full.
    AmountLower { declared_cents: i64, due_cents: i64 },
    /// More than the debt was paid.
    AmountHigher { declared_cents: i64, due_cents: i64 },
    /// The value date is later than the upload.
    ValueDateAfterUpload,
    /// The value date is before the debt existed.
    ValueDateBeforeDebt,
    /// The paying body is not the provider.
    PayingBodyDiffers { provider: String },
    /// The same CRO/TRN is on another quietanza, in verification or accepted.
    CroReused,
    /// The same file is another quietanza, in verification or accepted.
    FileReused,
}

impl Mismatch {
    /// True when the quietanza cannot be accepted at all: one transfer never pays two debts,
    /// and less than the amount never pays a debt.
    pub fn blocks(&self) -> bool {
        matches!(self, Mismatch::AmountLower { .. } | Mismatch::CroReused | Mismatch::FileReused)
    }

    pub fn label_it(&self) -> String {
        match self {
            Mismatch::AmountLower { declared_cents, due_cents } => format!(
                "l'importo dichiarato ({}) è inferiore al dovuto ({})",
                format_euro(*declared_cents),
                format_euro(*due_cents)
            ),
            Mismatch::AmountHigher { declared_cents, due_cents } => format!(
                "l'importo dichiarato ({}) è superiore al dovuto ({})",
                format_euro(*declared_cents),
                format_euro(*due_cents)
            ),
            Mismatch::ValueDateAfterUpload => "la data valuta è successiva al caricamento".into(),
            Mismatch::ValueDateBeforeDebt => "la data valuta è precedente alla creazione del dovuto".into(),
            Mismatch::PayingBodyDiffers { provider } => {
                format!("l'ente pagante non coincide con il provider «{provider}»")
            }
            Mismatch::CroReused => "lo stesso CRO/TRN è già su un'altra quietanza (in verifica o accettata)".into(),
            Mismatch::FileReused => {
                "lo stesso file è già stato caricato come un'altra quietanza (in verifica o accettata)".into()
            }
        }
    }
}

/// What the provider declares with the PDF, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietanzaForm {
    pub debt_id: String,
    /// `YYYY-MM-DD` (what `<input type="date">` sends) or `dd/mm/yyyy`.
    pub value_date: String,
    pub paid_amount: String,
    pub cro_trn: String,
    pub paying_body: String,
}

/// [`QuietanzaForm`] once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidQuietanza {
    pub debt_id: String,
    /// `YYYY-MM-DD`.
    pub value_date: String,
    pub amount_cents: i64,
    /// Upper case, without spaces.
    pub cro_trn: String,
    pub paying_body: String,
}

pub const PAYING_BODY_MAX_CHARS: usize = 140;

/// The longest note or reason the Segreteria can write.
pub const NOTE_MAX_CHARS: usize = crate::debts::model::REASON_MAX_CHARS;

/// The name the upload's errors are filed under (`auth::form_error(UPLOAD_ENDPOINT)`).
pub const UPLOAD_ENDPOINT: &str = "quietanze/carica";

impl QuietanzaForm {
    /// Checks every field (all errors at once). `today` is `YYYY-MM-DD`: the value date cannot
    /// be later.
    pub fn validate(&self, today: &str) -> Result<ValidQuietanza, Vec<FieldError>> {
        let mut errors = Vec::new();
        let debt_id = self.debt_id.trim().to_string();
        if debt_id.is_empty() {
            errors.push(FieldError::new("debt_id", FieldRule::Choice));
        }
        let value_date = match normalize_date(&self.value_date) {
            None if self.value_date.trim().is_empty() => {
                errors.push(FieldError::new("value_date", FieldRule::Required));
                String::new()
            }
            None => {
                errors.push(FieldError::new("value_date", FieldRule::DateFormat));
                String::new()
            }
            Some(date) if date.as_str() > today => {
                errors.push(FieldError::new("value_date", FieldRule::DateInFuture));
                date
            }
            Some(date) => date,
        };
        let amount_cents = match crate::tariffs::model::parse_euro_cents(&self.paid_amount) {
            Ok(0) => {
                errors.push(FieldError::new("paid_amount", FieldRule::AmountZero));
                0
            }
            Ok(cents) => cents,
            Err(rule) => {
                errors.push(FieldError::new("paid_amount", rule));
                0
            }
        };
        let cro_trn: String = self.cro_trn.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        if cro_trn.is_empty() {
            errors.push(FieldError::new("cro_trn", FieldRule::Required));
        } else if !(11..=35).contains(&cro_trn.len()) || !cro_trn.bytes().all(|b| b.is_ascii_alphanumeric()) {
            errors.push(FieldError::new("cro_trn", FieldRule::CroTrn));
        }
        let paying_body = self.paying_body.split_whitespace().collect::<Vec<_>>().join(" ");
        if paying_body.is_empty() {
            errors.push(FieldError::new("paying_body", FieldRule::Required));
        } else if paying_body.chars().count() > PAYING_BODY_MAX_CHARS {
            errors.push(FieldError::new("paying_body", FieldRule::TooLong));
        }
        if errors.is_empty() {
            Ok(ValidQuietanza { debt_id, value_date, amount_cents, cro_trn, paying_body })
        } else {
            Err(errors)
        }
    }
}

/// `YYYY-MM-DD` from `YYYY-MM-DD` or `dd/mm/yyyy`, when it is a real calendar date.
pub fn normalize_date(input: &str) -> Option<String> {
    let text = input.trim();
    let (y, m, d) = if let [d, m, y] = text.split('/').collect::<Vec<_>>()[..] {
        (y, m, d)
    } else if let [y, m, d] = text.split('-').collect::<Vec<_>>()[..] {
        (y, m, d)
    } else {
        return None;
    };
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((2000..=2100).contains(&y) && (1..=days).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// Does `paying_body` name the provider? Case, spaces and punctuation do not count; either may
/// contain the other ("Azienda ULSS 3" paid for "Azienda ULSS 3 Serenissima").
pub fn same_body(paying_body: &str, provider: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let (a, b) = (norm(paying_body), norm(provider));
    !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
}

/// A quietanza as the provider and the Segreteria see it (never the file's bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietanzaView {
    pub id: String,
    pub debt_id: String,
    pub causale: String,
    pub state: QuietanzaState,
    pub file_name: String,
    pub size_bytes: i64,
    pub value_date: String,
    pub amount_cents: i64,
    pub cro_trn: String,
    pub paying_body: String,
    pub uploaded_at: String,
    pub decided_at: Option<String>,
    /// Why it was refused, or why it was accepted despite the differences.
    pub decision_note: Option<String>,
    /// For the Segreteria, while IN_VERIFICA (empty otherwise).
    pub mismatches: Vec<Mismatch>,
}

/// The provider's quietanza page: whether the channel is on, the debts it may pay this way,
/// and every quietanza sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietanzaPage {
    pub enabled: bool,
    pub provider: String,
    pub payable: Vec<DebtView>,
    pub quietanze: Vec<QuietanzaView>,
    /// The largest PDF accepted, in bytes.
    pub max_bytes: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> QuietanzaForm {
        QuietanzaForm {
            debt_id: "d1".into(),
            value_date: "15/07/2027".into(),
            paid_amount: "3.000,00".into(),
            cro_trn: "1234 5678 901".into(),
            paying_body: "  Azienda   ULSS 3 ".into(),
        }
    }

    #[test]
    fn a_complete_form_is_normalised() {
        let valid = form().validate("2027-07-20").unwrap();
        assert_eq!(valid.value_date, "2027-07-15");
        assert_eq!(valid.amount_cents, 300000);
        assert_eq!(valid.cro_trn, "12345678901");
        assert_eq!(valid.paying_body, "Azienda ULSS 3");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = QuietanzaForm {
            debt_id: " ".into(),
            value_date: "31/02/2027".into(),
            paid_amount: "0".into(),
            cro_trn: "ABC-1".into(),
            paying_body: "".into(),
        };
        let fields: Vec<_> = bad.validate("2027-07-20").unwrap_err().into_iter().map(|e| (e.field, e.rule)).collect();
        assert_eq!(
            fields,
            vec![
                ("debt_id".into(), FieldRule::Choice),
                ("value_date".into(), FieldRule::DateFormat),
                ("paid_amount".into(), FieldRule::AmountZero),
                ("cro_trn".into(), FieldRule::CroTrn),
                ("paying_body".into(), FieldRule::Required),
            ]
        );
        let future = QuietanzaForm { value_date: "2027-07-21".into(), ..form() };
        assert_eq!(future.validate("2027-07-20").unwrap_err()[0].rule, FieldRule::DateInFuture);
    }

    #[test]
    fn only_real_dates_pass() {
        assert_eq!(normalize_date("29/02/2028").as_deref(), Some("2028-02-29"));
        assert_eq!(normalize_date("29/02/2027"), None);
        assert_eq!(normalize_date("2027-7-5").as_deref(), Some("2027-07-05"));
        assert_eq!(normalize_date("5 luglio"), None);
    }

    #[test]
    fn paying_bodies_compare_without_case_or_punctuation() {
        assert!(same_body("AZIENDA ULSS 3", "Azienda U.L.S.S. 3 Serenissima"));
        assert!(!same_body("Comune di Venezia", "Azienda ULSS 3"));
        assert!(!same_body("", "Azienda ULSS 3"));
    }

    #[test]
    fn reuse_and_underpayment_block_acceptance_the_rest_needs_a_note() {
        assert!(Mismatch::CroReused.blocks());
        assert!(Mismatch::FileReused.blocks());
        assert!(Mismatch::AmountLower { declared_cents: 1, due_cents: 2 }.blocks());
        assert!(!Mismatch::AmountHigher { declared_cents: 3, due_cents: 2 }.blocks());
        assert!(!Mismatch::ValueDateBeforeDebt.blocks());
        assert!(!QuietanzaState::Accettata.can_move_to(QuietanzaState::Rifiutata));
        assert!(QuietanzaState::InVerifica.can_move_to(QuietanzaState::Rifiutata));
    }
}
