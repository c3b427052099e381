//! Console queries: requests by state with search and pagination.

use super::model::{RequestRow, QUEUE_STATES};
use crate::db::Db;
use crate::error::AppError;
use crate::requests::model::RequestState;
use crate::segreteria::queue::{QueuePage, QueueTab, PAGE_SIZE};
use crate::store;

/// Requests in `state` (or in any queue state), whose provider name, codice fiscale or
/// partita IVA contains `search` (case-insensitive), newest change first.
pub async fn list_requests(
    db: &Db,
    state: Option<RequestState>,
    search: &str,
    page: i64,
) -> Result<QueuePage<RequestRow>, AppError> {
    let page = page.clamp(1, crate::store::MAX_PAGE);
    let states: Vec<RequestState> = state.map(|s| vec![s]).unwrap_or_else(|| QUEUE_STATES.to_vec());
    let (rows, total) = store::requests::console(db, &states, search, page, PAGE_SIZE).await?;
    let mut tabs = Vec::new();
    for queue in QUEUE_STATES {
        tabs.push(QueueTab::new(queue.as_db(), queue.label_it(), store::requests::count_in_state(db, queue).await?));
    }
    Ok(QueuePage { rows, total, page, page_size: PAGE_SIZE, tabs })
}

/// The provider id of a request.
pub async fn provider_of_request(db: &Db, request_id: &str) -> Result<Option<String>, AppError> {
    Ok(store::requests::provider_of(db, request_id).await?)
}
