//! API keys: what a key looks like (`cst_<prefix>_<secret>`), the scopes it carries and
//! what they leave of its owner's access (see [`crate::rbac::Subject::limited_to`]).
//!
//! ```
//! use castellan_domain::api_key::{ApiKeyToken, KeyScopes};
//! use castellan_domain::rbac::Action;
//!
//! let scopes = KeyScopes::parse(["article:read", "task:*"]).unwrap();
//! assert!(scopes.permits("article", Action::Read));
//! assert!(!scopes.permits("article", Action::Delete));
//! assert!(scopes.permits("task", Action::Delete));
//!
//! let token = ApiKeyToken::parse("cst_ab12cd34_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
//! assert_eq!(token.prefix(), "ab12cd34");
//! assert!(ApiKeyToken::parse("cst_short_secret").is_none());
//! ```

use crate::rbac::{AccessFlags, Action, Scope};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// The element of API keys themselves: no key may hold a scope on it.
pub const API_KEY_ELEMENT: &str = "api_key";
/// Characters of a key's public prefix.
pub const PREFIX_LEN: usize = 8;
/// Characters of a key's secret (256 bits, base64url without padding).
pub const SECRET_LEN: usize = 43;
/// Most scopes a key may carry.
pub const MAX_SCOPES: usize = 50;

/// A stored API key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Its id.
    pub id: Uuid,
    /// The owner's tenant.
    pub tenant_id: Uuid,
    /// The user it acts as.
    pub owner_id: Uuid,
    /// A label.
    pub name: String,
    /// The public part of the key, unique.
    pub prefix: String,
    /// What it may do (within its owner's rules).
    pub scopes: KeyScopes,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key works at `now` (not expired).
    ///
    /// ```
    /// # use castellan_domain::api_key::{ApiKey, KeyScopes};
    /// # use chrono::{Duration, Utc};
    /// # use uuid::Uuid;
    /// let now = Utc::now();
    /// let mut key = ApiKey { id: Uuid::nil(), tenant_id: Uuid::nil(), owner_id: Uuid::nil(),
    ///     name: "ci".into(), prefix: "abcd1234".into(), scopes: KeyScopes::parse(["article:read"]).unwrap(),
    ///     created_at: now, expires_at: None, last_used_at: None };
    /// assert!(key.is_usable(now));
    /// key.expires_at = Some(now);
    /// assert!(!key.is_usable(now));
    /// ```
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// Whether its `last_used_at` is worth writing at `now`: at most once a minute.
    ///
    /// ```
    /// # use castellan_domain::api_key::{ApiKey, KeyScopes};
    /// # use chrono::{Duration, Utc};
    /// # use uuid::Uuid;
    /// let now = Utc::now();
    /// let mut key = ApiKey { id: Uuid::nil(), tenant_id: Uuid::nil(), owner_id: Uuid::nil(),
    ///     name: "ci".into(), prefix: "abcd1234".into(), scopes: KeyScopes::parse(["article:read"]).unwrap(),
    ///     created_at: now, expires_at: None, last_used_at: None };
    /// assert!(key.use_is_news(now));
    /// key.last_used_at = Some(now - Duration::seconds(30));
    /// assert!(!key.use_is_news(now));
    /// key.last_used_at = Some(now - Duration::seconds(60));
    /// assert!(key.use_is_news(now));
    /// ```
    pub fn use_is_news(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at
            .is_none_or(|last| now - last >= chrono::Duration::seconds(60))
    }
}

/// What a scope allows on its element: one action, or all (`*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeAction {
    /// One action.
    Only(Action),
    /// `*`: every action.
    Any,
}

/// A key's scope does not parse, or names `api_key`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Not `<element>:<read|create|update|delete|*>`.
    #[error("scope {0:?} is not <element>:<read|create|update|delete|*>")]
    Malformed(String),
    /// A scope on API keys themselves.
    #[error("scope {0:?}: a key can never manage API keys")]
    ApiKeyScope(String),
    /// No scope, or more than [`MAX_SCOPES`].
    #[error("a key has 1 to {MAX_SCOPES} scopes")]
    Count,
}

/// A key's scopes, by element: the access flags each leaves open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyScopes {
    masks: BTreeMap<String, AccessFlags>,
    listed: Vec<String>,
}

impl KeyScopes {
    /// Parses `<element>:<read|create|update|delete|*>` scopes (1 to [`MAX_SCOPES`];
    /// duplicates are kept once). Element names are `[a-z_]` words; whether the element
    /// exists is the catalog's business.
    pub fn parse<I, S>(scopes: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut parsed = Self::default();
        for scope in scopes {
            let scope = scope.as_ref();
            let (element, action) = split(scope)?;
            if element == API_KEY_ELEMENT {
                return Err(ScopeError::ApiKeyScope(scope.to_owned()));
            }
            let mask = parsed.masks.entry(element.to_owned()).or_default();
            *mask = mask.union(action_mask(action));
            if !parsed.listed.iter().any(|s| s == scope) {
                parsed.listed.push(scope.to_owned());
            }
        }
        match parsed.listed.len() {
            1..=MAX_SCOPES => Ok(parsed),
            _ => Err(ScopeError::Count),
        }
    }

    /// The scopes as given (duplicates removed), in order.
    pub fn as_strings(&self) -> &[String] {
        &self.listed
    }

    /// The elements the scopes name.
    pub fn elements(&self) -> impl Iterator<Item = &str> + '_ {
        self.masks.keys().map(String::as_str)
    }

    /// The flags the scopes leave open on `element` (none when it is not named).
    pub fn mask(&self, element: &str) -> AccessFlags {
        self.masks
            .get(element)
            .copied()
            .unwrap_or(AccessFlags::none())
    }

    /// Whether some scope covers `action` on `element`.
    pub fn permits(&self, element: &str, action: Action) -> bool {
        self.mask(element).grants(action, Scope::Own)
    }

    /// These scopes without `scope` (for reasoning about narrowing; unknown ones are
    /// ignored).
    pub fn without(&self, scope: &str) -> Self {
        let rest: Vec<&String> = self.listed.iter().filter(|s| *s != scope).collect();
        Self::parse(rest).unwrap_or_default()
    }
}

impl fmt::Display for KeyScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.listed.join(" "))
    }
}

fn split(scope: &str) -> Result<(&str, ScopeAction), ScopeError> {
    let malformed = || ScopeError::Malformed(scope.to_owned());
    let (element, action) = scope.split_once(':').ok_or_else(malformed)?;
    let word = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    };
    if !word(element) {
        return Err(malformed());
    }
    let action = match action {
        "*" => ScopeAction::Any,
        other => ScopeAction::Only(other.parse().map_err(|_| malformed())?),
    };
    Ok((element, action))
}

/// The flags one scope action opens: both scopes of the action (`*`: everything).
fn action_mask(action: ScopeAction) -> AccessFlags {
    match action {
        ScopeAction::Any => AccessFlags::all(),
        ScopeAction::Only(action) => AccessFlags::none()
            .with(action, Scope::Own)
            .with(action, Scope::All),
    }
}

/// A presented key, split into its public prefix and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken {
    prefix: String,
    secret: String,
}

impl fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never reaches a log line.
        f.debug_struct("ApiKeyToken")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ApiKeyToken {
    /// `cst_<8 of [a-z0-9]>_<43 of base64url>`, or `None`.
    pub fn parse(key: &str) -> Option<Self> {
        let rest = key.strip_prefix("cst_")?;
        let (prefix, secret) = rest.split_at_checked(PREFIX_LEN)?;
        let secret = secret.strip_prefix('_')?;
        let prefix_ok = prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let secret_ok = secret.len() == SECRET_LEN
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        (prefix_ok && secret_ok).then(|| Self {
            prefix: prefix.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// Assembles a key from its parts (when creating one).
    pub fn new(prefix: String, secret: String) -> Self {
        Self { prefix, secret }
    }

    /// The public prefix (how the key is looked up).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The secret (only ever hashed).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The whole key, as shown once to its creator.
    pub fn reveal(&self) -> String {
        format!("cst_{}_{}", self.prefix, self.secret)
    }
}

/// How a scope list is written in storage and JSON: the strings.
impl Serialize for KeyScopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.listed.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for KeyScopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let listed = Vec::<String>::deserialize(deserializer)?;
        Self::parse(listed).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_refuse() {
        assert!(KeyScopes::parse(["article:read", "article:update"]).is_ok());
        for bad in [
            "article",
            "article:write",
            ":read",
            "Article:read",
            "article:read:x",
            "",
        ] {
            assert_eq!(
                KeyScopes::parse([bad]),
                Err(ScopeError::Malformed(bad.into())),
                "{bad}"
            );
        }
        assert!(matches!(
            KeyScopes::parse(["api_key:read"]),
            Err(ScopeError::ApiKeyScope(_))
        ));
        assert_eq!(
            KeyScopes::parse(Vec::<String>::new()),
            Err(ScopeError::Count)
        );
        let many: Vec<String> = (0..51)
            .map(|i| format!("e{}:read", "x".repeat(i)))
            .collect();
        assert_eq!(KeyScopes::parse(many), Err(ScopeError::Count));
    }

    #[test]
    fn a_scope_opens_both_scopes_of_its_action_only() {
        let scopes = KeyScopes::parse(["article:delete", "article:delete"]).unwrap();
        assert_eq!(scopes.as_strings(), ["article:delete"]);
        let mask = scopes.mask("article");
        assert!(mask.can_delete_own && mask.can_delete_all);
        assert!(!mask.can_read_own && !mask.can_create);
        assert!(scopes.mask("task").is_empty());
        assert_eq!(scopes.without("article:delete"), KeyScopes::default());
    }

    #[test]
    fn keys_parse_strictly() {
        let secret = "A".repeat(SECRET_LEN);
        assert!(ApiKeyToken::parse(&format!("cst_abcd1234_{secret}")).is_some());
        assert!(ApiKeyToken::parse(&format!("cst_ABCD1234_{secret}")).is_none());
        assert!(ApiKeyToken::parse(&format!("cst_abcd1234_{secret}A")).is_none());
        assert!(ApiKeyToken::parse(&format!("cst_abcd123_{secret}A")).is_none());
        assert!(ApiKeyToken::parse(&format!("xyz_abcd1234_{secret}")).is_none());
        assert!(ApiKeyToken::parse("cst_é").is_none());
        let token = ApiKeyToken::new("abcd1234".into(), secret.clone());
        assert_eq!(ApiKeyToken::parse(&token.reveal()), Some(token.clone()));
        assert!(!format!("{token:?}").contains(&secret));
    }
}
