//! Fee rules of the training plan (docs/domain.md §4): which row of the tariff table
//! applies, on which date its version is looked up, when the debt is due and its causale.
//! Amounts always come from the tariff table (`payments::service::tariff`), never from here.

use super::model::{CalendarDate, Procedure};
use crate::payments::model::TariffCase;
use crate::providers::model::ProviderClass;

/// A per-event contribution is due this many days after the event ends.
pub const EVENT_DUE_DAYS: i64 = 90;

/// Longest causale sent to MyPay. pagoPA carries 140 characters (stText140), and MyPay's legacy
/// mode prefixes `/RFS/<IUV>/<amount>/TXT/` before truncating to 140 (docs/mypay.md §11, trap T10):
/// keeping the causale within 90 characters keeps it whole on the receipt.
pub const CAUSALE_MAX_CHARS: usize = 90;

/// The tariff row of a per-event contribution: RES and FSC share one row, FAD has its own; an
/// event neither sponsored nor otherwise financed has the reduced row.
pub fn event_tariff_case(procedure: Procedure, sponsored: bool) -> TariffCase {
    match procedure {
        Procedure::Res | Procedure::Fsc => TariffCase::EventoResFsc { sponsored },
        Procedure::Fad => TariffCase::EventoFad { sponsored },
    }
}

/// The version of the per-event tariff that applies: the one valid on the event's start date.
pub fn event_tariff_date(start: CalendarDate) -> String {
    start.iso()
}

/// Due date of a per-event contribution: 90 days after the event ends.
pub fn event_due_date(end: CalendarDate) -> String {
    end.plus_days_iso(EVENT_DUE_DAYS)
}

/// The tariff row of a later-year annual fee: Gruppo B pays the flat ANNI_SUCCESSIVI fee,
/// Gruppo A the band of the number of its events that started the previous year.
pub fn annual_tariff_case(class: ProviderClass, events_previous_year: u32) -> TariffCase {
    match class {
        ProviderClass::B => TariffCase::AnniSuccessivi,
        ProviderClass::A => TariffCase::gruppo_a_band(events_previous_year),
    }
}

/// The version of the annual tariff that applies to `year`: the one valid on 1 January.
pub fn annual_tariff_date(year: i32) -> String {
    format!("{year:04}-01-01")
}

/// Due date of a later-year annual fee: Gruppo B by 31 March, Gruppo A by 31 July.
pub fn annual_due_date(class: ProviderClass, year: i32) -> String {
    match class {
        ProviderClass::B => format!("{year:04}-03-31"),
        ProviderClass::A => format!("{year:04}-07-31"),
    }
}

/// Keeps what MyPay/pagoPA carry unchanged (`[a-zA-Z0-9 /-?:().,'+]`, docs/mypay.md §11, trap
/// T10): accented letters lose their accent, anything else becomes a space; whitespace is
/// collapsed.
fn causale_text(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'À' | 'Á' | 'Â' | 'Ä' => 'A',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'È' | 'É' | 'Ê' | 'Ë' => 'E',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'Ò' | 'Ó' | 'Ô' | 'Ö' => 'O',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
            '’' | '‘' | '`' => '\'',
            c if c.is_ascii_alphanumeric() || " /-?:().,'+".contains(c) => c,
            _ => ' ',
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `Contributo evento ECM 'Ecografia clinica' (RES) - 3f9a1c2b7d4e`: ASCII, at most
/// [`CAUSALE_MAX_CHARS`]; a long title is shortened with `...`. The event's short id keeps
/// two events with the same title apart.
pub fn causale_evento(title: &str, procedure: Procedure, event_id: &str) -> String {
    let short_id: String = event_id.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    let frame = |t: &str| format!("Contributo evento ECM '{t}' ({}) - {short_id}", procedure.as_db());
    let title = causale_text(title);
    let room = CAUSALE_MAX_CHARS - frame("").len();
    if title.len() <= room {
        return frame(&title);
    }
    let cut: String = title.chars().take(room - 3).collect();
    frame(&format!("{}...", cut.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> CalendarDate {
        CalendarDate::parse("d", s).unwrap()
    }

    #[test]
    fn event_rows_follow_procedure_and_sponsorship() {
        assert_eq!(event_tariff_case(Procedure::Res, true).as_db(), "EVENTO_RES_FSC");
        assert_eq!(event_tariff_case(Procedure::Fsc, true).as_db(), "EVENTO_RES_FSC");
        assert_eq!(event_tariff_case(Procedure::Fad, true).as_db(), "EVENTO_FAD");
        assert_eq!(event_tariff_case(Procedure::Res, false).as_db(), "EVENTO_RES_FSC_NON_SPONSORIZZATO");
        assert_eq!(event_tariff_case(Procedure::Fsc, false).as_db(), "EVENTO_RES_FSC_NON_SPONSORIZZATO");
        assert_eq!(event_tariff_case(Procedure::Fad, false).as_db(), "EVENTO_FAD_NON_SPONSORIZZATO");
    }

    #[test]
    fn annual_rows_dates_and_due_dates() {
        assert_eq!(annual_tariff_case(ProviderClass::B, 500), TariffCase::AnniSuccessivi);
        assert_eq!(annual_tariff_case(ProviderClass::A, 0), TariffCase::FasciaFino30);
        assert_eq!(annual_tariff_case(ProviderClass::A, 30), TariffCase::FasciaFino30);
        assert_eq!(annual_tariff_case(ProviderClass::A, 31), TariffCase::Fascia31_60);
        assert_eq!(annual_tariff_case(ProviderClass::A, 60), TariffCase::Fascia31_60);
        assert_eq!(annual_tariff_case(ProviderClass::A, 61), TariffCase::Fascia61_90);
        assert_eq!(annual_tariff_case(ProviderClass::A, 91), TariffCase::Fascia91_120);
        assert_eq!(annual_tariff_case(ProviderClass::A, 120), TariffCase::Fascia91_120);
        assert_eq!(annual_tariff_case(ProviderClass::A, 121), TariffCase::FasciaOltre120);
        assert_eq!(annual_due_date(ProviderClass::B, 2027), "2027-03-31");
        assert_eq!(annual_due_date(ProviderClass::A, 2027), "2027-07-31");
        assert_eq!(annual_tariff_date(2027), "2027-01-01");
        assert_eq!(event_due_date(date("2026-12-15")), "2027-03-15");
        assert_eq!(event_tariff_date(date("2026-12-15")), "2026-12-15");
    }

    #[test]
    fn causale_is_ascii_short_and_names_the_event() {
        let causale = causale_evento("Ecografia clinica", Procedure::Res, "3f9a1c2b7d4e5f60718293a4b5c6d7e8");
        assert_eq!(causale, "Contributo evento ECM 'Ecografia clinica' (RES) - 3f9a1c2b7d4e");
        let accents = causale_evento("Qualità e «sicurezza» dell’assistenza", Procedure::Fad, "abc");
        assert_eq!(accents, "Contributo evento ECM 'Qualita e sicurezza dell'assistenza' (FAD) - abc");
        let long = causale_evento(
            &"Aggiornamento in cardiologia interventistica ".repeat(5),
            Procedure::Fsc,
            "3f9a1c2b7d4e5f60",
        );
        assert!(long.chars().count() <= CAUSALE_MAX_CHARS, "{long}");
        assert!(long.ends_with("...' (FSC) - 3f9a1c2b7d4e"), "{long}");
        for c in [causale, accents, long] {
            assert!(c.chars().all(|ch| ch.is_ascii_alphanumeric() || " /-?:().,'+".contains(ch)), "{c}");
        }
    }
}
