//! Parsing every answer of the cart and receipt operations into what MyPay sent: the envelope,
//! the fault bean, `paaSILInviaDovutiRisposta` and the two `Pagati` answers (the decision table
//! of docs/mypay.md §8).

use super::encoding::{decode_base64_text, decode_pagati_field};
use super::faults::{FaultCode, MyPayFault, SoapFault};
use super::Operation;
use crate::wire::pagati::{parse_pagati, Pagati, PagatiError};
use crate::wire::xml::{self, ns, Element, XmlError};

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

/// Answer to `paaSILChiediPagati` / `paaSILChiediPagatiConRicevuta` as MyPay sent it: a
/// `Pagati` document, a fault bean, or a SOAP Fault. What it means for the payment (paid,
/// pending, expired…) is decided once, by the client's `PaymentStatus` (docs/mypay.md §8); a
/// document proves payment of a cart only through [`match_cart`](super::verdict::match_cart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagatiAnswer {
    /// A `Pagati` document, whatever its `codiceEsitoPagamento`.
    Document(Box<PagatiReply>),
    /// A fault bean (`PAA_PAGAMENTO_NON_INIZIATO`, `PAA_ID_SESSION_NON_VALIDO`, …).
    Fault(MyPayFault),
    /// SOAP Fault.
    SoapFault(SoapFault),
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
    Zip(#[from] crate::wire::zip::ZipError),
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
pub fn parse_chiedi_pagati_response(body: &[u8]) -> Result<PagatiAnswer, ResponseError> {
    parse_pagati_response(body, Operation::ChiediPagati)
}

/// Parses the answer to `paaSILChiediPagatiConRicevuta` (adds `rt` and `tipoFirma`).
pub fn parse_chiedi_pagati_con_ricevuta_response(body: &[u8]) -> Result<PagatiAnswer, ResponseError> {
    parse_pagati_response(body, Operation::ChiediPagatiConRicevuta)
}

fn parse_pagati_response(body: &[u8], op: Operation) -> Result<PagatiAnswer, ResponseError> {
    let risposta = match parse_envelope(body, op)? {
        Payload::Fault(f) => return Ok(PagatiAnswer::SoapFault(f)),
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
            return Ok(PagatiAnswer::Document(Box::new(PagatiReply { pagati, pagati_xml, rt, tipo_firma })));
        }
    };
    Ok(PagatiAnswer::Fault(fault))
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::soap::{build_chiedi_pagati, FAULT_CODES};

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
    fn chiedi_pagati_faults_are_read_with_their_code() {
        for (wire, code) in &FAULT_CODES {
            for op in [Operation::ChiediPagati, Operation::ChiediPagatiConRicevuta] {
                let out = parse_pagati_response(&fault_response(op, wire), op).unwrap();
                assert!(matches!(out, PagatiAnswer::Fault(ref f) if &f.code == code), "{wire} ({op:?}) -> {out:?}");
            }
        }
        let out = parse_chiedi_pagati_response(&fault_response(Operation::ChiediPagati, "PAA_NEW")).unwrap();
        assert!(matches!(out, PagatiAnswer::Fault(f) if f.code == FaultCode::Unknown("PAA_NEW".into())));
    }

    #[test]
    fn fault_without_id_is_accepted() {
        // T19: fault/id (and even faultString) may be missing.
        let body = envelope(
            r#"<e:paaSILChiediPagatiRisposta xmlns:e="http://www.regione.veneto.it/pagamenti/ente/"><fault><faultCode>PAA_ENTE_NON_VALIDO</faultCode></fault></e:paaSILChiediPagatiRisposta>"#,
        );
        match parse_chiedi_pagati_response(&body).unwrap() {
            PagatiAnswer::Fault(f) => {
                assert_eq!(f.code, FaultCode::EnteNonValido);
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
}
