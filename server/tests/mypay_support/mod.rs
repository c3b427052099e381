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

// ---- MyPay simulator over real HTTP ----------------------------------------------------------

use server::mypay::{AmountCents, Cart, Debt, MyPayClient, MyPayConfig, Payer, PayerKind};
use server::settings::Secret;
use server::simulator::{Mode, Simulator, SimulatorConfig, TipoDovuto};

pub const COD_IPA: &str = "R_VENETO";
pub const PASSWORD: &str = "Ecm#Veneto2025";

/// A simulator running on port 0 and a plain HTTP client for its admin API.
pub struct Sim {
    pub base: String,
    pub soap_url: String,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Tipi dovuto of the test simulator: the portal defaults, one disabled, the digital stamp.
pub fn test_config(mode: Mode) -> SimulatorConfig {
    let mut config = SimulatorConfig::default();
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.mode = mode;
    config.tipi_dovuto = vec![
        TipoDovuto { code: "ECM_QUOTA_ANNUALE".into(), active: true },
        TipoDovuto { code: "ECM_CONTRIBUTO_EVENTO".into(), active: true },
        TipoDovuto { code: "ECM_DISABILITATO".into(), active: false },
        TipoDovuto { code: "MARCA_BOLLO_DIGITALE".into(), active: true },
    ];
    config
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
    Payer {
        kind: PayerKind::Natural,
        id_code: "RSSMRA80A01H501U".into(),
        name: "Mario Rossi".into(),
        address: Some("Via Roma".into()),
        civic_number: Some("1".into()),
        postal_code: Some("30121".into()),
        city: Some("Venezia".into()),
        province: Some("VE".into()),
        country: Some("IT".into()),
        email: Some("mario.rossi@example.org".into()),
    }
}

/// A valid cart of `n` debts with fresh IUDs, € 100.00 + € 50.00 + € 10.00 …
pub fn cart(n: usize) -> Cart {
    Cart {
        payer: payer(),
        debts: (0..n)
            .map(|i| Debt {
                iud: fresh_iud(),
                amount: AmountCents(if i == 0 { 10000 } else if i == 1 { 5000 } else { 1000 }),
                tipo_dovuto: if i == 0 { "ECM_QUOTA_ANNUALE".into() } else { "ECM_CONTRIBUTO_EVENTO".into() },
                causale: format!("Contributo ECM riga {}", i + 1),
                dati_specifici_riscossione: "9/0301109AP".into(),
            })
            .collect(),
    }
}
