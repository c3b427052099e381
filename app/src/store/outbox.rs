//! The mail outbox (`mail_outbox`): notifications written in the transaction of the change that
//! causes them, claimed and sent by the mail worker (`crate::mail::worker`).
//!
//! A row is PENDING until the SMTP server accepts it (SENT) or the worker gives up (FAILED).
//! Claims are leases, as for the payment reconciler: a worker takes one row at a time with a
//! compare-and-set on its lease (on PostgreSQL the candidate is locked `FOR UPDATE SKIP
//! LOCKED` as well), so several instances never send the same row at once; a worker that dies
//! mid-send leaves a lease that expires, and the row is sent again (with the same Message-ID).
//! The try is counted when the row is claimed, before anything goes on the wire.

use sqlx::FromRow;

use super::{decode, StoreError, Tx};
use crate::db::{Backend, Db};
use crate::mail::model::{MailKind, MailLogLine, MailState};

/// A notification to enqueue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub id: &'a str,
    pub kind: MailKind,
    /// Set for reminders: a second row with the same key is not written.
    pub dedupe_key: Option<&'a str>,
    pub provider_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    /// The body holds a token (verification, reset): blanked once the row is done.
    pub secret: bool,
    pub now: &'a str,
}

/// Enqueues a notification inside the caller's transaction. `false`: a row with the same
/// dedupe key exists, nothing was written.
pub async fn enqueue(tx: &mut Tx, mail: &NewMail<'_>) -> Result<bool, StoreError> {
    let written = sqlx::query(
        "INSERT INTO mail_outbox (id, kind, dedupe_key, provider_id, user_id, recipient, subject, body_text, body_html,
                                  secret, state, tries, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'PENDING', 0, $11, $11)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(mail.id)
    .bind(mail.kind.as_db())
    .bind(mail.dedupe_key)
    .bind(mail.provider_id)
    .bind(mail.user_id)
    .bind(mail.recipient)
    .bind(mail.subject)
    .bind(mail.body_text)
    .bind(mail.body_html)
    .bind(i64::from(mail.secret))
    .bind(mail.now)
    .execute(&mut **tx)
    .await?;
    Ok(written.rows_affected() == 1)
}

/// A claimed row, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: String,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Tries so far, this one included.
    pub tries: i64,
}

#[derive(FromRow)]
struct OutgoingRow {
    id: String,
    kind: String,
    recipient: String,
    subject: String,
    body_text: String,
    body_html: String,
    tries: i64,
}

const DUE: &str = "state = 'PENDING' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)";

/// The claim of one row: a compare-and-set on its lease that also counts the try.
const CLAIM: &str = "UPDATE mail_outbox SET lease_owner = $1, lease_until = $2, tries = tries + 1
     WHERE id = $3 AND state = 'PENDING' AND next_attempt_at <= $4 AND (lease_until IS NULL OR lease_until < $4)";

#[derive(FromRow)]
struct IdRow {
    id: String,
}

/// Claims the next due row (due longest) for `owner` until `until`, if any. One row at a time:
/// the lease then only has to outlast one send (see `mail::worker::run_pass`). `None`: no row is
/// due, or another instance won the candidate (the next pass looks again).
pub async fn claim_next(db: &Db, owner: &str, now: &str, until: &str) -> Result<Option<Outgoing>, StoreError> {
    let won = match db.backend() {
        Backend::Postgres => {
            let sql = format!(
                "SELECT id FROM mail_outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            );
            let mut tx = db.pool().begin().await?;
            let candidate =
                sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_optional(&mut *tx).await?;
            let won = match candidate {
                Some(IdRow { id }) => (sqlx::query(CLAIM)
                    .bind(owner)
                    .bind(until)
                    .bind(&id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1)
                    .then_some(id),
                None => None,
            };
            tx.commit().await?;
            won
        }
        Backend::Sqlite => {
            let sql = format!("SELECT id FROM mail_outbox WHERE {DUE} ORDER BY next_attempt_at, id LIMIT 1");
            match sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql)).bind(now).fetch_optional(db.pool()).await? {
                Some(IdRow { id }) => (sqlx::query(CLAIM)
                    .bind(owner)
                    .bind(until)
                    .bind(&id)
                    .bind(now)
                    .execute(db.pool())
                    .await?
                    .rows_affected()
                    == 1)
                    .then_some(id),
                None => None,
            }
        }
    };
    let Some(id) = won else {
        return Ok(None);
    };
    let row = sqlx::query_as::<_, OutgoingRow>(
        "SELECT id, kind, recipient, subject, body_text, body_html, tries FROM mail_outbox WHERE id = $1 AND lease_owner = $2",
    )
    .bind(&id)
    .bind(owner)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Outgoing {
            kind: decode(&r.kind, "mail kind", MailKind::from_db)?,
            id: r.id,
            recipient: r.recipient,
            subject: r.subject,
            body_text: r.body_text,
            body_html: r.body_html,
            tries: r.tries,
        })
    })
    .transpose()
}

/// The body a done row keeps when it held a token.
const BLANKED: &str = "[testo rimosso dopo l'invio: conteneva un link personale]";

/// The SMTP server accepted the row: SENT (only if `owner` still holds it).
pub async fn mark_sent(db: &Db, id: &str, owner: &str, now: &str) -> Result<bool, StoreError> {
    finish(db, id, owner, MailState::Sent, Some(now), None).await
}

/// Given up: FAILED with the last error (only if `owner` still holds it).
pub async fn mark_failed(db: &Db, id: &str, owner: &str, error: &str) -> Result<bool, StoreError> {
    finish(db, id, owner, MailState::Failed, None, Some(error)).await
}

async fn finish(
    db: &Db,
    id: &str,
    owner: &str,
    state: MailState,
    sent_at: Option<&str>,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET state = $1, sent_at = $2, last_error = COALESCE($3, last_error), lease_owner = NULL, lease_until = NULL,
                body_text = CASE WHEN secret = 1 THEN $4 ELSE body_text END,
                body_html = CASE WHEN secret = 1 THEN $4 ELSE body_html END
         WHERE id = $5 AND lease_owner = $6 AND state = 'PENDING'",
    )
    .bind(state.as_db())
    .bind(sent_at)
    .bind(error)
    .bind(BLANKED)
    .bind(id)
    .bind(owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A failed try to be repeated at `next_attempt_at` (only if `owner` still holds the row).
pub async fn retry_later(
    db: &Db,
    id: &str,
    owner: &str,
    next_attempt_at: &str,
    error: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $1, last_error = $2, lease_owner = NULL, lease_until = NULL
         WHERE id = $3 AND lease_owner = $4 AND state = 'PENDING'",
    )
    .bind(next_attempt_at)
    .bind(error)
    .bind(id)
    .bind(owner)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

const LOG_COLUMNS: &str = "id, kind, recipient, subject, state, tries, last_error, created_at, sent_at";

/// The mail of a provider (its account's mail included), newest first, at most `limit` lines.
pub async fn log_of_provider(
    db: &Db,
    provider_id: &str,
    owner_user_id: &str,
    limit: i64,
) -> Result<Vec<MailLogLine>, StoreError> {
    let sql = format!(
        "SELECT {LOG_COLUMNS} FROM mail_outbox WHERE provider_id = $1 OR (provider_id IS NULL AND user_id = $2)
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    Ok(sqlx::query_as::<_, MailLogLine>(sqlx::AssertSqlSafe(sql))
        .bind(provider_id)
        .bind(owner_user_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?)
}

/// The most recent failed notifications (every provider), newest first.
pub async fn failed(db: &Db, limit: i64) -> Result<Vec<MailLogLine>, StoreError> {
    let sql = format!(
        "SELECT {LOG_COLUMNS} FROM mail_outbox WHERE state = 'FAILED' ORDER BY created_at DESC, id DESC LIMIT $1"
    );
    Ok(sqlx::query_as::<_, MailLogLine>(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(db.pool()).await?)
}

/// How many rows are in `state`.
pub async fn count_in(db: &Db, state: MailState) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) AS n FROM mail_outbox WHERE state = $1")
        .bind(state.as_db())
        .fetch_one(db.pool())
        .await?)
}

/// Who is told about a provider: the account that acts for it and the organisation's e-mail
/// address (once if they are the same), with the provider's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderContacts {
    pub provider_id: String,
    pub denominazione: String,
    pub owner_user_id: String,
    pub display_name: String,
    /// The account's address first, then the organisation's if different.
    pub recipients: Vec<String>,
}

/// The contacts of a provider, read inside the caller's transaction.
pub async fn provider_contacts(tx: &mut Tx, provider_id: &str) -> Result<Option<ProviderContacts>, StoreError> {
    #[derive(FromRow)]
    struct Row {
        denominazione: String,
        owner_user_id: String,
        display_name: String,
        account_email: String,
        org_email: String,
    }
    let row = sqlx::query_as::<_, Row>(
        "SELECT p.denominazione, p.owner_user_id, u.display_name, u.email AS account_email, p.email AS org_email
         FROM providers p JOIN users u ON u.id = p.owner_user_id WHERE p.id = $1",
    )
    .bind(provider_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| {
        let mut recipients = vec![r.account_email.clone()];
        let org = r.org_email.trim().to_lowercase();
        if !org.is_empty() && org != r.account_email.to_lowercase() {
            recipients.push(r.org_email.trim().to_string());
        }
        ProviderContacts {
            provider_id: provider_id.to_string(),
            denominazione: r.denominazione,
            owner_user_id: r.owner_user_id,
            display_name: r.display_name,
            recipients,
        }
    }))
}

/// A debt a reminder may be due for: to pay, with a due date.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DebtDue {
    pub debt_id: String,
    pub provider_id: String,
    pub fee_kind: String,
    pub causale: String,
    pub amount_cents: i64,
    pub due_date: String,
}

/// Debts still to pay (DA_PAGARE or IN_CORSO) whose due date is between `from` and `until`
/// (`YYYY-MM-DD`, both included), oldest first; not those whose quietanza waits for the
/// Segreteria (the provider has paid, as far as it knows).
pub async fn debts_due_between(db: &Db, from: &str, until: &str) -> Result<Vec<DebtDue>, StoreError> {
    Ok(sqlx::query_as::<_, DebtDue>(
        "SELECT id AS debt_id, provider_id, fee_kind, causale, amount_cents, due_date FROM debts
         WHERE state IN ('DA_PAGARE', 'IN_CORSO') AND due_date IS NOT NULL AND due_date >= $1 AND due_date <= $2
           AND NOT EXISTS (SELECT 1 FROM quietanze q WHERE q.debt_id = debts.id AND q.state = 'IN_VERIFICA')
         ORDER BY due_date, id",
    )
    .bind(from)
    .bind(until)
    .fetch_all(db.pool())
    .await?)
}
