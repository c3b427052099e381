//! The portal's [`PaymentGateway`] over the MyPay SOAP client: domain carts become MyPay carts
//! (tipo dovuto and `datiSpecificiRiscossione` per fee kind from the settings), MyPay's answers
//! become domain outcomes. MyPay wire types stop here.

use app::payments::gateway::{
    CancelNoticeOutcome, CartPayer, CartRequest, CheckOutcome, ExpectedLine, GatewayFuture, IssueOutcome, IudCheck,
    NoticePdfOutcome, NoticeRequest, OfflinePayment, PaidLine, PaidReceipt, PaymentGateway, ReceiptOutcome,
    RecordOfflineOutcome, SendOutcome,
};
use app::payments::model::{FeeKind, PayerType};
use mypay::{
    AmountCents, Attestor, AttestorKind, CancelOutcome, Cart, Debt, DebtPosition, InsertOutcome, Iuv, MyPayClient,
    MyPayError, NoticeDownload, NoticeUrl, OffPagoPaPayment, Payer, PayerKind, Payment, PaymentStatus, ReceiptLookup,
    RecordOutcome, SubmitOutcome,
};

use crate::settings::{FeeType, MyPaySettings};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct MyPayGateway {
    client: MyPayClient,
    return_url: String,
    quota_annuale: FeeType,
    contributo_evento: FeeType,
}

impl MyPayGateway {
    pub fn new(settings: &MyPaySettings) -> Result<MyPayGateway, MyPayError> {
        Ok(MyPayGateway {
            client: MyPayClient::from_settings(settings)?,
            return_url: settings.return_url.clone(),
            quota_annuale: settings.quota_annuale.clone(),
            contributo_evento: settings.contributo_evento.clone(),
        })
    }

    fn fee_type(&self, kind: FeeKind) -> &FeeType {
        match kind {
            FeeKind::QuotaAnnuale => &self.quota_annuale,
            FeeKind::ContributoEvento => &self.contributo_evento,
        }
    }

    /// The MyPay cart of a domain cart.
    pub fn to_cart(&self, request: &CartRequest) -> Cart {
        Cart {
            payer: payer(&request.payer),
            debts: request
                .lines
                .iter()
                .map(|line| {
                    let fee = self.fee_type(line.fee_kind);
                    Debt {
                        iud: line.iud.clone(),
                        amount: AmountCents(line.amount_cents),
                        tipo_dovuto: fee.tipo_dovuto.clone(),
                        causale: line.causale.clone(),
                        dati_specifici_riscossione: fee.dati_specifici_riscossione.clone(),
                    }
                })
                .collect(),
        }
    }

    /// The MyPay debt position of a notice: no due date, so that pagoPA receives 2099-12-31 and
    /// an overdue fee stays payable (docs/channels.md).
    pub fn to_position(&self, notice: &NoticeRequest) -> DebtPosition {
        let fee = self.fee_type(notice.line.fee_kind);
        DebtPosition {
            iud: notice.line.iud.clone(),
            payer: payer(&notice.payer),
            amount: AmountCents(notice.line.amount_cents),
            due_date: None,
            tipo_dovuto: fee.tipo_dovuto.clone(),
            causale: notice.line.causale.clone(),
            dati_specifici_riscossione: fee.dati_specifici_riscossione.clone(),
        }
    }
}

fn issue_outcome(result: Result<InsertOutcome, MyPayError>) -> IssueOutcome {
    match result {
        Ok(InsertOutcome::Created(notice)) => IssueOutcome::Issued {
            iuv: notice.iuv.as_str().to_string(),
            notice_number: notice.notice_number.as_str().to_string(),
            url: notice.url.expose().to_string(),
        },
        // The IUV in this refusal was burnt by the call itself and belongs to no debt.
        Ok(InsertOutcome::AlreadyExists { .. }) => IssueOutcome::AlreadyExists,
        Ok(InsertOutcome::CredentialsRejected(r) | InsertOutcome::Rejected { rejection: r, .. }) => {
            IssueOutcome::Rejected { code: r.code.to_string(), message: r.message }
        }
        // Refused before sending (data MyPay would refuse): nothing was created.
        Err(error @ (MyPayError::InvalidPosition(_) | MyPayError::InvalidRequest(_))) => {
            IssueOutcome::Rejected { code: error.label().to_string(), message: error.to_string() }
        }
        Err(error) => {
            IssueOutcome::TransportError { maybe_received: maybe_received(&error), detail: error.to_string() }
        }
    }
}

fn cancel_outcome(result: Result<CancelOutcome, MyPayError>) -> CancelNoticeOutcome {
    match result {
        Ok(CancelOutcome::Cancelled) => CancelNoticeOutcome::Cancelled,
        Ok(CancelOutcome::NotFound(_)) => CancelNoticeOutcome::NotOpen,
        Ok(CancelOutcome::NotCancellable(_)) => CancelNoticeOutcome::Busy,
        Ok(CancelOutcome::CredentialsRejected(r) | CancelOutcome::Rejected(r)) => {
            CancelNoticeOutcome::Rejected { code: r.code.to_string(), message: r.message }
        }
        Err(error) => CancelNoticeOutcome::TransportError { detail: error.to_string() },
    }
}

/// The MyPay record of an off-pagoPA payment; `None` when the portal's data cannot form one
/// (an IUV or date that does not parse), which is refused before anything is sent.
fn offline_payment(p: &OfflinePayment) -> Option<OffPagoPaPayment> {
    let date = time::Date::parse(&p.date, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let cut = |s: &str, n: usize| s.trim().chars().take(n).collect::<String>();
    Some(OffPagoPaPayment {
        iuv: Iuv::parse(&p.iuv).ok()?,
        amount: AmountCents(p.amount_cents),
        date,
        iur: cut(&p.reference, 35),
        attestor: Attestor {
            kind: AttestorKind::FiscalCode,
            code: cut(&p.attestor_code.to_ascii_uppercase(), 35),
            name: cut(&p.attestor_name, 70),
        },
        index: Some(1),
    })
}

fn payer(p: &CartPayer) -> Payer {
    Payer {
        kind: match p.kind {
            PayerType::F => PayerKind::Natural,
            PayerType::G => PayerKind::Legal,
        },
        id_code: p.id_code.to_ascii_uppercase(),
        name: p.name.clone(),
        address: p.address.clone(),
        civic_number: p.civic_number.clone(),
        postal_code: p.postal_code.clone(),
        city: p.city.clone(),
        province: p.province.clone(),
        country: Some("IT".into()),
        email: p.email.clone(),
    }
}

/// Could MyPay have received the request? Only a refused connection or a cart refused locally
/// prove it did not.
fn maybe_received(error: &MyPayError) -> bool {
    !matches!(
        error,
        MyPayError::Connect(_)
            | MyPayError::InvalidCart(_)
            | MyPayError::InvalidPosition(_)
            | MyPayError::InvalidRequest(_)
    )
}

fn send_outcome(result: Result<SubmitOutcome, MyPayError>) -> SendOutcome {
    match result {
        Ok(SubmitOutcome::Accepted { id_session, url }) => SendOutcome::Accepted { id_session, url },
        Ok(SubmitOutcome::CredentialsRejected(r) | SubmitOutcome::Rejected(r)) => {
            SendOutcome::Rejected { code: r.code.to_string(), message: r.message }
        }
        Err(error) => SendOutcome::TransportError {
            retryable: !matches!(error, MyPayError::InvalidCart(_) | MyPayError::InvalidRequest(_)),
            maybe_received: maybe_received(&error),
            detail: error.to_string(),
        },
    }
}

fn receipt_date(payment: &Payment) -> String {
    let dt = payment.receipt_date_time;
    let local = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    match payment.receipt_utc_offset {
        Some(o) if o.is_utc() => format!("{local}Z"),
        Some(o) => {
            let (h, m, _) = o.as_hms();
            format!("{local}{}{:02}:{:02}", if o.is_negative() { '-' } else { '+' }, h.unsigned_abs(), m.unsigned_abs())
        }
        None => local,
    }
}

fn paid_receipt(payment: &Payment) -> PaidReceipt {
    PaidReceipt {
        iuv: payment.iuv.clone(),
        receipt_id: payment.receipt_id.clone(),
        receipt_date: receipt_date(payment),
        total_cents: payment.total.cents(),
        lines: payment
            .lines
            .iter()
            .map(|l| PaidLine {
                iud: l.iud.clone(),
                amount_cents: l.amount.cents(),
                iur: l.iur.clone(),
                date: format!("{:04}-{:02}-{:02}", l.date.year(), u8::from(l.date.month()), l.date.day()),
            })
            .collect(),
        psp: payment.psp.clone(),
    }
}

const RECORDED_BY_ENTE: &str = "recorded with paaSILRegistraPagamento (code 9), not a pagoPA receipt";

/// The decision-table input from a ChiediPagati answer; a code-0 receipt counts as paid only if
/// [`Payment::verify`] matches it with the expected cart.
fn check_outcome(result: Result<PaymentStatus, MyPayError>, expected: &[ExpectedLine]) -> CheckOutcome {
    let status = match result {
        Ok(status) => status,
        Err(error) => return CheckOutcome::TransportError { detail: error.to_string() },
    };
    match status {
        PaymentStatus::Paid(payment) => {
            let lines: Vec<(&str, AmountCents)> =
                expected.iter().map(|e| (e.iud.as_str(), AmountCents(e.amount_cents))).collect();
            match payment.verify(&lines) {
                Ok(()) => CheckOutcome::Paid(paid_receipt(&payment)),
                Err(mismatch) => CheckOutcome::AmountMismatch { detail: format!("{mismatch:?}") },
            }
        }
        // A payment the Ente recorded itself is never a pagoPA payment of a cart: an anomaly.
        PaymentStatus::RecordedByEnte(_) => CheckOutcome::AmountMismatch { detail: RECORDED_BY_ENTE.into() },
        PaymentStatus::NotPaid(p) => {
            CheckOutcome::NotPaid { detail: format!("codiceEsitoPagamento {}", p.outcome.code()) }
        }
        PaymentStatus::Partial(p) => {
            CheckOutcome::Partial { detail: format!("codiceEsitoPagamento {}", p.outcome.code()) }
        }
        PaymentStatus::Pending { .. } => CheckOutcome::Pending,
        PaymentStatus::Expired(_) => CheckOutcome::Expired,
        PaymentStatus::Cancelled(_) => CheckOutcome::Cancelled,
        PaymentStatus::UnknownSession(_) => CheckOutcome::UnknownSession,
        PaymentStatus::CredentialsRejected(_) => CheckOutcome::CredentialsError,
        PaymentStatus::NotFound(r) | PaymentStatus::SystemError(r) | PaymentStatus::OtherFault(r) => {
            CheckOutcome::TransportError { detail: r.to_string() }
        }
    }
}

impl PaymentGateway for MyPayGateway {
    fn send_cart<'a>(&'a self, cart: &'a CartRequest) -> GatewayFuture<'a, SendOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = send_outcome(self.client.invia_dovuti(&self.to_cart(cart), &self.return_url).await);
            let label = match &outcome {
                SendOutcome::Accepted { .. } => "accepted",
                SendOutcome::Rejected { .. } => "rejected",
                SendOutcome::TransportError { .. } => "transport_error",
            };
            crate::metrics::mypay_call("paaSILInviaDovuti", label, started);
            outcome
        })
    }

    fn check<'a>(&'a self, id_session: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, CheckOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = check_outcome(self.client.chiedi_pagati(id_session).await, expected);
            crate::metrics::mypay_call("paaSILChiediPagati", outcome.label(), started);
            outcome
        })
    }

    fn receipt<'a>(&'a self, id_session: &'a str) -> GatewayFuture<'a, ReceiptOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome =
                match self.client.chiedi_pagati_con_ricevuta(&ReceiptLookup::IdSession(id_session.to_string())).await {
                    Ok(PaymentStatus::Paid(payment)) => match payment.receipt.and_then(|r| r.rt) {
                        Some(bytes) => ReceiptOutcome::Receipt { bytes },
                        None => ReceiptOutcome::NotAvailable { detail: "MyPay returned no rt".into() },
                    },
                    Ok(other) => ReceiptOutcome::NotAvailable { detail: other.label().into() },
                    Err(error) => ReceiptOutcome::TransportError { detail: error.to_string() },
                };
            let label = match &outcome {
                ReceiptOutcome::Receipt { .. } => "receipt",
                ReceiptOutcome::NotAvailable { .. } => "not_available",
                ReceiptOutcome::TransportError { .. } => "transport_error",
            };
            crate::metrics::mypay_call("paaSILChiediPagatiConRicevuta", label, started);
            outcome
        })
    }

    fn check_by_iud<'a>(&'a self, iud: &'a str, expected: &'a [ExpectedLine]) -> GatewayFuture<'a, IudCheck> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.client.chiedi_pagati_con_ricevuta(&ReceiptLookup::Iud(iud.to_string())).await;
            let check = iud_check(result, expected);
            crate::metrics::mypay_call("paaSILChiediPagatiConRicevuta(IUD)", check.outcome.label(), started);
            check
        })
    }

    fn issue_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, IssueOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = issue_outcome(self.client.importa_dovuto_inserisci(&self.to_position(notice)).await);
            let label = match &outcome {
                IssueOutcome::Issued { .. } => "issued",
                IssueOutcome::AlreadyExists => "iud_duplicato",
                IssueOutcome::Rejected { .. } => "rejected",
                IssueOutcome::TransportError { .. } => "transport_error",
            };
            crate::metrics::mypay_call("paaSILImportaDovuto(I)", label, started);
            outcome
        })
    }

    fn cancel_notice<'a>(&'a self, notice: &'a NoticeRequest) -> GatewayFuture<'a, CancelNoticeOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let outcome = cancel_outcome(self.client.importa_dovuto_annulla(&self.to_position(notice)).await);
            let label = match &outcome {
                CancelNoticeOutcome::Cancelled => "cancelled",
                CancelNoticeOutcome::NotOpen => "not_open",
                CancelNoticeOutcome::Busy => "busy",
                CancelNoticeOutcome::Rejected { .. } => "rejected",
                CancelNoticeOutcome::TransportError { .. } => "transport_error",
            };
            crate::metrics::mypay_call("paaSILImportaDovuto(A)", label, started);
            outcome
        })
    }

    fn record_offline_payment<'a>(&'a self, payment: &'a OfflinePayment) -> GatewayFuture<'a, RecordOfflineOutcome> {
        Box::pin(async move {
            let started = Instant::now();
            let Some(record) = offline_payment(payment) else {
                return RecordOfflineOutcome::Rejected {
                    code: "invalid_record".into(),
                    message: "IUV or date not usable".into(),
                };
            };
            let outcome = match self.client.registra_pagamento(&record).await {
                Ok(RecordOutcome::Recorded) => RecordOfflineOutcome::Recorded,
                Ok(RecordOutcome::CredentialsRejected(r) | RecordOutcome::Rejected(r)) => {
                    RecordOfflineOutcome::Rejected { code: r.code.to_string(), message: r.message }
                }
                Err(error) => RecordOfflineOutcome::TransportError { detail: error.to_string() },
            };
            let label = match &outcome {
                RecordOfflineOutcome::Recorded => "recorded",
                RecordOfflineOutcome::Rejected { .. } => "rejected",
                RecordOfflineOutcome::TransportError { .. } => "transport_error",
            };
            crate::metrics::mypay_call("paaSILRegistraPagamento", label, started);
            outcome
        })
    }

    fn notice_pdf<'a>(&'a self, url: &'a str) -> GatewayFuture<'a, NoticePdfOutcome> {
        Box::pin(async move {
            match self.client.scarica_avviso(&NoticeUrl::new(url)).await {
                Ok(NoticeDownload::Pdf(pdf)) => NoticePdfOutcome::Pdf(pdf.bytes),
                Ok(NoticeDownload::Gone) => NoticePdfOutcome::Gone,
                Err(error) => NoticePdfOutcome::Failed { detail: error.to_string() },
            }
        })
    }
}

/// A lookup by IUD: `PAA_IUD_NON_VALIDO` means MyPay never saw the cart checked out; a verified
/// receipt comes with its RT.
fn iud_check(result: Result<PaymentStatus, MyPayError>, expected: &[ExpectedLine]) -> IudCheck {
    let receipt = match &result {
        Ok(PaymentStatus::Paid(payment)) => payment.receipt.as_ref().and_then(|r| r.rt.clone()),
        _ => None,
    };
    let outcome = match result {
        Ok(PaymentStatus::NotFound(_)) => CheckOutcome::UnknownDebt,
        other => check_outcome(other, expected),
    };
    let receipt = if matches!(outcome, CheckOutcome::Paid(_)) { receipt } else { None };
    IudCheck { outcome, receipt }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::payments::gateway::CartLine;

    fn settings() -> MyPaySettings {
        let vars = [
            ("ECM_PUBLIC_URL", "https://ecm.example.it"),
            ("ECM_MYPAY_ENDPOINT", "http://127.0.0.1:9/ws/pa/PagamentiTelematiciDovutiPagati"),
            ("ECM_MYPAY_COD_IPA_ENTE", "R_VENETO"),
            ("ECM_MYPAY_PASSWORD", "Ecm#Veneto2025"),
            ("ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO", "ECM_EVENTO_X"),
        ];
        crate::settings::Settings::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap()
            .mypay
            .unwrap()
    }

    #[test]
    fn fee_kinds_map_to_their_tipo_dovuto_and_the_payer_keeps_its_type() {
        let gateway = MyPayGateway::new(&settings()).unwrap();
        let line =
            |iud: &str, fee_kind| CartLine { iud: iud.into(), amount_cents: 25822, causale: "c".into(), fee_kind };
        let cart = gateway.to_cart(&CartRequest {
            payer: CartPayer {
                kind: PayerType::G,
                id_code: "80007580279".into(),
                name: "Ente".into(),
                address: None,
                civic_number: None,
                postal_code: None,
                city: None,
                province: None,
                email: None,
            },
            lines: vec![line("ECM-1", FeeKind::QuotaAnnuale), line("ECM-2", FeeKind::ContributoEvento)],
        });
        assert_eq!(cart.payer.kind, PayerKind::Legal);
        assert_eq!(cart.debts[0].tipo_dovuto, "ECM_QUOTA_ANNUALE");
        assert_eq!(cart.debts[1].tipo_dovuto, "ECM_EVENTO_X");
        assert_eq!(cart.debts[0].amount, AmountCents(25822));
        assert_eq!(cart.debts[1].dati_specifici_riscossione, "9/0301109AP");
    }

    #[test]
    fn a_refused_connection_proves_the_cart_was_not_received_but_a_timeout_does_not() {
        assert!(!maybe_received(&MyPayError::Connect("refused".into())));
        assert!(maybe_received(&MyPayError::Timeout));
        assert!(maybe_received(&MyPayError::ConnectionLost("reset".into())));
        assert!(matches!(
            send_outcome(Err(MyPayError::Timeout)),
            SendOutcome::TransportError { maybe_received: true, retryable: true, .. }
        ));
    }

    #[test]
    fn the_simulated_ente_is_the_portal_s_beneficiary() {
        // The simulator writes its Ente's fiscal code into every receipt (mypay-simulator's own
        // constant, since it does not depend on app): it must be the beneficiary the portal shows.
        assert_eq!(mypay_simulator::BENEFICIARY_FISCAL_CODE, app::payments::model::BENEFICIARY_FISCAL_CODE);
    }
}
