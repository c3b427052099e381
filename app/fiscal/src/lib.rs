//! Italian fiscal identifiers: codice fiscale and partita IVA.
//!
//! This crate (`ecm-fiscal`, in `app/fiscal/`) is deliberately dependency-free (std only) so that
//! the portal (`app::domain::fiscal`, server and browser/wasm) and the MyPay crates share one copy.
//!
//! MyPay checks the payer identifier of a `Dovuti` (docs/mypay.md §4.2 and §4.3 step 8/8b):
//! for type `F` a 16-character personal codice fiscale with a correct check character, or an
//! 11-digit numeric code; for type `G` an 11-digit partita IVA with a correct check digit.
//! Failing codes are answered with `PAA_CODICE_FISCALE_NON_VALIDO` / `PAA_P_IVA_NON_VALIDO`, so
//! the portal validates them first and shows the error to the user instead.
//!
//! Validation is strict about case: MyPay compares upper-case codes, so lower-case input is
//! refused here; use [`normalize_fiscal_code`] on user input first.

use std::fmt;

/// Why a fiscal code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FiscalError {
    /// The code has the wrong number of characters (16 for a personal codice fiscale,
    /// 11 for a numeric one / partita IVA).
    WrongLength { actual: usize },
    /// A character is not allowed at this position (0-based).
    InvalidCharacter { position: usize },
    /// The month letter (position 8) is not one of `ABCDEHLMPRST`.
    InvalidMonth,
    /// The day (positions 9–10, after omocodia decoding) is not in 1..=31 or 41..=71.
    InvalidDay,
    /// The check character / check digit does not match.
    CheckCharacterMismatch,
    /// All digits are zero (passes the check-digit formula but is never a real code).
    AllZeros,
}

impl fmt::Display for FiscalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FiscalError::WrongLength { actual } => {
                write!(f, "wrong length ({actual} characters)")
            }
            FiscalError::InvalidCharacter { position } => {
                write!(f, "invalid character at position {}", position + 1)
            }
            FiscalError::InvalidMonth => write!(f, "invalid month letter"),
            FiscalError::InvalidDay => write!(f, "invalid day of birth"),
            FiscalError::CheckCharacterMismatch => write!(f, "check character does not match"),
            FiscalError::AllZeros => write!(f, "code made of zeros only"),
        }
    }
}

impl std::error::Error for FiscalError {}

/// Trims surrounding whitespace and upper-cases ASCII letters (typical user input clean-up).
pub fn normalize_fiscal_code(input: &str) -> String {
    input.trim().to_ascii_uppercase()
}

/// Validates a codice fiscale as MyPay accepts it for payer type `F`:
///
/// * a 16-character personal code `LLLLLLDDLDDLDDDL` (upper case), where each of the 7 digit
///   positions may carry an omocodia substitute letter (`LMNPQRSTUV` for 0–9), with a valid
///   month letter, a day in 1..=31 (men) or 41..=71 (women), and a correct check character;
/// * or an 11-digit numeric code (legal persons, temporary codes), validated with the
///   partita IVA check-digit algorithm ([`validate_partita_iva`]).
pub fn validate_codice_fiscale(code: &str) -> Result<(), FiscalError> {
    let bytes = code.as_bytes();
    let len = code.chars().count();
    if len == 11 && bytes.len() == 11 {
        return validate_partita_iva(code);
    }
    if len != 16 || bytes.len() != 16 {
        return Err(FiscalError::WrongLength { actual: len });
    }

    // Positions that hold digits, possibly replaced by omocodia letters.
    const DIGIT_POSITIONS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];
    const OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";
    const MONTHS: &[u8] = b"ABCDEHLMPRST";

    for (i, &b) in bytes.iter().enumerate() {
        let ok = if DIGIT_POSITIONS.contains(&i) {
            b.is_ascii_digit() || OMOCODIA.contains(&b)
        } else {
            b.is_ascii_uppercase()
        };
        if !ok {
            return Err(FiscalError::InvalidCharacter { position: i });
        }
    }
    if !MONTHS.contains(&bytes[8]) {
        return Err(FiscalError::InvalidMonth);
    }

    let decode_digit = |b: u8| -> u32 {
        if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            // Position check above guarantees `b` is in OMOCODIA.
            OMOCODIA.iter().position(|&o| o == b).map_or(0, |p| p as u32)
        }
    };
    let day = decode_digit(bytes[9]) * 10 + decode_digit(bytes[10]);
    if !((1..=31).contains(&day) || (41..=71).contains(&day)) {
        return Err(FiscalError::InvalidDay);
    }

    if codice_fiscale_check_char(&bytes[..15]) != Some(bytes[15]) {
        return Err(FiscalError::CheckCharacterMismatch);
    }
    Ok(())
}

/// Computes the check character of the first 15 characters of a personal codice fiscale
/// (upper-case ASCII letters and digits). `None` if the input is not 15 such characters.
pub fn codice_fiscale_check_char(first15: &[u8]) -> Option<u8> {
    // Values of characters in odd positions (1st, 3rd, ... i.e. 0-based even indexes),
    // indexed by digit value or by letter index A=0..Z=25 (official table).
    const ODD: [u32; 26] =
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
    if first15.len() != 15 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in first15.iter().enumerate() {
        let index = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A'),
            _ => return None,
        };
        sum += if i % 2 == 0 { ODD[index as usize] } else { index };
    }
    Some(b'A' + (sum % 26) as u8)
}

/// Validates an 11-digit partita IVA (also used for numeric fiscal codes of legal persons):
/// Luhn-like check digit — digits in odd positions are added, digits in even positions are
/// doubled (minus 9 if above 9) and added; the 11th digit is `(10 - sum % 10) % 10`.
pub fn validate_partita_iva(code: &str) -> Result<(), FiscalError> {
    let bytes = code.as_bytes();
    let len = code.chars().count();
    if len != 11 || bytes.len() != 11 {
        return Err(FiscalError::WrongLength { actual: len });
    }
    if let Some(position) = bytes.iter().position(|b| !b.is_ascii_digit()) {
        return Err(FiscalError::InvalidCharacter { position });
    }
    if bytes.iter().all(|&b| b == b'0') {
        return Err(FiscalError::AllZeros);
    }
    if partita_iva_check_digit(&bytes[..10]) != Some(bytes[10]) {
        return Err(FiscalError::CheckCharacterMismatch);
    }
    Ok(())
}

/// Computes the check digit (as an ASCII digit) of the first 10 digits of a partita IVA.
pub fn partita_iva_check_digit(first10: &[u8]) -> Option<u8> {
    if first10.len() != 10 || !first10.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first10
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                d
            } else {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            }
        })
        .sum();
    Some(b'0' + ((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Test vectors were computed with an independent implementation of the official
    // algorithms (not copied from anywhere).

    #[test]
    fn valid_personal_codes() {
        for cf in [
            "RSSMRA80A01H501U", // reference example (docs/mypay.md §9)
            "BNCLRA85T45F205L", // woman: day 45
            "RSSMRA80A01H50MM", // omocodia on the last digit
            "RSSMRAULALMHRLMD", // omocodia on every digit position
            "RSSMRA80A41H501Y", // day 41 = woman born on the 1st
        ] {
            assert_eq!(validate_codice_fiscale(cf), Ok(()), "{cf}");
        }
    }

    #[test]
    fn invalid_personal_codes() {
        assert_eq!(validate_codice_fiscale("RSSMRA80A01H501V"), Err(FiscalError::CheckCharacterMismatch));
        assert_eq!(validate_codice_fiscale("rssmra80a01h501u"), Err(FiscalError::InvalidCharacter { position: 0 }));
        assert_eq!(validate_codice_fiscale("RSSMRA8XA01H501U"), Err(FiscalError::InvalidCharacter { position: 7 }));
        assert_eq!(validate_codice_fiscale("RSSMR180A01H501U"), Err(FiscalError::InvalidCharacter { position: 5 }));
        // Z is not a month letter (check char recomputed so only the month is wrong).
        assert_eq!(validate_codice_fiscale("RSSMRA80Z01H501Q"), Err(FiscalError::InvalidMonth));
        assert_eq!(validate_codice_fiscale("RSSMRA80A32H501U"), Err(FiscalError::InvalidDay));
        assert_eq!(validate_codice_fiscale("RSSMRA80A00H501U"), Err(FiscalError::InvalidDay));
        assert_eq!(validate_codice_fiscale("RSSMRA80A01H501"), Err(FiscalError::WrongLength { actual: 15 }));
        assert_eq!(validate_codice_fiscale(""), Err(FiscalError::WrongLength { actual: 0 }));
        // Non-ASCII input with 16 characters but more bytes.
        assert_eq!(validate_codice_fiscale("RSSMRÀ80A01H501U"), Err(FiscalError::WrongLength { actual: 16 }));
    }

    #[test]
    fn numeric_codes_use_partita_iva_algorithm() {
        // Regione del Veneto: 8000758027 -> check digit 9.
        assert_eq!(validate_codice_fiscale("80007580279"), Ok(()));
        assert_eq!(validate_codice_fiscale("80007580278"), Err(FiscalError::CheckCharacterMismatch));
    }

    #[test]
    fn partita_iva() {
        assert_eq!(validate_partita_iva("80007580279"), Ok(()));
        assert_eq!(validate_partita_iva("01234567897"), Ok(()));
        assert_eq!(validate_partita_iva("12345678903"), Ok(()));
        assert_eq!(validate_partita_iva("12839401358"), Ok(()));
        assert_eq!(validate_partita_iva("12345678901"), Err(FiscalError::CheckCharacterMismatch));
        assert_eq!(validate_partita_iva("00000000000"), Err(FiscalError::AllZeros));
        assert_eq!(validate_partita_iva("8000758027"), Err(FiscalError::WrongLength { actual: 10 }));
        assert_eq!(validate_partita_iva("8000758027A"), Err(FiscalError::InvalidCharacter { position: 10 }));
        assert_eq!(validate_partita_iva("RSSMRA80A01H501U"), Err(FiscalError::WrongLength { actual: 16 }));
    }

    #[test]
    fn check_helpers() {
        assert_eq!(codice_fiscale_check_char(b"RSSMRA80A01H501"), Some(b'U'));
        assert_eq!(codice_fiscale_check_char(b"RSSMRA80A01H50"), None);
        assert_eq!(codice_fiscale_check_char(b"rssmra80a01h501"), None);
        assert_eq!(partita_iva_check_digit(b"8000758027"), Some(b'9'));
        assert_eq!(partita_iva_check_digit(b"800075802"), None);
        assert_eq!(normalize_fiscal_code("  rssmra80a01h501u "), "RSSMRA80A01H501U");
    }
}
