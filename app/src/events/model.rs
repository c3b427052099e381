//! Training plan (piano formativo) types shared by the server and the browser: the event form
//! with its checks (the same rules run while typing and on the server), calendar dates, and
//! what the page shows.

use serde::{Deserialize, Serialize};

use crate::domain::{required_text, FieldError, FieldRule};
use crate::payments::model::DebtView;
use crate::providers::model::ProviderClass;

/// Longest event title accepted (characters, after collapsing whitespace).
pub const TITLE_MAX_CHARS: usize = 200;

/// The procedure type of an event (docs/domain.md §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Procedure {
    /// Residenziale.
    Res,
    /// Formazione sul campo.
    Fsc,
    /// Formazione a distanza.
    Fad,
}

impl Procedure {
    pub const ALL: [Procedure; 3] = [Procedure::Res, Procedure::Fsc, Procedure::Fad];

    pub fn as_db(self) -> &'static str {
        match self {
            Procedure::Res => "RES",
            Procedure::Fsc => "FSC",
            Procedure::Fad => "FAD",
        }
    }
    pub fn from_db(value: &str) -> Option<Procedure> {
        Procedure::ALL.into_iter().find(|p| p.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            Procedure::Res => "RES — formazione residenziale",
            Procedure::Fsc => "FSC — formazione sul campo",
            Procedure::Fad => "FAD — formazione a distanza",
        }
    }
}

/// A calendar date (`YYYY-MM-DD`, as `<input type="date">` sends it), checked on both targets.
/// Ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CalendarDate {
    year: i32,
    month: u8,
    day: u8,
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl CalendarDate {
    /// Years accepted for events: anything else is a typing mistake.
    pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

    pub fn new(year: i32, month: u8, day: u8) -> Option<CalendarDate> {
        (Self::YEARS.contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(CalendarDate { year, month, day })
    }

    /// `YYYY-MM-DD` (the ISO form browsers send); `field` names the form field in the error.
    pub fn parse(field: &str, input: &str) -> Result<CalendarDate, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, FieldRule::Required));
        }
        let invalid = || FieldError::new(field, FieldRule::EventDateInvalid);
        let bytes = value.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid());
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<i32>().ok()).flatten();
        let (Some(y), Some(m), Some(d)) = (digits(&value[0..4]), digits(&value[5..7]), digits(&value[8..10])) else {
            return Err(invalid());
        };
        CalendarDate::new(y, m as u8, d as u8).ok_or_else(invalid)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// `2027-03-15`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01 (proleptic Gregorian calendar).
    fn to_days(self) -> i64 {
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn from_days(days: i64) -> (i64, u8, u8) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// This date plus `days` days, as `YYYY-MM-DD` (may fall outside [`Self::YEARS`]).
    pub fn plus_days_iso(self, days: i64) -> String {
        let (y, m, d) = Self::from_days(self.to_days() + days);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

pub use crate::debts::model::date_it;

/// The "declare an event" form as typed (all text); also what a no-JavaScript error page
/// gets back in its URL so that nothing typed is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventForm {
    pub titolo: String,
    /// `RES`, `FSC` or `FAD`.
    pub procedura: String,
    pub data_inizio: String,
    pub data_fine: String,
    /// `SI` or `NO`; empty when not chosen.
    pub sponsorizzato: String,
}

/// A declared event as checked (the parse result of an [`EventForm`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEvent {
    pub title: String,
    pub procedure: Procedure,
    pub start: CalendarDate,
    pub end: CalendarDate,
    /// Sponsored or otherwise financed.
    pub sponsored: bool,
}

impl EventForm {
    pub const FIELDS: [&'static str; 5] = ["titolo", "procedura", "data_inizio", "data_fine", "sponsorizzato"];

    pub fn get(&self, field: &str) -> &str {
        match field {
            "titolo" => &self.titolo,
            "procedura" => &self.procedura,
            "data_inizio" => &self.data_inizio,
            "data_fine" => &self.data_fine,
            "sponsorizzato" => &self.sponsorizzato,
            _ => "",
        }
    }

    pub fn set(&mut self, field: &str, value: String) {
        match field {
            "titolo" => self.titolo = value,
            "procedura" => self.procedura = value,
            "data_inizio" => self.data_inizio = value,
            "data_fine" => self.data_fine = value,
            "sponsorizzato" => self.sponsorizzato = value,
            _ => {}
        }
    }

    fn sponsored(&self) -> Result<bool, FieldError> {
        match self.sponsorizzato.trim() {
            "SI" => Ok(true),
            "NO" => Ok(false),
            _ => Err(FieldError::new("sponsorizzato", FieldRule::Choice)),
        }
    }

    /// Checks one field (while typing, and for every field on the server).
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        match field {
            "titolo" => required_text(field, &self.titolo, TITLE_MAX_CHARS).map(drop),
            "procedura" => Procedure::from_db(self.procedura.trim())
                .map(drop)
                .ok_or_else(|| FieldError::new(field, FieldRule::Choice)),
            "data_inizio" => CalendarDate::parse(field, &self.data_inizio).map(drop),
            "data_fine" => {
                let end = CalendarDate::parse(field, &self.data_fine)?;
                match CalendarDate::parse("data_inizio", &self.data_inizio) {
                    Ok(start) if end < start => Err(FieldError::new(field, FieldRule::EventEndBeforeStart)),
                    _ => Ok(()),
                }
            }
            "sponsorizzato" => self.sponsored().map(drop),
            _ => Ok(()),
        }
    }

    /// Every field checked; all errors at once.
    pub fn validate(&self) -> Result<ValidEvent, Vec<FieldError>> {
        let errors: Vec<FieldError> = Self::FIELDS.iter().filter_map(|f| self.check(f).err()).collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let parse = |field: &str, value: &str| CalendarDate::parse(field, value).map_err(|e| vec![e]);
        Ok(ValidEvent {
            title: required_text("titolo", &self.titolo, TITLE_MAX_CHARS).map_err(|e| vec![e])?,
            procedure: Procedure::from_db(self.procedura.trim())
                .ok_or_else(|| vec![FieldError::new("procedura", FieldRule::Choice)])?,
            start: parse("data_inizio", &self.data_inizio)?,
            end: parse("data_fine", &self.data_fine)?,
            sponsored: self.sponsored().map_err(|e| vec![e])?,
        })
    }
}

/// One event of the plan with its contribution and the state of its debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub id: String,
    pub title: String,
    pub procedure: Procedure,
    pub start_date: String,
    pub end_date: String,
    pub sponsored: bool,
    /// The contribution from the tariff valid at the start date (0: nothing is due).
    pub fee_cents: i64,
    /// The per-event debt (none when nothing is due).
    pub debt: Option<DebtView>,
    pub created_at: String,
}

/// May the provider enter events now?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanAccess {
    /// No accredited request: the training plan is not available yet.
    NotAccredited,
    /// Events can be entered.
    Open,
    /// A later year whose annual fee is not verified as paid yet (docs/domain.md §3.4).
    AnnualFeeUnpaid { year: i32, debt: DebtView },
}

/// Everything the training plan page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingPlan {
    pub provider_class: ProviderClass,
    /// The year of the first accreditation, if accredited.
    pub accredited_year: Option<i32>,
    pub access: PlanAccess,
    /// Newest start date first.
    pub events: Vec<EventView>,
    /// Later-year annual fees (newest year first) as (reference year, debt).
    pub annual_fees: Vec<(i32, DebtView)>,
    /// A fresh key for the form: one declaration per form shown.
    pub declaration_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(titolo: &str, procedura: &str, inizio: &str, fine: &str, sponsorizzato: &str) -> EventForm {
        EventForm {
            titolo: titolo.into(),
            procedura: procedura.into(),
            data_inizio: inizio.into(),
            data_fine: fine.into(),
            sponsorizzato: sponsorizzato.into(),
        }
    }

    fn rules(form: &EventForm) -> Vec<(String, FieldRule)> {
        form.validate().unwrap_err().into_iter().map(|e| (e.field, e.rule)).collect()
    }

    #[test]
    fn a_complete_form_parses_into_an_event() {
        let event = form("  Ecografia   clinica ", "FAD", "2027-02-28", "2027-03-01", "NO").validate().unwrap();
        assert_eq!(event.title, "Ecografia clinica");
        assert_eq!(event.procedure, Procedure::Fad);
        assert_eq!((event.start.iso(), event.end.iso()), ("2027-02-28".to_string(), "2027-03-01".to_string()));
        assert!(!event.sponsored);
        assert!(form("T", "RES", "2027-01-01", "2027-01-01", "SI").validate().unwrap().sponsored, "a one-day event");
    }

    #[test]
    fn every_missing_field_is_named_at_once() {
        let errors = rules(&form(" ", "", "", "", ""));
        assert_eq!(
            errors,
            vec![
                ("titolo".into(), FieldRule::Required),
                ("procedura".into(), FieldRule::Choice),
                ("data_inizio".into(), FieldRule::Required),
                ("data_fine".into(), FieldRule::Required),
                ("sponsorizzato".into(), FieldRule::Choice),
            ]
        );
    }

    #[test]
    fn title_length_procedure_and_dates_are_checked() {
        let long = "x".repeat(TITLE_MAX_CHARS + 1);
        assert_eq!(
            rules(&form(&long, "RES", "2027-01-01", "2027-01-02", "SI")),
            vec![("titolo".into(), FieldRule::TooLong)]
        );
        assert!(form(&"x".repeat(TITLE_MAX_CHARS), "RES", "2027-01-01", "2027-01-02", "SI").validate().is_ok());
        assert_eq!(
            rules(&form("T", "WEB", "2027-01-01", "2027-01-02", "SI")),
            vec![("procedura".into(), FieldRule::Choice)]
        );
        for bad in ["2027-02-29", "2027-13-01", "27-01-01", "01/02/2027", "2027-1-01", "1999-12-31", "abcd-ef-gh"] {
            assert_eq!(
                rules(&form("T", "RES", bad, "2027-12-31", "SI")),
                vec![("data_inizio".into(), FieldRule::EventDateInvalid)],
                "{bad}"
            );
        }
        assert!(CalendarDate::parse("d", "2028-02-29").is_ok(), "leap year");
        assert_eq!(
            rules(&form("T", "RES", "2027-03-02", "2027-03-01", "SI")),
            vec![("data_fine".into(), FieldRule::EventEndBeforeStart)]
        );
        assert_eq!(
            rules(&form("T", "RES", "2027-03-02", "2027-03-02", "forse")),
            vec![("sponsorizzato".into(), FieldRule::Choice)]
        );
    }

    #[test]
    fn dates_add_days_across_months_years_and_leap_days() {
        let d = |s: &str| CalendarDate::parse("d", s).unwrap();
        assert_eq!(d("2026-12-15").plus_days_iso(90), "2027-03-15");
        assert_eq!(d("2028-01-01").plus_days_iso(90), "2028-03-31", "2028 is a leap year");
        assert_eq!(d("2027-01-01").plus_days_iso(90), "2027-04-01");
        assert_eq!(d("2000-02-28").plus_days_iso(1), "2000-02-29");
        assert_eq!(d("2027-03-15").plus_days_iso(0), "2027-03-15");
        assert!(d("2027-01-31") < d("2027-02-01"));
        assert_eq!(date_it("2027-03-15"), "15/03/2027");
        assert_eq!(date_it("—"), "—");
    }
}
