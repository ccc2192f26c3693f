//! Questions about access: the catalog, a caller's permission map, and `/authz/check`.

use crate::auth::Principal;
use crate::error::{AppError, Denial, FieldError};
use castellan_domain::rbac::{Action, Decision, ElementPermissions, Subject};
use castellan_domain::UserId;
use castellan_ports::{AccessRepository, BusinessElement, UserRepository};
use std::sync::Arc;
use uuid::Uuid;

/// One `/authz/check` question, as received.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    /// Element key.
    pub element: Option<String>,
    /// `read`, `create`, `update` or `delete`.
    pub action: Option<String>,
    /// Ask about an object owned by this user.
    pub owner_id: Option<Uuid>,
    /// Ask for this user instead of the caller (needs read on `user_role`).
    pub user_id: Option<Uuid>,
}

/// Access questions.
#[derive(Debug, Clone)]
pub struct AccessService {
    access: Arc<dyn AccessRepository>,
    users: Arc<dyn UserRepository>,
}

impl AccessService {
    /// A service over the repositories.
    pub fn new(access: Arc<dyn AccessRepository>, users: Arc<dyn UserRepository>) -> Self {
        Self { access, users }
    }

    /// The business-element catalog.
    pub async fn elements(&self) -> Result<Vec<BusinessElement>, AppError> {
        Ok(self.access.elements().await?)
    }

    /// What the caller may do on every element of the catalog.
    pub async fn permissions(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(String, ElementPermissions)>, AppError> {
        let elements = self.access.elements().await?;
        Ok(elements
            .into_iter()
            .map(|e| {
                let permissions = principal.subject.permissions(&e.key);
                (e.key, permissions)
            })
            .collect())
    }

    /// Answers each question in order; a field error names the question (`checks.2.action`
    /// when `prefix` is `checks.2.`).
    pub async fn check(
        &self,
        principal: &Principal,
        checks: Vec<CheckInput>,
        batch: bool,
    ) -> Result<Vec<Decision>, AppError> {
        let elements = self.access.elements().await?;
        let mut decisions = Vec::with_capacity(checks.len());
        for (n, check) in checks.into_iter().enumerate() {
            let prefix = match batch {
                true => format!("checks.{n}."),
                false => String::new(),
            };
            decisions.push(self.check_one(principal, &elements, check, &prefix).await?);
        }
        Ok(decisions)
    }

    async fn check_one(
        &self,
        principal: &Principal,
        elements: &[BusinessElement],
        check: CheckInput,
        prefix: &str,
    ) -> Result<Decision, AppError> {
        let mut errors = Vec::new();
        let element = match check.element {
            Some(key) if elements.iter().any(|e| e.key == key) => Some(key),
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{prefix}element"),
                    "unknown element",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    format!("{prefix}element"),
                    "element is required",
                ));
                None
            }
        };
        let action = match check.action.as_deref().map(str::parse::<Action>) {
            Some(Ok(action)) => Some(action),
            _ => {
                errors.push(FieldError::new(
                    format!("{prefix}action"),
                    "action must be one of read, create, update, delete",
                ));
                None
            }
        };
        let (Some(element), Some(action), true) = (element, action, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let other;
        let subject = match check.user_id {
            Some(user) if user != principal.user_id().0 => {
                if !principal
                    .subject
                    .decide("user_role", Action::Read, None)
                    .allowed
                {
                    return Err(Denial::new("user_role", "read")
                        .because("asking about another user needs read on user_role")
                        .on(user)
                        .into());
                }
                other = self.subject_of(principal, user, prefix).await?;
                &other
            }
            _ => &principal.subject,
        };
        Ok(subject.decide(&element, action, check.owner_id))
    }

    /// Another user's current permissions (same tenant unless the caller is a superuser).
    async fn subject_of(
        &self,
        principal: &Principal,
        user: Uuid,
        prefix: &str,
    ) -> Result<Subject, AppError> {
        let found = self.users.by_id(UserId(user)).await?;
        let visible = found
            .filter(|u| principal.subject.is_superuser() || u.tenant_id == principal.tenant_id());
        let Some(user) = visible else {
            return Err(AppError::field(format!("{prefix}user_id"), "no such user"));
        };
        let rules = self.access.rules_for_user(user.id).await?;
        Ok(Subject::new(user.id.0, user.is_superuser, rules))
    }
}
