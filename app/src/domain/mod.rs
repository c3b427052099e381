//! Domain value types shared by the browser (instant feedback) and the server (final word).
//! Parse, don't validate: each type has a private field and a fallible constructor.

pub mod csv;
#[cfg(feature = "ssr")]
pub mod dates;
/// The codice fiscale / partita IVA checks: the `ecm-fiscal` crate (`app/fiscal/`), shared with
/// the MyPay crates.
pub use ecm_fiscal as fiscal;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validation failure: which field, which rule. The UI maps it to an Italian message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub rule: FieldRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRule {
    Required,
    TooLong,
    // Events (events/model.rs).
    EventDateInvalid,
    EventEndBeforeStart,
    EventNoTariff,
    EmailFormat,
    PasswordTooShort,
    PasswordTooLong,
    PasswordTooWeak,
    PasswordMismatch,
    CodiceFiscale,
    PartitaIva,
    Cap,
    Provincia,
    Telefono,
    Choice,
    // Tariffs (tariffs/model.rs).
    AmountFormat,
    AmountNegative,
    AmountDecimals,
    AmountTooLarge,
    DateFormat,
    DateInPast,
    DateNotAfterLatest,
    /// The field cannot change now (the request was sent; the Segreteria did not reopen it).
    Locked,
    /// A due-date extension must move the date later.
    DateNotLater,
    // Quietanze (quietanze/model.rs).
    /// A date that cannot be later than today (a payment's value date).
    DateInFuture,
    /// An amount that must be more than zero.
    AmountZero,
    /// A CRO (11 digits) or TRN (up to 35 letters and digits).
    CroTrn,
    /// A file field: no file chosen, not a PDF, larger than the limit shown beside the field.
    FileEmpty,
    FileNotPdf,
    FileTooLarge,
}

impl FieldError {
    pub fn new(field: &str, rule: FieldRule) -> Self {
        FieldError { field: field.to_string(), rule }
    }

    pub fn message_it(&self) -> String {
        let label = field_label_it(&self.field);
        match self.rule {
            FieldRule::Required => format!("Il campo «{label}» è obbligatorio."),
            FieldRule::TooLong => format!("Il campo «{label}» è troppo lungo."),
            FieldRule::EventDateInvalid => {
                format!("Il campo «{label}» non contiene una data valida (giorno, mese e anno, per esempio 15/03/2027).")
            }
            FieldRule::EventEndBeforeStart => "La data di fine non può precedere la data di inizio.".into(),
            FieldRule::EventNoTariff => {
                "Per la data di inizio indicata non è in vigore nessuna tariffa del contributo per evento: controlla la data o contatta la Segreteria ECM."
                    .into()
            }
            FieldRule::EmailFormat => {
                "L'indirizzo e-mail non è valido (esempio: nome@dominio.it).".into()
            }
            FieldRule::PasswordTooShort => format!(
                "La password deve contenere almeno {PASSWORD_MIN_CHARS} caratteri."
            ),
            FieldRule::PasswordTooLong => format!(
                "La password può contenere al massimo {PASSWORD_MAX_CHARS} caratteri."
            ),
            FieldRule::PasswordTooWeak => {
                "La password deve contenere almeno una lettera e almeno una cifra.".into()
            }
            FieldRule::PasswordMismatch => "Le due password non coincidono.".into(),
            FieldRule::CodiceFiscale => format!(
                "Il campo «{label}» non contiene un codice fiscale valido (16 caratteri per una persona, 11 cifre per un ente): controlla lettere e cifre."
            ),
            FieldRule::PartitaIva => format!(
                "Il campo «{label}» non contiene una partita IVA valida (11 cifre con cifra di controllo corretta)."
            ),
            FieldRule::Cap => "Il CAP deve essere di 5 cifre.".into(),
            FieldRule::Provincia => "La provincia va indicata con la sigla di 2 lettere (es. VE).".into(),
            FieldRule::Telefono => {
                "Il numero di telefono può contenere solo cifre, spazi e il prefisso + (da 6 a 20 caratteri).".into()
            }
            FieldRule::Choice => format!("Scegli un valore per il campo «{label}»."),
            FieldRule::Locked => format!(
                "Il campo «{label}» non si può più modificare: la domanda è stata inviata alla Segreteria ECM. Se il dato è sbagliato, scrivi alla Segreteria: potrà riaprirlo chiedendo un'integrazione."
            ),
            FieldRule::DateNotLater => "La nuova scadenza deve essere successiva a quella attuale.".into(),
            FieldRule::DateInFuture => format!("Il campo «{label}» non può indicare una data futura."),
            FieldRule::AmountZero => "L'importo deve essere maggiore di zero.".into(),
            FieldRule::FileEmpty => format!("Scegli il file per il campo «{label}»."),
            FieldRule::FileNotPdf => format!("Il file del campo «{label}» non è un PDF: carica la quietanza in formato PDF."),
            FieldRule::FileTooLarge => format!("Il file del campo «{label}» supera la dimensione massima indicata accanto al campo."),
            FieldRule::CroTrn => {
                "Il CRO/TRN è il codice del bonifico riportato sulla quietanza: da 11 a 35 lettere e cifre, senza spazi né simboli.".into()
            }
            FieldRule::AmountFormat => {
                "L'importo non è un numero valido: scrivilo in euro, per esempio 258,22 oppure 1.500,00.".into()
            }
            FieldRule::AmountNegative => "L'importo non può essere negativo.".into(),
            FieldRule::AmountDecimals => "L'importo può avere al massimo due decimali (i centesimi).".into(),
            FieldRule::AmountTooLarge => "L'importo è troppo alto: il massimo ammesso è € 100.000,00.".into(),
            FieldRule::DateFormat => format!("Il campo «{label}» non contiene una data valida (gg/mm/aaaa)."),
            FieldRule::DateInPast => {
                "La nuova tariffa non può iniziare nel passato: scegli oggi o una data futura.".into()
            }
            FieldRule::DateNotAfterLatest => {
                "La nuova tariffa deve iniziare dopo l'inizio dell'ultima versione: lo storico già usato per i dovuti non si riscrive."
                    .into()
            }
        }
    }
}

pub fn field_label_it(field: &str) -> &str {
    match field {
        "email" => "E-mail",
        "password" => "Password",
        "password_confirm" => "Conferma password",
        "display_name" => "Nome e cognome",
        "denominazione" => "Denominazione",
        "codice_fiscale" => "Codice fiscale",
        "partita_iva" => "Partita IVA",
        "provider_class" => "Tipologia di provider",
        "forma_giuridica" => "Forma giuridica",
        "legale_nome" => "Nome del legale rappresentante",
        "legale_cognome" => "Cognome del legale rappresentante",
        "legale_codice_fiscale" => "Codice fiscale del legale rappresentante",
        "via" => "Via / piazza",
        "civico" => "Numero civico",
        "cap" => "CAP",
        "comune" => "Comune",
        "provincia" => "Provincia",
        "pec" => "PEC",
        "telefono" => "Telefono",
        "titolo" => "Titolo dell'evento",
        "procedura" => "Tipologia dell'evento",
        "data_inizio" => "Data di inizio",
        "data_fine" => "Data di fine",
        "sponsorizzato" => "Sponsorizzato o finanziato",
        "request_kind" => "Tipo di accreditamento",
        "note" => "Nota",
        "action" => "Azione",
        "amount" => "Importo",
        "valid_from" => "Valido dal",
        "reason" => "Motivo dell'annullamento",
        "due_reason" => "Motivo della proroga",
        "new_due_date" => "Nuova scadenza",
        "class_reason" => "Motivo della correzione",
        "sections" => "Sezioni da riaprire",
        "debt_id" => "Contributo",
        "value_date" => "Data valuta",
        "paid_amount" => "Importo pagato",
        "cro_trn" => "CRO / TRN",
        "paying_body" => "Ente pagante",
        "file" => "Quietanza (PDF)",
        "accept_note" => "Nota di accettazione",
        "refuse_reason" => "Motivo del rifiuto",
        "treasury_reason" => "Motivo",
        "payer_email" => "E-mail del pagatore",
        "notice_payer_email" => "E-mail del pagatore",
        "notice_debt" => "Contributo da pagare con l'avviso",
        other => other,
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.field, self.rule)
    }
}

/// An e-mail address, trimmed and lower-cased. The check is deliberately pragmatic
/// (one `@`, a dotted domain, no spaces): the real proof is a message that arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(FieldError::new("email", FieldRule::Required));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new("email", FieldRule::TooLong));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(FieldError::new("email", FieldRule::EmailFormat));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || !domain_ok || value.chars().any(char::is_whitespace) {
            return Err(FieldError::new("email", FieldRule::EmailFormat));
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A new password that satisfies the portal's policy. Its `Debug` never prints the value.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(password: &str, confirmation: &str) -> Result<Self, FieldError> {
        let count = password.chars().count();
        if count == 0 {
            return Err(FieldError::new("password", FieldRule::Required));
        }
        if count < PASSWORD_MIN_CHARS {
            return Err(FieldError::new("password", FieldRule::PasswordTooShort));
        }
        if count > PASSWORD_MAX_CHARS {
            return Err(FieldError::new("password", FieldRule::PasswordTooLong));
        }
        let has_letter = password.chars().any(char::is_alphabetic);
        let has_digit = password.chars().any(|c| c.is_ascii_digit());
        if !has_letter || !has_digit {
            return Err(FieldError::new("password", FieldRule::PasswordTooWeak));
        }
        if password != confirmation {
            return Err(FieldError::new("password_confirm", FieldRule::PasswordMismatch));
        }
        Ok(NewPassword(password.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// The name shown for an account (referente), 1..=100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(FieldError::new("display_name", FieldRule::Required));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(FieldError::new("display_name", FieldRule::TooLong));
        }
        Ok(DisplayName(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fiscal code as typed, normalised (upper case, no spaces) and checked by `valid`; `rule` is
/// the error when the check fails.
fn parse_fiscal(field: &str, input: &str, rule: FieldRule, valid: impl Fn(&str) -> bool) -> Result<String, FieldError> {
    let value = fiscal::normalize_fiscal_code(input);
    if value.is_empty() {
        return Err(FieldError::new(field, FieldRule::Required));
    }
    if !valid(&value) {
        return Err(FieldError::new(field, rule));
    }
    Ok(value)
}

/// A codice fiscale: 16-character personal code (check character verified, omocodia allowed)
/// or 11-digit numeric code of a legal person (check digit verified). Upper-cased, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodiceFiscale(String);

impl CodiceFiscale {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        parse_fiscal(field, input, FieldRule::CodiceFiscale, |v| fiscal::validate_codice_fiscale(v).is_ok())
            .map(CodiceFiscale)
    }

    /// A natural person's code (16 characters), as required for a legal representative.
    pub fn parse_personal(field: &str, input: &str) -> Result<Self, FieldError> {
        let code = CodiceFiscale::parse(field, input)?;
        if code.0.len() != 16 {
            return Err(FieldError::new(field, FieldRule::CodiceFiscale));
        }
        Ok(code)
    }

    pub fn is_personal(&self) -> bool {
        self.0.len() == 16
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partita IVA: 11 digits with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartitaIva(String);

impl PartitaIva {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        parse_fiscal(field, input, FieldRule::PartitaIva, |v| fiscal::validate_partita_iva(v).is_ok()).map(PartitaIva)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims and collapses whitespace; required text of at most `max` characters.
pub fn required_text(field: &str, input: &str, max: usize) -> Result<String, FieldError> {
    let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(FieldError::new(field, FieldRule::Required));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, FieldRule::TooLong));
    }
    Ok(value)
}

/// Percent-encodes every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`):
/// for query values and for RFC 5987 `filename*` parameters.
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A retry schedule: `min` after the first failure, doubled after each further one, never more
/// than `max` (the reconciler's checks, the mail worker's tries).
pub fn doubling_backoff(min: std::time::Duration, max: std::time::Duration, failures: i64) -> std::time::Duration {
    let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 31)).unwrap_or(31);
    min.saturating_mul(1u32 << doublings).min(max)
}

/// An enum of fixed codes: each variant with the code it travels as (in a URL, a form, the
/// database) and its Italian label. Gives `ALL` (in the declared order), `code`, `from_code`
/// (`None` for an unknown code) and `label_it`; further methods go in an `impl` of their own.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = ($code:literal, $label:literal)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                $name::ALL.into_iter().find(|v| v.code() == code)
            }

            pub fn label_it(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }
    };
}
pub(crate) use coded_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backoff_doubles_from_the_minimum_up_to_the_maximum() {
        use std::time::Duration;
        let (min, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        let waits: Vec<u64> = (0..=9).map(|n| doubling_backoff(min, max, n).as_secs()).collect();
        assert_eq!(waits, [30, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(doubling_backoff(min, max, i64::MAX), max, "no overflow after many failures");
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Mario.Rossi@Example.ORG ").unwrap();
        assert_eq!(email.as_str(), "mario.rossi@example.org");
    }

    #[test]
    fn email_without_at_or_dotted_domain_is_refused() {
        for bad in ["mario", "mario@", "@example.org", "mario@example", "ma rio@example.org", "a@b..it", "a@.b.it"] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.rule, FieldRule::EmailFormat, "{bad}");
        }
        assert_eq!(Email::parse("   ").unwrap_err().rule, FieldRule::Required);
    }

    #[test]
    fn password_policy_names_the_broken_rule() {
        assert_eq!(NewPassword::parse("", "").unwrap_err().rule, FieldRule::Required);
        assert_eq!(NewPassword::parse("abc123", "abc123").unwrap_err().rule, FieldRule::PasswordTooShort);
        assert_eq!(NewPassword::parse("abcdefghijkl", "abcdefghijkl").unwrap_err().rule, FieldRule::PasswordTooWeak);
        assert_eq!(NewPassword::parse("1234567890", "1234567890").unwrap_err().rule, FieldRule::PasswordTooWeak);
        let mismatch = NewPassword::parse("Password2026", "Password2027").unwrap_err();
        assert_eq!((mismatch.field.as_str(), mismatch.rule), ("password_confirm", FieldRule::PasswordMismatch));
        assert!(NewPassword::parse("Password2026", "Password2026").is_ok());
    }

    #[test]
    fn password_debug_does_not_reveal_the_value() {
        let password = NewPassword::parse("Segreto2026xyz", "Segreto2026xyz").unwrap();
        assert!(!format!("{password:?}").contains("Segreto2026xyz"));
    }

    #[test]
    fn codice_fiscale_is_normalised_and_checked() {
        let cf = CodiceFiscale::parse("codice_fiscale", " rssmra80a01h501u ").unwrap();
        assert_eq!(cf.as_str(), "RSSMRA80A01H501U");
        assert!(cf.is_personal());
        let numeric = CodiceFiscale::parse("codice_fiscale", "80007580279").unwrap();
        assert!(!numeric.is_personal());
        let bad = CodiceFiscale::parse("codice_fiscale", "RSSMRA80A01H501V").unwrap_err();
        assert_eq!(bad.rule, FieldRule::CodiceFiscale);
        let company_as_person = CodiceFiscale::parse_personal("legale_codice_fiscale", "80007580279").unwrap_err();
        assert_eq!(company_as_person.rule, FieldRule::CodiceFiscale);
    }

    #[test]
    fn partita_iva_check_digit_is_verified() {
        assert_eq!(PartitaIva::parse("partita_iva", "80007580279").unwrap().as_str(), "80007580279");
        assert_eq!(PartitaIva::parse("partita_iva", "80007580278").unwrap_err().rule, FieldRule::PartitaIva);
        assert_eq!(PartitaIva::parse("partita_iva", "").unwrap_err().rule, FieldRule::Required);
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(percent_encode("ulss 3 & co"), "ulss%203%20%26%20co");
        assert_eq!(percent_encode("qualità.pdf"), "qualit%C3%A0.pdf");
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn display_name_collapses_whitespace_and_is_required() {
        assert_eq!(DisplayName::parse("  Anna   Bianchi ").unwrap().as_str(), "Anna Bianchi");
        assert_eq!(DisplayName::parse(" ").unwrap_err().rule, FieldRule::Required);
        assert_eq!(DisplayName::parse(&"x".repeat(101)).unwrap_err().rule, FieldRule::TooLong);
    }
}
