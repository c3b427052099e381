//! Payment domain types shared by the server and the browser: fee kinds, debt and attempt
//! states with their transitions, euro formatting, cart splitting, IUDs, and what the pages show.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// pagoPA allows at most five transfers per payment: more debts need several carts.
pub const MAX_DEBTS_PER_CART: usize = 5;

/// Codice fiscale of the beneficiary of every ECM payment: Regione del Veneto.
pub const BENEFICIARY_NAME: &str = "Regione del Veneto";
pub const BENEFICIARY_FISCAL_CODE: &str = "80007580279";

/// The kind of fee a debt is for; it decides the MyPay tipo dovuto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FeeKind {
    /// Annual contribution (quota annuale / iscrizione annuale).
    QuotaAnnuale,
    /// Per-event contribution (contributo per evento).
    ContributoEvento,
}

impl FeeKind {
    pub fn as_db(self) -> &'static str {
        match self {
            FeeKind::QuotaAnnuale => "QUOTA_ANNUALE",
            FeeKind::ContributoEvento => "CONTRIBUTO_EVENTO",
        }
    }
    pub fn from_db(value: &str) -> Option<FeeKind> {
        match value {
            "QUOTA_ANNUALE" => Some(FeeKind::QuotaAnnuale),
            "CONTRIBUTO_EVENTO" => Some(FeeKind::ContributoEvento),
            _ => None,
        }
    }
    pub fn label_it(self) -> &'static str {
        match self {
            FeeKind::QuotaAnnuale => "Quota annuale",
            FeeKind::ContributoEvento => "Contributo per evento",
        }
    }
}

/// The row of the tariff table that applies (docs/domain.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TariffCase {
    PrimoAnno,
    /// Gruppo B, later years.
    AnniSuccessivi,
    /// Gruppo A, later years, by events reported the previous year.
    FasciaFino30,
    Fascia31_60,
    Fascia61_90,
    Fascia91_120,
    FasciaOltre120,
    EventoResFsc {
        sponsored: bool,
    },
    EventoFad {
        sponsored: bool,
    },
}

impl TariffCase {
    pub fn as_db(self) -> &'static str {
        match self {
            TariffCase::PrimoAnno => "PRIMO_ANNO",
            TariffCase::AnniSuccessivi => "ANNI_SUCCESSIVI",
            TariffCase::FasciaFino30 => "FASCIA_FINO_30",
            TariffCase::Fascia31_60 => "FASCIA_31_60",
            TariffCase::Fascia61_90 => "FASCIA_61_90",
            TariffCase::Fascia91_120 => "FASCIA_91_120",
            TariffCase::FasciaOltre120 => "FASCIA_OLTRE_120",
            TariffCase::EventoResFsc { sponsored: true } => "EVENTO_RES_FSC",
            TariffCase::EventoResFsc { sponsored: false } => "EVENTO_RES_FSC_NON_SPONSORIZZATO",
            TariffCase::EventoFad { sponsored: true } => "EVENTO_FAD",
            TariffCase::EventoFad { sponsored: false } => "EVENTO_FAD_NON_SPONSORIZZATO",
        }
    }

    /// The Gruppo A band for the events reported the previous year.
    pub fn gruppo_a_band(events_previous_year: u32) -> TariffCase {
        match events_previous_year {
            0..=30 => TariffCase::FasciaFino30,
            31..=60 => TariffCase::Fascia31_60,
            61..=90 => TariffCase::Fascia61_90,
            91..=120 => TariffCase::Fascia91_120,
            _ => TariffCase::FasciaOltre120,
        }
    }
}

/// Debt states (GovPay model). SCADUTO is derived from the due date, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DebtState {
    DaPagare,
    InCorso,
    Pagato,
    Annullato,
}

impl DebtState {
    pub const ALL: [DebtState; 4] = [DebtState::DaPagare, DebtState::InCorso, DebtState::Pagato, DebtState::Annullato];

    pub fn as_db(self) -> &'static str {
        match self {
            DebtState::DaPagare => "DA_PAGARE",
            DebtState::InCorso => "IN_CORSO",
            DebtState::Pagato => "PAGATO",
            DebtState::Annullato => "ANNULLATO",
        }
    }
    pub fn from_db(value: &str) -> Option<DebtState> {
        DebtState::ALL.into_iter().find(|s| s.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            DebtState::DaPagare => "Da pagare",
            DebtState::InCorso => "Pagamento in corso",
            DebtState::Pagato => "Pagato",
            DebtState::Annullato => "Annullato",
        }
    }
    /// DA_PAGARE → IN_CORSO (an attempt claims it) → PAGATO (verified) or back to DA_PAGARE
    /// (the attempt failed, expired or was cancelled); the Segreteria can annul an unpaid debt.
    pub fn can_move_to(self, next: DebtState) -> bool {
        use DebtState::*;
        matches!(
            (self, next),
            (DaPagare, InCorso) | (InCorso, Pagato) | (InCorso, DaPagare) | (DaPagare, Annullato) | (DaPagare, Pagato)
        )
    }
}

/// How a PAGATO debt was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaidChannel {
    /// Online through MyPay (a cart) or a pagoPA notice: proved by MyPay's receipt.
    PagoPa,
    /// A treasury payment outside pagoPA: proved by a quietanza the Segreteria accepted.
    Quietanza,
}

impl PaidChannel {
    pub fn as_db(self) -> &'static str {
        match self {
            PaidChannel::PagoPa => "PAGOPA",
            PaidChannel::Quietanza => "QUIETANZA",
        }
    }
    pub fn from_db(value: &str) -> Option<PaidChannel> {
        [PaidChannel::PagoPa, PaidChannel::Quietanza].into_iter().find(|c| c.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            PaidChannel::PagoPa => "pagoPA (MyPay)",
            PaidChannel::Quietanza => "Bonifico di tesoreria (quietanza verificata)",
        }
    }
}

/// What a payment attempt is (docs/channels.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptKind {
    /// An online cart (`paaSILInviaDovuti`), paid now in the provider's browser.
    Carrello,
    /// A pagoPA notice (`paaSILImportaDovuto`) for one debt, paid later at any pagoPA channel.
    /// Its states: CREATA while the import's outcome is unknown, INVIATA once issued ("avviso
    /// emesso"), then PAGATA, ANNULLATA (cancelled in MyPay), ERRORE (refused) or ANOMALIA.
    Avviso,
}

impl AttemptKind {
    pub fn as_db(self) -> &'static str {
        match self {
            AttemptKind::Carrello => "CARRELLO",
            AttemptKind::Avviso => "AVVISO",
        }
    }
    pub fn from_db(value: &str) -> Option<AttemptKind> {
        [AttemptKind::Carrello, AttemptKind::Avviso].into_iter().find(|k| k.as_db() == value)
    }
    /// The state of an attempt of this kind, in Italian.
    pub fn label_it(self, state: AttemptState) -> String {
        match (self, state) {
            (AttemptKind::Carrello, state) => state.label_it().to_string(),
            (AttemptKind::Avviso, AttemptState::Creata) => "Avviso pagoPA in preparazione".into(),
            (AttemptKind::Avviso, AttemptState::Inviata | AttemptState::InAttesa) => {
                "Avviso pagoPA emesso, da pagare".into()
            }
            (AttemptKind::Avviso, AttemptState::Annullata) => "Avviso pagoPA annullato".into(),
            (AttemptKind::Avviso, state) => format!("Avviso pagoPA: {}", state.label_it().to_lowercase()),
        }
    }
}

/// States of a payment attempt (one MyPay cart or notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptState {
    /// Intent recorded, debts claimed; the cart is being sent or the send's outcome is unknown.
    Creata,
    /// MyPay accepted the cart (idSession known); the browser went to MyPay.
    Inviata,
    /// MyPay says the payment is not finished yet.
    InAttesa,
    /// Verified paid (`Pagati`, code 0, amounts matching).
    Pagata,
    /// MyPay's receipt says not paid (code 1 or 3).
    NonPagata,
    /// The cart expired in MyPay, or was never delivered to anyone.
    Scaduta,
    /// Cancelled in MyPay.
    Annullata,
    /// MyPay refused the cart: nothing was created there.
    Errore,
    /// Something that must never be resolved automatically (amount mismatch, partial payment,
    /// credentials refused, unknown session): the Segreteria must look.
    Anomalia,
}

impl AttemptState {
    pub const ALL: [AttemptState; 9] = [
        AttemptState::Creata,
        AttemptState::Inviata,
        AttemptState::InAttesa,
        AttemptState::Pagata,
        AttemptState::NonPagata,
        AttemptState::Scaduta,
        AttemptState::Annullata,
        AttemptState::Errore,
        AttemptState::Anomalia,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            AttemptState::Creata => "CREATA",
            AttemptState::Inviata => "INVIATA",
            AttemptState::InAttesa => "IN_ATTESA",
            AttemptState::Pagata => "PAGATA",
            AttemptState::NonPagata => "NON_PAGATA",
            AttemptState::Scaduta => "SCADUTA",
            AttemptState::Annullata => "ANNULLATA",
            AttemptState::Errore => "ERRORE",
            AttemptState::Anomalia => "ANOMALIA",
        }
    }
    pub fn from_db(value: &str) -> Option<AttemptState> {
        AttemptState::ALL.into_iter().find(|s| s.as_db() == value)
    }
    pub fn label_it(self) -> &'static str {
        match self {
            AttemptState::Creata => "In verifica",
            AttemptState::Inviata => "Inviato a pagoPA",
            AttemptState::InAttesa => "In attesa dell'esito",
            AttemptState::Pagata => "Pagato",
            AttemptState::NonPagata => "Non pagato",
            AttemptState::Scaduta => "Scaduto",
            AttemptState::Annullata => "Annullato",
            AttemptState::Errore => "Rifiutato da MyPay",
            AttemptState::Anomalia => "In verifica dalla Segreteria",
        }
    }
    /// Live: its debts are claimed (IN_CORSO) and MyPay may still be asked about it.
    pub fn is_open(self) -> bool {
        matches!(self, AttemptState::Creata | AttemptState::Inviata | AttemptState::InAttesa)
    }
    /// Closed with the debts released to DA_PAGARE: the provider may try again (fresh IUDs).
    pub fn can_retry(self) -> bool {
        matches!(self, AttemptState::NonPagata | AttemptState::Scaduta | AttemptState::Annullata | AttemptState::Errore)
    }
    /// The attempt machine. Open states move forward; failed ones may still learn of a late
    /// receipt (Checkout mode), which is either a payment or an anomaly.
    pub fn can_move_to(self, next: AttemptState) -> bool {
        use AttemptState::*;
        match (self, next) {
            // A send without an answer is resolved by asking MyPay by IUD: whatever MyPay knows.
            (Creata, Inviata | Errore | Scaduta | Anomalia | Pagata | NonPagata | Annullata) => true,
            (Inviata | InAttesa, InAttesa | Pagata | NonPagata | Scaduta | Annullata | Anomalia) => true,
            (NonPagata | Scaduta | Annullata, Pagata | Anomalia) => true,
            _ => false,
        }
    }
}

/// `€ 258,22`, `€ 3.000,00`: Italian formatting of integer cents.
pub fn format_euro(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{sign}€ {grouped},{:02}", abs % 100)
}

/// Splits debts into carts of at most [`MAX_DEBTS_PER_CART`], keeping their order.
pub fn split_into_carts<T: Clone>(debts: &[T]) -> Vec<Vec<T>> {
    debts.chunks(MAX_DEBTS_PER_CART).map(<[T]>::to_vec).collect()
}

/// The IUD of one debt in one attempt: `ECM-<debt short id>-<attempt short id>` (29 characters
/// for hex ids, never starting with `000`). Fresh for every attempt, because MyPay consumes an
/// IUD for ever once the cart is checked out.
pub fn iud_for(debt_id: &str, attempt_id: &str) -> String {
    let short = |id: &str| id.chars().filter(char::is_ascii_alphanumeric).take(12).collect::<String>();
    format!("ECM-{}-{}", short(debt_id), short(attempt_id))
}

/// `Quota annuale accreditamento provider ECM - anno 2026` (ASCII, ≤ 90 characters).
pub fn causale_quota_annuale(year: i32) -> String {
    format!("Quota annuale accreditamento provider ECM - anno {year}")
}

/// The payer's identifier type (`tipoIdentificativoUnivoco`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayerType {
    /// `F`: natural person, 16-character codice fiscale.
    F,
    /// `G`: legal person, partita IVA or 11-digit codice fiscale.
    G,
}

impl PayerType {
    pub fn code(self) -> &'static str {
        match self {
            PayerType::F => "F",
            PayerType::G => "G",
        }
    }
    pub fn label_it(self) -> &'static str {
        match self {
            PayerType::F => "persona fisica",
            PayerType::G => "persona giuridica",
        }
    }
}

/// Who pays, as derived from the provider: tipo G with the P.IVA if present, else the
/// 11-digit codice fiscale; tipo F with a 16-character codice fiscale.
pub fn payer_identity(codice_fiscale: &str, partita_iva: Option<&str>) -> (PayerType, String) {
    match partita_iva.map(str::trim).filter(|p| !p.is_empty()) {
        Some(piva) => (PayerType::G, piva.to_string()),
        None if codice_fiscale.trim().len() == 16 => (PayerType::F, codice_fiscale.trim().to_ascii_uppercase()),
        None => (PayerType::G, codice_fiscale.trim().to_string()),
    }
}

/// One debt as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtView {
    pub id: String,
    pub fee_kind: FeeKind,
    pub causale: String,
    pub amount_cents: i64,
    pub due_date: Option<String>,
    pub state: DebtState,
    pub iuv: Option<String>,
    pub iur: Option<String>,
    pub paid_at: Option<String>,
    /// How it was paid, once PAGATO.
    pub paid_channel: Option<PaidChannel>,
}

/// The payer box of the cart page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerView {
    pub name: String,
    pub kind: PayerType,
    pub id_code: String,
    pub email: String,
}

/// Everything the cart page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartPage {
    /// False when MyPay is not configured: payments are unavailable.
    pub available: bool,
    pub payer: PayerView,
    /// Debts to pay, split into carts of at most five; the first is paid first.
    pub carts: Vec<Vec<DebtView>>,
    /// Attempts still open (their debts cannot be paid again until they finish).
    pub open_attempts: Vec<AttemptSummary>,
    /// A fresh idempotency key for the "Paga con pagoPA" form.
    pub idempotency_key: String,
    /// The provider may also pay by treasury transfer (quietanza).
    pub treasury_channel: bool,
    /// Debts to pay (every cart's), to choose from for a pagoPA notice.
    pub due: Vec<DebtView>,
    /// Notices that hold a debt (being issued, issued, or being verified).
    pub notices: Vec<NoticeView>,
    /// A fresh idempotency key for the "Genera avviso" form.
    pub notice_key: String,
}

/// A pagoPA notice as the provider sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeView {
    pub attempt_id: String,
    pub state: AttemptState,
    /// `3` + IUV, once issued.
    pub notice_number: Option<String>,
    pub iuv: Option<String>,
    pub causale: String,
    pub amount_cents: i64,
    pub created_at: String,
}

impl NoticeView {
    pub fn pdf_url(&self) -> String {
        format!("/avvisi/{}/avviso.pdf", self.attempt_id)
    }
}

/// What a "Genera avviso" submission led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeAnswer {
    Issued { attempt_id: String },
    Preparing { attempt_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptSummary {
    pub id: String,
    pub state: AttemptState,
    pub id_session: Option<String>,
    pub total_cents: i64,
    pub created_at: String,
}

/// What a "Paga con pagoPA" submission led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayAnswer {
    /// Go to MyPay (the server also answers with a redirect).
    Redirect { attempt_id: String, url: String },
    /// MyPay did not answer in time: the outcome is unknown, the attempt stays open and is
    /// verified later. Nothing is paid twice.
    Verifying { attempt_id: String },
    /// This key was already used and its attempt is closed.
    Closed { attempt_id: String, state: AttemptState },
}

/// One attempt line as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AttemptDebtView {
    pub debt_id: String,
    pub iud: String,
    pub causale: String,
    pub fee_kind: FeeKind,
    pub amount_cents: i64,
    pub iur: Option<String>,
    pub debt_state: DebtState,
}

/// A payment attempt with its debts (payments page, return page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub id: String,
    /// An online cart, or a pagoPA notice to pay later.
    pub kind: AttemptKind,
    pub state: AttemptState,
    pub id_session: Option<String>,
    pub esito_ritorno: Option<String>,
    pub total_cents: i64,
    pub iuv: Option<String>,
    pub receipt_available: bool,
    pub receipt_date: Option<String>,
    pub last_check_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub debts: Vec<AttemptDebtView>,
    /// A notice's number (`3` + IUV), once MyPay issued it.
    pub notice_number: Option<String>,
}

impl AttemptView {
    pub fn receipt_url(&self) -> String {
        format!("/api/payments/{}/ricevuta", self.id)
    }
    /// The state in Italian (a notice says so).
    pub fn label_it(&self) -> String {
        self.kind.label_it(self.state)
    }
}

/// The provider's payment position (home page and stepper).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSummary {
    pub available: bool,
    /// Debts of the current request, any state except ANNULLATO.
    pub request_debts: Vec<DebtView>,
    /// True when the request owes nothing more (no debts, or all PAGATO).
    pub request_paid: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_formatted_the_italian_way() {
        assert_eq!(format_euro(25822), "€ 258,22");
        assert_eq!(format_euro(0), "€ 0,00");
        assert_eq!(format_euro(5), "€ 0,05");
        assert_eq!(format_euro(300000), "€ 3.000,00");
        assert_eq!(format_euro(1300000), "€ 13.000,00");
        assert_eq!(format_euro(99999999999), "€ 999.999.999,99");
        assert_eq!(format_euro(-17215), "-€ 172,15");
    }

    #[test]
    fn six_debts_make_a_cart_of_five_and_a_cart_of_one() {
        let debts: Vec<u32> = (1..=6).collect();
        let carts = split_into_carts(&debts);
        assert_eq!(carts, vec![vec![1, 2, 3, 4, 5], vec![6]]);
        assert_eq!(split_into_carts(&debts[..5]).len(), 1);
        assert!(split_into_carts::<u32>(&[]).is_empty());
        assert_eq!(
            split_into_carts(&(1..=11).collect::<Vec<u32>>()).iter().map(Vec::len).collect::<Vec<_>>(),
            vec![5, 5, 1]
        );
    }

    #[test]
    fn iuds_are_short_fresh_per_attempt_and_never_start_with_zeros() {
        let debt = "000a1b2c3d4e5f60718293a4b5c6d7e8";
        let a = iud_for(debt, "9f8e7d6c5b4a39281706f5e4d3c2b1a0");
        let b = iud_for(debt, "1234567890abcdef1234567890abcdef");
        assert_eq!(a, "ECM-000a1b2c3d4e-9f8e7d6c5b4a");
        assert!(a.len() <= 35 && !a.starts_with("000"));
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn causale_is_ascii_and_short() {
        let causale = causale_quota_annuale(2026);
        assert_eq!(causale, "Quota annuale accreditamento provider ECM - anno 2026");
        assert!(causale.is_ascii() && causale.len() <= 90);
    }

    #[test]
    fn payer_is_g_with_piva_else_cf_and_f_for_a_person() {
        assert_eq!(payer_identity("80007580279", Some("01234567897")), (PayerType::G, "01234567897".into()));
        assert_eq!(payer_identity("80007580279", Some("  ")), (PayerType::G, "80007580279".into()));
        assert_eq!(payer_identity("rssmra80a01h501u", None), (PayerType::F, "RSSMRA80A01H501U".into()));
    }

    #[test]
    fn states_round_trip_and_follow_the_machines() {
        for s in AttemptState::ALL {
            assert_eq!(AttemptState::from_db(s.as_db()), Some(s));
        }
        for s in DebtState::ALL {
            assert_eq!(DebtState::from_db(s.as_db()), Some(s));
        }
        use AttemptState::*;
        assert!(Creata.can_move_to(Inviata));
        assert!(Inviata.can_move_to(Pagata));
        assert!(Scaduta.can_move_to(Pagata), "a late receipt is still a payment");
        assert!(!Pagata.can_move_to(NonPagata), "a verified payment is final");
        assert!(!Errore.can_move_to(Pagata), "a refused cart was never created in MyPay");
        assert!(!Anomalia.can_move_to(Pagata), "anomalies are resolved by the Segreteria");
        assert!(!DebtState::Pagato.can_move_to(DebtState::DaPagare));
        assert!(!DebtState::InCorso.can_move_to(DebtState::Annullato));
        assert_eq!(TariffCase::gruppo_a_band(30), TariffCase::FasciaFino30);
        assert_eq!(TariffCase::gruppo_a_band(31), TariffCase::Fascia31_60);
        assert_eq!(TariffCase::gruppo_a_band(121), TariffCase::FasciaOltre120);
    }
}

/// How the background reconciler works: one value, built from the settings at start-up and
/// kept in `AppState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcilerConfig {
    /// `ECM_RECONCILER_INTERVAL_SECONDS` (default 10): how often a pass starts.
    pub interval: Duration,
    /// `ECM_RECONCILER_BACKOFF_MIN_SECONDS` (default 10): wait after the first check of an attempt.
    pub backoff_min: Duration,
    /// `ECM_RECONCILER_BACKOFF_MAX_SECONDS` (default 300): the longest wait between two checks.
    pub backoff_max: Duration,
    /// `ECM_RECONCILER_CONCURRENCY` (default 4): attempts checked at once.
    pub concurrency: usize,
    /// `ECM_RECONCILER_RATE_PER_SECOND` (default 5): calls per second towards MyPay.
    pub rate_per_second: u32,
    /// `ECM_RECONCILER_LEASE_SECONDS` (default 120): how long a claim on an attempt lasts.
    pub lease: Duration,
    /// `ECM_RECONCILER_LATE_RECEIPT_HOURS` (default 48): how long after its creation an attempt
    /// closed without payment is still asked about (late receipts).
    pub late_receipt_window: Duration,
    /// How often such a closed attempt is asked about (30 minutes; not a setting).
    pub late_receipt_interval: Duration,
    /// An open attempt about which MyPay has given no usable answer for this long becomes an
    /// ANOMALIA for the Segreteria (24 hours; not a setting).
    pub fault_anomaly_after: Duration,
    /// `ECM_VERIFY_MIN_INTERVAL_SECONDS` (default 3): a provider's verification (the return
    /// page, «Verifica») asks MyPay about an attempt at most once in this interval; within it
    /// the answer is the recorded state.
    pub verify_min_interval: Duration,
}

impl ReconcilerConfig {
    /// The wait before the next check of an attempt already checked `checks` times: the
    /// minimum doubled once per check after the first, never more than the maximum.
    pub fn backoff(&self, checks: i64) -> std::time::Duration {
        crate::domain::doubling_backoff(self.backoff_min, self.backoff_max, checks)
    }
}

impl Default for ReconcilerConfig {
    fn default() -> Self {
        ReconcilerConfig {
            interval: Duration::from_secs(10),
            backoff_min: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            concurrency: 4,
            rate_per_second: 5,
            lease: Duration::from_secs(120),
            late_receipt_window: Duration::from_secs(48 * 3600),
            late_receipt_interval: Duration::from_secs(30 * 60),
            fault_anomaly_after: Duration::from_secs(24 * 3600),
            verify_min_interval: Duration::from_secs(3),
        }
    }
}
