//! The MyPay client against the simulator over real HTTP: every InviaDovuti fault code, the
//! ChiediPagati state table in both modes, receipts validated against the official schemas, the
//! landing round trip, and every injected transport fault.

use crate::mypay_support;

use std::time::Duration;

use mypay::{
    FaultCode, MyPayError, Payment, PaymentStatus, PendingReason, ReceiptLookup, ReceiptOutcome, SubmitOutcome,
};
use mypay_simulator::Mode;
use mypay_support::xsd_check::{assert_valid_against, assert_xsd_valid, pa_for_node_xsd, rpt_rt_xsd};
use mypay_support::{cart, fresh_iud, Sim, COD_IPA, PASSWORD};
use reqwest::StatusCode;

const RETURN_URL: &str = "https://ecm.example.invalid/pagamenti/ritorno";

async fn submit(sim: &Sim, n: usize) -> (String, String, mypay::Cart) {
    let cart = cart(n);
    match sim.client().invia_dovuti(&cart, RETURN_URL).await.unwrap() {
        SubmitOutcome::Accepted { id_session, url } => (id_session, url, cart),
        other => panic!("expected Accepted, got {other:?}"),
    }
}

fn expected(cart: &mypay::Cart) -> Vec<(String, mypay::AmountCents)> {
    cart.debts.iter().map(|d| (d.iud.clone(), d.amount)).collect()
}

async fn status(sim: &Sim, id: &str) -> PaymentStatus {
    sim.client().chiedi_pagati(id).await.unwrap()
}

fn paid(status: PaymentStatus) -> Payment {
    match status {
        PaymentStatus::Paid(p) => p,
        other => panic!("expected Paid, got {other:?}"),
    }
}

fn fault_of(status: &PaymentStatus) -> (&'static str, FaultCode, String) {
    let (label, r) = match status {
        PaymentStatus::Pending { rejection, .. } => (status.label(), rejection),
        PaymentStatus::Expired(r)
        | PaymentStatus::Cancelled(r)
        | PaymentStatus::UnknownSession(r)
        | PaymentStatus::NotFound(r)
        | PaymentStatus::CredentialsRejected(r)
        | PaymentStatus::SystemError(r)
        | PaymentStatus::OtherFault(r) => (status.label(), r),
        other => panic!("expected a fault, got {other:?}"),
    };
    (label, r.code.clone(), r.message.clone())
}

#[tokio::test]
async fn accepted_cart_gets_a_mypay_style_session_and_an_italian_landing_page() {
    let sim = Sim::start(Mode::Legacy).await;
    let (id_session, url, _) = submit(&sim, 2).await;
    // Four UUID groups, then the creation time as hex (36 characters until 2029).
    let groups: Vec<&str> = id_session.split('-').collect();
    assert_eq!(groups.len(), 5, "{id_session}");
    assert_eq!(id_session.len(), 36, "{id_session}");
    assert!(url.starts_with(&format!("{}/public/landing/inviaDovuti?id=", sim.base)), "{url}");

    let page = sim.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="it">"#), "{html}");
    for button in ["Paga", "Annulla", "Simula errore pagoPA", "Abbandona"] {
        assert!(html.contains(&format!(">{button}</button>")), "missing {button}");
    }
    assert!(html.contains("€ 150.00"), "{html}");
    sim.stop();
}

/// A valid Dovuti document as text, to mutate.
fn dovuti_xml(iud: &str, tipo: &str) -> String {
    // Built valid, then the IUD and tipo dovuto are replaced: they may be what MyPay refuses.
    let c = cart(1);
    let xml = mypay::wire::dovuti::build_dovuti(&c).unwrap().as_str().to_string();
    xml.replace(&c.debts[0].iud, iud).replace(&c.debts[0].tipo_dovuto, tipo)
}

#[tokio::test]
async fn every_reachable_invia_dovuti_fault_code_comes_back_distinguished() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();

    // A checked-out IUD, for PAA_IUD_DUPLICATO.
    let (used_id, _, used_cart) = submit(&sim, 1).await;
    sim.act(&used_id, "checkout").await;
    let used_iud = used_cart.debts[0].iud.clone();

    let base = |iud: &str| dovuti_xml(iud, "ECM_QUOTA_ANNUALE");
    let with_bilancio = |iud: &str, importo: &str| {
        base(iud).replace(
            "</datiSpecificiRiscossione>",
            &format!("</datiSpecificiRiscossione>\n      <bilancio><capitolo><codCapitolo>C1</codCapitolo><accertamento><importo>{importo}</importo></accertamento></capitolo></bilancio>"),
        )
    };
    let marca = "<datiMarcaBolloDigitale><tipoBollo>01</tipoBollo><hashDocumento>abc</hashDocumento><provinciaResidenza>VE</provinciaResidenza></datiMarcaBolloDigitale>";
    let cases: Vec<(String, bool, &str, String)> = vec![
        (
            base(&fresh_iud()).replace("<importoSingoloVersamento>100.00<", "<importoSingoloVersamento>100.5<"),
            false,
            "PAA_XML_NON_VALIDO",
            "XML dei dovuti non valido".into(),
        ),
        (
            base(&fresh_iud()).replace(
                "</tipoVersamento>",
                "</tipoVersamento>\n    <identificativoUnivocoVersamento>RF123</identificativoUnivocoVersamento>",
            ),
            false,
            "PAA_IUV_NON_VALIDO",
            "l'inserimento dello IUV è deprecato".into(),
        ),
        (
            base(&fresh_iud()).replace(">ALL<", ">XYZ<"),
            false,
            "PAA_TIPO_VERSAMENTO_NON_VALIDO",
            "Tipo versamento non valido [XYZ]".into(),
        ),
        (
            base(&fresh_iud()).replace("RSSMRA80A01H501U", "RSSMRA80A01H501V"),
            false,
            "PAA_CODICE_FISCALE_NON_VALIDO",
            "Codice fiscale non valido [RSSMRA80A01H501V]".into(),
        ),
        (
            base(&fresh_iud()).replace(">F<", ">G<").replace("RSSMRA80A01H501U", "80007580278"),
            false,
            "PAA_P_IVA_NON_VALIDO",
            "P.IVA non valida [80007580278]".into(),
        ),
        (base("000123"), false, "PAA_IUD_NON_VALIDO", "IdentificativoUnivocoDovuto non valido [000123]".into()),
        (base(&used_iud), false, "PAA_IUD_DUPLICATO", format!("IUD [{used_iud}] già inviato")),
        (
            dovuti_xml(&fresh_iud(), "ECM_XYZ"),
            false,
            "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
            "identificativoTipoDovuto [ECM_XYZ] non valido".into(),
        ),
        (
            dovuti_xml(&fresh_iud(), "ECM_DISABILITATO"),
            false,
            "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO",
            "identificativoTipoDovuto [ECM_DISABILITATO] non abilitato".into(),
        ),
        (
            dovuti_xml(&fresh_iud(), "MARCA_BOLLO_DIGITALE")
                .replace("</datiSpecificiRiscossione>", &format!("</datiSpecificiRiscossione>{marca}")),
            false,
            "PAA_IMPORTO_MARCA_BOLLO_DIGITALE_NON_VALIDA",
            "importoSingoloVersamento non valido per tipo dovuto MARCA_BOLLO_DIGITALE".into(),
        ),
        (
            base(&fresh_iud()).replace("</datiSpecificiRiscossione>", &format!("</datiSpecificiRiscossione>{marca}")),
            false,
            "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
            "dati marca da bollo non supportati su tipo dovuto diverso da marca da bollo".into(),
        ),
        (
            with_bilancio(&fresh_iud(), "99.00"),
            false,
            "PAA_IMPORTO_BILANCIO_NON_VALIDO",
            "Importo bilancio non congruente per dovuto con importo [100.00]".into(),
        ),
        (
            base(&fresh_iud()).replace("<causaleVersamento>Contributo ECM riga 1<", "<causaleVersamento>   <"),
            false,
            "PAA_CAUSALE_NON_PRESENTE",
            "Causale versamento obbligatoria mancante".into(),
        ),
        (
            base(&fresh_iud()).replace("<e-mailPagatore>mario.rossi@example.org</e-mailPagatore>", ""),
            true,
            "PAA_ANAGRAFICA_NON_VALIDA",
            "paaSILInviaDovuti: Anagrafica Pagatore non validaemail non valida]".into(),
        ),
    ];
    for (xml, none, code, message) in cases {
        match client.invia_dovuti_unchecked(&xml, Some(RETURN_URL), none).await.unwrap() {
            SubmitOutcome::Rejected(r) => {
                assert_eq!(r.code.as_str(), code, "{r:?}");
                assert_eq!(r.message, message);
                if code == "PAA_XML_NON_VALIDO" {
                    let d = r.description.unwrap_or_default();
                    assert!(d.starts_with("XML ricevuto per paaSILInviaDovuti non conforme all' XSD per ente [R_VENETO]  XML Error: \nelement: importoSingoloVersamento"), "{d}");
                }
            }
            other => panic!("{code}: got {other:?}"),
        }
    }
    // A bilancio that adds up is accepted.
    assert!(matches!(
        client.invia_dovuti_unchecked(&with_bilancio(&fresh_iud(), "100.00"), None, false).await.unwrap(),
        SubmitOutcome::Accepted { .. }
    ));

    // Credentials: wrong IPA code, wrong password.
    let c = cart(1);
    match sim.client_with("R_XXX", PASSWORD, Duration::from_secs(5)).invia_dovuti(&c, RETURN_URL).await.unwrap() {
        SubmitOutcome::CredentialsRejected(r) => {
            assert_eq!((r.code, r.message.as_str()), (FaultCode::EnteNonValido, "codice IPA Ente [R_XXX] non valido"))
        }
        other => panic!("{other:?}"),
    }
    match sim.client_with(COD_IPA, "Wrong#Pass2025", Duration::from_secs(5)).invia_dovuti(&c, RETURN_URL).await.unwrap()
    {
        SubmitOutcome::CredentialsRejected(r) => assert_eq!(r.message, "Password non valida per ente [R_VENETO]"),
        other => panic!("{other:?}"),
    }
    sim.stop();

    // An Ente not yet activated.
    let mut config = mypay_support::test_config(Mode::Legacy);
    config.ente.active = false;
    let inactive = Sim::start_with(config).await;
    match inactive.client().invia_dovuti(&cart(1), RETURN_URL).await.unwrap() {
        SubmitOutcome::CredentialsRejected(r) => {
            assert_eq!((r.code, r.message.as_str()), (FaultCode::StatoEnteNonValido, "Stato Ente Non Valido"))
        }
        other => panic!("{other:?}"),
    }
    inactive.stop();
}

#[tokio::test]
async fn missing_header_is_a_soap_fault_and_an_unknown_body_element_a_404() {
    let sim = Sim::start(Mode::Legacy).await;
    let no_header = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ente="http://www.regione.veneto.it/pagamenti/ente/"><soapenv:Body><ente:paaSILInviaDovuti><password>x</password><dovuti>PA==</dovuti></ente:paaSILInviaDovuti></soapenv:Body></soapenv:Envelope>"#;
    let response = sim
        .http
        .post(&sim.soap_url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(no_header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = response.text().await.unwrap();
    assert!(body.contains("<faultcode>SOAP-ENV:Server</faultcode>"), "{body}");

    let unknown = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x:paaSILChiediPagati xmlns:x="urn:wrong"/></soapenv:Body></soapenv:Envelope>"#;
    // Any path under /ws/ reaches the same dispatcher.
    let response = sim.http.post(format!("{}/ws/anything/else", sim.base)).body(unknown).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.bytes().await.unwrap().is_empty());

    // The client reports an HTTP 404 with an empty body as such.
    let mut wrong = sim.client();
    wrong = mypay::MyPayClient::new(mypay::MyPayConfig {
        endpoint: format!("{}/nowhere", sim.base),
        ..mypay_support_config(&wrong)
    })
    .unwrap();
    assert_eq!(wrong.chiedi_pagati("abc").await.unwrap_err(), MyPayError::HttpStatus { status: 404, empty_body: true });
    sim.stop();
}

fn mypay_support_config(_client: &mypay::MyPayClient) -> mypay::MyPayConfig {
    mypay::MyPayConfig {
        endpoint: String::new(),
        cod_ipa_ente: COD_IPA.into(),
        password: mypay::Secret::new(PASSWORD),
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn legacy_mode_state_table() {
    let sim = Sim::start(Mode::Legacy).await;

    // Not checked out: NON_INIZIATO ("per l'idSession").
    let (id, _, _) = submit(&sim, 1).await;
    let s = status(&sim, &id).await;
    assert!(matches!(s, PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }), "{s:?}");
    assert_eq!(fault_of(&s).2, format!("Pagamento non iniziato per l'idSession specificato [{id}]"));

    // Checked out: IN_CORSO.
    sim.act(&id, "checkout").await;
    let s = status(&sim, &id).await;
    assert!(matches!(s, PaymentStatus::Pending { reason: PendingReason::InProgress, .. }), "{s:?}");
    assert_eq!(fault_of(&s).2, format!("Pagamento in corso per idSession specificato [{id}]"));

    // Paid: RF IUV, amounts per IUD, receipt id and date, verified against the cart.
    let (id, _, c) = submit(&sim, 2).await;
    sim.act(&id, "pay").await;
    let p = paid(status(&sim, &id).await);
    assert!(p.iuv.starts_with("RF") && p.iuv.len() == 25, "{}", p.iuv);
    assert_eq!(p.total.cents(), 15000);
    assert_eq!(p.lines.iter().map(|l| (l.iud.clone(), l.amount)).collect::<Vec<_>>(), expected(&c));
    assert!(p.lines.iter().all(|l| !l.iur.is_empty() && l.outcome_text.as_deref() == Some("ESEGUITO")));
    assert!(!p.receipt_id.is_empty() && p.receipt_offset_date_time().is_some());
    assert_eq!(p.verify(&expected(&c)), Ok(()));
    assert_xsd_valid(&p.pagati_xml);

    // Not paid (1), timed out (3), partial timed out (4), partially paid (2 → SYSTEM_ERROR).
    for (action, outcome) in [("not-paid", ReceiptOutcome::NotPaid), ("timed-out", ReceiptOutcome::TimedOut)] {
        let (id, _, _) = submit(&sim, 2).await;
        sim.act(&id, action).await;
        match status(&sim, &id).await {
            PaymentStatus::NotPaid(p) => {
                assert_eq!((p.outcome, p.total.cents(), p.lines.len()), (outcome, 0, 0));
                assert_xsd_valid(&p.pagati_xml);
            }
            other => panic!("{action}: {other:?}"),
        }
    }
    let (id, _, c) = submit(&sim, 2).await;
    sim.act(&id, "partial-timed-out").await;
    match status(&sim, &id).await {
        PaymentStatus::Partial(p) => {
            assert_eq!(p.outcome, ReceiptOutcome::PartiallyTimedOut);
            assert_eq!(p.total, c.debts[0].amount);
            assert_xsd_valid(&p.pagati_xml);
        }
        other => panic!("{other:?}"),
    }
    let (id, _, _) = submit(&sim, 1).await;
    sim.act(&id, "partial").await;
    assert_eq!(fault_of(&status(&sim, &id).await).1, FaultCode::SystemError);

    // ABORT → ANNULLATO; checked-out cart expired → SCADUTO ("per idSession").
    let (id, _, _) = submit(&sim, 1).await;
    sim.act(&id, "abort").await;
    let s = status(&sim, &id).await;
    assert_eq!(
        (fault_of(&s).0, fault_of(&s).2),
        ("cancelled", format!("Pagamento annullato per idSession specificato [{id}]"))
    );
    let (id, _, _) = submit(&sim, 1).await;
    sim.act(&id, "checkout").await;
    sim.act(&id, "expire").await;
    let s = status(&sim, &id).await;
    assert_eq!(
        (fault_of(&s).0, fault_of(&s).2),
        ("expired", format!("Pagamento scaduto per idSession specificato [{id}]"))
    );

    // Never checked out: cache gone (60–65 min) → ID_SESSION_NON_VALIDO, then SCADUTO.
    let (id, _, _) = submit(&sim, 1).await;
    sim.advance_clock(3600 + 10).await;
    assert_eq!(fault_of(&status(&sim, &id).await).0, "unknown_session");
    sim.advance_clock(300).await;
    let s = status(&sim, &id).await;
    assert_eq!(
        (fault_of(&s).0, fault_of(&s).2),
        ("expired", format!("Pagamento scaduto per l'idSession specificato [{id}]"))
    );

    // Unknown ids: a recent timestamp → unknown; an old one → expired (MyPay reads the time).
    let s = status(&sim, "3f2a9c1e-7b4d-4e2a-9f11-zzzz").await;
    assert_eq!(
        fault_of(&s),
        (
            "unknown_session",
            FaultCode::IdSessionNonValido,
            "idSession [3f2a9c1e-7b4d-4e2a-9f11-zzzz] non valido per l Ente specificato".into()
        )
    );
    assert_eq!(fault_of(&status(&sim, "3f2a9c1e-7b4d-4e2a-9f11-e3a8cb1a9e0b").await).0, "expired");

    // Credentials.
    let s = sim.client_with(COD_IPA, "Wrong#Pass2025", Duration::from_secs(5)).chiedi_pagati(&id).await.unwrap();
    assert_eq!(
        fault_of(&s),
        ("credentials_rejected", FaultCode::EnteNonValido, "Password non valida per ente [R_VENETO]".into())
    );
    sim.stop();
}

#[tokio::test]
async fn checkout_mode_state_table_with_late_receipt() {
    let sim = Sim::start(Mode::Checkout).await;

    // Before and after checkout: NON_INIZIATO (no cart row while the citizen pays, T12).
    let (id, _, c) = submit(&sim, 2).await;
    assert!(matches!(status(&sim, &id).await, PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }));
    sim.act(&id, "checkout").await;
    assert!(matches!(status(&sim, &id).await, PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }));

    // Paid with a receipt delayed by 60 s.
    let delayed =
        sim.admin(&format!("/admin/sessions/{id}/pay"), Some(serde_json::json!({"receipt_delay_seconds": 60}))).await;
    assert_eq!(delayed, StatusCode::NO_CONTENT);
    assert!(matches!(status(&sim, &id).await, PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }));
    sim.advance_clock(61).await;
    let p = paid(status(&sim, &id).await);
    assert!(p.iuv.len() == 17 && p.iuv.bytes().all(|b| b.is_ascii_digit()), "{}", p.iuv);
    assert!(p.lines.iter().all(|l| l.iur == p.receipt_id && l.outcome_text.as_deref() == Some("0")));
    assert_eq!(p.verify(&expected(&c)), Ok(()));
    assert_xsd_valid(&p.pagati_xml);

    // A receipt so late that ChiediPagati already said SCADUTO still turns the session PAID.
    let (id, _, _) = submit(&sim, 1).await;
    let late =
        sim.admin(&format!("/admin/sessions/{id}/pay"), Some(serde_json::json!({"receipt_delay_seconds": 4000}))).await;
    assert_eq!(late, StatusCode::NO_CONTENT);
    sim.advance_clock(3901 + 5).await;
    assert_eq!(fault_of(&status(&sim, &id).await).0, "expired");
    sim.advance_clock(100).await;
    assert!(matches!(status(&sim, &id).await, PaymentStatus::Paid(_)));

    // pagoPA ko: no cart row → NON_INIZIATO while cached, SCADUTO later. Negative receipts do
    // not exist in this mode.
    let (id, _, _) = submit(&sim, 1).await;
    sim.act(&id, "fail").await;
    assert_eq!(fault_of(&status(&sim, &id).await).0, "pending_not_started");
    sim.act(&id, "expire").await;
    assert_eq!(fault_of(&status(&sim, &id).await).0, "expired");
    let (id, _, _) = submit(&sim, 1).await;
    assert_eq!(sim.admin(&format!("/admin/sessions/{id}/not-paid"), None).await, StatusCode::CONFLICT);
    sim.stop();
}

#[tokio::test]
async fn receipts_by_session_iud_and_iuv_validate_against_the_official_schemas() {
    for mode in [Mode::Legacy, Mode::Checkout] {
        let sim = Sim::start(mode).await;
        let client = sim.client();
        let (id, _, c) = submit(&sim, 2).await;
        // Before checkout MyPay does not know the IUD.
        let s = client.chiedi_pagati_con_ricevuta(&ReceiptLookup::Iud(c.debts[0].iud.clone())).await.unwrap();
        assert_eq!(
            fault_of(&s),
            ("not_found", FaultCode::IudNonValido, "IUD non valido per ente [ R_VENETO ].".into())
        );
        sim.act(&id, "pay").await;
        let iuv = sim.session(&id).await["iuv"].as_str().unwrap().to_string();
        for lookup in [
            ReceiptLookup::IdSession(id.clone()),
            ReceiptLookup::Iud(c.debts[1].iud.clone()),
            ReceiptLookup::Iuv(iuv.clone()),
        ] {
            let p = paid(client.chiedi_pagati_con_ricevuta(&lookup).await.unwrap());
            assert_eq!(p.iuv, iuv);
            assert_eq!(p.verify(&expected(&c)), Ok(()));
            assert_xsd_valid(&p.pagati_xml);
            assert!(std::str::from_utf8(&p.pagati_xml).unwrap().starts_with("<PagatiConRicevuta"));
            let receipt = p.receipt.expect("ConRicevuta carries the receipt");
            let rt = receipt.rt.expect("rt present");
            match mode {
                Mode::Legacy => {
                    assert_eq!(receipt.tipo_firma.as_deref(), Some(""));
                    assert_valid_against(&rt, &rpt_rt_xsd());
                }
                Mode::Checkout => {
                    assert_eq!(receipt.tipo_firma, None);
                    let wrapped = format!(
                        r#"<pafn:paSendRTReq xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><idPA>80007580279</idPA><idBrokerPA>80007580279</idBrokerPA><idStation>80007580279_01</idStation>{}</pafn:paSendRTReq>"#,
                        std::str::from_utf8(&rt)
                            .unwrap()
                            .trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
                    );
                    assert_valid_against(wrapped.as_bytes(), &pa_for_node_xsd());
                }
            }
        }
        let s = client.chiedi_pagati_con_ricevuta(&ReceiptLookup::Iuv("99999999999999999".into())).await.unwrap();
        assert_eq!(fault_of(&s).1, FaultCode::IuvNonValido);
        sim.stop();
    }
}

#[tokio::test]
async fn legacy_rt_of_a_negative_outcome_is_schema_valid_too() {
    let sim = Sim::start(Mode::Legacy).await;
    let (id, _, _) = submit(&sim, 3).await;
    sim.act(&id, "timed-out").await;
    match sim.client().chiedi_pagati_con_ricevuta(&ReceiptLookup::IdSession(id)).await.unwrap() {
        PaymentStatus::NotPaid(p) => assert_valid_against(&p.receipt.unwrap().rt.unwrap(), &rpt_rt_xsd()),
        other => panic!("{other:?}"),
    }
    sim.stop();
}

#[tokio::test]
async fn landing_buttons_redirect_with_303_and_the_outcome_follows() {
    let sim = Sim::start(Mode::Legacy).await;

    let (id, url, _) = submit(&sim, 1).await;
    let response = sim.press(&url, "paga").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{RETURN_URL}?idSession={id}&esito=OK&pollingToken=")), "{location}");
    assert!(matches!(status(&sim, &id).await, PaymentStatus::Paid(_)));
    // The landing id is single use.
    assert_eq!(sim.press(&url, "paga").await.status(), StatusCode::BAD_REQUEST);

    let (id, url, _) = submit(&sim, 1).await;
    let location = sim.press(&url, "annulla").await.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("&esito=ERROR&"), "{location}");
    assert!(matches!(status(&sim, &id).await, PaymentStatus::NotPaid(_)));

    let (id, url, _) = submit(&sim, 1).await;
    let location = sim.press(&url, "errore").await.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("&esito=ERROR&"), "{location}");
    assert_eq!(fault_of(&status(&sim, &id).await).0, "pending_in_progress");

    let (id, url, _) = submit(&sim, 1).await;
    let response = sim.press(&url, "abbandona").await;
    assert_eq!(response.status(), StatusCode::OK, "no redirect when the citizen abandons");
    assert!(response.headers().get("location").is_none());
    assert_eq!(fault_of(&status(&sim, &id).await).0, "pending_in_progress");
    sim.stop();
}

#[tokio::test]
async fn the_wsdl_is_served_with_the_simulator_address() {
    let sim = Sim::start(Mode::Legacy).await;
    let wsdl = sim
        .http
        .get(format!("{}/ws/pa/PagamentiTelematiciDovutiPagati.wsdl", sim.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains(&format!(r#"location="{}/ws/pa/""#, sim.base)), "address not rewritten");
    assert!(wsdl.contains("paaSILChiediPagatiConRicevuta"));
    sim.stop();
}

#[tokio::test]
async fn injected_faults_become_the_right_transport_errors() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client_with(COD_IPA, PASSWORD, Duration::from_millis(700));
    let inject = |kind: &str, delay_ms: u64| serde_json::json!({"kind": kind, "delay_ms": delay_ms, "count": 1});

    assert_eq!(sim.admin("/admin/faults", Some(inject("delay", 1500))).await, StatusCode::NO_CONTENT);
    assert_eq!(client.chiedi_pagati("x").await.unwrap_err(), MyPayError::Timeout);

    sim.admin("/admin/faults", Some(inject("http500", 0))).await;
    assert_eq!(client.chiedi_pagati("x").await.unwrap_err(), MyPayError::HttpStatus { status: 500, empty_body: false });

    sim.admin("/admin/faults", Some(inject("soap_fault", 0))).await;
    match client.invia_dovuti(&cart(1), RETURN_URL).await.unwrap_err() {
        MyPayError::SoapFault { fault_code, fault_string } => {
            assert_eq!(fault_code, "SOAP-ENV:Server");
            assert_eq!(fault_string, "Operazione temporaneamente non disponibile");
        }
        other => panic!("{other:?}"),
    }

    sim.admin("/admin/faults", Some(inject("malformed_xml", 0))).await;
    assert!(matches!(client.chiedi_pagati("x").await.unwrap_err(), MyPayError::Malformed(_)));

    sim.admin("/admin/faults", Some(inject("drop_connection", 0))).await;
    assert!(matches!(client.chiedi_pagati("x").await.unwrap_err(), MyPayError::ConnectionLost(_)));

    // A short delay below the timeout is harmless, and faults run out after `count` calls.
    sim.admin("/admin/faults", Some(serde_json::json!({"kind": "http500", "count": 2}))).await;
    assert!(client.chiedi_pagati("x").await.is_err());
    assert!(client.chiedi_pagati("x").await.is_err());
    assert_eq!(client.chiedi_pagati("x").await.unwrap().label(), "unknown_session");
    sim.admin("/admin/faults", Some(serde_json::json!({"kind": "delay", "delay_ms": 100}))).await;
    assert_eq!(client.chiedi_pagati("x").await.unwrap().label(), "unknown_session");
    assert_eq!(
        sim.http.delete(format!("{}/admin/faults", sim.base)).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    // Nothing listening: a connection error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let nowhere = mypay::MyPayClient::new(mypay::MyPayConfig {
        endpoint: format!("http://{addr}/ws/pa/PagamentiTelematiciDovutiPagati"),
        ..mypay_support_config(&client)
    })
    .unwrap();
    assert!(matches!(nowhere.chiedi_pagati("x").await.unwrap_err(), MyPayError::Connect(_)));
    sim.stop();
}

/// An endpoint that answers far more than any MyPay answer: refused by its size, whether it
/// announces it (`Content-Length`) or streams it (chunked), without buffering it all.
#[tokio::test]
async fn an_oversized_answer_is_refused_without_being_read_whole() {
    use axum::body::Body;
    let huge = mypay::wire::xml::MAX_XML_BYTES + 1;
    let app =
        axum::Router::new().route("/announced", axum::routing::post(move || async move { vec![b' '; huge] })).route(
            "/streamed",
            axum::routing::post(move || async move {
                // 64 KiB chunks for ever: only a bounded reader stops.
                let chunks = futures_util::stream::repeat_with(|| {
                    Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b' '; 64 * 1024]))
                });
                Body::from_stream(chunks)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for path in ["announced", "streamed"] {
        let client = mypay::MyPayClient::new(mypay::MyPayConfig {
            endpoint: format!("http://{addr}/{path}"),
            cod_ipa_ente: COD_IPA.into(),
            password: mypay::Secret::new(PASSWORD),
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(2),
        })
        .unwrap();
        match client.chiedi_pagati("x").await.unwrap_err() {
            MyPayError::Malformed(why) => assert!(why.contains("not read further"), "{path}: {why}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    server.abort();
}
