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
//!
//! The module is split by concern: [`requests`] (the envelopes the client sends),
//! [`faults`] (the `PAA_*` codes, fault beans and SOAP Faults), [`responses`] (parsing every
//! answer), [`encoding`] (the base64 layers of `pagati` and `rt`) and [`verdict`] (does a
//! `Pagati` prove payment of the cart?). Everything is re-exported here.

pub mod encoding;
pub mod faults;
pub mod requests;
pub mod responses;
pub mod verdict;

pub use encoding::*;
pub use faults::*;
pub use requests::*;
pub use responses::*;
pub use verdict::*;

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

    /// Local name of the request payload element (namespace [`ns::ENTE`](crate::wire::xml::ns::ENTE)).
    pub fn request_element(self) -> &'static str {
        self.soap_action()
    }

    /// Local name of the response payload element (namespace [`ns::ENTE`](crate::wire::xml::ns::ENTE)).
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
#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "Ecm#Veneto2025";

    #[test]
    fn soap_actions() {
        assert_eq!(Operation::InviaDovuti.soap_action(), "paaSILInviaDovuti");
        assert_eq!(Operation::ChiediPagati.soap_action(), "paaSILChiediPagati");
        assert_eq!(Operation::ChiediPagatiConRicevuta.soap_action(), "paaSILChiediPagatiConRicevuta");
        assert_eq!(Operation::InviaDovuti.soap_action_header(), "\"paaSILInviaDovuti\"");
        let req = build_chiedi_pagati("R_VENETO", PASSWORD, "abc").unwrap();
        assert_eq!(req.soap_action_header(), "\"paaSILChiediPagati\"");
    }
}
