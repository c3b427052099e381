//! Arbitrary bytes as a MyPay HTTP answer: the three SOAP response parsers and the `Pagati`
//! document parser must return (Ok or Err) and never panic, whatever comes over the wire.
//! Parsed `Pagati` documents also go through the cart match.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mypay::wire::amount::AmountCents;
use mypay::wire::pagati::parse_pagati;
use mypay::wire::soap::{
    match_cart, parse_chiedi_pagati_con_ricevuta_response, parse_chiedi_pagati_response,
    parse_invia_dovuti_response, PagatiAnswer,
};

/// The cart of docs/mypay.md §9.1 (the seeds' IUDs), to drive `match_cart`.
const EXPECTED: [(&str, AmountCents); 2] = [
    ("ECM-2025-000123-A1-01", AmountCents(10000)),
    ("ECM-2025-000123-A1-02", AmountCents(5000)),
];

fuzz_target!(|data: &[u8]| {
    let _ = parse_invia_dovuti_response(data);
    for outcome in [
        parse_chiedi_pagati_response(data),
        parse_chiedi_pagati_con_ricevuta_response(data),
    ]
    .into_iter()
    .flatten()
    {
        if let PagatiAnswer::Document(reply) = outcome {
            let _ = match_cart(&EXPECTED, &reply.pagati);
        }
    }
    if let Ok(pagati) = parse_pagati(data) {
        let _ = match_cart(&EXPECTED, &pagati);
    }
});
