//! MyPay's `PAA_*` fault codes (the one list of them: [`FAULT_CODES`]), the `fault` bean of
//! business errors (HTTP 200, T4, T19) and genuine SOAP Faults.

use std::fmt;

use crate::wire::xml::is_xml_whitespace;

/// Every `PAA_*` fault code the SIL operations of this crate can return (docs/mypay.md §10,
/// docs/mypay-avvisi.md §7), plus [`FaultCode::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FaultCode {
    EnteNonValido,
    StatoEnteNonValido,
    XmlNonValido,
    IuvNonValido,
    TipoVersamentoNonValido,
    CodiceFiscaleNonValido,
    PIvaNonValido,
    IudNonValido,
    IudDuplicato,
    IdentificativoTipoDovutoNonValido,
    IdentificativoTipoDovutoNonAbilitato,
    ImportoMarcaBolloDigitaleNonValida,
    MarcaBolloDigitaleNonValida,
    DatiSpecificiRiscossioneNonValido,
    ImportoSingoloVersamentoNonValido,
    ImportoBilancioNonValido,
    CausaleNonPresente,
    AnagraficaNonValida,
    IdSessionNonValido,
    PagamentoNonIniziato,
    PagamentoInCorso,
    PagamentoAnnullato,
    PagamentoScaduto,
    SystemError,
    // ---- paaSILImportaDovuto / paaSILVerificaAvviso (docs/mypay-avvisi.md §7) ----
    AzioneNonValido,
    SoggPagNonValorizzato,
    IdentTipoDovutoNonPresente,
    LimitazioneEntiSecondariError,
    /// `PAA_IUV_SCADUTO` (VerificaAvviso: due date passed).
    IuvScaduto,
    /// `PAA_IMPORT_IUD_DUPLICATO`: the IUD is active in MyPay (docs/mypay-avvisi.md trap A3).
    ImportIudDuplicato,
    ImportIuvDuplicato,
    ImportIuvNoNullable,
    ImportTipoDovutoNonModificabile,
    ImportDataScadenzaPagamentoObbligatoria,
    ImportDovutoNonPresente,
    ImportOperatoreNoPermessi,
    ImportCodTipoDovutoInesistente,
    /// Any other code, verbatim (may be empty when the fault had no `faultCode`).
    Unknown(String),
}

/// The one list of MyPay's `PAA_*` codes (docs/mypay.md §10, docs/mypay-avvisi.md §7): the wire
/// spelling of each [`FaultCode`]. The client reads faults with it and the simulator answers
/// (and accepts fault plans) with it.
pub const FAULT_CODES: [(&str, FaultCode); 37] = [
    ("PAA_ENTE_NON_VALIDO", FaultCode::EnteNonValido),
    ("PAA_STATO_ENTE_NON_VALIDO", FaultCode::StatoEnteNonValido),
    ("PAA_XML_NON_VALIDO", FaultCode::XmlNonValido),
    ("PAA_IUV_NON_VALIDO", FaultCode::IuvNonValido),
    ("PAA_TIPO_VERSAMENTO_NON_VALIDO", FaultCode::TipoVersamentoNonValido),
    ("PAA_CODICE_FISCALE_NON_VALIDO", FaultCode::CodiceFiscaleNonValido),
    ("PAA_P_IVA_NON_VALIDO", FaultCode::PIvaNonValido),
    ("PAA_IUD_NON_VALIDO", FaultCode::IudNonValido),
    ("PAA_IUD_DUPLICATO", FaultCode::IudDuplicato),
    ("PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO", FaultCode::IdentificativoTipoDovutoNonValido),
    ("PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO", FaultCode::IdentificativoTipoDovutoNonAbilitato),
    ("PAA_IMPORTO_MARCA_BOLLO_DIGITALE_NON_VALIDA", FaultCode::ImportoMarcaBolloDigitaleNonValida),
    ("PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA", FaultCode::MarcaBolloDigitaleNonValida),
    ("PAA_DATI_SPECIFICI_RISCOSSIONE_NON_VALIDO", FaultCode::DatiSpecificiRiscossioneNonValido),
    ("PAA_IMPORTO_SINGOLO_VERSAMENTO_NON_VALIDO", FaultCode::ImportoSingoloVersamentoNonValido),
    ("PAA_IMPORTO_BILANCIO_NON_VALIDO", FaultCode::ImportoBilancioNonValido),
    ("PAA_CAUSALE_NON_PRESENTE", FaultCode::CausaleNonPresente),
    ("PAA_ANAGRAFICA_NON_VALIDA", FaultCode::AnagraficaNonValida),
    ("PAA_ID_SESSION_NON_VALIDO", FaultCode::IdSessionNonValido),
    ("PAA_PAGAMENTO_NON_INIZIATO", FaultCode::PagamentoNonIniziato),
    ("PAA_PAGAMENTO_IN_CORSO", FaultCode::PagamentoInCorso),
    ("PAA_PAGAMENTO_ANNULLATO", FaultCode::PagamentoAnnullato),
    ("PAA_PAGAMENTO_SCADUTO", FaultCode::PagamentoScaduto),
    ("PAA_SYSTEM_ERROR", FaultCode::SystemError),
    ("PAA_AZIONE_NON_VALIDO", FaultCode::AzioneNonValido),
    ("PAA_SOGG_PAG_NON_VALORIZZATO", FaultCode::SoggPagNonValorizzato),
    ("PAA_IDENT_TIPO_DOVUTO_NON_PRESENTE", FaultCode::IdentTipoDovutoNonPresente),
    ("PAA_LIMITAZIONE_ENTI_SECONDARI_ERROR", FaultCode::LimitazioneEntiSecondariError),
    ("PAA_IUV_SCADUTO", FaultCode::IuvScaduto),
    ("PAA_IMPORT_IUD_DUPLICATO", FaultCode::ImportIudDuplicato),
    ("PAA_IMPORT_IUV_DUPLICATO", FaultCode::ImportIuvDuplicato),
    ("PAA_IMPORT_IUV_NO_NULLABLE", FaultCode::ImportIuvNoNullable),
    ("PAA_IMPORT_TIPO_DOVUTO_NON_MODIFICABILE", FaultCode::ImportTipoDovutoNonModificabile),
    ("PAA_IMPORT_DATA_SCADENZA_PAGAMENTO_OBBLIGATORIA", FaultCode::ImportDataScadenzaPagamentoObbligatoria),
    ("PAA_IMPORT_DOVUTO_NON_PRESENTE", FaultCode::ImportDovutoNonPresente),
    ("PAA_IMPORT_OPERATORE_NO_PERMESSI", FaultCode::ImportOperatoreNoPermessi),
    ("PAA_IMPORT_COD_TIPO_DOVUTO_INESISTENTE", FaultCode::ImportCodTipoDovutoInesistente),
];

impl FaultCode {
    /// The wire spelling of every known code, in the order of [`FAULT_CODES`].
    pub fn wire_codes() -> impl Iterator<Item = &'static str> {
        FAULT_CODES.iter().map(|(wire, _)| *wire)
    }

    /// The static wire spelling of `code` if it is exactly one of the known codes.
    pub fn known_wire_code(code: &str) -> Option<&'static str> {
        FaultCode::wire_codes().find(|wire| *wire == code)
    }

    /// Maps the wire code (surrounding whitespace ignored, case-sensitive like MyPay's
    /// constants).
    pub fn from_wire(code: &str) -> FaultCode {
        let code = code.trim_matches(is_xml_whitespace);
        FAULT_CODES
            .iter()
            .find(|(wire, _)| *wire == code)
            .map(|(_, fc)| fc.clone())
            .unwrap_or_else(|| FaultCode::Unknown(code.to_string()))
    }

    /// The wire code.
    pub fn as_str(&self) -> &str {
        match self {
            FaultCode::Unknown(s) => s,
            known => FAULT_CODES.iter().find(|(_, fc)| fc == known).map_or("", |(wire, _)| wire),
        }
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A MyPay business fault (`faultBean`, HTTP 200). Every field is optional on the wire (T19);
/// missing strings become empty / `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyPayFault {
    pub code: FaultCode,
    /// `faultString` (Italian message, §4.3/§6.2); empty if absent.
    pub fault_string: String,
    /// `id` = the `codIpaEnte` of the request; absent in some MyPay answers (T19).
    pub id: Option<String>,
    pub description: Option<String>,
    pub serial: Option<i32>,
    pub original_fault_code: Option<String>,
    pub original_fault_string: Option<String>,
    pub original_description: Option<String>,
}

/// A genuine SOAP 1.1 `Fault` (HTTP 500 from Spring-WS, §2.4): unexpected server exception,
/// missing header, maintenance block, …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// `faultcode` text as sent (a QName such as `SOAP-ENV:Server`).
    pub fault_code: String,
    pub fault_string: String,
    pub fault_actor: Option<String>,
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_code_roundtrips_and_is_distinct() {
        assert_eq!(FAULT_CODES.len(), 37);
        for (i, (wire, code)) in FAULT_CODES.iter().enumerate() {
            assert_eq!(&FaultCode::from_wire(wire), code);
            assert_eq!(code.as_str(), *wire);
            assert_eq!(FaultCode::from_wire(&format!("  {wire}\n")), *code);
            for (other_wire, other) in &FAULT_CODES[i + 1..] {
                assert_ne!(code, other, "{wire} vs {other_wire}");
            }
        }
        assert_eq!(FaultCode::from_wire("PAA_SEMANTICA"), FaultCode::Unknown("PAA_SEMANTICA".into()));
        assert_eq!(FaultCode::from_wire("paa_system_error"), FaultCode::Unknown("paa_system_error".into()));
        assert_eq!(FaultCode::Unknown("X".into()).to_string(), "X");
        assert_eq!(FaultCode::wire_codes().count(), 37);
        assert_eq!(FaultCode::known_wire_code("PAA_SYSTEM_ERROR"), Some("PAA_SYSTEM_ERROR"));
        assert_eq!(FaultCode::known_wire_code(" PAA_SYSTEM_ERROR"), None, "exact spelling only");
        assert_eq!(FaultCode::known_wire_code("PAA_SEMANTICA"), None);
    }
}
