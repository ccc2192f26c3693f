//! Creating accounts: self-registration and the command line's superusers.

use super::{
    created_user_changes, name_field, parse_email, required, AuthService, RegisterInput, UserView,
    ADMIN_ROLE, DEFAULT_ROLE,
};
use crate::audit::event;
use crate::error::{AppError, Denial, FieldError};
use castellan_domain::audit::Actor;
use castellan_domain::{Email, Profile, TenantId, User, UserId};

impl AuthService {
    /// Creates an account in the default tenant with the default role.
    pub async fn register(&self, input: RegisterInput) -> Result<UserView, AppError> {
        if !self.config.allow_registration {
            return Err(Denial::new("user", "create")
                .because("registration is disabled")
                .into());
        }
        let mut errors = Vec::new();
        let email = parse_email(input.email.as_deref(), "email", &mut errors);
        let password = self.checked_new_password(
            input.password.as_deref(),
            input.repeat_password.as_deref(),
            email.as_ref(),
            ("password", "repeat_password"),
            &mut errors,
        );
        let profile = Profile {
            first_name: name_field(input.first_name, "first_name", &mut errors),
            last_name: name_field(input.last_name, "last_name", &mut errors),
            patronymic: name_field(input.patronymic, "patronymic", &mut errors),
        };
        let (Some(email), Some(password), true) = (email, password, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let password_hash = self.ports.hasher.hash(password).await?;
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash,
            profile,
            is_active: true,
            is_superuser: false,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = event(
            "auth.register",
            Actor::user(user.id.0),
            Some(user.tenant_id.0),
            now,
        )
        .target("user", user.id.0)
        .changes(created_user_changes(&user, &[DEFAULT_ROLE]));
        self.ports
            .users
            .insert(&user, &[DEFAULT_ROLE], &audit)
            .await?;
        Ok(UserView {
            user,
            roles: vec![DEFAULT_ROLE.to_string()],
        })
    }

    /// Creates a superuser with the `Admin` role in the default tenant (the CLI's
    /// `create-superuser`). The password policy applies.
    pub async fn create_superuser(
        &self,
        email: &str,
        password: String,
    ) -> Result<UserView, AppError> {
        let mut errors = Vec::new();
        let email = parse_email(Some(email), "email", &mut errors);
        let password = self.checked_new_password(
            Some(&password),
            Some(&password),
            email.as_ref(),
            ("password", "password"),
            &mut errors,
        );
        let (Some(email), Some(password)) = (email, password) else {
            return Err(AppError::Validation(errors));
        };
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new(),
            tenant_id: TenantId::DEFAULT,
            email,
            password_hash: self.ports.hasher.hash(password).await?,
            profile: Profile::default(),
            is_active: true,
            is_superuser: true,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit = event("user.create", Actor::system(), Some(user.tenant_id.0), now)
            .target("user", user.id.0)
            .changes(created_user_changes(&user, &[ADMIN_ROLE]));
        self.ports
            .users
            .insert(&user, &[ADMIN_ROLE], &audit)
            .await?;
        Ok(UserView {
            user,
            roles: vec![ADMIN_ROLE.to_string()],
        })
    }

    pub(super) fn checked_new_password(
        &self,
        password: Option<&str>,
        repeat: Option<&str>,
        email: Option<&Email>,
        (field, repeat_field): (&str, &str),
        errors: &mut Vec<FieldError>,
    ) -> Option<String> {
        // Every wrong field gets its own error: a weak password and a mismatched repeat
        // are reported together.
        let password = required(password, field, errors);
        let acceptable = match password {
            Some(password) => match self.policy.check(password, email) {
                Ok(()) => true,
                Err(err) => {
                    errors.push(FieldError::new(field, err.to_string()));
                    false
                }
            },
            None => false,
        };
        match (repeat, password) {
            (None, _) => errors.push(FieldError::new(
                repeat_field,
                format!("{repeat_field} is required"),
            )),
            (Some(repeat), Some(password)) if repeat != password => {
                errors.push(FieldError::new(repeat_field, "passwords do not match"));
            }
            (Some(_), Some(password)) if acceptable => return Some(password.to_string()),
            _ => {}
        }
        None
    }
}
