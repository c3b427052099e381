//! Helpers shared by the MyPay tests: canonical XML, the fixtures, a simulator for the bare
//! client, the WSDL's schemas.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub use mypay::wire::xsd_check;

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
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mypay").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Finds the text of the first element with this local name (any namespace) in document order.
pub fn find_text(node: &Node, name: &str) -> Option<String> {
    if node.name == name {
        return Some(node.text.clone());
    }
    node.children.iter().find_map(|c| find_text(c, name))
}

// ---- MyPay simulator over real HTTP ----------------------------------------------------------

use mypay::Secret;
use mypay::{AmountCents, Cart, Debt, MyPayClient, MyPayConfig, Payer};
use mypay_simulator::{Mode, Simulator, SimulatorConfig, TipoDovuto};

pub const COD_IPA: &str = "R_VENETO";
pub const PASSWORD: &str = "Ecm#Veneto2025";

/// A citizen on the simulator's landing page at `base` presses a button (`azione`: "paga",
/// "annulla", "errore", "abbandona") for the cart of `landing_url`, the URL paaSILInviaDovuti
/// answered. The answer is not followed. `Sim::press`, `TestSim::press` and the crash trial use it.
pub async fn press_on_landing(
    http: &reqwest::Client,
    base: &str,
    landing_url: &str,
    azione: &str,
) -> reqwest::Response {
    let token = landing_url.split_once("id=").expect("a landing URL carries id=").1;
    http.post(format!("{base}/public/landing/inviaDovuti"))
        .form(&[("id", token), ("azione", azione)])
        .send()
        .await
        .unwrap()
}

/// A simulator running on port 0 and a plain HTTP client for its admin API.
pub struct Sim {
    pub base: String,
    pub soap_url: String,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Tipi dovuto of the test simulator: the portal defaults, one disabled, the digital stamp.
pub fn test_config(mode: Mode) -> SimulatorConfig {
    SimulatorConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        mode,
        tipi_dovuto: vec![
            TipoDovuto::new("ECM_QUOTA_ANNUALE", true),
            TipoDovuto::new("ECM_CONTRIBUTO_EVENTO", true),
            TipoDovuto::new("ECM_DISABILITATO", false),
            TipoDovuto::new("MARCA_BOLLO_DIGITALE", true),
        ],
        ..SimulatorConfig::default()
    }
}

impl Sim {
    pub async fn start(mode: Mode) -> Sim {
        Sim::start_with(test_config(mode)).await
    }

    pub async fn start_with(config: SimulatorConfig) -> Sim {
        let sim = Simulator::build(config).await.expect("the simulator starts");
        let base = sim.base_url().to_string();
        let soap_url = sim.soap_url();
        let task = tokio::spawn(sim.run());
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Sim { base, soap_url, http, task }
    }

    pub fn client(&self) -> MyPayClient {
        self.client_with(COD_IPA, PASSWORD, std::time::Duration::from_secs(5))
    }

    pub fn client_with(&self, cod_ipa: &str, password: &str, timeout: std::time::Duration) -> MyPayClient {
        MyPayClient::new(MyPayConfig {
            endpoint: self.soap_url.clone(),
            cod_ipa_ente: cod_ipa.into(),
            password: Secret::new(password),
            timeout,
            connect_timeout: std::time::Duration::from_secs(2),
        })
        .unwrap()
    }

    /// A citizen presses a button on the landing page of `landing_url` ([`press_on_landing`]).
    pub async fn press(&self, landing_url: &str, azione: &str) -> reqwest::Response {
        press_on_landing(&self.http, &self.base, landing_url, azione).await
    }

    pub async fn admin(&self, path: &str, json: Option<serde_json::Value>) -> reqwest::StatusCode {
        let mut request = self.http.post(format!("{}{path}", self.base));
        if let Some(json) = json {
            request = request.json(&json);
        }
        request.send().await.unwrap().status()
    }

    /// `POST /admin/sessions/{id}/{action}`, asserting success.
    pub async fn act(&self, id: &str, action: &str) {
        let status = self.admin(&format!("/admin/sessions/{id}/{action}"), None).await;
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT, "{action} on {id}");
    }

    pub async fn advance_clock(&self, seconds: i64) {
        let status = self.admin("/admin/clock", Some(serde_json::json!({ "advance_seconds": seconds }))).await;
        assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    }

    pub async fn session(&self, id: &str) -> serde_json::Value {
        self.http.get(format!("{}/admin/sessions/{id}", self.base)).send().await.unwrap().json().await.unwrap()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

static IUD_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// A fresh IUD (IUDs are permanent per Ente in MyPay).
pub fn fresh_iud() -> String {
    let n = IUD_COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("ECM-T{}-{n}", std::process::id())
}

pub fn payer() -> Payer {
    mypay::wire::samples::golden_payer()
}

/// A valid cart of `n` debts with fresh IUDs, € 100.00 + € 50.00 + € 10.00 …
pub fn cart(n: usize) -> Cart {
    Cart {
        payer: payer(),
        debts: (0..n)
            .map(|i| Debt {
                iud: fresh_iud(),
                amount: AmountCents(if i == 0 {
                    10000
                } else if i == 1 {
                    5000
                } else {
                    1000
                }),
                tipo_dovuto: if i == 0 { "ECM_QUOTA_ANNUALE".into() } else { "ECM_CONTRIBUTO_EVENTO".into() },
                causale: format!("Contributo ECM riga {}", i + 1),
                dati_specifici_riscossione: "9/0301109AP".into(),
            })
            .collect(),
    }
}

// ---- SOAP payloads against the WSDL's inline schemas -------------------------------------------

const NS_ENTE: &str = "http://www.regione.veneto.it/pagamenti/ente/";
const NS_PPTHEAD: &str = "http://www.regione.veneto.it/pagamenti/ente/ppthead";

/// The two inline schemas of `xsd/pa-per-ente.wsdl` written as standalone files, once per test
/// process: `(ppthead.xsd, ente.xsd)`. The WSDL's namespace declarations are copied onto each
/// `xsd:schema`, the ente schema imports the ppthead one, and its import of
/// `PagInf_Dovuti_Pagati_6_2_0.xsd` points at the patched copy (docs/mypay.md traps T2/T21).
/// Nothing else is changed, so what validates here validates against the official WSDL.
pub fn wsdl_schemas() -> &'static (std::path::PathBuf, std::path::PathBuf) {
    static SCHEMAS: std::sync::OnceLock<(std::path::PathBuf, std::path::PathBuf)> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let wsdl = std::fs::read_to_string(xsd_check::xsd_dir().join("pa-per-ente.wsdl")).unwrap();
        let mut schemas = Vec::new();
        let mut rest = wsdl.as_str();
        while let Some(start) = rest.find("<xsd:schema") {
            let end = rest[start..].find("</xsd:schema>").unwrap() + start + "</xsd:schema>".len();
            schemas.push(rest[start..end].to_string());
            rest = &rest[end..];
        }
        assert_eq!(schemas.len(), 2, "the WSDL has two inline schemas");
        let decl = format!(
            r#"<xsd:schema xmlns:ppt="{NS_ENTE}" xmlns:ppthead="{NS_PPTHEAD}" xmlns:pay_i="http://www.regione.veneto.it/schemas/2012/Pagamenti/Ente/" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#
        );
        let dir = std::env::temp_dir().join(format!("ecm-wsdl-schemas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ppthead = dir.join("ppthead.xsd");
        let ente = dir.join("ente.xsd");
        std::fs::write(&ppthead, schemas[0].replacen("<xsd:schema", &decl, 1)).unwrap();
        let original_import = r#"schemaLocation="PagInf_Dovuti_Pagati_6_2_0.xsd""#;
        assert!(schemas[1].contains(original_import));
        let ente_text = schemas[1].replacen("<xsd:schema", &decl, 1).replacen(
            original_import,
            &format!(
                r#"schemaLocation="{}"/><xsd:import namespace="{NS_PPTHEAD}" schemaLocation="ppthead.xsd""#,
                xsd_check::patched_xsd().display()
            ),
            1,
        );
        std::fs::write(&ente, ente_text).unwrap();
        (ppthead, ente)
    })
}

/// The element `{prefix}:{local}` of a SOAP message as a standalone document (its namespace
/// declared on it if the envelope declared it higher up).
pub fn payload_of(envelope: &str, local: &str) -> String {
    // The opening tag: `<prefix:local` followed by `>` or whitespace (not the closing tag).
    let (start, at) = envelope
        .match_indices(&format!(":{local}"))
        .map(|(at, _)| (envelope[..at].rfind('<').unwrap(), at))
        .find(|&(start, at)| {
            let after = envelope[at + 1 + local.len()..].chars().next();
            !envelope[start..].starts_with("</") && matches!(after, Some('>' | ' ' | '\n' | '\t'))
        })
        .unwrap_or_else(|| panic!("no {local} in {envelope}"));
    let prefix = &envelope[start + 1..at];
    let close = format!("</{prefix}:{local}>");
    let end = envelope[start..].find(&close).unwrap() + start + close.len();
    let mut element = envelope[start..end].to_string();
    let tag_end = element.find('>').unwrap();
    if !element[..tag_end].contains(&format!("xmlns:{prefix}=")) {
        let ns = if local == "intestazionePPT" { NS_PPTHEAD } else { NS_ENTE };
        element.insert_str(1 + prefix.len() + 1 + local.len(), &format!(r#" xmlns:{prefix}="{ns}""#));
    }
    element
}

/// Asserts that the payload `local` of `envelope` is valid against the WSDL's schemas (the
/// `intestazionePPT` header too, when present).
pub fn assert_wsdl_valid(envelope: &str, local: &str) {
    let (ppthead, ente) = wsdl_schemas();
    let payload = payload_of(envelope, local);
    xsd_check::assert_valid_against(payload.as_bytes(), ente);
    if envelope.contains(":intestazionePPT>") {
        xsd_check::assert_valid_against(payload_of(envelope, "intestazionePPT").as_bytes(), ppthead);
    }
}

/// Asserts that `document` is invalid against the WSDL's ente schema; returns xmllint's message.
pub fn assert_wsdl_invalid(document: &str) -> String {
    let lint = xsd_check::xmllint(document.as_bytes(), &wsdl_schemas().1);
    assert_eq!(lint.exit_code, Some(3), "expected a validation error, got: {}", lint.stderr);
    lint.stderr
}
