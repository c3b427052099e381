//! CPU cost of the MyPay wire codec for one realistic 5-debt payment (see docs/BENCHMARKS.md).
//!
//! * `dovuti_encode`: what the client does before `paaSILInviaDovuti` (validate + build the
//!   `Dovuti` XML from the cart, then base64 it for the `dovuti` element).
//! * `pagati_decode`: what the client does with a `paaSILChiediPagati` answer (parse the SOAP
//!   envelope, decode the double-base64 `pagati` field, parse the `Pagati` document, then verify
//!   it against the cart's IUDs and amounts).
//! * `round_trip`: both, i.e. the codec work of one payment.
//!
//! Inputs are built with the wire API: the `Pagati` is serialized with `Pagati::to_xml` and
//! wrapped like MyPay does (docs/mypay.md §9.2). Before measuring, the benchmark checks the
//! inputs match their cart and prints the heap allocations of one iteration of each
//! case (counted by a wrapping global allocator; the counting costs two relaxed atomic adds per
//! allocation, included in the timings).
//!
//! Run: `cargo bench -p mypay --bench mypay_codec -- --warm-up-time 1 --measurement-time 3`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mypay::wire::amount::AmountCents;
use mypay::wire::dovuti::{build_dovuti, Cart, Debt};
use mypay::wire::pagati::{
    DatiPagamento, DatiSingoloPagamento, Dominio, EsitoPagamento, IdentificativoUnivoco, Organization, Pagati,
    PagatiKind, XsdDateTime,
};
use mypay::wire::soap::{encode_pagati_field, match_cart, parse_chiedi_pagati_response, Mismatch, PagatiAnswer};
use time::macros::{date, datetime, offset};

// ---- allocation counter ------------------------------------------------------------------

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are only
// statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocation calls, bytes requested) of one call of `f`.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, u64) {
    let (a0, b0) = (ALLOCS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
    drop(black_box(f()));
    (ALLOCS.load(Ordering::Relaxed) - a0, BYTES.load(Ordering::Relaxed) - b0)
}

// ---- inputs ------------------------------------------------------------------------------

const DEBTS: usize = 5;

/// A provider paying five ECM items at once: the two of the one sample cart (Example A) and three
/// more (event registrations and fees).
fn cart() -> Cart {
    let mut cart = mypay::wire::samples::example_a_cart();
    let more = [
        (25850, "ECM_ISCRIZIONE_EVENTO", "Iscrizione evento ECM 2025-124 (residenziale)"),
        (1600, "ECM_BOLLO", "Imposta di bollo istanza di accreditamento provider"),
        (120000, "ECM_ACCREDITAMENTO", "Contributo accreditamento provvisorio provider ECM"),
    ];
    for (cents, tipo, causale) in more {
        cart.debts.push(Debt {
            iud: format!("ECM-2025-000123-A1-{:02}", cart.debts.len() + 1),
            amount: AmountCents(cents),
            tipo_dovuto: tipo.into(),
            causale: causale.into(),
            dati_specifici_riscossione: "9/0301109AP".into(),
        });
    }
    cart
}

fn organization(tipo: &str, codice: &str, name: &str) -> Organization {
    Organization {
        identificativo_univoco: IdentificativoUnivoco { tipo: tipo.into(), codice: codice.into() },
        denominazione: name.into(),
        codice_unit_oper: None,
        denom_unit_oper: None,
        indirizzo: None,
        civico: None,
        cap: None,
        localita: None,
        provincia: None,
        nazione: None,
    }
}

/// The `Pagati` MyPay returns once `cart` is paid (Checkout-mode shape of docs/mypay.md §9.2).
fn paid_pagati(cart: &Cart) -> Pagati {
    let receipt_id = "c1a5e0f2b7d94e4f9a3b8c6d2e1f0a97";
    Pagati {
        kind: PagatiKind::Pagati,
        versione_oggetto: "6.2.0".into(),
        dominio: Dominio { identificativo_dominio: "80007580279".into(), identificativo_stazione_richiedente: None },
        identificativo_messaggio_ricevuta: receipt_id.into(),
        data_ora_messaggio_ricevuta: XsdDateTime {
            date_time: datetime!(2025-03-14 10:21:47),
            offset: Some(offset!(+1)),
        },
        riferimento_messaggio_richiesta: receipt_id.into(),
        riferimento_data_richiesta: date!(2025 - 03 - 14),
        istituto_attestante: organization("B", "ABCDITMMXXX", "Banca Esempio S.p.A."),
        ente_beneficiario: organization("G", "80007580279", "Regione del Veneto"),
        soggetto_pagatore: cart.payer.clone(),
        dati_pagamento: DatiPagamento {
            codice_esito_pagamento: EsitoPagamento::Paid,
            importo_totale_pagato: cart.total().unwrap(),
            identificativo_univoco_versamento: "02000000000123456".into(),
            codice_contesto_pagamento: receipt_id.into(),
            dati_singolo_pagamento: cart
                .debts
                .iter()
                .map(|d| DatiSingoloPagamento {
                    identificativo_univoco_dovuto: d.iud.clone(),
                    singolo_importo_pagato: d.amount,
                    esito_singolo_pagamento: Some("0".into()),
                    data_esito_singolo_pagamento: date!(2025 - 03 - 14),
                    identificativo_univoco_riscossione: receipt_id.into(),
                    causale_versamento: d.causale.clone(),
                    dati_specifici_riscossione: d.dati_specifici_riscossione.clone(),
                    indice_dati_singolo_pagamento: None,
                    commissioni_applicate_psp: None,
                    allegato_ricevuta: None,
                })
                .collect(),
        },
    }
}

/// The HTTP body of MyPay's `paaSILChiediPagatiRisposta` carrying `pagati` (docs/mypay.md §9.2
/// layout: `pagati` is base64 of base64 of the compact document).
fn chiedi_pagati_response(pagati: &Pagati) -> Vec<u8> {
    format!(
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
  <SOAP-ENV:Header/>
  <SOAP-ENV:Body>
    <ns2:paaSILChiediPagatiRisposta xmlns:ns2="http://www.regione.veneto.it/pagamenti/ente/">
      <pagati>{}</pagati>
    </ns2:paaSILChiediPagatiRisposta>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
"#,
        encode_pagati_field(pagati.to_xml().as_bytes())
    )
    .into_bytes()
}

// ---- the measured work -------------------------------------------------------------------

/// Cart → `dovuti` element text.
fn encode(cart: &Cart) -> String {
    build_dovuti(cart).expect("valid cart").to_base64()
}

/// Response body → verdict against the cart.
fn decode(body: &[u8], expected: &[(String, AmountCents)]) -> Result<(), Mismatch> {
    let PagatiAnswer::Document(reply) = parse_chiedi_pagati_response(body).expect("well-formed response") else {
        panic!("a Pagati document")
    };
    match_cart(expected, &reply.pagati)
}

fn bench(c: &mut Criterion) {
    let cart = cart();
    assert_eq!(cart.debts.len(), DEBTS);
    let expected = cart.expected_lines();
    let pagati = paid_pagati(&cart);
    let body = chiedi_pagati_response(&pagati);

    // Sanity: the inputs are what MyPay would send back for this cart.
    assert_eq!(decode(&body, &expected), Ok(()));
    let dovuti_b64 = encode(&cart);
    let (enc_allocs, enc_bytes) = allocations(|| encode(&cart));
    let (dec_allocs, dec_bytes) = allocations(|| decode(&body, &expected));
    eprintln!(
        "mypay_codec inputs: {DEBTS} debts; Dovuti XML {} B -> dovuti element {} B; \
         Pagati XML {} B -> ChiediPagati response body {} B",
        build_dovuti(&cart).unwrap().as_bytes().len(),
        dovuti_b64.len(),
        pagati.to_xml().len(),
        body.len(),
    );
    eprintln!(
        "mypay_codec allocations per iteration: dovuti_encode {enc_allocs} allocs / {enc_bytes} B; \
         pagati_decode {dec_allocs} allocs / {dec_bytes} B"
    );

    let mut g = c.benchmark_group("mypay_codec");
    // One element = one 5-debt payment; bytes = the SOAP payload produced / consumed.
    g.throughput(Throughput::ElementsAndBytes { elements: 1, bytes: dovuti_b64.len() as u64 });
    g.bench_function("dovuti_encode", |b| b.iter(|| encode(black_box(&cart))));

    g.throughput(Throughput::ElementsAndBytes { elements: 1, bytes: body.len() as u64 });
    g.bench_function("pagati_decode", |b| b.iter(|| decode(black_box(&body), black_box(&expected))));

    g.throughput(Throughput::ElementsAndBytes { elements: 1, bytes: (dovuti_b64.len() + body.len()) as u64 });
    g.bench_function("round_trip", |b| {
        b.iter(|| {
            let sent = encode(black_box(&cart));
            let verdict = decode(black_box(&body), black_box(&expected));
            (sent, verdict)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
