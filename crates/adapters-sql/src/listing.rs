//! Helpers every list query shares: case-insensitive search and paging.

use castellan_ports::ListQuery;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends (PostgreSQL's `ILIKE` has no SQLite twin).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A `LIKE` pattern matching `search` anywhere, lower-cased, with `%`, `_` and `\` escaped
/// (use with `.escape('\\')`).
pub(crate) fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `LIMIT` and `OFFSET` of the query's page.
pub(crate) fn page_bounds(query: &ListQuery) -> (i64, i64) {
    let per_page = i64::from(query.per_page.max(1));
    let page = i64::from(query.page.max(1));
    (per_page, (page - 1) * per_page)
}

/// Counts the rows `$counted` selects, then loads one page of `$rows` (the same rows,
/// ordered, with their select clause): `(items, total)`, the count-then-page step every
/// list query shares. A macro because the diesel query types differ per table and backend.
macro_rules! count_and_page {
    ($conn:expr, $query:expr, $counted:expr, $rows:expr) => {{
        let total: i64 = $counted
            .count()
            .get_result($conn)
            .await
            .map_err(crate::error::from_diesel)?;
        let (limit, offset) = crate::listing::page_bounds($query);
        let items = $rows
            .limit(limit)
            .offset(offset)
            .load($conn)
            .await
            .map_err(crate::error::from_diesel)?;
        (items, u64::try_from(total).unwrap_or(0))
    }};
}
pub(crate) use count_and_page;
