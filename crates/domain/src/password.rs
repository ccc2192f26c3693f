//! The password policy of the contract: 8–128 characters, not containing the e-mail's local
//! part (when it has 3 or more characters), not among the 10,000 most common passwords.

use crate::email::Email;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The 10,000 most common passwords, lower-cased (see `data/README.md` for the source).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer characters than the policy's minimum.
    #[error("password must be at least {0} characters")]
    TooShort(usize),
    /// More characters than the policy's maximum.
    #[error("password must be at most {0} characters")]
    TooLong(usize),
    /// Contains the local part of the account's e-mail address.
    #[error("password must not contain the email address")]
    ContainsEmail,
    /// Appears in the list of the most common passwords.
    #[error("password is too common")]
    TooCommon,
}

/// The rules a new password must satisfy.
///
/// ```
/// use castellan_domain::{Email, PasswordError, PasswordPolicy};
///
/// let policy = PasswordPolicy::default();
/// let email = Email::parse("maria@example.com").unwrap();
/// assert_eq!(policy.check("short", None), Err(PasswordError::TooShort(8)));
/// assert_eq!(policy.check("password", None), Err(PasswordError::TooCommon));
/// assert_eq!(policy.check("xxMARIAxx-2024", Some(&email)), Err(PasswordError::ContainsEmail));
/// assert!(policy.check("violet staircase 42", Some(&email)).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters.
    pub min_len: usize,
    /// Maximum length in characters.
    pub max_len: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_len: 8,
            max_len: 128,
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` for an account with `email` (when known).
    pub fn check(&self, password: &str, email: Option<&Email>) -> Result<(), PasswordError> {
        let len = password.chars().count();
        if len < self.min_len {
            return Err(PasswordError::TooShort(self.min_len));
        }
        if len > self.max_len {
            return Err(PasswordError::TooLong(self.max_len));
        }
        let lowered = password.to_lowercase();
        if let Some(local) = email.map(Email::local_part) {
            if local.chars().count() >= 3 && lowered.contains(local) {
                return Err(PasswordError::ContainsEmail);
            }
        }
        if is_common(&lowered) {
            return Err(PasswordError::TooCommon);
        }
        Ok(())
    }
}

/// Whether `password` (compared case-insensitively) is one of the most common passwords.
///
/// ```
/// assert!(castellan_domain::password::is_common("QWERTY123"));
/// assert!(!castellan_domain::password::is_common("violet staircase 42"));
/// ```
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_list_has_ten_thousand_entries() {
        assert!(
            COMMON_PASSWORDS.len() >= 9_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy::default();
        assert!(policy.check("ééééééé", None).is_err());
        assert!(policy.check("ééééééé£x", None).is_ok());
        assert_eq!(
            policy.check(&"ü".repeat(129), None),
            Err(PasswordError::TooLong(128))
        );
        assert!(policy.check(&"ü".repeat(128), None).is_ok());
    }

    #[test]
    fn short_local_parts_are_ignored() {
        let email = Email::parse("ab@example.com").unwrap();
        assert!(PasswordPolicy::default()
            .check("xxabxxYYzz91", Some(&email))
            .is_ok());
    }

    proptest! {
        #[test]
        fn any_password_containing_the_local_part_is_refused(prefix in "[a-z]{0,10}", local in "[a-z]{3,12}", suffix in "[0-9]{0,10}") {
            let email = Email::parse(&format!("{local}@example.com")).unwrap();
            let password = format!("{prefix}{}{suffix}", local.to_uppercase());
            let result = PasswordPolicy::default().check(&password, Some(&email));
            prop_assert!(result.is_err());
        }
    }
}
