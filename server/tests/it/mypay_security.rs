//! DTD / entity hardening: nothing is ever expanded or fetched.

use base64::Engine as _;
use mypay::wire::pagati::{parse_pagati, PagatiError};
use mypay::wire::soap::{
    encode_pagati_field, parse_chiedi_pagati_con_ricevuta_response, parse_chiedi_pagati_response,
    parse_invia_dovuti_response, ResponseError,
};
use mypay::wire::xml::XmlError;

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"#;

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
"#;

fn soap(prolog: &str, payload: &str) -> String {
    format!(
        r#"{prolog}<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>{payload}</SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

fn chiedi_pagati_with(pagati_b64: &str) -> String {
    soap(
        "",
        &format!(
            r#"<ns2:paaSILChiediPagatiRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><pagati>{pagati_b64}</pagati></ns2:paaSILChiediPagatiRisposta>"#
        ),
    )
}

#[test]
fn billion_laughs_in_envelope_is_refused() {
    let body = soap(
        BILLION_LAUGHS,
        r#"<ns2:paaSILInviaDovutiRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><esito>&lol9;</esito></ns2:paaSILInviaDovutiRisposta>"#,
    );
    assert_eq!(parse_invia_dovuti_response(body.as_bytes()), Err(ResponseError::Xml(XmlError::DoctypeForbidden)));
}

#[test]
fn billion_laughs_inside_pagati_is_refused() {
    let pagati = format!(
        r#"{BILLION_LAUGHS}<Pagati xmlns="http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/"><versioneOggetto>&lol9;</versioneOggetto></Pagati>"#
    );
    assert_eq!(parse_pagati(pagati.as_bytes()), Err(PagatiError::Xml(XmlError::DoctypeForbidden)));
    let body = chiedi_pagati_with(&encode_pagati_field(pagati.as_bytes()));
    assert_eq!(
        parse_chiedi_pagati_response(body.as_bytes()),
        Err(ResponseError::Pagati(PagatiError::Xml(XmlError::DoctypeForbidden)))
    );
}

#[test]
fn external_entity_is_refused() {
    let body = soap(
        XXE,
        r#"<ns2:paaSILChiediPagatiConRicevutaRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><fault><faultCode>&xxe;</faultCode></fault></ns2:paaSILChiediPagatiConRicevutaRisposta>"#,
    );
    assert_eq!(
        parse_chiedi_pagati_con_ricevuta_response(body.as_bytes()),
        Err(ResponseError::Xml(XmlError::DoctypeForbidden))
    );

    let pagati = format!(
        r#"{XXE}<Pagati xmlns="http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/"><versioneOggetto>&xxe;</versioneOggetto></Pagati>"#
    );
    let std = base64::engine::general_purpose::STANDARD;
    // Single-encoded variant goes through the same hardened parser.
    let body = chiedi_pagati_with(&std.encode(pagati.as_bytes()));
    assert_eq!(
        parse_chiedi_pagati_response(body.as_bytes()),
        Err(ResponseError::Pagati(PagatiError::Xml(XmlError::DoctypeForbidden)))
    );
}

#[test]
fn undeclared_entity_without_doctype_is_refused() {
    let body = soap(
        "",
        r#"<ns2:paaSILInviaDovutiRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><esito>&xxe;</esito></ns2:paaSILInviaDovutiRisposta>"#,
    );
    assert_eq!(
        parse_invia_dovuti_response(body.as_bytes()),
        Err(ResponseError::Xml(XmlError::EntityForbidden("xxe".into())))
    );
}

#[test]
fn doctype_without_entities_is_still_refused() {
    let body = soap(
        "<!DOCTYPE Envelope SYSTEM \"http://attacker.invalid/x.dtd\">",
        r#"<ns2:paaSILInviaDovutiRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><esito>OK</esito></ns2:paaSILInviaDovutiRisposta>"#,
    );
    assert_eq!(parse_invia_dovuti_response(body.as_bytes()), Err(ResponseError::Xml(XmlError::DoctypeForbidden)));
}
