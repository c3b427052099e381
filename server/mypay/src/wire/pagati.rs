//! The `Pagati` / `PagatiConRicevuta` documents (payment outcome) returned by
//! `paaSILChiediPagati` / `paaSILChiediPagatiConRicevuta`.
//!
//! * Parsing ([`parse_pagati`]) is namespace-aware: every element must be in
//!   `http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/` whatever prefix is used
//!   (MyPay's JAXB output uses `ns2:`; docs/mypay.md §2.3, §9.2). DTDs and entities are refused
//!   (see the `xml` module).
//! * The base64 layers around the document (double base64, docs/mypay.md trap T1) are removed by
//!   the `soap` module; this module works on the decoded XML bytes.
//! * Parsing is strict on what decides a payment (outcome code, amounts, IUV, IUDs, dates,
//!   required elements, at most one occurrence of single-valued elements, at most 5
//!   `datiSingoloPagamento`) and lenient on the rest: element order is not enforced and unknown
//!   elements are ignored, so that an additive change by MyPay does not hide a real payment.
//! * [`Pagati::to_xml`] writes the document back (used by the simulator); the output follows the
//!   XSD sequence order and is checked against the XSD with xmllint in the tests.
//!
//! Amounts `0.00` are legal here (`stImporto`, docs/mypay.md trap T5): a not-paid outcome carries
//! `importoTotalePagato` `0.00`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use super::amount::AmountCents;
use super::dovuti::{write_payer, Payer, PayerKind};
use super::xml::{self, is_xml_whitespace, ns, Element, XmlError, XmlWriter};

/// Which of the two document types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PagatiKind {
    /// Root `Pagati` (type `ctPagati`), returned by `paaSILChiediPagati`.
    Pagati,
    /// Root `PagatiConRicevuta` (type `ctPagatiConRicevuta`), returned by
    /// `paaSILChiediPagatiConRicevuta`.
    PagatiConRicevuta,
}

impl PagatiKind {
    /// Root element name.
    pub fn root_name(self) -> &'static str {
        match self {
            PagatiKind::Pagati => "Pagati",
            PagatiKind::PagatiConRicevuta => "PagatiConRicevuta",
        }
    }
}

/// `codiceEsitoPagamento` (XSD `stCodiceEsitoPagamento`, docs/mypay.md §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EsitoPagamento {
    /// `0` – pagamento eseguito.
    Paid,
    /// `1` – pagamento non eseguito.
    NotPaid,
    /// `2` – pagamento parzialmente eseguito.
    PartiallyPaid,
    /// `3` – decorrenza termini (timed out, nothing paid).
    TimedOut,
    /// `4` – decorrenza termini parziale.
    PartiallyTimedOut,
}

impl EsitoPagamento {
    /// The wire digit.
    pub fn code(self) -> &'static str {
        match self {
            EsitoPagamento::Paid => "0",
            EsitoPagamento::NotPaid => "1",
            EsitoPagamento::PartiallyPaid => "2",
            EsitoPagamento::TimedOut => "3",
            EsitoPagamento::PartiallyTimedOut => "4",
        }
    }

    /// Parses the wire digit.
    pub fn from_code(code: &str) -> Option<EsitoPagamento> {
        match code {
            "0" => Some(EsitoPagamento::Paid),
            "1" => Some(EsitoPagamento::NotPaid),
            "2" => Some(EsitoPagamento::PartiallyPaid),
            "3" => Some(EsitoPagamento::TimedOut),
            "4" => Some(EsitoPagamento::PartiallyTimedOut),
            _ => None,
        }
    }
}

/// `esitoSingoloPagamento` MyPay writes for a payment recorded with `paaSILRegistraPagamento`
/// (docs/mypay-avvisi.md §5.3).
pub const ESITO_RENDICONTAZIONE_9: &str = "PAGATO CON RENDICONTAZIONE 9";
/// Prefix of the message ids MyPay invents for such a payment (`-9-` + 32 hex,
/// docs/mypay-avvisi.md §5.3).
pub const REND9_ID_PREFIX: &str = "-9-";

/// How a code-0 `Pagati` came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentChannel {
    /// A pagoPA receipt (AgID `RT` or pagoPA `ctReceipt`): paid online, at a PSP, in home banking
    /// or in app IO.
    PagoPa,
    /// Recorded by the Ente itself with `paaSILRegistraPagamento` ("PAGATO CON RENDICONTAZIONE
    /// 9"): MyPay checked nothing (not the amount, not the state) and holds no pagoPA receipt
    /// (docs/mypay-avvisi.md trap A11). Never proof that pagoPA collected the money.
    RecordedByEnte,
}

/// An `xsd:dateTime` as sent by MyPay (e.g. `2025-03-14T10:21:47.000+01:00`).
///
/// docs/mypay.md §6.3 marks MyPay's exact formatting as \[inferred\], so anything `xsd:dateTime`
/// allows is accepted: fraction of any length (kept to nanoseconds) or none, and an optional
/// offset kept as an `Option` rather than assuming Europe/Rome or UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct XsdDateTime {
    pub date_time: PrimitiveDateTime,
    pub offset: Option<UtcOffset>,
}

/// `dominio` (`ctDominio`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dominio {
    /// Fiscal code of the Ente (e.g. `80007580279`).
    pub identificativo_dominio: String,
    pub identificativo_stazione_richiedente: Option<String>,
}

/// `identificativoUnivocoAttestante` / `identificativoUnivocoBeneficiario`
/// (`tipoIdentificativoUnivoco` + `codiceIdentificativoUnivoco`). The type is kept as the wire
/// letter (`G`, `A`, `B` for the PSP; `G` for the Ente).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentificativoUnivoco {
    pub tipo: String,
    pub codice: String,
}

/// `istitutoAttestante` (PSP) or `enteBeneficiario`: same shape, element names end in
/// `Attestante` / `Beneficiario` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub identificativo_univoco: IdentificativoUnivoco,
    /// `denominazioneAttestante` / `denominazioneBeneficiario`.
    pub denominazione: String,
    pub codice_unit_oper: Option<String>,
    pub denom_unit_oper: Option<String>,
    pub indirizzo: Option<String>,
    pub civico: Option<String>,
    pub cap: Option<String>,
    pub localita: Option<String>,
    pub provincia: Option<String>,
    pub nazione: Option<String>,
}

/// `allegatoRicevuta` (ConRicevuta only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllegatoRicevuta {
    /// `tipoAllegatoRicevuta`: `ES` (original outcome) or `BD` (digital stamp).
    pub tipo: String,
    /// `testoAllegato`, base64-decoded.
    pub testo: Vec<u8>,
}

/// One `datiSingoloPagamento`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatiSingoloPagamento {
    /// `identificativoUnivocoDovuto` – the IUD sent in `Dovuti`, join key to the order line.
    pub identificativo_univoco_dovuto: String,
    pub singolo_importo_pagato: AmountCents,
    /// Free text (legacy: PSP text such as `ESEGUITO`; Checkout: `0`).
    pub esito_singolo_pagamento: Option<String>,
    pub data_esito_singolo_pagamento: Date,
    /// `identificativoUnivocoRiscossione` (IUR).
    pub identificativo_univoco_riscossione: String,
    pub causale_versamento: String,
    pub dati_specifici_riscossione: String,
    /// ConRicevuta only: `indiceDatiSingoloPagamento` (1..=5).
    pub indice_dati_singolo_pagamento: Option<u8>,
    /// ConRicevuta only.
    pub commissioni_applicate_psp: Option<AmountCents>,
    /// ConRicevuta only.
    pub allegato_ricevuta: Option<AllegatoRicevuta>,
}

/// `datiPagamento`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatiPagamento {
    pub codice_esito_pagamento: EsitoPagamento,
    pub importo_totale_pagato: AmountCents,
    /// `identificativoUnivocoVersamento` (IUV), generated by MyPay.
    pub identificativo_univoco_versamento: String,
    pub codice_contesto_pagamento: String,
    /// 0..=5 entries, only for debts with a receipt reference (docs/mypay.md §6.3).
    pub dati_singolo_pagamento: Vec<DatiSingoloPagamento>,
}

/// A parsed `Pagati` or `PagatiConRicevuta` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagati {
    pub kind: PagatiKind,
    pub versione_oggetto: String,
    pub dominio: Dominio,
    pub identificativo_messaggio_ricevuta: String,
    pub data_ora_messaggio_ricevuta: XsdDateTime,
    pub riferimento_messaggio_richiesta: String,
    pub riferimento_data_richiesta: Date,
    pub istituto_attestante: Organization,
    pub ente_beneficiario: Organization,
    pub soggetto_pagatore: Payer,
    pub dati_pagamento: DatiPagamento,
}

/// Why a `Pagati` document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagatiError {
    #[error("malformed XML: {0}")]
    Xml(#[from] XmlError),
    #[error("unexpected root element {0}")]
    UnexpectedRoot(String),
    #[error("missing element {0}")]
    Missing(String),
    #[error("element {0} occurs more than once")]
    Duplicate(String),
    #[error("more than 5 datiSingoloPagamento")]
    TooManyDatiSingoloPagamento,
    #[error("invalid value in {element}: {reason}")]
    InvalidValue { element: String, reason: &'static str },
}

type Result<T> = std::result::Result<T, PagatiError>;

const PAY: Option<&str> = Some(ns::PAY_I);

fn child<'a>(el: &'a Element, name: &str) -> Result<Option<&'a Element>> {
    el.child(PAY, name).map_err(|d| PagatiError::Duplicate(d.0))
}

fn req<'a>(el: &'a Element, name: &str) -> Result<&'a Element> {
    child(el, name)?.ok_or_else(|| PagatiError::Missing(format!("{}/{name}", el.local)))
}

fn req_text(el: &Element, name: &str) -> Result<String> {
    Ok(req(el, name)?.text.clone())
}

fn opt_text(el: &Element, name: &str) -> Result<Option<String>> {
    Ok(child(el, name)?.map(|c| c.text.clone()))
}

/// Text with XML whitespace collapsed at both ends (XSD `whiteSpace=collapse` of decimal/date
/// types).
fn req_token(el: &Element, name: &str) -> Result<String> {
    Ok(req_text(el, name)?.trim_matches(is_xml_whitespace).to_string())
}

fn bad(element: &str, reason: &'static str) -> PagatiError {
    PagatiError::InvalidValue { element: element.to_string(), reason }
}

fn req_amount(el: &Element, name: &str) -> Result<AmountCents> {
    AmountCents::parse(&req_token(el, name)?).map_err(|_| bad(name, "not an amount \\d+\\.\\d{2}"))
}

fn req_date(el: &Element, name: &str) -> Result<Date> {
    parse_xsd_date(&req_token(el, name)?).ok_or_else(|| bad(name, "not an xsd:date"))
}

/// Parses the decoded XML of a `Pagati` or `PagatiConRicevuta` document.
pub fn parse_pagati(xml_bytes: &[u8]) -> Result<Pagati> {
    let root = xml::parse(xml_bytes)?;
    let kind = if root.is(PAY, "Pagati") {
        PagatiKind::Pagati
    } else if root.is(PAY, "PagatiConRicevuta") {
        PagatiKind::PagatiConRicevuta
    } else {
        return Err(PagatiError::UnexpectedRoot(root.qualified_name()));
    };

    let dominio_el = req(&root, "dominio")?;
    let dominio = Dominio {
        identificativo_dominio: req_text(dominio_el, "identificativoDominio")?,
        identificativo_stazione_richiedente: opt_text(dominio_el, "identificativoStazioneRichiedente")?,
    };
    let data_ora = req_token(&root, "dataOraMessaggioRicevuta")?;
    let data_ora_messaggio_ricevuta =
        parse_xsd_date_time(&data_ora).ok_or_else(|| bad("dataOraMessaggioRicevuta", "not an xsd:dateTime"))?;

    let dp = req(&root, "datiPagamento")?;
    let codice = req_token(dp, "codiceEsitoPagamento")?;
    let codice_esito_pagamento =
        EsitoPagamento::from_code(&codice).ok_or_else(|| bad("codiceEsitoPagamento", "not one of 0..4"))?;
    let mut singoli = Vec::new();
    for s in dp.children_named(PAY, "datiSingoloPagamento") {
        if singoli.len() == 5 {
            return Err(PagatiError::TooManyDatiSingoloPagamento);
        }
        singoli.push(parse_singolo(s, kind)?);
    }

    Ok(Pagati {
        kind,
        versione_oggetto: req_text(&root, "versioneOggetto")?,
        dominio,
        identificativo_messaggio_ricevuta: req_text(&root, "identificativoMessaggioRicevuta")?,
        data_ora_messaggio_ricevuta,
        riferimento_messaggio_richiesta: req_text(&root, "riferimentoMessaggioRichiesta")?,
        riferimento_data_richiesta: req_date(&root, "riferimentoDataRichiesta")?,
        istituto_attestante: parse_organization(req(&root, "istitutoAttestante")?, "Attestante")?,
        ente_beneficiario: parse_organization(req(&root, "enteBeneficiario")?, "Beneficiario")?,
        soggetto_pagatore: parse_payer(req(&root, "soggettoPagatore")?)?,
        dati_pagamento: DatiPagamento {
            codice_esito_pagamento,
            importo_totale_pagato: req_amount(dp, "importoTotalePagato")?,
            identificativo_univoco_versamento: req_text(dp, "identificativoUnivocoVersamento")?,
            codice_contesto_pagamento: req_text(dp, "codiceContestoPagamento")?,
            dati_singolo_pagamento: singoli,
        },
    })
}

fn parse_singolo(s: &Element, kind: PagatiKind) -> Result<DatiSingoloPagamento> {
    let con_ricevuta = kind == PagatiKind::PagatiConRicevuta;
    let indice = if con_ricevuta {
        match child(s, "indiceDatiSingoloPagamento")? {
            Some(e) => {
                let t = e.text.trim_matches(is_xml_whitespace);
                let v: u8 = t.parse().map_err(|_| bad("indiceDatiSingoloPagamento", "not 1..5"))?;
                if !(1..=5).contains(&v) {
                    return Err(bad("indiceDatiSingoloPagamento", "not 1..5"));
                }
                Some(v)
            }
            None => None,
        }
    } else {
        None
    };
    let commissioni = if con_ricevuta && child(s, "commissioniApplicatePSP")?.is_some() {
        Some(req_amount(s, "commissioniApplicatePSP")?)
    } else {
        None
    };
    let allegato = match (con_ricevuta, child(s, "allegatoRicevuta")?) {
        (true, Some(a)) => {
            let text: String = req_text(a, "testoAllegato")?.chars().filter(|c| !is_xml_whitespace(*c)).collect();
            let testo = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|_| bad("testoAllegato", "not base64"))?;
            Some(AllegatoRicevuta { tipo: req_text(a, "tipoAllegatoRicevuta")?, testo })
        }
        _ => None,
    };
    Ok(DatiSingoloPagamento {
        identificativo_univoco_dovuto: req_text(s, "identificativoUnivocoDovuto")?,
        singolo_importo_pagato: req_amount(s, "singoloImportoPagato")?,
        esito_singolo_pagamento: opt_text(s, "esitoSingoloPagamento")?,
        data_esito_singolo_pagamento: req_date(s, "dataEsitoSingoloPagamento")?,
        identificativo_univoco_riscossione: req_text(s, "identificativoUnivocoRiscossione")?,
        causale_versamento: req_text(s, "causaleVersamento")?,
        dati_specifici_riscossione: req_text(s, "datiSpecificiRiscossione")?,
        indice_dati_singolo_pagamento: indice,
        commissioni_applicate_psp: commissioni,
        allegato_ricevuta: allegato,
    })
}

fn parse_organization(el: &Element, suffix: &str) -> Result<Organization> {
    let id = req(el, &format!("identificativoUnivoco{suffix}"))?;
    let n = |base: &str| format!("{base}{suffix}");
    Ok(Organization {
        identificativo_univoco: IdentificativoUnivoco {
            tipo: req_token(id, "tipoIdentificativoUnivoco")?,
            codice: req_text(id, "codiceIdentificativoUnivoco")?,
        },
        denominazione: req_text(el, &n("denominazione"))?,
        codice_unit_oper: opt_text(el, &n("codiceUnitOper"))?,
        denom_unit_oper: opt_text(el, &n("denomUnitOper"))?,
        indirizzo: opt_text(el, &n("indirizzo"))?,
        civico: opt_text(el, &n("civico"))?,
        cap: opt_text(el, &n("cap"))?,
        localita: opt_text(el, &n("localita"))?,
        provincia: opt_text(el, &n("provincia"))?,
        nazione: opt_text(el, &n("nazione"))?,
    })
}

fn parse_payer(el: &Element) -> Result<Payer> {
    let id = req(el, "identificativoUnivocoPagatore")?;
    let tipo = req_token(id, "tipoIdentificativoUnivoco")?;
    let kind = PayerKind::from_code(&tipo).ok_or_else(|| bad("tipoIdentificativoUnivoco", "not F or G"))?;
    Ok(Payer {
        kind,
        id_code: req_text(id, "codiceIdentificativoUnivoco")?,
        name: req_text(el, "anagraficaPagatore")?,
        address: opt_text(el, "indirizzoPagatore")?,
        civic_number: opt_text(el, "civicoPagatore")?,
        postal_code: opt_text(el, "capPagatore")?,
        city: opt_text(el, "localitaPagatore")?,
        province: opt_text(el, "provinciaPagatore")?,
        country: opt_text(el, "nazionePagatore")?,
        email: opt_text(el, "e-mailPagatore")?,
    })
}

impl Pagati {
    /// [`PaymentChannel::RecordedByEnte`] if any mark of a `paaSILRegistraPagamento` record is
    /// present (the `esitoSingoloPagamento` text on any line, or the `-9-` receipt id); otherwise
    /// [`PaymentChannel::PagoPa`]. Either mark is enough: a mixed document is not a pagoPA receipt.
    pub fn channel(&self) -> PaymentChannel {
        let rend9_line = self.dati_pagamento.dati_singolo_pagamento.iter().any(|s| {
            s.esito_singolo_pagamento.as_deref().map(|t| t.trim_matches(is_xml_whitespace))
                == Some(ESITO_RENDICONTAZIONE_9)
        });
        if rend9_line || self.identificativo_messaggio_ricevuta.starts_with(REND9_ID_PREFIX) {
            PaymentChannel::RecordedByEnte
        } else {
            PaymentChannel::PagoPa
        }
    }

    /// Writes the document as compact UTF-8 XML without declaration (like MyPay's JAXB
    /// fragment output, docs/mypay.md §6.3), default namespace on the root, XSD sequence order.
    ///
    /// For [`PagatiKind::Pagati`] the ConRicevuta-only fields of `datiSingoloPagamento`
    /// (`indice…`, `commissioni…`, `allegato…`) are not part of the schema and are omitted.
    /// Amounts are written as given; keep them in `0.00..=999999999.99` for a schema-valid
    /// document.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new(false);
        let root = self.kind.root_name();
        w.start(root, &[("xmlns", ns::PAY_I)]);
        w.text_element("versioneOggetto", &self.versione_oggetto);
        w.start("dominio", &[]);
        w.text_element("identificativoDominio", &self.dominio.identificativo_dominio);
        w.opt_text_element(
            "identificativoStazioneRichiedente",
            self.dominio.identificativo_stazione_richiedente.as_deref(),
        );
        w.end("dominio");
        w.text_element("identificativoMessaggioRicevuta", &self.identificativo_messaggio_ricevuta);
        w.text_element("dataOraMessaggioRicevuta", &format_xsd_date_time(&self.data_ora_messaggio_ricevuta));
        w.text_element("riferimentoMessaggioRichiesta", &self.riferimento_messaggio_richiesta);
        w.text_element("riferimentoDataRichiesta", &format_xsd_date(self.riferimento_data_richiesta));
        write_organization(&mut w, "istitutoAttestante", "Attestante", &self.istituto_attestante);
        write_organization(&mut w, "enteBeneficiario", "Beneficiario", &self.ente_beneficiario);
        write_payer(&mut w, "soggettoPagatore", &self.soggetto_pagatore);

        let dp = &self.dati_pagamento;
        w.start("datiPagamento", &[]);
        w.text_element("codiceEsitoPagamento", dp.codice_esito_pagamento.code());
        w.text_element("importoTotalePagato", &dp.importo_totale_pagato.to_wire_string());
        w.text_element("identificativoUnivocoVersamento", &dp.identificativo_univoco_versamento);
        w.text_element("codiceContestoPagamento", &dp.codice_contesto_pagamento);
        for s in &dp.dati_singolo_pagamento {
            w.start("datiSingoloPagamento", &[]);
            w.text_element("identificativoUnivocoDovuto", &s.identificativo_univoco_dovuto);
            w.text_element("singoloImportoPagato", &s.singolo_importo_pagato.to_wire_string());
            w.opt_text_element("esitoSingoloPagamento", s.esito_singolo_pagamento.as_deref());
            w.text_element("dataEsitoSingoloPagamento", &format_xsd_date(s.data_esito_singolo_pagamento));
            w.text_element("identificativoUnivocoRiscossione", &s.identificativo_univoco_riscossione);
            w.text_element("causaleVersamento", &s.causale_versamento);
            w.text_element("datiSpecificiRiscossione", &s.dati_specifici_riscossione);
            if self.kind == PagatiKind::PagatiConRicevuta {
                if let Some(i) = s.indice_dati_singolo_pagamento {
                    w.text_element("indiceDatiSingoloPagamento", &i.to_string());
                }
                if let Some(c) = s.commissioni_applicate_psp {
                    w.text_element("commissioniApplicatePSP", &c.to_wire_string());
                }
                if let Some(a) = &s.allegato_ricevuta {
                    w.start("allegatoRicevuta", &[]);
                    w.text_element("tipoAllegatoRicevuta", &a.tipo);
                    w.text_element("testoAllegato", &base64::engine::general_purpose::STANDARD.encode(&a.testo));
                    w.end("allegatoRicevuta");
                }
            }
            w.end("datiSingoloPagamento");
        }
        w.end("datiPagamento");
        w.end(root);
        w.finish()
    }
}

fn write_organization(w: &mut XmlWriter, element: &str, suffix: &str, o: &Organization) {
    let n = |base: &str| format!("{base}{suffix}");
    w.start(element, &[]);
    w.start(&n("identificativoUnivoco"), &[]);
    w.text_element("tipoIdentificativoUnivoco", &o.identificativo_univoco.tipo);
    w.text_element("codiceIdentificativoUnivoco", &o.identificativo_univoco.codice);
    w.end(&n("identificativoUnivoco"));
    w.text_element(&n("denominazione"), &o.denominazione);
    w.opt_text_element(&n("codiceUnitOper"), o.codice_unit_oper.as_deref());
    w.opt_text_element(&n("denomUnitOper"), o.denom_unit_oper.as_deref());
    w.opt_text_element(&n("indirizzo"), o.indirizzo.as_deref());
    w.opt_text_element(&n("civico"), o.civico.as_deref());
    w.opt_text_element(&n("cap"), o.cap.as_deref());
    w.opt_text_element(&n("localita"), o.localita.as_deref());
    w.opt_text_element(&n("provincia"), o.provincia.as_deref());
    w.opt_text_element(&n("nazione"), o.nazione.as_deref());
    w.end(element);
}

// ---- xsd:date / xsd:dateTime -------------------------------------------------------------

fn digits(s: &str, n: usize) -> Option<u32> {
    if s.len() == n && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Parses an optional timezone suffix (`Z`, `+hh:mm`, `-hh:mm`).
fn parse_offset(s: &str) -> Option<Option<UtcOffset>> {
    if s.is_empty() {
        return Some(None);
    }
    if s == "Z" {
        return Some(Some(UtcOffset::UTC));
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1i8, &s[1..]),
        b'-' => (-1i8, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m) = (digits(h, 2)?, digits(m, 2)?);
    if h > 14 || m > 59 {
        return None;
    }
    UtcOffset::from_hms(sign * h as i8, sign * m as i8, 0).ok().map(Some)
}

fn parse_date_part(s: &str) -> Option<Date> {
    let mut parts = s.splitn(3, '-');
    let y = digits(parts.next()?, 4)?;
    let m = digits(parts.next()?, 2)?;
    let d = digits(parts.next()?, 2)?;
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
}

/// Parses `YYYY-MM-DD` with an optional timezone suffix, which is accepted and ignored
/// (a calendar date is what the receipt means; MyPay sends none).
pub fn parse_xsd_date(s: &str) -> Option<Date> {
    // `split_at_checked` never panics on a non-character boundary (untrusted input).
    let (date, tz) = s.split_at_checked(10).unwrap_or((s, ""));
    parse_offset(tz)?;
    parse_date_part(date)
}

/// Parses `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`.
pub fn parse_xsd_date_time(s: &str) -> Option<XsdDateTime> {
    let (date, rest) = s.split_once('T')?;
    let date = parse_date_part(date)?;
    let (hms, rest) = rest.split_at_checked(8)?;
    let mut it = hms.split(':');
    let h = digits(it.next()?, 2)?;
    let mi = digits(it.next()?, 2)?;
    let se = digits(it.next()?, 2)?;
    let (nanos, tz) = if let Some(frac_and_tz) = rest.strip_prefix('.') {
        let end = frac_and_tz.find(|c: char| !c.is_ascii_digit()).unwrap_or(frac_and_tz.len());
        let (frac, tz) = frac_and_tz.split_at(end);
        if frac.is_empty() {
            return None;
        }
        // Keep nanosecond precision, ignore further digits.
        let mut n: u32 = 0;
        for i in 0..9 {
            n = n * 10 + frac.as_bytes().get(i).map_or(0, |b| u32::from(b - b'0'));
        }
        (n, tz)
    } else {
        (0, rest)
    };
    let offset = parse_offset(tz)?;
    let time =
        Time::from_hms_nano(u8::try_from(h).ok()?, u8::try_from(mi).ok()?, u8::try_from(se).ok()?, nanos).ok()?;
    Some(XsdDateTime { date_time: PrimitiveDateTime::new(date, time), offset })
}

/// Formats `YYYY-MM-DD`.
pub fn format_xsd_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Formats `YYYY-MM-DDThh:mm:ss.mmm[±hh:mm]` (milliseconds, or nanoseconds when needed).
pub fn format_xsd_date_time(v: &XsdDateTime) -> String {
    let dt = v.date_time;
    let nanos = dt.nanosecond();
    let frac =
        if nanos.is_multiple_of(1_000_000) { format!("{:03}", nanos / 1_000_000) } else { format!("{nanos:09}") };
    let mut s = format!("{}T{:02}:{:02}:{:02}.{frac}", format_xsd_date(dt.date()), dt.hour(), dt.minute(), dt.second());
    if let Some(off) = v.offset {
        let (h, m, _) = off.as_hms();
        let sign = if off.is_negative() { '-' } else { '+' };
        s.push_str(&format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, offset};

    #[test]
    fn dates() {
        assert_eq!(parse_xsd_date("2025-03-14"), Some(date!(2025 - 03 - 14)));
        assert_eq!(parse_xsd_date("2025-03-14+01:00"), Some(date!(2025 - 03 - 14)));
        assert_eq!(parse_xsd_date("2025-03-14Z"), Some(date!(2025 - 03 - 14)));
        for bad in ["2025-03-1è", "2025-03-14è", "2025-02-30", "2025-03-14x", "25-03-14", "", "2025-03-1"] {
            assert_eq!(parse_xsd_date(bad), None, "{bad}");
        }
        let v = parse_xsd_date_time("2025-03-14T10:21:47.000+01:00").unwrap();
        assert_eq!(v.date_time, datetime!(2025-03-14 10:21:47));
        assert_eq!(v.offset, Some(offset!(+1)));
        assert_eq!(format_xsd_date_time(&v), "2025-03-14T10:21:47.000+01:00");
        let v = parse_xsd_date_time("2025-03-14T10:21:47").unwrap();
        assert_eq!(v.offset, None);
        assert_eq!(format_xsd_date_time(&v), "2025-03-14T10:21:47.000");
        let v = parse_xsd_date_time("2025-03-14T10:21:47.5Z").unwrap();
        assert_eq!(format_xsd_date_time(&v), "2025-03-14T10:21:47.500+00:00");
        let v = parse_xsd_date_time("2025-03-14T10:21:47.123456789-05:30").unwrap();
        assert_eq!(format_xsd_date_time(&v), "2025-03-14T10:21:47.123456789-05:30");
        for bad in [
            "2025-03-14",
            "2025-03-14T10:21:4è",
            "2025-03-14T25:00:00",
            "2025-03-14T10:21:47.",
            "2025-03-14T10:21:47+1",
            "2025-03-14T10:21",
        ] {
            assert_eq!(parse_xsd_date_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn esito_codes() {
        for c in ["0", "1", "2", "3", "4"] {
            assert_eq!(EsitoPagamento::from_code(c).map(|e| e.code()), Some(c));
        }
        assert_eq!(EsitoPagamento::from_code("5"), None);
        assert_eq!(EsitoPagamento::from_code("00"), None);
    }
}
