//! Articles: the custom-rbac seed's resource, guarded by [`crate::guard`].

use crate::auth::Principal;
use crate::error::{AppError, FieldError};
use crate::guard::{ensure_create, ensure_object, list_query, not_found_or_forbidden, ListRequest};
use castellan_domain::audit::diff;
use castellan_domain::rbac::Action;
use castellan_ports::{Article, ArticleRepository, Clock, Page};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// The element key.
pub const ELEMENT: &str = "article";
/// Columns `?ordering=` accepts.
pub const ORDERABLE: [&str; 3] = ["created_at", "updated_at", "title"];
const MAX_TITLE: usize = 200;
const MAX_CONTENT: usize = 50_000;

/// Fields of a create, replace (`PUT`: all) or patch (`PATCH`: some).
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    /// 1–200 characters.
    pub title: Option<String>,
    /// At most 50,000 characters.
    pub content: Option<String>,
}

/// Article use cases.
#[derive(Debug, Clone)]
pub struct ArticleService {
    articles: Arc<dyn ArticleRepository>,
    clock: Arc<dyn Clock>,
}

/// What the audit trail keeps of an article.
fn snapshot(article: &Article) -> Value {
    json!({
        "title": article.title,
        "content": article.content,
        "owner_id": article.owner_id,
        "tenant_id": article.tenant_id,
    })
}

fn validate(title: &str, content: &str) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let title_len = title.trim().chars().count();
    if title_len == 0 || title.chars().count() > MAX_TITLE {
        errors.push(FieldError::new(
            "title",
            format!("title must be 1 to {MAX_TITLE} characters"),
        ));
    }
    if content.chars().count() > MAX_CONTENT {
        errors.push(FieldError::new(
            "content",
            format!("content must be at most {MAX_CONTENT} characters"),
        ));
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(AppError::Validation(errors)),
    }
}

impl ArticleService {
    /// A service over `articles`.
    pub fn new(articles: Arc<dyn ArticleRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { articles, clock }
    }

    /// The articles the caller may see.
    pub async fn list(
        &self,
        principal: &Principal,
        request: ListRequest,
    ) -> Result<Page<Article>, AppError> {
        let query = list_query(principal, ELEMENT, request)?;
        Ok(self.articles.list(&query).await?)
    }

    /// Loads an article and checks `action` on it.
    async fn guarded(
        &self,
        principal: &Principal,
        id: Uuid,
        action: Action,
    ) -> Result<Article, AppError> {
        let article = self.articles.get(id).await?;
        let Some(article) = article else {
            return Err(not_found_or_forbidden(principal, ELEMENT));
        };
        ensure_object(
            principal,
            ELEMENT,
            action,
            (article.id, article.owner_id, article.tenant_id),
        )?;
        Ok(article)
    }

    /// One article.
    pub async fn get(&self, principal: &Principal, id: Uuid) -> Result<Article, AppError> {
        self.guarded(principal, id, Action::Read).await
    }

    /// Creates an article owned by the caller in the caller's tenant.
    pub async fn create(
        &self,
        principal: &Principal,
        input: ArticleInput,
    ) -> Result<Article, AppError> {
        ensure_create(principal, ELEMENT)?;
        let title = input.title.unwrap_or_default();
        let content = input.content.unwrap_or_default();
        validate(&title, &content)?;
        let now = self.clock.now();
        let article = Article {
            id: Uuid::now_v7(),
            tenant_id: principal.tenant_id().0,
            owner_id: principal.user_id().0,
            title,
            content,
            created_at: now,
            updated_at: now,
        };
        let audit = principal
            .event("article.create", article.tenant_id, now)
            .target(ELEMENT, article.id)
            .changes(diff(&json!({}), &snapshot(&article)));
        self.articles.insert(&article, &audit).await?;
        Ok(article)
    }

    /// Updates an article: `replace` (PUT) needs the title; otherwise (PATCH) absent fields
    /// keep their value.
    pub async fn update(
        &self,
        principal: &Principal,
        id: Uuid,
        input: ArticleInput,
        replace: bool,
    ) -> Result<Article, AppError> {
        let current = self.guarded(principal, id, Action::Update).await?;
        let title = match (input.title, replace) {
            (Some(title), _) => title,
            (None, true) => String::new(),
            (None, false) => current.title.clone(),
        };
        let content = match (input.content, replace) {
            (Some(content), _) => content,
            (None, true) => String::new(),
            (None, false) => current.content.clone(),
        };
        validate(&title, &content)?;
        let now = self.clock.now();
        let audit = principal
            .event("article.update", current.tenant_id, now)
            .target(ELEMENT, id);
        let updated = Article {
            title,
            content,
            updated_at: now,
            ..current.clone()
        };
        let audit = audit.changes(diff(&snapshot(&current), &snapshot(&updated)));
        self.articles
            .update(&updated, &audit)
            .await?
            .ok_or_else(|| AppError::NotFound("no such article".into()))
    }

    /// Deletes an article.
    pub async fn delete(&self, principal: &Principal, id: Uuid) -> Result<(), AppError> {
        let article = self.guarded(principal, id, Action::Delete).await?;
        let audit = principal
            .event("article.delete", article.tenant_id, self.clock.now())
            .target(ELEMENT, id)
            .changes(diff(&snapshot(&article), &json!({})));
        self.articles.delete(id, &audit).await?;
        Ok(())
    }
}
