//! What a readable receipt says: plain data, filled by the caller from the debt and the
//! evidence of its payment (the pagoPA RT or the verified quietanza).

use serde::{Deserialize, Serialize};

/// The beneficiary of every ECM payment (the same values MyPay carts carry).
pub const BENEFICIARY_NAME: &str = crate::payments::model::BENEFICIARY_NAME;
/// Codice fiscale of the beneficiary: Regione del Veneto.
pub const BENEFICIARY_CF: &str = crate::payments::model::BENEFICIARY_FISCAL_CODE;

/// One paid debt, as the receipt shows it. Dates are `YYYY-MM-DD`; the PDF prints them as
/// `dd/mm/yyyy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptDoc {
    pub payer_name: String,
    /// Codice fiscale or partita IVA of the payer.
    pub payer_fiscal_code: String,
    /// [`BENEFICIARY_NAME`] for ECM payments.
    pub beneficiary_name: String,
    /// [`BENEFICIARY_CF`] for ECM payments.
    pub beneficiary_fiscal_code: String,
    pub causale: String,
    pub amount_cents: i64,
    /// Identificativo Univoco di Versamento, from the RT (or the avviso a quietanza refers to).
    pub iuv: Option<String>,
    /// Identificativo Univoco di Riscossione, from the RT.
    pub iur: Option<String>,
    /// `YYYY-MM-DD`: the payment date of the RT, or of the quietanza.
    pub paid_on: String,
    pub channel: ReceiptChannel,
    /// The payment service provider named in the RT.
    pub psp: Option<String>,
    /// The portal's id of the debt (dovuto) this payment settled.
    pub debt_id: String,
    /// `YYYY-MM-DD`: when this readable copy was produced.
    pub issued_at: String,
}

/// How the debt was paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiptChannel {
    /// Through MyPay, with a pagoPA RT.
    PagoPa,
    /// A treasury transfer whose quietanza the Segreteria ECM verified.
    Quietanza {
        /// CRO or TRN of the transfer.
        cro_trn: String,
        /// Who made the transfer (ente pagante).
        paying_body: String,
        /// `YYYY-MM-DD`: the value date of the transfer.
        value_date: String,
    },
}

impl ReceiptChannel {
    /// The channel as the receipt (and the pages) name it.
    pub fn label(&self) -> &'static str {
        match self {
            ReceiptChannel::PagoPa => "pagoPA (MyPay)",
            ReceiptChannel::Quietanza { .. } => "Bonifico di tesoreria (quietanza verificata dalla Segreteria ECM)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_has_its_italian_label() {
        assert_eq!(ReceiptChannel::PagoPa.label(), "pagoPA (MyPay)");
        let quietanza =
            ReceiptChannel::Quietanza { cro_trn: "X".into(), paying_body: "Y".into(), value_date: "2027-07-31".into() };
        assert_eq!(quietanza.label(), "Bonifico di tesoreria (quietanza verificata dalla Segreteria ECM)");
    }

    #[test]
    fn the_beneficiary_is_regione_del_veneto() {
        assert_eq!(BENEFICIARY_NAME, "Regione del Veneto");
        assert_eq!(BENEFICIARY_CF, "80007580279");
    }
}
