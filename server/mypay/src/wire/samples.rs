//! The sample values of MyPay's worked examples (the golden envelopes under
//! `server/tests/fixtures/mypay/`), in one place for the unit tests, the golden and support
//! tests and the codec benchmark: the one sample cart and the one sample debt position. Not for
//! production code.

use time::macros::date;

use super::amount::AmountCents;
use super::dovuti::{Cart, Debt, Payer, PayerKind};
use super::versamento::DebtPosition;

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

/// The cart of Example A (docs/mypay.md §9.1): two debts of the same event, € 100.00 + € 50.00.
pub fn example_a_cart() -> Cart {
    Cart {
        payer: golden_payer(),
        debts: vec![
            Debt {
                iud: "ECM-2025-000123-A1-01".into(),
                amount: AmountCents(10000),
                tipo_dovuto: "ECM_ISCRIZIONE_EVENTO".into(),
                causale: "Iscrizione evento ECM 2025-123".into(),
                dati_specifici_riscossione: "9/0301109AP".into(),
            },
            Debt {
                iud: "ECM-2025-000123-A1-02".into(),
                amount: AmountCents(5000),
                tipo_dovuto: "ECM_DIRITTI_SEGRETERIA".into(),
                causale: "Diritti di segreteria evento ECM 2025-123".into(),
                dati_specifici_riscossione: "9/0301109AP".into(),
            },
        ],
    }
}

/// The debt of the payment-notice examples (docs/mypay-avvisi.md §8.1): € 100.00, due 30/04/2025.
pub fn golden_position() -> DebtPosition {
    DebtPosition {
        iud: "ECM-2025-000456-AV-01".into(),
        payer: golden_payer(),
        amount: AmountCents(10000),
        due_date: Some(date!(2025 - 04 - 30)),
        tipo_dovuto: "ECM_ISCRIZIONE_EVENTO".into(),
        causale: "Iscrizione evento ECM 2025-456".into(),
        dati_specifici_riscossione: "9/0301109AP".into(),
    }
}
