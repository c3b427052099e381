//! How server-function answers travel: JSON, as with server_fn's own `Json`, but read in the
//! browser from text (`serde_json::from_str`) instead of bytes (`from_slice`).
//!
//! Why: every type the browser reads is read twice — from the page's serialized resources while
//! hydrating (Leptos' resource codec reads text) and from server-function answers afterwards.
//! With server_fn's `JsonEncoding` those are two different serde_json readers, and every
//! `Deserialize` of every page type was compiled into the wasm bundle once for each. Reading both
//! from text compiles it once (docs/BENCHMARKS.md, "Pages under load": the bundle's weight).
//! On the wire nothing changes: `application/json`, the same bytes.
//!
//! Every `#[server]` of the app says `output = crate::codec::Json`, and `AppError` uses
//! [`JsonText`] as its error encoder; `repo_checks` fails on a server function without it.

use serde::de::DeserializeOwned;
use serde::Serialize;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// JSON, decoded from UTF-8 text.
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(<serde_json::Error as serde::de::Error>::custom)?;
        serde_json::from_str(text)
    }
}

/// The output encoding of every server function: [`JsonText`] in a POST answer.
pub type Json = server_fn::codec::Post<JsonText>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_and_bad_bytes_are_an_error() {
        let value = vec![("città".to_string(), 3_i64)];
        let bytes = <JsonText as Encodes<_>>::encode(&value).unwrap();
        assert_eq!(&bytes[..], "[[\"città\",3]]".as_bytes());
        let back: Vec<(String, i64)> = <JsonText as Decodes<_>>::decode(bytes).unwrap();
        assert_eq!(back, value);
        let broken: Result<Vec<(String, i64)>, _> =
            <JsonText as Decodes<_>>::decode(Bytes::from_static(b"[[\"\xff\",1]]"));
        assert!(broken.is_err());
    }
}
