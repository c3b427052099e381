//! Debts (dovuti) and their audit trail (`debt_events`): the one writer of the debt machine.
//!
//! Every change of a debt goes through [`insert`], [`set_state`] (which checks
//! `DebtState::can_move_to`), [`extend_due`] or [`reprice`], each appending a `debt_events`
//! row in the caller's transaction. Nothing else in the code base updates `debts`.

use sqlx::FromRow;

use super::{StoreError, Tx};
use crate::db::{new_id, now_utc, Db};
use crate::debts::model::{AnnulledDebtView, DebtQueue};
use crate::payments::model::{DebtState, FeeKind, PaidChannel};

/// A debt of a provider (the ledger's entity).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Debt {
    pub id: String,
    pub provider_id: String,
    /// The accreditation request it belongs to (the first-year quota), if any.
    pub request_id: Option<String>,
    /// The training event it belongs to (the per-event contribution), if any.
    pub event_id: Option<String>,
    pub fee_kind: FeeKind,
    pub tariff_id: Option<String>,
    pub causale: String,
    pub amount_cents: i64,
    /// `YYYY-MM-DD`; `None` for the first-year quota, due before the request can be sent.
    pub due_date: Option<String>,
    /// The year an annual quota is for.
    pub reference_year: Option<i32>,
    pub state: DebtState,
    pub paid_at: Option<String>,
    pub iuv: Option<String>,
    pub iur: Option<String>,
    pub paid_attempt_id: Option<String>,
    /// How it was paid, once PAGATO.
    pub paid_channel: Option<PaidChannel>,
    /// The accepted quietanza, for a treasury payment.
    pub paid_quietanza_id: Option<String>,
    pub annulled_at: Option<String>,
    pub annulled_by: Option<String>,
    pub annulled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, provider_id, request_id, event_id, fee_kind, tariff_id, causale, amount_cents, due_date, \
    reference_year, state, paid_at, iuv, iur, paid_attempt_id, paid_channel, paid_quietanza_id, annulled_at, annulled_by, annulled_reason, created_at, updated_at";

// ---- reading ----------------------------------------------------------------------------------

pub async fn by_id(db: &Db, debt_id: &str) -> Result<Option<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE id = $1");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql)).bind(debt_id).fetch_optional(db.pool()).await?)
}

/// The debt as it is inside `tx` (a write transaction sees its own changes and holds the lock).
pub async fn by_id_in(tx: &mut Tx, debt_id: &str) -> Result<Option<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE id = $1");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql)).bind(debt_id).fetch_optional(&mut **tx).await?)
}

/// The debts of a request (annulled ones included), oldest first.
pub async fn of_request(db: &Db, request_id: &str) -> Result<Vec<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE request_id = $1 ORDER BY created_at, id");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_all(db.pool()).await?)
}

/// [`of_request`] inside a transaction.
pub async fn of_request_in(tx: &mut Tx, request_id: &str) -> Result<Vec<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE request_id = $1 ORDER BY created_at, id");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_all(&mut **tx).await?)
}

/// Every debt of a provider, oldest first.
pub async fn of_provider(db: &Db, provider_id: &str) -> Result<Vec<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE provider_id = $1 ORDER BY created_at, id");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql)).bind(provider_id).fetch_all(db.pool()).await?)
}

/// A provider's debts in one state, oldest first.
pub async fn of_provider_in_state(db: &Db, provider_id: &str, state: DebtState) -> Result<Vec<Debt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM debts WHERE provider_id = $1 AND state = $2 ORDER BY created_at, id");
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .bind(state.as_db())
        .fetch_all(db.pool())
        .await?)
}

/// Whether the provider has an annual quota for `year` (any state).
pub async fn has_annual_quota(db: &Db, provider_id: &str, year: i32) -> Result<bool, StoreError> {
    Ok(sqlx::query("SELECT 1 AS one FROM debts WHERE provider_id = $1 AND fee_kind = $2 AND reference_year = $3")
        .bind(provider_id)
        .bind(FeeKind::QuotaAnnuale.as_db())
        .bind(i64::from(year))
        .fetch_optional(db.pool())
        .await?
        .is_some())
}

/// One line of a debt's history.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DebtEvent {
    pub at: String,
    pub actor: String,
    pub kind: DebtEventKind,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebtEventKind {
    Created,
    State,
    DueDate,
    Amount,
}

impl DebtEventKind {
    pub fn as_db(self) -> &'static str {
        match self {
            DebtEventKind::Created => "CREATO",
            DebtEventKind::State => "STATO",
            DebtEventKind::DueDate => "PROROGA",
            DebtEventKind::Amount => "IMPORTO",
        }
    }
    pub fn from_db(value: &str) -> Option<DebtEventKind> {
        [DebtEventKind::Created, DebtEventKind::State, DebtEventKind::DueDate, DebtEventKind::Amount]
            .into_iter()
            .find(|k| k.as_db() == value)
    }
}

/// The history of a debt, oldest first; `actor` is the user's display name when it is a user.
pub async fn events(db: &Db, debt_id: &str) -> Result<Vec<DebtEvent>, StoreError> {
    Ok(sqlx::query_as::<_, DebtEvent>(
        "SELECT e.at, COALESCE(u.display_name, e.actor) AS actor, e.kind, e.from_value, e.to_value, e.reason
         FROM debt_events e LEFT JOIN users u ON u.id = e.actor WHERE e.debt_id = $1 ORDER BY e.at, e.id",
    )
    .bind(debt_id)
    .fetch_all(db.pool())
    .await?)
}

// ---- the writer -------------------------------------------------------------------------------

async fn record(
    tx: &mut Tx,
    debt_id: &str,
    actor: &str,
    kind: DebtEventKind,
    from: Option<&str>,
    to: Option<&str>,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO debt_events (id, debt_id, at, actor, kind, from_value, to_value, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(new_id())
        .bind(debt_id)
        .bind(now_utc())
        .bind(actor)
        .bind(kind.as_db())
        .bind(from)
        .bind(to)
        .bind(reason)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What a new debt is.
#[derive(Debug, Clone)]
pub struct NewDebt<'a> {
    pub provider_id: &'a str,
    pub request_id: Option<&'a str>,
    pub event_id: Option<&'a str>,
    pub fee_kind: FeeKind,
    pub tariff_id: Option<&'a str>,
    pub causale: &'a str,
    pub amount_cents: i64,
    pub due_date: Option<&'a str>,
    pub reference_year: Option<i32>,
}

/// Creates a debt (DA_PAGARE) with its CREATO event. `None` when the same debt already exists
/// (a live first-year quota of the request, the event's contribution, the year's quota): the
/// unique indexes decide, so concurrent callers create it once.
pub async fn insert(tx: &mut Tx, debt: &NewDebt<'_>, actor: &str, reason: &str) -> Result<Option<String>, StoreError> {
    let id = new_id();
    let now = now_utc();
    let inserted = sqlx::query(
        "INSERT INTO debts (id, provider_id, request_id, event_id, fee_kind, tariff_id, causale, amount_cents, due_date,
                            reference_year, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(debt.provider_id)
    .bind(debt.request_id)
    .bind(debt.event_id)
    .bind(debt.fee_kind.as_db())
    .bind(debt.tariff_id)
    .bind(debt.causale)
    .bind(debt.amount_cents)
    .bind(debt.due_date)
    .bind(debt.reference_year.map(i64::from))
    .bind(DebtState::DaPagare.as_db())
    .bind(&now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let amount = debt.amount_cents.to_string();
    record(tx, &id, actor, DebtEventKind::Created, None, Some(&amount), Some(reason)).await?;
    Ok(Some(id))
}

/// What a state change carries besides the state.
#[derive(Debug, Clone)]
pub enum Change<'a> {
    /// DA_PAGARE → IN_CORSO: a payment attempt claims it.
    Claim,
    /// IN_CORSO → DA_PAGARE: the attempt ended without payment.
    GiveBack,
    /// → PAGATO, verified by `attempt_id` (pagoPA: IUV, IUR, date).
    Pay { attempt_id: &'a str, iuv: &'a str, iur: &'a str, paid_at: &'a str },
    /// IN_CORSO → PAGATO outside pagoPA: the Segreteria accepted `quietanza_id` (a treasury
    /// payment; `paid_at` is its value date).
    PayByQuietanza { quietanza_id: &'a str, paid_at: &'a str },
    /// DA_PAGARE → ANNULLATO, by the Segreteria (`by` a user id) or the system (`by` None).
    Annul { by: Option<&'a str> },
}

impl Change<'_> {
    fn target(&self) -> DebtState {
        match self {
            Change::Claim => DebtState::InCorso,
            Change::GiveBack => DebtState::DaPagare,
            Change::Pay { .. } | Change::PayByQuietanza { .. } => DebtState::Pagato,
            Change::Annul { .. } => DebtState::Annullato,
        }
    }
}

/// The one state change of the debt machine: `from` → the change's state, checked against
/// `DebtState::can_move_to`, as a compare-and-set on `from`, with its STATO event. A debt not in
/// `from` (someone moved it first) is a [`StoreError::Conflict`] and nothing is written.
pub async fn set_state(
    tx: &mut Tx,
    debt_id: &str,
    from: DebtState,
    change: Change<'_>,
    actor: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let to = change.target();
    if !from.can_move_to(to) {
        return Err(StoreError::Transition { machine: "debt", from: from.as_db(), to: to.as_db() });
    }
    let now = now_utc();
    let moved = match &change {
        Change::Claim | Change::GiveBack => {
            sqlx::query("UPDATE debts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
                .bind(to.as_db())
                .bind(&now)
                .bind(debt_id)
                .bind(from.as_db())
                .execute(&mut **tx)
                .await?
        }
        Change::Pay { attempt_id, iuv, iur, paid_at } => {
            sqlx::query(
                "UPDATE debts SET state = $1, paid_at = $2, iuv = $3, iur = $4, paid_attempt_id = $5, updated_at = $6,
                                  paid_channel = 'PAGOPA'
                 WHERE id = $7 AND state = $8",
            )
            .bind(to.as_db())
            .bind(*paid_at)
            .bind(*iuv)
            .bind(*iur)
            .bind(*attempt_id)
            .bind(&now)
            .bind(debt_id)
            .bind(from.as_db())
            .execute(&mut **tx)
            .await?
        }
        Change::PayByQuietanza { quietanza_id, paid_at } => {
            sqlx::query(
                "UPDATE debts SET state = $1, paid_at = $2, paid_quietanza_id = $3, paid_channel = 'QUIETANZA', updated_at = $4
                 WHERE id = $5 AND state = $6",
            )
            .bind(to.as_db())
            .bind(*paid_at)
            .bind(*quietanza_id)
            .bind(&now)
            .bind(debt_id)
            .bind(from.as_db())
            .execute(&mut **tx)
            .await?
        }
        Change::Annul { by } => {
            sqlx::query(
                "UPDATE debts SET state = $1, annulled_at = $2, annulled_by = $3, annulled_reason = $4, updated_at = $2
                 WHERE id = $5 AND state = $6",
            )
            .bind(to.as_db())
            .bind(&now)
            .bind(*by)
            .bind(reason)
            .bind(debt_id)
            .bind(from.as_db())
            .execute(&mut **tx)
            .await?
        }
    }
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("debt state changed meanwhile"));
    }
    record(tx, debt_id, actor, DebtEventKind::State, Some(from.as_db()), Some(to.as_db()), Some(reason)).await?;
    Ok(())
}

/// A new due date (proroga) for a debt still to pay, with its PROROGA event.
pub async fn extend_due(tx: &mut Tx, debt: &Debt, new_due: &str, actor: &str, reason: &str) -> Result<(), StoreError> {
    let moved =
        sqlx::query("UPDATE debts SET due_date = $1, updated_at = $2 WHERE id = $3 AND state = $4 AND due_date = $5")
            .bind(new_due)
            .bind(now_utc())
            .bind(&debt.id)
            .bind(debt.state.as_db())
            .bind(debt.due_date.as_deref())
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("debt changed meanwhile"));
    }
    record(tx, &debt.id, actor, DebtEventKind::DueDate, debt.due_date.as_deref(), Some(new_due), Some(reason)).await
}

/// A corrected amount for a debt still to pay (DA_PAGARE), with its IMPORTO event.
pub async fn reprice(
    tx: &mut Tx,
    debt: &Debt,
    tariff_id: &str,
    amount_cents: i64,
    actor: &str,
    reason: &str,
) -> Result<(), StoreError> {
    if debt.state != DebtState::DaPagare {
        return Err(StoreError::Transition {
            machine: "debt amount",
            from: debt.state.as_db(),
            to: debt.state.as_db(),
        });
    }
    let moved = sqlx::query(
        "UPDATE debts SET amount_cents = $1, tariff_id = $2, updated_at = $3 WHERE id = $4 AND state = $5 AND amount_cents = $6",
    )
    .bind(amount_cents)
    .bind(tariff_id)
    .bind(now_utc())
    .bind(&debt.id)
    .bind(DebtState::DaPagare.as_db())
    .bind(debt.amount_cents)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(StoreError::Conflict("debt changed meanwhile"));
    }
    let (old, new) = (debt.amount_cents.to_string(), amount_cents.to_string());
    record(tx, &debt.id, actor, DebtEventKind::Amount, Some(&old), Some(&new), Some(reason)).await
}

// ---- the Segreteria's console -----------------------------------------------------------------

/// A console query: the queue, optional fee kind and year (of the due date, or of creation for
/// a debt without one), a search on provider name, codes and causale, and the page.
#[derive(Debug, Clone)]
pub struct ConsoleQuery<'a> {
    pub queue: DebtQueue,
    pub fee_kind: Option<FeeKind>,
    pub year: Option<i32>,
    pub search: &'a str,
    pub page: i64,
    pub page_size: i64,
    /// `YYYY-MM-DD`: what "overdue" is measured against.
    pub today: &'a str,
}

/// One console line: the debt and its provider.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ConsoleLine {
    #[sqlx(flatten)]
    pub debt: Debt,
    pub provider: String,
    pub codice_fiscale: String,
}

/// Overdue: still to pay, with a due date before the day bound at `$n`.
fn overdue(n: &str) -> String {
    format!("d.state = 'DA_PAGARE' AND d.due_date IS NOT NULL AND d.due_date < {n}")
}

/// A page of the console and the number of debts matching the query. Only `$n` placeholders
/// carry values; the SQL text is fixed fragments.
pub async fn console(db: &Db, q: &ConsoleQuery<'_>) -> Result<(Vec<ConsoleLine>, i64), StoreError> {
    let mut filter = super::paged::Filter::new();
    match q.queue {
        DebtQueue::All => {}
        DebtQueue::State(state) => {
            let n = filter.bind(state.as_db());
            filter.and(&format!("d.state = {n}"));
        }
        DebtQueue::Overdue => {
            let n = filter.bind(q.today);
            filter.and(&overdue(&n));
        }
        DebtQueue::Quietanze => {
            filter.and("EXISTS (SELECT 1 FROM quietanze q WHERE q.debt_id = d.id AND q.state = 'IN_VERIFICA')");
        }
    }
    if let Some(fee) = q.fee_kind {
        let n = filter.bind(fee.as_db());
        filter.and(&format!("d.fee_kind = {n}"));
    }
    if let Some(year) = q.year {
        let n = filter.bind(format!("{year:04}"));
        filter.and(&format!("SUBSTR(COALESCE(d.due_date, d.created_at), 1, 4) = {n}"));
    }
    filter.search(q.search, &["p.denominazione", "p.codice_fiscale", "p.partita_iva", "d.causale"]);
    let order = match q.queue {
        DebtQueue::Overdue => "d.due_date, d.created_at, d.id",
        DebtQueue::Quietanze => "d.updated_at, d.id",
        _ => "d.created_at DESC, d.id",
    };
    let columns = COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
    super::paged::fetch_page::<ConsoleLine>(
        db,
        &format!("{columns}, p.denominazione AS provider, p.codice_fiscale"),
        "FROM debts d JOIN providers p ON p.id = d.provider_id",
        &filter,
        order,
        q.page,
        q.page_size,
    )
    .await
}

/// How many debts each state holds, and how many are overdue (for the console's tabs).
pub async fn counts(db: &Db, today: &str) -> Result<(Vec<(DebtState, i64)>, i64), StoreError> {
    let mut by_state = Vec::new();
    for state in DebtState::ALL {
        let n = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM debts WHERE state = $1")
            .bind(state.as_db())
            .fetch_one(db.pool())
            .await?;
        by_state.push((state, n));
    }
    let overdue = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM debts d WHERE {}",
        overdue("$1")
    )))
    .bind(today)
    .fetch_one(db.pool())
    .await?;
    Ok((by_state, overdue))
}

/// One console line by debt id.
pub async fn console_line(db: &Db, debt_id: &str) -> Result<Option<ConsoleLine>, StoreError> {
    let columns = COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns}, p.denominazione AS provider, p.codice_fiscale FROM debts d JOIN providers p ON p.id = d.provider_id WHERE d.id = $1"
    );
    Ok(sqlx::query_as::<_, ConsoleLine>(sqlx::AssertSqlSafe(sql)).bind(debt_id).fetch_optional(db.pool()).await?)
}

// ---- the statement of account (estratto conto) ------------------------------------------------

#[derive(FromRow)]
struct StatementRow {
    #[sqlx(flatten)]
    debt: Debt,
    has_receipt: i64,
}

/// Every debt of a provider for its statement, in order of due date (or creation), each with
/// whether the receipt of the attempt that paid it is stored.
pub async fn statement(db: &Db, provider_id: &str) -> Result<Vec<(Debt, bool)>, StoreError> {
    let columns = COLUMNS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {columns}, CASE WHEN a.receipt IS NULL THEN 0 ELSE 1 END AS has_receipt
         FROM debts d LEFT JOIN payment_attempts a ON a.id = d.paid_attempt_id
         WHERE d.provider_id = $1 ORDER BY COALESCE(d.due_date, SUBSTR(d.created_at, 1, 10)), d.created_at, d.id"
    );
    sqlx::query_as::<_, StatementRow>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|r| Ok((r.debt, r.has_receipt == 1)))
        .collect()
}

#[derive(FromRow)]
struct ExtensionRow {
    debt_id: String,
    #[sqlx(flatten)]
    event: DebtEvent,
}

/// The due-date extensions (proroghe) of a provider's debts, oldest first: (debt id, event).
pub async fn extensions(db: &Db, provider_id: &str) -> Result<Vec<(String, DebtEvent)>, StoreError> {
    Ok(sqlx::query_as::<_, ExtensionRow>(
        "SELECT e.debt_id, e.at, '' AS actor, e.kind, e.from_value, e.to_value, e.reason FROM debt_events e JOIN debts d ON d.id = e.debt_id
         WHERE d.provider_id = $1 AND e.kind = $2 ORDER BY e.at, e.id",
    )
    .bind(provider_id)
    .bind(DebtEventKind::DueDate.as_db())
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|r| (r.debt_id, r.event))
    .collect())
}

// ---- annulments by the Segreteria -------------------------------------------------------------

const ANNULLED_SELECT: &str =
    "SELECT d.id, d.fee_kind, d.causale, d.amount_cents, d.annulled_at, d.annulled_reason AS reason,
        COALESCE(u.display_name, d.annulled_by, 'Portale (ricalcolo automatico dei contributi)') AS annulled_by
     FROM debts d LEFT JOIN users u ON u.id = d.annulled_by";

/// Debts of a provider annulled by the Segreteria (not the automatic ones), newest first.
pub async fn annulled_of_provider(db: &Db, provider_id: &str) -> Result<Vec<AnnulledDebtView>, StoreError> {
    let sql = format!(
        "{ANNULLED_SELECT} WHERE d.provider_id = $1 AND d.state = 'ANNULLATO' AND d.annulled_at IS NOT NULL
         ORDER BY d.annulled_at DESC, d.id"
    );
    Ok(sqlx::query_as::<_, AnnulledDebtView>(sqlx::AssertSqlSafe(sql)).bind(provider_id).fetch_all(db.pool()).await?)
}

/// The annulment of one debt, if the Segreteria annulled it.
pub async fn annulment_of(db: &Db, debt_id: &str) -> Result<Option<AnnulledDebtView>, StoreError> {
    let sql = format!("{ANNULLED_SELECT} WHERE d.id = $1 AND d.state = 'ANNULLATO' AND d.annulled_at IS NOT NULL");
    Ok(sqlx::query_as::<_, AnnulledDebtView>(sqlx::AssertSqlSafe(sql)).bind(debt_id).fetch_optional(db.pool()).await?)
}

// ---- the later-year annual quotas -------------------------------------------------------------

/// The later-year annual quotas of a provider (those with a reference year), newest year first.
pub async fn annual_quotas(db: &Db, provider_id: &str) -> Result<Vec<Debt>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM debts WHERE provider_id = $1 AND fee_kind = $2 AND reference_year IS NOT NULL ORDER BY reference_year DESC"
    );
    Ok(sqlx::query_as::<_, Debt>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .bind(FeeKind::QuotaAnnuale.as_db())
        .fetch_all(db.pool())
        .await?)
}
