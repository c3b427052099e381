//! Payment notices (avvisi di pagamento): debt positions kept in MyPay and payable later through
//! any pagoPA channel, with the typed outcomes the portal acts on. The facts are summarised in
//! `docs/mypay-avvisi.md`; section numbers (§n) and traps (An) below are those of that page.
//!
//! | Method | Operation | Idempotent? |
//! |---|---|---|
//! | [`MyPayClient::importa_dovuto_inserisci`] | `paaSILImportaDovuto` `I`, `flagGeneraIuv=true` | **no** – a repeat burns a new IUV and answers "IUD already active" |
//! | [`MyPayClient::importa_dovuto_modifica`] | `paaSILImportaDovuto` `M` (same IUV, `flagGeneraIuv=true`) | yes for the same data (a new notice URL each time) |
//! | [`MyPayClient::importa_dovuto_annulla`] | `paaSILImportaDovuto` `A` | yes in effect: a repeat answers [`CancelOutcome::NotFound`] |
//! | [`MyPayClient::verifica_avviso`] | `paaSILVerificaAvviso` | yes (a new session each time) |
//! | [`MyPayClient::registra_pagamento`] | `paaSILRegistraPagamento` | harmless repeat (MyPay changes nothing the second time, §5.3) |
//! | [`MyPayClient::scarica_avviso`] | `GET urlFileAvviso` | yes |
//!
//! Whether a notice was paid is asked with [`MyPayClient::chiedi_pagati_con_ricevuta`] by IUD or
//! IUV ([`ReceiptLookup`](super::ReceiptLookup)); an off-pagoPA record shows up there as
//! [`PaymentStatus::RecordedByEnte`](super::PaymentStatus::RecordedByEnte), never as `Paid`.
//!
//! Every answer MyPay can legitimately give is an `Ok` outcome; a [`MyPayError`] means MyPay's
//! answer is unknown (for an insert: the debt may or may not exist – see
//! [`MyPayClient::importa_dovuto_inserisci`]).

use std::fmt;
use std::time::Instant;

use time::Date;
use tracing::Instrument as _;

use super::client::{read_bounded_to, transport_error, MyPayClient, MyPayError, Rejection};
use super::wire::amount::AmountCents;
use super::wire::avvisi::{
    self, AttestorKind, ImportaDovutoOutcome, ImportaDovutoParams, ImportaDovutoReply, RegistraPagamentoOutcome,
    RegistraPagamentoParams, MAX_NOTICE_PDF_BYTES,
};
use super::wire::iuv::{Iuv, NoticeNumber};
use super::wire::soap::{FaultCode, InviaDovutiOutcome, MyPayFault};
use super::wire::versamento::{build_versamento, Azione, DebtPosition, VersamentoXml};

/// The `urlFileAvviso` of a notice: a public link (no login) to its PDF, valid while the debt is
/// open and unmodified, for at most 2 years (§1.5, §1.6, trap A5). Its `securityToken` is a
/// bearer credential to the payer's data: `Debug` and `Display` hide the query string; use
/// [`NoticeUrl::expose`] to store or fetch it.
#[derive(Clone, PartialEq, Eq)]
pub struct NoticeUrl(String);

impl NoticeUrl {
    pub fn new(url: impl Into<String>) -> NoticeUrl {
        NoticeUrl(url.into())
    }

    /// The full URL, token included.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn redacted(&self) -> String {
        match self.0.split_once('?') {
            Some((base, _)) => format!("{base}?<redacted>"),
            None => self.0.clone(),
        }
    }
}

impl fmt::Debug for NoticeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoticeUrl({})", self.redacted())
    }
}

impl fmt::Display for NoticeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A notice MyPay issued: store all three before showing anything to the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedNotice {
    pub iuv: Iuv,
    /// `3` + IUV, computed here: MyPay does not return it (trap A4).
    pub notice_number: NoticeNumber,
    /// Where MyPay serves the PDF. Download it now ([`MyPayClient::scarica_avviso`]) and keep
    /// the bytes: the URL dies when the debt is paid, cancelled or modified (trap A5).
    pub url: NoticeUrl,
}

/// Answer to [`MyPayClient::importa_dovuto_inserisci`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// `esito=OK`: the debt exists in MyPay, payable at every pagoPA channel.
    Created(IssuedNotice),
    /// `PAA_IMPORT_IUD_DUPLICATO`: a debt with this IUD is already active in MyPay (an earlier
    /// insert succeeded – perhaps the one whose answer was lost – or the IUD was used in a
    /// checked-out `paaSILInviaDovuti` cart, or is paid: a paid IUD never comes back).
    ///
    /// MyPay does **not** say which IUV that debt has, and no operation returns it (§1.8).
    /// `consumed_iuv` is the IUV MyPay generated *for this refused call* (trap A2, §8.2): it
    /// belongs to no debt – never store it as the debt's IUV, never show it. To get a usable
    /// notice: cancel this IUD ([`MyPayClient::importa_dovuto_annulla`]) and insert again
    /// (works unless the debt was meanwhile paid), or insert under a new IUD.
    AlreadyExists { consumed_iuv: Option<String>, rejection: Rejection },
    /// `PAA_ENTE_NON_VALIDO` / `PAA_STATO_ENTE_NON_VALIDO`: configuration problem, alert.
    CredentialsRejected(Rejection),
    /// Any other refusal: nothing was created. `consumed_iuv` as above (belongs to no debt).
    /// `PAA_SYSTEM_ERROR` "…Errore generazione iuv: …" names the real reason after the colon
    /// and is not necessarily an IUV problem (trap A7).
    Rejected { consumed_iuv: Option<String>, rejection: Rejection },
}

/// Answer to [`MyPayClient::importa_dovuto_modifica`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModifyOutcome {
    /// `esito=OK`: same IUD and IUV, new data; the old notice URL now answers HTTP 418 and the
    /// printed notice shows the old amount – issue the new one (trap A14).
    Modified(IssuedNotice),
    /// No open debt under this IUD: never imported, already **paid**, or cancelled. Ask
    /// [`MyPayClient::chiedi_pagati_con_ricevuta`] by IUD which one.
    NotFound(Rejection),
    /// Open but not modifiable: in an online payment (legacy mode, `PAGAMENTO_INIZIATO`).
    /// Try again later.
    NotModifiable(Rejection),
    CredentialsRejected(Rejection),
    /// Any other refusal (e.g. `PAA_IMPORT_TIPO_DOVUTO_NON_MODIFICABILE`): nothing changed.
    Rejected {
        consumed_iuv: Option<String>,
        rejection: Rejection,
    },
}

/// Answer to [`MyPayClient::importa_dovuto_annulla`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// `esito=OK`: cancelled; pagoPA channels now refuse the notice, the IUD may be imported
    /// again (§1.3, §1.8).
    Cancelled,
    /// No open debt under this IUD: never imported, already cancelled (e.g. a repeated call),
    /// or already **paid** – not proof that nothing was paid: ask
    /// [`MyPayClient::chiedi_pagati_con_ricevuta`] by IUD.
    NotFound(Rejection),
    /// Open but not cancellable: in an online payment (legacy mode). Try again later.
    NotCancellable(Rejection),
    CredentialsRejected(Rejection),
    Rejected(Rejection),
}

/// Why [`VerifyOutcome::NotPayable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotPayableReason {
    /// "non ci sono dovuti pagabili": the debt is in an online payment (legacy mode).
    InPayment,
    /// "nessun dovuto trovato": unknown, paid, or cancelled.
    NoOpenDebt,
    /// `PAA_IUV_NON_VALIDO` with another text.
    Unspecified,
}

/// Answer to [`MyPayClient::verifica_avviso`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    /// Store `id_session`, send the browser to `url`, then confirm with `paaSILChiediPagati`
    /// exactly as for a cart (§3.2).
    Accepted {
        id_session: String,
        url: String,
    },
    /// `PAA_IUV_NON_VALIDO`: nothing payable under this IUV right now.
    NotPayable {
        reason: NotPayableReason,
        rejection: Rejection,
    },
    /// `PAA_IUV_SCADUTO`: the mandatory due date has passed.
    Expired(Rejection),
    CredentialsRejected(Rejection),
    Rejected(Rejection),
}

/// Answer to [`MyPayClient::registra_pagamento`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// `esito=OK`. MyPay answers so after authentication **whatever it did** (§5.2, §5.3): it
    /// also says OK when the IUV is unknown (it then invents a record with a random IUD), when
    /// the notice was already paid through pagoPA (it changes nothing) or when a payment is in
    /// progress. Check the debt first.
    Recorded,
    CredentialsRejected(Rejection),
    Rejected(Rejection),
}

/// The institution attesting an off-pagoPA payment (e.g. the treasury bank).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestor {
    pub kind: AttestorKind,
    /// Fiscal code, ABI or BIC (1..=35).
    pub code: String,
    /// Name (1..=70).
    pub name: String,
}

/// A payment received outside pagoPA, to record against a notice's IUV (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffPagoPaPayment {
    pub iuv: Iuv,
    /// Stored as paid as given: MyPay does not compare it with the debt.
    pub amount: AmountCents,
    pub date: Date,
    /// `identificativoUnivocoRiscossione`, e.g. the bank transfer's reference (1..=35).
    pub iur: String,
    pub attestor: Attestor,
    /// `indiceDatiSingoloPagamento` (1..=5); MyPay's examples send 1.
    pub index: Option<u8>,
}

/// A notice PDF downloaded from its `urlFileAvviso`.
#[derive(Clone, PartialEq, Eq)]
pub struct NoticePdf {
    pub bytes: Vec<u8>,
    /// From `Content-Disposition` (`MYPAY_AVVISO_{ENTE FISCAL CODE}_{IUV}.pdf`), if sent.
    pub file_name: Option<String>,
}

impl fmt::Debug for NoticePdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoticePdf")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// Answer to [`MyPayClient::scarica_avviso`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeDownload {
    Pdf(NoticePdf),
    /// HTTP 418: the debt behind the URL is no longer open (paid, cancelled, or modified – a
    /// modification gives the debt a new internal id and a new URL, §1.6).
    Gone,
}

fn rejection_of(f: MyPayFault) -> Rejection {
    f.into()
}

fn is_credentials(code: &FaultCode) -> bool {
    matches!(code, FaultCode::EnteNonValido | FaultCode::StatoEnteNonValido)
}

/// `PAA_SYSTEM_ERROR` texts of §1.4 step 19 (MyPay's message keys are shown raw).
const NOT_FOUND_TEXT: &str = "Dovuto non trovato per IUD";
const NOT_MODIFIABLE_TEXT: &str = "pa.debiti.nonModificabile";
const NOT_CANCELLABLE_TEXT: &str = "Questo dovuto non può essere annullato.";

fn is_not_found(f: &MyPayFault) -> bool {
    (f.code == FaultCode::SystemError && f.fault_string.contains(NOT_FOUND_TEXT))
        || f.code == FaultCode::ImportDovutoNonPresente
}

fn issued(reply: &ImportaDovutoReply, iuv: Option<&str>) -> Result<IssuedNotice, MyPayError> {
    let iuv = iuv.ok_or_else(|| MyPayError::Malformed("esito OK without identificativoUnivocoVersamento".into()))?;
    let iuv = Iuv::parse(iuv)
        .map_err(|e| MyPayError::Malformed(format!("the IUV MyPay returned is not usable for a notice: {e}")))?;
    let url =
        reply.url_file_avviso.clone().ok_or_else(|| MyPayError::Malformed("esito OK without urlFileAvviso".into()))?;
    Ok(IssuedNotice { notice_number: iuv.notice_number(), iuv, url: NoticeUrl(url) })
}

fn origin(url: &str) -> Option<(String, String, Option<u16>)> {
    let u = reqwest::Url::parse(url).ok()?;
    Some((u.scheme().to_string(), u.host_str()?.to_ascii_lowercase(), u.port_or_known_default()))
}

fn file_name(disposition: Option<&reqwest::header::HeaderValue>) -> Option<String> {
    let value = disposition?.to_str().ok()?;
    let name = value.split(';').map(str::trim).find_map(|p| p.strip_prefix("filename="))?;
    let name = name.trim_matches('"');
    // Only a plain file name is kept (no paths, no control characters).
    (!name.is_empty() && !name.contains(['/', '\\']) && !name.chars().any(char::is_control)).then(|| name.to_string())
}

impl MyPayClient {
    async fn importa(&self, versamento: &VersamentoXml, flag: Option<bool>) -> Result<ImportaDovutoReply, MyPayError> {
        let request = avvisi::build_importa_dovuto(&ImportaDovutoParams {
            cod_ipa_ente: &self.config.cod_ipa_ente,
            password: self.config.password.expose(),
            versamento,
            flag_genera_iuv: flag,
        })?;
        self.exchange(
            request,
            |body| match avvisi::parse_importa_dovuto_response(body)? {
                ImportaDovutoOutcome::Reply(r) => Ok(r),
                ImportaDovutoOutcome::SoapFault(f) => {
                    Err(MyPayError::SoapFault { fault_code: f.fault_code, fault_string: f.fault_string })
                }
            },
            |r: &ImportaDovutoReply| if r.is_ok() { "ok" } else { "ko" },
        )
        .await
    }

    /// `paaSILImportaDovuto`, action `I`, `flagGeneraIuv=true`: creates the debt and its pagoPA
    /// notice; MyPay generates the IUV.
    ///
    /// # Not idempotent
    ///
    /// MyPay keeps no request id: sending the same insert again – e.g. after a timeout – does
    /// not return the first answer, it consumes a fresh IUV and answers
    /// [`InsertOutcome::AlreadyExists`] without saying which IUV the existing debt has (§1.8,
    /// traps A2/A3). So:
    ///
    /// 1. record the intent (the IUD and the position) durably **before** calling;
    /// 2. on `Ok(Created)` store the [`IssuedNotice`] before showing anything;
    /// 3. on `Err(_)` the outcome is unknown: do not simply retry. Cancel the IUD
    ///    ([`Self::importa_dovuto_annulla`]: `Cancelled` and `NotFound` both leave no active
    ///    debt) and then insert again with the same IUD – or insert under a new IUD and cancel
    ///    the old one later.
    pub async fn importa_dovuto_inserisci(&self, position: &DebtPosition) -> Result<InsertOutcome, MyPayError> {
        let versamento = build_versamento(position, Azione::Inserimento, None)?;
        let reply = self.importa(&versamento, Some(true)).await?;
        Ok(match reply.fault.clone() {
            None => InsertOutcome::Created(issued(&reply, reply.iuv.as_deref())?),
            Some(f) if f.code == FaultCode::ImportIudDuplicato => {
                InsertOutcome::AlreadyExists { consumed_iuv: reply.iuv, rejection: rejection_of(f) }
            }
            Some(f) if is_credentials(&f.code) => InsertOutcome::CredentialsRejected(rejection_of(f)),
            Some(f) => InsertOutcome::Rejected { consumed_iuv: reply.iuv, rejection: rejection_of(f) },
        })
    }

    /// `paaSILImportaDovuto`, action `M`: replaces amount, due date, causale and payer of the
    /// open debt with `position.iud`. Sends the debt's IUV with `flagGeneraIuv=true`, the only
    /// combination MyPay accepts for its own IUVs (§1.3). The tipo dovuto cannot change.
    ///
    /// Checkout mode accepts a modification even while the payer is paying online (trap A12):
    /// check first that no payment is open.
    pub async fn importa_dovuto_modifica(
        &self,
        position: &DebtPosition,
        iuv: &Iuv,
    ) -> Result<ModifyOutcome, MyPayError> {
        let versamento = build_versamento(position, Azione::Modifica, Some(iuv.as_str()))?;
        let reply = self.importa(&versamento, Some(true)).await?;
        Ok(match reply.fault.clone() {
            // identificativoUnivocoVersamento comes back only if generated now (never, since we
            // send the IUV): the IUV is the one we sent.
            None => ModifyOutcome::Modified(issued(&reply, Some(reply.iuv.as_deref().unwrap_or(iuv.as_str())))?),
            Some(f) if is_credentials(&f.code) => ModifyOutcome::CredentialsRejected(rejection_of(f)),
            Some(f) if is_not_found(&f) => ModifyOutcome::NotFound(rejection_of(f)),
            Some(f) if f.code == FaultCode::SystemError && f.fault_string.contains(NOT_MODIFIABLE_TEXT) => {
                ModifyOutcome::NotModifiable(rejection_of(f))
            }
            Some(f) => ModifyOutcome::Rejected { consumed_iuv: reply.iuv, rejection: rejection_of(f) },
        })
    }

    /// `paaSILImportaDovuto`, action `A`: cancels the open debt with `position.iud` (send the
    /// position as inserted; MyPay uses its stored data). No IUV, `flagGeneraIuv=false` (§8.3).
    ///
    /// Checkout mode accepts a cancellation even while the payer is paying online (trap A12).
    pub async fn importa_dovuto_annulla(&self, position: &DebtPosition) -> Result<CancelOutcome, MyPayError> {
        let versamento = build_versamento(position, Azione::Annullamento, None)?;
        let reply = self.importa(&versamento, Some(false)).await?;
        Ok(match reply.fault {
            None => CancelOutcome::Cancelled,
            Some(f) if is_credentials(&f.code) => CancelOutcome::CredentialsRejected(rejection_of(f)),
            Some(f) if is_not_found(&f) => CancelOutcome::NotFound(rejection_of(f)),
            Some(f) if f.code == FaultCode::SystemError && f.fault_string.contains(NOT_CANCELLABLE_TEXT) => {
                CancelOutcome::NotCancellable(rejection_of(f))
            }
            Some(f) => CancelOutcome::Rejected(rejection_of(f)),
        })
    }

    /// `paaSILImportaDovuto` with a `Versamento` document that was NOT validated locally, and
    /// the wire-level answer. For tests and diagnosis only (e.g. reproducing a MyPay refusal, or
    /// action `S`, which the portal cannot use for MyPay IUVs, trap A1).
    #[doc(hidden)]
    pub async fn importa_dovuto_unchecked(
        &self,
        versamento_xml: &str,
        flag_genera_iuv: Option<bool>,
    ) -> Result<ImportaDovutoReply, MyPayError> {
        self.importa(&VersamentoXml::from_unchecked(versamento_xml.to_string()), flag_genera_iuv).await
    }

    /// `paaSILVerificaAvviso`: opens a MyPay payment session for the open debt with this IUV
    /// (not the notice number, trap A9), with the browser coming back to `return_url`.
    pub async fn verifica_avviso(&self, iuv: &Iuv, return_url: &str) -> Result<VerifyOutcome, MyPayError> {
        let request = avvisi::build_verifica_avviso(
            &self.config.cod_ipa_ente,
            self.config.password.expose(),
            iuv.as_str(),
            Some(return_url),
        )?;
        self.exchange(
            request,
            |body| {
                Ok(match avvisi::parse_verifica_avviso_response(body)? {
                    InviaDovutiOutcome::Accepted { id_session, url } => VerifyOutcome::Accepted { id_session, url },
                    InviaDovutiOutcome::Rejected(f) if is_credentials(&f.code) => {
                        VerifyOutcome::CredentialsRejected(rejection_of(f))
                    }
                    InviaDovutiOutcome::Rejected(f) if f.code == FaultCode::IuvNonValido => {
                        let reason = if f.fault_string.starts_with("non ci sono dovuti pagabili") {
                            NotPayableReason::InPayment
                        } else if f.fault_string.contains("nessun dovuto trovato") {
                            NotPayableReason::NoOpenDebt
                        } else {
                            NotPayableReason::Unspecified
                        };
                        VerifyOutcome::NotPayable { reason, rejection: rejection_of(f) }
                    }
                    InviaDovutiOutcome::Rejected(f) if f.code == FaultCode::IuvScaduto => {
                        VerifyOutcome::Expired(rejection_of(f))
                    }
                    InviaDovutiOutcome::Rejected(f) => VerifyOutcome::Rejected(rejection_of(f)),
                    InviaDovutiOutcome::SoapFault(f) => {
                        return Err(MyPayError::SoapFault { fault_code: f.fault_code, fault_string: f.fault_string });
                    }
                })
            },
            |o| match o {
                VerifyOutcome::Accepted { .. } => "accepted",
                VerifyOutcome::NotPayable { .. } => "not_payable",
                VerifyOutcome::Expired(_) => "expired",
                VerifyOutcome::CredentialsRejected(_) => "credentials_rejected",
                VerifyOutcome::Rejected(_) => "rejected",
            },
        )
        .await
    }

    /// `paaSILRegistraPagamento`: records in MyPay that the notice with this IUV was paid
    /// outside pagoPA ("code 9"). Read [`RecordOutcome::Recorded`] before using it: MyPay checks
    /// nothing but the credentials (trap A11). Afterwards the debt answers
    /// [`PaymentStatus::RecordedByEnte`](super::PaymentStatus::RecordedByEnte) by IUD/IUV and
    /// pagoPA channels refuse the notice.
    pub async fn registra_pagamento(&self, payment: &OffPagoPaPayment) -> Result<RecordOutcome, MyPayError> {
        let request = avvisi::build_registra_pagamento(&RegistraPagamentoParams {
            cod_ipa_ente: &self.config.cod_ipa_ente,
            password: self.config.password.expose(),
            iuv: payment.iuv.as_str(),
            amount: payment.amount,
            date: payment.date,
            index: payment.index,
            iur: &payment.iur,
            attestor_kind: payment.attestor.kind,
            attestor_code: &payment.attestor.code,
            attestor_name: &payment.attestor.name,
        })?;
        self.exchange(
            request,
            |body| {
                Ok(match avvisi::parse_registra_pagamento_response(body)? {
                    RegistraPagamentoOutcome::Recorded => RecordOutcome::Recorded,
                    RegistraPagamentoOutcome::Rejected(f) if is_credentials(&f.code) => {
                        RecordOutcome::CredentialsRejected(rejection_of(f))
                    }
                    RegistraPagamentoOutcome::Rejected(f) => RecordOutcome::Rejected(rejection_of(f)),
                    RegistraPagamentoOutcome::SoapFault(f) => {
                        return Err(MyPayError::SoapFault { fault_code: f.fault_code, fault_string: f.fault_string });
                    }
                })
            },
            |o| match o {
                RecordOutcome::Recorded => "recorded",
                RecordOutcome::CredentialsRejected(_) => "credentials_rejected",
                RecordOutcome::Rejected(_) => "rejected",
            },
        )
        .await
    }

    /// `GET urlFileAvviso`: the notice PDF, at most [`MAX_NOTICE_PDF_BYTES`], which must start
    /// with `%PDF-`.
    ///
    /// The URL must have the scheme, host and port of the configured SOAP endpoint (MyPay builds
    /// both from the same base, §1.5): the portal never fetches a URL elsewhere, whatever an
    /// answer contains \[DESIGN\]. No redirect is followed. The URL (with its token) is never
    /// logged; the `mypay.http` span records only the outcome.
    pub async fn scarica_avviso(&self, url: &NoticeUrl) -> Result<NoticeDownload, MyPayError> {
        let span = tracing::info_span!(
            "mypay.http",
            operation = "urlFileAvviso",
            outcome = tracing::field::Empty,
            http_status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self.download(url).instrument(span.clone()).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match &result {
            Ok(NoticeDownload::Pdf(_)) => "pdf",
            Ok(NoticeDownload::Gone) => "gone",
            Err(e) => e.label(),
        };
        span.record("outcome", outcome).record("duration_ms", duration_ms);
        span.in_scope(|| match &result {
            Ok(_) => tracing::info!(operation = "urlFileAvviso", outcome, duration_ms, "MyPay notice download"),
            Err(error) => tracing::warn!(operation = "urlFileAvviso", outcome, duration_ms, %error, "MyPay notice download failed"),
        });
        result
    }

    async fn download(&self, url: &NoticeUrl) -> Result<NoticeDownload, MyPayError> {
        let target = origin(url.expose());
        if target.is_none() || target != origin(&self.config.endpoint) {
            return Err(MyPayError::Malformed(
                "the notice URL is not on the MyPay host of the SOAP endpoint; not fetched".into(),
            ));
        }
        // reqwest errors name the URL: strip it so the token cannot reach a log.
        let response = self.http.get(url.expose()).send().await.map_err(|e| transport_error(&e.without_url()))?;
        let status = response.status();
        tracing::Span::current().record("http_status", status.as_u16());
        if status.as_u16() == 418 {
            return Ok(NoticeDownload::Gone);
        }
        if status != reqwest::StatusCode::OK {
            let body = read_bounded_to(response, 64 * 1024).await.unwrap_or_default();
            return Err(MyPayError::HttpStatus { status: status.as_u16(), empty_body: body.is_empty() });
        }
        let file_name = file_name(response.headers().get(reqwest::header::CONTENT_DISPOSITION));
        let bytes = read_bounded_to(response, MAX_NOTICE_PDF_BYTES).await?;
        if !bytes.starts_with(b"%PDF-") {
            return Err(MyPayError::Malformed("the notice URL did not answer with a PDF".into()));
        }
        Ok(NoticeDownload::Pdf(NoticePdf { bytes, file_name }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_url_hides_its_token() {
        let url =
            NoticeUrl::new("https://mypay.example.invalid/public/landing/avviso?id=4711&securityToken=eyJ.secret.sig");
        for text in [format!("{url:?}"), url.to_string()] {
            assert!(!text.contains("secret") && !text.contains("4711"), "{text}");
            assert!(text.contains("/public/landing/avviso?<redacted>"), "{text}");
        }
        assert!(url.expose().ends_with("eyJ.secret.sig"));
    }

    #[test]
    fn origins_and_file_names() {
        assert_eq!(origin("https://H.example/a?b"), origin("https://h.example:443/ws/pa/X"));
        assert_ne!(origin("http://h.example/a"), origin("https://h.example/a"));
        assert_ne!(origin("http://h.example:8080/a"), origin("http://h.example/a"));
        assert_eq!(origin("not a url"), None);
        let hv = |s: &str| reqwest::header::HeaderValue::from_str(s).unwrap();
        assert_eq!(
            file_name(Some(&hv(r#"attachment; filename="MYPAY_AVVISO_80007580279_01000000012345688.pdf""#))).as_deref(),
            Some("MYPAY_AVVISO_80007580279_01000000012345688.pdf")
        );
        assert_eq!(file_name(Some(&hv(r#"attachment; filename="../etc/passwd""#))), None);
        assert_eq!(file_name(None), None);
    }
}
