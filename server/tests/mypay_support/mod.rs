//! Helpers shared by the integration tests.

#![allow(dead_code)]

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

#[path = "../../src/mypay/wire/xsd_check.rs"]
pub mod xsd_check;

/// A canonical element: (namespace URI, local name, trimmed text, children). Prefixes and
/// whitespace-only text between elements are ignored. Built with quick-xml directly, i.e.
/// independently of the crate's own parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub ns: Option<String>,
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

pub fn canonical(xml: &[u8]) -> Node {
    let text = std::str::from_utf8(xml).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let (res, ev) = reader.read_resolved_event().expect("well-formed XML");
        let ns = match res {
            ResolveResult::Bound(n) => Some(AsRef::<str>::as_ref(&n).to_string()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => panic!("unbound prefix {p}"),
        };
        match ev {
            Event::Start(s) => stack.push(Node {
                ns,
                name: AsRef::<str>::as_ref(&s.local_name()).to_string(),
                text: String::new(),
                children: vec![],
            }),
            Event::End(_) => {
                let mut done = stack.pop().expect("balanced");
                done.text = done.text.trim().to_string();
                match stack.last_mut() {
                    Some(p) => p.children.push(done),
                    None => return done,
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let s: &str = &r;
                let c = match s {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "apos" => "'",
                    "quot" => "\"",
                    other => panic!("entity {other}"),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(c);
                }
            }
            Event::Eof => panic!("unexpected EOF"),
            _ => {}
        }
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mypay")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Finds the text of the first element with this local name (any namespace) in document order.
pub fn find_text(node: &Node, name: &str) -> Option<String> {
    if node.name == name {
        return Some(node.text.clone());
    }
    node.children.iter().find_map(|c| find_text(c, name))
}
