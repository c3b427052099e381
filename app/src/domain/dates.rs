//! The calendar of the ledger (ssr only): today's date on the one clock every due date,
//! reminder and tariff version is measured against (UTC), and dates as the forms send them.

/// Today's date (UTC).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`.
pub fn date_text(date: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// `YYYY-MM-DD` (what `<input type="date">` sends) or `GG/MM/AAAA` (typed by hand where the
/// browser shows a plain text field) as a date.
pub fn parse_date(value: &str) -> Option<time::Date> {
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let italian = time::macros::format_description!("[day]/[month]/[year]");
    time::Date::parse(value.trim(), &iso).or_else(|_| time::Date::parse(value.trim(), &italian)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_the_forms_send_them_and_print_as_iso() {
        let date = time::macros::date!(2027 - 03 - 01);
        assert_eq!(parse_date("2027-03-01"), Some(date));
        assert_eq!(parse_date(" 01/03/2027 "), Some(date));
        assert_eq!(parse_date("1 marzo 2027"), None);
        assert_eq!(date_text(date), "2027-03-01");
    }
}
