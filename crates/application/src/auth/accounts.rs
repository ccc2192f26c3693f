//! What other use cases borrow from authentication: deactivating a user, hashing a new
//! password, and what the audit trail keeps of a user.

use super::{required, AuthService};
use crate::error::{AppError, FieldError};
use castellan_domain::audit::{diff, Event};
use castellan_domain::{Email, User};

use serde_json::{json, Value};

/// What the audit trail keeps of a user (never the password hash).
pub fn user_snapshot(user: &User) -> Value {
    json!({
        "email": user.email.as_str(),
        "first_name": user.profile.first_name,
        "last_name": user.profile.last_name,
        "patronymic": user.profile.patronymic,
        "is_active": user.is_active,
        "is_superuser": user.is_superuser,
        "tenant_id": user.tenant_id.0,
    })
}

/// What the audit trail keeps of a new user: its fields and roles.
pub fn created_user_changes(user: &User, roles: &[&str]) -> castellan_domain::audit::Changes {
    let mut after = user_snapshot(user);
    after["roles"] = json!(roles);
    diff(&json!({}), &after)
}

impl AuthService {
    /// Deactivates a user (a soft delete): every session and token of theirs stops
    /// working. `audit` (the caller's event) gets the target and the change.
    pub async fn deactivate_user(&self, user: &User, audit: Event) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        self.revoke_everything(user.id, now).await?;
        let after = User {
            is_active: false,
            ..user.clone()
        };
        let audit = audit
            .target("user", user.id.0)
            .changes(diff(&user_snapshot(user), &user_snapshot(&after)));
        self.ports
            .users
            .update_account(user.id, &user.profile, false, now, &audit)
            .await?;
        Ok(())
    }

    /// Hashes a new password after checking the policy (`field` names the input).
    pub async fn new_password_hash(
        &self,
        password: Option<&str>,
        email: Option<&Email>,
        field: &str,
        errors: &mut Vec<FieldError>,
    ) -> Result<Option<String>, AppError> {
        let Some(password) = required(password, field, errors) else {
            return Ok(None);
        };
        if let Err(err) = self.policy.check(password, email) {
            errors.push(FieldError::new(field, err.to_string()));
            return Ok(None);
        }
        Ok(Some(self.ports.hasher.hash(password.to_string()).await?))
    }
}
