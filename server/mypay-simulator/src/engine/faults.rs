//! Fault injection (a test knob, not a MyPay feature): what the next SOAP calls should suffer.

use super::*;
use mypay::wire::soap::FaultCode;
#[cfg(doc)]
use mypay::wire::soap::FAULT_CODES;

/// What the simulator should do to the next SOAP calls (test knob, not a MyPay feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer normally, after `delay_ms`.
    Delay,
    /// HTTP 500 with a plain-text body (a proxy or container error, not Spring-WS).
    Http500,
    /// HTTP 500 SOAP Fault (e.g. MyPay's maintenance block).
    SoapFault,
    /// HTTP 200 with a truncated, malformed XML body.
    MalformedXml,
    /// The connection is cut before a complete answer is sent.
    DropConnection,
    /// HTTP 200 business fault with the plan's `code` (a `PAA_*` code), shaped like MyPay's own
    /// answer to the operation (`esito=KO` for `paaSILInviaDovuti`); nothing is created or changed.
    PaaFault,
}

/// The SOAP operations a fault plan can be limited to.
pub const OPERATIONS: [&str; 6] = [
    "paaSILInviaDovuti",
    "paaSILChiediPagati",
    "paaSILChiediPagatiConRicevuta",
    "paaSILImportaDovuto",
    "paaSILVerificaAvviso",
    "paaSILRegistraPagamento",
];

/// The answer element of each operation and whether its business faults carry `esito=KO`.
pub fn response_shape(operation: &str) -> (&'static str, bool) {
    match operation {
        "paaSILInviaDovuti" => ("paaSILInviaDovutiRisposta", true),
        "paaSILChiediPagatiConRicevuta" => ("paaSILChiediPagatiConRicevutaRisposta", false),
        "paaSILImportaDovuto" => ("paaSILImportaDovutoRisposta", true),
        "paaSILVerificaAvviso" => ("paaSILVerificaAvvisoRisposta", true),
        "paaSILRegistraPagamento" => ("paaSILRegistraPagamentoRisposta", true),
        _ => ("paaSILChiediPagatiRisposta", false),
    }
}

/// Body of `POST /admin/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    pub kind: FaultKind,
    /// For `delay` (and added before any other kind).
    #[serde(default)]
    pub delay_ms: u64,
    /// Number of next SOAP calls affected; absent = until `DELETE /admin/faults` or reset.
    #[serde(default)]
    pub count: Option<u32>,
    /// For `paa_fault`: the `PAA_*` code to answer (one of the `mypay` crate's [`FAULT_CODES`]).
    #[serde(default)]
    pub code: Option<String>,
    /// Only calls of this operation (one of [`OPERATIONS`]) are affected and counted; absent:
    /// every SOAP call.
    #[serde(default)]
    pub operation: Option<String>,
}

impl FaultPlan {
    /// Why the plan cannot be applied, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if let Some(op) = self.operation.as_deref().filter(|op| !OPERATIONS.contains(op)) {
            return Some(format!("unknown operation {op} (expected one of {OPERATIONS:?})"));
        }
        match (self.kind, self.code.as_deref()) {
            (FaultKind::PaaFault, Some(code)) if FaultCode::known_wire_code(code).is_some() => None,
            (FaultKind::PaaFault, Some(code)) => Some(format!("unknown PAA code {code}")),
            (FaultKind::PaaFault, None) => Some("paa_fault needs a code".into()),
            (_, Some(_)) => Some("code is only for paa_fault".into()),
            _ => None,
        }
    }

    /// The static spelling of the plan's `PAA_*` code.
    pub fn paa_code(&self) -> Option<&'static str> {
        let code = self.code.as_deref()?;
        FaultCode::known_wire_code(code)
    }
}

impl Engine {
    pub fn set_fault(&self, plan: Option<FaultPlan>) {
        self.lock().fault = plan.filter(|p| p.count != Some(0));
    }

    /// The fault to apply to the current SOAP call of `operation` (`None`: not routable), if
    /// any (consumes one use).
    pub fn take_fault(&self, operation: Option<&str>) -> Option<FaultPlan> {
        let mut state = self.lock();
        let plan = state.fault.clone()?;
        if plan.operation.is_some() && plan.operation.as_deref() != operation {
            return None;
        }
        match plan.count {
            Some(n) if n <= 1 => state.fault = None,
            Some(n) => state.fault = Some(FaultPlan { count: Some(n - 1), ..plan.clone() }),
            None => {}
        }
        Some(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pagoPA's own codes, answered by the admin knob "paid at a PSP" (docs/mypay-avvisi.md §2.2):
    /// not SIL faults, so not in the `mypay` crate's list.
    const PAGOPA_CODES: [&str; 2] = ["PAA_PAGAMENTO_SCONOSCIUTO", "PAA_PAGAMENTO_DUPLICATO"];

    #[test]
    fn every_paa_code_the_simulator_answers_is_in_the_one_list() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("admin.rs"),
            include_str!("avvisi/mod.rs"),
            include_str!("avvisi/admin.rs"),
            include_str!("avvisi/import.rs"),
            include_str!("avvisi/payments.rs"),
            include_str!("carts.rs"),
            include_str!("faults.rs"),
            include_str!("landing.rs"),
            include_str!("receipts.rs"),
            include_str!("../soap.rs"),
            include_str!("../lib.rs"),
        ];
        // A quote, then the prefix: assembled so that this file does not match itself.
        let needle = format!("{}PAA_", '"');
        let mut seen = 0;
        for source in sources {
            // The code, not its tests (which also send unknown codes on purpose).
            let code_part = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (start, _) in code_part.match_indices(needle.as_str()) {
                let code: String =
                    code_part[start + 1..].chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
                // `"PAA_…"` in a doc comment is a placeholder.
                if code == "PAA_" || PAGOPA_CODES.contains(&code.as_str()) {
                    continue;
                }
                assert!(FaultCode::known_wire_code(&code).is_some(), "{code} is not in mypay's FAULT_CODES");
                seen += 1;
            }
        }
        assert!(seen > 30, "the scan found only {seen} codes: wrong files?");
    }

    #[test]
    fn a_fault_plan_takes_exactly_the_known_codes() {
        let plan = |code: &str| FaultPlan {
            kind: FaultKind::PaaFault,
            delay_ms: 0,
            count: None,
            code: Some(code.into()),
            operation: None,
        };
        for code in FaultCode::wire_codes() {
            assert_eq!(plan(code).problem(), None, "{code}");
            assert_eq!(plan(code).paa_code(), Some(code));
        }
        assert_eq!(plan("PAA_SEMANTICA").problem().as_deref(), Some("unknown PAA code PAA_SEMANTICA"));
        assert_eq!(plan("PAA_SEMANTICA").paa_code(), None);
    }
}
