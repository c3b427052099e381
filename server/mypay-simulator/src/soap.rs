//! The simulator's side of the SOAP messages: reading requests (by namespace URI, any prefix,
//! extra headers such as WS-Addressing ignored – docs/mypay.md trap T20) and writing answers
//! shaped like Spring-WS/JAXB's (`SOAP-ENV:` envelope, `ns2:` payload root, unqualified
//! children).

use mypay::wire::xml::{self, ns, Element, XmlWriter};

/// A request, routed by the body's root element (docs/mypay.md §2.1: Spring-WS `@PayloadRoot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapCall {
    InviaDovuti {
        /// `None`: no `intestazionePPT` header at all (→ SOAP Fault); `Some(None)`: header without
        /// `codIpaEnte`.
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        dovuti: Option<String>,
        return_url: Option<String>,
        show_my_pay: Option<String>,
    },
    ChiediPagati {
        cod_ipa: Option<String>,
        password: Option<String>,
        id_session: Option<String>,
    },
    ChiediPagatiConRicevuta {
        cod_ipa: Option<String>,
        password: Option<String>,
        id_session: Option<String>,
        iuv: Option<String>,
        iud: Option<String>,
    },
    /// `paaSILImportaDovuto` (header required, like InviaDovuti).
    ImportaDovuto {
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        dovuto: Option<String>,
        flag_genera_iuv: Option<String>,
    },
    /// `paaSILVerificaAvviso` (header required).
    VerificaAvviso {
        header_cod_ipa: Option<Option<String>>,
        password: Option<String>,
        iuv: Option<String>,
        return_url: Option<String>,
    },
    RegistraPagamento(RegistraPagamentoCall),
}

/// The body of `paaSILRegistraPagamento` (no header), every element as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistraPagamentoCall {
    pub cod_ipa: Option<String>,
    pub password: Option<String>,
    pub iuv: Option<String>,
    pub amount: Option<String>,
    pub date: Option<String>,
    pub index: Option<String>,
    pub iur: Option<String>,
    pub attestor_kind: Option<String>,
    pub attestor_code: Option<String>,
    pub attestor_name: Option<String>,
}

impl SoapCall {
    /// The operation name (for the fault plans of the admin API).
    pub fn operation(&self) -> &'static str {
        match self {
            SoapCall::InviaDovuti { .. } => "paaSILInviaDovuti",
            SoapCall::ChiediPagati { .. } => "paaSILChiediPagati",
            SoapCall::ChiediPagatiConRicevuta { .. } => "paaSILChiediPagatiConRicevuta",
            SoapCall::ImportaDovuto { .. } => "paaSILImportaDovuto",
            SoapCall::VerificaAvviso { .. } => "paaSILVerificaAvviso",
            SoapCall::RegistraPagamento(_) => "paaSILRegistraPagamento",
        }
    }
}

/// Why a request could not be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// Not a SOAP 1.1 envelope with one body element: Spring-WS answers with a SOAP Fault.
    BadEnvelope(String),
    /// A body element no endpoint handles: Spring-WS answers HTTP 404 with an empty body.
    NoEndpoint,
}

fn child_text(el: &Element, name: &str) -> Option<String> {
    el.children_named(None, name).next().map(|c| c.text.clone())
}

/// Parses a request body.
pub fn parse_request(body: &[u8]) -> Result<SoapCall, RouteError> {
    let root = xml::parse(body).map_err(|e| RouteError::BadEnvelope(e.to_string()))?;
    if !root.is(Some(ns::SOAP_ENV), "Envelope") {
        return Err(RouteError::BadEnvelope(format!("not a SOAP 1.1 envelope: {}", root.qualified_name())));
    }
    let body_el = root
        .children_named(Some(ns::SOAP_ENV), "Body")
        .next()
        .ok_or_else(|| RouteError::BadEnvelope("no SOAP Body".into()))?;
    let payload = body_el.children.first().ok_or_else(|| RouteError::BadEnvelope("empty SOAP Body".into()))?;
    if payload.ns.as_deref() != Some(ns::ENTE) {
        return Err(RouteError::NoEndpoint);
    }
    let header = root.children_named(Some(ns::SOAP_ENV), "Header").next();
    let header_cod_ipa = || {
        header
            .and_then(|h| h.children_named(Some(ns::PPTHEAD), "intestazionePPT").next())
            .map(|i| child_text(i, "codIpaEnte"))
    };
    match payload.local.as_str() {
        "paaSILInviaDovuti" => Ok(SoapCall::InviaDovuti {
            header_cod_ipa: header_cod_ipa(),
            password: child_text(payload, "password"),
            dovuti: child_text(payload, "dovuti"),
            return_url: child_text(payload, "enteSILInviaRispostaPagamentoUrl"),
            show_my_pay: child_text(payload, "showMyPay"),
        }),
        "paaSILChiediPagati" => Ok(SoapCall::ChiediPagati {
            cod_ipa: child_text(payload, "codIpaEnte"),
            password: child_text(payload, "password"),
            id_session: child_text(payload, "idSession"),
        }),
        "paaSILChiediPagatiConRicevuta" => Ok(SoapCall::ChiediPagatiConRicevuta {
            cod_ipa: child_text(payload, "codIpaEnte"),
            password: child_text(payload, "password"),
            id_session: child_text(payload, "idSession"),
            iuv: child_text(payload, "identificativoUnivocoVersamento"),
            iud: child_text(payload, "identificativoUnivocoDovuto"),
        }),
        "paaSILImportaDovuto" => Ok(SoapCall::ImportaDovuto {
            header_cod_ipa: header_cod_ipa(),
            password: child_text(payload, "password"),
            dovuto: child_text(payload, "dovuto"),
            flag_genera_iuv: child_text(payload, "flagGeneraIuv"),
        }),
        "paaSILVerificaAvviso" => Ok(SoapCall::VerificaAvviso {
            header_cod_ipa: header_cod_ipa(),
            password: child_text(payload, "password"),
            iuv: child_text(payload, "identificativoUnivocoVersamento"),
            return_url: child_text(payload, "enteSILInviaRispostaPagamentoUrl"),
        }),
        "paaSILRegistraPagamento" => Ok(SoapCall::RegistraPagamento(RegistraPagamentoCall {
            cod_ipa: child_text(payload, "codIpaEnte"),
            password: child_text(payload, "password"),
            iuv: child_text(payload, "identificativoUnivocoVersamento"),
            amount: child_text(payload, "singoloImportoPagato"),
            date: child_text(payload, "dataEsitoSingoloPagamento"),
            index: child_text(payload, "indiceDatiSingoloPagamento"),
            iur: child_text(payload, "identificativoUnivocoRiscossione"),
            attestor_kind: child_text(payload, "tipoIstitutoAttestante"),
            attestor_code: child_text(payload, "codiceIstitutiAttestante"),
            attestor_name: child_text(payload, "denominazioneAttestante"),
        })),
        _ => Err(RouteError::NoEndpoint),
    }
}

/// A `faultBean` (docs/mypay.md §2.4). Null fields are omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultBean {
    pub code: &'static str,
    pub string: String,
    pub id: Option<String>,
    pub description: Option<String>,
    /// Set by a few checks (e.g. "Stato Ente Non Valido", docs/mypay-avvisi.md §1.4).
    pub serial: Option<i32>,
}

/// An answer of the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoapAnswer {
    /// HTTP 200, `ns2:{response}` with the given unqualified children, in order.
    Risposta { element: &'static str, children: Vec<(&'static str, String)>, fault: Option<FaultBean> },
    /// HTTP 500 SOAP Fault (`SOAP-ENV:Server`).
    Fault(String),
    /// HTTP 404, empty body.
    NotFound,
}

const ENVELOPE_OPEN: &str = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>"#;
const ENVELOPE_CLOSE: &str = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";

impl SoapAnswer {
    pub fn business_fault(element: &'static str, fault: FaultBean, esito_ko: bool) -> SoapAnswer {
        let children = if esito_ko { vec![("esito", "KO".to_string())] } else { Vec::new() };
        SoapAnswer::Risposta { element, children, fault: Some(fault) }
    }

    /// HTTP status and body.
    pub fn render(&self) -> (u16, String) {
        match self {
            SoapAnswer::NotFound => (404, String::new()),
            SoapAnswer::Fault(message) => {
                let mut w = XmlWriter::new(false);
                w.start("SOAP-ENV:Fault", &[]);
                w.text_element("faultcode", "SOAP-ENV:Server");
                w.start("faultstring", &[("xml:lang", "en")]);
                w.end("faultstring");
                w.end("SOAP-ENV:Fault");
                // XmlWriter cannot put text in an element with attributes; splice it in.
                let fault = w.finish().replace(
                    r#"<faultstring xml:lang="en"></faultstring>"#,
                    &format!(
                        r#"<faultstring xml:lang="en">{}</faultstring>"#,
                        quick_xml::escape::escape(message.as_str())
                    ),
                );
                (500, format!("{ENVELOPE_OPEN}{fault}{ENVELOPE_CLOSE}"))
            }
            SoapAnswer::Risposta { element, children, fault } => {
                let root = format!("ns2:{element}");
                let mut w = XmlWriter::new(false);
                w.start(&root, &[("xmlns:ns2", ns::ENTE)]);
                if let Some(f) = fault {
                    w.start("fault", &[]);
                    w.text_element("faultCode", f.code);
                    w.text_element("faultString", &f.string);
                    w.opt_text_element("id", f.id.as_deref());
                    w.opt_text_element("description", f.description.as_deref());
                    w.opt_text_element("serial", f.serial.map(|s| s.to_string()).as_deref());
                    w.end("fault");
                }
                for (name, value) in children {
                    w.text_element(name, value);
                }
                w.end(&root);
                (200, format!("{ENVELOPE_OPEN}{}{ENVELOPE_CLOSE}", w.finish()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_namespace_and_ignores_extra_headers() {
        let body = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsa="http://www.w3.org/2005/08/addressing"><e:Header><wsa:Action>x</wsa:Action></e:Header><e:Body><p:paaSILChiediPagati xmlns:p="http://www.regione.veneto.it/pagamenti/ente/"><codIpaEnte>R</codIpaEnte><password>pw</password><idSession>s</idSession></p:paaSILChiediPagati></e:Body></e:Envelope>"#;
        assert_eq!(
            parse_request(body).unwrap(),
            SoapCall::ChiediPagati {
                cod_ipa: Some("R".into()),
                password: Some("pw".into()),
                id_session: Some("s".into())
            }
        );
        let wrong_ns = br#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><p:paaSILChiediPagati xmlns:p="urn:other"/></e:Body></e:Envelope>"#;
        assert_eq!(parse_request(wrong_ns), Err(RouteError::NoEndpoint));
        assert!(matches!(parse_request(b"not xml"), Err(RouteError::BadEnvelope(_))));
    }

    #[test]
    fn renders_fault_bean_before_esito_and_soap_fault_as_500() {
        let answer = SoapAnswer::business_fault(
            "paaSILInviaDovutiRisposta",
            FaultBean {
                code: "PAA_ENTE_NON_VALIDO",
                string: "x & y".into(),
                id: Some("R".into()),
                description: None,
                serial: None,
            },
            true,
        );
        let (status, body) = answer.render();
        assert_eq!(status, 200);
        assert!(body.contains("<fault><faultCode>PAA_ENTE_NON_VALIDO</faultCode><faultString>x &amp; y</faultString><id>R</id></fault><esito>KO</esito>"), "{body}");
        let (status, body) = SoapAnswer::Fault("boom <x>".into()).render();
        assert_eq!(status, 500);
        assert!(body.contains(r#"<faultstring xml:lang="en">boom &lt;x&gt;</faultstring>"#), "{body}");
        assert_eq!(SoapAnswer::NotFound.render(), (404, String::new()));
    }
}
