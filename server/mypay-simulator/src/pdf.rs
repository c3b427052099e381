//! The simulated payment notice: a small, valid, hand-written PDF 1.4 (one A4 page, the standard
//! Helvetica fonts, an uncompressed content stream) carrying the fields MyPay's notice shows
//! (docs/mypay-avvisi.md §1.6): creditor, payer, object (causale cut to 90 characters), amount in
//! Italian format, due date when the tipo dovuto prints it, the notice number in groups of four,
//! CBILL and the text of the QR code. Not the pagoPA layout, and no QR image: enough for tests
//! and demos to see what the notice says.

use time::Date;

use mypay::wire::amount::AmountCents;

/// What the notice shows.
#[derive(Debug, Clone)]
pub struct NoticeFacts {
    pub ente_name: String,
    pub ente_fiscal_code: String,
    pub payer_name: String,
    pub payer_code: String,
    pub payer_address: Option<String>,
    pub causale: String,
    pub amount: AmountCents,
    /// Printed only when the tipo dovuto has "stampa data scadenza".
    pub due_date: Option<Date>,
    /// 18 digits.
    pub notice_number: String,
}

/// `1234567` cents → `12.345,67` (Italian grouping and decimal comma).
pub fn italian_amount(amount: AmountCents) -> String {
    let cents = amount.cents().unsigned_abs();
    let euros = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}", cents % 100)
}

/// 18 digits → `3010 0000 0012 3456 88`.
pub fn grouped(notice_number: &str) -> String {
    let chars: Vec<char> = notice_number.chars().collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// A PDF string literal in WinAnsi encoding: Latin-1 characters as bytes, `€` as 0x80, anything
/// else as `?`; `\`, `(` and `)` escaped.
fn pdf_text(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            ' '..='~' => out.push(c as u8),
            '\u{A0}'..='\u{FF}' => out.push(c as u32 as u8),
            '€' => out.push(0x80),
            _ => out.push(b'?'),
        }
    }
    out.push(b')');
    out
}

/// The notice PDF.
pub fn notice_pdf(f: &NoticeFacts) -> Vec<u8> {
    let causale: String = f.causale.trim().chars().take(90).collect();
    let mut lines: Vec<(bool, u8, String)> = vec![
        (true, 16, "AVVISO DI PAGAMENTO".into()),
        (false, 10, "RATA UNICA - pagoPA (simulatore MyPay)".into()),
        (true, 11, "ENTE CREDITORE".into()),
        (false, 11, f.ente_name.clone()),
        (false, 11, format!("Codice fiscale Ente: {}", f.ente_fiscal_code)),
        (true, 11, "DESTINATARIO AVVISO".into()),
        (false, 11, f.payer_name.clone()),
        (false, 11, format!("Codice fiscale: {}", f.payer_code.to_uppercase())),
    ];
    if let Some(address) = &f.payer_address {
        lines.push((false, 11, address.clone()));
    }
    lines.push((true, 11, "OGGETTO DEL PAGAMENTO".into()));
    lines.push((false, 11, causale));
    lines.push((true, 13, format!("Importo: {} Euro", italian_amount(f.amount))));
    if let Some(d) = f.due_date {
        lines.push((false, 11, format!("entro il {:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())));
    }
    lines.push((true, 13, format!("Codice Avviso: {}", grouped(&f.notice_number))));
    lines.push((false, 11, "Codice CBILL: -".into()));
    lines.push((
        false,
        9,
        format!("QR code: PAGOPA|002|{}|{}|{}", f.notice_number, f.ente_fiscal_code, f.amount.cents()),
    ));

    let mut content = Vec::new();
    let mut y = 790i32;
    for (bold, size, text) in &lines {
        content.extend_from_slice(format!("BT /{} {size} Tf 50 {y} Td ", if *bold { "F2" } else { "F1" }).as_bytes());
        content.extend_from_slice(&pdf_text(text));
        content.extend_from_slice(b" Tj ET\n");
        y -= i32::from(*size) + 12;
    }

    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
        [format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(), content, b"\nendstream".to_vec()].concat(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    pdf
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks the PDF's structure: header, every xref offset points at its object, startxref
    /// points at the xref table, trailer and EOF marker.
    pub(crate) fn assert_well_formed_pdf(pdf: &[u8]) {
        let find =
            |from: usize, needle: &[u8]| pdf[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from);
        let number_at = |at: usize| -> usize {
            let digits: Vec<u8> = pdf[at..].iter().copied().take_while(u8::is_ascii_digit).collect();
            String::from_utf8(digits).unwrap().parse().unwrap()
        };
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let marker = pdf.windows(10).rposition(|w| w == b"startxref\n").unwrap();
        let xref = number_at(marker + 10);
        assert!(pdf[xref..].starts_with(b"xref\n0 7\n0000000000 65535 f \n"), "startxref");
        for i in 0..6 {
            let entry = &pdf[xref + 29 + 20 * i..xref + 29 + 20 * (i + 1)];
            assert!(entry.ends_with(b" 00000 n \n"), "xref entries are 20 bytes");
            let offset = number_at(xref + 29 + 20 * i);
            assert!(pdf[offset..].starts_with(format!("{} 0 obj\n", i + 1).as_bytes()), "object {}", i + 1);
        }
        let length = number_at(find(0, b"/Length ").unwrap() + 8);
        let stream = find(0, b"stream\n").unwrap() + 7;
        assert!(pdf[stream + length..].starts_with(b"\nendstream"), "stream length");
    }

    #[test]
    fn notice_shows_its_fields_and_is_well_formed() {
        let facts = NoticeFacts {
            ente_name: "Regione del Veneto".into(),
            ente_fiscal_code: "80007580279".into(),
            payer_name: "Zoë (Rossi) \\ Figli".into(),
            payer_code: "rssmra80a01h501u".into(),
            payer_address: Some("Via Roma 1, 30121 Venezia".into()),
            causale: format!("Iscrizione evento ECM {}", "x".repeat(100)),
            amount: AmountCents(123_456_789),
            due_date: Some(time::macros::date!(2025 - 04 - 30)),
            notice_number: "301000000012345688".into(),
        };
        let pdf = notice_pdf(&facts);
        assert_well_formed_pdf(&pdf);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Codice Avviso: 3010 0000 0012 3456 88)"));
        assert!(text.contains("(Importo: 1.234.567,89 Euro)"));
        assert!(text.contains("(entro il 30/04/2025)"));
        assert!(text.contains("(Codice fiscale: RSSMRA80A01H501U)"));
        assert!(text.contains("(QR code: PAGOPA|002|301000000012345688|80007580279|123456789)"));
        let name: &[u8] = b"(Zo\xEB \\(Rossi\\) \\\\ Figli)";
        assert!(pdf.windows(name.len()).any(|w| w == name));
        let causale_line = text.lines().find(|l| l.contains("Iscrizione evento")).unwrap();
        assert_eq!(causale_line.matches('x').count(), 90 - "Iscrizione evento ECM ".len());
        assert_eq!(italian_amount(AmountCents(1)), "0,01");
        assert_eq!(italian_amount(AmountCents(100_000)), "1.000,00");
        assert_eq!(italian_amount(AmountCents(99_999)), "999,99");
    }
}
