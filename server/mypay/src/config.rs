//! The MyPay connection settings, as the portal's settings (`server/src/settings.rs`) read and
//! check them from the environment, and the [`Secret`] that holds the password.

use std::fmt;
use std::time::Duration;

/// A value that must never appear in logs, errors or the browser: `Debug` and `Display` print
/// `<redacted>`; [`Secret::expose`] is the only way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How one kind of fee is booked in MyPay: the *tipo dovuto* configured for the Ente and its
/// `datiSpecificiRiscossione` (accounting type/code, `[0129]/\S{3,138}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeType {
    pub tipo_dovuto: String,
    pub dati_specifici_riscossione: String,
}

/// Connection to MyPay's SIL SOAP service. Present only when the endpoint, the IPA code and the
/// password are all configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyPaySettings {
    /// `ECM_MYPAY_ENDPOINT`: full SOAP URL, e.g. `https://…/ws/pa/PagamentiTelematiciDovutiPagati`.
    pub endpoint: String,
    /// `ECM_MYPAY_COD_IPA_ENTE`: the Ente's IPA code as registered in MyPay (1..=35 characters).
    pub cod_ipa_ente: String,
    /// `ECM_MYPAY_PASSWORD`: the Ente's MyPay password (agree 10..=15 characters, docs/mypay.md
    /// trap T14).
    pub password: Secret,
    /// `ECM_MYPAY_TIMEOUT_SECONDS` (default 30): whole-request timeout of one SOAP call.
    pub timeout: Duration,
    /// `ECM_MYPAY_CONNECT_TIMEOUT_SECONDS` (default 5): TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// `ECM_MYPAY_TIPO_DOVUTO_QUOTA_ANNUALE` (default `ECM_QUOTA_ANNUALE`) and
    /// `ECM_MYPAY_DSR_QUOTA_ANNUALE` (default `9/0301109AP`): the providers' annual fee.
    pub quota_annuale: FeeType,
    /// `ECM_MYPAY_TIPO_DOVUTO_CONTRIBUTO_EVENTO` (default `ECM_CONTRIBUTO_EVENTO`) and
    /// `ECM_MYPAY_DSR_CONTRIBUTO_EVENTO` (default `9/0301109AP`): the per-event contribution.
    pub contributo_evento: FeeType,
    /// `enteSILInviaRispostaPagamentoUrl`: `ECM_PUBLIC_URL` + the portal's return path
    /// (`server::settings::MYPAY_RETURN_PATH`).
    pub return_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::new("Ecm#Veneto2025");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(secret.to_string(), "<redacted>");
        assert_eq!(secret.expose(), "Ecm#Veneto2025");
    }
}
