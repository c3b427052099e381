//! The typed MyPay client: SOAP 1.1 over HTTP (reqwest, rustls), one method per operation, every
//! answer mapped to a domain outcome.
//!
//! * Business answers (HTTP 200, `fault` bean or document) become [`SubmitOutcome`] /
//!   [`PaymentStatus`] values: nothing MyPay can legitimately answer is an `Err`.
//! * Everything else – timeout, connection refused or dropped, HTTP status other than 200 with no
//!   SOAP Fault (e.g. Spring-WS's 404 with an empty body), a genuine SOAP Fault, a body that is not
//!   the expected SOAP message – is a [`MyPayError`]: the state of the payment is unknown, retry
//!   later (docs/mypay.md §8 decision table).
//!
//! Every call runs in a `mypay.soap` tracing span with `operation`, `outcome`, `http_status` and
//! `duration_ms`. The password is only ever written into the request body: it is held in a
//! [`Secret`], and no span, event, error or `Debug` output contains it.

use std::fmt;
use std::time::{Duration, Instant};

use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};
use tracing::Instrument as _;

use super::wire::amount::AmountCents;
use super::wire::dovuti::{build_dovuti, Cart, DovutiError, DovutiXml};
use super::wire::pagati::{EsitoPagamento, Pagati, PaymentChannel};
use super::wire::soap::{
    self, match_cart, FaultCode, InviaDovutiOutcome, InviaDovutiParams, Mismatch, MyPayFault, PagatiAnswer,
    PagatiLookup, PagatiReply, RequestError, ResponseError, ShowMyPay, SoapRequest,
};
use super::wire::versamento::PositionError;
use super::wire::xml::MAX_XML_BYTES;
use crate::config::{MyPaySettings, Secret};

/// What the client needs to talk to MyPay (a subset of [`MyPaySettings`]).
#[derive(Debug, Clone)]
pub struct MyPayConfig {
    /// Full SOAP URL (`…/ws/pa/PagamentiTelematiciDovutiPagati`).
    pub endpoint: String,
    pub cod_ipa_ente: String,
    pub password: Secret,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl From<&MyPaySettings> for MyPayConfig {
    fn from(s: &MyPaySettings) -> Self {
        MyPayConfig {
            endpoint: s.endpoint.clone(),
            cod_ipa_ente: s.cod_ipa_ente.clone(),
            password: s.password.clone(),
            timeout: s.timeout,
            connect_timeout: s.connect_timeout,
        }
    }
}

/// The MyPay gateway. Cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct MyPayClient {
    pub(super) http: reqwest::Client,
    pub(super) config: MyPayConfig,
}

impl fmt::Debug for MyPayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `MyPayConfig`'s Debug prints the password as `<redacted>`.
        f.debug_struct("MyPayClient").field("config", &self.config).finish_non_exhaustive()
    }
}

/// A MyPay business fault, as far as the portal cares: the `PAA_*` code, MyPay's Italian message
/// and the optional detail. Log it; never show `description` to users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: FaultCode,
    /// `faultString`.
    pub message: String,
    /// `description` (e.g. the XSD error of `PAA_XML_NON_VALIDO`).
    pub description: Option<String>,
}

impl From<MyPayFault> for Rejection {
    fn from(f: MyPayFault) -> Self {
        Rejection { code: f.code, message: f.fault_string, description: f.description }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Answer to `paaSILInviaDovuti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// `esito=OK`: store `id_session` with the order, then send the browser to `url` right away
    /// (the cart lives ~60 minutes in MyPay's cache).
    Accepted { id_session: String, url: String },
    /// `PAA_ENTE_NON_VALIDO` / `PAA_STATO_ENTE_NON_VALIDO`: wrong IPA code, password or Ente
    /// state. A configuration problem: alert the operators.
    CredentialsRejected(Rejection),
    /// Any other `PAA_*` code (see [`Rejection::code`]): the cart was refused.
    Rejected(Rejection),
}

/// `PAA_PAGAMENTO_NON_INIZIATO` vs `PAA_PAGAMENTO_IN_CORSO`. Both mean "poll again": in Checkout
/// mode "not started" is also what MyPay answers while the citizen is paying (docs/mypay.md
/// trap T12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingReason {
    NotStarted,
    InProgress,
}

/// `codiceEsitoPagamento` of a receipt.
pub type ReceiptOutcome = EsitoPagamento;

/// One paid (or refused) debt of a receipt (`datiSingoloPagamento`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    /// The IUD sent in the cart: join key to the order line.
    pub iud: String,
    pub amount: AmountCents,
    /// `identificativoUnivocoRiscossione` (IUR).
    pub iur: String,
    /// `esitoSingoloPagamento` (free text).
    pub outcome_text: Option<String>,
    pub date: Date,
    pub causale: String,
}

/// The receipt document itself (`paaSILChiediPagatiConRicevuta` only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptDocument {
    /// `rt`: an AgID `RT` (legacy flow) or a pagoPA `ctReceipt` (Checkout), as stored by MyPay.
    pub rt: Option<Vec<u8>>,
    /// `tipoFirma` (usually absent).
    pub tipo_firma: Option<String>,
}

/// A `Pagati` document, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub outcome: ReceiptOutcome,
    /// `identificativoUnivocoVersamento` (IUV), generated by MyPay.
    pub iuv: String,
    /// `identificativoMessaggioRicevuta`.
    pub receipt_id: String,
    /// `dataOraMessaggioRicevuta`, local part.
    pub receipt_date_time: PrimitiveDateTime,
    /// `dataOraMessaggioRicevuta`, offset when MyPay sent one.
    pub receipt_utc_offset: Option<UtcOffset>,
    pub total: AmountCents,
    pub lines: Vec<ReceiptLine>,
    /// The PSP (`denominazioneAttestante`).
    pub psp: String,
    /// The decoded `Pagati` / `PagatiConRicevuta` XML, to archive.
    pub pagati_xml: Vec<u8>,
    /// Receipt bytes, for `paaSILChiediPagatiConRicevuta`.
    pub receipt: Option<ReceiptDocument>,
    /// A pagoPA receipt, or the Ente's own `paaSILRegistraPagamento` record ("code 9").
    pub channel: PaymentChannel,
    document: Box<Pagati>,
}

impl Payment {
    fn from_reply(reply: PagatiReply, con_ricevuta: bool) -> Payment {
        let p = &reply.pagati;
        let dp = &p.dati_pagamento;
        Payment {
            outcome: dp.codice_esito_pagamento,
            iuv: dp.identificativo_univoco_versamento.clone(),
            receipt_id: p.identificativo_messaggio_ricevuta.clone(),
            receipt_date_time: p.data_ora_messaggio_ricevuta.date_time,
            receipt_utc_offset: p.data_ora_messaggio_ricevuta.offset,
            total: dp.importo_totale_pagato,
            lines: dp
                .dati_singolo_pagamento
                .iter()
                .map(|s| ReceiptLine {
                    iud: s.identificativo_univoco_dovuto.clone(),
                    amount: s.singolo_importo_pagato,
                    iur: s.identificativo_univoco_riscossione.clone(),
                    outcome_text: s.esito_singolo_pagamento.clone(),
                    date: s.data_esito_singolo_pagamento,
                    causale: s.causale_versamento.clone(),
                })
                .collect(),
            psp: p.istituto_attestante.denominazione.clone(),
            receipt: con_ricevuta
                .then(|| ReceiptDocument { rt: reply.rt.clone(), tipo_firma: reply.tipo_firma.clone() }),
            channel: reply.pagati.channel(),
            pagati_xml: reply.pagati_xml,
            document: Box::new(reply.pagati),
        }
    }

    /// The receipt time with its offset, if MyPay sent one.
    pub fn receipt_offset_date_time(&self) -> Option<OffsetDateTime> {
        self.receipt_utc_offset.map(|o| self.receipt_date_time.assume_offset(o))
    }

    /// Does this receipt prove payment of the cart (IUD, amount)? Only if the outcome is 0, it is
    /// a pagoPA receipt (not a `paaSILRegistraPagamento` record: [`Mismatch::RecordedByEnte`]),
    /// the total matches and every IUD was paid with its amount (docs/mypay.md §6.3).
    pub fn verify<S: AsRef<str>>(&self, expected: &[(S, AmountCents)]) -> Result<(), Mismatch> {
        match_cart(expected, &self.document)
    }
}

/// Answer to `paaSILChiediPagati` / `paaSILChiediPagatiConRicevuta` (docs/mypay.md §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    /// `Pagati` with `codiceEsitoPagamento` 0 from a pagoPA receipt. Confirm with
    /// [`Payment::verify`] before marking the order paid.
    Paid(Payment),
    /// `Pagati` with `codiceEsitoPagamento` 0 written by `paaSILRegistraPagamento`
    /// ("PAGATO CON RENDICONTAZIONE 9", lookups by IUD/IUV): the Ente recorded a payment received
    /// outside pagoPA. MyPay checked neither amount nor state and holds no receipt (`rt` empty).
    /// Not a pagoPA payment (docs/mypay-avvisi.md §5.4).
    RecordedByEnte(Payment),
    /// Code 1 (not executed) or 3 (timed out): a new attempt needs new IUDs.
    NotPaid(Payment),
    /// Code 2 or 4: manual review.
    Partial(Payment),
    /// Poll again with back-off.
    Pending { reason: PendingReason, rejection: Rejection },
    /// `PAA_PAGAMENTO_SCADUTO`. In Checkout mode a late receipt can still arrive: keep a slow
    /// reconciliation for a day or two.
    Expired(Rejection),
    /// `PAA_PAGAMENTO_ANNULLATO`.
    Cancelled(Rejection),
    /// `PAA_ID_SESSION_NON_VALIDO`: retry if the session is younger than ~70 minutes.
    UnknownSession(Rejection),
    /// `PAA_IUD_NON_VALIDO` / `PAA_IUV_NON_VALIDO` (receipt lookups by IUD or IUV).
    NotFound(Rejection),
    /// `PAA_ENTE_NON_VALIDO`: configuration problem, alert; do not touch the order.
    CredentialsRejected(Rejection),
    /// `PAA_SYSTEM_ERROR` (also a partially paid cart, docs/mypay.md trap T17): retry, alert after
    /// N tries.
    SystemError(Rejection),
    /// A code these operations are not documented to return.
    OtherFault(Rejection),
}

impl PaymentStatus {
    /// The one classification of a `Pagati` answer (docs/mypay.md §8 decision table).
    fn from_wire(answer: PagatiAnswer, con_ricevuta: bool) -> Result<PaymentStatus, MyPayError> {
        let fault = match answer {
            PagatiAnswer::Document(reply) => {
                let payment = Payment::from_reply(*reply, con_ricevuta);
                return Ok(match (payment.outcome, payment.channel) {
                    (EsitoPagamento::Paid, PaymentChannel::PagoPa) => PaymentStatus::Paid(payment),
                    (EsitoPagamento::Paid, PaymentChannel::RecordedByEnte) => PaymentStatus::RecordedByEnte(payment),
                    (EsitoPagamento::NotPaid | EsitoPagamento::TimedOut, _) => PaymentStatus::NotPaid(payment),
                    (EsitoPagamento::PartiallyPaid | EsitoPagamento::PartiallyTimedOut, _) => {
                        PaymentStatus::Partial(payment)
                    }
                });
            }
            PagatiAnswer::SoapFault(f) => {
                return Err(MyPayError::SoapFault { fault_code: f.fault_code, fault_string: f.fault_string })
            }
            PagatiAnswer::Fault(fault) => fault,
        };
        Ok(PaymentStatus::from_fault(fault))
    }

    /// What a fault bean of ChiediPagati / ChiediPagatiConRicevuta means for the payment.
    fn from_fault(fault: MyPayFault) -> PaymentStatus {
        match fault.code {
            FaultCode::PagamentoNonIniziato => {
                PaymentStatus::Pending { reason: PendingReason::NotStarted, rejection: fault.into() }
            }
            FaultCode::PagamentoInCorso => {
                PaymentStatus::Pending { reason: PendingReason::InProgress, rejection: fault.into() }
            }
            FaultCode::PagamentoScaduto => PaymentStatus::Expired(fault.into()),
            FaultCode::PagamentoAnnullato => PaymentStatus::Cancelled(fault.into()),
            FaultCode::IdSessionNonValido => PaymentStatus::UnknownSession(fault.into()),
            FaultCode::IudNonValido | FaultCode::IuvNonValido => PaymentStatus::NotFound(fault.into()),
            // STATO_ENTE_NON_VALIDO is only produced by InviaDovuti, but it is a configuration /
            // credential problem of the same nature.
            FaultCode::EnteNonValido | FaultCode::StatoEnteNonValido => {
                PaymentStatus::CredentialsRejected(fault.into())
            }
            // By IUD/IUV, a debt whose mandatory due date has passed is answered with a generic
            // system error whose description says so (docs/mypay-avvisi.md §2.3): it is expired.
            FaultCode::SystemError
                if fault.description.as_deref().is_some_and(|d| d.trim_start().starts_with("Dovuto scaduto")) =>
            {
                PaymentStatus::Expired(fault.into())
            }
            FaultCode::SystemError => PaymentStatus::SystemError(fault.into()),
            _ => PaymentStatus::OtherFault(fault.into()),
        }
    }

    /// A short, stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            PaymentStatus::Paid(_) => "paid",
            PaymentStatus::RecordedByEnte(_) => "recorded_by_ente",
            PaymentStatus::NotPaid(_) => "not_paid",
            PaymentStatus::Partial(_) => "partial",
            PaymentStatus::Pending { reason: PendingReason::NotStarted, .. } => "pending_not_started",
            PaymentStatus::Pending { reason: PendingReason::InProgress, .. } => "pending_in_progress",
            PaymentStatus::Expired(_) => "expired",
            PaymentStatus::Cancelled(_) => "cancelled",
            PaymentStatus::UnknownSession(_) => "unknown_session",
            PaymentStatus::NotFound(_) => "not_found",
            PaymentStatus::CredentialsRejected(_) => "credentials_rejected",
            PaymentStatus::SystemError(_) => "system_error",
            PaymentStatus::OtherFault(_) => "other_fault",
        }
    }
}

impl SubmitOutcome {
    /// A short, stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            SubmitOutcome::Accepted { .. } => "accepted",
            SubmitOutcome::CredentialsRejected(_) => "credentials_rejected",
            SubmitOutcome::Rejected(_) => "rejected",
        }
    }
}

/// Which record `paaSILChiediPagatiConRicevuta` looks up (exactly one, docs/mypay.md §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptLookup {
    IdSession(String),
    /// `identificativoUnivocoVersamento`.
    Iuv(String),
    /// `identificativoUnivocoDovuto`.
    Iud(String),
}

/// The call did not produce a MyPay answer: the payment state is unknown. Never contains the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MyPayError {
    #[error("the cart cannot be sent to MyPay: {0}")]
    InvalidCart(#[from] DovutiError),
    #[error("the debt position cannot be sent to MyPay: {0}")]
    InvalidPosition(#[from] PositionError),
    #[error("invalid request value: {0}")]
    InvalidRequest(#[from] RequestError),
    #[error("MyPay did not answer within the timeout")]
    Timeout,
    #[error("cannot connect to MyPay: {0}")]
    Connect(String),
    #[error("connection to MyPay lost: {0}")]
    ConnectionLost(String),
    #[error("MyPay answered HTTP {status}{}", if *.empty_body { " with an empty body" } else { "" })]
    HttpStatus { status: u16, empty_body: bool },
    #[error("MyPay answered with a SOAP Fault ({fault_code}): {fault_string}")]
    SoapFault { fault_code: String, fault_string: String },
    #[error("MyPay's answer is not the expected SOAP message: {0}")]
    Malformed(String),
}

impl MyPayError {
    /// A short, stable label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            MyPayError::InvalidCart(_) => "invalid_cart",
            MyPayError::InvalidPosition(_) => "invalid_position",
            MyPayError::InvalidRequest(_) => "invalid_request",
            MyPayError::Timeout => "timeout",
            MyPayError::Connect(_) => "connect_error",
            MyPayError::ConnectionLost(_) => "connection_lost",
            MyPayError::HttpStatus { .. } => "http_status",
            MyPayError::SoapFault { .. } => "soap_fault",
            MyPayError::Malformed(_) => "malformed",
        }
    }
}

impl From<ResponseError> for MyPayError {
    fn from(e: ResponseError) -> Self {
        MyPayError::Malformed(e.to_string())
    }
}

/// Reads an answer of at most [`MAX_XML_BYTES`]: a longer one (by its `Content-Length`, or once
/// that many bytes have arrived) is refused without reading the rest, so a broken or hostile
/// endpoint cannot make the portal buffer an unbounded body.
async fn read_bounded(response: reqwest::Response) -> Result<Vec<u8>, MyPayError> {
    read_bounded_to(response, MAX_XML_BYTES).await
}

/// [`read_bounded`] with another limit (the notice PDF download).
pub(super) async fn read_bounded_to(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, MyPayError> {
    let too_large = || MyPayError::Malformed(format!("the answer is larger than {max} bytes; not read further"));
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(response.content_length().map_or(8 * 1024, |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(super) fn transport_error(e: &reqwest::Error) -> MyPayError {
    // reqwest's messages name the URL, never the body: no password can leak through them.
    let text = std::error::Error::source(e).map_or_else(|| e.to_string(), |s| format!("{e}: {s}"));
    if e.is_timeout() {
        MyPayError::Timeout
    } else if e.is_connect() {
        MyPayError::Connect(text)
    } else {
        MyPayError::ConnectionLost(text)
    }
}

impl MyPayClient {
    pub fn new(config: MyPayConfig) -> Result<MyPayClient, MyPayError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| MyPayError::Connect(e.to_string()))?;
        Ok(MyPayClient { http, config })
    }

    pub fn from_settings(settings: &MyPaySettings) -> Result<MyPayClient, MyPayError> {
        MyPayClient::new(settings.into())
    }

    pub fn endpoint(&self) -> &str {
        &self.config.endpoint
    }

    /// `paaSILInviaDovuti`: validates the cart locally (everything MyPay would refuse for a reason
    /// known in advance), sends it with `showMyPay=SHORT` and the given return URL.
    pub async fn invia_dovuti(&self, cart: &Cart, return_url: &str) -> Result<SubmitOutcome, MyPayError> {
        let dovuti = build_dovuti(cart)?;
        self.send_dovuti(&dovuti, Some(return_url), ShowMyPay::Short).await
    }

    /// `paaSILInviaDovuti` with a `Dovuti` document that was NOT validated locally. For tests and
    /// diagnosis only (e.g. reproducing a MyPay refusal); the portal uses [`Self::invia_dovuti`].
    #[doc(hidden)]
    pub async fn invia_dovuti_unchecked(
        &self,
        dovuti_xml: &str,
        return_url: Option<&str>,
        show_my_pay_none: bool,
    ) -> Result<SubmitOutcome, MyPayError> {
        let dovuti = DovutiXml::from_unchecked(dovuti_xml.to_string());
        let show = if show_my_pay_none { ShowMyPay::None } else { ShowMyPay::Short };
        self.send_dovuti(&dovuti, return_url, show).await
    }

    async fn send_dovuti(
        &self,
        dovuti: &DovutiXml,
        return_url: Option<&str>,
        show_my_pay: ShowMyPay,
    ) -> Result<SubmitOutcome, MyPayError> {
        let request = soap::build_invia_dovuti(&InviaDovutiParams {
            cod_ipa_ente: &self.config.cod_ipa_ente,
            password: self.config.password.expose(),
            dovuti,
            return_url,
            show_my_pay,
        })?;
        self.exchange(
            request,
            |body| {
                Ok(match soap::parse_invia_dovuti_response(body)? {
                    InviaDovutiOutcome::Accepted { id_session, url } => SubmitOutcome::Accepted { id_session, url },
                    InviaDovutiOutcome::Rejected(f)
                        if matches!(f.code, FaultCode::EnteNonValido | FaultCode::StatoEnteNonValido) =>
                    {
                        SubmitOutcome::CredentialsRejected(f.into())
                    }
                    InviaDovutiOutcome::Rejected(f) => SubmitOutcome::Rejected(f.into()),
                    InviaDovutiOutcome::SoapFault(f) => {
                        return Err(MyPayError::SoapFault { fault_code: f.fault_code, fault_string: f.fault_string })
                    }
                })
            },
            SubmitOutcome::label,
        )
        .await
    }

    /// `paaSILChiediPagati(idSession)`.
    pub async fn chiedi_pagati(&self, id_session: &str) -> Result<PaymentStatus, MyPayError> {
        let request = soap::build_chiedi_pagati(&self.config.cod_ipa_ente, self.config.password.expose(), id_session)?;
        self.exchange(
            request,
            |body| PaymentStatus::from_wire(soap::parse_chiedi_pagati_response(body)?, false),
            PaymentStatus::label,
        )
        .await
    }

    /// `paaSILChiediPagatiConRicevuta`: like [`Self::chiedi_pagati`], plus the receipt bytes
    /// ([`Payment::receipt`]).
    pub async fn chiedi_pagati_con_ricevuta(&self, lookup: &ReceiptLookup) -> Result<PaymentStatus, MyPayError> {
        let wire_lookup = match lookup {
            ReceiptLookup::IdSession(s) => PagatiLookup::IdSession(s),
            ReceiptLookup::Iuv(s) => PagatiLookup::Iuv(s),
            ReceiptLookup::Iud(s) => PagatiLookup::Iud(s),
        };
        let request = soap::build_chiedi_pagati_con_ricevuta(
            &self.config.cod_ipa_ente,
            self.config.password.expose(),
            wire_lookup,
        )?;
        self.exchange(
            request,
            |body| PaymentStatus::from_wire(soap::parse_chiedi_pagati_con_ricevuta_response(body)?, true),
            PaymentStatus::label,
        )
        .await
    }

    /// POSTs one SOAP request and interprets the answer, inside a `mypay.soap` span.
    pub(super) async fn exchange<T>(
        &self,
        request: SoapRequest,
        parse: impl FnOnce(&[u8]) -> Result<T, MyPayError>,
        label: impl Fn(&T) -> &'static str,
    ) -> Result<T, MyPayError> {
        let operation = request.operation.soap_action();
        let span = tracing::info_span!(
            "mypay.soap",
            operation,
            outcome = tracing::field::Empty,
            http_status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.post(request, parse).instrument(span.clone()).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(value) => label(value),
            Err(error) => error.label(),
        };
        span.record("outcome", outcome).record("duration_ms", duration_ms);
        span.in_scope(|| match &result {
            Ok(_) => tracing::info!(operation, outcome, duration_ms, "MyPay call"),
            Err(error) => tracing::warn!(operation, outcome, duration_ms, %error, "MyPay call failed"),
        });
        result
    }

    async fn post<T>(
        &self,
        request: SoapRequest,
        parse: impl FnOnce(&[u8]) -> Result<T, MyPayError>,
    ) -> Result<T, MyPayError> {
        let response = self
            .http
            .post(&self.config.endpoint)
            .header(reqwest::header::CONTENT_TYPE, soap::CONTENT_TYPE)
            .header("SOAPAction", request.soap_action_header())
            .body(request.body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        tracing::Span::current().record("http_status", status.as_u16());
        let body = read_bounded(response).await?;
        if status == reqwest::StatusCode::OK {
            return parse(&body);
        }
        // A SOAP Fault (Spring-WS answers HTTP 500) is reported as such; anything else that is
        // not 200 is an HTTP-level failure, whatever its body.
        match parse(&body) {
            Err(fault @ MyPayError::SoapFault { .. }) => Err(fault),
            _ => Err(MyPayError::HttpStatus { status: status.as_u16(), empty_body: body.is_empty() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::soap::FAULT_CODES;

    fn fault(code: FaultCode, description: Option<&str>) -> MyPayFault {
        MyPayFault {
            code,
            fault_string: "msg".into(),
            id: None,
            description: description.map(str::to_string),
            serial: None,
            original_fault_code: None,
            original_fault_string: None,
            original_description: None,
        }
    }

    #[test]
    fn every_fault_code_has_its_meaning_for_the_payment() {
        use FaultCode as F;
        for (wire, code) in &FAULT_CODES {
            let status = PaymentStatus::from_fault(fault(code.clone(), None));
            let expected = match code {
                F::PagamentoNonIniziato => "pending_not_started",
                F::PagamentoInCorso => "pending_in_progress",
                F::PagamentoScaduto => "expired",
                F::PagamentoAnnullato => "cancelled",
                F::IdSessionNonValido => "unknown_session",
                F::IudNonValido | F::IuvNonValido => "not_found",
                F::EnteNonValido | F::StatoEnteNonValido => "credentials_rejected",
                F::SystemError => "system_error",
                _ => "other_fault",
            };
            assert_eq!(status.label(), expected, "{wire}");
        }
        let unknown = PaymentStatus::from_fault(fault(FaultCode::Unknown("PAA_NEW".into()), None));
        assert_eq!(unknown.label(), "other_fault");
    }

    #[test]
    fn a_system_error_that_says_the_debt_is_overdue_means_expired() {
        let overdue = fault(FaultCode::SystemError, Some("  Dovuto scaduto il 2025-03-01"));
        assert_eq!(PaymentStatus::from_fault(overdue).label(), "expired");
        let other = fault(FaultCode::SystemError, Some("Errore interno: dovuto scaduto"));
        assert_eq!(PaymentStatus::from_fault(other).label(), "system_error");
    }
}
