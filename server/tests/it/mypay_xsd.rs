//! Schema validation of everything the crate writes (xmllint against the patched XSD), plus
//! round trips of the `Pagati` serializer and a full ConRicevuta answer.

use crate::mypay_support;

use mypay::wire::amount::AmountCents;
use mypay::wire::dovuti::{build_dovuti, Cart, Debt, Payer, PayerKind};
use mypay::wire::pagati::{parse_pagati, AllegatoRicevuta, EsitoPagamento, Pagati, PagatiError, PagatiKind};
use mypay::wire::soap::{
    encode_pagati_field, encode_rt_field, match_cart, parse_chiedi_pagati_con_ricevuta_response, Mismatch, PagatiAnswer,
};
use mypay_support::fixture;
use mypay_support::xsd_check::{assert_xsd_invalid, assert_xsd_valid, original_xsd, patched_xsd};

fn example_b() -> Pagati {
    parse_pagati(&fixture("example_b_pagati.xml")).unwrap()
}

fn con_ricevuta() -> Pagati {
    let mut p = example_b();
    p.kind = PagatiKind::PagatiConRicevuta;
    p.dominio.identificativo_stazione_richiedente = Some("80007580279_01".into());
    let a = &mut p.istituto_attestante;
    a.codice_unit_oper = Some("UO1".into());
    a.denom_unit_oper = Some("Filiale".into());
    a.indirizzo = Some("Via Banca".into());
    a.civico = Some("2".into());
    a.cap = Some("00100".into());
    a.localita = Some("Roma".into());
    a.provincia = Some("RM".into());
    a.nazione = Some("IT".into());
    let e = &mut p.ente_beneficiario;
    e.indirizzo = Some("Dorsoduro 3901".into());
    e.localita = Some("Venezia".into());
    e.provincia = Some("Venezia".into()); // stText35 for the beneficiary
    e.nazione = Some("IT".into());
    for (i, s) in p.dati_pagamento.dati_singolo_pagamento.iter_mut().enumerate() {
        s.indice_dati_singolo_pagamento = Some(i as u8 + 1);
        s.commissioni_applicate_psp = Some(AmountCents(150));
        s.allegato_ricevuta = Some(AllegatoRicevuta { tipo: "ES".into(), testo: b"<esito/>".to_vec() });
    }
    p
}

#[test]
fn pagati_con_ricevuta_serializer_is_valid_and_roundtrips() {
    let p = con_ricevuta();
    let xml = p.to_xml();
    assert!(xml.starts_with("<PagatiConRicevuta xmlns=\"http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/\">"));
    assert_xsd_valid(xml.as_bytes());
    assert_eq!(parse_pagati(xml.as_bytes()).unwrap(), p);
}

#[test]
fn pagati_kind_omits_con_ricevuta_fields() {
    let mut p = con_ricevuta();
    p.kind = PagatiKind::Pagati;
    let xml = p.to_xml();
    assert!(!xml.contains("indiceDatiSingoloPagamento") && !xml.contains("allegatoRicevuta"));
    assert_xsd_valid(xml.as_bytes());
    let back = parse_pagati(xml.as_bytes()).unwrap();
    assert!(back.dati_pagamento.dati_singolo_pagamento.iter().all(|s| {
        s.indice_dati_singolo_pagamento.is_none()
            && s.commissioni_applicate_psp.is_none()
            && s.allegato_ricevuta.is_none()
    }));
}

#[test]
fn legacy_not_paid_pagati_is_valid() {
    let mut p = example_b();
    let dp = &mut p.dati_pagamento;
    dp.codice_esito_pagamento = EsitoPagamento::NotPaid;
    dp.importo_totale_pagato = AmountCents::ZERO;
    dp.identificativo_univoco_versamento = "RF20000000000000012345678".into();
    dp.codice_contesto_pagamento = "n/a".into();
    for s in &mut dp.dati_singolo_pagamento {
        s.singolo_importo_pagato = AmountCents::ZERO;
        s.esito_singolo_pagamento = Some("NON ESEGUITO".into());
        s.causale_versamento = "/RFS/RF20000000000000012345678/100.00/TXT/Iscrizione evento ECM 2025-123".into();
    }
    let xml = p.to_xml();
    assert!(xml.contains("<importoTotalePagato>0.00</importoTotalePagato>"));
    assert_xsd_valid(xml.as_bytes());
    let back = parse_pagati(xml.as_bytes()).unwrap();
    assert_eq!(back, p);
    let expected = [("ECM-2025-000123-A1-01", AmountCents(10000)), ("ECM-2025-000123-A1-02", AmountCents(5000))];
    assert_eq!(match_cart(&expected, &back), Err(Mismatch::NotPaid(EsitoPagamento::NotPaid)));

    // Without any datiSingoloPagamento (RT without IUR) and code 3.
    p.dati_pagamento.dati_singolo_pagamento.clear();
    p.dati_pagamento.codice_esito_pagamento = EsitoPagamento::TimedOut;
    let xml = p.to_xml();
    assert_xsd_valid(xml.as_bytes());
    assert_eq!(parse_pagati(xml.as_bytes()).unwrap(), p);
}

#[test]
fn validator_rejects_bad_pagati() {
    let xml = example_b().to_xml().replace(
        "<importoTotalePagato>150.00</importoTotalePagato>",
        "<importoTotalePagato>150.0</importoTotalePagato>",
    );
    let msg = assert_xsd_invalid(xml.as_bytes());
    assert!(msg.contains("importoTotalePagato"), "{msg}");
    assert!(matches!(parse_pagati(xml.as_bytes()), Err(PagatiError::InvalidValue { .. })));
}

#[test]
fn con_ricevuta_response_carries_rt_and_tipo_firma() {
    let p = con_ricevuta();
    let rt = br#"<RT xmlns="http://www.digitpa.gov.it/schemas/2011/Pagamenti/"><versioneOggetto>6.2.0</versioneOggetto></RT>"#;
    let body = format!(
        r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">x</wsa:Action></S:Header><S:Body><ns3:paaSILChiediPagatiConRicevutaRisposta xmlns:ns3="http://www.regione.veneto.it/pagamenti/ente/"><pagati>{}</pagati><tipoFirma></tipoFirma><rt>{}</rt></ns3:paaSILChiediPagatiConRicevutaRisposta></S:Body></S:Envelope>"#,
        encode_pagati_field(p.to_xml().as_bytes()),
        encode_rt_field(rt)
    );
    let out = parse_chiedi_pagati_con_ricevuta_response(body.as_bytes()).unwrap();
    let PagatiAnswer::Document(reply) = out else { panic!("expected a Pagati document, got {out:?}") };
    assert_eq!(reply.pagati, p);
    assert_eq!(reply.rt.as_deref(), Some(&rt[..]));
    assert_eq!(reply.tipo_firma.as_deref(), Some(""));
    assert_xsd_valid(&reply.pagati_xml);
}

fn payer() -> Payer {
    Payer {
        kind: PayerKind::Natural,
        id_code: "BNCLRA85T45F205L".into(),
        name: "Laura Bianchi".into(),
        address: None,
        civic_number: None,
        postal_code: None,
        city: None,
        province: None,
        country: None,
        email: None,
    }
}

#[test]
fn dovuti_variants_are_valid() {
    // Minimal: one debt, payer without optional fields.
    let minimal = Cart {
        payer: payer(),
        debts: vec![Debt {
            iud: "X".into(),
            amount: AmountCents(1),
            tipo_dovuto: "T".into(),
            causale: "C".into(),
            dati_specifici_riscossione: "0/ABC".into(),
        }],
    };
    assert_xsd_valid(build_dovuti(&minimal).unwrap().as_bytes());

    // Legal person.
    let mut legal = minimal.clone();
    legal.payer.kind = PayerKind::Legal;
    legal.payer.id_code = "80007580279".into();
    legal.payer.name = "Regione del Veneto".into();
    assert_xsd_valid(build_dovuti(&legal).unwrap().as_bytes());

    // Five debts at every maximum length, with characters that need escaping and non-ASCII.
    let maxed = Cart {
        payer: Payer {
            kind: PayerKind::Natural,
            id_code: "RSSMRAULALMHRLMD".into(),
            name: format!("Zoë & <Co> {}", "n".repeat(59)),
            address: Some("à".repeat(70)),
            civic_number: Some("1".repeat(16)),
            postal_code: Some("3".repeat(16)),
            city: Some("é".repeat(35)),
            province: Some("VE".into()),
            country: Some("IT".into()),
            email: Some(format!("{}@example.org", "x".repeat(244))),
        },
        debts: (1..=5)
            .map(|i| Debt {
                iud: format!("{i}{}", "I".repeat(34)),
                amount: AmountCents::MAX,
                tipo_dovuto: "T".repeat(64),
                causale: {
                    let prefix = "\"quote\" 'apos' & <lt> ";
                    format!("{prefix}{}", "c".repeat(1024 - prefix.chars().count()))
                },
                dati_specifici_riscossione: format!("9/{}", "D".repeat(138)),
            })
            .collect(),
    };
    assert_eq!(maxed.payer.name.chars().count(), 70);
    assert_eq!(maxed.payer.email.as_ref().unwrap().len(), 256);
    assert_eq!(maxed.debts[0].causale.chars().count(), 1024);
    assert_xsd_valid(build_dovuti(&maxed).unwrap().as_bytes());
}

#[test]
fn validator_rejects_reordered_and_oversized_dovuti() {
    let cart = Cart {
        payer: payer(),
        debts: vec![Debt {
            iud: "X".into(),
            amount: AmountCents(100),
            tipo_dovuto: "T".into(),
            causale: "C".into(),
            dati_specifici_riscossione: "9/ABC".into(),
        }],
    };
    let xml = build_dovuti(&cart).unwrap();
    assert_xsd_valid(xml.as_bytes());
    // T6: element order matters.
    let reordered = xml.as_str().replace(
        "<identificativoTipoDovuto>T</identificativoTipoDovuto>\n      <causaleVersamento>C</causaleVersamento>",
        "<causaleVersamento>C</causaleVersamento>\n      <identificativoTipoDovuto>T</identificativoTipoDovuto>",
    );
    assert_ne!(reordered, xml.as_str());
    assert_xsd_invalid(reordered.as_bytes());
    // T9: six debts are refused by the schema (our builder refuses them earlier).
    let one =
        xml.as_str().split("<datiSingoloVersamento>").nth(1).unwrap().split("</datiSingoloVersamento>").next().unwrap();
    let six = xml.as_str().replace(
        "</datiVersamento>",
        &format!("{}</datiVersamento>", format!("<datiSingoloVersamento>{one}</datiSingoloVersamento>").repeat(5)),
    );
    assert_xsd_invalid(six.as_bytes());
    // T8: an IUV is schema-valid but we never write one.
    assert!(!xml.as_str().contains("identificativoUnivocoVersamento"));
}

#[test]
fn patched_schema_differs_only_in_patterns() {
    let original = std::fs::read_to_string(original_xsd()).unwrap();
    let patched = std::fs::read_to_string(patched_xsd()).unwrap();
    assert_eq!(original.matches("\\/").count(), 3);
    assert!(!patched.contains("\\/"));
    let without_comment: String = {
        let start = patched.find("<!-- LOCAL PATCHED COPY").unwrap();
        let end = patched[start..].find("-->").unwrap() + start + 4;
        format!("{}{}", &patched[..start], &patched[end..])
    };
    assert_eq!(original.replace("\\/", "/"), without_comment);
}
