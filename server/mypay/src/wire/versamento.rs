//! The `Versamento` document sent (base64-encoded) in `paaSILImportaDovuto`: one debt position
//! of one payer, plus the action MyPay must apply to it (docs/mypay-avvisi.md §1.2, §1.3; a bare
//! §n below is a section of that page).
//!
//! [`build_versamento`] validates a [`DebtPosition`] against the XSD (`ctVersamento`,
//! `ctDatiVersamento`) and the checks MyPay applies afterwards that the portal can know in advance
//! (§1.4), then writes the XML exactly like the reference examples (§8.1): UTF-8 with a
//! declaration, default namespace on the root, 2-space indentation, XSD sequence order and a final
//! newline.
//!
//! Differences from the `Dovuti` document of `paaSILInviaDovuti` (traps A15, §1.2):
//! * one debt, directly under `datiVersamento` (no `datiSingoloVersamento` list);
//! * `dataEsecuzionePagamento` (the due date) exists and is optional;
//! * an IUV is allowed, and needed for action `M` of a debt that has a MyPay IUV (§1.3);
//! * `soggettoPagatore` and `identificativoUnivocoDovuto` are optional in the XSD but required
//!   by MyPay's code: both are always written;
//! * `azione` is `I`, `M`, `A` or `S` – the `9` documented in the XSD is refused by MyPay.
//!
//! The causale is limited to 140 characters rather than the XSD's 1024: pagoPA carries only 140
//! (and the notice prints 90), so a longer one would be cut silently on the receipt \[DESIGN\].
//! `commissioneCaricoPA` and `bilancio` are not supported (not needed by the portal).

use base64::Engine as _;
use std::fmt;
use time::Date;

use super::amount::AmountCents;
use super::dovuti::{
    is_valid_dati_specifici_riscossione, text_problem, validate_payer, write_payer, DovutiError, Field as CartField,
    Payer, Problem, TIPO_VERSAMENTO, VERSIONE_OGGETTO,
};
use super::iuv::Iuv;
use super::pagati::format_xsd_date;
use super::xml::{ns, XmlWriter};

/// Longest causale written (pagoPA's limit, see the module documentation).
pub const MAX_CAUSALE: usize = 140;

/// One debt position (a future payment notice) of one payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtPosition {
    /// `identificativoUnivocoDovuto` (IUD): the portal's key of the debt, permanent in MyPay
    /// (trap A3). 1..=35 characters, not starting with `000`.
    pub iud: String,
    /// `soggettoPagatore` (required by MyPay although optional in the XSD).
    pub payer: Payer,
    /// `importoSingoloVersamento`, 0.01..=999999999.99.
    pub amount: AmountCents,
    /// `dataEsecuzionePagamento`: the due date. Mandatory (and not in the past) when the tipo
    /// dovuto has "scadenza obbligatoria" in MyPay, printed only with "stampa data scadenza";
    /// otherwise pagoPA receives 2099-12-31 (trap A16).
    pub due_date: Option<Date>,
    /// `identificativoTipoDovuto`, as configured (and active) for the Ente in MyPay.
    pub tipo_dovuto: String,
    /// `causaleVersamento`, non-blank, at most [`MAX_CAUSALE`] characters; the notice prints
    /// the first 90.
    pub causale: String,
    /// `datiSpecificiRiscossione`, `[0129]/\S{3,138}`.
    pub dati_specifici_riscossione: String,
}

/// `azione` (docs/mypay-avvisi.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Azione {
    /// `I`: insert.
    Inserimento,
    /// `M`: modify an open debt (same IUD).
    Modifica,
    /// `A`: cancel an open debt (same IUD).
    Annullamento,
    /// `S`: print the notice of an existing debt with an Ente-generated IUV (unusable for MyPay
    /// IUVs, trap A1).
    Stampa,
}

impl Azione {
    pub fn code(self) -> &'static str {
        match self {
            Azione::Inserimento => "I",
            Azione::Modifica => "M",
            Azione::Annullamento => "A",
            Azione::Stampa => "S",
        }
    }

    pub fn from_code(code: &str) -> Option<Azione> {
        Some(match code {
            "I" => Azione::Inserimento,
            "M" => Azione::Modifica,
            "A" => Azione::Annullamento,
            "S" => Azione::Stampa,
            _ => return None,
        })
    }
}

/// The field a [`PositionError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PositionField {
    /// A payer field (same rules as in the cart of `paaSILInviaDovuti`).
    Payer(CartField),
    Iud,
    Amount,
    TipoDovuto,
    Causale,
    DatiSpecificiRiscossione,
    Iuv,
}

impl PositionField {
    /// The MyPay element name the field is written to.
    pub fn wire_name(self) -> &'static str {
        match self {
            PositionField::Payer(f) => f.wire_name(),
            PositionField::Iud => "identificativoUnivocoDovuto",
            PositionField::Amount => "importoSingoloVersamento",
            PositionField::TipoDovuto => "identificativoTipoDovuto",
            PositionField::Causale => "causaleVersamento",
            PositionField::DatiSpecificiRiscossione => "datiSpecificiRiscossione",
            PositionField::Iuv => "identificativoUnivocoVersamento",
        }
    }
}

impl fmt::Display for PositionField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PositionField::Payer(field) => write!(f, "{field}"),
            other => write!(f, "datiVersamento.{}", other.wire_name()),
        }
    }
}

/// Why a debt position cannot be sent to MyPay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct PositionError {
    pub field: PositionField,
    pub problem: Problem,
}

fn invalid(field: PositionField, problem: Problem) -> PositionError {
    PositionError { field, problem }
}

fn check_text(field: PositionField, value: &str, max: usize) -> Result<(), PositionError> {
    match text_problem(value, max) {
        Some(problem) => Err(invalid(field, problem)),
        None => Ok(()),
    }
}

fn check_not_blank(field: PositionField, value: &str) -> Result<(), PositionError> {
    if value.trim().is_empty() {
        return Err(invalid(field, Problem::Blank));
    }
    Ok(())
}

/// Validates a position without producing XML.
pub fn validate_position(p: &DebtPosition) -> Result<(), PositionError> {
    validate_payer(&p.payer).map_err(|e| match e {
        DovutiError::Invalid { field, problem } => invalid(PositionField::Payer(field), problem),
        // validate_payer only reports field problems; anything else is still a payer problem.
        _ => invalid(PositionField::Payer(CartField::PayerIdCode), Problem::Pattern("valid payer")),
    })?;
    check_text(PositionField::Iud, &p.iud, 35)?;
    check_not_blank(PositionField::Iud, &p.iud)?;
    if p.iud.starts_with("000") {
        return Err(invalid(PositionField::Iud, Problem::IudStartsWithZeros));
    }
    if !p.amount.is_valid_dovuto() {
        return Err(invalid(PositionField::Amount, Problem::AmountOutOfRange));
    }
    check_text(PositionField::TipoDovuto, &p.tipo_dovuto, 64)?;
    check_text(PositionField::Causale, &p.causale, MAX_CAUSALE)?;
    check_not_blank(PositionField::Causale, &p.causale)?;
    if !is_valid_dati_specifici_riscossione(&p.dati_specifici_riscossione) {
        return Err(invalid(PositionField::DatiSpecificiRiscossione, Problem::Pattern("[0129]/\\S{3,138}")));
    }
    Ok(())
}

/// A validated `Versamento` document (UTF-8 XML with declaration and final newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersamentoXml(String);

impl VersamentoXml {
    /// Wraps a document that did NOT go through [`build_versamento`] (tests, simulator, the
    /// client's `…_unchecked` method).
    pub fn from_unchecked(xml: String) -> Self {
        VersamentoXml(xml)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Single standard base64 of the bytes, as sent in the `dovuto` element (§0.2: MyPay also
    /// tolerates a second layer; we never send one).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes())
    }
}

/// Validates the position and writes the `Versamento` document with `azione` and, when given,
/// the IUV (`identificativoUnivocoVersamento`, written after `tipoVersamento` as the XSD wants).
///
/// The IUV, when given, must be a 17-digit MyPay IUV with valid check digits: the portal only
/// ever holds IUVs MyPay generated, and MyPay accepts those back only with `flagGeneraIuv=true`
/// (§1.4 step 6) – the caller of this function decides the flag.
pub fn build_versamento(p: &DebtPosition, azione: Azione, iuv: Option<&str>) -> Result<VersamentoXml, PositionError> {
    validate_position(p)?;
    if let Some(iuv) = iuv {
        Iuv::parse(iuv).map_err(|_| {
            invalid(PositionField::Iuv, Problem::Pattern("17-digit MyPay IUV with mod-93 check digits"))
        })?;
    }
    let mut w = XmlWriter::new(true);
    w.declaration();
    w.start("Versamento", &[("xmlns", ns::PAY_I)]);
    w.text_element("versioneOggetto", VERSIONE_OGGETTO);
    write_payer(&mut w, "soggettoPagatore", &p.payer);
    w.start("datiVersamento", &[]);
    if let Some(d) = p.due_date {
        w.text_element("dataEsecuzionePagamento", &format_xsd_date(d));
    }
    w.text_element("tipoVersamento", TIPO_VERSAMENTO);
    w.opt_text_element("identificativoUnivocoVersamento", iuv);
    w.text_element("identificativoUnivocoDovuto", &p.iud);
    w.text_element("importoSingoloVersamento", &p.amount.to_wire_string());
    w.text_element("identificativoTipoDovuto", &p.tipo_dovuto);
    w.text_element("causaleVersamento", &p.causale);
    w.text_element("datiSpecificiRiscossione", &p.dati_specifici_riscossione);
    w.end("datiVersamento");
    w.text_element("azione", azione.code());
    w.end("Versamento");
    let mut xml = w.finish();
    xml.push('\n');
    Ok(VersamentoXml(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DebtPosition {
        crate::wire::samples::golden_position()
    }

    fn err_of(mutate: impl FnOnce(&mut DebtPosition)) -> PositionError {
        let mut p = sample();
        mutate(&mut p);
        build_versamento(&p, Azione::Inserimento, None).expect_err("should be refused")
    }

    #[test]
    fn every_action_is_schema_valid() {
        for azione in [Azione::Inserimento, Azione::Modifica, Azione::Annullamento, Azione::Stampa] {
            let xml = build_versamento(&sample(), azione, None).unwrap();
            crate::wire::xsd_check::assert_xsd_valid(xml.as_bytes());
            assert!(xml.as_str().contains(&format!("<azione>{}</azione>", azione.code())));
            assert_eq!(Azione::from_code(azione.code()), Some(azione));
        }
        assert_eq!(Azione::from_code("9"), None);
        assert_eq!(Azione::from_code("i"), None);
        let mut no_date = sample();
        no_date.due_date = None;
        let xml = build_versamento(&no_date, Azione::Modifica, Some("01000000012345688")).unwrap();
        crate::wire::xsd_check::assert_xsd_valid(xml.as_bytes());
        assert!(!xml.as_str().contains("dataEsecuzionePagamento"));
        assert!(xml.as_str().contains(
            "<tipoVersamento>ALL</tipoVersamento>\n    <identificativoUnivocoVersamento>01000000012345688</identificativoUnivocoVersamento>\n    <identificativoUnivocoDovuto>"
        ));
        assert!(xml.as_str().ends_with("</Versamento>\n"));
    }

    #[test]
    fn rules() {
        use PositionField as F;
        assert_eq!(err_of(|p| p.iud = "000X".into()), invalid(F::Iud, Problem::IudStartsWithZeros));
        assert_eq!(err_of(|p| p.iud = " ".into()), invalid(F::Iud, Problem::Blank));
        assert_eq!(err_of(|p| p.iud = "I".repeat(36)), invalid(F::Iud, Problem::TooLong { max: 35, actual: 36 }));
        assert_eq!(err_of(|p| p.amount = AmountCents(0)), invalid(F::Amount, Problem::AmountOutOfRange));
        assert_eq!(err_of(|p| p.tipo_dovuto.clear()), invalid(F::TipoDovuto, Problem::Empty));
        assert_eq!(
            err_of(|p| p.causale = "c".repeat(141)),
            invalid(F::Causale, Problem::TooLong { max: 140, actual: 141 })
        );
        assert_eq!(err_of(|p| p.causale = "\u{a0}".into()), invalid(F::Causale, Problem::Blank));
        assert_eq!(
            err_of(|p| p.dati_specifici_riscossione = "3/ABC".into()),
            invalid(F::DatiSpecificiRiscossione, Problem::Pattern("[0129]/\\S{3,138}"))
        );
        let e = err_of(|p| p.payer.id_code = "RSSMRA80A01H501V".into());
        assert!(matches!(e.field, F::Payer(CartField::PayerIdCode)), "{e:?}");
        assert_eq!(e.to_string().split(':').next(), Some("soggettoPagatore.codiceIdentificativoUnivoco"));
        assert_eq!(build_versamento(&sample(), Azione::Modifica, Some("01000000012345689")).unwrap_err().field, F::Iuv);
        assert_eq!(
            invalid(F::Causale, Problem::Empty).to_string(),
            "datiVersamento.causaleVersamento: must not be empty"
        );
        // 140 characters exactly are fine.
        let mut long = sample();
        long.causale = "c".repeat(140);
        crate::wire::xsd_check::assert_xsd_valid(
            build_versamento(&long, Azione::Inserimento, None).unwrap().as_bytes(),
        );
    }
}
