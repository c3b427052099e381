//! Golden tests against the examples of docs/mypay.md §9 (fixtures kept byte for byte in
//! `tests/fixtures/mypay/`; a bare §n below is a section of that page).

use crate::mypay_support;

use base64::Engine as _;
use mypay::wire::amount::{AmountCents, AmountError};
use mypay::wire::dovuti::build_dovuti;
use mypay::wire::pagati::{format_xsd_date_time, parse_pagati, EsitoPagamento, PagatiKind};
use mypay::wire::samples::example_a_cart;
use mypay::wire::soap::{
    build_chiedi_pagati, build_invia_dovuti, match_cart, parse_chiedi_pagati_response, parse_invia_dovuti_response,
    FaultCode, InviaDovutiOutcome, InviaDovutiParams, Mismatch, Operation, PagatiAnswer, ShowMyPay,
};
use mypay_support::xsd_check::{assert_xsd_invalid, assert_xsd_valid};
use mypay_support::{canonical, find_text, fixture};
use time::macros::{date, datetime, offset};

const COD_IPA: &str = "R_VENETO";
const PASSWORD: &str = "Ecm#Veneto2025";
const ID_SESSION: &str = "3f2a9c1e-7b4d-4e2a-9f11-e3a8cb1a9e0b";
const RETURN_URL: &str = "https://ecm.example.invalid/pagamenti/ritorno?ordine=2025-000123";

#[test]
fn example_a_dovuti_matches_reference() {
    let built = build_dovuti(&example_a_cart()).unwrap();
    let reference = fixture("example_a_dovuti.xml");

    // Namespace-aware comparison (prefixes and insignificant whitespace ignored).
    assert_eq!(canonical(built.as_bytes()), canonical(&reference));
    // Our formatting happens to be byte-identical to the reference text as well.
    assert_eq!(built.as_str(), std::str::from_utf8(&reference).unwrap());
    assert_xsd_valid(built.as_bytes());

    // The base64 in the reference request decodes to the reference document, and ours
    // round-trips through base64.
    let request = canonical(&fixture("example_a_request.xml"));
    let reference_b64 = find_text(&request, "dovuti").unwrap();
    let std = base64::engine::general_purpose::STANDARD;
    assert_eq!(std.decode(&reference_b64).unwrap(), reference);
    assert_eq!(std.decode(built.to_base64()).unwrap(), built.as_bytes());
    assert_eq!(built.to_base64(), reference_b64);
}

#[test]
fn example_a_request_matches_reference() {
    let dovuti = build_dovuti(&example_a_cart()).unwrap();
    let req = build_invia_dovuti(&InviaDovutiParams {
        cod_ipa_ente: COD_IPA,
        password: PASSWORD,
        dovuti: &dovuti,
        return_url: Some(RETURN_URL),
        show_my_pay: ShowMyPay::Short,
    })
    .unwrap();
    assert_eq!(req.operation, Operation::InviaDovuti);
    assert_eq!(req.soap_action_header(), "\"paaSILInviaDovuti\"");
    assert_eq!(canonical(req.body.as_bytes()), canonical(&fixture("example_a_request.xml")));
}

#[test]
fn example_a_response_is_accepted() {
    let out = parse_invia_dovuti_response(&fixture("example_a_response.xml")).unwrap();
    assert_eq!(
        out,
        InviaDovutiOutcome::Accepted {
            id_session: ID_SESSION.into(),
            url: "https://mypay.example.invalid/public/landing/inviaDovuti?id=a81c0f52-55e3-4c8b-b6a2-e3a8cb1a9f58"
                .into(),
        }
    );
}

#[test]
fn example_b_request_matches_reference() {
    let req = build_chiedi_pagati(COD_IPA, PASSWORD, ID_SESSION).unwrap();
    assert_eq!(req.soap_action_header(), "\"paaSILChiediPagati\"");
    assert_eq!(canonical(req.body.as_bytes()), canonical(&fixture("example_b_request.xml")));
}

#[test]
fn example_b_response_is_paid() {
    let out = parse_chiedi_pagati_response(&fixture("example_b_response.xml")).unwrap();
    let PagatiAnswer::Document(reply) = &out else { panic!("expected a Pagati document, got {out:?}") };
    let p = &reply.pagati;

    // The decoded (double base64, T1) document is the reference one.
    assert_eq!(canonical(&reply.pagati_xml), canonical(&fixture("example_b_pagati.xml")));
    assert_eq!(reply.rt, None);

    assert_eq!(p.kind, PagatiKind::Pagati);
    assert_eq!(p.versione_oggetto, "6.2.0");
    assert_eq!(p.dominio.identificativo_dominio, "80007580279");
    assert_eq!(p.dominio.identificativo_stazione_richiedente, None);
    assert_eq!(p.identificativo_messaggio_ricevuta, "c1a5e0f2b7d94e4f9a3b8c6d2e1f0a97");
    assert_eq!(p.data_ora_messaggio_ricevuta.date_time, datetime!(2025-03-14 10:21:47));
    assert_eq!(p.data_ora_messaggio_ricevuta.offset, Some(offset!(+1)));
    assert_eq!(format_xsd_date_time(&p.data_ora_messaggio_ricevuta), "2025-03-14T10:21:47.000+01:00");
    assert_eq!(p.riferimento_messaggio_richiesta, "c1a5e0f2b7d94e4f9a3b8c6d2e1f0a97");
    assert_eq!(p.riferimento_data_richiesta, date!(2025 - 03 - 14));
    assert_eq!(p.istituto_attestante.identificativo_univoco.tipo, "B");
    assert_eq!(p.istituto_attestante.identificativo_univoco.codice, "ABCDITMMXXX");
    assert_eq!(p.istituto_attestante.denominazione, "Banca Esempio S.p.A.");
    assert_eq!(p.ente_beneficiario.identificativo_univoco.tipo, "G");
    assert_eq!(p.ente_beneficiario.identificativo_univoco.codice, "80007580279");
    assert_eq!(p.ente_beneficiario.denominazione, "Regione del Veneto");
    assert_eq!(p.soggetto_pagatore, example_a_cart().payer);

    let dp = &p.dati_pagamento;
    assert_eq!(dp.codice_esito_pagamento, EsitoPagamento::Paid);
    assert_eq!(dp.importo_totale_pagato, AmountCents(15000));
    assert_eq!(dp.identificativo_univoco_versamento, "02000000000123456");
    assert_eq!(dp.codice_contesto_pagamento, "c1a5e0f2b7d94e4f9a3b8c6d2e1f0a97");
    assert_eq!(dp.dati_singolo_pagamento.len(), 2);
    let s0 = &dp.dati_singolo_pagamento[0];
    assert_eq!(s0.identificativo_univoco_dovuto, "ECM-2025-000123-A1-01");
    assert_eq!(s0.singolo_importo_pagato, AmountCents(10000));
    assert_eq!(s0.esito_singolo_pagamento.as_deref(), Some("0"));
    assert_eq!(s0.data_esito_singolo_pagamento, date!(2025 - 03 - 14));
    assert_eq!(s0.identificativo_univoco_riscossione, "c1a5e0f2b7d94e4f9a3b8c6d2e1f0a97");
    assert_eq!(s0.causale_versamento, "Iscrizione evento ECM 2025-123");
    assert_eq!(s0.dati_specifici_riscossione, "9/0301109AP");
    assert_eq!(s0.indice_dati_singolo_pagamento, None);
    let s1 = &dp.dati_singolo_pagamento[1];
    assert_eq!(s1.identificativo_univoco_dovuto, "ECM-2025-000123-A1-02");
    assert_eq!(s1.singolo_importo_pagato, AmountCents(5000));
    assert_eq!(s1.causale_versamento, "Diritti di segreteria evento ECM 2025-123");

    // §8: the payment matches the Example A cart.
    let expected = example_a_cart().expected_lines();
    assert_eq!(match_cart(&expected, p), Ok(()));
    // ...and would not match a cart with a different amount.
    let mut other = expected.clone();
    other[1].1 = AmountCents(5001);
    assert!(matches!(match_cart(&other, p), Err(Mismatch::LineAmountDiffers { .. } | Mismatch::TotalDiffers { .. })));
}

#[test]
fn example_b_pagati_serializer_roundtrip() {
    let p = parse_pagati(&fixture("example_b_pagati.xml")).unwrap();
    let xml = p.to_xml();
    assert_eq!(canonical(xml.as_bytes()), canonical(&fixture("example_b_pagati.xml")));
    assert_eq!(parse_pagati(xml.as_bytes()).unwrap(), p);
    assert_xsd_valid(xml.as_bytes());
}

#[test]
fn example_c_in_progress_is_pending() {
    let out = parse_chiedi_pagati_response(&fixture("example_c_response.xml")).unwrap();
    let PagatiAnswer::Fault(f) = out else { panic!("expected a fault, got {out:?}") };
    assert_eq!(f.code, FaultCode::PagamentoInCorso);
    assert_eq!(f.fault_string, format!("Pagamento in corso per idSession specificato [{ID_SESSION}]"));
    assert_eq!(f.id.as_deref(), Some(COD_IPA));
    assert_eq!(f.description, None);

    // Checkout-mode variant of the same moment (§9.3): also pending (T12).
    let checkout = String::from_utf8(fixture("example_c_response.xml"))
        .unwrap()
        .replace("PAA_PAGAMENTO_IN_CORSO", "PAA_PAGAMENTO_NON_INIZIATO");
    let out = parse_chiedi_pagati_response(checkout.as_bytes()).unwrap();
    assert!(matches!(out, PagatiAnswer::Fault(f) if f.code == FaultCode::PagamentoNonIniziato));
}

#[test]
fn example_d_ko_with_description() {
    let out = parse_invia_dovuti_response(&fixture("example_d_response.xml")).unwrap();
    let InviaDovutiOutcome::Rejected(f) = out else { panic!("expected Rejected, got {out:?}") };
    assert_eq!(f.code, FaultCode::XmlNonValido);
    assert_eq!(f.fault_string, "XML dei dovuti non valido");
    assert_eq!(f.id.as_deref(), Some(COD_IPA));
    let description = f.description.unwrap();
    assert!(description.starts_with("XML ricevuto per paaSILInviaDovuti non conforme all' XSD per ente [R_VENETO]"));
    assert!(description.contains("Value '50.5' is not facet-valid"));
}

#[test]
fn example_d_dovuti_is_refused_by_us_and_by_the_validator() {
    // The reference's bad Dovuti (amount "50.5") cannot be produced by the builder: the amount
    // type has no such representation and the wire parser refuses the text.
    assert_eq!(AmountCents::parse("50.5"), Err(AmountError::Format));
    let std = base64::engine::general_purpose::STANDARD;
    let b64 = String::from_utf8(fixture("example_d_dovuti.b64")).unwrap();
    let bad = std.decode(b64.trim()).unwrap();
    // Negative control for the validator: xmllint rejects it, naming the element.
    let msg = assert_xsd_invalid(&bad);
    assert!(msg.contains("importoSingoloVersamento"), "{msg}");
    // Same document with the amount fixed is valid (so the failure was the amount).
    let fixed = String::from_utf8(bad).unwrap().replace(">50.5<", ">50.50<");
    assert_xsd_valid(fixed.as_bytes());
}

#[test]
fn soap_fault_example() {
    let out = parse_invia_dovuti_response(&fixture("soap_fault_server.xml")).unwrap();
    let InviaDovutiOutcome::SoapFault(f) = out else { panic!("expected SoapFault, got {out:?}") };
    assert_eq!(f.fault_code, "SOAP-ENV:Server");
    assert_eq!(f.fault_string, "(Java exception message, may be empty)");
    let out = parse_chiedi_pagati_response(&fixture("soap_fault_server.xml")).unwrap();
    assert!(matches!(out, PagatiAnswer::SoapFault(_)));
}
