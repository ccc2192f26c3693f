//! `castellan seed --demo [--pharma] [--reset]`: demo data, idempotent.
//!
//! The custom-rbac seed's users and articles always; with `pharma`, the Pharma roles (QA,
//! Operator), their users and a small data set ([`pharma`]). Objects are validated by their
//! resource's declaration like a client's body, and every write is audited (actor `system`).

mod pharma;

use crate::audit::event;
use crate::auth::{created_user_changes, user_snapshot, ADMIN_ROLE};
use crate::error::AppError;
use castellan_domain::audit::{diff, Actor, Event};
use castellan_domain::resource::{Record, ResourceDef, Value, Write};
use castellan_domain::resources::ARTICLES;
use castellan_domain::{Email, Profile, TenantId, User, UserId};
use castellan_ports::{
    Clock, ListQuery, PasswordHasher, ResourceRepository, RoleRepository, UserRepository,
};
use serde_json::{json, Value as Json};
use std::sync::Arc;
use uuid::Uuid;

/// A demo account: email, password, role, superuser.
#[derive(Debug, Clone, Copy)]
struct DemoUser {
    email: &'static str,
    password: &'static str,
    role: &'static str,
    superuser: bool,
}

/// The custom-rbac seed's users, with their articles' titles.
const DEMO_USERS: [(DemoUser, &[&str]); 3] = [
    (
        DemoUser {
            email: "admin@example.com",
            password: "adminpass",
            role: ADMIN_ROLE,
            superuser: true,
        },
        &["Admin Article 1", "Admin Article 2"],
    ),
    (
        DemoUser {
            email: "user@example.com",
            password: "userpass",
            role: "User",
            superuser: false,
        },
        &["User Article 1", "User Article 2"],
    ),
    (
        DemoUser {
            email: "guest@example.com",
            password: "guestpass",
            role: "Guest",
            superuser: false,
        },
        &[],
    ),
];

/// What to seed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedOptions {
    /// First remove what earlier demo seeds created (and nothing else).
    pub reset: bool,
    /// Also the Pharma roles, users and data set.
    pub pharma: bool,
}

/// What a seed run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Users created (existing ones are kept as they are).
    pub users_created: usize,
    /// Articles created.
    pub articles_created: usize,
    /// Roles created (with their access rules).
    pub roles_created: usize,
    /// Business objects created besides articles, by resource (`sites`, ...), in order.
    pub objects_created: Vec<(&'static str, usize)>,
    /// Rows removed first (`reset`): users, roles and business objects.
    pub removed: usize,
    /// The accounts to log in with: email, password, role.
    pub logins: Vec<(&'static str, &'static str, &'static str)>,
}

impl SeedReport {
    fn created(&mut self, def: &ResourceDef) {
        match self
            .objects_created
            .iter_mut()
            .find(|(p, _)| *p == def.plural)
        {
            Some((_, count)) => *count += 1,
            None => self.objects_created.push((def.plural, 1)),
        }
    }
}

/// The demo seed.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// Users.
    pub users: Arc<dyn UserRepository>,
    /// Business resources.
    pub resources: Arc<dyn ResourceRepository>,
    /// Roles and their rules (the Pharma roles).
    pub roles: Arc<dyn RoleRepository>,
    /// Hashing the demo passwords (which skip the password policy, and only they).
    pub hasher: Arc<dyn PasswordHasher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl DemoSeed {
    /// Creates what is missing; with `reset`, first removes what demo seeds created (and
    /// nothing else).
    pub async fn run(&self, options: SeedOptions) -> Result<SeedReport, AppError> {
        let mut report = SeedReport::default();
        if options.reset {
            // The Pharma data names the demo admin: it goes first, whatever `pharma` says.
            report.removed += self.reset_pharma().await?;
            report.removed += self.reset_demo().await?;
        }
        for (demo, titles) in DEMO_USERS {
            let owner = self.ensure_user(demo, &mut report).await?;
            let existing = self.owned(&ARTICLES, owner.id.0).await?;
            for title in titles {
                let title = Value::Text(title.to_string());
                if existing
                    .iter()
                    .any(|a| a.value(&ARTICLES, "title") == Some(&title))
                {
                    continue;
                }
                let text = title.as_text().unwrap_or_default();
                let body = json!({"title": text, "content": format!("{text}: demo content.")});
                self.create(&ARTICLES, &owner, body).await?;
                report.articles_created += 1;
            }
        }
        if options.pharma {
            self.pharma(&mut report).await?;
        }
        Ok(report)
    }

    /// An event of the seed (actor `system`).
    fn event(&self, action: &str, tenant: Uuid) -> Event {
        event(action, Actor::system(), Some(tenant), self.clock.now()).meta("source", "seed")
    }

    /// The demo account, created (in the default tenant, with its role) if missing.
    async fn ensure_user(&self, demo: DemoUser, report: &mut SeedReport) -> Result<User, AppError> {
        report.logins.push((demo.email, demo.password, demo.role));
        let email = demo_email(demo.email)?;
        if let Some(user) = self.users.by_email(&email).await? {
            return Ok(user);
        }
        let now = self.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash: self.hasher.hash(demo.password.to_string()).await?,
            profile: Profile::default(),
            is_active: true,
            is_superuser: demo.superuser,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = self
            .event("user.create", user.tenant_id.0)
            .target("user", user.id.0)
            .changes(created_user_changes(&user, &[demo.role]));
        self.users.insert(&user, &[demo.role], &audit).await?;
        report.users_created += 1;
        Ok(user)
    }

    /// Stores an object of `def` owned by `owner`, its fields from `body` validated by the
    /// declaration as a client's would be.
    async fn create(
        &self,
        def: &'static ResourceDef,
        owner: &User,
        body: Json,
    ) -> Result<Record, AppError> {
        let now = self.clock.now();
        let fields = body.as_object().cloned().unwrap_or_default();
        let values = def
            .values_from(&fields, Write::Create, now)
            .map_err(|problems| {
                AppError::Internal(format!("demo {}: {problems:?}", def.element))
            })?;
        let record = Record {
            id: Uuid::now_v7(),
            tenant_id: owner.tenant_id.0,
            owner_id: owner.id.0,
            created_at: now,
            updated_at: now,
            values,
        };
        let audit = self
            .event(&format!("{}.create", def.element), record.tenant_id)
            .target(def.element, record.id)
            .changes(diff(&json!({}), &record.snapshot(def)));
        self.resources.insert(def, &record, &audit).await?;
        Ok(record)
    }

    /// The objects of `def` that `owner` owns (at most 1,000: the seed makes a few).
    async fn owned(&self, def: &'static ResourceDef, owner: Uuid) -> Result<Vec<Record>, AppError> {
        let query = ListQuery {
            owner_id: Some(owner),
            page: 1,
            per_page: 1000,
            ..Default::default()
        };
        Ok(self.resources.list(def, &query).await?.items)
    }

    /// Deletes `records` of `def`; how many went.
    async fn remove(
        &self,
        def: &'static ResourceDef,
        records: &[Record],
    ) -> Result<usize, AppError> {
        let mut removed = 0;
        for record in records {
            let audit = self
                .event(&format!("{}.delete", def.element), record.tenant_id)
                .target(def.element, record.id)
                .changes(diff(&record.snapshot(def), &json!({})));
            removed += usize::from(self.resources.delete(def, record.id, &audit).await?);
        }
        Ok(removed)
    }

    /// Removes a demo account for good, with its sessions and grants.
    async fn purge(&self, user: &User) -> Result<usize, AppError> {
        let audit = self
            .event("user.delete", user.tenant_id.0)
            .target("user", user.id.0)
            .meta("purged", true)
            .changes(diff(&user_snapshot(user), &json!({})));
        self.users.purge(user.id, &audit).await?;
        Ok(1)
    }

    /// The demo account with this email, if it exists.
    async fn existing(&self, email: &str) -> Result<Option<User>, AppError> {
        Ok(self.users.by_email(&demo_email(email)?).await?)
    }

    async fn reset_demo(&self) -> Result<usize, AppError> {
        let mut removed = 0;
        for (demo, _) in DEMO_USERS {
            let Some(user) = self.existing(demo.email).await? else {
                continue;
            };
            let articles = self.owned(&ARTICLES, user.id.0).await?;
            removed += self.remove(&ARTICLES, &articles).await?;
            removed += self.purge(&user).await?;
        }
        Ok(removed)
    }
}

fn demo_email(email: &str) -> Result<Email, AppError> {
    Email::parse(email).map_err(|e| AppError::Internal(e.to_string()))
}
