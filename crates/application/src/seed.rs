//! `castellan seed --demo`: the custom-rbac seed's demo data, idempotent.

use crate::audit::event;
use crate::auth::{created_user_changes, user_snapshot, ADMIN_ROLE};
use crate::error::AppError;
use castellan_domain::audit::{diff, Actor, Event};
use castellan_domain::resource::{Record, Value};
use castellan_domain::resources::ARTICLES;
use castellan_domain::{Email, Profile, TenantId, User, UserId};
use castellan_ports::{Clock, PasswordHasher, ResourceRepository, UserRepository};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The demo users: email, password, role, superuser, their articles' titles.
const DEMO_USERS: [(&str, &str, &str, bool, &[&str]); 3] = [
    (
        "admin@example.com",
        "adminpass",
        ADMIN_ROLE,
        true,
        &["Admin Article 1", "Admin Article 2"],
    ),
    (
        "user@example.com",
        "userpass",
        "User",
        false,
        &["User Article 1", "User Article 2"],
    ),
    ("guest@example.com", "guestpass", "Guest", false, &[]),
];

/// What a seed run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Users created (existing ones are kept as they are).
    pub users_created: usize,
    /// Articles created.
    pub articles_created: usize,
    /// Rows removed first (`--reset`): users and articles.
    pub removed: usize,
}

/// The demo seed.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Business resources (the demo articles).
    pub resources: Arc<dyn ResourceRepository>,
    /// Hashing the demo passwords (which skip the password policy, and only they).
    pub hasher: Arc<dyn PasswordHasher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl DemoSeed {
    /// Creates what is missing; with `reset`, first removes the demo users and their
    /// articles (and nothing else).
    pub async fn run(&self, reset: bool) -> Result<SeedReport, AppError> {
        let mut report = SeedReport::default();
        if reset {
            report.removed = self.reset().await?;
        }
        for (email, password, role, superuser, titles) in DEMO_USERS {
            let email = Email::parse(email).map_err(|e| AppError::Internal(e.to_string()))?;
            let owner = match self.users.by_email(&email).await? {
                Some(user) => user,
                None => {
                    let user = self.demo_user(email, password, superuser).await?;
                    let audit = self
                        .event("user.create", user.tenant_id.0)
                        .target("user", user.id.0)
                        .changes(created_user_changes(&user, &[role]));
                    self.users.insert(&user, &[role], &audit).await?;
                    report.users_created += 1;
                    user
                }
            };
            let existing = self.articles_of(owner.id.0).await?;
            for title in titles {
                let title = Value::Text(title.to_string());
                if existing
                    .iter()
                    .any(|a| a.value(&ARTICLES, "title") == Some(&title))
                {
                    continue;
                }
                let now = self.clock.now();
                let content = Value::Text(format!(
                    "{}: demo content.",
                    title.as_text().unwrap_or_default()
                ));
                let article = Record {
                    id: Uuid::now_v7(),
                    tenant_id: owner.tenant_id.0,
                    owner_id: owner.id.0,
                    created_at: now,
                    updated_at: now,
                    values: vec![title, content],
                };
                let audit = self
                    .event("article.create", article.tenant_id)
                    .target("article", article.id)
                    .changes(diff(&json!({}), &article.snapshot(&ARTICLES)));
                self.resources.insert(&ARTICLES, &article, &audit).await?;
                report.articles_created += 1;
            }
        }
        Ok(report)
    }

    /// An event of the seed (actor `system`).
    fn event(&self, action: &str, tenant: Uuid) -> Event {
        event(action, Actor::system(), Some(tenant), self.clock.now()).meta("source", "seed")
    }

    async fn demo_user(
        &self,
        email: Email,
        password: &str,
        superuser: bool,
    ) -> Result<User, AppError> {
        let now = self.clock.now();
        Ok(User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash: self.hasher.hash(password.to_string()).await?,
            profile: Profile::default(),
            is_active: true,
            is_superuser: superuser,
            token_version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    async fn articles_of(&self, owner: Uuid) -> Result<Vec<Record>, AppError> {
        let query = castellan_ports::ListQuery {
            owner_id: Some(owner),
            page: 1,
            per_page: 1000,
            ..Default::default()
        };
        Ok(self.resources.list(&ARTICLES, &query).await?.items)
    }

    async fn reset(&self) -> Result<usize, AppError> {
        let mut removed = 0;
        for (email, ..) in DEMO_USERS {
            let email = Email::parse(email).map_err(|e| AppError::Internal(e.to_string()))?;
            let Some(user) = self.users.by_email(&email).await? else {
                continue;
            };
            for article in self.articles_of(user.id.0).await? {
                let audit = self
                    .event("article.delete", article.tenant_id)
                    .target("article", article.id);
                removed += usize::from(self.resources.delete(&ARTICLES, article.id, &audit).await?);
            }
            let audit = self
                .event("user.delete", user.tenant_id.0)
                .target("user", user.id.0)
                .meta("purged", true)
                .changes(diff(&user_snapshot(&user), &json!({})));
            self.users.purge(user.id, &audit).await?;
            removed += 1;
        }
        Ok(removed)
    }
}
