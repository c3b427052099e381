//! Minimal, hardened, namespace-aware XML reading and writing shared by the other modules.
//!
//! Reading builds a small element tree with quick-xml's `NsReader`; every element is identified
//! by `(namespace URI, local name)`, never by prefix or position (docs/mypay.md §2.3: MyPay's
//! prefixes are generated, typically `SOAP-ENV:`/`ns2:`).
//!
//! Hardening:
//! * any `<!DOCTYPE …>` (hence any DTD, internal or external entity declaration) is refused —
//!   this stops billion-laughs and XXE payloads before anything is expanded;
//! * entity references other than the five predefined ones and character references are
//!   refused (nothing is ever looked up or expanded);
//! * input size, nesting depth and element count are bounded;
//! * only UTF-8 is accepted (an optional UTF-8 BOM is skipped; a declaration naming another
//!   encoding is refused). MyPay sends UTF-8 (docs/mypay.md §6.3, trap T16).

use std::borrow::Cow;

use quick_xml::escape::partial_escape;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// Namespace URIs used by MyPay (docs/mypay.md §2.3).
pub mod ns {
    /// SOAP 1.1 envelope.
    pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    /// Header element `intestazionePPT`.
    pub const PPTHEAD: &str = "http://www.regione.veneto.it/pagamenti/ente/ppthead";
    /// SOAP payload root elements (`paaSIL…`, `paaSIL…Risposta`).
    pub const ENTE: &str = "http://www.regione.veneto.it/pagamenti/ente/";
    /// Inner documents `Dovuti`, `Pagati`, `PagatiConRicevuta`.
    pub const PAY_I: &str = "http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/";
}

/// Largest document accepted by the parser (bytes). Real MyPay answers are a few KiB.
pub const MAX_XML_BYTES: usize = 4 * 1024 * 1024;
const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 20_000;

/// Why an XML document was refused by the hardened parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("document larger than {MAX_XML_BYTES} bytes")]
    TooLarge,
    #[error("document is not valid UTF-8")]
    NotUtf8,
    #[error("unsupported declared encoding {0:?} (only UTF-8 is accepted)")]
    UnsupportedEncoding(String),
    #[error("DOCTYPE/DTD is not allowed")]
    DoctypeForbidden,
    #[error("entity reference &{0}; is not allowed")]
    EntityForbidden(String),
    #[error("namespace prefix {0:?} is not declared")]
    UnboundPrefix(String),
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("more than {MAX_ELEMENTS} elements")]
    TooManyElements,
    #[error("no root element")]
    NoRoot,
    #[error("content after the root element")]
    TrailingContent,
    #[error("XML syntax error: {0}")]
    Syntax(String),
}

/// An element of the parsed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI, `None` for unqualified elements.
    pub ns: Option<String>,
    pub local: String,
    /// Concatenated direct character data (text and CDATA), entity references resolved.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn is(&self, ns: Option<&str>, local: &str) -> bool {
        self.ns.as_deref() == ns && self.local == local
    }

    /// Child elements with the given name.
    pub fn children_named<'a>(&'a self, ns: Option<&'a str>, local: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    /// The only child with that name; `Err(Duplicate)` if it occurs more than once.
    pub fn child(&self, ns: Option<&str>, local: &str) -> Result<Option<&Element>, Duplicate> {
        let mut it = self.children.iter().filter(|c| c.is(ns, local));
        let first = it.next();
        if it.next().is_some() {
            return Err(Duplicate(local.to_string()));
        }
        Ok(first)
    }

    /// A name for diagnostics: `{ns}local`.
    pub fn qualified_name(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.local),
            None => self.local.clone(),
        }
    }
}

/// An element that occurs more than once where at most one is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate(pub String);

/// Parses a UTF-8 document into an element tree, refusing DTDs and entities.
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    if input.len() > MAX_XML_BYTES {
        return Err(XmlError::TooLarge);
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|_| XmlError::NotUtf8)?;

    let mut reader = NsReader::from_str(text);
    {
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = true;
        config.trim_text_start = false;
        config.trim_text_end = false;
    }

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;

    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|e| XmlError::Syntax(e.to_string()))?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(AsRef::<str>::as_ref(&ns).to_string()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => return Err(XmlError::UnboundPrefix(prefix)),
        };
        match event {
            Event::DocType(_) => return Err(XmlError::DoctypeForbidden),
            Event::Decl(decl) => {
                if let Some(enc) = decl.encoding() {
                    let enc = enc.map_err(|e| XmlError::Syntax(e.to_string()))?;
                    if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                        return Err(XmlError::UnsupportedEncoding(enc.into_owned()));
                    }
                }
            }
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError::TrailingContent);
                }
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooManyElements);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let local = AsRef::<str>::as_ref(&start.local_name()).to_string();
                stack.push(Element { ns, local, text: String::new(), children: Vec::new() });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| XmlError::Syntax("unexpected end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Empty(_) => {
                // `expand_empty_elements` turns these into Start/End pairs.
                return Err(XmlError::Syntax("unexpected empty-element event".into()));
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                push_text(&mut stack, &content)?;
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                push_text(&mut stack, &content)?;
            }
            Event::GeneralRef(r) => {
                let resolved: Cow<'_, str> = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(ch)) => Cow::Owned(ch.to_string()),
                        _ => return Err(XmlError::Syntax("invalid character reference".into())),
                    }
                } else {
                    let name: &str = &r;
                    match name {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        other => return Err(XmlError::EntityForbidden(other.to_string())),
                    }
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax("unclosed element at end of document".into()));
    }
    root.ok_or(XmlError::NoRoot)
}

fn push_text(stack: &mut [Element], content: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(content);
            Ok(())
        }
        None if content.chars().all(is_xml_whitespace) => Ok(()),
        None => Err(XmlError::Syntax("text outside the root element".into())),
    }
}

pub fn is_xml_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `true` if `c` may appear in XML 1.0 character data.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// A tiny string-based XML writer: the caller controls prefixes/namespace declarations, text is
/// always escaped (`<`, `>`, `&`). Optional 2-space indentation for human-readable documents.
pub struct XmlWriter {
    out: String,
    indent: bool,
    depth: usize,
    /// `true` right after a start tag that has not received content yet.
    open_has_children: Vec<bool>,
}

impl XmlWriter {
    pub fn new(indent: bool) -> Self {
        XmlWriter { out: String::new(), indent, depth: 0, open_has_children: Vec::new() }
    }

    pub fn declaration(&mut self) {
        self.out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    }

    fn newline_and_indent(&mut self) {
        if self.indent && !self.out.is_empty() {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }

    /// Opens `<name attr="v" …>`; attribute values are escaped.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        if let Some(last) = self.open_has_children.last_mut() {
            *last = true;
        }
        self.newline_and_indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&quick_xml::escape::escape(*v));
            self.out.push('"');
        }
        self.out.push('>');
        self.depth += 1;
        self.open_has_children.push(false);
    }

    pub fn end(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        if self.open_has_children.pop().unwrap_or(false) {
            self.newline_and_indent();
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>` on one line.
    pub fn text_element(&mut self, name: &str, text: &str) {
        if let Some(last) = self.open_has_children.last_mut() {
            *last = true;
        }
        self.newline_and_indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&partial_escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn opt_text_element(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.text_element(name, t);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_by_namespace_not_prefix() {
        let a = parse(br#"<a:x xmlns:a="urn:n"><a:y>1</a:y><z>2</z></a:x>"#).unwrap();
        let b = parse(br#"<x xmlns="urn:n"><y>1</y><z xmlns="">2</z></x>"#).unwrap();
        assert_eq!(a, b);
        assert!(a.is(Some("urn:n"), "x"));
        assert_eq!(a.children[1].ns, None);
    }

    #[test]
    fn refuses_doctype_and_entities() {
        assert_eq!(parse(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>"), Err(XmlError::DoctypeForbidden));
        assert_eq!(parse(b"<x>&a;</x>"), Err(XmlError::EntityForbidden("a".into())));
        assert_eq!(parse(b"<x>&lt;&#65;&#x42;</x>").unwrap().text, "<AB");
    }

    #[test]
    fn refuses_bad_documents() {
        assert_eq!(parse(b""), Err(XmlError::NoRoot));
        assert_eq!(parse(b"<a/><b/>"), Err(XmlError::TrailingContent));
        assert!(matches!(parse(b"<a>"), Err(XmlError::Syntax(_))));
        assert!(matches!(parse(b"<a></b>"), Err(XmlError::Syntax(_))));
        assert!(matches!(parse(b"junk<a/>"), Err(XmlError::Syntax(_))));
        assert_eq!(parse(b"<p:a/>"), Err(XmlError::UnboundPrefix("p".into())));
        assert_eq!(parse(b"<a>\xff</a>"), Err(XmlError::NotUtf8));
        assert_eq!(
            parse(br#"<?xml version="1.0" encoding="ISO-8859-1"?><a/>"#),
            Err(XmlError::UnsupportedEncoding("ISO-8859-1".into()))
        );
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep));
        assert_eq!(parse(&vec![b' '; MAX_XML_BYTES + 1]), Err(XmlError::TooLarge));
    }

    #[test]
    fn accepts_bom_comments_cdata() {
        let el =
            parse(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><!-- c --><a><![CDATA[<x>]]></a>").unwrap();
        assert_eq!(el.text, "<x>");
    }

    #[test]
    fn writer_escapes() {
        let mut w = XmlWriter::new(false);
        w.start("a", &[("k", "\"<&")]);
        w.text_element("b", "x<y&z>");
        w.end("a");
        assert_eq!(w.finish(), r#"<a k="&quot;&lt;&amp;"><b>x&lt;y&amp;z&gt;</b></a>"#);
    }
}
