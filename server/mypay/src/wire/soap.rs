//! SOAP 1.1 envelopes for `paaSILInviaDovuti`, `paaSILChiediPagati` and
//! `paaSILChiediPagatiConRicevuta`, and typed interpretation of every answer.
//!
//! Traps handled (docs/mypay.md §11 unless noted; a bare §n is a section of that page):
//! * T3 / §2.3 – only the payload root (`ente:paaSIL…`) and the header root
//!   (`ppthead:intestazionePPT`) are namespace-qualified; their children (`codIpaEnte`,
//!   `password`, `dovuti`, `esito`, `fault`, `faultCode`, …) are **unqualified**. Requests are
//!   written that way and responses are read that way, by namespace URI (any prefix accepted).
//! * T15 – `codIpaEnte` goes in the `intestazionePPT` header for InviaDovuti only, and in the
//!   body for the ChiediPagati operations, which have no header.
//! * T1 – `pagati` is double base64 on the wire; decoded robustly (once, then once more if the
//!   result is not XML but is base64). `rt` is single base64.
//! * T4 – business errors are HTTP 200 with a `<fault>` bean; ChiediPagati success has no
//!   `esito`; genuine SOAP Faults are reported as [`SoapFault`].
//! * T13 – `idSession` is opaque: any non-empty string is accepted, no UUID check, no length cap
//!   below [`MAX_ID_SESSION_LEN`].
//! * T19 – `fault/id` may be absent; faults are parsed leniently (every field optional).
//! * §2.2 – SOAPAction values are the bare operation names, sent quoted.
//! * T20 – extra SOAP headers in responses are ignored.
//!
//! Choices where docs/mypay.md marks behaviour as \[inferred\]:
//! * response prefixes and namespace declarations may differ from the examples (§9) – hence
//!   URI-based matching only;
//! * the genuine SOAP Fault shape is Spring-WS's default (§9.4) – `faultcode`/`faultstring` are
//!   read leniently (missing → empty) and never interpreted beyond their text;
//! * an unknown body element gets HTTP 404 with an empty body (§2.4) – an empty body is reported
//!   as [`ResponseError::Xml`] (`NoRoot`); the transport should also look at the HTTP status;
//! * `PAA_PAGAMENTO_ANNULLATO` is practically unreachable and `PAA_PAGAMENTO_SCADUTO` may later
//!   turn into a paid receipt in Checkout mode (§6.2) – both are still mapped, and neither is
//!   documented as final;
//! * the `description` wording of faults is indicative only – it is kept verbatim, never parsed.
//!
//! The password is only ever written into the request body. [`SoapRequest`] and
//! [`InviaDovutiParams`] redact it from `Debug`, and no error type carries it.

use std::fmt;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::amount::AmountCents;
use super::dovuti::DovutiXml;
use super::pagati::{parse_pagati, EsitoPagamento, Pagati, PagatiError, PaymentChannel};
use super::xml::{self, is_xml_char, is_xml_whitespace, ns, Element, XmlError, XmlWriter};

/// `Content-Type` of every request (SOAP 1.1, §2.2).
pub const CONTENT_TYPE: &str = "text/xml; charset=utf-8";
/// Longest `idSession` accepted when building a request (36–37 today, T13).
pub const MAX_ID_SESSION_LEN: usize = 256;

/// The SIL operations the portal uses: the three of this module and the three payment-notice
/// operations of [`super::avvisi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    InviaDovuti,
    ChiediPagati,
    ChiediPagatiConRicevuta,
    ImportaDovuto,
    VerificaAvviso,
    RegistraPagamento,
}

impl Operation {
    /// The SOAPAction value (bare operation name, from the WSDL binding, §2.2).
    pub fn soap_action(self) -> &'static str {
        match self {
            Operation::InviaDovuti => "paaSILInviaDovuti",
            Operation::ChiediPagati => "paaSILChiediPagati",
            Operation::ChiediPagatiConRicevuta => "paaSILChiediPagatiConRicevuta",
            Operation::ImportaDovuto => "paaSILImportaDovuto",
            Operation::VerificaAvviso => "paaSILVerificaAvviso",
            Operation::RegistraPagamento => "paaSILRegistraPagamento",
        }
    }

    /// The `SOAPAction` HTTP header value, quoted as SOAP 1.1 requires
    /// (e.g. `"paaSILInviaDovuti"` including the quotes).
    pub fn soap_action_header(self) -> String {
        format!("\"{}\"", self.soap_action())
    }

    /// Local name of the request payload element (namespace [`ns::ENTE`]).
    pub fn request_element(self) -> &'static str {
        self.soap_action()
    }

    /// Local name of the response payload element (namespace [`ns::ENTE`]).
    pub fn response_element(self) -> &'static str {
        match self {
            Operation::InviaDovuti => "paaSILInviaDovutiRisposta",
            Operation::ChiediPagati => "paaSILChiediPagatiRisposta",
            Operation::ChiediPagatiConRicevuta => "paaSILChiediPagatiConRicevutaRisposta",
            Operation::ImportaDovuto => "paaSILImportaDovutoRisposta",
            Operation::VerificaAvviso => "paaSILVerificaAvvisoRisposta",
            Operation::RegistraPagamento => "paaSILRegistraPagamentoRisposta",
        }
    }
}

/// `showMyPay`: whether the citizen first sees MyPay's cart page (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ShowMyPay {
    /// `SHORT` (MyPay's default): MyPay cart page first.
    #[default]
    Short,
    /// `NONE`: straight to pagoPA; MyPay then also requires a valid payer e-mail and address.
    None,
}

impl ShowMyPay {
    pub fn code(self) -> &'static str {
        match self {
            ShowMyPay::Short => "SHORT",
            ShowMyPay::None => "NONE",
        }
    }
}

/// A ready-to-send request: POST `body` with [`CONTENT_TYPE`] and the `SOAPAction` header
/// [`Operation::soap_action_header`]. `Debug` does not show the body (it holds the password).
#[derive(Clone, PartialEq, Eq)]
pub struct SoapRequest {
    pub operation: Operation,
    pub body: String,
}

impl SoapRequest {
    /// Value for the `SOAPAction` HTTP header (quoted).
    pub fn soap_action_header(&self) -> String {
        self.operation.soap_action_header()
    }
}

impl fmt::Debug for SoapRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoapRequest")
            .field("operation", &self.operation)
            .field("body", &format_args!("<{} bytes, redacted>", self.body.len()))
            .finish()
    }
}

/// A request value refused before anything is sent. Never carries the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("codIpaEnte must be 1..=35 characters without control characters")]
    InvalidCodIpaEnte,
    #[error("password must be non-empty and free of control characters")]
    InvalidPassword,
    #[error("idSession must be 1..={MAX_ID_SESSION_LEN} characters without whitespace")]
    InvalidIdSession,
    #[error("IUV must be 1..=35 characters without control characters")]
    InvalidIuv,
    #[error("IUD must be 1..=35 characters without control characters")]
    InvalidIud,
    #[error("return URL must be an absolute http(s) URL without whitespace")]
    InvalidReturnUrl,
    #[error("amount must be between 0.01 and 999999999.99")]
    InvalidAmount,
    #[error("identificativoUnivocoRiscossione must be 1..=35 characters, not blank, without control characters")]
    InvalidIur,
    #[error("the attesting institution needs a code of 1..=35 and a name of 1..=70 characters, not blank")]
    InvalidAttestor,
    #[error("indiceDatiSingoloPagamento must be 1..=5")]
    InvalidIndex,
}

/// Parameters of `paaSILInviaDovuti`. `Debug` redacts the password.
#[derive(Clone, Copy)]
pub struct InviaDovutiParams<'a> {
    /// Sent in the `intestazionePPT` header (T15).
    pub cod_ipa_ente: &'a str,
    pub password: &'a str,
    pub dovuti: &'a DovutiXml,
    /// `enteSILInviaRispostaPagamentoUrl`: where MyPay sends the browser back (§5).
    pub return_url: Option<&'a str>,
    pub show_my_pay: ShowMyPay,
}

impl fmt::Debug for InviaDovutiParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviaDovutiParams")
            .field("cod_ipa_ente", &self.cod_ipa_ente)
            .field("password", &"<redacted>")
            .field("dovuti", &format_args!("<{} bytes>", self.dovuti.as_bytes().len()))
            .field("return_url", &self.return_url)
            .field("show_my_pay", &self.show_my_pay)
            .finish()
    }
}

/// Which record `paaSILChiediPagatiConRicevuta` looks up: MyPay requires exactly one of the
/// three (§7.1); the enum makes sending zero or two impossible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagatiLookup<'a> {
    IdSession(&'a str),
    /// `identificativoUnivocoVersamento`.
    Iuv(&'a str),
    /// `identificativoUnivocoDovuto`.
    Iud(&'a str),
}

pub(crate) fn clean_text(s: &str, max_chars: usize) -> bool {
    !s.is_empty() && s.chars().count() <= max_chars && s.chars().all(|c| !c.is_control() && is_xml_char(c))
}

pub(crate) fn check_cod_ipa(cod_ipa_ente: &str) -> Result<(), RequestError> {
    if clean_text(cod_ipa_ente, 35) {
        Ok(())
    } else {
        Err(RequestError::InvalidCodIpaEnte)
    }
}

pub(crate) fn check_password(password: &str) -> Result<(), RequestError> {
    // The WSDL says 8..=15 characters (stPassword) but MyPay does not validate the SOAP body
    // (§2.4) and the real password is set by Regione Veneto (T14). Enforcing the facet here
    // could lock the portal out with a working password, so only emptiness and characters
    // that cannot be carried are refused.
    if clean_text(password, usize::MAX) {
        Ok(())
    } else {
        Err(RequestError::InvalidPassword)
    }
}

fn check_id_session(id: &str) -> Result<(), RequestError> {
    if clean_text(id, MAX_ID_SESSION_LEN) && !id.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(RequestError::InvalidIdSession)
    }
}

pub(crate) fn check_return_url(url: &str) -> Result<(), RequestError> {
    let lower = url.to_ascii_lowercase();
    let has_scheme = lower.starts_with("https://") || lower.starts_with("http://");
    if has_scheme && clean_text(url, 2048) && !url.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(RequestError::InvalidReturnUrl)
    }
}

pub(crate) const ENV_ATTR: (&str, &str) = ("xmlns:soapenv", ns::SOAP_ENV);
pub(crate) const ENTE_ATTR: (&str, &str) = ("xmlns:ente", ns::ENTE);

/// Builds the `paaSILInviaDovuti` request (header `intestazionePPT/codIpaEnte`, body
/// `password`, `dovuti` = single base64 of the Dovuti bytes, return URL, `showMyPay`).
pub fn build_invia_dovuti(params: &InviaDovutiParams<'_>) -> Result<SoapRequest, RequestError> {
    check_cod_ipa(params.cod_ipa_ente)?;
    check_password(params.password)?;
    if let Some(url) = params.return_url {
        check_return_url(url)?;
    }
    let mut w = XmlWriter::new(true);
    w.start("soapenv:Envelope", &[ENV_ATTR, ("xmlns:ppthead", ns::PPTHEAD), ENTE_ATTR]);
    w.start("soapenv:Header", &[]);
    w.start("ppthead:intestazionePPT", &[]);
    w.text_element("codIpaEnte", params.cod_ipa_ente);
    w.end("ppthead:intestazionePPT");
    w.end("soapenv:Header");
    w.start("soapenv:Body", &[]);
    w.start("ente:paaSILInviaDovuti", &[]);
    w.text_element("password", params.password);
    w.text_element("dovuti", &params.dovuti.to_base64());
    w.opt_text_element("enteSILInviaRispostaPagamentoUrl", params.return_url);
    w.text_element("showMyPay", params.show_my_pay.code());
    w.end("ente:paaSILInviaDovuti");
    w.end("soapenv:Body");
    w.end("soapenv:Envelope");
    Ok(SoapRequest { operation: Operation::InviaDovuti, body: w.finish() })
}

fn chiedi_envelope(op: Operation, cod_ipa_ente: &str, password: &str, selector: (&str, &str)) -> SoapRequest {
    let root = format!("ente:{}", op.request_element());
    let mut w = XmlWriter::new(true);
    w.start("soapenv:Envelope", &[ENV_ATTR, ENTE_ATTR]);
    // No intestazionePPT for the ChiediPagati operations (T15); an empty Header is harmless.
    w.start("soapenv:Header", &[]);
    w.end("soapenv:Header");
    w.start("soapenv:Body", &[]);
    w.start(&root, &[]);
    w.text_element("codIpaEnte", cod_ipa_ente);
    w.text_element("password", password);
    w.text_element(selector.0, selector.1);
    w.end(&root);
    w.end("soapenv:Body");
    w.end("soapenv:Envelope");
    SoapRequest { operation: op, body: w.finish() }
}

/// Builds the `paaSILChiediPagati` request (no header; `codIpaEnte`, `password`, `idSession`).
pub fn build_chiedi_pagati(cod_ipa_ente: &str, password: &str, id_session: &str) -> Result<SoapRequest, RequestError> {
    check_cod_ipa(cod_ipa_ente)?;
    check_password(password)?;
    check_id_session(id_session)?;
    Ok(chiedi_envelope(Operation::ChiediPagati, cod_ipa_ente, password, ("idSession", id_session)))
}

/// Builds the `paaSILChiediPagatiConRicevuta` request with exactly one lookup key.
pub fn build_chiedi_pagati_con_ricevuta(
    cod_ipa_ente: &str,
    password: &str,
    lookup: PagatiLookup<'_>,
) -> Result<SoapRequest, RequestError> {
    check_cod_ipa(cod_ipa_ente)?;
    check_password(password)?;
    let selector = match lookup {
        PagatiLookup::IdSession(id) => {
            check_id_session(id)?;
            ("idSession", id)
        }
        PagatiLookup::Iuv(iuv) => {
            if !clean_text(iuv, 35) {
                return Err(RequestError::InvalidIuv);
            }
            ("identificativoUnivocoVersamento", iuv)
        }
        PagatiLookup::Iud(iud) => {
            if !clean_text(iud, 35) {
                return Err(RequestError::InvalidIud);
            }
            ("identificativoUnivocoDovuto", iud)
        }
    };
    Ok(chiedi_envelope(Operation::ChiediPagatiConRicevuta, cod_ipa_ente, password, selector))
}

// ---- Responses ---------------------------------------------------------------------------

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

const FAULT_CODES: [(&str, FaultCode); 37] = [
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

/// Answer to `paaSILInviaDovuti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviaDovutiOutcome {
    /// `esito=OK`: store `id_session` with the order and redirect the browser to `url`.
    Accepted { id_session: String, url: String },
    /// `esito=KO` with a fault bean.
    Rejected(MyPayFault),
    /// SOAP Fault.
    SoapFault(SoapFault),
}

/// A `Pagati` answer with its decoded documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagatiReply {
    pub pagati: Pagati,
    /// The decoded `Pagati`/`PagatiConRicevuta` XML, kept for archiving.
    pub pagati_xml: Vec<u8>,
    /// ConRicevuta only: the receipt bytes (`rt`, single base64 on the wire, §7.2): an AgID
    /// `RT` (legacy) or a pagoPA `ctReceipt` (Checkout). Not parsed here.
    pub rt: Option<Vec<u8>>,
    /// ConRicevuta only: `tipoFirma` as sent (usually absent or empty).
    pub tipo_firma: Option<String>,
}

/// Answer to `paaSILChiediPagati` / `paaSILChiediPagatiConRicevuta`, classified per the decision
/// table of §8.
///
/// `Paid` only means MyPay reported `codiceEsitoPagamento=0`; before marking an order paid,
/// confirm amounts and IUDs with [`interpret_pagati`] (or [`PagatiOutcome::verdict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagatiOutcome {
    /// `Pagati` with code 0.
    Paid(Box<PagatiReply>),
    /// `Pagati` with code 1 (not paid) or 3 (timed out).
    NotPaid(Box<PagatiReply>),
    /// `Pagati` with code 2 or 4: manual review.
    Partial(Box<PagatiReply>),
    /// `PAA_PAGAMENTO_NON_INIZIATO` / `PAA_PAGAMENTO_IN_CORSO`: poll again with back-off.
    /// "Not started" may mean "in progress" in Checkout mode (T12).
    Pending(MyPayFault),
    /// `PAA_PAGAMENTO_SCADUTO`: not paid (keep a slow reconciliation for late receipts, §6.2).
    Expired(MyPayFault),
    /// `PAA_PAGAMENTO_ANNULLATO`.
    Cancelled(MyPayFault),
    /// `PAA_ID_SESSION_NON_VALIDO`: unknown session (retry if younger than ~70 min).
    UnknownSession(MyPayFault),
    /// `PAA_IUD_NON_VALIDO` / `PAA_IUV_NON_VALIDO` (ConRicevuta lookups by IUD/IUV).
    NotFound(MyPayFault),
    /// `PAA_ENTE_NON_VALIDO` (also wrong password, §6.2): alert, do not change the order.
    CredentialsError(MyPayFault),
    /// `PAA_SYSTEM_ERROR`: retry with back-off, alert after N tries (T17).
    SystemError(MyPayFault),
    /// Any other fault code (not expected for these operations).
    OtherFault(MyPayFault),
    /// SOAP Fault.
    SoapFault(SoapFault),
}

impl PagatiOutcome {
    /// The reply, if the answer carried a `Pagati` document.
    pub fn reply(&self) -> Option<&PagatiReply> {
        match self {
            PagatiOutcome::Paid(r) | PagatiOutcome::NotPaid(r) | PagatiOutcome::Partial(r) => Some(r),
            _ => None,
        }
    }

    /// [`interpret_pagati`] applied to the reply, if any.
    pub fn verdict<S: AsRef<str>>(&self, expected: &[(S, AmountCents)]) -> Option<PaymentVerdict> {
        self.reply().map(|r| interpret_pagati(expected, &r.pagati))
    }
}

/// A response that does not have the shape MyPay produces. Every variant means "malformed".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("malformed XML: {0}")]
    Xml(#[from] XmlError),
    #[error("root element {0} is not a SOAP 1.1 Envelope")]
    NotSoapEnvelope(String),
    #[error("SOAP Body missing or duplicated")]
    MissingBody,
    #[error("SOAP Body must contain exactly one element, found {0}")]
    BodyChildCount(usize),
    #[error("unexpected payload element {found}, expected {expected}")]
    UnexpectedPayload { found: String, expected: &'static str },
    #[error("missing element {0}")]
    Missing(&'static str),
    #[error("element {0} occurs more than once")]
    Duplicate(String),
    #[error("inconsistent response: {0}")]
    Inconsistent(&'static str),
    #[error("element {0} is not valid base64")]
    Base64(&'static str),
    #[error("decoded pagati is not an XML document")]
    PagatiNotXml,
    #[error("invalid Pagati document: {0}")]
    Pagati(#[from] PagatiError),
    #[error("invalid base64ZipAvviso: {0}")]
    Zip(#[from] super::zip::ZipError),
    #[error("invalid {element}: {reason}")]
    InvalidValue { element: &'static str, reason: String },
}

pub(crate) enum Payload {
    Response(Element),
    Fault(SoapFault),
}

pub(crate) fn child<'a>(el: &'a Element, ns: Option<&str>, name: &str) -> Result<Option<&'a Element>, ResponseError> {
    el.child(ns, name).map_err(|d| ResponseError::Duplicate(d.0))
}

pub(crate) fn child_text(el: &Element, name: &str) -> Result<Option<String>, ResponseError> {
    Ok(child(el, None, name)?.map(|c| c.text.clone()))
}

/// Checks the envelope and returns the single payload element (or the SOAP Fault).
pub(crate) fn parse_envelope(body: &[u8], op: Operation) -> Result<Payload, ResponseError> {
    let root = xml::parse(body)?;
    if !root.is(Some(ns::SOAP_ENV), "Envelope") {
        return Err(ResponseError::NotSoapEnvelope(root.qualified_name()));
    }
    let body_el = child(&root, Some(ns::SOAP_ENV), "Body")
        .map_err(|_| ResponseError::MissingBody)?
        .ok_or(ResponseError::MissingBody)?;
    if body_el.children.len() != 1 {
        return Err(ResponseError::BodyChildCount(body_el.children.len()));
    }
    let payload = &body_el.children[0];
    if payload.is(Some(ns::SOAP_ENV), "Fault") {
        // faultcode/faultstring/faultactor are unqualified in SOAP 1.1; parsed leniently.
        return Ok(Payload::Fault(SoapFault {
            fault_code: child_text(payload, "faultcode")?.unwrap_or_default().trim().to_string(),
            fault_string: child_text(payload, "faultstring")?.unwrap_or_default(),
            fault_actor: child_text(payload, "faultactor")?,
        }));
    }
    if !payload.is(Some(ns::ENTE), op.response_element()) {
        return Err(ResponseError::UnexpectedPayload {
            found: payload.qualified_name(),
            expected: op.response_element(),
        });
    }
    Ok(Payload::Response(payload.clone()))
}

/// Reads the optional, unqualified `fault` bean of a `…Risposta` (lenient, T19).
pub(crate) fn parse_fault_bean(risposta: &Element) -> Result<Option<MyPayFault>, ResponseError> {
    let Some(f) = child(risposta, None, "fault")? else {
        return Ok(None);
    };
    Ok(Some(MyPayFault {
        code: FaultCode::from_wire(&child_text(f, "faultCode")?.unwrap_or_default()),
        fault_string: child_text(f, "faultString")?.unwrap_or_default(),
        id: child_text(f, "id")?,
        description: child_text(f, "description")?,
        serial: child_text(f, "serial")?.and_then(|s| s.trim().parse().ok()),
        original_fault_code: child_text(f, "originalFaultCode")?,
        original_fault_string: child_text(f, "originalFaultString")?,
        original_description: child_text(f, "originalDescription")?,
    }))
}

/// Parses the answer to `paaSILInviaDovuti` (HTTP body, any status).
pub fn parse_invia_dovuti_response(body: &[u8]) -> Result<InviaDovutiOutcome, ResponseError> {
    parse_session_response(body, Operation::InviaDovuti)
}

/// Parses an answer shaped like `paaSILInviaDovutiRisposta` (`fault` or `esito`, `idSession`,
/// `redirect`, `url`): InviaDovuti and VerificaAvviso (docs/mypay-avvisi.md §3.2).
pub(crate) fn parse_session_response(body: &[u8], op: Operation) -> Result<InviaDovutiOutcome, ResponseError> {
    let risposta = match parse_envelope(body, op)? {
        Payload::Fault(f) => return Ok(InviaDovutiOutcome::SoapFault(f)),
        Payload::Response(r) => r,
    };
    if let Some(fault) = parse_fault_bean(&risposta)? {
        return Ok(InviaDovutiOutcome::Rejected(fault));
    }
    let esito = child_text(&risposta, "esito")?.ok_or(ResponseError::Missing("esito"))?;
    if esito.trim() != "OK" {
        return Err(ResponseError::Inconsistent("esito is not OK but no fault is present"));
    }
    // idSession is opaque (T13): no format check, just non-empty.
    let id_session = child_text(&risposta, "idSession")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or(ResponseError::Missing("idSession"))?;
    let url = child_text(&risposta, "url")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or(ResponseError::Missing("url"))?;
    Ok(InviaDovutiOutcome::Accepted { id_session, url })
}

/// Parses the answer to `paaSILChiediPagati`.
pub fn parse_chiedi_pagati_response(body: &[u8]) -> Result<PagatiOutcome, ResponseError> {
    parse_pagati_response(body, Operation::ChiediPagati)
}

/// Parses the answer to `paaSILChiediPagatiConRicevuta` (adds `rt` and `tipoFirma`).
pub fn parse_chiedi_pagati_con_ricevuta_response(body: &[u8]) -> Result<PagatiOutcome, ResponseError> {
    parse_pagati_response(body, Operation::ChiediPagatiConRicevuta)
}

fn parse_pagati_response(body: &[u8], op: Operation) -> Result<PagatiOutcome, ResponseError> {
    let risposta = match parse_envelope(body, op)? {
        Payload::Fault(f) => return Ok(PagatiOutcome::SoapFault(f)),
        Payload::Response(r) => r,
    };
    let fault = parse_fault_bean(&risposta)?;
    let pagati_el = child(&risposta, None, "pagati")?;
    let fault = match (fault, pagati_el) {
        // MyPay sends either a fault or a document (§6.2). Both at once is ambiguous: refusing
        // it is safer than guessing which one is true.
        (Some(_), Some(_)) => {
            return Err(ResponseError::Inconsistent("both fault and pagati present"));
        }
        (Some(f), None) => f,
        (None, None) => return Err(ResponseError::Missing("pagati")),
        (None, Some(p)) => {
            let pagati_xml = decode_pagati_field(&p.text)?;
            let pagati = parse_pagati(&pagati_xml)?;
            let (rt, tipo_firma) = if op == Operation::ChiediPagatiConRicevuta {
                // An empty `rt` is what MyPay sends for a payment recorded with
                // paaSILRegistraPagamento (no receipt exists, docs/mypay-avvisi.md §5.4): the
                // same as no `rt` at all.
                let rt = match child(&risposta, None, "rt")? {
                    Some(r) => Some(decode_base64_text(&r.text).ok_or(ResponseError::Base64("rt"))?)
                        .filter(|bytes| !bytes.is_empty()),
                    None => None,
                };
                (rt, child_text(&risposta, "tipoFirma")?)
            } else {
                (None, None)
            };
            let code = pagati.dati_pagamento.codice_esito_pagamento;
            let reply = Box::new(PagatiReply { pagati, pagati_xml, rt, tipo_firma });
            return Ok(match code {
                EsitoPagamento::Paid => PagatiOutcome::Paid(reply),
                EsitoPagamento::NotPaid | EsitoPagamento::TimedOut => PagatiOutcome::NotPaid(reply),
                EsitoPagamento::PartiallyPaid | EsitoPagamento::PartiallyTimedOut => PagatiOutcome::Partial(reply),
            });
        }
    };
    Ok(classify_fault(fault))
}

/// Maps a ChiediPagati / ChiediPagatiConRicevuta fault to the §8 decision-table outcome.
pub fn classify_fault(fault: MyPayFault) -> PagatiOutcome {
    match fault.code {
        FaultCode::PagamentoNonIniziato | FaultCode::PagamentoInCorso => PagatiOutcome::Pending(fault),
        FaultCode::PagamentoScaduto => PagatiOutcome::Expired(fault),
        FaultCode::PagamentoAnnullato => PagatiOutcome::Cancelled(fault),
        FaultCode::IdSessionNonValido => PagatiOutcome::UnknownSession(fault),
        FaultCode::IudNonValido | FaultCode::IuvNonValido => PagatiOutcome::NotFound(fault),
        // STATO_ENTE_NON_VALIDO is only produced by InviaDovuti, but it is a configuration /
        // credential problem of the same nature.
        FaultCode::EnteNonValido | FaultCode::StatoEnteNonValido => PagatiOutcome::CredentialsError(fault),
        // By IUD/IUV, a debt whose mandatory due date has passed is answered with a generic
        // system error whose description says so (docs/mypay-avvisi.md §2.3): it is expired.
        FaultCode::SystemError
            if fault.description.as_deref().is_some_and(|d| d.trim_start().starts_with("Dovuto scaduto")) =>
        {
            PagatiOutcome::Expired(fault)
        }
        FaultCode::SystemError => PagatiOutcome::SystemError(fault),
        _ => PagatiOutcome::OtherFault(fault),
    }
}

// ---- base64 ------------------------------------------------------------------------------

/// Standard alphabet, padding optional (JAXB pads, but being indifferent costs nothing).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes `xsd:base64Binary` text: XML whitespace (line breaks) is ignored.
pub(crate) fn decode_base64_text(text: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).collect();
    B64.decode(compact).ok()
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).is_some_and(|&b| b == b'<')
}

/// Decodes the `pagati` element (T1): decode once; if the result is not XML (after optional
/// BOM/whitespace) but is itself valid base64, decode again. MyPay sends two layers; one layer
/// is also accepted in case a future version fixes the double encoding.
pub fn decode_pagati_field(text: &str) -> Result<Vec<u8>, ResponseError> {
    let once = decode_base64_text(text).ok_or(ResponseError::Base64("pagati"))?;
    if looks_like_xml(&once) {
        return Ok(once);
    }
    let inner = std::str::from_utf8(&once).map_err(|_| ResponseError::PagatiNotXml)?;
    let twice = decode_base64_text(inner).ok_or(ResponseError::PagatiNotXml)?;
    if looks_like_xml(&twice) {
        Ok(twice)
    } else {
        Err(ResponseError::PagatiNotXml)
    }
}

/// Encodes a `Pagati` document for the `pagati` element exactly like MyPay: base64 of base64
/// (for the simulator).
pub fn encode_pagati_field(xml: &[u8]) -> String {
    let std = base64::engine::general_purpose::STANDARD;
    std.encode(std.encode(xml))
}

/// Encodes receipt bytes for the `rt` element (single base64, §7.2).
pub fn encode_rt_field(rt: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(rt)
}

// ---- Verdict -----------------------------------------------------------------------------

/// Why a code-0 `Pagati` does not match the cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// No expected lines were given (a cart always has 1..=5).
    NoExpectedLines,
    /// The expected lines contain the same IUD twice.
    DuplicateExpectedIud(String),
    /// The expected total overflows.
    Overflow,
    TotalDiffers {
        expected: AmountCents,
        reported: AmountCents,
    },
    MissingLine {
        iud: String,
    },
    LineAmountDiffers {
        iud: String,
        expected: AmountCents,
        reported: AmountCents,
    },
    /// The same IUD appears in more than one `datiSingoloPagamento`.
    DuplicateLine {
        iud: String,
    },
    /// A `datiSingoloPagamento` for an IUD that is not in the cart.
    UnexpectedLine {
        iud: String,
    },
}

/// The portal's decision on a `Pagati` (§8 decision table, \[DESIGN\]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentVerdict {
    /// Code 0, total equals the cart total, every IUD paid with its amount.
    Paid,
    /// Code 1 or 3: failed; a new attempt needs new IUDs.
    NotPaid(EsitoPagamento),
    /// Code 2 or 4: manual review.
    Partial(EsitoPagamento),
    /// Code 0 but the document does not match the cart: an anomaly, do not mark paid.
    AmountMismatch(Mismatch),
    /// Code 0 written by `paaSILRegistraPagamento` ("PAGATO CON RENDICONTAZIONE 9",
    /// docs/mypay-avvisi.md §5): the Ente's own record of a payment outside pagoPA, with no
    /// receipt and no check by MyPay. Never a pagoPA payment, whatever the amounts.
    RecordedByEnte,
}

/// Decides whether `pagati` proves payment of the cart described by `expected` (IUD, amount).
///
/// Paid only if `codiceEsitoPagamento=0` AND `importoTotalePagato` equals the sum of `expected`
/// AND every expected IUD has exactly one `datiSingoloPagamento` with the expected amount.
/// Lines for IUDs outside the cart are treated as an anomaly too.
pub fn interpret_pagati<S: AsRef<str>>(expected: &[(S, AmountCents)], pagati: &Pagati) -> PaymentVerdict {
    let dp = &pagati.dati_pagamento;
    match dp.codice_esito_pagamento {
        EsitoPagamento::NotPaid | EsitoPagamento::TimedOut => {
            return PaymentVerdict::NotPaid(dp.codice_esito_pagamento);
        }
        EsitoPagamento::PartiallyPaid | EsitoPagamento::PartiallyTimedOut => {
            return PaymentVerdict::Partial(dp.codice_esito_pagamento);
        }
        EsitoPagamento::Paid => {}
    }
    if pagati.channel() == PaymentChannel::RecordedByEnte {
        return PaymentVerdict::RecordedByEnte;
    }
    let mismatch = |m| PaymentVerdict::AmountMismatch(m);
    if expected.is_empty() {
        return mismatch(Mismatch::NoExpectedLines);
    }
    let mut total = AmountCents::ZERO;
    for (i, (iud, amount)) in expected.iter().enumerate() {
        if expected[..i].iter().any(|(other, _)| other.as_ref() == iud.as_ref()) {
            return mismatch(Mismatch::DuplicateExpectedIud(iud.as_ref().to_string()));
        }
        match total.checked_add(*amount) {
            Some(t) => total = t,
            None => return mismatch(Mismatch::Overflow),
        }
    }
    if dp.importo_totale_pagato != total {
        return mismatch(Mismatch::TotalDiffers { expected: total, reported: dp.importo_totale_pagato });
    }
    let lines = &dp.dati_singolo_pagamento;
    for (i, line) in lines.iter().enumerate() {
        let iud = &line.identificativo_univoco_dovuto;
        if lines[..i].iter().any(|l| &l.identificativo_univoco_dovuto == iud) {
            return mismatch(Mismatch::DuplicateLine { iud: iud.clone() });
        }
        if !expected.iter().any(|(e, _)| e.as_ref() == iud) {
            return mismatch(Mismatch::UnexpectedLine { iud: iud.clone() });
        }
    }
    for (iud, amount) in expected {
        let iud = iud.as_ref();
        match lines.iter().find(|l| l.identificativo_univoco_dovuto == iud) {
            None => {
                return mismatch(Mismatch::MissingLine { iud: iud.to_string() });
            }
            Some(l) if l.singolo_importo_pagato != *amount => {
                return mismatch(Mismatch::LineAmountDiffers {
                    iud: iud.to_string(),
                    expected: *amount,
                    reported: l.singolo_importo_pagato,
                });
            }
            Some(_) => {}
        }
    }
    PaymentVerdict::Paid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dovuti::{build_dovuti, Cart, Debt, Payer, PayerKind};
    use crate::wire::pagati::{
        DatiPagamento, DatiSingoloPagamento, Dominio, IdentificativoUnivoco, Organization, PagatiKind, XsdDateTime,
    };
    use time::macros::{date, datetime};

    const PASSWORD: &str = "Ecm#Veneto2025";

    fn envelope(payload: &str) -> Vec<u8> {
        format!(
            r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>{payload}</SOAP-ENV:Body></SOAP-ENV:Envelope>"#
        )
        .into_bytes()
    }

    fn fault_response(op: Operation, code: &str) -> Vec<u8> {
        let esito = if op == Operation::InviaDovuti { "<esito>KO</esito>" } else { "" };
        envelope(&format!(
            r#"<ns2:{el} xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><fault><faultCode>{code}</faultCode><faultString>msg</faultString><id>R_VENETO</id></fault>{esito}</ns2:{el}>"#,
            el = op.response_element()
        ))
    }

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
    }

    #[test]
    fn invia_dovuti_rejections_for_every_code() {
        for (wire, code) in &FAULT_CODES {
            let out = parse_invia_dovuti_response(&fault_response(Operation::InviaDovuti, wire)).unwrap();
            match out {
                InviaDovutiOutcome::Rejected(f) => {
                    assert_eq!(&f.code, code);
                    assert_eq!(f.fault_string, "msg");
                    assert_eq!(f.id.as_deref(), Some("R_VENETO"));
                }
                other => panic!("{wire}: {other:?}"),
            }
        }
    }

    #[test]
    fn chiedi_pagati_fault_classification_for_every_code() {
        use FaultCode as F;
        for (wire, code) in &FAULT_CODES {
            for op in [Operation::ChiediPagati, Operation::ChiediPagatiConRicevuta] {
                let out = parse_pagati_response(&fault_response(op, wire), op).unwrap();
                let ok = match code {
                    F::PagamentoNonIniziato | F::PagamentoInCorso => {
                        matches!(out, PagatiOutcome::Pending(_))
                    }
                    F::PagamentoScaduto => matches!(out, PagatiOutcome::Expired(_)),
                    F::PagamentoAnnullato => matches!(out, PagatiOutcome::Cancelled(_)),
                    F::IdSessionNonValido => matches!(out, PagatiOutcome::UnknownSession(_)),
                    F::IudNonValido | F::IuvNonValido => matches!(out, PagatiOutcome::NotFound(_)),
                    F::EnteNonValido | F::StatoEnteNonValido => {
                        matches!(out, PagatiOutcome::CredentialsError(_))
                    }
                    F::SystemError => matches!(out, PagatiOutcome::SystemError(_)),
                    _ => matches!(out, PagatiOutcome::OtherFault(ref f) if &f.code == code),
                };
                assert!(ok, "{wire} ({op:?}) -> {out:?}");
            }
        }
        let out = parse_chiedi_pagati_response(&fault_response(Operation::ChiediPagati, "PAA_NEW")).unwrap();
        assert!(matches!(out, PagatiOutcome::OtherFault(f) if f.code == FaultCode::Unknown("PAA_NEW".into())));
    }

    #[test]
    fn fault_without_id_is_accepted() {
        // T19: fault/id (and even faultString) may be missing.
        let body = envelope(
            r#"<e:paaSILChiediPagatiRisposta xmlns:e="http://www.regione.veneto.it/pagamenti/ente/"><fault><faultCode>PAA_ENTE_NON_VALIDO</faultCode></fault></e:paaSILChiediPagatiRisposta>"#,
        );
        match parse_chiedi_pagati_response(&body).unwrap() {
            PagatiOutcome::CredentialsError(f) => {
                assert_eq!(f.id, None);
                assert_eq!(f.fault_string, "");
                assert_eq!(f.description, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn qualified_children_are_not_read_as_payload() {
        // Children qualified in the ente namespace are not the WSDL's unqualified elements.
        let body = envelope(
            r#"<e:paaSILInviaDovutiRisposta xmlns:e="http://www.regione.veneto.it/pagamenti/ente/"><e:esito>OK</e:esito><e:idSession>x</e:idSession><e:url>u</e:url></e:paaSILInviaDovutiRisposta>"#,
        );
        assert_eq!(parse_invia_dovuti_response(&body), Err(ResponseError::Missing("esito")));
    }

    #[test]
    fn malformed_and_unexpected_responses() {
        assert!(matches!(parse_invia_dovuti_response(b"<html>oops"), Err(ResponseError::Xml(_))));
        assert!(matches!(parse_invia_dovuti_response(b""), Err(ResponseError::Xml(XmlError::NoRoot))));
        assert!(matches!(
            parse_invia_dovuti_response(b"<Envelope><Body/></Envelope>"),
            Err(ResponseError::NotSoapEnvelope(_))
        ));
        // SOAP 1.2 envelope namespace is not accepted.
        assert!(matches!(
            parse_invia_dovuti_response(
                br#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#
            ),
            Err(ResponseError::NotSoapEnvelope(_))
        ));
        let wrong_op = fault_response(Operation::ChiediPagati, "PAA_SYSTEM_ERROR");
        assert!(matches!(
            parse_invia_dovuti_response(&wrong_op),
            Err(ResponseError::UnexpectedPayload { expected: "paaSILInviaDovutiRisposta", .. })
        ));
        assert_eq!(parse_invia_dovuti_response(&envelope("")), Err(ResponseError::BodyChildCount(0)));
        let ko_without_fault = envelope(
            r#"<n:paaSILInviaDovutiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"><esito>KO</esito></n:paaSILInviaDovutiRisposta>"#,
        );
        assert!(matches!(parse_invia_dovuti_response(&ko_without_fault), Err(ResponseError::Inconsistent(_))));
        let ok_without_session = envelope(
            r#"<n:paaSILInviaDovutiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"><esito>OK</esito><url>u</url></n:paaSILInviaDovutiRisposta>"#,
        );
        assert_eq!(parse_invia_dovuti_response(&ok_without_session), Err(ResponseError::Missing("idSession")));
        let empty =
            envelope(r#"<n:paaSILChiediPagatiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"/>"#);
        assert_eq!(parse_chiedi_pagati_response(&empty), Err(ResponseError::Missing("pagati")));
        let both = envelope(
            r#"<n:paaSILChiediPagatiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"><fault><faultCode>PAA_SYSTEM_ERROR</faultCode></fault><pagati>PA==</pagati></n:paaSILChiediPagatiRisposta>"#,
        );
        assert!(matches!(parse_chiedi_pagati_response(&both), Err(ResponseError::Inconsistent(_))));
        let bad_b64 = envelope(
            r#"<n:paaSILChiediPagatiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"><pagati>***</pagati></n:paaSILChiediPagatiRisposta>"#,
        );
        assert_eq!(parse_chiedi_pagati_response(&bad_b64), Err(ResponseError::Base64("pagati")));
    }

    #[test]
    fn long_id_session_is_opaque() {
        let long = "x".repeat(80);
        let body = envelope(&format!(
            r#"<n:paaSILInviaDovutiRisposta xmlns:n="http://www.regione.veneto.it/pagamenti/ente/"><esito>OK</esito><idSession>{long}</idSession><redirect>1</redirect><url>https://h/x?id=1&amp;b=2</url></n:paaSILInviaDovutiRisposta>"#
        ));
        assert_eq!(
            parse_invia_dovuti_response(&body).unwrap(),
            InviaDovutiOutcome::Accepted { id_session: long.clone(), url: "https://h/x?id=1&b=2".into() }
        );
        assert!(build_chiedi_pagati("R_VENETO", PASSWORD, &long).is_ok());
    }

    #[test]
    fn pagati_decoding_single_and_double() {
        let xml = b"<Pagati/>";
        let std = base64::engine::general_purpose::STANDARD;
        assert_eq!(decode_pagati_field(&encode_pagati_field(xml)).unwrap(), xml);
        assert_eq!(decode_pagati_field(&std.encode(xml)).unwrap(), xml);
        // BOM + whitespace before '<' count as XML.
        let bom = b"\xEF\xBB\xBF \n<Pagati/>";
        assert_eq!(decode_pagati_field(&std.encode(std.encode(bom))).unwrap(), bom);
        // Line-wrapped base64 (xsd:base64Binary may contain whitespace).
        let wrapped: String = encode_pagati_field(xml)
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 4 == 3 { vec![c, '\n'] } else { vec![c] })
            .collect();
        assert_eq!(decode_pagati_field(&wrapped).unwrap(), xml);
        // Neither once nor twice gives XML.
        assert_eq!(decode_pagati_field(&std.encode("hello world")), Err(ResponseError::PagatiNotXml));
        assert_eq!(decode_pagati_field(&std.encode(std.encode("abcd"))), Err(ResponseError::PagatiNotXml));
        assert_eq!(encode_rt_field(b"<RT/>"), "PFJULz4=");
    }

    #[test]
    fn soap_actions() {
        assert_eq!(Operation::InviaDovuti.soap_action(), "paaSILInviaDovuti");
        assert_eq!(Operation::ChiediPagati.soap_action(), "paaSILChiediPagati");
        assert_eq!(Operation::ChiediPagatiConRicevuta.soap_action(), "paaSILChiediPagatiConRicevuta");
        assert_eq!(Operation::InviaDovuti.soap_action_header(), "\"paaSILInviaDovuti\"");
        let req = build_chiedi_pagati("R_VENETO", PASSWORD, "abc").unwrap();
        assert_eq!(req.soap_action_header(), "\"paaSILChiediPagati\"");
    }

    fn sample_cart() -> Cart {
        Cart {
            payer: Payer {
                kind: PayerKind::Natural,
                id_code: "RSSMRA80A01H501U".into(),
                name: "Mario Rossi".into(),
                address: None,
                civic_number: None,
                postal_code: None,
                city: None,
                province: None,
                country: None,
                email: None,
            },
            debts: vec![Debt {
                iud: "IUD-1".into(),
                amount: AmountCents(1000),
                tipo_dovuto: "T".into(),
                causale: "C".into(),
                dati_specifici_riscossione: "9/ABC".into(),
            }],
        }
    }

    #[test]
    fn password_never_in_debug_or_errors() {
        let dovuti = build_dovuti(&sample_cart()).unwrap();
        crate::wire::xsd_check::assert_xsd_valid(dovuti.as_bytes());
        let params = InviaDovutiParams {
            cod_ipa_ente: "R_VENETO",
            password: PASSWORD,
            dovuti: &dovuti,
            return_url: Some("https://ecm.example.invalid/r"),
            show_my_pay: ShowMyPay::Short,
        };
        assert!(!format!("{params:?}").contains(PASSWORD));
        let req = build_invia_dovuti(&params).unwrap();
        assert!(req.body.contains(PASSWORD), "the body must carry it");
        assert!(!format!("{req:?}").contains(PASSWORD));

        // Errors raised while a password is involved never echo it.
        let bad_pw = "bad\u{7}Secret#1";
        let errors = [
            build_invia_dovuti(&InviaDovutiParams { password: bad_pw, ..params }).unwrap_err(),
            build_invia_dovuti(&InviaDovutiParams { cod_ipa_ente: "", ..params }).unwrap_err(),
            build_invia_dovuti(&InviaDovutiParams { return_url: Some("javascript:x"), ..params }).unwrap_err(),
            build_chiedi_pagati("R_VENETO", bad_pw, "abc").unwrap_err(),
            build_chiedi_pagati("R_VENETO", PASSWORD, "").unwrap_err(),
            build_chiedi_pagati_con_ricevuta("R_VENETO", PASSWORD, PagatiLookup::Iud("")).unwrap_err(),
        ];
        assert_eq!(errors[0], RequestError::InvalidPassword);
        assert_eq!(errors[1], RequestError::InvalidCodIpaEnte);
        assert_eq!(errors[2], RequestError::InvalidReturnUrl);
        assert_eq!(errors[3], RequestError::InvalidPassword);
        assert_eq!(errors[4], RequestError::InvalidIdSession);
        assert_eq!(errors[5], RequestError::InvalidIud);
        for e in &errors {
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains(PASSWORD) && !text.contains("Secret"), "{text}");
            }
        }
        assert_eq!(build_chiedi_pagati("R_VENETO", "", "abc").unwrap_err(), RequestError::InvalidPassword);
    }

    #[test]
    fn request_shapes() {
        let body = build_chiedi_pagati("R_VENETO", "p<&>ssword", "sess-1").unwrap().body;
        let root = xml::parse(body.as_bytes()).unwrap();
        assert!(root.is(Some(ns::SOAP_ENV), "Envelope"));
        // No intestazionePPT for ChiediPagati (T15).
        assert!(!body.contains("intestazionePPT"));
        let payload = &root.children[1].children[0];
        assert!(payload.is(Some(ns::ENTE), "paaSILChiediPagati"));
        let names: Vec<_> =
            payload.children.iter().map(|c| (c.ns.clone(), c.local.as_str(), c.text.as_str())).collect();
        assert_eq!(
            names,
            vec![(None, "codIpaEnte", "R_VENETO"), (None, "password", "p<&>ssword"), (None, "idSession", "sess-1")]
        );

        for (lookup, el) in [
            (PagatiLookup::IdSession("s"), "idSession"),
            (PagatiLookup::Iuv("02000000000123456"), "identificativoUnivocoVersamento"),
            (PagatiLookup::Iud("ECM-1"), "identificativoUnivocoDovuto"),
        ] {
            let body = build_chiedi_pagati_con_ricevuta("R_VENETO", PASSWORD, lookup).unwrap().body;
            let root = xml::parse(body.as_bytes()).unwrap();
            let payload = &root.children[1].children[0];
            assert!(payload.is(Some(ns::ENTE), "paaSILChiediPagatiConRicevuta"));
            assert_eq!(payload.children.len(), 3);
            assert!(payload.children[2].is(None, el));
        }
        assert_eq!(
            build_chiedi_pagati_con_ricevuta("R_VENETO", PASSWORD, PagatiLookup::Iuv(&"1".repeat(36))).unwrap_err(),
            RequestError::InvalidIuv
        );
        assert_eq!(build_chiedi_pagati("R_VENETO", PASSWORD, "a b").unwrap_err(), RequestError::InvalidIdSession);
        assert_eq!(build_chiedi_pagati(&"R".repeat(36), PASSWORD, "ab").unwrap_err(), RequestError::InvalidCodIpaEnte);
    }

    fn pagati(code: EsitoPagamento, total: i64, lines: &[(&str, i64)]) -> Pagati {
        let org = Organization {
            identificativo_univoco: IdentificativoUnivoco { tipo: "G".into(), codice: "80007580279".into() },
            denominazione: "X".into(),
            codice_unit_oper: None,
            denom_unit_oper: None,
            indirizzo: None,
            civico: None,
            cap: None,
            localita: None,
            provincia: None,
            nazione: None,
        };
        Pagati {
            kind: PagatiKind::Pagati,
            versione_oggetto: "6.2.0".into(),
            dominio: Dominio {
                identificativo_dominio: "80007580279".into(),
                identificativo_stazione_richiedente: None,
            },
            identificativo_messaggio_ricevuta: "r".into(),
            data_ora_messaggio_ricevuta: XsdDateTime { date_time: datetime!(2025-03-14 10:21:47), offset: None },
            riferimento_messaggio_richiesta: "r".into(),
            riferimento_data_richiesta: date!(2025 - 03 - 14),
            istituto_attestante: org.clone(),
            ente_beneficiario: org,
            soggetto_pagatore: sample_cart().payer,
            dati_pagamento: DatiPagamento {
                codice_esito_pagamento: code,
                importo_totale_pagato: AmountCents(total),
                identificativo_univoco_versamento: "iuv".into(),
                codice_contesto_pagamento: "ccp".into(),
                dati_singolo_pagamento: lines
                    .iter()
                    .map(|(iud, a)| DatiSingoloPagamento {
                        identificativo_univoco_dovuto: iud.to_string(),
                        singolo_importo_pagato: AmountCents(*a),
                        esito_singolo_pagamento: None,
                        data_esito_singolo_pagamento: date!(2025 - 03 - 14),
                        identificativo_univoco_riscossione: "iur".into(),
                        causale_versamento: "c".into(),
                        dati_specifici_riscossione: "9/ABC".into(),
                        indice_dati_singolo_pagamento: None,
                        commissioni_applicate_psp: None,
                        allegato_ricevuta: None,
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn verdict_decision_table() {
        use EsitoPagamento as E;
        let expected = [("A", AmountCents(10000)), ("B", AmountCents(5000))];
        let v = |p: &Pagati| interpret_pagati(&expected, p);

        assert_eq!(v(&pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000)])), PaymentVerdict::Paid);
        assert_eq!(v(&pagati(E::Paid, 15000, &[("B", 5000), ("A", 10000)])), PaymentVerdict::Paid);
        assert_eq!(v(&pagati(E::NotPaid, 0, &[])), PaymentVerdict::NotPaid(E::NotPaid));
        assert_eq!(v(&pagati(E::TimedOut, 0, &[("A", 0)])), PaymentVerdict::NotPaid(E::TimedOut));
        assert_eq!(v(&pagati(E::PartiallyPaid, 10000, &[("A", 10000)])), PaymentVerdict::Partial(E::PartiallyPaid));
        assert_eq!(v(&pagati(E::PartiallyTimedOut, 10000, &[])), PaymentVerdict::Partial(E::PartiallyTimedOut));

        let mm = |m| PaymentVerdict::AmountMismatch(m);
        assert_eq!(
            v(&pagati(E::Paid, 14999, &[("A", 10000), ("B", 5000)])),
            mm(Mismatch::TotalDiffers { expected: AmountCents(15000), reported: AmountCents(14999) })
        );
        assert_eq!(v(&pagati(E::Paid, 15000, &[("A", 10000)])), mm(Mismatch::MissingLine { iud: "B".into() }));
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 9000), ("B", 6000)])),
            mm(Mismatch::LineAmountDiffers {
                iud: "A".into(),
                expected: AmountCents(10000),
                reported: AmountCents(9000)
            })
        );
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000), ("C", 0)])),
            mm(Mismatch::UnexpectedLine { iud: "C".into() })
        );
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 10000), ("A", 10000), ("B", 5000)])),
            mm(Mismatch::DuplicateLine { iud: "A".into() })
        );
        let none: [(&str, AmountCents); 0] = [];
        assert_eq!(interpret_pagati(&none, &pagati(E::Paid, 0, &[])), mm(Mismatch::NoExpectedLines));
        assert_eq!(
            interpret_pagati(&[("A", AmountCents(1)), ("A", AmountCents(1))], &pagati(E::Paid, 2, &[("A", 1)])),
            mm(Mismatch::DuplicateExpectedIud("A".into()))
        );
        assert_eq!(
            interpret_pagati(&[("A", AmountCents(i64::MAX)), ("B", AmountCents(1))], &pagati(E::Paid, 2, &[])),
            mm(Mismatch::Overflow)
        );
        // Works with owned strings too (Cart::expected_lines).
        let owned = vec![("A".to_string(), AmountCents(10000)), ("B".to_string(), AmountCents(5000))];
        assert_eq!(
            interpret_pagati(&owned, &pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000)])),
            PaymentVerdict::Paid
        );
    }
}
