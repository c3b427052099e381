//! The readable receipt as a one-page A4 PDF (PDF 1.4, Helvetica and Helvetica-Bold with
//! `WinAnsiEncoding`, not embedded). [`layout`] places every line (pure, so the bounds are
//! unit-testable); [`receipt_pdf`] writes them with `pdf-writer`.
//!
//! Nothing runs off the page: every text is wrapped to its column with the fonts' widths, and
//! when the values would not fit above the footer the longest ones lose their last lines, the
//! last one kept ending with "…".

use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::font::{self, Font, FIRST_CHAR, LAST_CHAR};
use super::model::{ReceiptChannel, ReceiptDoc};
use crate::debts::model::date_it;
use crate::payments::model::format_euro;

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm on every side.
const MARGIN: f32 = 56.69;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

const LABEL_WIDTH: f32 = 170.0;
const GUTTER: f32 = 12.0;
const VALUE_X: f32 = MARGIN + LABEL_WIDTH + GUTTER;
const VALUE_WIDTH: f32 = PAGE_WIDTH - MARGIN - VALUE_X;

const BODY_SIZE: f32 = 10.0;
const LABEL_SIZE: f32 = 9.0;
const LEADING: f32 = 13.0;
const ROW_PADDING: f32 = 4.5;
const FOOTER_SIZE: f32 = 8.0;
const FOOTER_LEADING: f32 = 10.0;
const FOOTER_MAX_LINES: usize = 3;

/// What an absent value reads as.
const NOT_GIVEN: &str = "non indicato";

const TITLE: &str = "Ricevuta di pagamento";
const PRODUCER: &str = "Portale ECM Regione del Veneto";

/// The portal's blue (Bootstrap Italia primary, #0066CC).
const BLUE: [f32; 3] = [0.0, 0.4, 0.8];
const LABEL_GRAY: f32 = 0.3;
const NOTE_GRAY: f32 = 0.35;
const RULE_GRAY: f32 = 0.8;

/// One line of text at a baseline, in WinAnsi bytes.
#[derive(Debug, Clone, PartialEq)]
struct TextLine {
    font: Font,
    size: f32,
    x: f32,
    y: f32,
    gray: f32,
    bytes: Vec<u8>,
}

#[cfg(test)]
impl TextLine {
    /// The right end of the line, in points from the left edge of the page.
    fn right(&self) -> f32 {
        self.x + self.font.measure(&self.bytes, self.size)
    }
}

/// A horizontal rule.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rule {
    x1: f32,
    x2: f32,
    y: f32,
    width: f32,
    rgb: [f32; 3],
}

/// Everything drawn on the page.
#[derive(Debug, Clone, Default, PartialEq)]
struct Layout {
    texts: Vec<TextLine>,
    rules: Vec<Rule>,
}

/// The receipt of `doc` as a PDF file.
pub fn receipt_pdf(doc: &ReceiptDoc) -> Vec<u8> {
    let page = layout(doc);

    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let regular_id = Ref::new(5);
    let bold_id = Ref::new(6);
    let info_id = Ref::new(7);
    let font_name = |font: Font| match font {
        Font::Regular => Name(b"F1"),
        Font::Bold => Name(b"F2"),
    };

    let mut pdf = Pdf::new();
    // 1.4: the standard fonts need no font descriptor, and /Lang is known.
    pdf.set_version(1, 4);
    pdf.catalog(catalog_id).pages(pages_id).lang(TextStr("it-IT"));
    pdf.pages(pages_id).kids([page_id]).count(1);
    let mut page_dict = pdf.page(page_id);
    page_dict.parent(pages_id).media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).contents(content_id);
    page_dict.resources().fonts().pair(font_name(Font::Regular), regular_id).pair(font_name(Font::Bold), bold_id);
    page_dict.finish();

    for (id, font) in [(regular_id, Font::Regular), (bold_id, Font::Bold)] {
        pdf.type1_font(id)
            .base_font(Name(font.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(FIRST_CHAR)
            .last_char(LAST_CHAR)
            .widths(font.widths().iter().map(|&w| f32::from(w)));
    }

    let mut content = Content::new();
    for rule in &page.rules {
        let [r, g, b] = rule.rgb;
        content
            .set_stroke_rgb(r, g, b)
            .set_line_width(rule.width)
            .move_to(rule.x1, rule.y)
            .line_to(rule.x2, rule.y)
            .stroke();
    }
    for line in &page.texts {
        content
            .begin_text()
            .set_fill_gray(line.gray)
            .set_font(font_name(line.font), line.size)
            .set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x, line.y])
            .show(Str(&line.bytes))
            .end_text();
    }
    pdf.stream(content_id, &content.finish());

    let mut info = pdf.document_info(info_id);
    info.title(TextStr(TITLE)).producer(TextStr(PRODUCER));
    if let Some(date) = pdf_date(&doc.issued_at) {
        info.creation_date(date);
    }
    info.finish();

    pdf.finish()
}

/// The labelled rows of the receipt, in order: label, value, whether the value is bold.
fn rows(doc: &ReceiptDoc) -> Vec<(&'static str, String, bool)> {
    let or_not_given = |value: &Option<String>| {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(NOT_GIVEN).to_string()
    };
    let mut rows = vec![
        ("Pagatore", doc.payer_name.clone(), false),
        ("Codice fiscale / P.IVA del pagatore", doc.payer_fiscal_code.clone(), false),
        ("Beneficiario", doc.beneficiary_name.clone(), false),
        ("Codice fiscale del beneficiario", doc.beneficiary_fiscal_code.clone(), false),
        ("Causale", doc.causale.clone(), false),
        ("Importo", format_euro(doc.amount_cents), true),
        ("Data del pagamento", date_it(&doc.paid_on), false),
        ("Canale", doc.channel.label().to_string(), false),
        ("IUV", or_not_given(&doc.iuv), false),
        ("IUR", or_not_given(&doc.iur), false),
        ("PSP", or_not_given(&doc.psp), false),
    ];
    if let ReceiptChannel::Quietanza { cro_trn, paying_body, value_date } = &doc.channel {
        rows.push(("CRO/TRN", cro_trn.clone(), false));
        rows.push(("Ente pagante", paying_body.clone(), false));
        rows.push(("Data valuta", date_it(value_date), false));
    }
    rows.into_iter()
        .map(|(label, value, bold)| {
            let value = if value.trim().is_empty() { NOT_GIVEN.to_string() } else { value };
            (label, value, bold)
        })
        .collect()
}

/// The sentence under the heading: what this copy is, and which document is the legal one.
fn intro(channel: &ReceiptChannel) -> &'static str {
    match channel {
        ReceiptChannel::PagoPa => {
            "Questo documento è la copia leggibile del pagamento, prodotta dal Portale ECM della \
             Regione del Veneto. La ricevuta con valore legale è la ricevuta telematica (RT) di \
             pagoPA."
        }
        ReceiptChannel::Quietanza { .. } => {
            "Questo documento è la copia leggibile del pagamento, prodotta dal Portale ECM della \
             Regione del Veneto. La ricevuta con valore legale è la quietanza di tesoreria \
             accettata dalla Segreteria ECM."
        }
    }
}

/// Places every line of the receipt of `doc` on the page.
fn layout(doc: &ReceiptDoc) -> Layout {
    let mut page = Layout::default();
    let text = |font, size, x, y, gray, bytes| TextLine { font, size, x, y, gray, bytes };
    let mut y = PAGE_HEIGHT - MARGIN;

    // Heading.
    y -= 9.0;
    page.texts.push(text(Font::Regular, 9.0, MARGIN, y, NOTE_GRAY, font::encode("Portale ECM — Regione del Veneto")));
    y -= 26.0;
    page.texts.push(text(Font::Bold, 20.0, MARGIN, y, 0.0, font::encode(TITLE)));
    y -= 12.0;
    page.rules.push(Rule { x1: MARGIN, x2: PAGE_WIDTH - MARGIN, y, width: 1.5, rgb: BLUE });

    // What this document is.
    y -= 8.0;
    for line in font::wrap(intro(&doc.channel), Font::Regular, BODY_SIZE, CONTENT_WIDTH) {
        y -= LEADING;
        page.texts.push(text(Font::Regular, BODY_SIZE, MARGIN, y, 0.0, line));
    }
    y -= 18.0;

    // Footer, from the bottom margin up.
    let footer = format!(
        "Dovuto {} — copia emessa il {} dal Portale ECM della Regione del Veneto.",
        doc.debt_id.trim(),
        date_it(&doc.issued_at)
    );
    let footer_lines = truncate(
        font::wrap(&footer, Font::Regular, FOOTER_SIZE, CONTENT_WIDTH),
        FOOTER_MAX_LINES,
        Font::Regular,
        FOOTER_SIZE,
        CONTENT_WIDTH,
    );
    let footer_count = footer_lines.len();
    let footer_top = MARGIN + FOOTER_LEADING * footer_count as f32 + 4.0;
    for (k, line) in footer_lines.into_iter().enumerate() {
        let baseline = MARGIN + 2.0 + FOOTER_LEADING * (footer_count - 1 - k) as f32;
        page.texts.push(text(Font::Regular, FOOTER_SIZE, MARGIN, baseline, NOTE_GRAY, line));
    }
    page.rules.push(Rule { x1: MARGIN, x2: PAGE_WIDTH - MARGIN, y: footer_top, width: 0.5, rgb: [RULE_GRAY; 3] });

    // The labelled rows, shortened from the longest when they would reach the footer.
    let mut rows: Vec<RowLines> = rows(doc)
        .into_iter()
        .map(|(label, value, bold)| {
            let font = if bold { Font::Bold } else { Font::Regular };
            RowLines {
                label: font::wrap(label, Font::Bold, LABEL_SIZE, LABEL_WIDTH),
                value: font::wrap(&value, font, BODY_SIZE, VALUE_WIDTH),
                font,
                shortened: false,
            }
        })
        .collect();
    let room = y - (footer_top + 12.0);
    while rows.iter().map(RowLines::height).sum::<f32>() > room {
        // Only a value taller than its label gives back height when it loses a line.
        let Some(longest) =
            rows.iter_mut().filter(|row| row.value.len() > row.label.len().max(1)).max_by_key(|row| row.value.len())
        else {
            break;
        };
        longest.value.pop();
        longest.shortened = true;
    }
    for mut row in rows {
        let height = row.height();
        if row.shortened {
            if let Some(last) = row.value.pop() {
                let last = font::with_ellipsis(last, row.font, BODY_SIZE, VALUE_WIDTH);
                row.value.push(last);
            }
        }
        page.rules.push(Rule { x1: MARGIN, x2: PAGE_WIDTH - MARGIN, y, width: 0.5, rgb: [RULE_GRAY; 3] });
        let first_baseline = y - ROW_PADDING - 9.5;
        for (k, line) in row.label.into_iter().enumerate() {
            let baseline = first_baseline - LEADING * k as f32;
            page.texts.push(text(Font::Bold, LABEL_SIZE, MARGIN, baseline, LABEL_GRAY, line));
        }
        for (k, line) in row.value.into_iter().enumerate() {
            let baseline = first_baseline - LEADING * k as f32;
            page.texts.push(text(row.font, BODY_SIZE, VALUE_X, baseline, 0.0, line));
        }
        y -= height;
    }
    page.rules.push(Rule { x1: MARGIN, x2: PAGE_WIDTH - MARGIN, y, width: 0.5, rgb: [RULE_GRAY; 3] });
    page
}

/// One labelled row, wrapped to its columns.
struct RowLines {
    label: Vec<Vec<u8>>,
    value: Vec<Vec<u8>>,
    font: Font,
    /// Lost lines to fit the page: the last one kept ends with "…".
    shortened: bool,
}

impl RowLines {
    fn height(&self) -> f32 {
        let lines = self.label.len().max(self.value.len()).max(1);
        2.0 * ROW_PADDING + LEADING * lines as f32
    }
}

/// At most `max` lines, the last one ending with "…" when some were dropped.
fn truncate(mut lines: Vec<Vec<u8>>, max: usize, font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.pop() {
            lines.push(font::with_ellipsis(last, font, size, width));
        }
    }
    lines
}

/// `YYYY-MM-DD` as a PDF date, when it is one.
fn pdf_date(value: &str) -> Option<Date> {
    let mut parts = value.get(0..10)?.split('-');
    let year = parts.next()?.parse::<u16>().ok()?;
    let month = parts.next()?.parse::<u8>().ok().filter(|m| (1..=12).contains(m))?;
    let day = parts.next()?.parse::<u8>().ok().filter(|d| (1..=31).contains(d))?;
    Some(Date::new(year).month(month).day(day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receipts::model::{BENEFICIARY_CF, BENEFICIARY_NAME};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn pagopa() -> ReceiptDoc {
        ReceiptDoc {
            payer_name: "Società Formazione Sanitaria Veneta S.r.l.".into(),
            payer_fiscal_code: "04567890123".into(),
            beneficiary_name: BENEFICIARY_NAME.into(),
            beneficiary_fiscal_code: BENEFICIARY_CF.into(),
            causale: "Quota annuale 2027 – attività formativa del provider ECM".into(),
            amount_cents: 300_000,
            iuv: Some("RF12000000000000000000042".into()),
            iur: Some("2027073112345678".into()),
            paid_on: "2027-07-31".into(),
            channel: ReceiptChannel::PagoPa,
            psp: Some("Banca d’Esempio S.p.A.".into()),
            debt_id: "9f1c2a7e4b5d6c8f0a1b2c3d4e5f6a7b".into(),
            issued_at: "2027-08-02".into(),
        }
    }

    fn quietanza() -> ReceiptDoc {
        ReceiptDoc {
            iuv: None,
            iur: None,
            psp: None,
            amount_cents: 125_050,
            channel: ReceiptChannel::Quietanza {
                cro_trn: "0306909606230411".into(),
                paying_body: "Azienda ULSS 6 Euganea".into(),
                value_date: "2027-07-29".into(),
            },
            ..pagopa()
        }
    }

    /// A scratch folder for one test, removed afterwards.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("ecm-receipt-{name}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("scratch folder");
            Scratch(dir)
        }
        fn pdf(&self, doc: &ReceiptDoc) -> PathBuf {
            let path = self.0.join("ricevuta.pdf");
            std::fs::write(&path, receipt_pdf(doc)).expect("write the PDF");
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs one of poppler's tools; a missing tool fails the test with what to install.
    fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
        let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
            panic!(
                "`{tool}` could not be started ({e}): the receipt tests need Debian's \
                 poppler-utils (apt-get install poppler-utils; scripts/bootstrap.sh installs it)"
            )
        });
        assert!(
            output.status.success(),
            "`{tool} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    fn path(p: &Path) -> &str {
        p.to_str().expect("UTF-8 temp path")
    }

    fn text_of(doc: &ReceiptDoc, name: &str) -> String {
        let scratch = Scratch::new(name);
        let pdf = scratch.pdf(doc);
        String::from_utf8(poppler("pdftotext", &["-layout", "-enc", "UTF-8", path(&pdf), "-"]))
            .expect("pdftotext prints UTF-8")
    }

    fn info_of(pdf: &Path) -> String {
        String::from_utf8_lossy(&poppler("pdfinfo", &[path(pdf)])).into_owned()
    }

    /// The line of the `-layout` text whose first word is `label`.
    fn row<'t>(text: &'t str, label: &str) -> &'t str {
        text.lines()
            .find(|line| line.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no row {label:?} in:\n{text}"))
    }

    /// The boxes of every word `pdftotext -bbox` finds: (xMin, yMin, xMax, yMax), top-down
    /// coordinates in points.
    fn word_boxes(pdf: &Path) -> Vec<(f32, f32, f32, f32, String)> {
        let html = String::from_utf8(poppler("pdftotext", &["-bbox", path(pdf), "-"])).expect("UTF-8");
        let attr = |tag: &str, name: &str| -> f32 {
            let start = tag.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
            let end = start + tag[start..].find('"').expect("closing quote");
            tag[start..end].parse().expect("a number")
        };
        html.split("<word ")
            .skip(1)
            .map(|chunk| {
                let (tag, rest) = chunk.split_once('>').expect("tag end");
                let word = rest.split("</word>").next().unwrap_or_default().to_string();
                (attr(tag, "xMin"), attr(tag, "yMin"), attr(tag, "xMax"), attr(tag, "yMax"), word)
            })
            .collect()
    }

    fn assert_inside_margins(pdf: &Path) {
        let boxes = word_boxes(pdf);
        assert!(boxes.len() > 30, "too few words: {boxes:?}");
        let slack = 1.0;
        for (x1, y1, x2, y2, word) in boxes {
            assert!(
                x1 >= MARGIN - slack && x2 <= PAGE_WIDTH - MARGIN + slack,
                "{word:?} runs into the side margins: {x1}..{x2}"
            );
            assert!(
                y1 >= MARGIN - slack && y2 <= PAGE_HEIGHT - MARGIN + slack,
                "{word:?} runs into the top or bottom margin: {y1}..{y2}"
            );
        }
    }

    #[test]
    fn the_receipt_renders_as_one_non_blank_a4_page() {
        let scratch = Scratch::new("render");
        let pdf = scratch.pdf(&pagopa());

        let info = info_of(&pdf);
        assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "{info}");
        assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");

        let png = scratch.0.join("page");
        poppler("pdftoppm", &["-r", "50", "-png", "-singlefile", path(&pdf), path(&png)]);
        let png = std::fs::read(png.with_extension("png")).expect("pdftoppm wrote a PNG");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        assert!(png.len() > 2_000, "a suspiciously small PNG: {} bytes", png.len());

        // The same page in gray (PGM): some ink on a white sheet.
        let gray = poppler("pdftoppm", &["-r", "50", "-gray", "-singlefile", path(&pdf)]);
        let (width, height, pixels) = pgm(&gray);
        let a4 = |points: f32| (points * 50.0 / 72.0).ceil() as usize;
        assert_eq!((width, height), (a4(PAGE_WIDTH), a4(PAGE_HEIGHT)), "A4 at 50 dpi");
        let ink = pixels.iter().filter(|&&p| p < 160).count() as f64 / pixels.len() as f64;
        let white = pixels.iter().filter(|&&p| p > 250).count() as f64 / pixels.len() as f64;
        assert!(ink > 0.01, "almost blank: {:.4} of the page inked", ink);
        assert!(white > 0.8, "not a white page: {:.4} white", white);
        // Nothing drawn in the outer half of the side margins.
        let edge = (MARGIN / 2.0 * 50.0 / 72.0) as usize;
        for row in pixels.chunks(width) {
            assert!(row[..edge].iter().chain(&row[width - edge..]).all(|&p| p > 250), "ink in the margin");
        }
    }

    /// Width, height and pixels of a binary PGM (`P5`, 8 bit).
    fn pgm(bytes: &[u8]) -> (usize, usize, &[u8]) {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..at]).expect("header"));
        }
        assert_eq!(fields[0], "P5", "a binary gray map");
        assert_eq!(fields[3], "255");
        let width: usize = fields[1].parse().expect("width");
        let height: usize = fields[2].parse().expect("height");
        let pixels = &bytes[at + 1..];
        assert_eq!(pixels.len(), width * height);
        (width, height, pixels)
    }

    #[test]
    fn the_receipt_holds_the_payment_figures_in_italian() {
        let doc = pagopa();
        let text = text_of(&doc, "figures");
        assert!(text.contains("Ricevuta di pagamento"), "{text}");
        assert!(text.contains("Società Formazione Sanitaria Veneta S.r.l."), "{text}");
        assert!(text.contains("04567890123"), "{text}");
        assert!(text.contains(&doc.causale), "{text}");
        assert!(row(&text, "Importo").contains("€ 3.000,00"), "{text}");
        assert!(row(&text, "IUV").contains("RF12000000000000000000042"), "{text}");
        assert!(row(&text, "IUR").contains("2027073112345678"), "{text}");
        assert!(row(&text, "PSP").contains("Banca d’Esempio S.p.A."), "{text}");
        assert!(row(&text, "Data del pagamento").contains("31/07/2027"), "{text}");
        assert!(row(&text, "Canale").contains("pagoPA (MyPay)"), "{text}");
        assert!(row(&text, "Beneficiario").contains("Regione del Veneto"), "{text}");
        assert!(row(&text, "Codice fiscale del beneficiario").contains("80007580279"), "{text}");
        assert!(text.contains("Questo documento è la copia leggibile"), "{text}");
        assert!(text.contains("ricevuta telematica (RT)"), "{text}");
        assert!(text.contains("Dovuto 9f1c2a7e4b5d6c8f0a1b2c3d4e5f6a7b"), "{text}");
        assert!(text.contains("emessa il 02/08/2027"), "{text}");
        // A pagoPA payment has no transfer rows.
        for label in ["CRO/TRN", "Ente pagante", "Data valuta"] {
            assert!(!text.contains(label), "{label} on a pagoPA receipt:\n{text}");
        }
        assert!(!text.contains('?'), "an unmapped character:\n{text}");
    }

    #[test]
    fn a_quietanza_receipt_shows_the_transfer_and_claims_no_iuv_it_lacks() {
        let text = text_of(&quietanza(), "quietanza");
        assert!(row(&text, "CRO/TRN").contains("0306909606230411"), "{text}");
        assert!(row(&text, "Ente pagante").contains("Azienda ULSS 6 Euganea"), "{text}");
        assert!(row(&text, "Data valuta").contains("29/07/2027"), "{text}");
        assert!(row(&text, "Importo").contains("€ 1.250,50"), "{text}");
        assert!(text.contains("Bonifico di tesoreria (quietanza verificata dalla Segreteria ECM)"), "{text}");
        assert!(text.contains("quietanza di tesoreria accettata dalla Segreteria ECM"), "{text}");
        assert!(!text.contains("ricevuta telematica"), "{text}");
        for label in ["IUV", "IUR", "PSP"] {
            let line = row(&text, label);
            assert_eq!(line.split_whitespace().collect::<Vec<_>>(), [label, "non", "indicato"], "{text}");
        }
    }

    fn long_causale() -> String {
        let words = [
            "Contributo",
            "per",
            "l’accreditamento",
            "dell’evento",
            "formativo",
            "residenziale",
            "«Gestione",
            "integrata",
            "del",
            "paziente",
            "fragile",
            "nell’attività",
            "ospedaliera",
            "e",
            "territoriale»",
            "–",
            "edizione",
            "2027,",
            "sede",
            "di",
            "Padova,",
            "già",
            "comunicata",
            "alla",
            "Segreteria",
            "ECM",
            "con",
            "la",
            "nota",
            "del",
            "provider;",
            "quota",
            "relativa",
            "a",
            "più",
            "giornate",
            "è",
            "calcolata",
            "secondo",
            "la",
            "tariffa",
            "regionale",
            "vigente",
            "per",
            "gli",
            "eventi",
            "con",
            "oltre",
            "cento",
            "partecipanti",
            "e",
            "crediti",
            "attribuiti",
            "dalla",
            "Commissione",
            "regionale.",
        ];
        let causale = words.join(" ");
        assert!(causale.chars().count() >= 400, "{}", causale.chars().count());
        causale
    }

    #[test]
    fn a_long_causale_wraps_inside_the_page_and_keeps_every_word() {
        let doc = ReceiptDoc { causale: long_causale(), ..pagopa() };
        let scratch = Scratch::new("wrap");
        let pdf = scratch.pdf(&doc);
        assert_inside_margins(&pdf);
        assert!(info_of(&pdf).lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")));

        let boxes = word_boxes(&pdf);
        let causale_lines = boxes
            .iter()
            .filter(|(x1, ..)| (x1 - VALUE_X).abs() < 1.0)
            .filter(|(.., word)| doc.causale.contains(word.as_str()))
            .count();
        assert!(causale_lines >= 4, "the causale should take several lines: {causale_lines}");

        let text = text_of(&doc, "wrap-text");
        let printed: std::collections::HashSet<&str> = text.split_whitespace().collect();
        for word in doc.causale.split_whitespace() {
            assert!(printed.contains(word), "{word:?} missing from:\n{text}");
        }
        assert!(!text.contains('…'), "a 400-character causale needs no cut:\n{text}");
    }

    fn overlong() -> ReceiptDoc {
        ReceiptDoc {
            causale: long_causale().repeat(12),
            payer_name: "Associazione ".repeat(40),
            debt_id: "x".repeat(600),
            channel: ReceiptChannel::Quietanza {
                cro_trn: "0306909606230411".repeat(30),
                paying_body: "Azienda ULSS 6 Euganea ".repeat(30),
                value_date: "2027-07-29".into(),
            },
            ..quietanza()
        }
    }

    #[test]
    fn texts_too_long_for_one_page_are_cut_with_an_ellipsis_and_stay_on_it() {
        let doc = overlong();
        let scratch = Scratch::new("overlong");
        let pdf = scratch.pdf(&doc);
        assert_inside_margins(&pdf);
        let info = info_of(&pdf);
        assert!(info.lines().any(|l| l.starts_with("Pages:") && l.ends_with(" 1")), "{info}");

        let text = text_of(&doc, "overlong-text");
        assert!(text.contains('…'), "{text}");
        for (label, ..) in rows(&doc) {
            row(&text, label);
        }
        assert!(row(&text, "Importo").contains("€ 1.250,50"), "{text}");
        // The overlong debt id breaks onto the footer's next lines, cut to three.
        assert!(row(&text, "Dovuto").trim() == "Dovuto", "{text}");
        assert!(text.contains(&"x".repeat(100)), "{text}");
    }

    #[test]
    fn the_layout_keeps_every_line_inside_the_margins_and_above_the_footer() {
        for doc in [pagopa(), quietanza(), overlong(), ReceiptDoc { causale: long_causale(), ..pagopa() }] {
            let page = layout(&doc);
            let footer_rule = page.rules.iter().map(|r| r.y).fold(f32::MAX, f32::min);
            for line in &page.texts {
                assert!(line.x >= MARGIN && line.right() <= PAGE_WIDTH - MARGIN, "{line:?}");
                assert!(line.y >= MARGIN && line.y + line.size <= PAGE_HEIGHT - MARGIN, "{line:?}");
                let in_footer = line.size == FOOTER_SIZE;
                assert!(in_footer || line.y > footer_rule + 4.0, "{line:?} reaches the footer");
            }
        }
    }

    #[test]
    fn the_pdf_says_what_it_is_and_nothing_more() {
        let scratch = Scratch::new("meta");
        let pdf = scratch.pdf(&pagopa());
        let info = info_of(&pdf);
        assert!(info.contains("Title:           Ricevuta di pagamento"), "{info}");
        assert!(info.contains("Producer:        Portale ECM Regione del Veneto"), "{info}");
        assert!(!info.contains("Author:") && !info.contains("Creator:"), "{info}");
        assert!(info.lines().any(|l| l.starts_with("PDF version:") && l.ends_with(" 1.4")), "{info}");
    }

    #[test]
    fn the_same_receipt_gives_the_same_bytes() {
        assert_eq!(receipt_pdf(&pagopa()), receipt_pdf(&pagopa()));
        assert_ne!(receipt_pdf(&pagopa()), receipt_pdf(&quietanza()));
    }

    #[test]
    fn absent_or_blank_values_read_non_indicato() {
        let doc = ReceiptDoc { iuv: Some("  ".into()), psp: None, ..pagopa() };
        let rows = rows(&doc);
        let value = |label| rows.iter().find(|r| r.0 == label).map(|r| r.1.as_str());
        assert_eq!(value("IUV"), Some("non indicato"));
        assert_eq!(value("PSP"), Some("non indicato"));
        assert_eq!(value("IUR"), Some("2027073112345678"));
        assert_eq!(value("CRO/TRN"), None);
    }
}
