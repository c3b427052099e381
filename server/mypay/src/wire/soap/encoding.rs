//! The base64 layers of the answers: `pagati` is double base64 on the wire (T1), `rt` single.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::responses::ResponseError;

/// Standard alphabet, padding optional (JAXB pads, but being indifferent costs nothing).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes `xsd:base64Binary` text: XML whitespace (line breaks) is ignored.
pub(crate) fn decode_base64_text(text: &str) -> Option<Vec<u8>> {
    let compact: Vec<u8> = text.bytes().filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).collect();
    B64.decode(compact).ok()
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')).is_some_and(|&b| b == b'<')
}

/// Decodes the `pagati` element (T1): decode once; if the result is not XML (after optional
/// BOM/whitespace) but is itself valid base64, decode again. MyPay sends two layers; one layer
/// is also accepted in case a future version fixes the double encoding.
pub fn decode_pagati_field(text: &str) -> Result<Vec<u8>, ResponseError> {
    let once = decode_base64_text(text).ok_or(ResponseError::Base64("pagati"))?;
    if looks_like_xml(&once) {
        return Ok(once);
    }
    let inner = std::str::from_utf8(&once).map_err(|_| ResponseError::PagatiNotXml)?;
    let twice = decode_base64_text(inner).ok_or(ResponseError::PagatiNotXml)?;
    if looks_like_xml(&twice) {
        Ok(twice)
    } else {
        Err(ResponseError::PagatiNotXml)
    }
}

/// Encodes a `Pagati` document for the `pagati` element exactly like MyPay: base64 of base64
/// (for the simulator).
pub fn encode_pagati_field(xml: &[u8]) -> String {
    let std = base64::engine::general_purpose::STANDARD;
    std.encode(std.encode(xml))
}

/// Encodes receipt bytes for the `rt` element (single base64, §7.2).
pub fn encode_rt_field(rt: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(rt)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagati_decoding_single_and_double() {
        let xml = b"<Pagati/>";
        let std = base64::engine::general_purpose::STANDARD;
        assert_eq!(decode_pagati_field(&encode_pagati_field(xml)).unwrap(), xml);
        assert_eq!(decode_pagati_field(&std.encode(xml)).unwrap(), xml);
        // BOM + whitespace before '<' count as XML.
        let bom = b"\xEF\xBB\xBF \n<Pagati/>";
        assert_eq!(decode_pagati_field(&std.encode(std.encode(bom))).unwrap(), bom);
        // Line-wrapped base64 (xsd:base64Binary may contain whitespace).
        let wrapped: String = encode_pagati_field(xml)
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 4 == 3 { vec![c, '\n'] } else { vec![c] })
            .collect();
        assert_eq!(decode_pagati_field(&wrapped).unwrap(), xml);
        // Neither once nor twice gives XML.
        assert_eq!(decode_pagati_field(&std.encode("hello world")), Err(ResponseError::PagatiNotXml));
        assert_eq!(decode_pagati_field(&std.encode(std.encode("abcd"))), Err(ResponseError::PagatiNotXml));
        assert_eq!(encode_rt_field(b"<RT/>"), "PFJULz4=");
    }
}
