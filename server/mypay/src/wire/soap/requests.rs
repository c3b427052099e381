//! The request envelopes of `paaSILInviaDovuti`, `paaSILChiediPagati` and
//! `paaSILChiediPagatiConRicevuta` (T3, T15, §2.2 in the module documentation of [`super`]),
//! with the checks shared by the payment-notice requests of [`crate::wire::avvisi`].

use std::fmt;

use super::{Operation, ShowMyPay, MAX_ID_SESSION_LEN};
use crate::wire::dovuti::DovutiXml;
use crate::wire::xml::{is_xml_char, ns, XmlWriter};

/// A ready-to-send request: POST `body` with [`CONTENT_TYPE`](super::CONTENT_TYPE) and the `SOAPAction` header
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
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::dovuti::build_dovuti;
    use crate::wire::xml;

    const PASSWORD: &str = "Ecm#Veneto2025";

    #[test]
    fn password_never_in_debug_or_errors() {
        let dovuti = build_dovuti(&crate::wire::samples::example_a_cart()).unwrap();
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
}
