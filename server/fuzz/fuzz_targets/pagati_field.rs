//! Arbitrary bytes as the text of the `pagati` element: `decode_pagati_field` (one or two base64
//! layers) and the `Pagati` parser must never panic. Also checks that the MyPay encoding (two
//! layers) and a single layer both decode back to any input that looks like XML.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mypay::wire::pagati::parse_pagati;
use mypay::wire::soap::{decode_pagati_field, encode_pagati_field};

/// Same rule as the decoder: first byte after an optional BOM and XML whitespace is `<`.
fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|&b| b == b'<')
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(xml) = decode_pagati_field(&text) {
        let _ = parse_pagati(&xml);
    }

    if looks_like_xml(data) {
        use base64::Engine as _;
        let double = encode_pagati_field(data);
        assert_eq!(decode_pagati_field(&double).as_deref(), Ok(data));
        let single = base64::engine::general_purpose::STANDARD.encode(data);
        assert_eq!(decode_pagati_field(&single).as_deref(), Ok(data));
    }
});
