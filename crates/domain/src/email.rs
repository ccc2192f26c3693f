//! E-mail addresses: validated and normalised (trimmed, lower-cased) once, at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not an acceptable e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("email is required")]
    Empty,
    /// Longer than 254 characters.
    #[error("email must be at most 254 characters")]
    TooLong,
    /// Not of the shape `local@domain.tld`.
    #[error("email is not a valid address")]
    Invalid,
}

/// A syntactically valid, lower-cased e-mail address.
///
/// Emails are compared case-insensitively, so they are stored lower-cased.
///
/// ```
/// use castellan_domain::Email;
/// let email = Email::parse("  Bob.Smith@Example.ORG ").unwrap();
/// assert_eq!(email.as_str(), "bob.smith@example.org");
/// assert_eq!(email.local_part(), "bob.smith");
/// assert!(Email::parse("not-an-email").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Validates and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = value.rsplit_once('@').ok_or(EmailError::Invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        let chars_ok = !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || local.contains('@') || !domain_ok || !chars_ok {
            return Err(EmailError::Invalid);
        }
        Ok(Self(value))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(local, _)| local)
    }

    /// Wraps an address read back from storage, where it was validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "", "  ", "a", "a@", "@b.c", "a@b", "a@.b", "a@b.", "a b@c.d", "a@b..c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
