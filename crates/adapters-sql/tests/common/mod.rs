//! What the PostgreSQL-only test files share.

use castellan_adapters_sql::postgres::run_migrations;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// A new, migrated database on the local PostgreSQL (`CASTELLAN_TEST_PG_URL` names the
/// admin connection); its URL.
pub async fn fresh_database() -> String {
    let admin = std::env::var("CASTELLAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("castellan_ct_{}", Uuid::new_v4().simple());
    let mut conn = AsyncPgConnection::establish(&admin).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    run_migrations(&url).await.unwrap();
    url
}
