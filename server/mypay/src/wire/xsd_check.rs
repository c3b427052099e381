//! Test support (compiled only for tests, and for other crates' tests with the `xsd-check`
//! feature): validates documents against the patched
//! `PagInf_Dovuti_Pagati_6_2_0.xsd` with Debian's `xmllint` (package libxml2-utils).
//!
//! The patched copy in the repository's `xsd/` folder replaces `\/` by `/` inside `xsd:pattern` values: libxml2 2.9.14
//! refuses the original schema (docs/mypay.md §11, traps T2/T21); the meaning is unchanged.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository's `xsd/` folder (this crate is `server/mypay/`).
pub fn xsd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../xsd")
}

/// The patched schema used for validation.
pub fn patched_xsd() -> PathBuf {
    xsd_dir().join("PagInf_Dovuti_Pagati_6_2_0.patched.xsd")
}

/// The unmodified reference schema.
pub fn original_xsd() -> PathBuf {
    xsd_dir().join("PagInf_Dovuti_Pagati_6_2_0.xsd")
}

/// AgID RPT/RT schema (element `RT`: legacy-mode receipts).
pub fn rpt_rt_xsd() -> PathBuf {
    xsd_dir().join("PagInf_RPT_RT_6_2_0.xsd")
}

/// pagoPA `paForNode.xsd` (type `ctReceipt`: Checkout-mode receipts, inside `paSendRTReq`).
pub fn pa_for_node_xsd() -> PathBuf {
    xsd_dir().join("paForNode.xsd")
}

/// Outcome of one xmllint run.
#[derive(Debug)]
pub struct Lint {
    pub exit_code: Option<i32>,
    pub stderr: String,
}

impl Lint {
    pub fn valid(&self) -> bool {
        self.exit_code == Some(0)
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes `xml` to a temporary file and runs `xmllint --noout --schema <xsd> <file>`.
/// Panics if xmllint cannot be run: a missing validator must fail the test, not skip it.
pub fn xmllint(xml: &[u8], xsd: &std::path::Path) -> Lint {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let path = std::env::temp_dir().join(format!("ecm-mypay-xsd-{}-{n}.xml", std::process::id()));
    std::fs::write(&path, xml).expect("write temp file");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(&path)
        .output()
        .expect("xmllint not runnable: install Debian package libxml2-utils");
    let _ = std::fs::remove_file(&path);
    Lint { exit_code: out.status.code(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// Asserts that `xml` is valid against the patched schema (xmllint exit code 0).
pub fn assert_xsd_valid(xml: &[u8]) {
    let lint = xmllint(xml, &patched_xsd());
    assert!(
        lint.valid(),
        "xmllint rejected the document (exit {:?}): {}\n{}",
        lint.exit_code,
        lint.stderr,
        String::from_utf8_lossy(xml)
    );
}

/// Asserts that `xml` is valid against `xsd` (xmllint exit code 0).
pub fn assert_valid_against(xml: &[u8], xsd: &std::path::Path) {
    let lint = xmllint(xml, xsd);
    assert!(
        lint.valid(),
        "xmllint rejected the document against {} (exit {:?}): {}\n{}",
        xsd.display(),
        lint.exit_code,
        lint.stderr,
        String::from_utf8_lossy(xml)
    );
}

/// Asserts that the schema compiled but the document is invalid (xmllint exit code 3), and
/// returns xmllint's message.
pub fn assert_xsd_invalid(xml: &[u8]) -> String {
    let lint = xmllint(xml, &patched_xsd());
    assert_eq!(lint.exit_code, Some(3), "expected a validation error, got: {}", lint.stderr);
    lint.stderr
}
