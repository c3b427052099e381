//! `ecm-server mypay chiedi-pagati <idSession>` against the simulator (the function, not the binary).

use crate::mypay_support;

use mypay::SubmitOutcome;
use mypay_simulator::Mode;
use mypay_support::{cart, Sim, COD_IPA, PASSWORD};
use server::cli::mypay_chiedi_pagati;
use server::settings::Settings;

fn settings_for(sim: &Sim, password: &str) -> Settings {
    let vars = [
        ("ECM_MYPAY_ENDPOINT", sim.soap_url.as_str()),
        ("ECM_MYPAY_COD_IPA_ENTE", COD_IPA),
        ("ECM_MYPAY_PASSWORD", password),
    ];
    Settings::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap()
}

#[tokio::test]
async fn chiedi_pagati_prints_the_decoded_outcome() {
    let sim = Sim::start(Mode::Legacy).await;
    let c = cart(2);
    let SubmitOutcome::Accepted { id_session, .. } =
        sim.client().invia_dovuti(&c, "https://ecm.example.invalid/r").await.unwrap()
    else {
        panic!("cart refused")
    };
    let settings = settings_for(&sim, PASSWORD);

    let (text, code) = mypay_chiedi_pagati(&settings, &id_session).await;
    assert_eq!(code, 0);
    assert!(text.contains("IN ATTESA / PENDING"), "{text}");
    assert!(text.contains("PAA_PAGAMENTO_NON_INIZIATO"), "{text}");

    sim.act(&id_session, "pay").await;
    let (text, code) = mypay_chiedi_pagati(&settings, &id_session).await;
    assert_eq!(code, 0);
    assert!(text.contains("PAGATO / PAID"), "{text}");
    assert!(text.contains("Totale pagato / total paid: € 150.00"), "{text}");
    for debt in &c.debts {
        assert!(text.contains(&format!("IUD {}: € {}", debt.iud, debt.amount)), "{text}");
    }

    let (text, code) = mypay_chiedi_pagati(&settings_for(&sim, "Wrong#Pass2025"), &id_session).await;
    assert_eq!(code, 0);
    assert!(text.contains("CREDENZIALI RIFIUTATE") && !text.contains("Wrong#Pass2025"), "{text}");

    sim.admin("/admin/faults", Some(serde_json::json!({"kind": "http500", "count": 1}))).await;
    let (text, code) = mypay_chiedi_pagati(&settings, &id_session).await;
    assert_eq!(code, 1);
    assert!(text.contains("HTTP 500") && !text.contains(PASSWORD), "{text}");
    sim.stop();
}
