//! Third-party check: zeep (Python), driven by the official WSDL, talks to the simulator.
//! Needs `ECM_ZEEP_PYTHON` = a Python interpreter with zeep installed; skipped (with a note)
//! when unset.

use crate::mypay_support;

use mypay_simulator::Mode;
use mypay_support::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_drives_the_simulator_through_send_pay_and_receipts() {
    let Some(python) = std::env::var("ECM_ZEEP_PYTHON").ok().filter(|v| !v.is_empty()) else {
        eprintln!("skipped: ECM_ZEEP_PYTHON is not set (a python with zeep; the Makefile creates it)");
        return;
    };
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for mode in [Mode::Legacy, Mode::Checkout] {
        let sim = Sim::start(mode).await;
        let output = tokio::process::Command::new(&python)
            .arg(manifest.join("tests/zeep/drive_simulator.py"))
            .arg("--wsdl")
            .arg(manifest.join("../xsd/pa-per-ente.wsdl"))
            .arg("--base")
            .arg(&sim.base)
            .arg("--iud-prefix")
            .arg(format!("ECM-ZEEP-{mode:?}-{}", std::process::id()))
            .output()
            .await
            .expect("ECM_ZEEP_PYTHON runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "zeep check failed in {mode:?} mode:\n{stdout}\n{stderr}");
        assert!(stdout.contains("zeep check: 21 passed, 0 failed"), "{stdout}");
        sim.stop();
    }
}
