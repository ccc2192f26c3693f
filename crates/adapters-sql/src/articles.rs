//! [`ArticleRepository`] over SQL, shared by the PostgreSQL and SQLite adapters.

use crate::audit::audited;
use crate::backend::{change_on, on, Change, Db};
use crate::error::from_diesel;
use crate::listing::{count_and_page, like_pattern, lower};
use crate::schema::articles;
use crate::sql_types::{at, from_db, uid, DbTime, DbUuid};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_ports::{Article, ArticleRepository, ListQuery, Page, RepoError};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = articles)]
struct ArticleRow {
    id: DbUuid,
    tenant_id: DbUuid,
    owner_id: DbUuid,
    title: String,
    content: String,
    created_at: DbTime,
    updated_at: DbTime,
}

impl From<ArticleRow> for Article {
    fn from(row: ArticleRow) -> Self {
        Article {
            id: from_db(row.id),
            tenant_id: from_db(row.tenant_id),
            owner_id: from_db(row.owner_id),
            title: row.title,
            content: row.content,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
        }
    }
}

impl From<&Article> for ArticleRow {
    fn from(a: &Article) -> Self {
        ArticleRow {
            id: uid(a.id),
            tenant_id: uid(a.tenant_id),
            owner_id: uid(a.owner_id),
            title: a.title.clone(),
            content: a.content.clone(),
            created_at: at(a.created_at),
            updated_at: at(a.updated_at),
        }
    }
}

/// The rows `query` selects, before ordering and paging.
macro_rules! filtered {
    ($query:expr) => {{
        let query: &ListQuery = $query;
        let mut rows = articles::table.into_boxed();
        if let Some(tenant) = query.tenant_id {
            rows = rows.filter(articles::tenant_id.eq(uid(tenant)));
        }
        if let Some(owner) = query.owner_id {
            rows = rows.filter(articles::owner_id.eq(uid(owner)));
        }
        if let Some(search) = query.search.as_deref() {
            let pattern = like_pattern(search);
            rows = rows.filter(
                lower(articles::title)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(articles::content).like(pattern).escape('\\')),
            );
        }
        rows
    }};
}

/// Articles in the `articles` table.
#[derive(Debug, Clone)]
pub struct ArticleStore {
    db: Db,
}

impl ArticleStore {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl ArticleRepository for ArticleStore {
    async fn list(&self, query: &ListQuery) -> Result<Page<Article>, RepoError> {
        let mut db = self.db.get().await?;
        let (items, total): (Vec<ArticleRow>, u64) = on!(db.conn(), |c| {
            let mut rows = filtered!(query);
            for order in &query.ordering {
                rows = match (order.field.as_str(), order.descending) {
                    ("title", false) => rows.then_order_by(articles::title.asc()),
                    ("title", true) => rows.then_order_by(articles::title.desc()),
                    ("updated_at", false) => rows.then_order_by(articles::updated_at.asc()),
                    ("updated_at", true) => rows.then_order_by(articles::updated_at.desc()),
                    ("created_at", false) => rows.then_order_by(articles::created_at.asc()),
                    _ => rows.then_order_by(articles::created_at.desc()),
                };
            }
            let rows = rows
                .then_order_by(articles::id.desc())
                .select(ArticleRow::as_select());
            count_and_page!(c, query, filtered!(query), rows)
        });
        Ok(Page {
            items: items.into_iter().map(Article::from).collect(),
            total,
        })
    }

    async fn get(&self, id: Uuid) -> Result<Option<Article>, RepoError> {
        let mut db = self.db.get().await?;
        on!(db.conn(), |c| articles::table
            .find(uid(id))
            .select(ArticleRow::as_select())
            .first(c)
            .await)
        .optional()
        .map(|row| row.map(Article::from))
        .map_err(from_diesel)
    }

    async fn insert(&self, article: &Article, audit: &Event) -> Result<(), RepoError> {
        let row = ArticleRow::from(article);
        let change: Change<()> = change_on!(|conn| {
            diesel::insert_into(articles::table)
                .values(row)
                .execute(conn)
                .await
                .map(|_| ())
        });
        audited(&self.db, audit, change).await
    }

    async fn update(&self, article: &Article, audit: &Event) -> Result<Option<Article>, RepoError> {
        let row = ArticleRow::from(article);
        let change: Change<Option<ArticleRow>> = change_on!(|conn| {
            diesel::update(articles::table.find(row.id))
                .set((
                    articles::title.eq(row.title),
                    articles::content.eq(row.content),
                    articles::updated_at.eq(row.updated_at),
                ))
                .returning(ArticleRow::as_returning())
                .get_result(conn)
                .await
                .optional()
        });
        let row = audited(&self.db, audit, change).await?;
        Ok(row.map(Article::from))
    }

    async fn delete(&self, id: Uuid, audit: &Event) -> Result<bool, RepoError> {
        let change: Change<bool> = change_on!(|conn| {
            diesel::delete(articles::table.find(uid(id)))
                .execute(conn)
                .await
                .map(|n| n > 0)
        });
        audited(&self.db, audit, change).await
    }
}
