//! Does a `Pagati` prove payment of the cart? Only if the outcome is 0, it is a pagoPA receipt,
//! and the document matches the cart IUD by IUD and amount by amount. What the answer means
//! otherwise (pending, expired, not paid…) is the client's `PaymentStatus`, decided once.

use crate::wire::amount::AmountCents;
use crate::wire::pagati::{EsitoPagamento, Pagati, PaymentChannel};

/// Why a `Pagati` does not prove payment of the cart it is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// `codiceEsitoPagamento` is not 0: MyPay itself reports the cart as not (fully) paid.
    NotPaid(EsitoPagamento),
    /// Code 0 written by `paaSILRegistraPagamento` ("PAGATO CON RENDICONTAZIONE 9",
    /// docs/mypay-avvisi.md §5): the Ente's own record of a payment outside pagoPA, with no
    /// receipt and no check by MyPay. Never a pagoPA payment, whatever the amounts.
    RecordedByEnte,
    /// No expected lines were given (a cart always has 1..=5).
    NoExpectedLines,
    /// The expected lines contain the same IUD twice.
    DuplicateExpectedIud(String),
    /// The expected total overflows.
    Overflow,
    TotalDiffers {
        expected: AmountCents,
        reported: AmountCents,
    },
    MissingLine {
        iud: String,
    },
    LineAmountDiffers {
        iud: String,
        expected: AmountCents,
        reported: AmountCents,
    },
    /// The same IUD appears in more than one `datiSingoloPagamento`.
    DuplicateLine {
        iud: String,
    },
    /// A `datiSingoloPagamento` for an IUD that is not in the cart.
    UnexpectedLine {
        iud: String,
    },
}

/// `Ok` only if `pagati` proves payment of the cart described by `expected` (IUD, amount):
/// `codiceEsitoPagamento=0`, a pagoPA receipt (not a `paaSILRegistraPagamento` record),
/// `importoTotalePagato` equal to the sum of `expected`, and every expected IUD with exactly one
/// `datiSingoloPagamento` of the expected amount. Lines for IUDs outside the cart are an
/// anomaly too (docs/mypay.md §8). The one place where amounts are matched.
pub fn match_cart<S: AsRef<str>>(expected: &[(S, AmountCents)], pagati: &Pagati) -> Result<(), Mismatch> {
    let dp = &pagati.dati_pagamento;
    if dp.codice_esito_pagamento != EsitoPagamento::Paid {
        return Err(Mismatch::NotPaid(dp.codice_esito_pagamento));
    }
    if pagati.channel() == PaymentChannel::RecordedByEnte {
        return Err(Mismatch::RecordedByEnte);
    }
    if expected.is_empty() {
        return Err(Mismatch::NoExpectedLines);
    }
    let mut total = AmountCents::ZERO;
    for (i, (iud, amount)) in expected.iter().enumerate() {
        if expected[..i].iter().any(|(other, _)| other.as_ref() == iud.as_ref()) {
            return Err(Mismatch::DuplicateExpectedIud(iud.as_ref().to_string()));
        }
        total = total.checked_add(*amount).ok_or(Mismatch::Overflow)?;
    }
    if dp.importo_totale_pagato != total {
        return Err(Mismatch::TotalDiffers { expected: total, reported: dp.importo_totale_pagato });
    }
    let lines = &dp.dati_singolo_pagamento;
    for (i, line) in lines.iter().enumerate() {
        let iud = &line.identificativo_univoco_dovuto;
        if lines[..i].iter().any(|l| &l.identificativo_univoco_dovuto == iud) {
            return Err(Mismatch::DuplicateLine { iud: iud.clone() });
        }
        if !expected.iter().any(|(e, _)| e.as_ref() == iud) {
            return Err(Mismatch::UnexpectedLine { iud: iud.clone() });
        }
    }
    for (iud, amount) in expected {
        let iud = iud.as_ref();
        match lines.iter().find(|l| l.identificativo_univoco_dovuto == iud) {
            None => return Err(Mismatch::MissingLine { iud: iud.to_string() }),
            Some(l) if l.singolo_importo_pagato != *amount => {
                return Err(Mismatch::LineAmountDiffers {
                    iud: iud.to_string(),
                    expected: *amount,
                    reported: l.singolo_importo_pagato,
                });
            }
            Some(_) => {}
        }
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::pagati::{
        DatiPagamento, DatiSingoloPagamento, Dominio, IdentificativoUnivoco, Organization, PagatiKind, XsdDateTime,
    };
    use time::macros::{date, datetime};

    fn pagati(code: EsitoPagamento, total: i64, lines: &[(&str, i64)]) -> Pagati {
        let org = Organization {
            identificativo_univoco: IdentificativoUnivoco { tipo: "G".into(), codice: "80007580279".into() },
            denominazione: "X".into(),
            codice_unit_oper: None,
            denom_unit_oper: None,
            indirizzo: None,
            civico: None,
            cap: None,
            localita: None,
            provincia: None,
            nazione: None,
        };
        Pagati {
            kind: PagatiKind::Pagati,
            versione_oggetto: "6.2.0".into(),
            dominio: Dominio {
                identificativo_dominio: "80007580279".into(),
                identificativo_stazione_richiedente: None,
            },
            identificativo_messaggio_ricevuta: "r".into(),
            data_ora_messaggio_ricevuta: XsdDateTime { date_time: datetime!(2025-03-14 10:21:47), offset: None },
            riferimento_messaggio_richiesta: "r".into(),
            riferimento_data_richiesta: date!(2025 - 03 - 14),
            istituto_attestante: org.clone(),
            ente_beneficiario: org,
            soggetto_pagatore: crate::wire::samples::golden_payer(),
            dati_pagamento: DatiPagamento {
                codice_esito_pagamento: code,
                importo_totale_pagato: AmountCents(total),
                identificativo_univoco_versamento: "iuv".into(),
                codice_contesto_pagamento: "ccp".into(),
                dati_singolo_pagamento: lines
                    .iter()
                    .map(|(iud, a)| DatiSingoloPagamento {
                        identificativo_univoco_dovuto: iud.to_string(),
                        singolo_importo_pagato: AmountCents(*a),
                        esito_singolo_pagamento: None,
                        data_esito_singolo_pagamento: date!(2025 - 03 - 14),
                        identificativo_univoco_riscossione: "iur".into(),
                        causale_versamento: "c".into(),
                        dati_specifici_riscossione: "9/ABC".into(),
                        indice_dati_singolo_pagamento: None,
                        commissioni_applicate_psp: None,
                        allegato_ricevuta: None,
                    })
                    .collect(),
            },
        }
    }

    #[test]
    fn verdict_decision_table() {
        use EsitoPagamento as E;
        let expected = [("A", AmountCents(10000)), ("B", AmountCents(5000))];
        let v = |p: &Pagati| match_cart(&expected, p);

        assert_eq!(v(&pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000)])), Ok(()));
        assert_eq!(v(&pagati(E::Paid, 15000, &[("B", 5000), ("A", 10000)])), Ok(()));
        assert_eq!(v(&pagati(E::NotPaid, 0, &[])), Err(Mismatch::NotPaid(E::NotPaid)));
        assert_eq!(v(&pagati(E::TimedOut, 0, &[("A", 0)])), Err(Mismatch::NotPaid(E::TimedOut)));
        assert_eq!(v(&pagati(E::PartiallyPaid, 10000, &[("A", 10000)])), Err(Mismatch::NotPaid(E::PartiallyPaid)));
        assert_eq!(v(&pagati(E::PartiallyTimedOut, 10000, &[])), Err(Mismatch::NotPaid(E::PartiallyTimedOut)));

        let mm = Err;
        assert_eq!(
            v(&pagati(E::Paid, 14999, &[("A", 10000), ("B", 5000)])),
            mm(Mismatch::TotalDiffers { expected: AmountCents(15000), reported: AmountCents(14999) })
        );
        assert_eq!(v(&pagati(E::Paid, 15000, &[("A", 10000)])), mm(Mismatch::MissingLine { iud: "B".into() }));
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 9000), ("B", 6000)])),
            mm(Mismatch::LineAmountDiffers {
                iud: "A".into(),
                expected: AmountCents(10000),
                reported: AmountCents(9000)
            })
        );
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000), ("C", 0)])),
            mm(Mismatch::UnexpectedLine { iud: "C".into() })
        );
        assert_eq!(
            v(&pagati(E::Paid, 15000, &[("A", 10000), ("A", 10000), ("B", 5000)])),
            mm(Mismatch::DuplicateLine { iud: "A".into() })
        );
        let none: [(&str, AmountCents); 0] = [];
        assert_eq!(match_cart(&none, &pagati(E::Paid, 0, &[])), mm(Mismatch::NoExpectedLines));
        assert_eq!(
            match_cart(&[("A", AmountCents(1)), ("A", AmountCents(1))], &pagati(E::Paid, 2, &[("A", 1)])),
            mm(Mismatch::DuplicateExpectedIud("A".into()))
        );
        assert_eq!(
            match_cart(&[("A", AmountCents(i64::MAX)), ("B", AmountCents(1))], &pagati(E::Paid, 2, &[])),
            mm(Mismatch::Overflow)
        );
        // Works with owned strings too (Cart::expected_lines).
        let owned = vec![("A".to_string(), AmountCents(10000)), ("B".to_string(), AmountCents(5000))];
        assert_eq!(match_cart(&owned, &pagati(E::Paid, 15000, &[("A", 10000), ("B", 5000)])), Ok(()));
    }
}
