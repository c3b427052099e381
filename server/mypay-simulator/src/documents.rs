//! Documents the simulator reads and writes: the incoming `Dovuti` (schema validation with
//! xmllint, then parsing), and the outgoing `Pagati` / `PagatiConRicevuta` and receipts (AgID `RT`
//! in legacy mode, pagoPA `ctReceipt` in Checkout mode).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use time::OffsetDateTime;

use mypay::wire::amount::AmountCents;
use mypay::wire::dovuti::{write_payer, Payer, PayerKind};
use mypay::wire::pagati::{
    format_xsd_date, format_xsd_date_time, AllegatoRicevuta, DatiPagamento, DatiSingoloPagamento, Dominio,
    EsitoPagamento, IdentificativoUnivoco, Organization, Pagati, PagatiKind, XsdDateTime,
};
use mypay::wire::xml::{self, ns, Element, XmlWriter};

/// A debt of a received `Dovuti`, after schema validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimDebt {
    pub iud: String,
    pub amount: AmountCents,
    pub tipo_dovuto: String,
    pub causale: String,
    pub dati_specifici_riscossione: String,
    /// `datiMarcaBolloDigitale` present with non-blank content.
    pub marca_bollo: Option<MarcaBollo>,
    /// Sum of `bilancio/capitolo/accertamento/importo`, when `bilancio` is present.
    pub bilancio_total: Option<AmountCents>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarcaBollo {
    pub tipo_bollo: String,
    pub hash_documento: String,
    pub provincia_residenza: String,
}

/// A received `Dovuti`, after schema validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCart {
    pub payer: Payer,
    pub tipo_versamento: String,
    pub iuv: Option<String>,
    pub debts: Vec<SimDebt>,
}

impl SimCart {
    pub fn total(&self) -> AmountCents {
        AmountCents(self.debts.iter().map(|d| d.amount.cents()).sum())
    }
}

const PAY: Option<&str> = Some(ns::PAY_I);

fn text(el: &Element, name: &str) -> Option<String> {
    el.children_named(PAY, name).next().map(|c| c.text.clone())
}

fn token(el: &Element, name: &str) -> Option<String> {
    text(el, name).map(|t| t.trim().to_string())
}

/// Parses a `Dovuti` that passed schema validation (so structure and formats are known good).
pub fn parse_validated_dovuti(bytes: &[u8]) -> Result<SimCart, String> {
    let root = xml::parse(bytes).map_err(|e| e.to_string())?;
    let missing = |what: &str| format!("missing {what}");
    let payer_el = root.children_named(PAY, "soggettoPagatore").next().ok_or_else(|| missing("soggettoPagatore"))?;
    let id = payer_el
        .children_named(PAY, "identificativoUnivocoPagatore")
        .next()
        .ok_or_else(|| missing("identificativoUnivocoPagatore"))?;
    let kind = match token(id, "tipoIdentificativoUnivoco").as_deref() {
        Some("G") => PayerKind::Legal,
        _ => PayerKind::Natural,
    };
    let payer = Payer {
        kind,
        id_code: text(id, "codiceIdentificativoUnivoco").unwrap_or_default(),
        name: text(payer_el, "anagraficaPagatore").unwrap_or_default(),
        address: text(payer_el, "indirizzoPagatore"),
        civic_number: text(payer_el, "civicoPagatore"),
        postal_code: text(payer_el, "capPagatore"),
        city: text(payer_el, "localitaPagatore"),
        // MyPay upper-cases the province (Impl `bonificaProvinciaPagatore`).
        province: text(payer_el, "provinciaPagatore").map(|p| p.to_uppercase()),
        country: text(payer_el, "nazionePagatore"),
        email: text(payer_el, "e-mailPagatore"),
    };
    let dv = root.children_named(PAY, "datiVersamento").next().ok_or_else(|| missing("datiVersamento"))?;
    let mut debts = Vec::new();
    for d in dv.children_named(PAY, "datiSingoloVersamento") {
        let amount = AmountCents::parse(&token(d, "importoSingoloVersamento").unwrap_or_default())
            .map_err(|e| format!("importoSingoloVersamento: {e}"))?;
        let marca_bollo = d.children_named(PAY, "datiMarcaBolloDigitale").next().and_then(|m| {
            let mb = MarcaBollo {
                tipo_bollo: token(m, "tipoBollo").unwrap_or_default(),
                hash_documento: text(m, "hashDocumento").unwrap_or_default(),
                provincia_residenza: token(m, "provinciaResidenza").unwrap_or_default(),
            };
            let blank =
                mb.tipo_bollo.is_empty() && mb.hash_documento.trim().is_empty() && mb.provincia_residenza.is_empty();
            (!blank).then_some(mb)
        });
        let bilancio_total = d.children_named(PAY, "bilancio").next().map(|b| {
            let mut total = 0i64;
            for cap in b.children_named(PAY, "capitolo") {
                for acc in cap.children_named(PAY, "accertamento") {
                    total +=
                        AmountCents::parse(&token(acc, "importo").unwrap_or_default()).map(|a| a.cents()).unwrap_or(0);
                }
            }
            AmountCents(total)
        });
        debts.push(SimDebt {
            iud: text(d, "identificativoUnivocoDovuto").unwrap_or_default(),
            amount,
            tipo_dovuto: text(d, "identificativoTipoDovuto").unwrap_or_default(),
            causale: text(d, "causaleVersamento").unwrap_or_default(),
            dati_specifici_riscossione: text(d, "datiSpecificiRiscossione").unwrap_or_default(),
            marca_bollo,
            bilancio_total,
        });
    }
    Ok(SimCart {
        payer,
        tipo_versamento: text(dv, "tipoVersamento").unwrap_or_default(),
        iuv: text(dv, "identificativoUnivocoVersamento"),
        debts,
    })
}

/// A received `Versamento` (`paaSILImportaDovuto`), after schema validation. Read leniently:
/// MyPay's binding unmarshals any schema-valid document as a `Versamento` (a `Dovuti` then simply
/// has no `azione`, docs/mypay-avvisi.md §1.2), so every field may be missing here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimVersamento {
    pub payer: Option<Payer>,
    pub due_date: Option<time::Date>,
    pub tipo_versamento: Option<String>,
    pub iuv: Option<String>,
    pub iud: Option<String>,
    pub amount: AmountCents,
    pub tipo_dovuto: String,
    pub causale: String,
    pub dati_specifici_riscossione: String,
    pub bilancio_total: Option<AmountCents>,
    pub azione: Option<String>,
}

fn parse_payer(payer_el: &Element) -> Payer {
    let id = payer_el.children_named(PAY, "identificativoUnivocoPagatore").next();
    let kind = match id.and_then(|i| token(i, "tipoIdentificativoUnivoco")).as_deref() {
        Some("G") => PayerKind::Legal,
        _ => PayerKind::Natural,
    };
    Payer {
        kind,
        id_code: id.and_then(|i| text(i, "codiceIdentificativoUnivoco")).unwrap_or_default(),
        name: text(payer_el, "anagraficaPagatore").unwrap_or_default(),
        address: text(payer_el, "indirizzoPagatore"),
        civic_number: text(payer_el, "civicoPagatore"),
        postal_code: text(payer_el, "capPagatore"),
        city: text(payer_el, "localitaPagatore"),
        province: text(payer_el, "provinciaPagatore").map(|p| p.to_uppercase()),
        country: text(payer_el, "nazionePagatore"),
        email: text(payer_el, "e-mailPagatore"),
    }
}

/// Parses a schema-valid `Versamento` (or any other document the schema accepts).
pub fn parse_validated_versamento(bytes: &[u8]) -> Result<SimVersamento, String> {
    let root = xml::parse(bytes).map_err(|e| e.to_string())?;
    let dv = root.children_named(PAY, "datiVersamento").next();
    let get = |name: &str| dv.and_then(|d| text(d, name));
    let bilancio_total = dv.and_then(|d| d.children_named(PAY, "bilancio").next()).map(|b| {
        let mut total = 0i64;
        for cap in b.children_named(PAY, "capitolo") {
            for acc in cap.children_named(PAY, "accertamento") {
                total += AmountCents::parse(&token(acc, "importo").unwrap_or_default()).map(|a| a.cents()).unwrap_or(0);
            }
        }
        AmountCents(total)
    });
    let payer = root.children_named(PAY, "soggettoPagatore").next().map(parse_payer);
    let azione = token(&root, "azione");
    Ok(SimVersamento {
        payer,
        due_date: get("dataEsecuzionePagamento").and_then(|d| mypay::wire::pagati::parse_xsd_date(d.trim())),
        tipo_versamento: get("tipoVersamento"),
        iuv: get("identificativoUnivocoVersamento"),
        iud: get("identificativoUnivocoDovuto"),
        amount: get("importoSingoloVersamento").and_then(|a| AmountCents::parse(a.trim()).ok()).unwrap_or_default(),
        tipo_dovuto: get("identificativoTipoDovuto").unwrap_or_default(),
        causale: get("causaleVersamento").unwrap_or_default(),
        dati_specifici_riscossione: get("datiSpecificiRiscossione").unwrap_or_default(),
        bilancio_total,
        azione,
    })
}

/// Decodes the `dovuti` element: base64, and once more if the result is itself base64 rather than
/// XML (MyPay accepts a doubly encoded document, docs/mypay.md §4.1).
pub fn decode_dovuti_field(text: &str) -> Option<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let once = b64.decode(compact).ok()?;
    let trimmed: Vec<u8> = once.iter().copied().skip_while(|b| b.is_ascii_whitespace()).collect();
    if trimmed.starts_with(b"<") || trimmed.starts_with(b"\xEF\xBB\xBF") {
        return Some(once);
    }
    match std::str::from_utf8(&once).ok().and_then(|s| {
        let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        b64.decode(compact).ok()
    }) {
        Some(twice) => Some(twice),
        None => Some(once),
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Validates `xml` against `xsd` with xmllint (offline). `Err` carries the first schema error in
/// the `element: {name} - {message}` form MyPay's description uses.
pub async fn xmllint_validate(xmllint: &str, xsd: &Path, xml: &[u8]) -> Result<(), String> {
    // A DOCTYPE is refused before anything parses the document (no entity expansion, no XXE).
    if xml.windows(9).any(|w| w.eq_ignore_ascii_case(b"<!DOCTYPE")) {
        return Err("DOCTYPE is not allowed".into());
    }
    let n = TEMP_COUNTER.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("mypay-sim-{}-{n}.xml", std::process::id()));
    tokio::fs::write(&path, xml).await.map_err(|e| format!("cannot write temporary file: {e}"))?;
    let output = tokio::process::Command::new(xmllint)
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(xsd)
        .arg(&path)
        .output()
        .await;
    let _ = tokio::fs::remove_file(&path).await;
    let output = output.map_err(|e| format!("cannot run {xmllint}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .find(|l| !l.trim().is_empty() && !l.ends_with("fails to validate"))
        .unwrap_or("invalid document");
    Err(describe_xmllint_error(first))
}

/// `/tmp/x.xml:14: element importoSingoloVersamento: Schemas validity error : Element '…': msg`
/// → `element: importoSingoloVersamento - Element '…': msg`.
fn describe_xmllint_error(line: &str) -> String {
    if let Some(rest) = line.split_once(": element ").map(|(_, r)| r) {
        if let Some((name, msg)) = rest.split_once(':') {
            let msg = msg.split_once("error : ").map_or(msg, |(_, m)| m).trim();
            return format!("element: {name} - {msg}");
        }
    }
    line.split_once(": ").map_or(line, |(_, r)| r).trim().to_string()
}

// ---- identifiers ---------------------------------------------------------------------------

pub fn random_hex(len: usize) -> String {
    use rand::Rng as _;
    let mut rng = rand::thread_rng();
    (0..len).map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0')).collect()
}

/// ISO 11649 creditor reference `RF` + 2 check digits + 21 digits (25 characters), the legacy
/// IUV format (docs/mypay.md §4.5).
pub fn rf_iuv(sequence: u64) -> String {
    let reference = format!("{:021}", sequence);
    // Check digits: reference + "RF00" (R=27, F=15), mod 97, 98 - remainder.
    let digits = format!("{reference}271500");
    let remainder = digits.bytes().fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
    format!("RF{:02}{reference}", 98 - remainder)
}

/// 17-digit IUV of Checkout mode.
pub fn numeric_iuv(sequence: u64) -> String {
    format!("{:017}", 2_000_000_000_000_000u64 + sequence % 1_000_000_000_000_000)
}

// ---- Pagati ----------------------------------------------------------------------------------

/// Everything the simulator knows about a final payment outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts {
    pub legacy: bool,
    pub outcome: EsitoPagamento,
    pub iuv: String,
    /// Checkout: pagoPA receiptId; legacy: the PSP's RT message id.
    pub receipt_id: String,
    /// Legacy: MyPay's RPT id; Checkout: receiptId again.
    pub request_id: String,
    pub at: OffsetDateTime,
    pub ente_fiscal_code: String,
    pub ente_name: String,
    pub payer: Payer,
    pub debts: Vec<SimDebt>,
}

const PSP_BIC: &str = "ABCDITMMXXX";
const PSP_NAME: &str = "Banca Simulata S.p.A.";

impl ReceiptFacts {
    fn ccp(&self) -> String {
        if self.legacy {
            "n/a".into()
        } else {
            self.receipt_id.clone()
        }
    }

    /// Amount paid for debt `i` according to the outcome.
    fn paid(&self, i: usize) -> AmountCents {
        match self.outcome {
            EsitoPagamento::Paid => self.debts[i].amount,
            EsitoPagamento::PartiallyPaid | EsitoPagamento::PartiallyTimedOut if i == 0 => self.debts[i].amount,
            _ => AmountCents::ZERO,
        }
    }

    /// Debts that carry a `datiSingoloPagamento` (only those with an IUR, docs/mypay.md §6.3):
    /// none for a negative outcome, every debt otherwise.
    fn lines(&self) -> Vec<usize> {
        match self.outcome {
            EsitoPagamento::NotPaid | EsitoPagamento::TimedOut => Vec::new(),
            _ => (0..self.debts.len()).collect(),
        }
    }

    fn total(&self) -> AmountCents {
        AmountCents((0..self.debts.len()).map(|i| self.paid(i).cents()).sum())
    }

    fn esito_singolo(&self, i: usize) -> String {
        match (self.legacy, self.paid(i) == AmountCents::ZERO) {
            (true, false) => "ESEGUITO".into(),
            (true, true) => "NON ESEGUITO".into(),
            (false, _) => "0".into(),
        }
    }

    /// Legacy: the AgID causale `/RFS/{IUV}/{amount}/TXT/{causale}` limited to pagoPA's charset and
    /// 140 characters; Checkout: the causale cut to 140 characters.
    fn causale(&self, i: usize) -> String {
        let d = &self.debts[i];
        let text = if self.legacy {
            let raw = format!("/RFS/{}/{}/TXT/{}", self.iuv, d.amount, d.causale);
            raw.chars()
                .map(|c| if c.is_ascii_alphanumeric() || " /-?:().,'+".contains(c) { c } else { ' ' })
                .collect::<String>()
        } else {
            d.causale.trim().to_string()
        };
        text.chars().take(140).collect()
    }

    fn xsd_date_time(&self) -> XsdDateTime {
        let at = self.at.replace_nanosecond(self.at.millisecond() as u32 * 1_000_000).unwrap_or(self.at);
        XsdDateTime { date_time: time::PrimitiveDateTime::new(at.date(), at.time()), offset: Some(at.offset()) }
    }

    pub(crate) fn organization(tipo: &str, codice: &str, denominazione: &str) -> Organization {
        Organization {
            identificativo_univoco: IdentificativoUnivoco { tipo: tipo.into(), codice: codice.into() },
            denominazione: denominazione.into(),
            codice_unit_oper: None,
            denom_unit_oper: None,
            indirizzo: None,
            civico: None,
            cap: None,
            localita: None,
            provincia: None,
            nazione: None,
        }
    }

    /// The `Pagati` (or `PagatiConRicevuta`) document.
    pub fn pagati(&self, kind: PagatiKind) -> Pagati {
        let con_ricevuta = kind == PagatiKind::PagatiConRicevuta;
        Pagati {
            kind,
            versione_oggetto: "6.2.0".into(),
            dominio: Dominio {
                identificativo_dominio: self.ente_fiscal_code.clone(),
                identificativo_stazione_richiedente: None,
            },
            identificativo_messaggio_ricevuta: self.receipt_id.clone(),
            data_ora_messaggio_ricevuta: self.xsd_date_time(),
            riferimento_messaggio_richiesta: self.request_id.clone(),
            riferimento_data_richiesta: self.at.date(),
            istituto_attestante: Self::organization("B", PSP_BIC, PSP_NAME),
            ente_beneficiario: Self::organization("G", &self.ente_fiscal_code, &self.ente_name),
            soggetto_pagatore: self.payer.clone(),
            dati_pagamento: DatiPagamento {
                codice_esito_pagamento: self.outcome,
                importo_totale_pagato: self.total(),
                identificativo_univoco_versamento: self.iuv.clone(),
                codice_contesto_pagamento: self.ccp(),
                dati_singolo_pagamento: self
                    .lines()
                    .into_iter()
                    .map(|i| DatiSingoloPagamento {
                        identificativo_univoco_dovuto: self.debts[i].iud.clone(),
                        singolo_importo_pagato: self.paid(i),
                        esito_singolo_pagamento: Some(self.esito_singolo(i)),
                        data_esito_singolo_pagamento: self.at.date(),
                        identificativo_univoco_riscossione: self.iur(),
                        causale_versamento: self.causale(i),
                        dati_specifici_riscossione: self.debts[i].dati_specifici_riscossione.clone(),
                        indice_dati_singolo_pagamento: con_ricevuta.then_some(i as u8 + 1),
                        commissioni_applicate_psp: None,
                        allegato_ricevuta: (con_ricevuta && self.legacy)
                            .then(|| AllegatoRicevuta { tipo: "ES".into(), testo: self.receipt_document() }),
                    })
                    .collect(),
            },
        }
    }

    fn iur(&self) -> String {
        if self.legacy {
            format!("IUR{}", &self.receipt_id[..self.receipt_id.len().min(32)])
        } else {
            self.receipt_id.clone()
        }
    }

    /// The receipt returned in `rt`: an AgID `RT` (legacy) or a pagoPA `ctReceipt` with root
    /// element `receipt` (Checkout; the element as it travels inside `paSendRTReq`).
    pub fn receipt_document(&self) -> Vec<u8> {
        if self.legacy {
            self.agid_rt().into_bytes()
        } else {
            self.pagopa_receipt().into_bytes()
        }
    }

    fn agid_rt(&self) -> String {
        let mut w = XmlWriter::new(false);
        w.declaration();
        w.start("RT", &[("xmlns", "http://www.digitpa.gov.it/schemas/2011/Pagamenti/")]);
        w.text_element("versioneOggetto", "6.2");
        w.start("dominio", &[]);
        w.text_element("identificativoDominio", &self.ente_fiscal_code);
        w.end("dominio");
        w.text_element("identificativoMessaggioRicevuta", &self.receipt_id);
        w.text_element("dataOraMessaggioRicevuta", &format_xsd_date_time(&self.xsd_date_time()));
        w.text_element("riferimentoMessaggioRichiesta", &self.request_id);
        w.text_element("riferimentoDataRichiesta", &format_xsd_date(self.at.date()));
        w.start("istitutoAttestante", &[]);
        w.start("identificativoUnivocoAttestante", &[]);
        w.text_element("tipoIdentificativoUnivoco", "B");
        w.text_element("codiceIdentificativoUnivoco", PSP_BIC);
        w.end("identificativoUnivocoAttestante");
        w.text_element("denominazioneAttestante", PSP_NAME);
        w.end("istitutoAttestante");
        w.start("enteBeneficiario", &[]);
        w.start("identificativoUnivocoBeneficiario", &[]);
        w.text_element("tipoIdentificativoUnivoco", "G");
        w.text_element("codiceIdentificativoUnivoco", &self.ente_fiscal_code);
        w.end("identificativoUnivocoBeneficiario");
        w.text_element("denominazioneBeneficiario", &self.ente_name);
        w.end("enteBeneficiario");
        write_payer(&mut w, "soggettoPagatore", &self.payer);
        w.start("datiPagamento", &[]);
        w.text_element("codiceEsitoPagamento", self.outcome.code());
        w.text_element("importoTotalePagato", &self.total().to_wire_string());
        w.text_element("identificativoUnivocoVersamento", &self.iuv);
        w.text_element("CodiceContestoPagamento", &self.ccp());
        for i in self.lines() {
            w.start("datiSingoloPagamento", &[]);
            w.text_element("singoloImportoPagato", &self.paid(i).to_wire_string());
            w.text_element("esitoSingoloPagamento", &self.esito_singolo(i));
            w.text_element("dataEsitoSingoloPagamento", &format_xsd_date(self.at.date()));
            w.text_element("identificativoUnivocoRiscossione", &self.iur());
            w.text_element("causaleVersamento", &self.causale(i));
            w.text_element("datiSpecificiRiscossione", &self.debts[i].dati_specifici_riscossione);
            w.end("datiSingoloPagamento");
        }
        w.end("datiPagamento");
        w.end("RT");
        w.finish()
    }

    fn pagopa_receipt(&self) -> String {
        let mut w = XmlWriter::new(false);
        w.declaration();
        // ctReceipt's children are unqualified (paForNode.xsd has no elementFormDefault); so is
        // the `receipt` element inside paSendRTReq.
        w.start("receipt", &[]);
        w.text_element("receiptId", &self.receipt_id);
        w.text_element("noticeNumber", &format!("3{}", self.iuv));
        w.text_element("fiscalCode", &self.ente_fiscal_code);
        w.text_element("outcome", if self.outcome == EsitoPagamento::Paid { "OK" } else { "KO" });
        w.text_element("creditorReferenceId", &self.iuv);
        w.text_element("paymentAmount", &self.total().to_wire_string());
        let description: String =
            self.debts.first().map(|d| d.causale.trim().chars().take(140).collect()).unwrap_or_default();
        w.text_element("description", &description);
        w.text_element("companyName", &self.ente_name);
        let p = &self.payer;
        w.start("debtor", &[]);
        w.start("uniqueIdentifier", &[]);
        w.text_element("entityUniqueIdentifierType", p.kind.code());
        w.text_element("entityUniqueIdentifierValue", &p.id_code);
        w.end("uniqueIdentifier");
        w.text_element("fullName", &p.name);
        w.opt_text_element("streetName", p.address.as_deref());
        w.opt_text_element("civicNumber", p.civic_number.as_deref());
        w.opt_text_element("postalCode", p.postal_code.as_deref());
        w.opt_text_element("city", p.city.as_deref());
        w.opt_text_element("stateProvinceRegion", p.province.as_deref());
        w.opt_text_element("country", p.country.as_deref());
        w.opt_text_element("e-mail", p.email.as_deref());
        w.end("debtor");
        w.start("transferList", &[]);
        for (i, d) in self.debts.iter().enumerate() {
            w.start("transfer", &[]);
            w.text_element("idTransfer", &(i + 1).to_string());
            w.text_element("transferAmount", &d.amount.to_wire_string());
            w.text_element("fiscalCodePA", &self.ente_fiscal_code);
            w.text_element("IBAN", "IT60X0542811101000000123456");
            w.text_element("remittanceInformation", &self.causale(i));
            w.text_element("transferCategory", &d.dati_specifici_riscossione);
            w.end("transfer");
        }
        w.end("transferList");
        w.text_element("idPSP", "SIMPSP01");
        w.text_element("PSPCompanyName", PSP_NAME);
        w.text_element("idChannel", "SIMPSP01_01");
        w.text_element("channelDescription", "Simulatore pagoPA");
        w.text_element("paymentMethod", "creditCard");
        w.text_element("fee", "0.00");
        w.text_element("paymentDateTime", &format_xsd_date_time(&self.xsd_date_time()));
        w.text_element("applicationDate", &format_xsd_date(self.at.date()));
        w.text_element("transferDate", &format_xsd_date(self.at.date()));
        w.end("receipt");
        w.finish()
    }
}

// ---- code 9 (paaSILRegistraPagamento) ----------------------------------------------------------

/// A payment recorded with `paaSILRegistraPagamento` (docs/mypay-avvisi.md §5.3): what MyPay
/// writes in the processed debt and its synthetic cart. No receipt document exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rend9Facts {
    /// When the call was made (receipt time of the `Pagati`).
    pub at: OffsetDateTime,
    pub ente_fiscal_code: String,
    pub ente_name: String,
    pub iuv: String,
    pub iud: String,
    pub payer: Payer,
    pub causale: String,
    pub dati_specifici_riscossione: String,
    /// As supplied by the caller (never compared with the debt).
    pub amount: AmountCents,
    pub date: time::Date,
    pub iur: String,
    pub index: Option<u8>,
    pub attestor_kind: String,
    pub attestor_code: String,
    pub attestor_name: String,
    /// `-9-` + 32 hex.
    pub receipt_id: String,
    pub request_id: String,
}

/// `esitoSingoloPagamento` of such a payment.
pub const PAGATO_CON_RENDICONTAZIONE_9: &str = "PAGATO CON RENDICONTAZIONE 9";

impl Rend9Facts {
    /// The `Pagati` / `PagatiConRicevuta` of the record (shape of docs/mypay-avvisi.md §8.5).
    pub fn pagati(&self, kind: PagatiKind) -> Pagati {
        let con_ricevuta = kind == PagatiKind::PagatiConRicevuta;
        let at = self.at.replace_nanosecond(u32::from(self.at.millisecond()) * 1_000_000).unwrap_or(self.at);
        let mut payer = self.payer.clone();
        payer.email = None;
        Pagati {
            kind,
            versione_oggetto: "6.2.0".into(),
            dominio: Dominio {
                identificativo_dominio: self.ente_fiscal_code.clone(),
                identificativo_stazione_richiedente: None,
            },
            identificativo_messaggio_ricevuta: self.receipt_id.clone(),
            data_ora_messaggio_ricevuta: XsdDateTime {
                date_time: time::PrimitiveDateTime::new(at.date(), at.time()),
                offset: Some(at.offset()),
            },
            riferimento_messaggio_richiesta: self.request_id.clone(),
            riferimento_data_richiesta: self.at.date(),
            istituto_attestante: ReceiptFacts::organization(
                &self.attestor_kind,
                &self.attestor_code,
                &self.attestor_name,
            ),
            ente_beneficiario: ReceiptFacts::organization("G", &self.ente_fiscal_code, &self.ente_name),
            soggetto_pagatore: payer,
            dati_pagamento: DatiPagamento {
                codice_esito_pagamento: EsitoPagamento::Paid,
                importo_totale_pagato: self.amount,
                identificativo_univoco_versamento: self.iuv.clone(),
                codice_contesto_pagamento: "n/a".into(),
                dati_singolo_pagamento: vec![DatiSingoloPagamento {
                    identificativo_univoco_dovuto: self.iud.clone(),
                    singolo_importo_pagato: self.amount,
                    esito_singolo_pagamento: Some(PAGATO_CON_RENDICONTAZIONE_9.into()),
                    data_esito_singolo_pagamento: self.date,
                    identificativo_univoco_riscossione: self.iur.clone(),
                    causale_versamento: self.causale.chars().take(140).collect(),
                    dati_specifici_riscossione: self.dati_specifici_riscossione.clone(),
                    indice_dati_singolo_pagamento: if con_ricevuta { self.index } else { None },
                    commissioni_applicate_psp: None,
                    allegato_ricevuta: None,
                }],
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rf_iuv_has_valid_iso11649_check_digits() {
        let iuv = rf_iuv(12345678);
        assert_eq!(iuv.len(), 25);
        assert!(iuv.starts_with("RF"));
        // Verify: move the first 4 characters to the end, letters to numbers, mod 97 == 1.
        let rearranged = format!("{}{}", &iuv[4..], &iuv[..4]);
        let numeric: String = rearranged
            .chars()
            .map(|c| if c.is_ascii_digit() { c.to_string() } else { (c as u32 - 'A' as u32 + 10).to_string() })
            .collect();
        let rem = numeric.bytes().fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
        assert_eq!(rem, 1, "{iuv}");
    }

    #[test]
    fn numeric_iuv_has_17_digits() {
        let iuv = numeric_iuv(42);
        assert_eq!(iuv, "02000000000000042");
    }

    #[test]
    fn dovuti_field_accepts_single_and_double_base64() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let xml = b"<Dovuti/>";
        assert_eq!(decode_dovuti_field(&b64.encode(xml)).unwrap(), xml);
        assert_eq!(decode_dovuti_field(&b64.encode(b64.encode(xml))).unwrap(), xml);
        assert_eq!(decode_dovuti_field("***"), None);
    }

    #[test]
    fn xmllint_errors_are_reduced_to_mypay_style() {
        let line = "/tmp/x.xml:14: element importoSingoloVersamento: Schemas validity error : Element '{urn}importoSingoloVersamento': [facet 'pattern'] The value '50.5' is not accepted.";
        assert_eq!(
            describe_xmllint_error(line),
            "element: importoSingoloVersamento - Element '{urn}importoSingoloVersamento': [facet 'pattern'] The value '50.5' is not accepted."
        );
    }
}
