//! Payment attempts (carts sent to MyPay), their lines (`attempt_debts`) and their audit trail
//! (`payment_events`): the one writer of the attempt machine.
//!
//! The state of an attempt changes only through [`transition`] (or [`transition_now`], the same
//! in a transaction of its own), which checks [`allowed`] (`AttemptState::can_move_to`, plus the
//! Segreteria's re-check of an anomaly), compares-and-sets the state and appends the
//! `payment_events` row in the same transaction. The other writers here touch the attempt's
//! bookkeeping (MyPay's answers, the receipt, the reconciler's leases), never its state.

use sqlx::FromRow;

use super::{decode, StoreError, Tx};
use crate::db::{new_id, now_utc, Backend, Db};
use crate::payments::model::{AttemptDebtView, AttemptKind, AttemptState, AttemptView};
use crate::segreteria::payments::model::{PaymentEventView, PaymentRow};

// ---- reading ----------------------------------------------------------------------------------

/// An attempt and the provider it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub provider_id: String,
    pub view: AttemptView,
}

#[derive(FromRow)]
struct AttemptRow {
    id: String,
    provider_id: String,
    kind: String,
    state: String,
    notice_number: Option<String>,
    id_session: Option<String>,
    esito_ritorno: Option<String>,
    total_cents: i64,
    iuv: Option<String>,
    has_receipt: i64,
    receipt_date: Option<String>,
    last_check_at: Option<String>,
    created_at: String,
    updated_at: String,
}

const COLUMNS: &str = "id, provider_id, kind, state, notice_number, id_session, esito_ritorno, total_cents, iuv, \
    CASE WHEN receipt IS NULL THEN 0 ELSE 1 END AS has_receipt, receipt_date, last_check_at, created_at, updated_at";

/// The lines of an attempt (its debts, with the debts' current state), in the debts' order.
pub async fn lines(db: &Db, attempt_id: &str) -> Result<Vec<AttemptDebtView>, StoreError> {
    Ok(sqlx::query_as::<_, AttemptDebtView>(
        "SELECT ad.debt_id, ad.iud, ad.causale, ad.amount_cents, ad.iur, d.fee_kind, d.state AS debt_state
         FROM attempt_debts ad JOIN debts d ON d.id = ad.debt_id
         WHERE ad.attempt_id = $1 ORDER BY d.created_at, d.id",
    )
    .bind(attempt_id)
    .fetch_all(db.pool())
    .await?)
}

async fn attempt(db: &Db, r: AttemptRow) -> Result<Attempt, StoreError> {
    Ok(Attempt {
        provider_id: r.provider_id,
        view: AttemptView {
            kind: decode(&r.kind, "attempt kind", AttemptKind::from_db)?,
            state: decode(&r.state, "attempt state", AttemptState::from_db)?,
            notice_number: r.notice_number,
            id_session: r.id_session,
            esito_ritorno: r.esito_ritorno,
            total_cents: r.total_cents,
            iuv: r.iuv,
            receipt_available: r.has_receipt == 1,
            receipt_date: r.receipt_date,
            last_check_at: r.last_check_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            debts: lines(db, &r.id).await?,
            id: r.id,
        },
    })
}

async fn attempt_where(db: &Db, column: &str, value: &str) -> Result<Option<Attempt>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM payment_attempts WHERE {column} = $1");
    match sqlx::query_as::<_, AttemptRow>(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(db.pool()).await? {
        Some(row) => attempt(db, row).await.map(Some),
        None => Ok(None),
    }
}

/// One attempt by id.
pub async fn by_id(db: &Db, attempt_id: &str) -> Result<Option<Attempt>, StoreError> {
    attempt_where(db, "id", attempt_id).await
}

/// The attempt of a MyPay session.
pub async fn by_session(db: &Db, id_session: &str) -> Result<Option<Attempt>, StoreError> {
    attempt_where(db, "id_session", id_session).await
}

/// Every attempt of a provider, newest first.
pub async fn of_provider(db: &Db, provider_id: &str) -> Result<Vec<AttemptView>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM payment_attempts WHERE provider_id = $1 ORDER BY created_at DESC, id");
    let rows = sqlx::query_as::<_, AttemptRow>(sqlx::AssertSqlSafe(sql)).bind(provider_id).fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(attempt(db, row).await?.view);
    }
    Ok(out)
}

/// One attempt that carried a debt: a cart or a pagoPA notice.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AttemptOfDebt {
    pub id: String,
    pub kind: AttemptKind,
    pub state: AttemptState,
    pub created_at: String,
}

/// The attempts that carried a debt, newest first.
pub async fn of_debt(db: &Db, debt_id: &str) -> Result<Vec<AttemptOfDebt>, StoreError> {
    Ok(sqlx::query_as::<_, AttemptOfDebt>(
        "SELECT a.id, a.kind, a.state, a.created_at FROM attempt_debts ad JOIN payment_attempts a ON a.id = ad.attempt_id
         WHERE ad.debt_id = $1 ORDER BY a.created_at DESC, a.id",
    )
    .bind(debt_id)
    .fetch_all(db.pool())
    .await?)
}

/// What an idempotency key's attempt holds for a replay.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Keyed {
    pub id: String,
    pub provider_id: String,
    pub state: AttemptState,
    pub redirect_url: Option<String>,
    pub last_outcome: Option<String>,
}

/// The attempt that claimed an idempotency key.
pub async fn by_key(db: &Db, key: &str) -> Result<Option<Keyed>, StoreError> {
    Ok(sqlx::query_as::<_, Keyed>(
        "SELECT id, provider_id, state, redirect_url, last_outcome FROM payment_attempts WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(db.pool())
    .await?)
}

/// The stored receipt (RT) of an attempt.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Receipt {
    pub provider_id: String,
    pub iuv: Option<String>,
    /// `None` while MyPay has not given it.
    pub receipt: Option<Vec<u8>>,
}

pub async fn receipt(db: &Db, attempt_id: &str) -> Result<Option<Receipt>, StoreError> {
    Ok(sqlx::query_as::<_, Receipt>("SELECT provider_id, iuv, receipt FROM payment_attempts WHERE id = $1")
        .bind(attempt_id)
        .fetch_optional(db.pool())
        .await?)
}

/// The PSP named by the attempt's verified receipt, if any.
pub async fn psp(db: &Db, attempt_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT psp FROM payment_attempts WHERE id = $1")
        .bind(attempt_id)
        .fetch_optional(db.pool())
        .await?
        .flatten())
}

#[derive(FromRow)]
struct SessionRow {
    id_session: Option<String>,
}

/// A PAGATA attempt still without its receipt: `Some(its idSession, if any)`; otherwise `None`.
pub async fn paid_without_receipt(db: &Db, attempt_id: &str) -> Result<Option<Option<String>>, StoreError> {
    Ok(sqlx::query_as::<_, SessionRow>(
        "SELECT id_session FROM payment_attempts WHERE id = $1 AND state = 'PAGATA' AND receipt IS NULL",
    )
    .bind(attempt_id)
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.id_session))
}

/// Where the checks of an attempt stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStatus {
    pub state: AttemptState,
    /// How many times MyPay was asked.
    pub check_count: i64,
    /// The label of MyPay's last answer.
    pub last_outcome: Option<String>,
    /// Since when MyPay gave no usable answer, if it gives none now.
    pub unanswered_since: Option<String>,
}

#[derive(FromRow)]
struct CheckStatusRow {
    state: String,
    check_count: i64,
    last_outcome: Option<String>,
    unanswered_since: Option<String>,
}

/// The check bookkeeping of an attempt (which must exist).
pub async fn check_status(db: &Db, attempt_id: &str) -> Result<CheckStatus, StoreError> {
    let r = sqlx::query_as::<_, CheckStatusRow>(
        "SELECT state, check_count, last_outcome, unanswered_since FROM payment_attempts WHERE id = $1",
    )
    .bind(attempt_id)
    .fetch_one(db.pool())
    .await?;
    Ok(CheckStatus {
        state: decode(&r.state, "attempt state", AttemptState::from_db)?,
        check_count: r.check_count,
        last_outcome: r.last_outcome,
        unanswered_since: r.unanswered_since,
    })
}

// ---- the writer of the machine -----------------------------------------------------------------

/// The attempt machine (`AttemptState::can_move_to`), plus the Segreteria's re-check of an
/// anomaly ("Verifica ora", `anomaly_recheck`), which may resolve it the way a fresh answer from
/// MyPay would: paid, or closed with the debts given back.
pub fn allowed(from: AttemptState, to: AttemptState, anomaly_recheck: bool) -> bool {
    from.can_move_to(to)
        || (anomaly_recheck
            && from == AttemptState::Anomalia
            && matches!(
                to,
                AttemptState::Pagata | AttemptState::NonPagata | AttemptState::Scaduta | AttemptState::Annullata
            ))
}

async fn record(
    tx: &mut Tx,
    attempt_id: &str,
    actor: &str,
    from: Option<AttemptState>,
    to: AttemptState,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_events (id, attempt_id, at, actor, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(attempt_id)
    .bind(now_utc())
    .bind(actor)
    .bind(from.map(AttemptState::as_db))
    .bind(to.as_db())
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The one state change of the attempt machine: `from` → `to`, checked by [`allowed`], as a
/// compare-and-set on `from`, with its `payment_events` row. `Ok(false)`: someone moved the
/// attempt first, nothing was written (so two concurrent checks never both record a move).
pub async fn transition(
    tx: &mut Tx,
    attempt_id: &str,
    from: AttemptState,
    to: AttemptState,
    anomaly_recheck: bool,
    actor: &str,
    detail: &str,
) -> Result<bool, StoreError> {
    if !allowed(from, to, anomaly_recheck) {
        return Err(StoreError::Transition { machine: "payment attempt", from: from.as_db(), to: to.as_db() });
    }
    let moved = sqlx::query("UPDATE payment_attempts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_db())
        .bind(now_utc())
        .bind(attempt_id)
        .bind(from.as_db())
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if moved {
        record(tx, attempt_id, actor, Some(from), to, detail).await?;
    }
    Ok(moved)
}

/// [`transition`] in a transaction of its own (a plain one: its first statement is the write).
pub async fn transition_now(
    db: &Db,
    attempt_id: &str,
    from: AttemptState,
    to: AttemptState,
    actor: &str,
    detail: &str,
) -> Result<bool, StoreError> {
    let mut tx = db.pool().begin().await?;
    let moved = transition(&mut tx, attempt_id, from, to, false, actor, detail).await?;
    tx.commit().await?;
    Ok(moved)
}

/// The Segreteria's re-check found the attempt still an anomaly: records the finding
/// (ANOMALIA → ANOMALIA) only while it is still one (a concurrent check may have resolved it).
pub async fn note_still_anomaly(db: &Db, attempt_id: &str, actor: &str, detail: &str) -> Result<bool, StoreError> {
    let mut tx = db.pool().begin().await?;
    let still = sqlx::query("UPDATE payment_attempts SET updated_at = $1 WHERE id = $2 AND state = 'ANOMALIA'")
        .bind(now_utc())
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if still {
        record(&mut tx, attempt_id, actor, Some(AttemptState::Anomalia), AttemptState::Anomalia, detail).await?;
    }
    tx.commit().await?;
    Ok(still)
}

// ---- creating a cart --------------------------------------------------------------------------

/// A new attempt (CREATA, total 0 until [`created`]).
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub id: &'a str,
    pub provider_id: &'a str,
    pub created_by: &'a str,
    pub idempotency_key: &'a str,
    pub payer_email: &'a str,
    pub now: &'a str,
    pub kind: AttemptKind,
}

/// Claims the idempotency key with a new CREATA attempt. `false`: the key was used already,
/// nothing was written.
pub async fn insert(tx: &mut Tx, new: &NewAttempt<'_>) -> Result<bool, StoreError> {
    let claimed = sqlx::query(
        "INSERT INTO payment_attempts (id, provider_id, created_by, idempotency_key, state, total_cents, payer_email,
                                       created_at, updated_at, kind)
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7, $8)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(new.id)
    .bind(new.provider_id)
    .bind(new.created_by)
    .bind(new.idempotency_key)
    .bind(AttemptState::Creata.as_db())
    .bind(new.payer_email)
    .bind(new.now)
    .bind(new.kind.as_db())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(claimed.is_some())
}

/// Adds a debt to the cart, as its live claim. A debt already claimed by a live cart (the
/// unique index on `live_debt_id`) is a [`StoreError::Conflict`].
pub async fn add_line(
    tx: &mut Tx,
    attempt_id: &str,
    debt_id: &str,
    iud: &str,
    amount_cents: i64,
    causale: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO attempt_debts (attempt_id, debt_id, iud, amount_cents, causale, live_debt_id) VALUES ($1, $2, $3, $4, $5, $2)",
    )
    .bind(attempt_id)
    .bind(debt_id)
    .bind(iud)
    .bind(amount_cents)
    .bind(causale)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_unique(e, "debt claimed by another cart"))?;
    Ok(())
}

/// Sets the cart's total and appends its creation event (→ CREATA).
pub async fn created(
    tx: &mut Tx,
    attempt_id: &str,
    total_cents: i64,
    actor: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET total_cents = $1 WHERE id = $2")
        .bind(total_cents)
        .bind(attempt_id)
        .execute(&mut **tx)
        .await?;
    record(tx, attempt_id, actor, None, AttemptState::Creata, detail).await
}

/// MyPay accepted the cart: stores its idSession and URL (only while CREATA) and moves the attempt
/// CREATA → INVIATA, in one transaction. `false`: someone moved it first.
pub async fn sent(
    db: &Db,
    attempt_id: &str,
    id_session: &str,
    url: &str,
    actor: &str,
    detail: &str,
) -> Result<bool, StoreError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE payment_attempts SET id_session = $1, redirect_url = $2, last_outcome = 'accepted' WHERE id = $3 AND state = 'CREATA'")
        .bind(id_session)
        .bind(url)
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
    let moved =
        transition(&mut tx, attempt_id, AttemptState::Creata, AttemptState::Inviata, false, actor, detail).await?;
    tx.commit().await?;
    Ok(moved)
}

/// MyPay issued the notice: stores its IUV, number and URL (only while CREATA) and moves the
/// attempt CREATA → INVIATA, in one transaction. `false`: someone moved it first.
pub async fn notice_issued(
    db: &Db,
    attempt_id: &str,
    iuv: &str,
    notice_number: &str,
    url: &str,
    actor: &str,
    detail: &str,
) -> Result<bool, StoreError> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "UPDATE payment_attempts SET iuv = $1, notice_number = $2, notice_url = $3, last_outcome = 'issued'
         WHERE id = $4 AND state = 'CREATA' AND kind = 'AVVISO'",
    )
    .bind(iuv)
    .bind(notice_number)
    .bind(url)
    .bind(attempt_id)
    .execute(&mut *tx)
    .await?;
    let moved =
        transition(&mut tx, attempt_id, AttemptState::Creata, AttemptState::Inviata, false, actor, detail).await?;
    tx.commit().await?;
    Ok(moved)
}

/// A notice's MyPay URL (secret) and whether its PDF is stored.
pub async fn notice_url(db: &Db, attempt_id: &str) -> Result<Option<(String, bool)>, StoreError> {
    let row: Option<(Option<String>, i64)> = sqlx::query_as(
        "SELECT notice_url, CASE WHEN notice_pdf IS NULL THEN 0 ELSE 1 END FROM payment_attempts WHERE id = $1 AND kind = 'AVVISO'",
    )
    .bind(attempt_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.and_then(|(url, has)| url.map(|u| (u, has == 1))))
}

/// Stores a notice's PDF (once: a stored PDF is never replaced).
pub async fn store_notice_pdf(db: &Db, attempt_id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET notice_pdf = $1 WHERE id = $2 AND kind = 'AVVISO' AND notice_pdf IS NULL")
        .bind(bytes)
        .bind(attempt_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A notice's stored PDF, with its provider and IUV.
pub async fn notice_pdf(
    db: &Db,
    attempt_id: &str,
) -> Result<Option<(String, Option<String>, Option<Vec<u8>>)>, StoreError> {
    Ok(sqlx::query_as("SELECT provider_id, iuv, notice_pdf FROM payment_attempts WHERE id = $1 AND kind = 'AVVISO'")
        .bind(attempt_id)
        .fetch_optional(db.pool())
        .await?)
}

/// Records that a notice is to be cancelled (before MyPay is asked), once: the first reason
/// stays.
pub async fn request_cancel(db: &Db, attempt_id: &str, reason: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE payment_attempts SET cancel_requested_at = $1, cancel_reason = $2
         WHERE id = $3 AND kind = 'AVVISO' AND cancel_requested_at IS NULL",
    )
    .bind(now_utc())
    .bind(reason)
    .bind(attempt_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The reason of a requested cancellation not yet carried out, if any.
pub async fn cancel_requested(db: &Db, attempt_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT cancel_reason FROM payment_attempts WHERE id = $1 AND kind = 'AVVISO' AND cancel_requested_at IS NOT NULL",
    )
    .bind(attempt_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(reason,)| reason.unwrap_or_default()))
}

/// The issued notice holding a debt (INVIATA, no cancellation requested): its id and IUV.
pub async fn issued_notice_of_debt(db: &Db, debt_id: &str) -> Result<Option<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.iuv FROM attempt_debts ad JOIN payment_attempts a ON a.id = ad.attempt_id
         WHERE ad.live_debt_id = $1 AND a.kind = 'AVVISO' AND a.state = 'INVIATA' AND a.iuv IS NOT NULL
           AND a.cancel_requested_at IS NULL",
    )
    .bind(debt_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Closes a notice whose debt was paid outside pagoPA (an accepted quietanza recorded in MyPay):
/// INVIATA → ANNULLATA and its line no longer holds the debt, which the caller pays in the same
/// transaction. `false`: the notice moved meanwhile, nothing was written.
pub async fn close_paid_outside_in(
    tx: &mut Tx,
    attempt_id: &str,
    actor: &str,
    detail: &str,
) -> Result<bool, StoreError> {
    if !transition(tx, attempt_id, AttemptState::Inviata, AttemptState::Annullata, false, actor, detail).await? {
        return Ok(false);
    }
    release_lines(tx, attempt_id).await?;
    Ok(true)
}

/// The payer e-mail an attempt was created with.
pub async fn payer_email(db: &Db, attempt_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT payer_email FROM payment_attempts WHERE id = $1")
        .bind(attempt_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.and_then(|(email,)| email))
}

/// The live notice holding a debt (CREATA, INVIATA or IN_ATTESA), if any.
pub async fn live_notice_of_debt(db: &Db, debt_id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT a.id FROM attempt_debts ad JOIN payment_attempts a ON a.id = ad.attempt_id
         WHERE ad.live_debt_id = $1 AND a.kind = 'AVVISO'",
    )
    .bind(debt_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

/// The send got no answer: the outcome is unknown.
pub async fn send_unknown(db: &Db, attempt_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET last_outcome = 'send_unknown', updated_at = $1 WHERE id = $2")
        .bind(now_utc())
        .bind(attempt_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

// ---- lines, receipts and MyPay's answers ------------------------------------------------------

/// The debts this attempt still claims (IN_CORSO through it).
pub async fn claimed_debts_in(tx: &mut Tx, attempt_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT d.id FROM attempt_debts ad JOIN debts d ON d.id = ad.live_debt_id WHERE ad.attempt_id = $1 AND d.state = 'IN_CORSO'",
    )
    .bind(attempt_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// The attempt no longer claims any debt.
pub async fn release_lines(tx: &mut Tx, attempt_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE attempt_debts SET live_debt_id = NULL WHERE attempt_id = $1")
        .bind(attempt_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The attempt that claims a debt now, if any.
pub async fn claimer_in(tx: &mut Tx, debt_id: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT attempt_id FROM attempt_debts WHERE live_debt_id = $1")
        .bind(debt_id)
        .fetch_optional(&mut **tx)
        .await?)
}

/// A line was paid: its IUR, and the claim ends.
pub async fn line_paid(tx: &mut Tx, attempt_id: &str, debt_id: &str, iur: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE attempt_debts SET iur = $1, live_debt_id = NULL WHERE attempt_id = $2 AND debt_id = $3")
        .bind(iur)
        .bind(attempt_id)
        .bind(debt_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The verified receipt's IUV, id and date.
pub async fn receipt_data(
    tx: &mut Tx,
    attempt_id: &str,
    iuv: &str,
    receipt_id: &str,
    receipt_date: &str,
    psp: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET iuv = $1, receipt_id = $2, receipt_date = $3, psp = $4 WHERE id = $5")
        .bind(iuv)
        .bind(receipt_id)
        .bind(receipt_date)
        .bind(psp)
        .bind(attempt_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Stores the RT of a PAGATA attempt that has none yet.
pub async fn store_receipt(db: &Db, attempt_id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET receipt = $1, updated_at = $2 WHERE id = $3 AND state = 'PAGATA' AND receipt IS NULL")
        .bind(bytes)
        .bind(now_utc())
        .bind(attempt_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// MyPay was asked at `now` and answered `outcome`; `unusable`: no usable answer (the time the
/// answers stopped being usable is kept until one is).
pub async fn record_check(
    db: &Db,
    attempt_id: &str,
    now: &str,
    outcome: &str,
    unusable: bool,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE payment_attempts SET last_check_at = $1, last_outcome = $2, check_count = check_count + 1,
                unanswered_since = CASE WHEN $3 = 1 THEN COALESCE(unanswered_since, $1) ELSE NULL END
         WHERE id = $4",
    )
    .bind(now)
    .bind(outcome)
    .bind(i64::from(unusable))
    .bind(attempt_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// What the browser reported on its return from MyPay (informational only).
/// Records the `esito` the browser brought back from MyPay, once: the first return is kept and
/// a later GET of the return page never overwrites it. `true` for the one call that recorded
/// it (the first return).
pub async fn set_esito_ritorno(db: &Db, attempt_id: &str, esito: &str) -> Result<bool, StoreError> {
    let recorded =
        sqlx::query("UPDATE payment_attempts SET esito_ritorno = $1 WHERE id = $2 AND esito_ritorno IS NULL")
            .bind(esito)
            .bind(attempt_id)
            .execute(db.pool())
            .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Claims the right to ask MyPay about an attempt on behalf of a provider's verification: only
/// if nobody asked since `cutoff` (compare-and-set on `last_check_at`, so parallel
/// verifications make one call). `false`: answer from the recorded state.
pub async fn claim_user_check(db: &Db, attempt_id: &str, now: &str, cutoff: &str) -> Result<bool, StoreError> {
    let claimed = sqlx::query(
        "UPDATE payment_attempts SET last_check_at = $1 WHERE id = $2 AND (last_check_at IS NULL OR last_check_at <= $3)",
    )
    .bind(now)
    .bind(attempt_id)
    .bind(cutoff)
    .execute(db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

// ---- the reconciler's claims (leases) ----------------------------------------------------------

/// Which attempts a pass asks about: open ones, paid ones still without receipt, and ones
/// closed without payment inside the late-receipt window (`$3`: its start); due strictly before
/// `$2` (the pass's start: an attempt released in the same millisecond the pass started, with a
/// zero wait, is not due again in that pass) and not claimed by anybody (`$1`: now).
const DUE: &str = "(state IN ('CREATA', 'INVIATA', 'IN_ATTESA')
        OR (state = 'PAGATA' AND receipt IS NULL)
        OR (state IN ('NON_PAGATA', 'SCADUTA', 'ANNULLATA') AND (id_session IS NOT NULL OR kind = 'AVVISO') AND created_at > $3))
    AND COALESCE(next_check_at, created_at) < $2
    AND (lease_until IS NULL OR lease_until < $1)";

/// The compare-and-set claim: only while the lease is free or expired.
///
/// The claim repeats the due condition (`$5`: the pass's start): on SQLite the candidates are
/// read before they are claimed, one by one, so a worker holding a stale read could otherwise
/// claim an attempt another worker has checked and released in the meantime, and check it twice
/// in one pass.
const CLAIM: &str = "UPDATE payment_attempts SET lease_owner = $1, lease_until = $2
    WHERE id = $3 AND (lease_until IS NULL OR lease_until < $4) AND COALESCE(next_check_at, created_at) < $5";

/// A claim request of the reconciler.
#[derive(Debug, Clone)]
pub struct ClaimDue<'a> {
    /// Who claims (the server instance).
    pub owner: &'a str,
    /// Now.
    pub now: &'a str,
    /// Until when the claim holds.
    pub until: &'a str,
    /// Only attempts due strictly before this (the pass's start).
    pub due_before: &'a str,
    /// Closed attempts created after this are still asked about (late receipts).
    pub late_cutoff: &'a str,
    pub limit: usize,
}

#[derive(FromRow)]
struct IdRow {
    id: String,
}

/// Claims up to `limit` due attempts: on PostgreSQL the candidates are locked with
/// `FOR UPDATE SKIP LOCKED` in a transaction; on both backends each claim is the compare-and-set
/// [`CLAIM`]. Returns the ids this owner now holds.
pub async fn claim_due(db: &Db, c: &ClaimDue<'_>) -> Result<Vec<String>, StoreError> {
    let limit = c.limit;
    let mut claimed = Vec::new();
    match db.backend() {
        Backend::Postgres => {
            let sql = format!(
                "SELECT id FROM payment_attempts WHERE {DUE} ORDER BY COALESCE(next_check_at, created_at), id LIMIT {limit} FOR UPDATE SKIP LOCKED"
            );
            let mut tx = db.pool().begin().await?;
            let rows = sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql))
                .bind(c.now)
                .bind(c.due_before)
                .bind(c.late_cutoff)
                .fetch_all(&mut *tx)
                .await?;
            for IdRow { id } in rows {
                let won = sqlx::query(CLAIM)
                    .bind(c.owner)
                    .bind(c.until)
                    .bind(&id)
                    .bind(c.now)
                    .bind(c.due_before)
                    .execute(&mut *tx)
                    .await?;
                if won.rows_affected() == 1 {
                    claimed.push(id);
                }
            }
            tx.commit().await?;
        }
        Backend::Sqlite => {
            let sql = format!("SELECT id FROM payment_attempts WHERE {DUE} ORDER BY COALESCE(next_check_at, created_at), id LIMIT {limit}");
            let rows = sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql))
                .bind(c.now)
                .bind(c.due_before)
                .bind(c.late_cutoff)
                .fetch_all(db.pool())
                .await?;
            for IdRow { id } in rows {
                let won = sqlx::query(CLAIM)
                    .bind(c.owner)
                    .bind(c.until)
                    .bind(&id)
                    .bind(c.now)
                    .bind(c.due_before)
                    .execute(db.pool())
                    .await?;
                if won.rows_affected() == 1 {
                    claimed.push(id);
                }
            }
        }
    }
    Ok(claimed)
}

/// Gives a claim back (only if `owner` still holds it) and records when the attempt is next due
/// (`None`: never again by schedule).
pub async fn release_claim(
    db: &Db,
    attempt_id: &str,
    owner: &str,
    next_check_at: Option<&str>,
) -> Result<bool, StoreError> {
    let released = sqlx::query(
        "UPDATE payment_attempts SET lease_owner = NULL, lease_until = NULL, next_check_at = $1 WHERE id = $2 AND lease_owner = $3",
    )
    .bind(next_check_at)
    .bind(attempt_id)
    .bind(owner)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(released == 1)
}

// ---- the Segreteria's console -----------------------------------------------------------------

fn in_list(states: &[AttemptState], first: usize) -> String {
    (0..states.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}

/// A page of the console: attempts in `states` whose provider name, codice fiscale, P.IVA,
/// idSession or IUV contains `search` (case-insensitive), newest first; and how many match.
/// Only `$n` placeholders carry values; the SQL text is fixed fragments.
pub async fn console(
    db: &Db,
    states: &[AttemptState],
    search: &str,
    page: i64,
    page_size: i64,
) -> Result<(Vec<PaymentRow>, i64), StoreError> {
    let mut filter = super::paged::Filter::new();
    filter.one_of("a.state", states.iter().map(|s| s.as_db()));
    filter.search(search, &["p.denominazione", "p.codice_fiscale", "p.partita_iva", "a.id_session", "a.iuv"]);
    super::paged::fetch_page::<PaymentRow>(
        db,
        "a.id, a.kind, a.state, a.id_session, a.iuv, a.total_cents, a.last_check_at, a.created_at, \
         p.denominazione AS provider, p.codice_fiscale",
        "FROM payment_attempts a JOIN providers p ON p.id = a.provider_id",
        &filter,
        "a.created_at DESC, a.id",
        page,
        page_size,
    )
    .await
}

/// How many attempts are in one of `states`.
pub async fn count_in(db: &Db, states: &[AttemptState]) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) AS n FROM payment_attempts WHERE state IN ({})", in_list(states, 1));
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    for s in states {
        q = q.bind(s.as_db());
    }
    Ok(q.fetch_one(db.pool()).await?)
}

/// The console's detail of an attempt: its provider and MyPay bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Detail {
    pub provider_id: String,
    pub receipt_id: Option<String>,
    pub last_outcome: Option<String>,
    pub check_count: i64,
    pub denominazione: String,
    pub codice_fiscale: String,
    pub partita_iva: Option<String>,
}

pub async fn detail(db: &Db, attempt_id: &str) -> Result<Option<Detail>, StoreError> {
    Ok(sqlx::query_as::<_, Detail>(
        "SELECT a.provider_id, a.receipt_id, a.last_outcome, a.check_count, p.denominazione, p.codice_fiscale, p.partita_iva
         FROM payment_attempts a JOIN providers p ON p.id = a.provider_id WHERE a.id = $1",
    )
    .bind(attempt_id)
    .fetch_optional(db.pool())
    .await?)
}

/// The history of an attempt, oldest first; `actor` is the user's display name when it is a user.
pub async fn events(db: &Db, attempt_id: &str) -> Result<Vec<PaymentEventView>, StoreError> {
    Ok(sqlx::query_as::<_, PaymentEventView>(
        "SELECT e.at, COALESCE(u.display_name, e.actor) AS actor, e.from_state, e.to_state, e.detail
         FROM payment_events e LEFT JOIN users u ON u.id = e.actor
         WHERE e.attempt_id = $1 ORDER BY e.at, e.id",
    )
    .bind(attempt_id)
    .fetch_all(db.pool())
    .await?)
}

/// One line of the payments export: an attempt-debt.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ExportLine {
    pub created_at: String,
    pub denominazione: String,
    pub codice_fiscale: String,
    pub id_session: Option<String>,
    pub iuv: Option<String>,
    pub iud: String,
    pub causale: String,
    pub amount_cents: i64,
    /// The attempt's state code.
    pub state: String,
    /// The debt's state code.
    pub debt_state: String,
}

/// Every attempt-debt of attempts created between `dal` and `al` (inclusive, `YYYY-MM-DD`),
/// oldest first.
pub async fn export(db: &Db, dal: Option<&str>, al: Option<&str>) -> Result<Vec<ExportLine>, StoreError> {
    let mut filter = String::from("1 = 1");
    let mut binds = Vec::new();
    if let Some(d) = dal {
        binds.push(d);
        filter.push_str(&format!(" AND SUBSTR(a.created_at, 1, 10) >= ${}", binds.len()));
    }
    if let Some(d) = al {
        binds.push(d);
        filter.push_str(&format!(" AND SUBSTR(a.created_at, 1, 10) <= ${}", binds.len()));
    }
    let sql = format!(
        "SELECT a.created_at, p.denominazione, p.codice_fiscale, a.id_session, a.iuv, ad.iud, ad.causale, ad.amount_cents,
                a.state, d.state AS debt_state
         FROM payment_attempts a JOIN providers p ON p.id = a.provider_id
         JOIN attempt_debts ad ON ad.attempt_id = a.id JOIN debts d ON d.id = ad.debt_id
         WHERE {filter} ORDER BY a.created_at, a.id, ad.iud"
    );
    let mut query = sqlx::query_as::<_, ExportLine>(sqlx::AssertSqlSafe(sql));
    for b in binds {
        query = query.bind(b.to_string());
    }
    Ok(query.fetch_all(db.pool()).await?)
}
