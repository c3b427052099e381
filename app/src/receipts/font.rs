//! The two fonts of the receipt, Helvetica and Helvetica-Bold (standard PDF fonts, not
//! embedded), with `WinAnsiEncoding`: text to WinAnsi bytes, the glyph widths, and word wrap.
//!
//! The widths are the fonts' published metrics (AFM `WX`, thousandths of the font size) for the
//! codes 32–255 of WinAnsiEncoding; 0 marks a code WinAnsi leaves undefined, which
//! [`encode`] never produces. The PDF carries the same table as the fonts' `/Widths`, so every
//! viewer advances exactly as the wrap measured.

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

/// The first code in the width tables.
pub const FIRST_CHAR: u8 = 32;
/// The last code in the width tables.
pub const LAST_CHAR: u8 = 255;

/// What an unmappable character becomes.
const REPLACEMENT: u8 = b'?';

impl Font {
    /// The standard font's PostScript name.
    pub fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// Widths of the codes [`FIRST_CHAR`]..=[`LAST_CHAR`], in thousandths of the font size.
    pub fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }

    /// Width in points of WinAnsi-encoded `text` at `size` points.
    pub fn measure(self, text: &[u8], size: f32) -> f32 {
        let table = self.widths();
        let units: u32 =
            text.iter().map(|&code| code.checked_sub(FIRST_CHAR).map_or(0, |i| u32::from(table[usize::from(i)]))).sum();
        units as f32 * size / 1000.0
    }
}

/// The WinAnsi code of one character, if it has one. Printable ASCII and Latin-1 (U+00A0–U+00FF)
/// map to themselves; the Windows-1252 additions (€, typographic quotes, dashes, …) to
/// 0x80–0x9F.
pub fn winansi(c: char) -> Option<u8> {
    let code = match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => return u8::try_from(u32::from(c)).ok(),
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(code)
}

/// `text` as WinAnsi bytes: every character with a code gets it, whitespace (tabs, new lines)
/// becomes a space, anything else `?`.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match winansi(c) {
            Some(code) => code,
            None if c.is_whitespace() => b' ',
            None => REPLACEMENT,
        })
        .collect()
}

/// Breaks `text` into lines no wider than `max_width` points: at spaces, and inside a word only
/// when the word alone is wider than a line. Runs of whitespace collapse to one space. Returns
/// WinAnsi-encoded lines; an empty text gives no lines.
pub fn wrap(text: &str, font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let space = font.measure(b" ", size);
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_width = 0.0;
    for word in text.split_whitespace() {
        let mut word = encode(word);
        let mut width = font.measure(&word, size);
        if !line.is_empty() && line_width + space + width <= max_width {
            line.push(b' ');
            line.extend_from_slice(&word);
            line_width += space + width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than a line: as many characters per line as fit (at least one).
        while width > max_width {
            let cut = fitting_prefix(&word, font, size, max_width).max(1);
            let rest = word.split_off(cut);
            lines.push(word);
            word = rest;
            width = font.measure(&word, size);
        }
        line = word;
        line_width = width;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Ends `line` with an ellipsis, dropping characters until the whole fits in `max_width`.
pub fn with_ellipsis(mut line: Vec<u8>, font: Font, size: f32, max_width: f32) -> Vec<u8> {
    const ELLIPSIS: u8 = 0x85;
    let room = max_width - font.measure(&[ELLIPSIS], size);
    let keep = fitting_prefix(&line, font, size, room);
    line.truncate(keep);
    while line.last() == Some(&b' ') {
        line.pop();
    }
    line.push(ELLIPSIS);
    line
}

/// How many leading bytes of `text` fit in `max_width` points.
fn fitting_prefix(text: &[u8], font: Font, size: f32, max_width: f32) -> usize {
    let mut width = 0.0;
    for (i, &code) in text.iter().enumerate() {
        width += font.measure(&[code], size);
        if width > max_width {
            return i;
        }
    }
    text.len()
}

/// Reads a width table at compile time: numbers separated by spaces, `#` starts a comment to
/// the end of the line; exactly 224 numbers, or the build fails.
const fn parse_widths(text: &[u8]) -> [u16; 224] {
    let mut widths = [0u16; 224];
    let (mut i, mut count, mut value, mut in_number) = (0, 0, 0u16, false);
    while i <= text.len() {
        let byte = if i < text.len() { text[i] } else { b'\n' };
        if byte == b'#' {
            while i < text.len() && text[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if byte.is_ascii_digit() {
            value = value * 10 + (byte - b'0') as u16;
            in_number = true;
        } else if in_number {
            assert!(count < 224, "more than 224 widths");
            widths[count] = value;
            count += 1;
            value = 0;
            in_number = false;
        }
        i += 1;
    }
    assert!(count == 224, "fewer than 224 widths");
    widths
}

const HELVETICA: [u16; 224] = parse_widths(include_bytes!("widths/helvetica.txt"));
const HELVETICA_BOLD: [u16; 224] = parse_widths(include_bytes!("widths/helvetica-bold.txt"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_maps_euro_accents_and_typographic_quotes_to_winansi() {
        assert_eq!(encode("€"), vec![0x80]);
        assert_eq!(encode("à"), vec![0xE0]);
        assert_eq!(encode("è é ì ò ù È"), vec![0xE8, b' ', 0xE9, b' ', 0xEC, b' ', 0xF2, b' ', 0xF9, b' ', 0xC8]);
        assert_eq!(encode("l’attività"), b"l\x92attivit\xE0".to_vec());
        assert_eq!(encode("‘“”–—…"), vec![0x91, 0x93, 0x94, 0x96, 0x97, 0x85]);
        assert_eq!(encode("Città di Padova (PD)"), b"Citt\xE0 di Padova (PD)".to_vec());
    }

    #[test]
    fn characters_outside_winansi_become_question_marks_and_whitespace_a_space() {
        assert_eq!(encode("Łódź"), b"?\xF3d?".to_vec());
        assert_eq!(encode("a\tb\nc"), b"a b c".to_vec());
        assert_eq!(encode("\u{7f}😀"), b"??".to_vec());
    }

    #[test]
    fn every_code_the_encoder_produces_has_a_width() {
        for code in 0u32..0x3000 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            for byte in encode(&c.to_string()) {
                assert!(Font::Regular.measure(&[byte], 10.0) > 0.0, "{c:?} → {byte:#x}");
                assert!(Font::Bold.measure(&[byte], 10.0) > 0.0, "{c:?} → {byte:#x}");
            }
        }
    }

    #[test]
    fn widths_follow_the_helvetica_metrics() {
        // space 278, "a" 556, "m" 833, "€" 556, "W" 944 (Bold "a" 556, "m" 889).
        assert_eq!(Font::Regular.measure(b" ", 1000.0), 278.0);
        assert_eq!(Font::Regular.measure(b"am\x80W", 10.0), (556 + 833 + 556 + 944) as f32 / 100.0);
        assert_eq!(Font::Bold.measure(b"am", 1000.0), (556 + 889) as f32);
    }

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_every_word_whole() {
        let text = "Quota annuale di accreditamento per l’anno 2027 del provider ECM";
        let lines = wrap(text, Font::Regular, 10.0, 120.0);
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(Font::Regular.measure(line, 10.0) <= 120.0, "{line:?}");
        }
        assert_eq!(lines.join(&b' '), encode(text));
    }

    #[test]
    fn wrap_cuts_a_word_longer_than_the_line() {
        let word = "A".repeat(100);
        let lines = wrap(&word, Font::Bold, 10.0, 50.0);
        assert!(lines.len() > 5, "{lines:?}");
        assert!(lines.iter().all(|l| !l.is_empty() && Font::Bold.measure(l, 10.0) <= 50.0));
        assert_eq!(lines.concat(), word.as_bytes());
    }

    #[test]
    fn wrap_of_blank_text_gives_no_lines() {
        assert!(wrap("  \n ", Font::Regular, 10.0, 100.0).is_empty());
    }

    #[test]
    fn an_ellipsis_ends_a_truncated_line_within_the_width() {
        let line = encode("Formazione continua in medicina");
        let cut = with_ellipsis(line, Font::Regular, 10.0, 80.0);
        assert_eq!(cut.last(), Some(&0x85));
        assert!(Font::Regular.measure(&cut, 10.0) <= 80.0);
        assert!(cut.starts_with(b"Formazione "), "{cut:?}");
        assert!(cut.len() < "Formazione continua in medicina".len());
    }
}
