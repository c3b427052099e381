//! The paged query behind every console queue: a filter built from fixed SQL fragments whose
//! values travel only as numbered `$n` placeholders ([`Filter`]), then one count and one page of
//! rows with the same filter ([`fetch_page`]).

use sqlx::any::AnyRow;
use sqlx::FromRow;

use super::StoreError;
use crate::db::Db;

/// A `WHERE` clause and the values of its placeholders, in order.
#[derive(Debug, Clone)]
pub struct Filter {
    sql: String,
    binds: Vec<String>,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter::new()
    }
}

impl Filter {
    /// No condition yet: every row.
    pub fn new() -> Filter {
        Filter { sql: "1 = 1".to_string(), binds: Vec::new() }
    }

    /// Binds `value` and returns its placeholder (`$3`), for a condition added next.
    pub fn bind(&mut self, value: impl Into<String>) -> String {
        self.binds.push(value.into());
        format!("${}", self.binds.len())
    }

    /// `AND (condition)`: a fixed fragment, values only through [`Filter::bind`].
    pub fn and(&mut self, condition: &str) {
        self.sql.push_str(" AND (");
        self.sql.push_str(condition);
        self.sql.push(')');
    }

    /// `column IN ($i, …)`, one placeholder per value (no value: no row).
    pub fn one_of<'a>(&mut self, column: &str, values: impl IntoIterator<Item = &'a str>) {
        let list: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        if list.is_empty() {
            self.and("1 = 0");
        } else {
            self.and(&format!("{column} IN ({})", list.join(", ")));
        }
    }

    /// The rows where one of `columns` contains `search` (trimmed, case-insensitive); nothing
    /// to filter when `search` is blank. Nullable columns are compared as empty text.
    pub fn search(&mut self, search: &str, columns: &[&str]) {
        let search = search.trim().to_lowercase();
        if search.is_empty() {
            return;
        }
        let n = self.bind(format!("%{search}%"));
        let any = columns.iter().map(|c| format!("LOWER(COALESCE({c}, '')) LIKE {n}")).collect::<Vec<_>>().join(" OR ");
        self.and(&any);
    }
}

/// A page of a console query: how many rows `from` + `filter` hold, and the `page`-th run of
/// `page_size` of them in `order` (`page` clamped to `1..=MAX_PAGE`, so that the offset can
/// neither overflow nor wrap).
pub async fn fetch_page<R>(
    db: &Db,
    columns: &str,
    from: &str,
    filter: &Filter,
    order: &str,
    page: i64,
    page_size: i64,
) -> Result<(Vec<R>, i64), StoreError>
where
    R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let page = page.clamp(1, super::MAX_PAGE);
    let where_ = &filter.sql;
    let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {from} WHERE {where_}")));
    for value in &filter.binds {
        count = count.bind(value.clone());
    }
    let total = count.fetch_one(db.pool()).await?;
    let sql = format!(
        "SELECT {columns} {from} WHERE {where_} ORDER BY {order} LIMIT {page_size} OFFSET {}",
        (page - 1) * page_size
    );
    let mut list = sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql));
    for value in &filter.binds {
        list = list.bind(value.clone());
    }
    Ok((list.fetch_all(db.pool()).await?, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_travel_as_numbered_placeholders_only() {
        let mut filter = Filter::new();
        filter.one_of("r.state", ["INVIATA", "ACCREDITATO"]);
        filter.search("  Rossi'; DROP TABLE x --  ", &["p.denominazione", "p.partita_iva"]);
        assert_eq!(
            filter.sql,
            "1 = 1 AND (r.state IN ($1, $2)) AND (LOWER(COALESCE(p.denominazione, '')) LIKE $3 OR \
             LOWER(COALESCE(p.partita_iva, '')) LIKE $3)"
        );
        assert_eq!(filter.binds, ["INVIATA", "ACCREDITATO", "%rossi'; drop table x --%"]);
    }

    #[test]
    fn a_blank_search_filters_nothing_and_no_value_matches_no_row() {
        let mut filter = Filter::new();
        filter.search("   ", &["p.denominazione"]);
        assert_eq!(filter.sql, "1 = 1");
        filter.one_of("d.state", []);
        assert_eq!(filter.sql, "1 = 1 AND (1 = 0)");
        assert!(filter.binds.is_empty());
    }
}
