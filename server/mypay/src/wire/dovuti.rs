//! The `Dovuti` document sent (base64-encoded) in `paaSILInviaDovuti`.
//!
//! [`build_dovuti`] validates a [`Cart`] against every rule of `PagInf_Dovuti_Pagati_6_2_0.xsd`
//! and the MyPay checks the portal can verify locally (docs/mypay.md §4.2, §4.3), then writes the
//! XML. Nothing is sent that MyPay would refuse for a reason we can know in advance.
//!
//! Traps handled here (docs/mypay.md §11; a bare §n is a section of that page):
//! * T3 – every element is in the `pay_i` namespace (`elementFormDefault="qualified"`); we write a
//!   default `xmlns=` on the root so all descendants are qualified.
//! * T5 – amounts are integer cents formatted with exactly two decimals, 0.01..=999999999.99.
//! * T6 – elements are written in XSD sequence order.
//! * T7 – IUD 1..=35 characters, not blank, not starting with `000`, unique inside the cart
//!   (MyPay does not check in-request duplicates at SOAP time, the checkout then fails in front
//!   of the user, §4.3). Permanent uniqueness across carts is the caller's job.
//! * T8 – no IUV is ever written.
//! * T9 – 1..=5 debts, one payer.
//! * T10 – text limits (stText70/35/16/2, tipo dovuto 64, causale 1024), province exactly two
//!   letters, country `[A-Z]{2}`, `datiSpecificiRiscossione` `[0129]/\S{3,138}`.
//! * T16 – UTF-8 with an XML declaration; characters that XML 1.0 cannot carry are refused.
//!
//! Optional `commissioneCaricoPA`, `datiMarcaBolloDigitale` and `bilancio` are not supported:
//! MyPay does not carry `commissioneCaricoPA` into the cart (\[INFERRED\] in §4.2, so sending it
//! would suggest an effect it does not have), the digital stamp needs a special tipo dovuto, and
//! `bilancio` is not needed by the portal.
//!
//! The payer identifier is checked like MyPay does (§4.3 steps 8/8b): codice fiscale check
//! character for `F` (or an 11-digit numeric code), partita IVA check digit for `G`.
//! `ANONIMO` is refused: it is only accepted by MyPay when every tipo dovuto of the cart has the
//! "CF anonimo" flag, which the portal cannot know.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::amount::AmountCents;
use super::fiscal::{validate_codice_fiscale, validate_partita_iva, FiscalError};
use super::xml::{is_xml_char, ns, XmlWriter};

/// `versioneOggetto` written in every `Dovuti` (the value MyPay itself uses, §4.2).
pub const VERSIONE_OGGETTO: &str = "6.2.0";
/// `tipoVersamento` written in every `Dovuti` (all payment methods, §4.2).
pub const TIPO_VERSAMENTO: &str = "ALL";
/// Maximum number of debts per cart (`maxOccurs="5"`, trap T9).
pub const MAX_DEBTS: usize = 5;

/// Kind of payer identifier (`tipoIdentificativoUnivoco`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayerKind {
    /// `F` – natural person (persona fisica).
    Natural,
    /// `G` – legal person (persona giuridica).
    Legal,
}

impl PayerKind {
    /// Wire code `F` / `G`.
    pub fn code(self) -> &'static str {
        match self {
            PayerKind::Natural => "F",
            PayerKind::Legal => "G",
        }
    }

    /// Parses the wire code `F` / `G`.
    pub fn from_code(code: &str) -> Option<PayerKind> {
        match code {
            "F" => Some(PayerKind::Natural),
            "G" => Some(PayerKind::Legal),
            _ => None,
        }
    }
}

/// The payer (`soggettoPagatore`, XSD `ctSoggettoPagatore`). Also used for the payer recorded
/// in `Pagati`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    /// `tipoIdentificativoUnivoco`.
    pub kind: PayerKind,
    /// `codiceIdentificativoUnivoco`: codice fiscale (F) or partita IVA (G), upper case.
    pub id_code: String,
    /// `anagraficaPagatore`: name or company name, 1..=70 characters.
    pub name: String,
    /// `indirizzoPagatore`, 1..=70.
    pub address: Option<String>,
    /// `civicoPagatore`, 1..=16.
    pub civic_number: Option<String>,
    /// `capPagatore`, 1..=16.
    pub postal_code: Option<String>,
    /// `localitaPagatore`, 1..=35.
    pub city: Option<String>,
    /// `provinciaPagatore`: exactly two upper-case letters.
    pub province: Option<String>,
    /// `nazionePagatore`: ISO 3166 alpha-2, `[A-Z]{2}`.
    pub country: Option<String>,
    /// `e-mailPagatore`: XSD `stEMail`, ≤ 256.
    pub email: Option<String>,
}

/// One debt (`datiSingoloVersamento`, XSD `ctDatiSingoloVersamentoDovuti`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debt {
    /// `identificativoUnivocoDovuto` (IUD): the portal's id of the debt, fresh per attempt.
    pub iud: String,
    /// `importoSingoloVersamento`.
    pub amount: AmountCents,
    /// `identificativoTipoDovuto`, 1..=64, as configured for the Ente in MyPay.
    pub tipo_dovuto: String,
    /// `causaleVersamento`, non-blank, ≤ 1024 (keep it ≤ ~90 ASCII chars, trap T10).
    pub causale: String,
    /// `datiSpecificiRiscossione`, `[0129]/\S{3,138}` (e.g. `9/0301109AP`).
    pub dati_specifici_riscossione: String,
}

/// A cart: one payer, 1..=5 debts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub payer: Payer,
    pub debts: Vec<Debt>,
}

impl Cart {
    /// Sum of the debt amounts; `None` on overflow.
    pub fn total(&self) -> Option<AmountCents> {
        self.debts.iter().try_fold(AmountCents::ZERO, |acc, d| acc.checked_add(d.amount))
    }

    /// `(IUD, amount)` pairs, as expected by [`super::soap::match_cart`].
    pub fn expected_lines(&self) -> Vec<(String, AmountCents)> {
        self.debts.iter().map(|d| (d.iud.clone(), d.amount)).collect()
    }
}

/// The field a validation error refers to. Debt fields carry the 0-based debt index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    PayerIdCode,
    PayerName,
    PayerAddress,
    PayerCivicNumber,
    PayerPostalCode,
    PayerCity,
    PayerProvince,
    PayerCountry,
    PayerEmail,
    Iud(usize),
    Amount(usize),
    TipoDovuto(usize),
    Causale(usize),
    DatiSpecificiRiscossione(usize),
}

impl Field {
    /// The MyPay element name the field is written to.
    pub fn wire_name(self) -> &'static str {
        match self {
            Field::PayerIdCode => "codiceIdentificativoUnivoco",
            Field::PayerName => "anagraficaPagatore",
            Field::PayerAddress => "indirizzoPagatore",
            Field::PayerCivicNumber => "civicoPagatore",
            Field::PayerPostalCode => "capPagatore",
            Field::PayerCity => "localitaPagatore",
            Field::PayerProvince => "provinciaPagatore",
            Field::PayerCountry => "nazionePagatore",
            Field::PayerEmail => "e-mailPagatore",
            Field::Iud(_) => "identificativoUnivocoDovuto",
            Field::Amount(_) => "importoSingoloVersamento",
            Field::TipoDovuto(_) => "identificativoTipoDovuto",
            Field::Causale(_) => "causaleVersamento",
            Field::DatiSpecificiRiscossione(_) => "datiSpecificiRiscossione",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Iud(i)
            | Field::Amount(i)
            | Field::TipoDovuto(i)
            | Field::Causale(i)
            | Field::DatiSpecificiRiscossione(i) => {
                write!(f, "datiSingoloVersamento[{}].{}", i + 1, self.wire_name())
            }
            _ => write!(f, "soggettoPagatore.{}", self.wire_name()),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Empty string where 1+ characters are required (XSD `minLength=1`).
    Empty,
    /// Only whitespace where MyPay requires real content.
    Blank,
    /// Longer than the XSD `maxLength`.
    TooLong { max: usize, actual: usize },
    /// Not exactly the required number of characters.
    WrongLength { expected: usize, actual: usize },
    /// Does not match the required pattern (described in the payload).
    Pattern(&'static str),
    /// Contains a character XML 1.0 cannot carry, or a control character.
    InvalidCharacter,
    /// IUD starting with `000` (refused by MyPay, `Utilities.validaIUD`).
    IudStartsWithZeros,
    /// IUD already used by an earlier debt of the same cart.
    DuplicateIud,
    /// Amount outside 0.01..=999999999.99.
    AmountOutOfRange,
    /// The payer identifier fails the fiscal-code check.
    Fiscal(FiscalError),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => write!(f, "must not be empty"),
            Problem::Blank => write!(f, "must not be blank"),
            Problem::TooLong { max, actual } => {
                write!(f, "too long ({actual} characters, at most {max})")
            }
            Problem::WrongLength { expected, actual } => {
                write!(f, "must be exactly {expected} characters (got {actual})")
            }
            Problem::Pattern(p) => write!(f, "does not match {p}"),
            Problem::InvalidCharacter => write!(f, "contains a control or non-XML character"),
            Problem::IudStartsWithZeros => write!(f, "must not start with 000"),
            Problem::DuplicateIud => write!(f, "duplicates an IUD of the same cart"),
            Problem::AmountOutOfRange => write!(f, "must be between 0.01 and 999999999.99"),
            Problem::Fiscal(e) => write!(f, "invalid fiscal code: {e}"),
        }
    }
}

/// Why a cart cannot be turned into a `Dovuti` document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DovutiError {
    /// The cart has no debts (`minOccurs=1`).
    #[error("the cart has no debts")]
    NoDebts,
    /// More than [`MAX_DEBTS`] debts.
    #[error("the cart has {count} debts, at most {MAX_DEBTS} are allowed")]
    TooManyDebts { count: usize },
    /// A field violates a rule.
    #[error("{field}: {problem}")]
    Invalid { field: Field, problem: Problem },
}

fn invalid(field: Field, problem: Problem) -> DovutiError {
    DovutiError::Invalid { field, problem }
}

/// A validated `Dovuti` document (UTF-8 XML with declaration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DovutiXml(String);

impl DovutiXml {
    /// Wraps a document that did NOT go through [`build_dovuti`]. Only for tests and the
    /// simulator, which must be able to send what MyPay refuses.
    pub fn from_unchecked(xml: String) -> Self {
        DovutiXml(xml)
    }

    /// The XML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The XML bytes (UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Single standard base64 of the bytes, as sent in the `dovuti` element (T1: requests are
    /// single-encoded).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes())
    }
}

/// Checks a text value for the `stTextN` XSD types: 1..=max characters (counted as Unicode
/// scalar values, like XSD `length`), and no control / non-XML characters.
fn check_text(field: Field, value: &str, max: usize) -> Result<(), DovutiError> {
    match text_problem(value, max) {
        Some(problem) => Err(invalid(field, problem)),
        None => Ok(()),
    }
}

/// What is wrong with a value of an `stTextN` field (1..=`max` characters), if anything. Shared
/// with the `Versamento` builder.
pub(crate) fn text_problem(value: &str, max: usize) -> Option<Problem> {
    if value.is_empty() {
        return Some(Problem::Empty);
    }
    // Control characters (including TAB/CR/LF) are refused in every field: XML 1.0 cannot carry
    // most of them, CR would be normalised away by the receiver, and pagoPA rejects them in
    // causali. Safer to refuse than to have MyPay strip them (T16).
    if value.chars().any(|c| c.is_control() || !is_xml_char(c)) {
        return Some(Problem::InvalidCharacter);
    }
    let actual = value.chars().count();
    if actual > max {
        return Some(Problem::TooLong { max, actual });
    }
    None
}

fn check_opt_text(field: Field, value: Option<&str>, max: usize) -> Result<(), DovutiError> {
    match value {
        Some(v) => check_text(field, v, max),
        None => Ok(()),
    }
}

fn check_not_blank(field: Field, value: &str) -> Result<(), DovutiError> {
    if value.trim().is_empty() {
        return Err(invalid(field, Problem::Blank));
    }
    Ok(())
}

/// XSD `stEMail`: `[a-zA-Z0-9_!#$%&'*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+`, at most 256 characters.
pub fn is_valid_email(email: &str) -> bool {
    if email.chars().count() > 256 {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok =
        !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"_!#$%&'*+/=?`{|}~^.-".contains(&b));
    let domain_ok = !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    local_ok && domain_ok
}

/// `[0129]/\S{3,138}` (XSD `stDatiSpecificiRiscossione`). `\S` is "not XML whitespace"; we also
/// refuse any Unicode whitespace or control character (Java's `\S`, used by MyPay's own check,
/// differs slightly; refusing the union is the safe side).
pub fn is_valid_dati_specifici_riscossione(value: &str) -> bool {
    let mut chars = value.chars();
    let (Some(first), Some(slash)) = (chars.next(), chars.next()) else {
        return false;
    };
    let rest: Vec<char> = chars.collect();
    matches!(first, '0' | '1' | '2' | '9')
        && slash == '/'
        && (3..=138).contains(&rest.len())
        && rest.iter().all(|c| !c.is_whitespace() && !c.is_control() && is_xml_char(*c))
}

/// Validates the payer (shared with the `Versamento` builder); errors name a payer [`Field`].
pub(crate) fn validate_payer(payer: &Payer) -> Result<(), DovutiError> {
    check_text(Field::PayerIdCode, &payer.id_code, 35)?;
    let fiscal = match payer.kind {
        PayerKind::Natural => validate_codice_fiscale(&payer.id_code),
        PayerKind::Legal => validate_partita_iva(&payer.id_code),
    };
    fiscal.map_err(|e| invalid(Field::PayerIdCode, Problem::Fiscal(e)))?;

    check_text(Field::PayerName, &payer.name, 70)?;
    // MyPay requires a non-empty name only for showMyPay=NONE (§4.3 step 10), but a blank name
    // on a receipt is never useful: refuse it always.
    check_not_blank(Field::PayerName, &payer.name)?;
    check_opt_text(Field::PayerAddress, payer.address.as_deref(), 70)?;
    check_opt_text(Field::PayerCivicNumber, payer.civic_number.as_deref(), 16)?;
    check_opt_text(Field::PayerPostalCode, payer.postal_code.as_deref(), 16)?;
    check_opt_text(Field::PayerCity, payer.city.as_deref(), 35)?;

    if let Some(province) = payer.province.as_deref() {
        // XSD stText2 = exactly 2 characters; MyPay upper-cases it. We require two upper-case
        // ASCII letters so that what we send is what MyPay stores.
        let actual = province.chars().count();
        if actual != 2 {
            return Err(invalid(Field::PayerProvince, Problem::WrongLength { expected: 2, actual }));
        }
        if !province.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(Field::PayerProvince, Problem::Pattern("[A-Z]{2}")));
        }
    }
    if let Some(country) = payer.country.as_deref() {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(Field::PayerCountry, Problem::Pattern("[A-Z]{2}")));
        }
    }
    if let Some(email) = payer.email.as_deref() {
        check_text(Field::PayerEmail, email, 256)?;
        if !is_valid_email(email) {
            return Err(invalid(Field::PayerEmail, Problem::Pattern("stEMail")));
        }
    }
    Ok(())
}

fn validate_debt(i: usize, debt: &Debt, seen: &mut HashSet<String>) -> Result<(), DovutiError> {
    check_text(Field::Iud(i), &debt.iud, 35)?;
    check_not_blank(Field::Iud(i), &debt.iud)?;
    if debt.iud.starts_with("000") {
        return Err(invalid(Field::Iud(i), Problem::IudStartsWithZeros));
    }
    if !seen.insert(debt.iud.clone()) {
        return Err(invalid(Field::Iud(i), Problem::DuplicateIud));
    }
    if !debt.amount.is_valid_dovuto() {
        return Err(invalid(Field::Amount(i), Problem::AmountOutOfRange));
    }
    check_text(Field::TipoDovuto(i), &debt.tipo_dovuto, 64)?;
    check_text(Field::Causale(i), &debt.causale, 1024)?;
    check_not_blank(Field::Causale(i), &debt.causale)?;
    if !is_valid_dati_specifici_riscossione(&debt.dati_specifici_riscossione) {
        return Err(invalid(Field::DatiSpecificiRiscossione(i), Problem::Pattern("[0129]/\\S{3,138}")));
    }
    Ok(())
}

/// Validates a cart without producing XML.
pub fn validate_cart(cart: &Cart) -> Result<(), DovutiError> {
    if cart.debts.is_empty() {
        return Err(DovutiError::NoDebts);
    }
    if cart.debts.len() > MAX_DEBTS {
        return Err(DovutiError::TooManyDebts { count: cart.debts.len() });
    }
    validate_payer(&cart.payer)?;
    let mut seen = HashSet::new();
    for (i, debt) in cart.debts.iter().enumerate() {
        validate_debt(i, debt, &mut seen)?;
    }
    // Every amount ≤ 999999999.99 and ≤ 5 debts, so the total cannot overflow i64.
    Ok(())
}

/// Validates the cart and writes the `Dovuti` document (UTF-8, XML declaration, default
/// namespace, 2-space indentation, XSD element order, no IUV).
pub fn build_dovuti(cart: &Cart) -> Result<DovutiXml, DovutiError> {
    validate_cart(cart)?;
    let p = &cart.payer;
    let mut w = XmlWriter::new(true);
    w.declaration();
    w.start("Dovuti", &[("xmlns", ns::PAY_I)]);
    w.text_element("versioneOggetto", VERSIONE_OGGETTO);
    write_payer(&mut w, "soggettoPagatore", p);
    w.start("datiVersamento", &[]);
    w.text_element("tipoVersamento", TIPO_VERSAMENTO);
    // identificativoUnivocoVersamento (IUV) is deliberately never written (T8).
    for d in &cart.debts {
        w.start("datiSingoloVersamento", &[]);
        w.text_element("identificativoUnivocoDovuto", &d.iud);
        w.text_element("importoSingoloVersamento", &d.amount.to_wire_string());
        w.text_element("identificativoTipoDovuto", &d.tipo_dovuto);
        w.text_element("causaleVersamento", &d.causale);
        w.text_element("datiSpecificiRiscossione", &d.dati_specifici_riscossione);
        w.end("datiSingoloVersamento");
    }
    w.end("datiVersamento");
    w.end("Dovuti");
    Ok(DovutiXml(w.finish()))
}

/// Writes a `ctSoggettoPagatore` (unprefixed names; the caller sets the default namespace).
pub fn write_payer(w: &mut XmlWriter, element: &str, p: &Payer) {
    w.start(element, &[]);
    w.start("identificativoUnivocoPagatore", &[]);
    w.text_element("tipoIdentificativoUnivoco", p.kind.code());
    w.text_element("codiceIdentificativoUnivoco", &p.id_code);
    w.end("identificativoUnivocoPagatore");
    w.text_element("anagraficaPagatore", &p.name);
    w.opt_text_element("indirizzoPagatore", p.address.as_deref());
    w.opt_text_element("civicoPagatore", p.civic_number.as_deref());
    w.opt_text_element("capPagatore", p.postal_code.as_deref());
    w.opt_text_element("localitaPagatore", p.city.as_deref());
    w.opt_text_element("provinciaPagatore", p.province.as_deref());
    w.opt_text_element("nazionePagatore", p.country.as_deref());
    w.opt_text_element("e-mailPagatore", p.email.as_deref());
    w.end(element);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_cart() -> Cart {
        crate::wire::samples::example_a_cart()
    }

    /// Builds and validates with xmllint (every Dovuti built by the tests is XSD-checked).
    fn build_valid(cart: &Cart) -> DovutiXml {
        let xml = build_dovuti(cart).expect("cart should be accepted");
        crate::wire::xsd_check::assert_xsd_valid(xml.as_bytes());
        xml
    }

    fn err_of(mutate: impl FnOnce(&mut Cart)) -> DovutiError {
        let mut cart = sample_cart();
        mutate(&mut cart);
        build_dovuti(&cart).expect_err("cart should be rejected")
    }

    fn field_err(field: Field, problem: Problem) -> DovutiError {
        DovutiError::Invalid { field, problem }
    }

    #[test]
    fn sample_is_valid_and_has_no_iuv() {
        let xml = build_valid(&sample_cart());
        assert!(xml.as_str().starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Dovuti xmlns="));
        assert!(!xml.as_str().contains("identificativoUnivocoVersamento"));
        assert!(xml.as_str().contains("<importoSingoloVersamento>100.00</importoSingoloVersamento>"));
        assert_eq!(sample_cart().total(), Some(AmountCents(15000)));
    }

    #[test]
    fn debt_count_rules() {
        assert_eq!(err_of(|c| c.debts.clear()), DovutiError::NoDebts);
        let e = err_of(|c| {
            let d = c.debts[0].clone();
            c.debts = (0..6).map(|i| Debt { iud: format!("X-{i}"), ..d.clone() }).collect();
        });
        assert_eq!(e, DovutiError::TooManyDebts { count: 6 });
        let mut five = sample_cart();
        let d = five.debts[0].clone();
        five.debts = (0..5).map(|i| Debt { iud: format!("X-{i}"), ..d.clone() }).collect();
        build_valid(&five);
    }

    #[test]
    fn iud_rules() {
        assert_eq!(err_of(|c| c.debts[0].iud.clear()), field_err(Field::Iud(0), Problem::Empty));
        assert_eq!(err_of(|c| c.debts[1].iud = "   ".into()), field_err(Field::Iud(1), Problem::Blank));
        assert_eq!(
            err_of(|c| c.debts[0].iud = "A".repeat(36)),
            field_err(Field::Iud(0), Problem::TooLong { max: 35, actual: 36 })
        );
        assert_eq!(err_of(|c| c.debts[0].iud = "000123".into()), field_err(Field::Iud(0), Problem::IudStartsWithZeros));
        assert_eq!(
            err_of(|c| c.debts[1].iud = c.debts[0].iud.clone()),
            field_err(Field::Iud(1), Problem::DuplicateIud)
        );
        assert_eq!(err_of(|c| c.debts[0].iud = "A\u{1}B".into()), field_err(Field::Iud(0), Problem::InvalidCharacter));
        // 35 characters exactly, and "00" prefix is fine.
        let mut ok = sample_cart();
        ok.debts[0].iud = format!("00{}", "A".repeat(33));
        build_valid(&ok);
    }

    #[test]
    fn amount_rules() {
        assert_eq!(
            err_of(|c| c.debts[0].amount = AmountCents(0)),
            field_err(Field::Amount(0), Problem::AmountOutOfRange)
        );
        assert_eq!(
            err_of(|c| c.debts[1].amount = AmountCents(-100)),
            field_err(Field::Amount(1), Problem::AmountOutOfRange)
        );
        assert_eq!(
            err_of(|c| c.debts[0].amount = AmountCents(100_000_000_000)),
            field_err(Field::Amount(0), Problem::AmountOutOfRange)
        );
        let mut ok = sample_cart();
        ok.debts[0].amount = AmountCents(1);
        ok.debts[1].amount = AmountCents::MAX;
        let xml = build_valid(&ok);
        assert!(xml.as_str().contains(">0.01<") && xml.as_str().contains(">999999999.99<"));
    }

    #[test]
    fn tipo_dovuto_causale_dsr_rules() {
        assert_eq!(err_of(|c| c.debts[0].tipo_dovuto.clear()), field_err(Field::TipoDovuto(0), Problem::Empty));
        assert_eq!(
            err_of(|c| c.debts[0].tipo_dovuto = "T".repeat(65)),
            field_err(Field::TipoDovuto(0), Problem::TooLong { max: 64, actual: 65 })
        );
        assert_eq!(err_of(|c| c.debts[0].causale.clear()), field_err(Field::Causale(0), Problem::Empty));
        assert_eq!(err_of(|c| c.debts[1].causale = " \u{a0} ".into()), field_err(Field::Causale(1), Problem::Blank));
        assert_eq!(
            err_of(|c| c.debts[0].causale = "x".repeat(1025)),
            field_err(Field::Causale(0), Problem::TooLong { max: 1024, actual: 1025 })
        );
        assert_eq!(
            err_of(|c| c.debts[0].causale = "riga1\nriga2".into()),
            field_err(Field::Causale(0), Problem::InvalidCharacter)
        );
        let dsr = |v: &str| {
            let v = v.to_string();
            err_of(move |c| c.debts[0].dati_specifici_riscossione = v)
        };
        let dsr_err = field_err(Field::DatiSpecificiRiscossione(0), Problem::Pattern("[0129]/\\S{3,138}"));
        for bad in ["3/0301109AP", "9-0301109AP", "9/AB", "9/ABC DEF", "", "9/", &format!("9/{}", "A".repeat(139))] {
            assert_eq!(dsr(bad), dsr_err, "{bad:?}");
        }
        for good in ["0/ABC", "1/ABC", "2/ABC", "9/0301109AP", &format!("9/{}", "A".repeat(138))] {
            assert!(is_valid_dati_specifici_riscossione(good), "{good:?}");
        }
    }

    #[test]
    fn payer_rules() {
        assert_eq!(
            err_of(|c| c.payer.id_code = "RSSMRA80A01H501V".into()),
            field_err(Field::PayerIdCode, Problem::Fiscal(FiscalError::CheckCharacterMismatch))
        );
        assert_eq!(
            err_of(|c| c.payer.id_code = "ANONIMO".into()),
            field_err(Field::PayerIdCode, Problem::Fiscal(FiscalError::WrongLength { actual: 7 }))
        );
        assert_eq!(err_of(|c| c.payer.id_code.clear()), field_err(Field::PayerIdCode, Problem::Empty));
        // G requires a partita IVA: a personal code is refused, a valid P.IVA accepted.
        assert_eq!(
            err_of(|c| c.payer.kind = PayerKind::Legal),
            field_err(Field::PayerIdCode, Problem::Fiscal(FiscalError::WrongLength { actual: 16 }))
        );
        assert_eq!(
            err_of(|c| {
                c.payer.kind = PayerKind::Legal;
                c.payer.id_code = "80007580278".into();
            }),
            field_err(Field::PayerIdCode, Problem::Fiscal(FiscalError::CheckCharacterMismatch))
        );
        let mut legal = sample_cart();
        legal.payer.kind = PayerKind::Legal;
        legal.payer.id_code = "80007580279".into();
        build_valid(&legal);
        // F also accepts an 11-digit numeric code.
        let mut numeric = sample_cart();
        numeric.payer.id_code = "80007580279".into();
        build_valid(&numeric);

        assert_eq!(err_of(|c| c.payer.name.clear()), field_err(Field::PayerName, Problem::Empty));
        assert_eq!(err_of(|c| c.payer.name = "  ".into()), field_err(Field::PayerName, Problem::Blank));
        assert_eq!(
            err_of(|c| c.payer.name = "N".repeat(71)),
            field_err(Field::PayerName, Problem::TooLong { max: 70, actual: 71 })
        );
        assert_eq!(
            err_of(|c| c.payer.address = Some("A".repeat(71))),
            field_err(Field::PayerAddress, Problem::TooLong { max: 70, actual: 71 })
        );
        assert_eq!(err_of(|c| c.payer.address = Some(String::new())), field_err(Field::PayerAddress, Problem::Empty));
        assert_eq!(
            err_of(|c| c.payer.civic_number = Some("1".repeat(17))),
            field_err(Field::PayerCivicNumber, Problem::TooLong { max: 16, actual: 17 })
        );
        assert_eq!(
            err_of(|c| c.payer.postal_code = Some("3".repeat(17))),
            field_err(Field::PayerPostalCode, Problem::TooLong { max: 16, actual: 17 })
        );
        assert_eq!(
            err_of(|c| c.payer.city = Some("è".repeat(36))),
            field_err(Field::PayerCity, Problem::TooLong { max: 35, actual: 36 })
        );
        // 35 multi-byte characters are fine (lengths count characters, not bytes).
        let mut city = sample_cart();
        city.payer.city = Some("è".repeat(35));
        build_valid(&city);
        assert_eq!(
            err_of(|c| c.payer.province = Some("VEN".into())),
            field_err(Field::PayerProvince, Problem::WrongLength { expected: 2, actual: 3 })
        );
        assert_eq!(
            err_of(|c| c.payer.province = Some("ve".into())),
            field_err(Field::PayerProvince, Problem::Pattern("[A-Z]{2}"))
        );
        assert_eq!(
            err_of(|c| c.payer.country = Some("it".into())),
            field_err(Field::PayerCountry, Problem::Pattern("[A-Z]{2}"))
        );
        assert_eq!(
            err_of(|c| c.payer.country = Some("ITA".into())),
            field_err(Field::PayerCountry, Problem::Pattern("[A-Z]{2}"))
        );
        assert_eq!(
            err_of(|c| c.payer.email = Some("mario.rossi(at)example.org".into())),
            field_err(Field::PayerEmail, Problem::Pattern("stEMail"))
        );
        assert_eq!(
            err_of(|c| c.payer.email = Some(format!("{}@example.org", "a".repeat(250)))),
            field_err(Field::PayerEmail, Problem::TooLong { max: 256, actual: 262 })
        );
    }

    #[test]
    fn email_pattern() {
        assert!(is_valid_email("a.b+c@example.org"));
        assert!(is_valid_email("o'neil@x-y.it"));
        assert!(!is_valid_email("@example.org"));
        assert!(!is_valid_email("a@"));
        assert!(!is_valid_email("a@b@c"));
        assert!(!is_valid_email("à@example.org"));
    }

    #[test]
    fn escapes_text() {
        let mut cart = sample_cart();
        cart.payer.name = "Rossi & Figli <S.r.l.>".into();
        let xml = build_valid(&cart);
        assert!(xml.as_str().contains("<anagraficaPagatore>Rossi &amp; Figli &lt;S.r.l.&gt;</anagraficaPagatore>"));
    }

    #[test]
    fn error_display_names_field() {
        let e = err_of(|c| c.debts[1].iud = "000X".into());
        assert_eq!(e.to_string(), "datiSingoloVersamento[2].identificativoUnivocoDovuto: must not start with 000");
        let e = err_of(|c| c.payer.province = Some("V".into()));
        assert_eq!(e.to_string(), "soggettoPagatore.provinciaPagatore: must be exactly 2 characters (got 1)");
    }
}
