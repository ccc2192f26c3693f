//! Password reset by mail: a one-time token (1 h, stored hashed, a newer one voids the
//! older) mailed to an active account, then redeemed for a new password.

use super::{required, AuthService};
use crate::audit::event;
use crate::error::AppError;
use crate::secrets::{hash_secret, new_secret};
use castellan_domain::audit::{diff, Actor};
use castellan_domain::{Email, User};
use castellan_ports::Mail;
use chrono::Duration;
use serde_json::json;
use tracing::Instrument;

/// `POST /auth/password-reset/confirm` input.
#[derive(Debug, Clone, Default)]
pub struct ResetConfirmInput {
    /// The mailed token.
    pub token: Option<String>,
    /// The new password.
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    pub repeat_password: Option<String>,
}

const INVALID: AppError = AppError::InvalidToken {
    code: "invalid_token",
    field: "token",
    message: "the reset token is unknown, used, replaced by a newer one or expired",
};

impl AuthService {
    /// Asks for a reset of `email`'s password. The answer is the same, in the same time,
    /// whatever the email: the token is made and mailed in the background, and only for an
    /// active account.
    pub async fn request_password_reset(&self, email: Option<String>) -> Result<(), AppError> {
        let mut errors = Vec::new();
        let Some(email) = required(email.as_deref(), "email", &mut errors) else {
            return Err(AppError::Validation(errors));
        };
        let Ok(email) = Email::parse(email) else {
            return Err(AppError::field("email", "email is not a valid address"));
        };
        let user = self.ports.users.by_email(&email).await?;
        if let Some(user) = user.filter(|u| u.is_active) {
            let service = self.clone();
            let work = async move {
                if let Err(err) = service.mail_reset_token(&user).await {
                    tracing::error!(error = %err, user_id = %user.id, "password reset: token not mailed");
                }
            };
            tokio::spawn(work.in_current_span());
        }
        Ok(())
    }

    async fn mail_reset_token(&self, user: &User) -> Result<(), AppError> {
        let token = new_secret();
        let now = self.ports.clock.now();
        let expires = now + Duration::seconds(self.config.reset_ttl_secs);
        self.ports
            .resets
            .issue(
                user.id,
                user.tenant_id.0,
                &hash_secret(&token),
                now,
                expires,
            )
            .await?;
        let minutes = self.config.reset_ttl_secs / 60;
        let mail = Mail {
            to: user.email.as_str().to_owned(),
            subject: "Reset your Castellan password".into(),
            body: format!(
                "Someone asked to reset the password of this account. If it was you, send this \
                 token to POST /api/v1/auth/password-reset/confirm within {minutes} minutes:\n\n\
                 {token}\n\nIf it was not you, ignore this message: your password stays as it is."
            ),
        };
        self.ports.mailer.send(&mail).await?;
        Ok(())
    }

    /// Sets a new password with a mailed token: the token is checked first (a bad one is
    /// 400 `invalid_token`), then the fields (their errors leave the token usable). Every
    /// session and token of the user is revoked and the login lockout cleared; API keys
    /// stay.
    pub async fn confirm_password_reset(&self, input: ResetConfirmInput) -> Result<(), AppError> {
        let now = self.ports.clock.now();
        let token = input.token.filter(|t| !t.is_empty()).ok_or(INVALID)?;
        let ticket = self
            .ports
            .resets
            .find_valid(&hash_secret(&token), now)
            .await?
            .ok_or(INVALID)?;
        let user = self.ports.users.by_id(ticket.user_id).await?;
        let user = user.filter(|u| u.is_active).ok_or(INVALID)?;
        let mut errors = Vec::new();
        let new_password = self.checked_new_password(
            input.new_password.as_deref(),
            input.repeat_password.as_deref(),
            Some(&user.email),
            ("new_password", "repeat_password"),
            &mut errors,
        );
        let (Some(new_password), true) = (new_password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let hash = self.ports.hasher.hash(new_password).await?;
        self.revoke_everything(user.id, now).await?;
        // Both sides are masked: the entry says that the password changed, nothing more.
        let audit = event(
            "auth.password_reset",
            Actor::user(user.id.0),
            Some(user.tenant_id.0),
            now,
        )
        .target("user", user.id.0)
        .changes(diff(
            &json!({"password_hash": user.password_hash}),
            &json!({"password_hash": hash}),
        ));
        self.ports
            .resets
            .redeem(ticket, &hash, now, &audit)
            .await?
            .ok_or(INVALID)?;
        if let Some(lockout) = &self.lockout {
            lockout.clear(user.email.as_str()).await?;
        }
        Ok(())
    }
}
