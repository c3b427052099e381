//! Money amounts as integer euro cents.
//!
//! MyPay amounts (`stImporto`, `stImportoPositivo` in `PagInf_Dovuti_Pagati_6_2_0.xsd`) are
//! `xsd:decimal` values restricted by the pattern `\d+\.\d{2}`: always exactly two decimals, `.`
//! as separator, no sign, no thousands separator (docs/mypay.md §4.2, trap T5). `10`, `10.5` and
//! `10,50` are rejected by MyPay's XSD validation with `PAA_XML_NON_VALIDO`.
//!
//! This module never uses floating point: amounts are held as `i64` cents and formatted/parsed
//! digit by digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An amount in euro cents. `AmountCents(10050)` is € 100.50.
///
/// The type itself accepts any `i64` so that arithmetic and comparisons are easy; range rules
/// are applied where the wire format requires them ([`AmountCents::is_valid_dovuto`],
/// [`AmountCents::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AmountCents(pub i64);

/// Why an amount string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The text does not match `\d+\.\d{2}`.
    #[error("amount is not in the form digits '.' two digits")]
    Format,
    /// The value is outside `0.00 ..= 999999999.99` (the `stImporto` range).
    #[error("amount is outside the range 0.00..=999999999.99")]
    OutOfRange,
}

impl AmountCents {
    /// Zero.
    pub const ZERO: AmountCents = AmountCents(0);
    /// Smallest amount accepted in a `Dovuti` (`stImportoPositivo` minInclusive 0.01).
    pub const MIN_DOVUTO: AmountCents = AmountCents(1);
    /// Largest amount accepted anywhere in the schema (maxInclusive 999999999.99).
    pub const MAX: AmountCents = AmountCents(99_999_999_999);

    /// Creates an amount from cents.
    pub const fn from_cents(cents: i64) -> Self {
        AmountCents(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// `true` if the amount is legal as `importoSingoloVersamento` of a `Dovuti`
    /// (0.01 ≤ x ≤ 999999999.99).
    pub const fn is_valid_dovuto(self) -> bool {
        self.0 >= Self::MIN_DOVUTO.0 && self.0 <= Self::MAX.0
    }

    /// `true` if the amount is legal as `stImporto` (0.00 ≤ x ≤ 999999999.99), e.g. in `Pagati`.
    pub const fn is_valid_importo(self) -> bool {
        self.0 >= 0 && self.0 <= Self::MAX.0
    }

    /// Checked addition; `None` on `i64` overflow.
    pub fn checked_add(self, other: AmountCents) -> Option<AmountCents> {
        self.0.checked_add(other.0).map(AmountCents)
    }

    /// Parses the wire form strictly: `\d+\.\d{2}` and 0.00 ≤ x ≤ 999999999.99.
    ///
    /// `"0.00"` is accepted (legal in `Pagati`); callers building a `Dovuti` must additionally
    /// check [`AmountCents::is_valid_dovuto`]. Leading zeros (`"007.50"`) are accepted because
    /// the XSD pattern allows them.
    pub fn parse(text: &str) -> Result<AmountCents, AmountError> {
        let (int_part, frac_part) = text.split_once('.').ok_or(AmountError::Format)?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || frac_part.len() != 2 || !all_digits(frac_part) {
            return Err(AmountError::Format);
        }
        // Strip leading zeros so that a long run of zeros cannot overflow; then anything with
        // more than 9 integer digits is out of range.
        let significant = int_part.trim_start_matches('0');
        if significant.len() > 9 {
            return Err(AmountError::OutOfRange);
        }
        let mut cents: i64 = 0;
        for b in significant.bytes().chain(frac_part.bytes()) {
            cents = cents * 10 + i64::from(b - b'0');
        }
        let amount = AmountCents(cents);
        if amount.is_valid_importo() {
            Ok(amount)
        } else {
            Err(AmountError::OutOfRange)
        }
    }

    /// Formats as exactly two decimals with `.` (e.g. `10050` → `"100.50"`).
    ///
    /// Negative values are formatted with a leading `-` for diagnostics only; they are never
    /// legal on the wire and the builders refuse them before formatting.
    pub fn to_wire_string(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AmountCents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for AmountCents {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AmountCents::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_two_decimals() {
        assert_eq!(AmountCents(10050).to_string(), "100.50");
        assert_eq!(AmountCents(10000).to_string(), "100.00");
        assert_eq!(AmountCents(1).to_string(), "0.01");
        assert_eq!(AmountCents(0).to_string(), "0.00");
        assert_eq!(AmountCents(99_999_999_999).to_string(), "999999999.99");
        assert_eq!(AmountCents(-5).to_string(), "-0.05");
        assert_eq!(AmountCents(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn parses_strictly() {
        assert_eq!(AmountCents::parse("100.50"), Ok(AmountCents(10050)));
        assert_eq!(AmountCents::parse("0.00"), Ok(AmountCents(0)));
        assert_eq!(AmountCents::parse("0.01"), Ok(AmountCents(1)));
        assert_eq!(AmountCents::parse("007.50"), Ok(AmountCents(750)));
        assert_eq!(AmountCents::parse("999999999.99"), Ok(AmountCents::MAX));
        for bad in
            ["10", "10.5", "10,50", "10.500", ".50", "-1.00", "+1.00", " 1.00", "1.00 ", "1e2.00", "", "1.0a", "١.٠٠"]
        {
            assert_eq!(AmountCents::parse(bad), Err(AmountError::Format), "{bad:?}");
        }
        assert_eq!(AmountCents::parse("1000000000.00"), Err(AmountError::OutOfRange));
        assert_eq!(AmountCents::parse("99999999999999999999999999999.00"), Err(AmountError::OutOfRange));
        assert_eq!(AmountCents::parse("0000000000000000000001.00"), Ok(AmountCents(100)));
    }

    #[test]
    fn roundtrip_and_ranges() {
        for c in [1, 99, 100, 12345, 99_999_999_999] {
            let a = AmountCents(c);
            assert_eq!(AmountCents::parse(&a.to_string()), Ok(a));
        }
        assert!(!AmountCents(0).is_valid_dovuto());
        assert!(AmountCents(1).is_valid_dovuto());
        assert!(AmountCents::MAX.is_valid_dovuto());
        assert!(!AmountCents(AmountCents::MAX.0 + 1).is_valid_dovuto());
        assert!(AmountCents(0).is_valid_importo());
        assert!(!AmountCents(-1).is_valid_importo());
        assert_eq!(AmountCents(i64::MAX).checked_add(AmountCents(1)), None);
        assert_eq!("12.34".parse::<AmountCents>(), Ok(AmountCents(1234)));
    }
}
