//! The sample values of MyPay's worked examples (the golden envelopes under
//! `server/tests/fixtures/mypay/`), in one place for the unit tests, the golden and support
//! tests and the codec benchmark. Not for production code.

use super::dovuti::{Payer, PayerKind};

/// The natural person who pays in every worked example.
pub fn golden_payer() -> Payer {
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
