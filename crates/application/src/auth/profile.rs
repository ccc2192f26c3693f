//! The caller's own account: read, rename, delete, change the password.

use super::{
    patch_name, required, user_snapshot, AuthService, ClientInfo, PasswordChangeInput, Principal,
    ProfilePatch, TokenPair, UserView, ACCOUNT,
};
use crate::error::{AppError, FieldError};
use castellan_domain::audit::diff;
use castellan_domain::{Profile, User};

use serde_json::json;

impl AuthService {
    /// The caller with their current roles.
    pub async fn me(&self, principal: &Principal) -> Result<UserView, AppError> {
        // Read with the rules when the request was authenticated.
        Ok(UserView {
            user: principal.user.clone(),
            roles: principal.roles.clone(),
        })
    }

    /// Updates the caller's names.
    pub async fn update_me(
        &self,
        principal: &Principal,
        patch: ProfilePatch,
    ) -> Result<UserView, AppError> {
        principal.token(ACCOUNT)?;
        let mut errors = Vec::new();
        let current = &principal.user.profile;
        let profile = Profile {
            first_name: patch_name(
                patch.first_name,
                &current.first_name,
                "first_name",
                &mut errors,
            ),
            last_name: patch_name(
                patch.last_name,
                &current.last_name,
                "last_name",
                &mut errors,
            ),
            patronymic: patch_name(
                patch.patronymic,
                &current.patronymic,
                "patronymic",
                &mut errors,
            ),
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = self.ports.clock.now();
        let before = &principal.user;
        let after = User {
            profile: profile.clone(),
            ..before.clone()
        };
        let audit = principal
            .event("user.update", before.tenant_id.0, now)
            .target("user", before.id.0)
            .changes(diff(&user_snapshot(before), &user_snapshot(&after)));
        let user = self
            .ports
            .users
            .update_account(before.id, &profile, before.is_active, now, &audit)
            .await?
            .ok_or(AppError::Unauthenticated("user no longer exists"))?;
        let roles = self.ports.users.role_names(user.id).await?;
        Ok(UserView { user, roles })
    }

    /// Soft-deletes the caller: inactive, every session and token revoked.
    pub async fn delete_me(&self, principal: &Principal) -> Result<(), AppError> {
        self.revoke_current_token(principal).await?;
        let audit = principal.event(
            "user.delete",
            principal.tenant_id().0,
            self.ports.clock.now(),
        );
        self.deactivate_user(&principal.user, audit).await
    }

    /// Changes the caller's password, revokes every session and token (the current ones
    /// included) and opens a fresh session for the caller.
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: PasswordChangeInput,
        client: ClientInfo,
    ) -> Result<TokenPair, AppError> {
        principal.token(ACCOUNT)?;
        let mut errors = Vec::new();
        let current = required(
            input.current_password.as_deref(),
            "current_password",
            &mut errors,
        );
        let new_password = self.checked_new_password(
            input.new_password.as_deref(),
            input.repeat_password.as_deref(),
            Some(&principal.user.email),
            ("new_password", "repeat_password"),
            &mut errors,
        );
        if let Some(current) = current {
            let ok = self
                .ports
                .hasher
                .verify(current.to_string(), principal.user.password_hash.clone())
                .await?;
            if !ok {
                errors.insert(
                    0,
                    FieldError::new("current_password", "current password is wrong"),
                );
            }
        }
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let hash = self.ports.hasher.hash(new_password).await?;
        let now = self.ports.clock.now();
        self.revoke_current_token(principal).await?;
        self.revoke_everything(principal.user_id(), now).await?;
        // Both sides are masked: the entry says that the password changed, nothing more.
        let audit = principal
            .event("auth.password_change", principal.tenant_id().0, now)
            .target("user", principal.user_id().0)
            .changes(diff(
                &json!({"password_hash": principal.user.password_hash}),
                &json!({"password_hash": hash}),
            ));
        let version = self
            .ports
            .users
            .set_password(principal.user_id(), &hash, now, &audit)
            .await?;
        let mut user = principal.user.clone();
        user.token_version = version;
        user.password_hash = hash;
        let roles = self.ports.users.role_names(user.id).await?;
        self.open_session(&user, &roles, client, None).await
    }
}
