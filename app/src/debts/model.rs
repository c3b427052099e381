//! The statement of account (estratto conto): every debt of a provider with its state, due
//! date, how it was paid and the evidence, and the totals by year. The provider and the
//! Segreteria see the same statement (and the same CSV).

use serde::{Deserialize, Serialize};

use crate::payments::model::{format_euro, DebtState, FeeKind};

/// One debt in the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub id: String,
    pub fee_kind: FeeKind,
    pub causale: String,
    pub amount_cents: i64,
    pub state: DebtState,
    /// The year the line is accounted to: the quota's reference year, else the year of the due
    /// date, else of creation.
    pub year: i32,
    /// `YYYY-MM-DD`; `None` for the first-year quota (due before the request is sent).
    pub due_date: Option<String>,
    /// Days past the due date, for a debt still to pay.
    pub days_overdue: Option<i64>,
    /// The latest due-date extension: the date it replaced and why.
    pub extended_from: Option<String>,
    pub extension_reason: Option<String>,
    /// How it was paid ("pagoPA (MyPay)"), once paid.
    pub channel: Option<String>,
    pub paid_at: Option<String>,
    pub iuv: Option<String>,
    pub iur: Option<String>,
    /// The receipt's download address (MyPay's RT), when stored.
    pub receipt_url: Option<String>,
    /// The accepted quietanza's download address, for a treasury payment.
    pub quietanza_url: Option<String>,
    /// The readable PDF receipt, for every paid debt whatever the channel.
    pub receipt_pdf_url: Option<String>,
    /// Why it was annulled.
    pub annulled_reason: Option<String>,
}

/// The totals of one year, in cents: still to pay (to pay or being paid), paid, and the part
/// of what is still to pay that is overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub due_cents: i64,
    pub paid_cents: i64,
    pub overdue_cents: i64,
}

impl Totals {
    pub fn add(&mut self, line: &StatementLine) {
        match line.state {
            DebtState::DaPagare | DebtState::InCorso => {
                self.due_cents += line.amount_cents;
                if line.days_overdue.is_some() {
                    self.overdue_cents += line.amount_cents;
                }
            }
            DebtState::Pagato => self.paid_cents += line.amount_cents,
            DebtState::Annullato => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub provider_id: String,
    pub provider: String,
    pub codice_fiscale: String,
    /// `YYYY-MM-DD`: the day "overdue" is measured against.
    pub today: String,
    pub lines: Vec<StatementLine>,
    /// Per year, most recent first.
    pub years: Vec<(i32, Totals)>,
    pub total: Totals,
    /// Whether the provider may pay by treasury transfer (quietanza), and whether that is the
    /// Gruppo's default rather than the Segreteria's choice.
    pub treasury_enabled: bool,
    pub treasury_default: bool,
}

impl Statement {
    /// Builds the totals from the lines.
    pub fn new(
        provider_id: String,
        provider: String,
        codice_fiscale: String,
        today: String,
        lines: Vec<StatementLine>,
    ) -> Statement {
        let mut years: Vec<(i32, Totals)> = Vec::new();
        let mut total = Totals::default();
        for line in &lines {
            total.add(line);
            match years.iter_mut().find(|(y, _)| *y == line.year) {
                Some((_, t)) => t.add(line),
                None => {
                    let mut t = Totals::default();
                    t.add(line);
                    years.push((line.year, t));
                }
            }
        }
        years.sort_by_key(|year| std::cmp::Reverse(year.0));
        Statement {
            provider_id,
            provider,
            codice_fiscale,
            today,
            lines,
            years,
            total,
            treasury_enabled: false,
            treasury_default: true,
        }
    }
}

/// The queues of the debts console: every debt, one state, the overdue ones (still to pay past
/// their due date, the longest overdue first) or those with a quietanza to verify (the oldest
/// first).
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
    pub fn label_it(self) -> &'static str {
        match self {
            DebtQueue::All => "Tutti",
            DebtQueue::State(state) => state.label_it(),
            DebtQueue::Overdue => "Scaduti",
            DebtQueue::Quietanze => "Quietanze da verificare",
        }
    }
    /// The console's tabs, in order: the queues that ask for the Segreteria first, then the states.
    pub fn tabs() -> Vec<DebtQueue> {
        [DebtQueue::Quietanze, DebtQueue::Overdue].into_iter().chain(DebtState::ALL.map(DebtQueue::State)).collect()
    }
}

/// `31/03/2027` from `2027-03-31` (anything else as it is).
pub fn date_it(value: &str) -> String {
    match (value.get(0..4), value.get(5..7), value.get(8..10)) {
        (Some(y), Some(m), Some(d)) if value.len() >= 10 => format!("{d}/{m}/{y}"),
        _ => value.to_string(),
    }
}

/// `27/11/2026 10:05` from `2026-11-27T10:05:…` (a date alone as [`date_it`]).
pub fn time_it(value: &str) -> String {
    let date = date_it(value.get(0..10).unwrap_or(value));
    match value.get(11..16) {
        Some(time) => format!("{date} {time}"),
        None => date,
    }
}

/// The due date as the pages show it.
pub fn due_label(due_date: Option<&str>) -> String {
    due_date.map(date_it).unwrap_or_else(|| "Prima dell'invio della domanda".into())
}

/// "Scaduto da 1 giorno" / "Scaduto da N giorni".
pub fn overdue_label(days: i64) -> String {
    if days == 1 {
        "Scaduto da 1 giorno".into()
    } else {
        format!("Scaduto da {days} giorni")
    }
}

/// The columns of the statement's CSV.
pub const CSV_HEADER: [&str; 14] = [
    "anno",
    "tipo",
    "causale",
    "importo_euro",
    "stato",
    "scadenza",
    "giorni_di_ritardo",
    "prorogata_da",
    "motivo_proroga",
    "canale",
    "pagato_il",
    "iuv",
    "iur",
    "motivo_annullamento",
];

/// The statement as CSV (`;`-separated, UTF-8 with BOM, CRLF), one line per debt.
pub fn statement_csv(statement: &Statement) -> String {
    use crate::domain::csv::{csv_line, euro_plain};
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(&CSV_HEADER));
    for l in &statement.lines {
        out.push_str(&csv_line(&[
            l.year.to_string(),
            l.fee_kind.label_it().to_string(),
            l.causale.clone(),
            euro_plain(l.amount_cents),
            l.state.label_it().to_string(),
            l.due_date.clone().unwrap_or_else(|| "prima dell'invio".into()),
            l.days_overdue.map(|d| d.to_string()).unwrap_or_default(),
            l.extended_from.clone().unwrap_or_default(),
            l.extension_reason.clone().unwrap_or_default(),
            l.channel.clone().unwrap_or_default(),
            l.paid_at.clone().unwrap_or_default(),
            l.iuv.clone().unwrap_or_default(),
            l.iur.clone().unwrap_or_default(),
            l.annulled_reason.clone().unwrap_or_default(),
        ]));
    }
    out
}

/// A one-line Italian summary of totals.
pub fn totals_it(t: &Totals) -> String {
    format!(
        "da pagare {}, pagato {}, scaduto {}",
        format_euro(t.due_cents),
        format_euro(t.paid_cents),
        format_euro(t.overdue_cents)
    )
}

/// Longest reason the Segreteria may give (annulment, due-date extension, refusal, …).
pub const REASON_MAX_CHARS: usize = 1000;

/// A reason typed by the Segreteria for `field`: trimmed, required, at most
/// [`REASON_MAX_CHARS`] characters.
pub fn check_reason<'a>(field: &str, reason: &'a str) -> Result<&'a str, crate::domain::FieldError> {
    use crate::domain::{FieldError, FieldRule};
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldError::new(field, FieldRule::Required));
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(FieldError::new(field, FieldRule::TooLong));
    }
    Ok(reason)
}

/// A debt annulled by the Segreteria (docs/domain.md §5.3), as the provider and the Segreteria
/// see it. Only a DA_PAGARE debt can be annulled, with a mandatory reason recorded with actor
/// and time; a debt IN_CORSO (a live MyPay attempt may still be paid) or PAGATO never is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(year: i32, state: DebtState, cents: i64, overdue: bool) -> StatementLine {
        StatementLine {
            id: format!("{year}-{cents}"),
            fee_kind: FeeKind::QuotaAnnuale,
            causale: "Quota".into(),
            amount_cents: cents,
            state,
            year,
            due_date: Some(format!("{year}-03-31")),
            days_overdue: overdue.then_some(10),
            extended_from: None,
            extension_reason: None,
            channel: None,
            paid_at: None,
            iuv: None,
            iur: None,
            receipt_url: None,
            quietanza_url: None,
            receipt_pdf_url: None,
            annulled_reason: None,
        }
    }

    #[test]
    fn totals_by_year_count_due_paid_and_overdue_and_leave_annulled_debts_out() {
        let s = Statement::new(
            "p".into(),
            "P".into(),
            "CF".into(),
            "2027-06-01".into(),
            vec![
                line(2026, DebtState::Pagato, 25822, false),
                line(2027, DebtState::DaPagare, 25822, true),
                line(2027, DebtState::InCorso, 1000, false),
                line(2027, DebtState::Annullato, 5000, false),
            ],
        );
        assert_eq!(s.years.iter().map(|(y, _)| *y).collect::<Vec<_>>(), vec![2027, 2026]);
        assert_eq!(s.years[0].1, Totals { due_cents: 26822, paid_cents: 0, overdue_cents: 25822 });
        assert_eq!(s.years[1].1, Totals { due_cents: 0, paid_cents: 25822, overdue_cents: 0 });
        assert_eq!(s.total, Totals { due_cents: 26822, paid_cents: 25822, overdue_cents: 25822 });
        let csv = statement_csv(&s);
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(csv.lines().count(), 5, "header and four lines");
    }

    #[test]
    fn due_dates_read_in_italian() {
        assert_eq!(due_label(Some("2027-03-31")), "31/03/2027");
        assert_eq!(due_label(None), "Prima dell'invio della domanda");
        assert_eq!(overdue_label(1), "Scaduto da 1 giorno");
        assert_eq!(overdue_label(12), "Scaduto da 12 giorni");
        assert_eq!(date_it("2026-11-27"), "27/11/2026");
        assert_eq!(date_it("—"), "—");
        assert_eq!(time_it("2026-11-27T10:05:59.000Z"), "27/11/2026 10:05");
        assert_eq!(time_it("2026-11-27"), "27/11/2026");
    }

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert_eq!(check_reason("reason", "  Esenzione deliberata  "), Ok("Esenzione deliberata"));
        assert_eq!(check_reason("reason", "   ").unwrap_err().rule, crate::domain::FieldRule::Required);
        assert_eq!(
            check_reason("reason", &"x".repeat(REASON_MAX_CHARS + 1)).unwrap_err().rule,
            crate::domain::FieldRule::TooLong
        );
        assert!(check_reason("reason", &"è".repeat(REASON_MAX_CHARS)).is_ok());
    }
}
