//! Reporting the row-level-security state of the database (`castellan rls status`).

use diesel::sql_types::{Bool, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// One table's row-level-security state.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct RlsTable {
    /// Table name.
    #[diesel(sql_type = Text)]
    pub table: String,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[diesel(sql_type = Bool)]
    pub enabled: bool,
    /// `FORCE ROW LEVEL SECURITY` (applies to the owner too).
    #[diesel(sql_type = Bool)]
    pub forced: bool,
    /// Policy names and expressions, `; `-separated.
    #[diesel(sql_type = Nullable<Text>)]
    pub policies: Option<String>,
}

/// Every table of the `public` schema with its row-level-security state and policies.
pub async fn rls_status(url: &str) -> Result<Vec<RlsTable>, String> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .map_err(|e| e.to_string())?;
    diesel::sql_query(
        "SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced, \
                string_agg(p.polname || ': ' || pg_get_expr(p.polqual, p.polrelid), '; ') AS policies \
         FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid \
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' \
           AND c.relname <> '__diesel_schema_migrations' \
         GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity ORDER BY c.relname",
    )
    .load(&mut conn)
    .await
    .map_err(|e| e.to_string())
}
