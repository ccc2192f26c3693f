//! What the authentication routes hand in, as received (fields may be missing), and the checks
//! of single fields.

use crate::error::FieldError;
use castellan_domain::Email;

/// Where a request came from (recorded on sessions).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
}

/// `POST /auth/register` input, as received (fields may be missing).
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Must equal `password`.
    pub repeat_password: Option<String>,
    /// Optional names.
    pub first_name: Option<String>,
    /// Optional names.
    pub last_name: Option<String>,
    /// Optional names.
    pub patronymic: Option<String>,
}

/// `POST /auth/login` input.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    /// Login email.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// The rate-limit buckets the attempt takes a token from before anything else, in
    /// order, even when a field is missing. They are taken in the lockout's own step
    /// ([`LoginLockout::begin`](castellan_ports::LoginLockout::begin)), so a service with
    /// buckets to take needs a lockout (`AuthService::with_lockout`).
    pub limits: Vec<castellan_ports::Bucket>,
}

/// `PATCH /auth/me` input: the fields to change.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New patronymic.
    pub patronymic: Option<String>,
}

/// `POST /auth/password/change` input.
#[derive(Debug, Clone, Default)]
pub struct PasswordChangeInput {
    /// The current password.
    pub current_password: Option<String>,
    /// The new password.
    pub new_password: Option<String>,
    /// Must equal `new_password`.
    pub repeat_password: Option<String>,
}

/// Longest accepted personal name.
const MAX_NAME_LEN: usize = 150;

pub(crate) fn required<'a>(
    value: Option<&'a str>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match value {
        Some(v) if !v.is_empty() => Some(v),
        _ => {
            errors.push(FieldError::new(field, format!("{field} is required")));
            None
        }
    }
}

/// Parses a required email field.
pub fn parse_email(raw: Option<&str>, field: &str, errors: &mut Vec<FieldError>) -> Option<Email> {
    let raw = required(raw, field, errors)?;
    match Email::parse(raw) {
        Ok(email) => Some(email),
        Err(err) => {
            errors.push(FieldError::new(field, err.to_string()));
            None
        }
    }
}

/// A personal-name field (trimmed, at most 150 characters).
pub fn name_field(value: Option<String>, field: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.unwrap_or_default();
    // The limit applies to what the client sent (as the OpenAPI document says), before
    // trimming.
    if value.chars().count() > MAX_NAME_LEN {
        errors.push(FieldError::new(
            field,
            format!("{field} must be at most {MAX_NAME_LEN} characters"),
        ));
    }
    value.trim().to_string()
}

pub(crate) fn patch_name(
    value: Option<String>,
    current: &str,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    match value {
        Some(v) => name_field(Some(v), field, errors),
        None => current.to_string(),
    }
}
