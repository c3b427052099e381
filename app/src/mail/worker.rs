//! The mail worker: one pass sends what is due in the outbox; the reminders pass writes the
//! due-date reminders. Both run in the background (`server::web`), on every instance: rows are
//! claimed with leases (`store::outbox`), reminders are written once per debt, due date and
//! recipient (a unique key), so instances never duplicate each other's work.
//!
//! Delivery is at least once: the try is counted and the row leased before the message goes on
//! the wire, and the row is marked SENT only after the SMTP server accepted it. A crash in
//! between leaves a lease that expires, and the message is sent again with the same Message-ID
//! (receivers and the sink recognise it); a message confirmed as SENT is never sent again.

use super::compose;
use super::model::MailKind;
use super::transport::{MailTransport, Message, SendOutcome};
use crate::db::{format_utc, Db};
use crate::domain::dates::date_text;
use crate::mail::model::MailConfig;
use crate::store::{self, StoreError};

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Sends what is due: up to `config.batch` rows for `owner`, one at a time — claimed, sent,
/// recorded, then the next. Claiming them one at a time keeps each lease as long as one send:
/// a row claimed with a whole batch could outlive its lease while earlier rows are still being
/// sent, be claimed again by the next pass, and go out twice.
pub async fn run_pass(
    db: &Db,
    transport: &dyn MailTransport,
    config: &MailConfig,
    owner: &str,
) -> Result<PassReport, StoreError> {
    let mut report = PassReport::default();
    for _ in 0..config.batch {
        let now = time::OffsetDateTime::now_utc();
        let Some(mail) =
            store::outbox::claim_next(db, owner, &format_utc(now), &format_utc(now + config.lease)).await?
        else {
            break;
        };
        let (text, html) = compose::with_links(&mail.body_text, &mail.body_html, &config.public_url);
        let message = Message { id: &mail.id, to: &mail.recipient, subject: &mail.subject, text: &text, html: &html };
        let outcome = transport.send(&message).await;
        let now = time::OffsetDateTime::now_utc();
        match outcome {
            SendOutcome::Accepted => {
                store::outbox::mark_sent(db, &mail.id, owner, &format_utc(now)).await?;
                tracing::info!(mail_id = %mail.id, kind = mail.kind.as_db(), tries = mail.tries, "mail sent");
                report.sent += 1;
            }
            SendOutcome::Permanent(error) => {
                store::outbox::mark_failed(db, &mail.id, owner, &error).await?;
                tracing::warn!(mail_id = %mail.id, kind = mail.kind.as_db(), %error, "mail refused for good: FAILED");
                report.failed += 1;
            }
            SendOutcome::Transient(error) if mail.tries >= config.max_tries => {
                let error = format!("{error} (after {} tries)", mail.tries);
                store::outbox::mark_failed(db, &mail.id, owner, &error).await?;
                tracing::warn!(mail_id = %mail.id, kind = mail.kind.as_db(), %error, "mail not delivered: FAILED");
                report.failed += 1;
            }
            SendOutcome::Transient(error) => {
                let wait = config.backoff(mail.tries);
                store::outbox::retry_later(db, &mail.id, owner, &format_utc(now + wait), &error).await?;
                tracing::info!(mail_id = %mail.id, tries = mail.tries, wait_s = wait.as_secs(), %error, "mail not sent: trying again later");
                report.retried += 1;
            }
        }
    }
    Ok(report)
}

/// Rows waiting to be sent, and rows given up (the operators' gauges).
pub async fn outbox_counts(db: &Db) -> Result<(i64, i64), StoreError> {
    use super::model::MailState;
    Ok((store::outbox::count_in(db, MailState::Pending).await?, store::outbox::count_in(db, MailState::Failed).await?))
}

/// A reminder is written this many days before a quota's due date …
pub const QUOTA_REMINDER_DAYS: i64 = 10;
/// … and this many before an event fee's.
pub const EVENT_REMINDER_DAYS: i64 = 15;
/// An overdue reminder is still written this many days after the due date (a pass that did not
/// run on the day itself, e.g. the server was down, catches up).
pub const OVERDUE_CATCH_UP_DAYS: i64 = 30;

/// Writes the reminders due on `today`: for every debt still to pay, «scade il …» from 10 days
/// (quota) or 15 days (event fee) before its due date, and «scadenza superata» from the day
/// after it. Each once per debt, due date and recipient: an extension (a new due date) arms both
/// again. Returns how many rows it wrote.
pub async fn run_reminders(db: &Db, today: time::Date) -> Result<usize, StoreError> {
    let from = date_text(today - time::Duration::days(OVERDUE_CATCH_UP_DAYS));
    let until = date_text(today + time::Duration::days(EVENT_REMINDER_DAYS.max(QUOTA_REMINDER_DAYS)));
    let today_text = date_text(today);
    let mut written = 0;
    for debt in store::outbox::debts_due_between(db, &from, &until).await? {
        let overdue = debt.due_date < today_text;
        if !overdue {
            let days = if debt.fee_kind == crate::payments::model::FeeKind::QuotaAnnuale.as_db() {
                QUOTA_REMINDER_DAYS
            } else {
                EVENT_REMINDER_DAYS
            };
            let Ok(due) = time::Date::parse(&debt.due_date, time::macros::format_description!("[year]-[month]-[day]"))
            else {
                continue;
            };
            if today < due - time::Duration::days(days) {
                continue;
            }
        }
        let kind = if overdue { MailKind::ReminderOverdue } else { MailKind::ReminderDue };
        let dedupe = format!("{}:{}:{}", kind.as_db(), debt.debt_id, debt.due_date);
        let mut tx = store::begin_write(db).await?;
        let n = super::outbox::to_provider(&mut tx, kind, &debt.provider_id, Some(&dedupe), |c| {
            compose::reminder(
                compose::LINK_BASE,
                &c.display_name,
                &c.denominazione,
                &debt.causale,
                debt.amount_cents,
                &debt.due_date,
                overdue,
            )
        })
        .await?;
        tx.commit().await?;
        written += n;
    }
    if written > 0 {
        tracing::info!(written, "due-date reminders written");
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_wait_doubles_from_the_minimum_and_stops_at_the_maximum() {
        let config = MailConfig {
            backoff_min: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            ..MailConfig::default()
        };
        assert_eq!(config.backoff(1), Duration::from_secs(30));
        assert_eq!(config.backoff(2), Duration::from_secs(60));
        assert_eq!(config.backoff(4), Duration::from_secs(240));
        assert_eq!(config.backoff(8), Duration::from_secs(3600));
        assert_eq!(config.backoff(500), Duration::from_secs(3600));
    }
}
