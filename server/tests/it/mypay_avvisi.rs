//! Payment notices end to end: the real client against the MyPay simulator over HTTP, in both
//! operating modes. Insert (IUV, notice number, PDF), repeated insert, modify, cancel, payment at
//! a PSP, payment recorded by the Ente (code 9), VerificaAvviso with the mode-dependent states,
//! MyPay's check order, due dates, and injected faults of every new operation. A bare §n (or
//! trap An) below is a section of docs/mypay-avvisi.md.

use crate::mypay_support;

use std::time::Duration;

use mypay::wire::iuv::check_digits;
use mypay::{
    AmountCents, Attestor, AttestorKind, CancelOutcome, DebtPosition, FaultCode, InsertOutcome, IssuedNotice, Iuv,
    Mismatch, ModifyOutcome, MyPayError, NotPayableReason, NoticeDownload, NoticeUrl, OffPagoPaPayment, PaymentChannel,
    PaymentStatus, PendingReason, ReceiptLookup, RecordOutcome, SubmitOutcome, VerifyOutcome,
};
use mypay_simulator::{Mode, TipoDovuto};
use mypay_support::xsd_check::{assert_valid_against, assert_xsd_valid, pa_for_node_xsd};
use mypay_support::{assert_wsdl_valid, fresh_iud, payer, test_config, Sim, COD_IPA, PASSWORD};
use reqwest::StatusCode;
use time::macros::date;

/// Whether a client error is of one kind (the fault tables below).
type FaultIs = fn(&MyPayError) -> bool;

const RETURN_URL: &str = "https://ecm.example.invalid/pagamenti/ritorno";

fn position(iud: &str) -> DebtPosition {
    DebtPosition {
        iud: iud.into(),
        payer: payer(),
        amount: AmountCents(10000),
        due_date: None,
        tipo_dovuto: "ECM_QUOTA_ANNUALE".into(),
        causale: "Quota annuale ECM 2025".into(),
        dati_specifici_riscossione: "9/0301109AP".into(),
    }
}

async fn insert(sim: &Sim, p: &DebtPosition) -> IssuedNotice {
    match sim.client().importa_dovuto_inserisci(p).await.unwrap() {
        InsertOutcome::Created(notice) => notice,
        other => panic!("expected Created, got {other:?}"),
    }
}

async fn pdf(sim: &Sim, url: &NoticeUrl) -> Vec<u8> {
    match sim.client().scarica_avviso(url).await.unwrap() {
        NoticeDownload::Pdf(p) => p.bytes,
        NoticeDownload::Gone => panic!("expected a PDF, the URL is gone"),
    }
}

async fn by(sim: &Sim, lookup: ReceiptLookup) -> PaymentStatus {
    sim.client().chiedi_pagati_con_ricevuta(&lookup).await.unwrap()
}

fn pending_text(s: &PaymentStatus) -> (PendingReason, String) {
    match s {
        PaymentStatus::Pending { reason, rejection } => (*reason, rejection.message.clone()),
        other => panic!("expected Pending, got {other:?}"),
    }
}

async fn pay_at_psp(sim: &Sim, iuv: &Iuv) -> (StatusCode, String) {
    let r = sim.http.post(format!("{}/admin/avvisi/{iuv}/pay-at-psp", sim.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn avviso_state(sim: &Sim, iud: &str) -> Vec<String> {
    let rows: serde_json::Value =
        sim.http.get(format!("{}/admin/avvisi", sim.base)).send().await.unwrap().json().await.unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["iud"] == iud)
        .map(|r| r["state"].as_str().unwrap().to_string())
        .collect()
}

fn off_pagopa(iuv: &Iuv, amount: i64) -> OffPagoPaPayment {
    OffPagoPaPayment {
        iuv: iuv.clone(),
        amount: AmountCents(amount),
        date: date!(2025 - 04 - 10),
        iur: "TRN-20250410-000123".into(),
        attestor: Attestor {
            kind: AttestorKind::Bic,
            code: "ABCDITMMXXX".into(),
            name: "Banca Tesoriera Esempio S.p.A.".into(),
        },
        index: Some(1),
    }
}

#[tokio::test]
async fn an_insert_returns_a_checked_iuv_its_notice_number_and_a_pdf_in_both_modes() {
    for mode in [Mode::Legacy, Mode::Checkout] {
        let sim = Sim::start(mode).await;
        let p = position(&fresh_iud());
        let notice = insert(&sim, &p).await;
        // MyPay's generator: segregation code 01, then 00, progressive and mod-93 check digits.
        let iuv = notice.iuv.as_str();
        assert!(iuv.starts_with("0100") && notice.iuv.is_mypay_generated(), "{iuv}");
        assert_eq!(check_digits(&iuv[..15]).as_deref(), Some(&iuv[15..]));
        assert_eq!(notice.notice_number.as_str(), format!("3{iuv}"));
        assert!(notice.url.expose().starts_with(&format!("{}/public/landing/avviso?id=", sim.base)));

        let bytes = pdf(&sim, &notice.url).await;
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(&format!("(Codice Avviso: {})", notice.notice_number.grouped())), "{text}");
        assert!(text.contains("(Importo: 100,00 Euro)") && text.contains("(Quota annuale ECM 2025)"));
        assert!(text.contains("(Mario Rossi)") && !text.contains("entro il"));
        let raw = sim.http.get(notice.url.expose()).send().await.unwrap();
        assert_eq!(raw.headers()["content-type"], "application/pdf");
        assert_eq!(
            raw.headers()["content-disposition"],
            format!("attachment; filename=\"MYPAY_AVVISO_80007580279_{iuv}.pdf\"").as_str()
        );

        // Before payment: "not started" by IUD and by IUV, with MyPay's texts (§2.3, §8.7).
        let s = by(&sim, ReceiptLookup::Iuv(iuv.into())).await;
        assert_eq!(
            pending_text(&s),
            (PendingReason::NotStarted, format!("Pagamento non iniziato per ente [ R_VENETO ], IUV [{iuv}]"))
        );
        let s = by(&sim, ReceiptLookup::Iud(p.iud.clone())).await;
        assert_eq!(pending_text(&s).1, format!("Pagamento non iniziato per ente [ R_VENETO ], IUD [ {} ]", p.iud));
        assert_eq!(avviso_state(&sim, &p.iud).await, ["open"]);

        // The next insert takes the next progressive.
        let next = insert(&sim, &position(&fresh_iud())).await;
        assert_eq!(next.iuv.as_str()[..15].parse::<u64>().unwrap(), iuv[..15].parse::<u64>().unwrap() + 1);
        sim.stop();
    }
}

#[tokio::test]
async fn a_repeated_insert_burns_a_new_iuv_and_says_the_iud_already_exists() {
    let sim = Sim::start(Mode::Checkout).await;
    let p = position(&fresh_iud());
    let first = insert(&sim, &p).await;
    let (consumed, rejection) = match sim.client().importa_dovuto_inserisci(&p).await.unwrap() {
        InsertOutcome::AlreadyExists { consumed_iuv, rejection } => {
            (consumed_iuv.expect("§8.2: the KO carries an IUV"), rejection)
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    };
    assert_eq!(rejection.code, FaultCode::ImportIudDuplicato);
    assert_eq!(
        rejection.message,
        format!(
            "paaSILImportaDovuto: Errore import dovuto IUV [{consumed}] e IUD [{}]: IUD attivo presente nel database, non si accettano dovuti duplicati",
            p.iud
        )
    );
    // The consumed IUV is a new, well-formed one – and belongs to no debt.
    assert_ne!(consumed, first.iuv.as_str());
    let consumed = Iuv::parse(&consumed).unwrap();
    assert!(
        matches!(by(&sim, ReceiptLookup::Iuv(consumed.to_string())).await, PaymentStatus::NotFound(r) if r.code == FaultCode::IuvNonValido)
    );
    match sim.client().verifica_avviso(&consumed, RETURN_URL).await.unwrap() {
        VerifyOutcome::NotPayable { reason: NotPayableReason::NoOpenDebt, rejection } => {
            assert_eq!(
                rejection.message,
                format!("Error nessun dovuto trovato per IUV [{consumed}] ed ente [R_VENETO]")
            )
        }
        other => panic!("{other:?}"),
    }
    // The first debt is untouched.
    assert!(!pdf(&sim, &first.url).await.is_empty());
    assert_eq!(avviso_state(&sim, &p.iud).await, ["open"]);

    // Recovery (§1.8): cancel, then insert again under the same IUD.
    assert_eq!(sim.client().importa_dovuto_annulla(&p).await.unwrap(), CancelOutcome::Cancelled);
    let again = insert(&sim, &p).await;
    assert_ne!(again.iuv, first.iuv);
    assert_eq!(avviso_state(&sim, &p.iud).await, ["cancelled", "open"]);
    sim.stop();
}

#[tokio::test]
async fn a_modification_keeps_iud_and_iuv_changes_the_data_and_kills_the_old_url() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let mut p = position(&fresh_iud());
    let first = insert(&sim, &p).await;
    p.amount = AmountCents(15050);
    p.causale = "Quota annuale ECM 2025 (rettifica)".into();
    let modified = match client.importa_dovuto_modifica(&p, &first.iuv).await.unwrap() {
        ModifyOutcome::Modified(n) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!((&modified.iuv, &modified.notice_number), (&first.iuv, &first.notice_number));
    assert_ne!(modified.url, first.url);
    assert_eq!(client.scarica_avviso(&first.url).await.unwrap(), NoticeDownload::Gone, "HTTP 418 after M (trap A5)");
    let text = String::from_utf8_lossy(&pdf(&sim, &modified.url).await).into_owned();
    // Parentheses are escaped inside PDF strings.
    assert!(
        text.contains("(Importo: 150,50 Euro)") && text.contains(r"(Quota annuale ECM 2025 \(rettifica\))"),
        "{text}"
    );
    assert_eq!(avviso_state(&sim, &p.iud).await, ["cancelled", "open"]);

    // The tipo dovuto cannot change.
    let mut other_tipo = p.clone();
    other_tipo.tipo_dovuto = "ECM_CONTRIBUTO_EVENTO".into();
    match client.importa_dovuto_modifica(&other_tipo, &first.iuv).await.unwrap() {
        ModifyOutcome::Rejected { consumed_iuv: None, rejection } => {
            assert_eq!(rejection.code, FaultCode::ImportTipoDovutoNonModificabile);
            assert!(rejection.message.ends_with(": Non è possibile modificare il tipo dovuto di un dovuto"));
        }
        other => panic!("{other:?}"),
    }
    // Without the IUV (what the client never sends): MyPay generates one and refuses it (§1.3).
    let xml = mypay::wire::versamento::build_versamento(&p, mypay::wire::versamento::Azione::Modifica, None).unwrap();
    let reply = client.importa_dovuto_unchecked(xml.as_str(), Some(true)).await.unwrap();
    let f = reply.fault.unwrap();
    assert_eq!(f.code, FaultCode::ImportIuvDuplicato);
    assert!(f.fault_string.ends_with("Non è possibile modificare il codice iuv di un dovuto"), "{}", f.fault_string);
    assert!(reply.iuv.is_some_and(|i| i != first.iuv.as_str()), "the consumed IUV comes back");
    let reply = client.importa_dovuto_unchecked(xml.as_str(), Some(false)).await.unwrap();
    assert_eq!(reply.fault.unwrap().code, FaultCode::ImportIuvNoNullable);

    // Modifying a debt never imported.
    match client.importa_dovuto_modifica(&position(&fresh_iud()), &first.iuv).await.unwrap() {
        ModifyOutcome::NotFound(r) => {
            assert!(r.message.contains("Errore generazione iuv: Dovuto non trovato per IUD ["), "{}", r.message)
        }
        other => panic!("{other:?}"),
    }
    sim.stop();
}

#[tokio::test]
async fn cancel_then_cancel_again_and_what_a_cancelled_debt_answers() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let notice = insert(&sim, &p).await;
    assert_eq!(client.importa_dovuto_annulla(&p).await.unwrap(), CancelOutcome::Cancelled);
    match client.importa_dovuto_annulla(&p).await.unwrap() {
        CancelOutcome::NotFound(r) => {
            assert_eq!(r.code, FaultCode::SystemError);
            assert_eq!(
                r.message,
                format!(
                    "paaSILImportaDovuto: Errore import dovuto IUV [null] e IUD [{iud}]: Errore generazione iuv: Dovuto non trovato per IUD [{iud}] e codice IPA Ente [R_VENETO]",
                    iud = p.iud
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.scarica_avviso(&notice.url).await.unwrap(), NoticeDownload::Gone);
    assert!(matches!(client.importa_dovuto_modifica(&p, &notice.iuv).await.unwrap(), ModifyOutcome::NotFound(_)));
    assert!(matches!(
        client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap(),
        VerifyOutcome::NotPayable { reason: NotPayableReason::NoOpenDebt, .. }
    ));
    let (status, text) = pay_at_psp(&sim, &notice.iuv).await;
    assert_eq!((status, text.as_str()), (StatusCode::CONFLICT, "PAA_PAGAMENTO_ANNULLATO"));
    // Only a cancelled row: MyPay dereferences the missing cart → SOAP Fault (trap A13).
    for lookup in [ReceiptLookup::Iud(p.iud.clone()), ReceiptLookup::Iuv(notice.iuv.to_string())] {
        assert!(matches!(client.chiedi_pagati_con_ricevuta(&lookup).await, Err(MyPayError::SoapFault { .. })));
    }
    // The IUD stays in the shared registry: a cart may not reuse it…
    let mut cart = mypay_support::cart(1);
    cart.debts[0].iud = p.iud.clone();
    match client.invia_dovuti(&cart, RETURN_URL).await.unwrap() {
        SubmitOutcome::Rejected(r) => assert_eq!(r.code, FaultCode::IudDuplicato),
        other => panic!("{other:?}"),
    }
    // …but an import may, after the cancellation (§1.8).
    let again = insert(&sim, &p).await;
    assert_ne!(again.iuv, notice.iuv);
    sim.stop();
}

#[tokio::test]
async fn a_notice_paid_at_a_psp_is_a_pagopa_payment_by_iud_and_by_iuv_in_both_modes() {
    for mode in [Mode::Legacy, Mode::Checkout] {
        let sim = Sim::start(mode).await;
        let client = sim.client();
        let p = position(&fresh_iud());
        let notice = insert(&sim, &p).await;
        let (status, body) = pay_at_psp(&sim, &notice.iuv).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let receipt: serde_json::Value = serde_json::from_str(&body).unwrap();
        for lookup in [ReceiptLookup::Iud(p.iud.clone()), ReceiptLookup::Iuv(notice.iuv.to_string())] {
            let payment = match by(&sim, lookup).await {
                PaymentStatus::Paid(payment) => payment,
                other => panic!("{mode:?}: expected Paid, got {other:?}"),
            };
            assert_eq!(payment.channel, PaymentChannel::PagoPa);
            assert_eq!(payment.iuv, notice.iuv.as_str());
            assert_eq!(payment.receipt_id, receipt["receipt_id"].as_str().unwrap());
            assert_eq!(payment.verify(&[(p.iud.as_str(), p.amount)]), Ok(()));
            assert!(matches!(
                payment.verify(&[(p.iud.as_str(), AmountCents(9999))]),
                Err(Mismatch::TotalDiffers { .. })
            ));
            // Checkout receipt shape in both modes: CCP = IUR = receiptId, esito "0".
            assert_eq!(payment.lines.len(), 1);
            assert_eq!(
                (payment.lines[0].iur.as_str(), payment.lines[0].outcome_text.as_deref()),
                (payment.receipt_id.as_str(), Some("0"))
            );
            assert_xsd_valid(&payment.pagati_xml);
            let rt = payment.receipt.unwrap().rt.expect("a pagoPA receipt");
            let rt = String::from_utf8(rt).unwrap();
            assert!(rt.contains(&format!("<noticeNumber>{}</noticeNumber>", notice.notice_number)), "{rt}");
            let wrapped = format!(
                r#"<pafn:paSendRTReq xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"><idPA>80007580279</idPA><idBrokerPA>80007580279</idBrokerPA><idStation>80007580279_01</idStation>{}</pafn:paSendRTReq>"#,
                rt.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
            );
            assert_valid_against(wrapped.as_bytes(), &pa_for_node_xsd());
        }
        // No idSession: the cart of a PSP payment has none.
        let sessions: serde_json::Value =
            sim.http.get(format!("{}/admin/sessions", sim.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(sessions.as_array().unwrap().len(), 0);
        // Afterwards: the URL is gone, M/A find nothing, pagoPA refuses a second payment,
        // VerificaAvviso finds nothing payable, and a code-9 registration changes nothing.
        assert_eq!(client.scarica_avviso(&notice.url).await.unwrap(), NoticeDownload::Gone);
        assert!(matches!(client.importa_dovuto_modifica(&p, &notice.iuv).await.unwrap(), ModifyOutcome::NotFound(_)));
        assert!(matches!(client.importa_dovuto_annulla(&p).await.unwrap(), CancelOutcome::NotFound(_)));
        assert_eq!(pay_at_psp(&sim, &notice.iuv).await, (StatusCode::CONFLICT, "PAA_PAGAMENTO_DUPLICATO".into()));
        assert!(matches!(
            client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap(),
            VerifyOutcome::NotPayable { reason: NotPayableReason::NoOpenDebt, .. }
        ));
        assert_eq!(client.registra_pagamento(&off_pagopa(&notice.iuv, 10000)).await.unwrap(), RecordOutcome::Recorded);
        assert!(matches!(by(&sim, ReceiptLookup::Iud(p.iud.clone())).await, PaymentStatus::Paid(_)));
        assert_eq!(avviso_state(&sim, &p.iud).await, ["paid_pagopa"]);
        // A paid IUD never comes back (§1.8).
        assert!(matches!(client.importa_dovuto_inserisci(&p).await.unwrap(), InsertOutcome::AlreadyExists { .. }));
        sim.stop();
    }
}

#[tokio::test]
async fn a_payment_recorded_with_registra_pagamento_shows_as_code_9_never_as_pagopa() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let notice = insert(&sim, &p).await;
    // MyPay does not compare the amount (trap A11): 80.00 for a debt of 100.00 is recorded.
    assert_eq!(client.registra_pagamento(&off_pagopa(&notice.iuv, 8000)).await.unwrap(), RecordOutcome::Recorded);
    for lookup in [ReceiptLookup::Iud(p.iud.clone()), ReceiptLookup::Iuv(notice.iuv.to_string())] {
        let payment = match by(&sim, lookup).await {
            PaymentStatus::RecordedByEnte(payment) => payment,
            other => panic!("expected RecordedByEnte, got {other:?}"),
        };
        assert_eq!(payment.channel, PaymentChannel::RecordedByEnte);
        assert!(payment.receipt_id.starts_with("-9-"), "{}", payment.receipt_id);
        assert_eq!(payment.lines[0].outcome_text.as_deref(), Some("PAGATO CON RENDICONTAZIONE 9"));
        assert_eq!((payment.lines[0].iur.as_str(), payment.total), ("TRN-20250410-000123", AmountCents(8000)));
        assert_eq!(payment.psp, "Banca Tesoriera Esempio S.p.A.");
        assert_eq!(payment.receipt.as_ref().unwrap().rt, None, "no receipt exists");
        // Even with the amounts it reports, it is not a pagoPA payment.
        assert_eq!(payment.verify(&[(p.iud.as_str(), AmountCents(8000))]), Err(Mismatch::RecordedByEnte));
        assert_xsd_valid(&payment.pagati_xml);
    }
    assert_eq!(client.scarica_avviso(&notice.url).await.unwrap(), NoticeDownload::Gone);
    assert_eq!(pay_at_psp(&sim, &notice.iuv).await, (StatusCode::CONFLICT, "PAA_PAGAMENTO_DUPLICATO".into()));
    assert_eq!(avviso_state(&sim, &p.iud).await, ["paid_rend9"]);

    // An unknown IUV is "recorded" too: a synthetic debt with a random 000… IUD (§5.3).
    let unknown = Iuv::parse(&{
        let body = "019999999999999";
        format!("{body}{}", check_digits(body).unwrap())
    })
    .unwrap();
    assert_eq!(client.registra_pagamento(&off_pagopa(&unknown, 500)).await.unwrap(), RecordOutcome::Recorded);
    match by(&sim, ReceiptLookup::Iuv(unknown.to_string())).await {
        PaymentStatus::RecordedByEnte(payment) => {
            assert!(payment.lines[0].iud.starts_with("000") && payment.lines[0].iud.len() == 35);
            assert_eq!(payment.lines[0].causale, "PAGATO");
        }
        other => panic!("{other:?}"),
    }
    // Credentials are the only check.
    let wrong = sim.client_with(COD_IPA, "Wrong#Pass2025", Duration::from_secs(5));
    match wrong.registra_pagamento(&off_pagopa(&notice.iuv, 8000)).await.unwrap() {
        RecordOutcome::CredentialsRejected(r) => assert_eq!(r.message, "Password non valida per ente [R_VENETO]"),
        other => panic!("{other:?}"),
    }
    sim.stop();
}

#[tokio::test]
async fn verifica_avviso_in_legacy_mode_locks_the_debt_while_the_payment_runs() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let notice = insert(&sim, &p).await;
    let id = match client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap() {
        VerifyOutcome::Accepted { id_session, url } => {
            assert!(url.starts_with(&format!("{}/public/landing/inviaDovuti?id=", sim.base)));
            id_session
        }
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        client.chiedi_pagati(&id).await.unwrap(),
        PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }
    ));
    sim.act(&id, "checkout").await;
    assert_eq!(avviso_state(&sim, &p.iud).await, ["in_payment"]);
    assert!(matches!(
        client.chiedi_pagati(&id).await.unwrap(),
        PaymentStatus::Pending { reason: PendingReason::InProgress, .. }
    ));
    let s = by(&sim, ReceiptLookup::Iuv(notice.iuv.to_string())).await;
    assert_eq!(
        pending_text(&s),
        (PendingReason::InProgress, format!("Pagamento in corso per ente [ R_VENETO ], IUV [{}]", notice.iuv))
    );
    match client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap() {
        VerifyOutcome::NotPayable { reason: NotPayableReason::InPayment, rejection } => {
            assert_eq!(rejection.message, format!("non ci sono dovuti pagabili per il dato IUV [{}]", notice.iuv))
        }
        other => panic!("{other:?}"),
    }
    match client.importa_dovuto_modifica(&p, &notice.iuv).await.unwrap() {
        ModifyOutcome::NotModifiable(r) => {
            assert!(r.message.ends_with("Errore generazione iuv: pa.debiti.nonModificabile"), "{}", r.message)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(client.importa_dovuto_annulla(&p).await.unwrap(), CancelOutcome::NotCancellable(_)));
    assert_eq!(pay_at_psp(&sim, &notice.iuv).await, (StatusCode::CONFLICT, "PAA_PAGAMENTO_IN_CORSO".into()));
    // The URL still serves the PDF while the debt is in payment (§1.6).
    assert!(!pdf(&sim, &notice.url).await.is_empty());

    // A negative RT puts the debt back to payable; a second session then pays it.
    sim.act(&id, "not-paid").await;
    assert!(matches!(client.chiedi_pagati(&id).await.unwrap(), PaymentStatus::NotPaid(_)));
    assert_eq!(avviso_state(&sim, &p.iud).await, ["open"]);
    let id2 = match client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap() {
        VerifyOutcome::Accepted { id_session, .. } => id_session,
        other => panic!("{other:?}"),
    };
    sim.act(&id2, "pay").await;
    let paid = match client.chiedi_pagati(&id2).await.unwrap() {
        PaymentStatus::Paid(payment) => payment,
        other => panic!("{other:?}"),
    };
    assert_eq!(paid.iuv, notice.iuv.as_str(), "legacy online payment of a notice uses the debt's own IUV");
    assert_eq!(paid.verify(&[(p.iud.as_str(), p.amount)]), Ok(()));
    match by(&sim, ReceiptLookup::Iud(p.iud.clone())).await {
        PaymentStatus::Paid(payment) => assert_eq!(payment.receipt_id, paid.receipt_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(avviso_state(&sim, &p.iud).await, ["paid_pagopa"]);
    assert_eq!(client.scarica_avviso(&notice.url).await.unwrap(), NoticeDownload::Gone);
    sim.stop();
}

#[tokio::test]
async fn verifica_avviso_in_checkout_mode_leaves_the_debt_payable_and_modifiable() {
    let sim = Sim::start(Mode::Checkout).await;
    let client = sim.client();
    let mut p = position(&fresh_iud());
    let notice = insert(&sim, &p).await;
    let id = match client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap() {
        VerifyOutcome::Accepted { id_session, .. } => id_session,
        other => panic!("{other:?}"),
    };
    sim.act(&id, "checkout").await;
    assert_eq!(avviso_state(&sim, &p.iud).await, ["open"]);
    assert!(matches!(
        client.chiedi_pagati(&id).await.unwrap(),
        PaymentStatus::Pending { reason: PendingReason::NotStarted, .. }
    ));
    assert_eq!(pending_text(&by(&sim, ReceiptLookup::Iud(p.iud.clone())).await).0, PendingReason::NotStarted);
    // Still payable: another session is accepted, and M is accepted during the payment (A12).
    assert!(matches!(client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap(), VerifyOutcome::Accepted { .. }));
    p.amount = AmountCents(12000);
    assert!(matches!(client.importa_dovuto_modifica(&p, &notice.iuv).await.unwrap(), ModifyOutcome::Modified(_)));
    // The receipt that then arrives pays the session, and is linked to no open debt.
    sim.act(&id, "pay").await;
    assert!(matches!(client.chiedi_pagati(&id).await.unwrap(), PaymentStatus::Paid(_)));
    assert_eq!(pending_text(&by(&sim, ReceiptLookup::Iud(p.iud.clone())).await).0, PendingReason::NotStarted);
    assert_eq!(avviso_state(&sim, &p.iud).await, ["cancelled", "open"]);
    sim.stop();
}

#[tokio::test]
async fn importa_dovuto_follows_mypays_check_order_and_texts() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let valid = mypay::wire::versamento::build_versamento(&p, mypay::wire::versamento::Azione::Inserimento, None)
        .unwrap()
        .as_str()
        .to_string();
    let fault_of = |reply: mypay::wire::avvisi::ImportaDovutoReply| {
        let f = reply.fault.expect("a KO");
        (f.code.as_str().to_string(), f.fault_string, f.description)
    };
    // 1: XSD first, even before the password (trap A6).
    let wrong = sim.client_with(COD_IPA, "Wrong#Pass2025", Duration::from_secs(5));
    let (code, text, description) =
        fault_of(wrong.importa_dovuto_unchecked(&valid.replace(">100.00<", ">100.5<"), Some(true)).await.unwrap());
    assert_eq!((code.as_str(), text.as_str()), ("PAA_XML_NON_VALIDO", "XML dei dovuti non valido"));
    assert!(description.unwrap().starts_with(
        "XML ricevuto per paaSILImportaDovuto non conforme all' XSD per ente [R_VENETO]  XML Error: \nelement: importoSingoloVersamento"
    ));
    let (code, text, _) = fault_of(wrong.importa_dovuto_unchecked(&valid, Some(true)).await.unwrap());
    assert_eq!((code.as_str(), text.as_str()), ("PAA_ENTE_NON_VALIDO", "Password non valida per ente [R_VENETO]"));

    let cases: Vec<(String, Option<bool>, &str, String)> = vec![
        (valid.replace("<azione>I<", "<azione>9<"), Some(true), "PAA_AZIONE_NON_VALIDO", "azione non valida [9]".into()),
        // A Dovuti document is schema-valid but has no azione (§1.2).
        (
            mypay::wire::dovuti::build_dovuti(&mypay_support::cart(1)).unwrap().as_str().to_string(),
            Some(true),
            "PAA_AZIONE_NON_VALIDO",
            "azione non valida [null]".into(),
        ),
        (
            valid.replace(
                "<identificativoUnivocoDovuto>",
                "<identificativoUnivocoVersamento>01000000012345688</identificativoUnivocoVersamento>\n    <identificativoUnivocoDovuto>",
            ),
            Some(false),
            "PAA_IUV_NON_VALIDO",
            "IdentificativoUnivocoVersamento non valido [01000000012345688] per ente [R_VENETO]".into(),
        ),
        (
            valid.replace("ECM_QUOTA_ANNUALE", "ECM_DISABILITATO"),
            Some(true),
            "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
            "Error tipo dovuto [ECM_DISABILITATO] non censito per ente [R_VENETO]".into(),
        ),
        (
            valid.replace("ECM_QUOTA_ANNUALE", "MARCA_BOLLO_DIGITALE"),
            Some(true),
            "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
            "Error tipo dovuto [MARCA_BOLLO_DIGITALE] non abilitato per funzione di import".into(),
        ),
        (
            {
                let start = valid.find("  <soggettoPagatore>").unwrap();
                let end = valid.find("</soggettoPagatore>\n").unwrap() + "</soggettoPagatore>\n".len();
                format!("{}{}", &valid[..start], &valid[end..])
            },
            Some(true),
            "PAA_SOGG_PAG_NON_VALORIZZATO",
            "paaSILImportaDovuto: soggettoPagatore non valorizzato. ".into(),
        ),
        (
            valid.replace(">ALL<", ">XYZ<"),
            Some(true),
            "PAA_TIPO_VERSAMENTO_NON_VALIDO",
            "paaSILImportaDovuto: Tipo versamento non valido: XYZ".into(),
        ),
        (
            valid.replace(&p.iud, "000123"),
            Some(true),
            "PAA_IUD_NON_VALIDO",
            "paaSILImportaDovuto: IdentificativoUnivocoDovuto non valido: 000123".into(),
        ),
        (
            valid.replace("Quota annuale ECM 2025", "   "),
            Some(true),
            "PAA_CAUSALE_NON_PRESENTE",
            "paaSILImportaDovuto: causaleVersamento non specificato ".into(),
        ),
        (
            valid.replace("RSSMRA80A01H501U", "RSSMRA80A01H501V"),
            Some(true),
            "PAA_CODICE_FISCALE_NON_VALIDO",
            "paaSILImportaDovuto: Codice fiscale non valido [RSSMRA80A01H501V]".into(),
        ),
        // §8.4: action S of a MyPay IUV is refused by the IUV check (trap A1).
        (
            valid.replace("<azione>I<", "<azione>S<").replace(
                "<identificativoUnivocoDovuto>",
                "<identificativoUnivocoVersamento>01000000012345688</identificativoUnivocoVersamento>\n    <identificativoUnivocoDovuto>",
            ),
            None,
            "PAA_IUV_NON_VALIDO",
            "IdentificativoUnivocoVersamento non valido [01000000012345688] per ente [R_VENETO]".into(),
        ),
    ];
    for (xml, flag, code, text) in cases {
        let reply = client.importa_dovuto_unchecked(&xml, flag).await.unwrap();
        assert!(reply.iuv.is_none(), "{code}: no IUV generated before step 19");
        let (c, t, _) = fault_of(reply);
        assert_eq!((c.as_str(), t.as_str()), (code, text.as_str()));
    }
    // Nothing of all this reached the registry.
    assert!(avviso_state(&sim, &p.iud).await.is_empty());

    // An Ente that is not activated: PAA_ENTE_NON_VALIDO here, not PAA_STATO_ENTE_NON_VALIDO.
    let mut config = test_config(Mode::Legacy);
    config.ente.active = false;
    let inactive = Sim::start_with(config).await;
    match inactive.client().importa_dovuto_inserisci(&p).await.unwrap() {
        InsertOutcome::CredentialsRejected(r) => {
            assert_eq!((r.code, r.message.as_str()), (FaultCode::EnteNonValido, "Stato Ente Non Valido"))
        }
        other => panic!("{other:?}"),
    }
    inactive.stop();
    sim.stop();
}

#[tokio::test]
async fn action_s_zips_the_pdf_of_an_ente_generated_iuv() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let body = "011234567890123";
    let ente_iuv = format!("{body}{}", check_digits(body).unwrap());
    let with_iuv = |azione: &str| {
        mypay::wire::versamento::build_versamento(&p, mypay::wire::versamento::Azione::Inserimento, None)
            .unwrap()
            .as_str()
            .replace("<azione>I<", &format!("<azione>{azione}<"))
            .replace(
                "<identificativoUnivocoDovuto>",
                &format!(
                    "<identificativoUnivocoVersamento>{ente_iuv}</identificativoUnivocoVersamento>\n    <identificativoUnivocoDovuto>"
                ),
            )
    };
    // Insert with the Ente's own IUV and flagGeneraIuv=false: OK, no IUV echoed, no URL.
    let inserted = client.importa_dovuto_unchecked(&with_iuv("I"), Some(false)).await.unwrap();
    assert!(inserted.is_ok() && inserted.iuv.is_none() && inserted.url_file_avviso.is_none(), "{inserted:?}");
    // The same IUV under another IUD is refused.
    let dup = with_iuv("I").replace(&p.iud, &fresh_iud());
    assert_eq!(
        client.importa_dovuto_unchecked(&dup, Some(false)).await.unwrap().fault.unwrap().code,
        FaultCode::ImportIuvDuplicato
    );
    let printed = client.importa_dovuto_unchecked(&with_iuv("S"), None).await.unwrap();
    let notice = printed.notice.expect("base64ZipAvviso");
    assert_eq!(notice.file_name, format!("avviso_80007580279_{ente_iuv}.pdf"));
    let text = String::from_utf8_lossy(&notice.pdf);
    assert!(text.contains(&format!(
        "(Codice Avviso: {})",
        mypay::wire::iuv::Iuv::parse(&ente_iuv).unwrap().notice_number().grouped()
    )));
    // S with flagGeneraIuv=true is refused (§1.4 step 19).
    let refused = client.importa_dovuto_unchecked(&with_iuv("S"), Some(true)).await.unwrap().fault.unwrap();
    assert_eq!(refused.code, FaultCode::SystemError);
    assert!(refused
        .fault_string
        .ends_with("Errore richiesta azione 'S' prevede presenza di 'IUV' e assenza 'flag_genera_iuv'"));
    sim.stop();
}

#[tokio::test]
async fn mandatory_due_dates_are_checked_and_expire_the_notice() {
    let mut config = test_config(Mode::Checkout);
    config.tipi_dovuto.push(TipoDovuto {
        code: "ECM_SCADENZA".into(),
        active: true,
        scadenza_obbligatoria: true,
        stampa_data_scadenza: true,
    });
    let sim = Sim::start_with(config).await;
    let client = sim.client();
    let mut p = position(&fresh_iud());
    p.tipo_dovuto = "ECM_SCADENZA".into();
    match client.importa_dovuto_inserisci(&p).await.unwrap() {
        InsertOutcome::Rejected { consumed_iuv: Some(_), rejection } => {
            assert_eq!(rejection.code, FaultCode::ImportDataScadenzaPagamentoObbligatoria);
            assert!(rejection
                .message
                .ends_with("dataScadenzaPagamento deve essere valorizzata per questo tipo dovuto"));
        }
        other => panic!("{other:?}"),
    }
    let today = time::OffsetDateTime::now_utc().date();
    p.due_date = Some(today - time::Duration::days(1));
    assert!(matches!(client.importa_dovuto_inserisci(&p).await.unwrap(), InsertOutcome::Rejected { .. }));
    p.due_date = Some(today + time::Duration::days(1));
    let notice = insert(&sim, &p).await;
    let due = p.due_date.unwrap();
    let text = String::from_utf8_lossy(&pdf(&sim, &notice.url).await).into_owned();
    assert!(
        text.contains(&format!("(entro il {:02}/{:02}/{})", due.day(), u8::from(due.month()), due.year())),
        "{text}"
    );
    sim.advance_clock(3 * 86_400).await;
    assert!(
        matches!(client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap(), VerifyOutcome::Expired(r) if r.code == FaultCode::IuvScaduto)
    );
    assert!(matches!(by(&sim, ReceiptLookup::Iud(p.iud.clone())).await, PaymentStatus::Expired(_)));
    assert_eq!(pay_at_psp(&sim, &notice.iuv).await, (StatusCode::CONFLICT, "PAA_PAGAMENTO_SCADUTO".into()));
    sim.stop();
}

async fn inject(sim: &Sim, json: serde_json::Value) {
    assert_eq!(sim.admin("/admin/faults", Some(json)).await, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn faults_of_every_new_operation_in_both_modes() {
    for mode in [Mode::Legacy, Mode::Checkout] {
        let sim = Sim::start(mode).await;
        let client = sim.client();
        let p = position(&fresh_iud());
        let notice = insert(&sim, &p).await;
        let inject = |json: serde_json::Value| inject(&sim, json);

        // Business faults as MyPay shapes them, one operation at a time.
        inject(serde_json::json!({"kind": "paa_fault", "code": "PAA_SYSTEM_ERROR", "count": 1, "operation": "paaSILImportaDovuto"})).await;
        assert!(matches!(
            client.importa_dovuto_inserisci(&position(&fresh_iud())).await.unwrap(),
            InsertOutcome::Rejected { consumed_iuv: None, rejection } if rejection.code == FaultCode::SystemError
        ));
        inject(serde_json::json!({"kind": "paa_fault", "code": "PAA_ENTE_NON_VALIDO", "count": 1, "operation": "paaSILImportaDovuto"}))
            .await;
        assert!(matches!(client.importa_dovuto_annulla(&p).await.unwrap(), CancelOutcome::CredentialsRejected(_)));
        inject(serde_json::json!({"kind": "paa_fault", "code": "PAA_IUV_SCADUTO", "count": 1, "operation": "paaSILVerificaAvviso"})).await;
        assert!(matches!(client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap(), VerifyOutcome::Expired(_)));
        inject(serde_json::json!({"kind": "paa_fault", "code": "PAA_STATO_ENTE_NON_VALIDO", "count": 1, "operation": "paaSILRegistraPagamento"})).await;
        assert!(matches!(
            client.registra_pagamento(&off_pagopa(&notice.iuv, 100)).await.unwrap(),
            RecordOutcome::CredentialsRejected(_)
        ));
        // The plans were limited to their operation and used up: the debt is still open.
        assert_eq!(avviso_state(&sim, &p.iud).await, ["open"]);

        // Transport faults: the outcome is unknown, so an insert is an Err, never an outcome.
        let transport: [(&str, FaultIs); 4] = [
            ("soap_fault", |e| matches!(e, MyPayError::SoapFault { .. })),
            ("http500", |e| matches!(e, MyPayError::HttpStatus { status: 500, .. })),
            ("malformed_xml", |e| matches!(e, MyPayError::Malformed(_))),
            ("drop_connection", |e| matches!(e, MyPayError::ConnectionLost(_))),
        ];
        for (kind, check) in transport {
            for operation in ["paaSILImportaDovuto", "paaSILVerificaAvviso", "paaSILRegistraPagamento"] {
                inject(serde_json::json!({"kind": kind, "count": 1, "operation": operation})).await;
                let error = match operation {
                    "paaSILImportaDovuto" => {
                        client.importa_dovuto_inserisci(&position(&fresh_iud())).await.unwrap_err()
                    }
                    "paaSILVerificaAvviso" => client.verifica_avviso(&notice.iuv, RETURN_URL).await.unwrap_err(),
                    _ => client.registra_pagamento(&off_pagopa(&notice.iuv, 100)).await.unwrap_err(),
                };
                assert!(check(&error), "{mode:?} {kind} {operation}: {error:?}");
            }
        }
        assert_eq!(avviso_state(&sim, &p.iud).await, ["open"], "no injected fault reached the registry");

        // A slow answer beyond the timeout is a timeout.
        inject(serde_json::json!({"kind": "delay", "delay_ms": 1500, "count": 1, "operation": "paaSILImportaDovuto"}))
            .await;
        let impatient = sim.client_with(COD_IPA, PASSWORD, Duration::from_millis(500));
        assert_eq!(impatient.importa_dovuto_inserisci(&position(&fresh_iud())).await.unwrap_err(), MyPayError::Timeout);

        // The IUV generator failing: a KO without IUV (§1.4 step 19).
        assert_eq!(
            sim.admin("/admin/avvisi/iuv-generator", Some(serde_json::json!({"fail_next": 1}))).await,
            StatusCode::NO_CONTENT
        );
        let q = position(&fresh_iud());
        match client.importa_dovuto_inserisci(&q).await.unwrap() {
            InsertOutcome::Rejected { consumed_iuv: None, rejection } => {
                assert_eq!(rejection.code, FaultCode::SystemError);
                assert!(rejection.message.starts_with(&format!(
                    "paaSILImportaDovuto: Errore import dovuto IUV [null] e IUD [{}]: Errore generazione iuv: ",
                    q.iud
                )));
            }
            other => panic!("{other:?}"),
        }
        insert(&sim, &q).await;

        // Missing header: a SOAP Fault, like InviaDovuti.
        let no_header = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ente="http://www.regione.veneto.it/pagamenti/ente/"><soapenv:Body><ente:paaSILVerificaAvviso><password>x</password><identificativoUnivocoVersamento>1</identificativoUnivocoVersamento></ente:paaSILVerificaAvviso></soapenv:Body></soapenv:Envelope>"#;
        let r = sim.http.post(&sim.soap_url).body(no_header).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        sim.stop();
    }
}

#[tokio::test]
async fn the_notice_download_is_bounded_to_the_mypay_host_and_its_token() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let notice = insert(&sim, &position(&fresh_iud())).await;
    // Another host (here: another port) is never fetched.
    let elsewhere = NoticeUrl::new(notice.url.expose().replace(&sim.base, "http://127.0.0.1:9"));
    match client.scarica_avviso(&elsewhere).await.unwrap_err() {
        MyPayError::Malformed(why) => assert!(why.contains("not fetched"), "{why}"),
        other => panic!("{other:?}"),
    }
    // A wrong token: MyPay's "codice sicurezza non valido", HTTP 500.
    let forged = NoticeUrl::new(format!("{}x", notice.url.expose()));
    assert_eq!(
        client.scarica_avviso(&forged).await.unwrap_err(),
        MyPayError::HttpStatus { status: 500, empty_body: false }
    );
    // Tokens live two years.
    sim.advance_clock(2 * 365 * 86_400 + 60).await;
    assert!(matches!(
        client.scarica_avviso(&notice.url).await.unwrap_err(),
        MyPayError::HttpStatus { status: 500, .. }
    ));
    sim.stop();
}

#[tokio::test]
async fn the_simulators_answers_validate_against_the_wsdl() {
    let sim = Sim::start(Mode::Legacy).await;
    let client = sim.client();
    let p = position(&fresh_iud());
    let notice = insert(&sim, &p).await;
    let post = |body: String, action: &'static str| {
        let http = sim.http.clone();
        let url = sim.soap_url.clone();
        async move {
            http.post(url)
                .header("SOAPAction", format!("\"{action}\""))
                .body(body)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let versamento =
        mypay::wire::versamento::build_versamento(&p, mypay::wire::versamento::Azione::Inserimento, None).unwrap();
    let request = |flag| {
        mypay::wire::avvisi::build_importa_dovuto(&mypay::wire::avvisi::ImportaDovutoParams {
            cod_ipa_ente: COD_IPA,
            password: PASSWORD,
            versamento: &versamento,
            flag_genera_iuv: Some(flag),
        })
        .unwrap()
        .body
    };
    // A KO with an IUV (repeated insert), an OK with IUV and URL, a VerificaAvviso OK and KO, a
    // RegistraPagamento OK, ConRicevuta answers before and after.
    let ko = post(request(true), "paaSILImportaDovuto").await;
    assert!(ko.contains("PAA_IMPORT_IUD_DUPLICATO") && ko.contains("<identificativoUnivocoVersamento>"));
    assert_wsdl_valid(&ko, "paaSILImportaDovutoRisposta");
    let fresh = position(&fresh_iud());
    assert!(matches!(client.importa_dovuto_inserisci(&fresh).await.unwrap(), InsertOutcome::Created(_)));
    let verifica =
        |iuv: &str| mypay::wire::avvisi::build_verifica_avviso(COD_IPA, PASSWORD, iuv, Some(RETURN_URL)).unwrap().body;
    let ok = post(verifica(notice.iuv.as_str()), "paaSILVerificaAvviso").await;
    assert!(ok.contains("<esito>OK</esito>"));
    assert_wsdl_valid(&ok, "paaSILVerificaAvvisoRisposta");
    let unknown = post(verifica("01000000000000000"), "paaSILVerificaAvviso").await;
    assert!(unknown.contains("PAA_IUV_NON_VALIDO"));
    assert_wsdl_valid(&unknown, "paaSILVerificaAvvisoRisposta");
    let ricevuta = |iud: &str| {
        mypay::wire::soap::build_chiedi_pagati_con_ricevuta(
            COD_IPA,
            PASSWORD,
            mypay::wire::soap::PagatiLookup::Iud(iud),
        )
        .unwrap()
        .body
    };
    assert_wsdl_valid(
        &post(ricevuta(&p.iud), "paaSILChiediPagatiConRicevuta").await,
        "paaSILChiediPagatiConRicevutaRisposta",
    );
    let registra = mypay::wire::avvisi::build_registra_pagamento(&mypay::wire::avvisi::RegistraPagamentoParams {
        cod_ipa_ente: COD_IPA,
        password: PASSWORD,
        iuv: notice.iuv.as_str(),
        amount: AmountCents(10000),
        date: date!(2025 - 04 - 10),
        index: Some(1),
        iur: "TRN-1",
        attestor_kind: AttestorKind::Bic,
        attestor_code: "ABCDITMMXXX",
        attestor_name: "Banca",
    })
    .unwrap()
    .body;
    let recorded = post(registra, "paaSILRegistraPagamento").await;
    assert_wsdl_valid(&recorded, "paaSILRegistraPagamentoRisposta");
    let after = post(ricevuta(&p.iud), "paaSILChiediPagatiConRicevuta").await;
    assert!(after.contains("<pagati>") && after.contains("<rt></rt>"), "{after}");
    assert_wsdl_valid(&after, "paaSILChiediPagatiConRicevutaRisposta");
    sim.stop();
}
