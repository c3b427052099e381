//! Debts console services (ssr only): the queues with search and filters, and one debt.

use super::model::{DebtAttempt, DebtDetail, DebtRow};
use crate::db::Db;
use crate::debts::model::DebtQueue;
use crate::debts::service::days_overdue;
use crate::domain::dates::{date_text, today};
use crate::error::AppError;
use crate::payments::model::{DebtState, FeeKind};
use crate::payments::service::debt_view;
use crate::segreteria::queue::{QueuePage, QueueTab, PAGE_SIZE};
use crate::store::debts::ConsoleQuery;

/// A page of a queue: debts matching `fee_kind`, `year` and `search` (provider name, codice
/// fiscale, P.IVA or causale, case-insensitive); the overdue queue longest overdue first, the
/// others newest first, [`PAGE_SIZE`] per page.
pub async fn list_debts(
    db: &Db,
    queue: DebtQueue,
    fee_kind: Option<FeeKind>,
    year: Option<i32>,
    search: &str,
    page: i64,
) -> Result<QueuePage<DebtRow>, AppError> {
    let today = today();
    let today_text = date_text(today);
    let page = page.clamp(1, crate::store::MAX_PAGE);
    let query = ConsoleQuery { queue, fee_kind, year, search, page, page_size: PAGE_SIZE, today: &today_text };
    let (lines, total) = crate::store::debts::console(db, &query).await?;
    let rows = lines
        .into_iter()
        .map(|line| DebtRow {
            id: line.debt.id.clone(),
            provider: line.provider,
            codice_fiscale: line.codice_fiscale,
            days_overdue: days_overdue(line.debt.state, line.debt.due_date.as_deref(), today),
            created_at: line.debt.created_at.clone(),
            debt: debt_view(&line.debt),
        })
        .collect();
    let (by_state, overdue) = crate::store::debts::counts(db, &today_text).await?;
    let quietanze = crate::store::quietanze::pending_count(db).await?;
    let tabs = DebtQueue::tabs()
        .into_iter()
        .map(|tab| {
            let count = match tab {
                DebtQueue::Quietanze => quietanze,
                DebtQueue::Overdue => overdue,
                DebtQueue::State(state) => by_state.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n),
                DebtQueue::All => by_state.iter().map(|(_, n)| n).sum(),
            };
            QueueTab::new(tab.code(), tab.label_it(), count)
        })
        .collect();
    Ok(QueuePage { rows, total, page, page_size: PAGE_SIZE, tabs })
}

/// One debt with its provider, history, annulment and the attempts that carried it.
pub async fn debt_detail(db: &Db, debt_id: &str) -> Result<DebtDetail, AppError> {
    let line = crate::store::debts::console_line(db, debt_id).await?.ok_or(AppError::NotFound)?;
    let attempts = crate::payments::service::attempts_of_debt(db, debt_id)
        .await?
        .into_iter()
        .map(|a| DebtAttempt { id: a.id, kind: a.kind, state: a.state, created_at: a.created_at })
        .collect();
    let debt = &line.debt;
    Ok(DebtDetail {
        days_overdue: days_overdue(debt.state, debt.due_date.as_deref(), today()),
        can_extend: matches!(debt.state, DebtState::DaPagare | DebtState::InCorso) && debt.due_date.is_some(),
        debt: debt_view(debt),
        provider: line.provider.clone(),
        codice_fiscale: line.codice_fiscale.clone(),
        provider_id: debt.provider_id.clone(),
        request_id: debt.request_id.clone(),
        created_at: debt.created_at.clone(),
        annulment: crate::debts::service::annulment_of(db, debt_id).await?,
        history: crate::debts::service::history(db, debt_id).await?,
        quietanze: crate::quietanze::service::of_debt(db, debt_id).await?,
        attempts,
    })
}
