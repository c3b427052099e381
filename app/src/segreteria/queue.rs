//! What every console queue shares: a page of rows with tabs and counts ([`QueuePage`]), the
//! query in the URL, the search form and the page around the table ([`queue_view`]: tabs, the
//! empty message or the table, the pager). The rows and the table's columns are the queue's own;
//! the paging SQL behind them is `store::paged`.
//!
//! Everything is in the URL (`?stato=…&cerca=…&pagina=…`), so a queue works without JavaScript
//! and can be bookmarked.

use leptos::prelude::*;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::layout::view::column_headings;

/// Rows per page of every queue.
pub const PAGE_SIZE: i64 = 20;

/// One tab of a queue: the code in the URL, its label and how many rows it holds (whatever
/// the search).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTab {
    pub code: String,
    pub label: String,
    pub count: i64,
}

impl QueueTab {
    pub fn new(code: impl Into<String>, label: impl Into<String>, count: i64) -> QueueTab {
        QueueTab { code: code.into(), label: label.into(), count }
    }
}

/// One page of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage<R> {
    pub rows: Vec<R>,
    /// Rows matching the queue and the search, on every page.
    pub total: i64,
    /// 1-based, clamped to what exists in the URL's range.
    pub page: i64,
    pub page_size: i64,
    pub tabs: Vec<QueueTab>,
}

impl<R> QueuePage<R> {
    /// How many pages the matching rows fill (at least one, empty or not).
    pub fn pages(&self) -> i64 {
        ((self.total + self.page_size - 1) / self.page_size.max(1)).max(1)
    }

    /// The count of the tab with `code`.
    pub fn count(&self, code: &str) -> Option<i64> {
        self.tabs.iter().find(|t| t.code == code).map(|t| t.count)
    }
}

/// A page number from the URL: anything that is not a number is the first page.
pub fn page_number(value: Option<String>) -> i64 {
    value.and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(1)
}

/// The queue (the parameter `key`: `stato`, `coda`), the search and the page in the URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueQuery {
    pub queue: String,
    pub search: String,
    pub page: i64,
}

/// The [`QueueQuery`] of the current URL, tracked.
pub fn use_queue_query(key: &'static str) -> impl Fn() -> QueueQuery + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move || {
        query.with(|q| QueueQuery {
            queue: q.get(key).unwrap_or_default(),
            search: q.get("cerca").unwrap_or_default(),
            page: page_number(q.get("pagina")),
        })
    }
}

/// The search form above a queue: the text to look for and the queue, sent as a plain GET.
#[component]
pub fn QueueSearch<Q>(
    /// The page's path (`/segreteria/pagamenti`).
    action: &'static str,
    /// The queue's URL parameter (`stato`, `coda`).
    key: &'static str,
    /// A prefix for the fields' ids, unique on the page.
    id: &'static str,
    /// What the search looks in, in Italian.
    search_label: &'static str,
    select_label: &'static str,
    /// The queues to choose from: code and label ("Tutte" is added first).
    options: Vec<(&'static str, &'static str)>,
    all_label: &'static str,
    query: Q,
) -> impl IntoView
where
    Q: Fn() -> QueueQuery + Copy + Send + Sync + 'static,
{
    let (search_id, select_id) = (format!("cerca-{id}"), format!("{key}-{id}"));
    view! {
        <form method="get" action=action class="row g-2 align-items-end mb-3" role="search">
            <div class="col-12 col-md-5">
                <label for=search_id.clone() class="form-label">{search_label}</label>
                <input type="search" id=search_id name="cerca" class="form-control" value=move || query().search/>
            </div>
            <div class="col-12 col-md-4">
                <label for=select_id.clone() class="form-label">{select_label}</label>
                <select id=select_id name=key class="form-select">
                    <option value="" selected=move || query().queue.is_empty()>{all_label}</option>
                    {options.into_iter().map(|(code, label)| view! {
                        <option value=code selected=move || query().queue == code>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="col-12 col-md-3">
                <button type="submit" class="btn btn-primary w-100">"Cerca"</button>
            </div>
        </form>
    }
}

/// How a queue names its parts on the page.
#[derive(Debug, Clone, Copy)]
pub struct QueueText {
    /// `aria-label` of the tabs.
    pub tabs: &'static str,
    /// `data-testid` prefix of a tab's count (`coda` → `coda-INVIATA`).
    pub count_testid: &'static str,
    /// `data-testid` of the table.
    pub table_testid: &'static str,
    /// `data-testid` and text of the message shown when nothing matches.
    pub empty_testid: &'static str,
    pub empty: &'static str,
    /// What the rows are, in the plural ("domande"): "Pagina 1 di 2 (23 domande)".
    pub noun: &'static str,
    /// The table's column headings: `(heading, class)`, the class empty for none.
    pub columns: &'static [(&'static str, &'static str)],
}

/// A queue's page below its search form: the tabs with their counts (the current one marked),
/// the message when nothing matches or the table (`caption`, the headings of `text.columns`,
/// then one `row` a row), then the pager. `link(tab, page)` is the URL of a page of a tab with
/// the same search.
pub fn queue_view<R, V>(
    page: QueuePage<R>,
    current: &str,
    link: impl Fn(&str, i64) -> String,
    text: QueueText,
    caption: impl IntoView + 'static,
    row: impl FnMut(R) -> V,
) -> AnyView
where
    V: IntoView + 'static,
{
    let pages = page.pages();
    let tabs = page
        .tabs
        .iter()
        .map(|tab| {
            let active = tab.code == current;
            view! {
                <li class="nav-item">
                    <a class="nav-link" class:active=active aria-current=active.then_some("page") href=link(&tab.code, 1)>
                        {tab.label.clone()} " "
                        <span class="badge bg-primary" data-testid=format!("{}-{}", text.count_testid, tab.code)>{tab.count}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    let (previous, next) = (link(current, page.page - 1), link(current, page.page + 1));
    let body = if page.rows.is_empty() {
        view! { <p data-testid=text.empty_testid>{text.empty}</p> }.into_any()
    } else {
        view! {
            <div class="table-responsive">
                <table class="table" data-testid=text.table_testid>
                    {caption}
                    <thead><tr>{column_headings(text.columns)}</tr></thead>
                    <tbody>{page.rows.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <ul class="nav nav-tabs ecm-queues mb-3" aria-label=text.tabs>{tabs}</ul>
        {body}
        <nav aria-label="Pagine" class="d-flex flex-wrap gap-3 align-items-center">
            {(page.page > 1).then(|| view! { <a href=previous>"Pagina precedente"</a> })}
            <span>{format!("Pagina {} di {pages} ({} {})", page.page, page.total, text.noun)}</span>
            {(page.page < pages).then(|| view! { <a href=next>"Pagina successiva"</a> })}
        </nav>
    }
    .into_any()
}

/// The first cell of a row that names a provider: its name, linking to `href`, and below it
/// its codice fiscale.
#[component]
pub fn ProviderCell(href: String, name: String, codice_fiscale: String) -> impl IntoView {
    view! {
        <th scope="row"><A href=href>{name}</A><br/><span class="small">{codice_fiscale}</span></th>
    }
}

/// A filter from the URL: empty for none, else a code `parse` must know (an unknown one is
/// `NotFound`, as for a page that does not exist).
#[cfg(feature = "ssr")]
pub fn filter<T>(code: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, crate::error::AppError> {
    match code.trim() {
        "" => Ok(None),
        code => parse(code).map(Some).ok_or(crate::error::AppError::NotFound),
    }
}

/// A value, or a dash for none.
pub fn or_dash(value: Option<String>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or_else(|| "—".to_string())
}

/// Table columns shown from tablets (`MD`) or desktops (`LG`) up: phones keep the essentials.
pub const MD: &str = "d-none d-md-table-cell";
pub const LG: &str = "d-none d-lg-table-cell";

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: i64) -> QueuePage<()> {
        QueuePage { rows: vec![], total, page: 1, page_size: PAGE_SIZE, tabs: vec![QueueTab::new("A", "A", 3)] }
    }

    #[test]
    fn pages_round_up_and_an_empty_queue_has_one_page() {
        assert_eq!(page(0).pages(), 1);
        assert_eq!(page(20).pages(), 1);
        assert_eq!(page(21).pages(), 2);
        assert_eq!(page(41).pages(), 3);
        assert_eq!(page(0).count("A"), Some(3));
        assert_eq!(page(0).count("B"), None);
    }

    #[test]
    fn a_page_number_that_is_not_a_number_is_the_first_page() {
        assert_eq!(page_number(Some("3".into())), 3);
        assert_eq!(page_number(Some(" 2 ".into())), 2);
        assert_eq!(page_number(Some("tre".into())), 1);
        assert_eq!(page_number(None), 1);
    }
}
