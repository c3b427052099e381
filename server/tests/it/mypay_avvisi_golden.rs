//! Golden tests of the payment-notice operations against the examples of docs/mypay-avvisi.md §8
//! (fixtures `avvisi_8_*`, kept byte for byte): the requests we build are those bytes (the
//! `Versamento` byte for byte, the envelopes modulo prefixes and whitespace), the answers parse
//! to the right typed outcome – at the wire level and through the real client over HTTP – and
//! everything we send validates against the WSDL's inline schemas and the XSD. A bare §n (or trap
//! An) below is a section of docs/mypay-avvisi.md.

use crate::mypay_support;

use std::time::Duration;

use base64::Engine as _;
use mypay::wire::avvisi::{
    build_importa_dovuto, build_registra_pagamento, build_verifica_avviso, parse_importa_dovuto_response,
    parse_registra_pagamento_response, parse_verifica_avviso_response, AttestorKind, ImportaDovutoOutcome,
    ImportaDovutoParams, RegistraPagamentoOutcome, RegistraPagamentoParams,
};
use mypay::wire::pagati::{parse_pagati, EsitoPagamento, PagatiKind, PaymentChannel};
use mypay::wire::samples::golden_position;
use mypay::wire::soap::{
    build_chiedi_pagati_con_ricevuta, encode_pagati_field, match_cart, parse_chiedi_pagati_con_ricevuta_response,
    FaultCode, InviaDovutiOutcome, Mismatch, Operation, PagatiAnswer, PagatiLookup,
};
use mypay::wire::versamento::{build_versamento, Azione};
use mypay::{
    AmountCents, Attestor, CancelOutcome, InsertOutcome, Iuv, MyPayClient, MyPayConfig, NotPayableReason,
    OffPagoPaPayment, PaymentStatus, PendingReason, ReceiptLookup, RecordOutcome, VerifyOutcome,
};
use mypay_support::xsd_check::assert_xsd_valid;
use mypay_support::{
    assert_wsdl_invalid, assert_wsdl_valid, canonical, find_text, fixture, payload_of, COD_IPA, PASSWORD,
};
use time::macros::date;

const IUV: &str = "01000000012345688";
const RETURN_URL: &str = "https://ecm.example.invalid/pagamenti/ritorno?avviso=ECM-2025-000456";

fn importa_request(azione: Azione, iuv: Option<&str>, flag: Option<bool>) -> String {
    let versamento = build_versamento(&golden_position(), azione, iuv).unwrap();
    let request = build_importa_dovuto(&ImportaDovutoParams {
        cod_ipa_ente: COD_IPA,
        password: PASSWORD,
        versamento: &versamento,
        flag_genera_iuv: flag,
    })
    .unwrap();
    assert_eq!(request.operation, Operation::ImportaDovuto);
    assert_eq!(request.soap_action_header(), "\"paaSILImportaDovuto\"");
    request.body
}

#[test]
fn versamento_of_8_1_is_byte_identical_and_schema_valid() {
    let built = build_versamento(&golden_position(), Azione::Inserimento, None).unwrap();
    let reference = fixture("avvisi_8_1_versamento.xml");
    assert_eq!(built.as_str(), std::str::from_utf8(&reference).unwrap());
    assert_xsd_valid(built.as_bytes());
    // The request's dovuto is the single base64 of exactly these bytes (§0.2).
    let request = canonical(&fixture("avvisi_8_1_request.xml"));
    assert_eq!(built.to_base64(), find_text(&request, "dovuto").unwrap());
}

#[test]
fn requests_of_8_1_8_3_8_4_match_the_reference() {
    for (fixture_name, body) in [
        ("avvisi_8_1_request.xml", importa_request(Azione::Inserimento, None, Some(true))),
        ("avvisi_8_3_request.xml", importa_request(Azione::Annullamento, None, Some(false))),
        ("avvisi_8_4_request.xml", importa_request(Azione::Stampa, Some(IUV), None)),
    ] {
        assert_eq!(canonical(body.as_bytes()), canonical(&fixture(fixture_name)), "{fixture_name}");
        assert_wsdl_valid(&body, "paaSILImportaDovuto");
        // The inner document is schema-valid too.
        let dovuto = find_text(&canonical(body.as_bytes()), "dovuto").unwrap();
        assert_xsd_valid(&base64::engine::general_purpose::STANDARD.decode(dovuto).unwrap());
    }
}

#[test]
fn requests_of_8_5_8_6_8_7_match_the_reference() {
    let registra = build_registra_pagamento(&RegistraPagamentoParams {
        cod_ipa_ente: COD_IPA,
        password: PASSWORD,
        iuv: IUV,
        amount: AmountCents(10000),
        date: date!(2025 - 04 - 10),
        index: Some(1),
        iur: "TRN-20250410-000123",
        attestor_kind: AttestorKind::Bic,
        attestor_code: "ABCDITMMXXX",
        attestor_name: "Banca Tesoriera Esempio S.p.A.",
    })
    .unwrap();
    assert_eq!(registra.soap_action_header(), "\"paaSILRegistraPagamento\"");
    assert_eq!(canonical(registra.body.as_bytes()), canonical(&fixture("avvisi_8_5_request.xml")));
    assert_wsdl_valid(&registra.body, "paaSILRegistraPagamento");

    let verifica = build_verifica_avviso(COD_IPA, PASSWORD, IUV, Some(RETURN_URL)).unwrap();
    assert_eq!(verifica.soap_action_header(), "\"paaSILVerificaAvviso\"");
    assert_eq!(canonical(verifica.body.as_bytes()), canonical(&fixture("avvisi_8_6_request.xml")));
    assert_wsdl_valid(&verifica.body, "paaSILVerificaAvviso");

    let by_iuv = build_chiedi_pagati_con_ricevuta(COD_IPA, PASSWORD, PagatiLookup::Iuv(IUV)).unwrap();
    assert_eq!(canonical(by_iuv.body.as_bytes()), canonical(&fixture("avvisi_8_7_request.xml")));
    assert_wsdl_valid(&by_iuv.body, "paaSILChiediPagatiConRicevuta");
}

#[test]
fn the_wsdl_check_can_fail() {
    // Negative controls: a qualified child, a missing dovuto, children out of order.
    let body = importa_request(Azione::Inserimento, None, Some(true));
    let payload = payload_of(&body, "paaSILImportaDovuto");
    let qualified = payload.replace("<password>", "<ente:password>").replace("</password>", "</ente:password>");
    assert!(assert_wsdl_invalid(&qualified).contains("password"));
    let start = payload.find("<dovuto>").unwrap();
    let end = payload.find("</dovuto>").unwrap() + "</dovuto>".len();
    let without_dovuto = format!("{}{}", &payload[..start], &payload[end..]);
    assert_wsdl_invalid(&without_dovuto);
    let registra =
        payload_of(&String::from_utf8(fixture("avvisi_8_5_request.xml")).unwrap(), "paaSILRegistraPagamento");
    let swapped = registra.replacen("<codIpaEnte>R_VENETO</codIpaEnte>", "", 1).replacen(
        "</password>",
        "</password><codIpaEnte>R_VENETO</codIpaEnte>",
        1,
    );
    assert_wsdl_invalid(&swapped);
    // Every reference answer validates, so the check is not too strict.
    for (name, local) in [
        ("avvisi_8_1_response.xml", "paaSILImportaDovutoRisposta"),
        ("avvisi_8_2_response.xml", "paaSILImportaDovutoRisposta"),
        ("avvisi_8_4_response.xml", "paaSILImportaDovutoRisposta"),
        ("avvisi_8_5_response_ok.xml", "paaSILRegistraPagamentoRisposta"),
        ("avvisi_8_5_response_ko.xml", "paaSILRegistraPagamentoRisposta"),
        ("avvisi_8_6_response_ok.xml", "paaSILVerificaAvvisoRisposta"),
        ("avvisi_8_6_response_ko.xml", "paaSILVerificaAvvisoRisposta"),
        ("avvisi_8_7_response.xml", "paaSILChiediPagatiConRicevutaRisposta"),
    ] {
        assert_wsdl_valid(&String::from_utf8(fixture(name)).unwrap(), local);
    }
}

fn reply(name: &str) -> mypay::wire::avvisi::ImportaDovutoReply {
    match parse_importa_dovuto_response(&fixture(name)).unwrap() {
        ImportaDovutoOutcome::Reply(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn wire_answers_of_8_1_8_2_8_4() {
    let ok = reply("avvisi_8_1_response.xml");
    assert!(ok.is_ok());
    assert_eq!(ok.iuv.as_deref(), Some(IUV));
    // &amp; resolved; the URL kept whole.
    assert!(ok
        .url_file_avviso
        .as_deref()
        .unwrap()
        .starts_with("https://mypay.example.invalid/public/landing/avviso?id=4711&securityToken=eyJ"));

    // §8.2 (trap A2): a KO that carries a (consumed) IUV.
    let ko = reply("avvisi_8_2_response.xml");
    let f = ko.fault.clone().unwrap();
    assert_eq!(f.code, FaultCode::ImportIudDuplicato);
    assert_eq!(
        f.fault_string,
        "paaSILImportaDovuto: Errore import dovuto IUV [01000000012345789] e IUD [ECM-2025-000456-AV-01]: IUD attivo presente nel database, non si accettano dovuti duplicati"
    );
    assert_eq!(ko.iuv.as_deref(), Some("01000000012345789"));
    assert!(!ko.is_ok());

    let s = reply("avvisi_8_4_response.xml");
    assert_eq!(s.fault.unwrap().code, FaultCode::IuvNonValido);
    assert!(s.iuv.is_none() && s.notice.is_none());
}

#[test]
fn wire_answers_of_8_5_8_6_8_7() {
    assert_eq!(
        parse_registra_pagamento_response(&fixture("avvisi_8_5_response_ok.xml")).unwrap(),
        RegistraPagamentoOutcome::Recorded
    );
    match parse_registra_pagamento_response(&fixture("avvisi_8_5_response_ko.xml")).unwrap() {
        RegistraPagamentoOutcome::Rejected(f) => {
            assert_eq!(
                (f.code, f.fault_string.as_str()),
                (FaultCode::EnteNonValido, "Password non valida per ente [R_VENETO]")
            )
        }
        other => panic!("{other:?}"),
    }
    match parse_verifica_avviso_response(&fixture("avvisi_8_6_response_ok.xml")).unwrap() {
        InviaDovutiOutcome::Accepted { id_session, url } => {
            assert_eq!(id_session, "6b1d9e27-0c4f-4d8a-a2b3-e3a8d0f5c2a1");
            assert!(url.ends_with("/public/landing/inviaDovuti?id=c7e2a410-93d5-4f6b-8e1c-e3a8d0f5c2b7"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_verifica_avviso_response(&fixture("avvisi_8_6_response_ko.xml")).unwrap(),
        InviaDovutiOutcome::Rejected(f) if f.code == FaultCode::IuvNonValido
    ));
    match parse_chiedi_pagati_con_ricevuta_response(&fixture("avvisi_8_7_response.xml")).unwrap() {
        PagatiAnswer::Fault(f) => {
            assert_eq!(f.code, FaultCode::PagamentoNonIniziato);
            assert_eq!(f.fault_string, format!("Pagamento non iniziato per ente [ R_VENETO ], IUV [{IUV}]"));
        }
        other => panic!("{other:?}"),
    }
}

/// The decoded `PagatiConRicevuta` of §8.5 inside a ChiediPagatiConRicevuta answer, with an
/// empty `rt` (§5.4).
fn rend9_answer() -> Vec<u8> {
    let pagati = fixture("avvisi_8_5_pagati.xml");
    let pagati = std::str::from_utf8(&pagati).unwrap().trim();
    format!(
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><ns2:paaSILChiediPagatiConRicevutaRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/"><pagati>{}</pagati><rt></rt></ns2:paaSILChiediPagatiConRicevutaRisposta></SOAP-ENV:Body></SOAP-ENV:Envelope>"#,
        encode_pagati_field(pagati.as_bytes())
    )
    .into_bytes()
}

#[test]
fn the_code_9_record_of_8_5_is_never_a_pagopa_payment() {
    let pagati = fixture("avvisi_8_5_pagati.xml");
    assert_xsd_valid(std::str::from_utf8(&pagati).unwrap().trim().as_bytes());
    let p = parse_pagati(std::str::from_utf8(&pagati).unwrap().trim().as_bytes()).unwrap();
    assert_eq!(p.kind, PagatiKind::PagatiConRicevuta);
    assert_eq!(p.channel(), PaymentChannel::RecordedByEnte);
    // Amount and IUD match the debt, code 0 – and still not "Paid".
    let expected = [("ECM-2025-000456-AV-01", AmountCents(10000))];
    assert_eq!(match_cart(&expected, &p), Err(Mismatch::RecordedByEnte));
    // Either mark alone is enough.
    let mut only_id = p.clone();
    only_id.dati_pagamento.dati_singolo_pagamento[0].esito_singolo_pagamento = Some("0".into());
    assert_eq!(only_id.channel(), PaymentChannel::RecordedByEnte);
    let mut only_text = p.clone();
    only_text.identificativo_messaggio_ricevuta = "c1a5e0f2".into();
    assert_eq!(only_text.channel(), PaymentChannel::RecordedByEnte);
    let mut neither = only_text.clone();
    neither.dati_pagamento.dati_singolo_pagamento[0].esito_singolo_pagamento = Some("0".into());
    assert_eq!(neither.channel(), PaymentChannel::PagoPa);
    assert_eq!(match_cart(&expected, &neither), Ok(()));

    match parse_chiedi_pagati_con_ricevuta_response(&rend9_answer()).unwrap() {
        PagatiAnswer::Document(reply) => {
            assert_eq!(reply.pagati.dati_pagamento.codice_esito_pagamento, EsitoPagamento::Paid);
            assert_eq!(reply.rt, None, "an empty rt is no receipt");
            assert_eq!(reply.pagati.channel(), PaymentChannel::RecordedByEnte);
        }
        other => panic!("{other:?}"),
    }
}

// ---- the same answers through the real client over HTTP ----------------------------------------

/// A one-route server answering every POST with `body`, and a client pointed at it.
async fn serve(body: Vec<u8>) -> (MyPayClient, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/ws/pa/PagamentiTelematiciDovutiPagati",
        axum::routing::post(move || {
            let body = body.clone();
            async move { ([("content-type", "text/xml; charset=utf-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = MyPayClient::new(MyPayConfig {
        endpoint: format!("http://{addr}/ws/pa/PagamentiTelematiciDovutiPagati"),
        cod_ipa_ente: COD_IPA.into(),
        password: mypay::Secret::new(PASSWORD),
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
    })
    .unwrap();
    (client, task)
}

#[tokio::test]
async fn the_client_types_every_reference_answer() {
    let iuv = Iuv::parse(IUV).unwrap();

    let (client, task) = serve(fixture("avvisi_8_1_response.xml")).await;
    match client.importa_dovuto_inserisci(&golden_position()).await.unwrap() {
        InsertOutcome::Created(notice) => {
            assert_eq!(notice.iuv, iuv);
            assert_eq!(notice.notice_number.as_str(), "301000000012345688");
            assert_eq!(notice.notice_number.grouped(), "3010 0000 0012 3456 88");
            assert!(notice.url.expose().contains("securityToken=eyJ"));
            assert!(!format!("{notice:?}").contains("securityToken"), "the token stays out of Debug");
        }
        other => panic!("{other:?}"),
    }
    task.abort();

    let (client, task) = serve(fixture("avvisi_8_2_response.xml")).await;
    match client.importa_dovuto_inserisci(&golden_position()).await.unwrap() {
        InsertOutcome::AlreadyExists { consumed_iuv, rejection } => {
            assert_eq!(consumed_iuv.as_deref(), Some("01000000012345789"));
            assert_eq!(rejection.code, FaultCode::ImportIudDuplicato);
        }
        other => panic!("{other:?}"),
    }
    task.abort();

    let (client, task) = serve(fixture("avvisi_8_4_response.xml")).await;
    match client.importa_dovuto_inserisci(&golden_position()).await.unwrap() {
        InsertOutcome::Rejected { consumed_iuv: None, rejection } => {
            assert_eq!(rejection.code, FaultCode::IuvNonValido)
        }
        other => panic!("{other:?}"),
    }
    task.abort();

    let (client, task) = serve(fixture("avvisi_8_5_response_ok.xml")).await;
    let payment = OffPagoPaPayment {
        iuv: iuv.clone(),
        amount: AmountCents(10000),
        date: date!(2025 - 04 - 10),
        iur: "TRN-20250410-000123".into(),
        attestor: Attestor {
            kind: AttestorKind::Bic,
            code: "ABCDITMMXXX".into(),
            name: "Banca Tesoriera Esempio S.p.A.".into(),
        },
        index: Some(1),
    };
    assert_eq!(client.registra_pagamento(&payment).await.unwrap(), RecordOutcome::Recorded);
    task.abort();
    let (client, task) = serve(fixture("avvisi_8_5_response_ko.xml")).await;
    assert!(matches!(client.registra_pagamento(&payment).await.unwrap(), RecordOutcome::CredentialsRejected(_)));
    task.abort();

    let (client, task) = serve(fixture("avvisi_8_6_response_ok.xml")).await;
    assert!(matches!(client.verifica_avviso(&iuv, RETURN_URL).await.unwrap(), VerifyOutcome::Accepted { .. }));
    task.abort();
    let (client, task) = serve(fixture("avvisi_8_6_response_ko.xml")).await;
    match client.verifica_avviso(&iuv, RETURN_URL).await.unwrap() {
        VerifyOutcome::NotPayable { reason, .. } => assert_eq!(reason, NotPayableReason::InPayment),
        other => panic!("{other:?}"),
    }
    task.abort();

    let (client, task) = serve(fixture("avvisi_8_7_response.xml")).await;
    assert!(matches!(
        client.chiedi_pagati_con_ricevuta(&ReceiptLookup::Iuv(IUV.into())).await.unwrap(),
        PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }
    ));
    task.abort();

    let (client, task) = serve(rend9_answer()).await;
    match client.chiedi_pagati_con_ricevuta(&ReceiptLookup::Iud("ECM-2025-000456-AV-01".into())).await.unwrap() {
        PaymentStatus::RecordedByEnte(p) => {
            assert_eq!(p.channel, PaymentChannel::RecordedByEnte);
            assert_eq!(p.receipt.as_ref().and_then(|r| r.rt.clone()), None);
            assert_eq!(p.verify(&[("ECM-2025-000456-AV-01", AmountCents(10000))]), Err(Mismatch::RecordedByEnte));
        }
        other => panic!("expected RecordedByEnte, got {other:?}"),
    }
    task.abort();

    // §8.3's answer to a cancel: only esito OK.
    let cancelled = String::from_utf8(fixture("avvisi_8_5_response_ok.xml"))
        .unwrap()
        .replace("paaSILRegistraPagamentoRisposta", "paaSILImportaDovutoRisposta");
    let (client, task) = serve(cancelled.into_bytes()).await;
    assert_eq!(client.importa_dovuto_annulla(&golden_position()).await.unwrap(), CancelOutcome::Cancelled);
    task.abort();
}
