//! Fault injection (a test knob, not a MyPay feature): what the next SOAP calls should suffer.

use super::*;

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

/// The `PAA_*` codes MyPay's SIL operations can answer (docs/mypay.md §10,
/// docs/mypay-avvisi.md §7), for `paa_fault`.
pub const PAA_CODES: [&str; 37] = [
    "PAA_ENTE_NON_VALIDO",
    "PAA_STATO_ENTE_NON_VALIDO",
    "PAA_XML_NON_VALIDO",
    "PAA_IUV_NON_VALIDO",
    "PAA_TIPO_VERSAMENTO_NON_VALIDO",
    "PAA_CODICE_FISCALE_NON_VALIDO",
    "PAA_P_IVA_NON_VALIDO",
    "PAA_IUD_NON_VALIDO",
    "PAA_IUD_DUPLICATO",
    "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_VALIDO",
    "PAA_IDENTIFICATIVO_TIPO_DOVUTO_NON_ABILITATO",
    "PAA_IMPORTO_MARCA_BOLLO_DIGITALE_NON_VALIDA",
    "PAA_MARCA_BOLLO_DIGITALE_NON_VALIDA",
    "PAA_DATI_SPECIFICI_RISCOSSIONE_NON_VALIDO",
    "PAA_IMPORTO_SINGOLO_VERSAMENTO_NON_VALIDO",
    "PAA_IMPORTO_BILANCIO_NON_VALIDO",
    "PAA_CAUSALE_NON_PRESENTE",
    "PAA_ANAGRAFICA_NON_VALIDA",
    "PAA_ID_SESSION_NON_VALIDO",
    "PAA_PAGAMENTO_NON_INIZIATO",
    "PAA_PAGAMENTO_IN_CORSO",
    "PAA_PAGAMENTO_ANNULLATO",
    "PAA_PAGAMENTO_SCADUTO",
    "PAA_SYSTEM_ERROR",
    "PAA_AZIONE_NON_VALIDO",
    "PAA_SOGG_PAG_NON_VALORIZZATO",
    "PAA_IDENT_TIPO_DOVUTO_NON_PRESENTE",
    "PAA_LIMITAZIONE_ENTI_SECONDARI_ERROR",
    "PAA_IUV_SCADUTO",
    "PAA_IMPORT_IUD_DUPLICATO",
    "PAA_IMPORT_IUV_DUPLICATO",
    "PAA_IMPORT_IUV_NO_NULLABLE",
    "PAA_IMPORT_TIPO_DOVUTO_NON_MODIFICABILE",
    "PAA_IMPORT_DATA_SCADENZA_PAGAMENTO_OBBLIGATORIA",
    "PAA_IMPORT_DOVUTO_NON_PRESENTE",
    "PAA_IMPORT_OPERATORE_NO_PERMESSI",
    "PAA_IMPORT_COD_TIPO_DOVUTO_INESISTENTE",
];

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
    /// For `paa_fault`: the `PAA_*` code to answer (one of [`PAA_CODES`]).
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
            (FaultKind::PaaFault, Some(code)) if PAA_CODES.contains(&code) => None,
            (FaultKind::PaaFault, Some(code)) => Some(format!("unknown PAA code {code}")),
            (FaultKind::PaaFault, None) => Some("paa_fault needs a code".into()),
            (_, Some(_)) => Some("code is only for paa_fault".into()),
            _ => None,
        }
    }

    /// The static spelling of the plan's `PAA_*` code.
    pub fn paa_code(&self) -> Option<&'static str> {
        let code = self.code.as_deref()?;
        PAA_CODES.iter().copied().find(|c| *c == code)
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
