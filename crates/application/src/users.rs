//! Users administered within a tenant (element `user`): a user "owns" their own account.

use crate::auth::{
    created_user_changes, name_field, parse_email, user_snapshot, AuthService, Principal, UserView,
    DEFAULT_ROLE,
};
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::{
    ensure_create, ensure_object, list_query, not_found_or_forbidden, ListRequest, Object,
};
use castellan_domain::audit::diff;
use castellan_domain::rbac::{Action, Owner};
use castellan_domain::{Profile, User, UserId};
use castellan_ports::{Clock, Page, RoleRepository, UserRepository};
use std::sync::Arc;

/// The business element of user accounts (rules on `user` govern this service).
pub const ELEMENT: &str = "user";

/// Columns `?ordering=` accepts.
pub const ORDERABLE: [&str; 2] = ["email", "created_at"];

/// `POST /users` input.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    /// Login email.
    pub email: Option<String>,
    /// Password (policy applies).
    pub password: Option<String>,
    /// Optional names.
    pub first_name: Option<String>,
    /// Optional names.
    pub last_name: Option<String>,
    /// Role names of the tenant (default: `User`).
    pub roles: Option<Vec<String>>,
}

/// `PATCH /users/{id}` input.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
    /// Activate or deactivate (deactivation revokes every session).
    pub is_active: Option<bool>,
}

/// User administration.
#[derive(Debug, Clone)]
pub struct UserAdminService {
    users: Arc<dyn UserRepository>,
    roles: Arc<dyn RoleRepository>,
    auth: AuthService,
    clock: Arc<dyn Clock>,
}

impl UserAdminService {
    /// A service over the repositories.
    pub fn new(
        users: Arc<dyn UserRepository>,
        roles: Arc<dyn RoleRepository>,
        auth: AuthService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            roles,
            auth,
            clock,
        }
    }

    async fn view(&self, user: User) -> Result<UserView, AppError> {
        let roles = self.users.role_names(user.id).await?;
        Ok(UserView { user, roles })
    }

    /// The users the caller may see.
    pub async fn list(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<UserView>, AppError> {
        let page = list_query(p, ELEMENT, request)?
            .page(|query| async move { self.users.list(&query).await })
            .await?;
        let mut items = Vec::with_capacity(page.items.len());
        for user in page.items {
            items.push(self.view(user).await?);
        }
        Ok(Page {
            items,
            total: page.total,
        })
    }

    async fn guarded(&self, p: &Principal, id: UserId, action: Action) -> Result<User, AppError> {
        let Some(user) = self.users.by_id(id).await? else {
            return Err(not_found_or_forbidden(p, ELEMENT));
        };
        // A user "owns" their own account.
        let account = Object {
            id: user.id.0,
            owner: Owner::User(user.id.0),
            tenant_id: user.tenant_id.0,
        };
        ensure_object(p, ELEMENT, action, account)?;
        Ok(user)
    }

    /// One user.
    pub async fn get(&self, p: &Principal, id: UserId) -> Result<UserView, AppError> {
        let user = self.guarded(p, id, Action::Read).await?;
        self.view(user).await
    }

    /// Creates a user in the caller's tenant with exactly `roles` (default `User`).
    pub async fn create<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<NewUserInput, E>,
    ) -> Result<UserView, E> {
        ensure_create(p, ELEMENT)?;
        Ok(self.insert(p, input?).await?)
    }

    async fn insert(&self, p: &Principal, input: NewUserInput) -> Result<UserView, AppError> {
        let mut errors = Vec::new();
        let email = parse_email(input.email.as_deref(), "email", &mut errors);
        let profile = Profile {
            first_name: name_field(input.first_name, "first_name", &mut errors),
            last_name: name_field(input.last_name, "last_name", &mut errors),
            patronymic: String::new(),
        };
        let roles = input
            .roles
            .unwrap_or_else(|| vec![DEFAULT_ROLE.to_string()]);
        for name in &roles {
            if self
                .roles
                .role_by_name(p.tenant_id().0, name)
                .await?
                .is_none()
            {
                errors.push(FieldError::new(
                    "roles",
                    format!("no role named {name:?} in the tenant"),
                ));
            }
        }
        let hash = self
            .auth
            .new_password_hash(
                input.password.as_deref(),
                email.as_ref(),
                "password",
                &mut errors,
            )
            .await?;
        let (Some(email), Some(password_hash), true) = (email, hash, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let now = self.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: p.tenant_id(),
            email,
            password_hash,
            profile,
            is_active: true,
            is_superuser: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let names: Vec<&str> = roles.iter().map(String::as_str).collect();
        let audit = p
            .event("user.create", user.tenant_id.0, now)
            .target(ELEMENT, user.id.0)
            .changes(created_user_changes(&user, &names));
        self.users.insert(&user, &names, &audit).await?;
        self.view(user).await
    }

    /// Changes names or activation.
    pub async fn update<E: From<AppError>>(
        &self,
        p: &Principal,
        id: UserId,
        patch: Deferred<UserPatch, E>,
    ) -> Result<UserView, E> {
        let current = self.guarded(p, id, Action::Update).await?;
        Ok(self.change(p, current, patch?).await?)
    }

    async fn change(
        &self,
        p: &Principal,
        current: User,
        patch: UserPatch,
    ) -> Result<UserView, AppError> {
        let id = current.id;
        let mut errors = Vec::new();
        let keep = |value: Option<String>, now: &str, field: &str, errors: &mut Vec<FieldError>| {
            match value {
                Some(v) => name_field(Some(v), field, errors),
                None => now.to_string(),
            }
        };
        let profile = Profile {
            first_name: keep(
                patch.first_name,
                &current.profile.first_name,
                "first_name",
                &mut errors,
            ),
            last_name: keep(
                patch.last_name,
                &current.profile.last_name,
                "last_name",
                &mut errors,
            ),
            patronymic: keep(
                patch.patronymic,
                &current.profile.patronymic,
                "patronymic",
                &mut errors,
            ),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = self.clock.now();
        let active = patch.is_active.unwrap_or(current.is_active);
        if current.is_active && !active {
            // Tokens first: a token-store outage then leaves the account as it was.
            self.auth.revoke_all_of(id).await?;
        }
        let updated = User {
            profile: profile.clone(),
            is_active: active,
            ..current.clone()
        };
        let audit = p
            .event("user.update", current.tenant_id.0, now)
            .target(ELEMENT, id.0)
            .changes(diff(&user_snapshot(&current), &user_snapshot(&updated)));
        self.users
            .update_account(id, &profile, active, now, &audit)
            .await?;
        self.get(p, id).await
    }

    /// Soft-deletes a user: inactive (still listed, email still taken), sessions revoked.
    pub async fn delete(&self, p: &Principal, id: UserId) -> Result<(), AppError> {
        let user = self.guarded(p, id, Action::Delete).await?;
        let audit = p.event("user.delete", user.tenant_id.0, self.clock.now());
        self.auth.deactivate_user(&user, audit).await
    }
}
