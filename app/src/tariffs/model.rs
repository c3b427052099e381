//! The tariff table as the Segreteria sees and edits it (`/segreteria/tariffe`): cases grouped by
//! fee kind, the version valid today, the history of versions, and the euro amount parser the
//! "Nuova tariffa" form uses (in the browser for instant feedback, on the server for the final word).

use serde::{Deserialize, Serialize};

use crate::domain::FieldRule;
use crate::payments::model::FeeKind;
use crate::providers::model::ProviderClass;

/// The largest tariff accepted: € 100.000,00 (the highest Veneto fee is € 13.000,00; more is a typo).
pub const MAX_TARIFF_CENTS: i64 = 10_000_000;

/// One version of a tariff case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffVersion {
    pub id: String,
    pub amount_cents: i64,
    /// YYYY-MM-DD, inclusive.
    pub valid_from: String,
    /// YYYY-MM-DD, inclusive; `None` while it is the latest version.
    pub valid_to: Option<String>,
    /// Display name of who created it (`migration` for the initial values).
    pub created_by: String,
    pub created_at: String,
}

/// One tariff case (fee kind, provider class, case) with its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffCaseView {
    /// `QUOTA_ANNUALE-B-PRIMO_ANNO`: the case in URLs and forms.
    pub key: String,
    pub fee_kind: FeeKind,
    pub provider_class: ProviderClass,
    pub case_key: String,
    pub description: String,
    /// Index in `versions` of the version valid today (none when only future versions exist).
    pub current: Option<usize>,
    pub versions: Vec<TariffVersion>,
}

impl TariffCaseView {
    pub fn current_version(&self) -> Option<&TariffVersion> {
        self.current.and_then(|i| self.versions.get(i))
    }
    /// Versions that start after today (already decided, not yet applied).
    pub fn future_versions(&self, today: &str) -> Vec<&TariffVersion> {
        self.versions.iter().filter(|v| v.valid_from.as_str() > today).collect()
    }
}

/// Every tariff case, in the order of the tables of docs/domain.md §4.5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffsOverview {
    /// The date the "valid today" column refers to (YYYY-MM-DD, UTC like the debts).
    pub today: String,
    pub cases: Vec<TariffCaseView>,
}

/// The page of one case: its versions and the date "today" refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffCasePage {
    pub today: String,
    pub case: TariffCaseView,
}

/// `QUOTA_ANNUALE-B-PRIMO_ANNO`.
pub fn case_key_of(fee: FeeKind, class: ProviderClass, case_key: &str) -> String {
    format!("{}-{}-{}", fee.as_db(), class.as_db(), case_key)
}

/// The parts of a case key, checked against the known fee kinds and classes.
pub fn split_case_key(key: &str) -> Option<(FeeKind, ProviderClass, String)> {
    let mut parts = key.splitn(3, '-');
    let fee = FeeKind::from_db(parts.next()?)?;
    let class = ProviderClass::from_db(parts.next()?)?;
    let case = parts.next()?;
    (!case.is_empty() && case.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
        .then(|| (fee, class, case.to_string()))
}

/// Parses an amount in euro as people type it: `258,22`, `258.22`, `1.500,00`, `1.500`, `1500`,
/// `€ 258,22`. A comma is the decimal separator; a dot is a thousands separator when followed by
/// groups of exactly three digits, otherwise the decimal separator. Refuses empty input,
/// negatives, more than two decimals, anything that is not a number, and more than
/// [`MAX_TARIFF_CENTS`].
pub fn parse_euro_cents(input: &str) -> Result<i64, FieldRule> {
    let text = input.trim().trim_start_matches('€').trim();
    if text.is_empty() {
        return Err(FieldRule::Required);
    }
    if text.starts_with('-') {
        return Err(FieldRule::AmountNegative);
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err(FieldRule::AmountFormat);
    }
    let (integer, decimals) = match (text.matches(',').count(), text.matches('.').count()) {
        (0, 0) => (text.to_string(), ""),
        (1, _) => {
            let (int, dec) = text.split_once(',').expect("one comma");
            (thousands(int)?, dec)
        }
        (0, 1) => {
            let (int, dec) = text.split_once('.').expect("one dot");
            if dec.len() == 3 && !int.is_empty() && int.len() <= 3 {
                (format!("{int}{dec}"), "")
            } else {
                (int.to_string(), dec)
            }
        }
        (0, _) => (thousands(text)?, ""),
        _ => return Err(FieldRule::AmountFormat),
    };
    if integer.is_empty() || !decimals.bytes().all(|b| b.is_ascii_digit()) || text.ends_with([',', '.']) {
        return Err(FieldRule::AmountFormat);
    }
    if decimals.len() > 2 {
        return Err(FieldRule::AmountDecimals);
    }
    if integer.len() > 9 {
        return Err(FieldRule::AmountTooLarge);
    }
    let euros: i64 = integer.parse().map_err(|_| FieldRule::AmountFormat)?;
    let cents: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().map_err(|_| FieldRule::AmountFormat)? * 10,
        _ => decimals.parse().map_err(|_| FieldRule::AmountFormat)?,
    };
    let total = euros * 100 + cents;
    if total > MAX_TARIFF_CENTS {
        return Err(FieldRule::AmountTooLarge);
    }
    Ok(total)
}

/// `1.500.000` → `1500000`: dots must separate groups of exactly three digits.
fn thousands(text: &str) -> Result<String, FieldRule> {
    let groups: Vec<&str> = text.split('.').collect();
    let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
    if groups.len() > 1 && !(first_ok && groups[1..].iter().all(|g| g.len() == 3)) {
        return Err(FieldRule::AmountFormat);
    }
    Ok(groups.concat())
}

/// `258,22` (no euro sign): cents as the form shows them back.
pub fn euro_input(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_amounts_are_read_the_way_people_type_them() {
        assert_eq!(parse_euro_cents("258,22"), Ok(25822));
        assert_eq!(parse_euro_cents("258.22"), Ok(25822));
        assert_eq!(parse_euro_cents("1.500,00"), Ok(150000));
        assert_eq!(parse_euro_cents("1500"), Ok(150000));
        assert_eq!(parse_euro_cents("1.500"), Ok(150000));
        assert_eq!(parse_euro_cents(" € 13.000,00 "), Ok(1300000));
        assert_eq!(parse_euro_cents("0"), Ok(0));
        assert_eq!(parse_euro_cents("0,5"), Ok(50));
        assert_eq!(parse_euro_cents("172.1"), Ok(17210));
        assert_eq!(parse_euro_cents("100000"), Ok(MAX_TARIFF_CENTS));
    }

    #[test]
    fn bad_euro_amounts_are_refused_with_the_reason() {
        assert_eq!(parse_euro_cents(""), Err(FieldRule::Required));
        assert_eq!(parse_euro_cents("  "), Err(FieldRule::Required));
        assert_eq!(parse_euro_cents("-5"), Err(FieldRule::AmountNegative));
        assert_eq!(parse_euro_cents("-258,22"), Err(FieldRule::AmountNegative));
        assert_eq!(parse_euro_cents("258,223"), Err(FieldRule::AmountDecimals));
        assert_eq!(parse_euro_cents("258.2234"), Err(FieldRule::AmountDecimals));
        assert_eq!(parse_euro_cents("100000,01"), Err(FieldRule::AmountTooLarge));
        assert_eq!(parse_euro_cents("99999999999999999999"), Err(FieldRule::AmountTooLarge));
        for bad in ["abc", "12a", "1,2,3", "1.50.0,00", "1,500.00", ",5", "5,", "5.", ".", "1 500", "1e3"] {
            assert_eq!(parse_euro_cents(bad), Err(FieldRule::AmountFormat), "{bad}");
        }
    }

    #[test]
    fn case_keys_round_trip_and_unknown_ones_are_refused() {
        let key = case_key_of(FeeKind::QuotaAnnuale, ProviderClass::B, "PRIMO_ANNO");
        assert_eq!(key, "QUOTA_ANNUALE-B-PRIMO_ANNO");
        assert_eq!(split_case_key(&key), Some((FeeKind::QuotaAnnuale, ProviderClass::B, "PRIMO_ANNO".into())));
        assert_eq!(split_case_key("QUOTA_ANNUALE-C-PRIMO_ANNO"), None);
        assert_eq!(split_case_key("ALTRO-B-PRIMO_ANNO"), None);
        assert_eq!(split_case_key("QUOTA_ANNUALE-B-"), None);
        assert_eq!(split_case_key("QUOTA_ANNUALE-B-x'; --"), None);
        assert_eq!(euro_input(25822), "258,22");
        assert_eq!(euro_input(5), "0,05");
    }
}
