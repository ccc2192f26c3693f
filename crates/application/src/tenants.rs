//! Tenants: self-service bootstrap (tenant, system roles and rules, first admin in one
//! transaction), and the tenant routes' visibility rules.

use crate::audit::event;
use crate::auth::{name_field, parse_email, AuthService, Principal, ADMIN_ROLE};
use crate::error::{AppError, Deferred, Denial, FieldError};
use crate::guard::ListRequest;
use castellan_domain::audit::{diff, Actor};
use castellan_domain::rbac::{AccessFlags, AccessRule, Action};
use castellan_domain::{Profile, TenantId, User, UserId};
use castellan_domain::{Role, StoredRule, Tenant};
use castellan_ports::scope::{scoped, DataScope};
use castellan_ports::{
    AccessRepository, Clock, ListQuery, Page, RepoError, TenantBootstrap, TenantRepository,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

const ELEMENT: &str = "tenant";

/// `POST /tenants` input.
#[derive(Debug, Clone, Default)]
pub struct TenantInput {
    /// Display name, 1–200 characters.
    pub name: Option<String>,
    /// 3–63 of `[a-z0-9-]`; derived from the name when absent.
    pub slug: Option<String>,
    /// The first admin's email.
    pub admin_email: Option<String>,
    /// The first admin's password (password policy, errors on `admin.password`).
    pub admin_password: Option<String>,
    /// The first admin's names.
    pub admin_first_name: Option<String>,
    /// The first admin's names.
    pub admin_last_name: Option<String>,
}

/// `PATCH /tenants/{id}` input.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    /// New display name.
    pub name: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// Whether `slug` is 3–63 characters of `[a-z0-9-]`, not starting or ending with `-`.
///
/// ```
/// use castellan_application::tenants::valid_slug;
/// assert!(valid_slug("acme-corp"));
/// assert!(!valid_slug("-acme") && !valid_slug("ab") && !valid_slug("Acme"));
/// ```
pub fn valid_slug(slug: &str) -> bool {
    (3..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// A slug from a display name: lower-cased, runs of other characters become one `-`.
///
/// ```
/// use castellan_application::tenants::slug_from;
/// assert_eq!(slug_from("  Acme Corp. (EU) "), "acme-corp-eu");
/// ```
pub fn slug_from(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-')
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// The system roles every tenant starts with, and their rules (the same as the default
/// tenant's from the migrations).
fn system_roles(
    tenant: Uuid,
    elements: &[String],
    now: DateTime<Utc>,
) -> (Vec<Role>, Vec<StoredRule>) {
    let own = AccessFlags {
        can_read_own: true,
        can_create: true,
        can_update_own: true,
        can_delete_own: true,
        ..AccessFlags::none()
    };
    let api_key = AccessFlags {
        can_update_own: false,
        ..own
    };
    let guest = AccessFlags {
        can_read_all: true,
        can_read_own: true,
        ..AccessFlags::none()
    };
    let admin_rules: Vec<(String, AccessFlags)> = elements
        .iter()
        .map(|e| (e.clone(), AccessFlags::all()))
        .collect();
    let user_rules: Vec<(String, AccessFlags)> = ["article", "project", "workflow", "task"]
        .iter()
        .map(|e| (e.to_string(), own))
        .chain([("api_key".to_string(), api_key)])
        .collect();
    let template = [
        (ADMIN_ROLE, "Every permission on every element", admin_rules),
        (
            "User",
            "Own articles, projects, workflows, tasks and API keys",
            user_rules,
        ),
        (
            "Guest",
            "Reads every article",
            vec![("article".to_string(), guest)],
        ),
    ];
    let mut roles = Vec::new();
    let mut rules = Vec::new();
    for (name, description, grants) in template {
        let role = Role {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: name.to_string(),
            description: description.to_string(),
            is_system: true,
            created_at: now,
            updated_at: now,
        };
        for (element, flags) in grants {
            rules.push(StoredRule {
                tenant_id: tenant,
                rule: AccessRule {
                    id: Uuid::now_v7(),
                    role_id: role.id,
                    role: role.name.clone(),
                    element,
                    flags,
                },
            });
        }
        roles.push(role);
    }
    (roles, rules)
}

/// Tenant use cases.
#[derive(Debug, Clone)]
pub struct TenantService {
    tenants: Arc<dyn TenantRepository>,
    access: Arc<dyn AccessRepository>,
    auth: AuthService,
    clock: Arc<dyn Clock>,
    self_service: bool,
}

impl TenantService {
    /// A service; `self_service` opens `POST /tenants` to anyone.
    pub fn new(
        tenants: Arc<dyn TenantRepository>,
        access: Arc<dyn AccessRepository>,
        auth: AuthService,
        clock: Arc<dyn Clock>,
        self_service: bool,
    ) -> Self {
        Self {
            tenants,
            access,
            auth,
            clock,
            self_service,
        }
    }

    /// Whether `caller` may create a tenant: anyone with self-service on, else superusers.
    pub fn ensure_may_create(&self, caller: Option<&Principal>) -> Result<(), AppError> {
        let superuser = caller.is_some_and(|p| {
            p.subject.is_superuser() && p.subject.allows(ELEMENT, Action::Create, None)
        });
        if self.self_service || superuser {
            return Ok(());
        }
        Err(match caller {
            None => AppError::Unauthenticated("creating a tenant needs a superuser"),
            Some(_) => Denial::new(ELEMENT, "create")
                .because("creating a tenant needs a superuser")
                .into(),
        })
    }

    /// Creates a tenant with its system roles and first admin, all or nothing; returns the
    /// tenant and the admin's id.
    pub async fn create<E: From<AppError>>(
        &self,
        caller: Option<&Principal>,
        input: Deferred<TenantInput, E>,
    ) -> Result<(Tenant, UserId), E> {
        self.ensure_may_create(caller)?;
        Ok(self.bootstrap(caller, input?).await?)
    }

    async fn bootstrap(
        &self,
        caller: Option<&Principal>,
        input: TenantInput,
    ) -> Result<(Tenant, UserId), AppError> {
        let mut errors = Vec::new();
        let raw_name = input.name.unwrap_or_default();
        let name = raw_name.trim().to_string();
        if name.is_empty() || raw_name.chars().count() > 200 {
            errors.push(FieldError::new("name", "name must be 1 to 200 characters"));
        }
        let slug = match input.slug {
            Some(slug) if valid_slug(&slug) => slug,
            Some(_) => {
                errors.push(FieldError::new("slug", "slug must be 3 to 63 characters of a-z, 0-9 and -, not starting or ending with -"));
                String::new()
            }
            None => {
                let slug = slug_from(&name);
                if !name.is_empty() && !valid_slug(&slug) {
                    errors.push(FieldError::new(
                        "slug",
                        "cannot derive a slug from the name: give one",
                    ));
                }
                slug
            }
        };
        let email = parse_email(input.admin_email.as_deref(), "admin.email", &mut errors);
        let profile = Profile {
            first_name: name_field(input.admin_first_name, "admin.first_name", &mut errors),
            last_name: name_field(input.admin_last_name, "admin.last_name", &mut errors),
            patronymic: String::new(),
        };
        let hash = self
            .auth
            .new_password_hash(
                input.admin_password.as_deref(),
                email.as_ref(),
                "admin.password",
                &mut errors,
            )
            .await?;
        let (Some(email), Some(password_hash), true) = (email, hash, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let now = self.clock.now();
        let tenant = Tenant {
            id: Uuid::now_v7(),
            name,
            slug,
            is_active: true,
            created_at: now,
        };
        let elements: Vec<String> = self
            .access
            .elements()
            .await?
            .into_iter()
            .map(|e| e.key)
            .collect();
        let (roles, rules) = system_roles(tenant.id, &elements, now);
        let admin = User {
            id: UserId::new(),
            tenant_id: TenantId(tenant.id),
            email,
            password_hash,
            profile,
            is_active: true,
            is_superuser: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let admin_id = admin.id;
        let bootstrap = TenantBootstrap {
            tenant: tenant.clone(),
            roles,
            rules,
            admin,
            admin_roles: vec![ADMIN_ROLE.to_string()],
        };
        // The tenant's chain starts with its own creation; anonymous on self-service.
        let actor = caller.map_or_else(Actor::anonymous, Principal::actor);
        let mut after = tenant_snapshot(&tenant);
        after["admin"] = json!({"id": admin_id.0, "email": bootstrap.admin.email.as_str()});
        let audit = event("tenant.create", actor, Some(tenant.id), now)
            .target(ELEMENT, tenant.id)
            .changes(diff(&json!({}), &after));
        // A new tenant lies outside whatever tenant the caller belongs to (and emails are
        // unique across tenants): this write looks past the caller's data scope.
        let written = scoped(
            DataScope::System,
            self.tenants.bootstrap(&bootstrap, &audit),
        );
        match written.await {
            Err(RepoError::Conflict(subject)) => {
                let field = if subject == "email" {
                    "admin.email"
                } else {
                    "slug"
                };
                Err(AppError::Conflict {
                    message: format!("{field} is already taken"),
                    field: Some(field.into()),
                })
            }
            other => other.map(|()| (tenant, admin_id)).map_err(AppError::from),
        }
    }

    fn readable(p: &Principal) -> Result<(), AppError> {
        match p.subject.decide(ELEMENT, Action::Read, None).allowed {
            true => Ok(()),
            false => Err(Denial::new(ELEMENT, "read").into()),
        }
    }

    /// Tenants the caller may see: all for superusers, else only their own.
    pub async fn list(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<Tenant>, AppError> {
        Self::readable(p)?;
        let only = match p.subject.is_superuser() {
            true => request.tenant_id,
            false => Some(p.tenant_id().0),
        };
        let query = ListQuery {
            tenant_id: only,
            page: request.page,
            per_page: request.per_page,
            ..ListQuery::default()
        };
        Ok(self.tenants.list(&query).await?)
    }

    /// One tenant (another tenant: 404, superusers aside).
    pub async fn get(&self, p: &Principal, id: Uuid) -> Result<Tenant, AppError> {
        Self::readable(p)?;
        let found = self.tenants.get(id).await?;
        found
            .filter(|t| p.subject.is_superuser() || t.id == p.tenant_id().0)
            .ok_or_else(|| AppError::NotFound("no such tenant".into()))
    }

    /// Renames or (de)activates a tenant.
    pub async fn update<E: From<AppError>>(
        &self,
        p: &Principal,
        id: Uuid,
        patch: Deferred<TenantPatch, E>,
    ) -> Result<Tenant, E> {
        let current = self.get(p, id).await?;
        if !p.subject.decide(ELEMENT, Action::Update, None).allowed {
            return Err(AppError::from(Denial::new(ELEMENT, "update").on(id)).into());
        }
        Ok(self.change(p, current, patch?).await?)
    }

    async fn change(
        &self,
        p: &Principal,
        current: Tenant,
        patch: TenantPatch,
    ) -> Result<Tenant, AppError> {
        let id = current.id;
        let too_long = patch.name.as_ref().is_some_and(|n| n.chars().count() > 200);
        let name = patch
            .name
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| current.name.clone());
        if name.is_empty() || too_long {
            return Err(AppError::field("name", "name must be 1 to 200 characters"));
        }
        let updated = Tenant {
            name,
            is_active: patch.is_active.unwrap_or(current.is_active),
            ..current.clone()
        };
        let audit = p
            .event("tenant.update", id, self.clock.now())
            .target(ELEMENT, id)
            .changes(diff(&tenant_snapshot(&current), &tenant_snapshot(&updated)));
        self.tenants
            .update(&updated, &audit)
            .await?
            .ok_or_else(|| AppError::NotFound("no such tenant".into()))
    }
}

/// What the audit trail keeps of a tenant.
fn tenant_snapshot(tenant: &Tenant) -> Value {
    json!({"name": tenant.name, "slug": tenant.slug, "is_active": tenant.is_active})
}
