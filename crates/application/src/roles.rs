//! Roles, access rules and role grants: the access-control admin use cases, guarded by the
//! same evaluator as everything else (elements `role`, `access_rule`, `user_role`).

use crate::auth::Principal;
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::{
    ensure_create, ensure_object, not_found_or_forbidden, ownerless, ownerless_list_query,
    ListRequest,
};
use castellan_domain::audit::diff;
use castellan_domain::rbac::{AccessFlags, AccessRule, Action};
use castellan_domain::UserId;
use castellan_domain::{Grant, Role, StoredRule};
use castellan_ports::{AccessRepository, Clock, Page, RoleRepository, UserRepository};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

const ROLE: &str = "role";
const RULE: &str = "access_rule";
const GRANT: &str = "user_role";
/// Columns `?ordering=` accepts for roles.
pub const ROLE_ORDERABLE: [&str; 2] = ["name", "created_at"];
const MAX_ROLE_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1_000;

/// A role's fields (POST: `name` required; PATCH: any).
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    /// 1–100 characters, unique per tenant.
    pub name: Option<String>,
    /// At most 1,000 characters.
    pub description: Option<String>,
}

/// Which role a body names: by `role` (name) or `role_id`.
#[derive(Debug, Clone, Default)]
pub struct RoleRef {
    /// Role name in the caller's tenant.
    pub role: Option<String>,
    /// Role id.
    pub role_id: Option<Uuid>,
}

/// `POST /user-roles`: the user and the role to grant.
#[derive(Debug, Clone, Default)]
pub struct GrantInput {
    /// The user (required).
    pub user_id: Option<Uuid>,
    /// The role.
    pub role: RoleRef,
}

/// An access rule's fields: absent flags are false on create and PUT, unchanged on PATCH.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    /// The rule's own id (update only: a client sending back what it read).
    pub id: Option<Uuid>,
    /// The role (create; on update only the rule's own).
    pub role: RoleRef,
    /// The element key (create; on update only the rule's own).
    pub element: Option<String>,
    /// The seven flags, in contract order (`can_read_own` ... `can_delete_all`).
    pub flags: [Option<bool>; 7],
}

fn apply_flags(base: AccessFlags, given: [Option<bool>; 7]) -> AccessFlags {
    let pick = |i: usize, current: bool| given[i].unwrap_or(current);
    AccessFlags {
        can_read_own: pick(0, base.can_read_own),
        can_read_all: pick(1, base.can_read_all),
        can_create: pick(2, base.can_create),
        can_update_own: pick(3, base.can_update_own),
        can_update_all: pick(4, base.can_update_all),
        can_delete_own: pick(5, base.can_delete_own),
        can_delete_all: pick(6, base.can_delete_all),
    }
    .normalized()
}

/// Refuses an update whose id, role or element differ from the rule's own, one error per
/// field.
fn ensure_same_rule(current: &StoredRule, input: &RuleInput) -> Result<(), AppError> {
    let rule = &current.rule;
    let differs = [
        ("id", input.id.is_some_and(|id| id != rule.id)),
        (
            "role_id",
            input.role.role_id.is_some_and(|id| id != rule.role_id),
        ),
        (
            "role",
            input
                .role
                .role
                .as_ref()
                .is_some_and(|name| *name != rule.role),
        ),
        (
            "element",
            input
                .element
                .as_ref()
                .is_some_and(|key| *key != rule.element),
        ),
    ];
    let errors: Vec<FieldError> = differs
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(field, _)| FieldError::new(field, format!("a rule's {field} cannot change")))
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(AppError::Validation(errors)),
    }
}

/// The admin use cases of access control.
#[derive(Debug, Clone)]
pub struct RoleService {
    roles: Arc<dyn RoleRepository>,
    access: Arc<dyn AccessRepository>,
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

fn conflict(message: &str, field: &str) -> AppError {
    AppError::Conflict {
        message: message.into(),
        field: Some(field.into()),
    }
}

impl RoleService {
    /// A service over the repositories.
    pub fn new(
        roles: Arc<dyn RoleRepository>,
        access: Arc<dyn AccessRepository>,
        users: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            roles,
            access,
            users,
            clock,
        }
    }

    // ---- roles -------------------------------------------------------------------------

    /// The roles the caller may see.
    pub async fn list_roles(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<Role>, AppError> {
        ownerless_list_query(p, ROLE, request)?
            .page(|query| async move { self.roles.list_roles(&query).await })
            .await
    }

    async fn guarded_role(
        &self,
        p: &Principal,
        id: Uuid,
        action: Action,
    ) -> Result<Role, AppError> {
        let role = self.roles.role(id).await?;
        let Some(role) = role else {
            return Err(not_found_or_forbidden(p, ROLE));
        };
        ensure_object(p, ROLE, action, ownerless(role.id, role.tenant_id))?;
        Ok(role)
    }

    /// One role.
    pub async fn role(&self, p: &Principal, id: Uuid) -> Result<Role, AppError> {
        self.guarded_role(p, id, Action::Read).await
    }

    fn validate_role(name: &str, description: &str) -> Result<(), AppError> {
        let mut errors = Vec::new();
        let len = name.trim().chars().count();
        if len == 0 || name.chars().count() > MAX_ROLE_NAME {
            errors.push(FieldError::new(
                "name",
                format!("name must be 1 to {MAX_ROLE_NAME} characters"),
            ));
        }
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push(FieldError::new(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} characters"),
            ));
        }
        match errors.is_empty() {
            true => Ok(()),
            false => Err(AppError::Validation(errors)),
        }
    }

    /// Creates a role in the caller's tenant.
    pub async fn create_role<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<RoleInput, E>,
    ) -> Result<Role, E> {
        ensure_create(p, ROLE)?;
        Ok(self.insert_role(p, input?).await?)
    }

    async fn insert_role(&self, p: &Principal, input: RoleInput) -> Result<Role, AppError> {
        let name = input.name.unwrap_or_default();
        let description = input.description.unwrap_or_default();
        // Lengths are of what the client sent; the name is stored trimmed.
        Self::validate_role(&name, &description)?;
        let name = name.trim().to_string();
        let now = self.clock.now();
        let role = Role {
            id: Uuid::now_v7(),
            tenant_id: p.tenant_id().0,
            name,
            description,
            is_system: false,
            created_at: now,
            updated_at: now,
        };
        let audit = p
            .event("role.create", role.tenant_id, now)
            .target(ROLE, role.id)
            .changes(diff(&json!({}), &role_snapshot(&role)));
        self.roles.insert_role(&role, &audit).await?;
        Ok(role)
    }

    /// Renames or re-describes a role (system roles keep their name: 409).
    pub async fn update_role<E: From<AppError>>(
        &self,
        p: &Principal,
        id: Uuid,
        input: Deferred<RoleInput, E>,
    ) -> Result<Role, E> {
        let current = self.guarded_role(p, id, Action::Update).await?;
        Ok(self.change_role(p, current, input?).await?)
    }

    async fn change_role(
        &self,
        p: &Principal,
        current: Role,
        input: RoleInput,
    ) -> Result<Role, AppError> {
        let id = current.id;
        let name = input.name.unwrap_or_else(|| current.name.clone());
        let description = input
            .description
            .unwrap_or_else(|| current.description.clone());
        Self::validate_role(&name, &description)?;
        let name = name.trim().to_string();
        if current.is_system && name != current.name {
            return Err(conflict("a system role cannot be renamed", "name"));
        }
        let now = self.clock.now();
        let updated = Role {
            name,
            description,
            updated_at: now,
            ..current.clone()
        };
        let audit = p
            .event("role.update", current.tenant_id, now)
            .target(ROLE, id)
            .changes(diff(&role_snapshot(&current), &role_snapshot(&updated)));
        self.roles
            .update_role(&updated, &audit)
            .await?
            .ok_or_else(|| AppError::NotFound("no such role".into()))
    }

    /// Deletes a role: 409 for system roles and roles still held by someone.
    pub async fn delete_role(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        let role = self.guarded_role(p, id, Action::Delete).await?;
        if role.is_system {
            return Err(conflict("a system role cannot be deleted", "id"));
        }
        if self.roles.role_in_use(id).await? {
            return Err(conflict("the role is still granted to users", "id"));
        }
        let audit = p
            .event("role.delete", role.tenant_id, self.clock.now())
            .target(ROLE, id)
            .changes(diff(&role_snapshot(&role), &json!({})));
        self.roles.delete_role(id, &audit).await?;
        Ok(())
    }

    /// Resolves `role` / `role_id` to a role of the caller's tenant (superusers: any);
    /// anything else is a 400 on the field that named it.
    async fn resolve_role(&self, p: &Principal, reference: &RoleRef) -> Result<Role, AppError> {
        let (found, field) = match (&reference.role_id, &reference.role) {
            (Some(id), _) => (self.roles.role(*id).await?, "role_id"),
            (None, Some(name)) => (
                self.roles.role_by_name(p.tenant_id().0, name).await?,
                "role",
            ),
            (None, None) => return Err(AppError::field("role", "role or role_id is required")),
        };
        found
            .filter(|r| p.subject.is_superuser() || r.tenant_id == p.tenant_id().0)
            .ok_or_else(|| AppError::field(field, "no such role"))
    }

    // ---- access rules --------------------------------------------------------------------

    /// The rules the caller may see.
    pub async fn list_rules(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<StoredRule>, AppError> {
        ownerless_list_query(p, RULE, request)?
            .page(|query| async move { self.roles.list_rules(&query).await })
            .await
    }

    async fn guarded_rule(
        &self,
        p: &Principal,
        id: Uuid,
        action: Action,
    ) -> Result<StoredRule, AppError> {
        let rule = self.roles.rule(id).await?;
        let Some(rule) = rule else {
            return Err(not_found_or_forbidden(p, RULE));
        };
        ensure_object(p, RULE, action, ownerless(rule.rule.id, rule.tenant_id))?;
        Ok(rule)
    }

    /// One rule.
    pub async fn rule(&self, p: &Principal, id: Uuid) -> Result<StoredRule, AppError> {
        self.guarded_rule(p, id, Action::Read).await
    }

    /// Creates the rule of a role for an element (one per pair: 409).
    pub async fn create_rule<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<RuleInput, E>,
    ) -> Result<StoredRule, E> {
        ensure_create(p, RULE)?;
        Ok(self.insert_rule(p, input?).await?)
    }

    async fn insert_rule(&self, p: &Principal, input: RuleInput) -> Result<StoredRule, AppError> {
        let role = self.resolve_role(p, &input.role).await?;
        let elements = self.access.elements().await?;
        let element = match input.element {
            Some(key) if elements.iter().any(|e| e.key == key) => key,
            Some(_) => return Err(AppError::field("element", "no such business element")),
            None => return Err(AppError::field("element", "element is required")),
        };
        let stored = StoredRule {
            tenant_id: role.tenant_id,
            rule: AccessRule {
                id: Uuid::now_v7(),
                role_id: role.id,
                role: role.name,
                element,
                flags: apply_flags(AccessFlags::none(), input.flags),
            },
        };
        let now = self.clock.now();
        let audit = p
            .event("access_rule.create", stored.tenant_id, now)
            .target(RULE, stored.rule.id)
            .changes(diff(&json!({}), &rule_snapshot(&stored)));
        match self.roles.insert_rule(&stored, now, &audit).await {
            Err(castellan_ports::RepoError::Conflict(_)) => Err(conflict(
                "the role already has a rule for this element",
                "element",
            )),
            other => other.map(|()| stored).map_err(AppError::from),
        }
    }

    /// Changes a rule's flags: `replace` (PUT) sets absent ones false. The input may repeat
    /// the rule's own id, role and element (its full representation); anything else there
    /// is a 400 on that field, since a rule never moves to another role or element.
    pub async fn update_rule<E: From<AppError>>(
        &self,
        p: &Principal,
        id: Uuid,
        input: Deferred<RuleInput, E>,
        replace: bool,
    ) -> Result<StoredRule, E> {
        let current = self.guarded_rule(p, id, Action::Update).await?;
        Ok(self.change_rule(p, current, input?, replace).await?)
    }

    async fn change_rule(
        &self,
        p: &Principal,
        current: StoredRule,
        input: RuleInput,
        replace: bool,
    ) -> Result<StoredRule, AppError> {
        let id = current.rule.id;
        ensure_same_rule(&current, &input)?;
        let base = match replace {
            true => AccessFlags::none(),
            false => current.rule.flags,
        };
        let mut updated = current.clone();
        updated.rule.flags = apply_flags(base, input.flags);
        let now = self.clock.now();
        let audit = p
            .event("access_rule.update", current.tenant_id, now)
            .target(RULE, id)
            .changes(diff(&rule_snapshot(&current), &rule_snapshot(&updated)));
        self.roles
            .update_rule(&updated, now, &audit)
            .await?
            .ok_or_else(|| AppError::NotFound("no such access_rule".into()))
    }

    /// Deletes a rule.
    pub async fn delete_rule(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        let rule = self.guarded_rule(p, id, Action::Delete).await?;
        let audit = p
            .event("access_rule.delete", rule.tenant_id, self.clock.now())
            .target(RULE, id)
            .changes(diff(&rule_snapshot(&rule), &json!({})));
        self.roles.delete_rule(id, &audit).await?;
        Ok(())
    }

    // ---- grants --------------------------------------------------------------------------

    /// The grants the caller may see (`owner_id` of the request: the `user_id` filter).
    pub async fn list_grants(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<Grant>, AppError> {
        ownerless_list_query(p, GRANT, request)?
            .page(|query| async move { self.roles.list_grants(&query).await })
            .await
    }

    /// Grants a role to a user of the tenant; effective on the user's next request.
    pub async fn grant<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<GrantInput, E>,
    ) -> Result<Grant, E> {
        ensure_create(p, GRANT)?;
        let GrantInput { user_id, role } = input?;
        Ok(self.insert_grant(p, user_id, role).await?)
    }

    async fn insert_grant(
        &self,
        p: &Principal,
        user_id: Option<Uuid>,
        role: RoleRef,
    ) -> Result<Grant, AppError> {
        let Some(user_id) = user_id else {
            return Err(AppError::field("user_id", "user_id is required"));
        };
        let user = self
            .users
            .by_id(UserId(user_id))
            .await?
            .filter(|u| p.subject.is_superuser() || u.tenant_id == p.tenant_id())
            .ok_or_else(|| AppError::field("user_id", "no such user"))?;
        let role = self.resolve_role(p, &role).await?;
        if role.tenant_id != user.tenant_id.0 {
            return Err(AppError::field(
                "role",
                "the role belongs to another tenant",
            ));
        }
        let grant = Grant {
            id: Uuid::now_v7(),
            tenant_id: user.tenant_id.0,
            user_id,
            role_id: role.id,
            role: role.name,
            granted_by: Some(p.user_id().0),
            granted_at: self.clock.now(),
        };
        let audit = p
            .event("user_role.grant", grant.tenant_id, grant.granted_at)
            .target(GRANT, grant.id)
            .changes(diff(&json!({}), &grant_snapshot(&grant)));
        match self.roles.insert_grant(&grant, &audit).await {
            Err(castellan_ports::RepoError::Conflict(_)) => {
                Err(conflict("the user already has this role", "role"))
            }
            other => other.map(|()| grant).map_err(AppError::from),
        }
    }

    /// Revokes a grant; effective on the user's next request.
    pub async fn revoke(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        let grant = self.roles.grant(id).await?;
        let Some(grant) = grant else {
            return Err(not_found_or_forbidden(p, GRANT));
        };
        ensure_object(
            p,
            GRANT,
            Action::Delete,
            ownerless(grant.id, grant.tenant_id),
        )?;
        let audit = p
            .event("user_role.revoke", grant.tenant_id, self.clock.now())
            .target(GRANT, id)
            .changes(diff(&grant_snapshot(&grant), &json!({})));
        self.roles.delete_grant(id, &audit).await?;
        Ok(())
    }
}

/// What the audit trail keeps of a role.
pub(crate) fn role_snapshot(role: &Role) -> Value {
    json!({"name": role.name, "description": role.description, "tenant_id": role.tenant_id})
}

/// What the audit trail keeps of a rule: its role, element and flags.
pub(crate) fn rule_snapshot(stored: &StoredRule) -> Value {
    let (rule, flags) = (&stored.rule, stored.rule.flags);
    json!({
        "role": rule.role,
        "role_id": rule.role_id,
        "element": rule.element,
        "can_read_own": flags.can_read_own,
        "can_read_all": flags.can_read_all,
        "can_create": flags.can_create,
        "can_update_own": flags.can_update_own,
        "can_update_all": flags.can_update_all,
        "can_delete_own": flags.can_delete_own,
        "can_delete_all": flags.can_delete_all,
    })
}

/// What the audit trail keeps of a grant.
fn grant_snapshot(grant: &Grant) -> Value {
    json!({"user_id": grant.user_id, "role": grant.role, "role_id": grant.role_id})
}
