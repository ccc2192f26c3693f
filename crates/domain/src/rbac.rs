//! Role-based access control: the pure evaluator behind every route, `/authz/check` and the
//! permissions of `/auth/me` (the "Access control" section of the API contract).
//!
//! A user has roles; a role has at most one [`AccessRule`] per business element (`article`,
//! `project`, ...), made of seven [`AccessFlags`]. A [`Subject`] is built once per request from
//! the rules of **all** the user's roles and answers every question about that user:
//!
//! * [`Subject::decide`] — "may the subject do `action` on an object of `element` (owned by
//!   `owner`)?", with the scope, the [`Reason`] and the rules that decided ([`Decision`]);
//! * [`Subject::list_scope`] — which rows a list route returns (all, own) or a denial (403);
//! * [`Subject::visibility`] — what a route answers for one existing object (200, 403, 404);
//! * [`Subject::permissions`] / [`Subject::flags`] — the combined permissions of an element.
//!
//! Evaluation: superusers may do everything. Otherwise the rules of every role for the element
//! are combined (logical OR, "all" beats "own", a `*_all` flag implies the matching `*_own`);
//! no rule for the element denies everything on it.
//!
//! | question | flags (combined) | allowed | scope | reason |
//! |---|---|---|---|---|
//! | any, superuser | — | yes | `all` | `superuser` |
//! | any | no rule for the element | no | — | `no_rule` |
//! | create | `can_create` | yes | — | `create_allowed` |
//! | create | no `can_create` | no | — | `flag_off` |
//! | read/update/delete | `*_all` | yes | `all` | `rule_all` |
//! | read/update/delete, no owner or owner = user | `*_own` only | yes | `own` | `rule_own` |
//! | read/update/delete, owner ≠ user | `*_own` only | no | — | `not_owner` |
//! | read/update/delete | neither | no | — | `flag_off` |
//!
//! ```rust
//! use castellan_domain::rbac::{AccessFlags, AccessRule, Action, Reason, Scope, Subject, Visibility};
//! use uuid::Uuid;
//!
//! let (me, someone_else) = (Uuid::now_v7(), Uuid::now_v7());
//! // The system role `User` on `article`: read, create, update and delete its own articles.
//! let user_role = AccessRule {
//!     id: Uuid::now_v7(),
//!     role_id: Uuid::now_v7(),
//!     role: "User".into(),
//!     element: "article".into(),
//!     flags: AccessFlags {
//!         can_read_own: true,
//!         can_create: true,
//!         can_update_own: true,
//!         can_delete_own: true,
//!         ..AccessFlags::none()
//!     },
//! };
//! let subject = Subject::new(me, false, vec![user_role]);
//!
//! let mine = subject.decide("article", Action::Update, Some(me));
//! assert!(mine.allowed);
//! assert_eq!((mine.scope, mine.reason), (Some(Scope::Own), Reason::RuleOwn));
//! assert_eq!(mine.matched_rules[0].role, "User");
//!
//! let theirs = subject.decide("article", Action::Update, Some(someone_else));
//! assert!(!theirs.allowed);
//! assert_eq!(theirs.reason, Reason::NotOwner);
//!
//! assert_eq!(subject.decide("role", Action::Read, None).reason, Reason::NoRule);
//! assert_eq!(subject.list_scope("article"), Ok(Scope::Own));
//! assert_eq!(subject.visibility("article", Action::Read, someone_else), Visibility::NotFound);
//! assert_eq!(subject.visibility("article", Action::Delete, me), Visibility::Allowed);
//! ```

use crate::api_key::KeyScopes;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Action, Scope
// ---------------------------------------------------------------------------------------------

/// What a subject wants to do with an object of a business element.
///
/// Serialized (and parsed) in lower case, as in `/authz/check`:
///
/// ```rust
/// use castellan_domain::rbac::Action;
///
/// assert_eq!("update".parse::<Action>(), Ok(Action::Update));
/// assert_eq!(Action::Delete.as_str(), "delete");
/// assert_eq!(serde_json::to_string(&Action::Read).unwrap(), r#""read""#);
/// assert!("READ".parse::<Action>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read one object or list objects.
    Read,
    /// Create an object (the creator becomes its owner).
    Create,
    /// Change an object.
    Update,
    /// Delete an object.
    Delete,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];

    /// The lower-case name: `"read"`, `"create"`, `"update"` or `"delete"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of `read`, `create`, `update`, `delete`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?}: expected read, create, update or delete")]
pub struct ParseActionError(pub String);

impl FromStr for Action {
    type Err = ParseActionError;

    /// Parses the exact lower-case name (`"read"`, `"create"`, `"update"`, `"delete"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(Action::Read),
            "create" => Ok(Action::Create),
            "update" => Ok(Action::Update),
            "delete" => Ok(Action::Delete),
            other => Err(ParseActionError(other.to_owned())),
        }
    }
}

/// How far a permission reaches: the caller's own objects, or every object (of the tenant).
///
/// `Own < All`, so the wider of two scopes is their `max`:
///
/// ```rust
/// use castellan_domain::rbac::Scope;
///
/// assert!(Scope::Own < Scope::All);
/// assert_eq!(Scope::Own.max(Scope::All), Scope::All);
/// assert_eq!(serde_json::to_string(&Some(Scope::Own)).unwrap(), r#""own""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only objects the subject owns.
    Own,
    /// Every object.
    All,
}

impl Scope {
    /// The lower-case name: `"own"` or `"all"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::All => "all",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// AccessFlags, AccessRule
// ---------------------------------------------------------------------------------------------

/// The seven permission flags of an access rule. A `*_all` flag implies the matching `*_own`
/// (see [`AccessFlags::normalized`]); every query method already honours that.
///
/// ```rust
/// use castellan_domain::rbac::{AccessFlags, Action, Scope};
///
/// let editor = AccessFlags { can_read_all: true, can_update_own: true, ..AccessFlags::none() };
/// assert_eq!(editor.scope(Action::Read), Some(Scope::All));
/// assert_eq!(editor.scope(Action::Update), Some(Scope::Own));
/// assert_eq!(editor.scope(Action::Delete), None);
/// assert_eq!(editor.scope(Action::Create), None);
///
/// let combined = editor.union(AccessFlags::none().with(Action::Update, Scope::All));
/// assert_eq!(combined.scope(Action::Update), Some(Scope::All));
/// assert!(combined.normalized().can_read_own);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessFlags {
    /// Read (and list) the objects the subject owns.
    pub can_read_own: bool,
    /// Read (and list) every object.
    pub can_read_all: bool,
    /// Create objects.
    pub can_create: bool,
    /// Update the objects the subject owns.
    pub can_update_own: bool,
    /// Update every object.
    pub can_update_all: bool,
    /// Delete the objects the subject owns.
    pub can_delete_own: bool,
    /// Delete every object.
    pub can_delete_all: bool,
}

impl AccessFlags {
    /// Every flag set (what a superuser, or the system role `Admin`, has).
    pub const fn all() -> Self {
        Self {
            can_read_own: true,
            can_read_all: true,
            can_create: true,
            can_update_own: true,
            can_update_all: true,
            can_delete_own: true,
            can_delete_all: true,
        }
    }

    /// No flag set.
    pub const fn none() -> Self {
        Self {
            can_read_own: false,
            can_read_all: false,
            can_create: false,
            can_update_own: false,
            can_update_all: false,
            can_delete_own: false,
            can_delete_all: false,
        }
    }

    /// The flags of both (logical OR): how the rules of several roles combine.
    pub const fn union(self, other: Self) -> Self {
        Self {
            can_read_own: self.can_read_own || other.can_read_own,
            can_read_all: self.can_read_all || other.can_read_all,
            can_create: self.can_create || other.can_create,
            can_update_own: self.can_update_own || other.can_update_own,
            can_update_all: self.can_update_all || other.can_update_all,
            can_delete_own: self.can_delete_own || other.can_delete_own,
            can_delete_all: self.can_delete_all || other.can_delete_all,
        }
    }

    /// The flags both `self` and `other` have.
    ///
    /// ```
    /// use castellan_domain::rbac::AccessFlags;
    /// let read = AccessFlags { can_read_own: true, can_read_all: true, ..AccessFlags::none() };
    /// assert_eq!(AccessFlags::all().intersection(read), read);
    /// assert!(read.intersection(AccessFlags { can_create: true, ..AccessFlags::none() }).is_empty());
    /// ```
    pub const fn intersection(self, other: Self) -> Self {
        Self {
            can_read_own: self.can_read_own && other.can_read_own,
            can_read_all: self.can_read_all && other.can_read_all,
            can_create: self.can_create && other.can_create,
            can_update_own: self.can_update_own && other.can_update_own,
            can_update_all: self.can_update_all && other.can_update_all,
            can_delete_own: self.can_delete_own && other.can_delete_own,
            can_delete_all: self.can_delete_all && other.can_delete_all,
        }
    }

    /// The same flags with every `*_own` set whose `*_all` is set (the implication made
    /// explicit).
    ///
    /// ```rust
    /// use castellan_domain::rbac::AccessFlags;
    ///
    /// let flags = AccessFlags { can_delete_all: true, ..AccessFlags::none() }.normalized();
    /// assert!(flags.can_delete_own && flags.can_delete_all);
    /// assert!(!flags.can_read_own);
    /// ```
    pub const fn normalized(self) -> Self {
        Self {
            can_read_own: self.can_read_own || self.can_read_all,
            can_update_own: self.can_update_own || self.can_update_all,
            can_delete_own: self.can_delete_own || self.can_delete_all,
            ..self
        }
    }

    /// How far the flags allow `action`: for read, update and delete `Some(All)` with the
    /// `*_all` flag, `Some(Own)` with only the `*_own` flag, else `None`; for create
    /// `Some(All)` with `can_create`, else `None`.
    pub const fn scope(&self, action: Action) -> Option<Scope> {
        let (all, own) = self.pair(action);
        if all {
            Some(Scope::All)
        } else if own {
            Some(Scope::Own)
        } else {
            None
        }
    }

    /// Whether the flags allow `action` at least at `scope` (`*_all` implies `*_own`; for
    /// create the scope does not matter).
    ///
    /// ```rust
    /// use castellan_domain::rbac::{AccessFlags, Action, Scope};
    ///
    /// let flags = AccessFlags { can_read_all: true, ..AccessFlags::none() };
    /// assert!(flags.grants(Action::Read, Scope::Own));
    /// assert!(flags.grants(Action::Read, Scope::All));
    /// assert!(!flags.grants(Action::Update, Scope::Own));
    /// ```
    pub const fn grants(&self, action: Action, scope: Scope) -> bool {
        let (all, own) = self.pair(action);
        match scope {
            Scope::All => all,
            Scope::Own => all || own,
        }
    }

    /// The same flags plus the one for `action` at `scope` (for create, `can_create`
    /// whatever the scope).
    pub const fn with(mut self, action: Action, scope: Scope) -> Self {
        match (action, scope) {
            (Action::Create, _) => self.can_create = true,
            (Action::Read, Scope::Own) => self.can_read_own = true,
            (Action::Read, Scope::All) => self.can_read_all = true,
            (Action::Update, Scope::Own) => self.can_update_own = true,
            (Action::Update, Scope::All) => self.can_update_all = true,
            (Action::Delete, Scope::Own) => self.can_delete_own = true,
            (Action::Delete, Scope::All) => self.can_delete_all = true,
        }
        self
    }

    /// No flag is set.
    pub const fn is_empty(&self) -> bool {
        self.bits() == 0
    }

    /// `(all, own)` for `action`, with `own` as stored (create: `(can_create, can_create)`).
    const fn pair(&self, action: Action) -> (bool, bool) {
        match action {
            Action::Read => (self.can_read_all, self.can_read_own),
            Action::Create => (self.can_create, self.can_create),
            Action::Update => (self.can_update_all, self.can_update_own),
            Action::Delete => (self.can_delete_all, self.can_delete_own),
        }
    }

    /// The flags as a bit set (a total order for deterministic sorting).
    const fn bits(&self) -> u8 {
        (self.can_read_own as u8)
            | (self.can_read_all as u8) << 1
            | (self.can_create as u8) << 2
            | (self.can_update_own as u8) << 3
            | (self.can_update_all as u8) << 4
            | (self.can_delete_own as u8) << 5
            | (self.can_delete_all as u8) << 6
    }
}

/// One access rule: what one role may do on one business element. Unique per
/// (role, element). Serialized flat, as the contract's `/access-rules` objects:
/// `{id, role_id, role, element, can_read_own, ..., can_delete_all}`.
///
/// ```rust
/// use castellan_domain::rbac::{AccessFlags, AccessRule};
/// use uuid::Uuid;
///
/// let rule = AccessRule {
///     id: Uuid::nil(),
///     role_id: Uuid::nil(),
///     role: "Guest".into(),
///     element: "article".into(),
///     flags: AccessFlags { can_read_all: true, ..AccessFlags::none() },
/// };
/// let json = serde_json::to_value(&rule).unwrap();
/// assert_eq!(json["role"], "Guest");
/// assert_eq!(json["can_read_all"], true);
/// assert_eq!(json["can_create"], false);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    /// The rule's identifier.
    pub id: Uuid,
    /// The role it belongs to.
    pub role_id: Uuid,
    /// The role's name.
    pub role: String,
    /// The business element's key (`article`, `user_role`, ...).
    pub element: String,
    /// What the rule allows.
    #[serde(flatten)]
    pub flags: AccessFlags,
}

impl AccessRule {
    /// The deterministic order of rules in explanations: role name, then rule id (then the
    /// remaining fields, so that the order is total).
    fn explanation_order(a: &AccessRule, b: &AccessRule) -> Ordering {
        a.role
            .cmp(&b.role)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.role_id.cmp(&b.role_id))
            .then_with(|| a.element.cmp(&b.element))
            .then_with(|| a.flags.bits().cmp(&b.flags.bits()))
    }
}

// ---------------------------------------------------------------------------------------------
// Decision
// ---------------------------------------------------------------------------------------------

/// A rule named in the explanation of a [`Decision`] (`matched_rules` of `/authz/check`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatchedRule {
    /// The rule's identifier.
    pub rule_id: Uuid,
    /// The name of the rule's role.
    pub role: String,
}

impl From<&AccessRule> for MatchedRule {
    fn from(rule: &AccessRule) -> Self {
        Self {
            rule_id: rule.id,
            role: rule.role.clone(),
        }
    }
}

/// Why a [`Decision`] came out the way it did. Serialized in snake case, exactly as
/// [`Reason::as_str`].
///
/// ```rust
/// use castellan_domain::rbac::Reason;
///
/// assert_eq!(Reason::NotOwner.as_str(), "not_owner");
/// assert_eq!(serde_json::to_string(&Reason::CreateAllowed).unwrap(), r#""create_allowed""#);
/// assert!(Reason::RuleOwn.allows() && !Reason::FlagOff.allows());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Allowed: the subject is a superuser.
    Superuser,
    /// Allowed for every object: a rule has the `*_all` flag of the action.
    RuleAll,
    /// Allowed for the subject's own objects: a rule has the `*_own` flag (and none `*_all`).
    RuleOwn,
    /// Allowed: a rule has `can_create`.
    CreateAllowed,
    /// Denied: only `*_own` allows the action, and the object belongs to someone else.
    NotOwner,
    /// Denied: the element has rules, but none has a flag for the action.
    FlagOff,
    /// Denied: none of the subject's roles has a rule for the element.
    NoRule,
}

impl Reason {
    /// The snake-case name: `"superuser"`, `"rule_all"`, `"rule_own"`, `"create_allowed"`,
    /// `"not_owner"`, `"flag_off"` or `"no_rule"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Superuser => "superuser",
            Reason::RuleAll => "rule_all",
            Reason::RuleOwn => "rule_own",
            Reason::CreateAllowed => "create_allowed",
            Reason::NotOwner => "not_owner",
            Reason::FlagOff => "flag_off",
            Reason::NoRule => "no_rule",
        }
    }

    /// Whether a decision with this reason is an allowance.
    pub const fn allows(self) -> bool {
        matches!(
            self,
            Reason::Superuser | Reason::RuleAll | Reason::RuleOwn | Reason::CreateAllowed
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to "may the subject do this?", with its explanation: the body of one
/// `/authz/check` result (`{allowed, scope, reason, matched_rules}`).
///
/// `scope` is `Some` only when allowed, and never for create (superusers aside, whose scope is
/// always `all`). `matched_rules` (sorted by role name, then rule id) holds, when allowed, the
/// rules that grant the action at the deciding scope; when denied by `not_owner` or
/// `flag_off`, every rule of the element; for `superuser` and `no_rule`, nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// How far the allowance reaches (`None` for create and for denials).
    pub scope: Option<Scope>,
    /// Why.
    pub reason: Reason,
    /// The rules behind the decision.
    pub matched_rules: Vec<MatchedRule>,
}

impl Decision {
    /// Superusers may do everything; the scope is `all`, but null for create (the
    /// contract's rule for every create answer).
    const fn superuser(action: Action) -> Self {
        Self {
            allowed: true,
            scope: match action {
                Action::Create => None,
                _ => Some(Scope::All),
            },
            reason: Reason::Superuser,
            matched_rules: Vec::new(),
        }
    }

    const fn no_rule() -> Self {
        Self {
            allowed: false,
            scope: None,
            reason: Reason::NoRule,
            matched_rules: Vec::new(),
        }
    }

    fn allow(scope: Option<Scope>, reason: Reason, matched_rules: Vec<MatchedRule>) -> Self {
        Self {
            allowed: true,
            scope,
            reason,
            matched_rules,
        }
    }

    fn deny(reason: Reason, rules: &[AccessRule]) -> Self {
        Self {
            allowed: false,
            scope: None,
            reason,
            matched_rules: rules.iter().map(MatchedRule::from).collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Permissions, visibility
// ---------------------------------------------------------------------------------------------

/// What a subject may do on one element, as `/auth/me` shows it:
/// `{"read": "all" | "own" | null, "create": bool, "update": ..., "delete": ...}`.
///
/// ```rust
/// use castellan_domain::rbac::{AccessFlags, ElementPermissions};
///
/// let flags = AccessFlags { can_read_all: true, can_create: true, ..AccessFlags::none() };
/// let json = serde_json::to_value(ElementPermissions::from(flags)).unwrap();
/// assert_eq!(
///     json,
///     serde_json::json!({"read": "all", "create": true, "update": null, "delete": null})
/// );
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ElementPermissions {
    /// Read scope, `None` when the subject may not read.
    pub read: Option<Scope>,
    /// Whether the subject may create.
    pub create: bool,
    /// Update scope, `None` when the subject may not update.
    pub update: Option<Scope>,
    /// Delete scope, `None` when the subject may not delete.
    pub delete: Option<Scope>,
}

impl ElementPermissions {
    /// Everything, every scope `all` (a superuser's permissions).
    pub const fn all() -> Self {
        Self {
            read: Some(Scope::All),
            create: true,
            update: Some(Scope::All),
            delete: Some(Scope::All),
        }
    }

    /// Nothing (no rule for the element).
    pub const fn none() -> Self {
        Self {
            read: None,
            create: false,
            update: None,
            delete: None,
        }
    }
}

impl From<AccessFlags> for ElementPermissions {
    fn from(flags: AccessFlags) -> Self {
        Self {
            read: flags.scope(Action::Read),
            create: flags.can_create,
            update: flags.scope(Action::Update),
            delete: flags.scope(Action::Delete),
        }
    }
}

/// What a route answers for one existing object: allowed (200/204), forbidden (403) or, when
/// the subject may not even see the object, not found (404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Go ahead (200, 204).
    Allowed,
    /// The subject sees the object (or has no read access to the element at all) but may not
    /// do this (403 `forbidden`).
    Forbidden,
    /// The object does not exist for the subject (404 `not_found`).
    NotFound,
}

// ---------------------------------------------------------------------------------------------
// Subject
// ---------------------------------------------------------------------------------------------

/// The rules of one element for one subject: their combination and the rules themselves,
/// sorted for explanations.
#[derive(Debug, Clone, Default)]
struct ElementRules {
    /// The union of every rule's flags, normalized.
    combined: AccessFlags,
    /// The rules, sorted by role name then id, exact duplicates removed.
    rules: Vec<AccessRule>,
}

/// Who owns an object, for [`Subject::visibility`].
///
/// ```
/// use castellan_domain::rbac::Owner;
/// let id = uuid::Uuid::now_v7();
/// assert_eq!(Owner::from(id), Owner::User(id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// This user.
    User(Uuid),
    /// Nobody: objects without an owner (roles, rules, grants, invitations), which
    /// own-scoped rights never reach.
    Nobody,
}

impl From<Uuid> for Owner {
    fn from(user: Uuid) -> Self {
        Owner::User(user)
    }
}

/// A user as the evaluator sees them: id, superuser flag and the rules of all their roles,
/// indexed by element once at construction so that each question is a hash lookup.
///
/// ```rust
/// use castellan_domain::rbac::{AccessFlags, AccessRule, Action, ElementPermissions, Reason, Scope, Subject};
/// use uuid::Uuid;
///
/// let rule = |role: &str, flags| AccessRule {
///     id: Uuid::now_v7(),
///     role_id: Uuid::now_v7(),
///     role: role.into(),
///     element: "project".into(),
///     flags,
/// };
/// let me = Uuid::now_v7();
/// let subject = Subject::new(me, false, vec![
///     rule("Viewer", AccessFlags { can_read_all: true, ..AccessFlags::none() }),
///     rule("Author", AccessFlags { can_read_own: true, can_create: true, can_update_own: true, ..AccessFlags::none() }),
/// ]);
///
/// // Roles combine: "all" beats "own".
/// let read = subject.decide("project", Action::Read, None);
/// assert_eq!((read.allowed, read.scope, read.reason), (true, Some(Scope::All), Reason::RuleAll));
/// assert_eq!(read.matched_rules.len(), 1);
/// assert_eq!(read.matched_rules[0].role, "Viewer");
///
/// assert_eq!(
///     subject.permissions("project"),
///     ElementPermissions { read: Some(Scope::All), create: true, update: Some(Scope::Own), delete: None },
/// );
/// assert_eq!(subject.decide("project", Action::Delete, None).reason, Reason::FlagOff);
///
/// // A superuser needs no rule.
/// let root = Subject::new(Uuid::now_v7(), true, Vec::new());
/// assert_eq!(root.decide("anything", Action::Delete, Some(me)).reason, Reason::Superuser);
/// ```
#[derive(Debug, Clone)]
pub struct Subject {
    user_id: Uuid,
    is_superuser: bool,
    /// A superuser not narrowed by an API key's scopes: allowed everything.
    all_powerful: bool,
    elements: HashMap<String, ElementRules>,
}

impl Subject {
    /// A subject from the rules of **all** the user's roles (for any elements, in any order);
    /// they are indexed by element here, once.
    pub fn new(user_id: Uuid, is_superuser: bool, rules: Vec<AccessRule>) -> Self {
        let mut elements: HashMap<String, ElementRules> = HashMap::new();
        for rule in rules {
            let entry = match elements.get_mut(rule.element.as_str()) {
                Some(entry) => entry,
                None => elements.entry(rule.element.clone()).or_default(),
            };
            entry.combined = entry.combined.union(rule.flags.normalized());
            entry.rules.push(rule);
        }
        for entry in elements.values_mut() {
            entry.rules.sort_unstable_by(AccessRule::explanation_order);
            entry.rules.dedup();
        }
        Self {
            user_id,
            is_superuser,
            all_powerful: is_superuser,
            elements,
        }
    }

    /// This subject seen through an API key's scopes: on each element, only the flags both
    /// the rules and the scopes grant (a superuser: exactly what the scopes name). The
    /// result never allows what `self` does not, and [`Subject::is_superuser`] still
    /// tells the owner's tenant reach.
    ///
    /// ```
    /// use castellan_domain::api_key::KeyScopes;
    /// use castellan_domain::rbac::{AccessFlags, AccessRule, Action, Subject};
    /// use uuid::Uuid;
    ///
    /// let me = Uuid::now_v7();
    /// let editor = AccessRule { id: Uuid::now_v7(), role_id: Uuid::now_v7(), role: "Editor".into(),
    ///     element: "article".into(), flags: AccessFlags { can_read_all: true, can_delete_all: true, ..AccessFlags::none() } };
    /// let key = Subject::new(me, false, vec![editor]).limited_to(&KeyScopes::parse(["article:read", "task:*"]).unwrap());
    /// assert!(key.allows("article", Action::Read, None));
    /// assert!(!key.allows("article", Action::Delete, None)); // not in the scopes
    /// assert!(!key.allows("task", Action::Read, None)); // not in the rules
    ///
    /// let root = Subject::new(me, true, vec![]).limited_to(&KeyScopes::parse(["task:read"]).unwrap());
    /// assert!(root.allows("task", Action::Read, None) && !root.allows("task", Action::Create, None));
    /// assert!(root.is_superuser());
    /// ```
    pub fn limited_to(mut self, scopes: &KeyScopes) -> Self {
        if self.all_powerful {
            self.all_powerful = false;
            self.elements = scopes
                .elements()
                .map(|element| {
                    let combined = scopes.mask(element);
                    (
                        element.to_owned(),
                        ElementRules {
                            combined,
                            rules: Vec::new(),
                        },
                    )
                })
                .collect();
            return self;
        }
        for (element, entry) in &mut self.elements {
            entry.combined = entry.combined.intersection(scopes.mask(element));
        }
        self
    }

    /// The user's id (compared with an object's owner for `*_own` flags).
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    /// Whether the user is a superuser (allowed everything).
    pub fn is_superuser(&self) -> bool {
        self.is_superuser
    }

    /// Whether this is a superuser allowed everything: false for a superuser's API key
    /// (see [`Subject::limited_to`]). What only superusers may do, outside any element's
    /// rules, needs this.
    pub fn has_every_right(&self) -> bool {
        self.all_powerful
    }

    /// The elements the subject has at least one rule for, in no particular order.
    pub fn elements(&self) -> impl Iterator<Item = &str> + '_ {
        self.elements.keys().map(String::as_str)
    }

    /// The subject's rules for `element`, sorted by role name then rule id (empty when none).
    pub fn rules(&self, element: &str) -> &[AccessRule] {
        self.elements
            .get(element)
            .map_or(&[][..], |entry| entry.rules.as_slice())
    }

    /// May the subject do `action` on an object of `element` — owned by `owner` when given,
    /// otherwise on "some object" of it (then `scope` tells how far)? See the module
    /// documentation for the table of outcomes.
    pub fn decide(&self, element: &str, action: Action, owner: Option<Uuid>) -> Decision {
        if self.all_powerful {
            return Decision::superuser(action);
        }
        let Some(entry) = self.elements.get(element) else {
            return Decision::no_rule();
        };
        let rules = entry.rules.as_slice();
        let flags = entry.combined;
        if action == Action::Create {
            return if flags.can_create {
                Decision::allow(
                    None,
                    Reason::CreateAllowed,
                    matching(rules, |f| f.can_create),
                )
            } else {
                Decision::deny(Reason::FlagOff, rules)
            };
        }
        match flags.scope(action) {
            Some(Scope::All) => Decision::allow(
                Some(Scope::All),
                Reason::RuleAll,
                matching(rules, |f| f.grants(action, Scope::All)),
            ),
            Some(Scope::Own) => match owner {
                Some(owner) if owner != self.user_id => Decision::deny(Reason::NotOwner, rules),
                _ => Decision::allow(
                    Some(Scope::Own),
                    Reason::RuleOwn,
                    matching(rules, |f| f.grants(action, Scope::Own)),
                ),
            },
            None => Decision::deny(Reason::FlagOff, rules),
        }
    }

    /// `decide(element, action, owner).allowed`, without building the explanation (never
    /// allocates).
    ///
    /// ```rust
    /// use castellan_domain::rbac::{AccessFlags, AccessRule, Action, Subject};
    /// use uuid::Uuid;
    ///
    /// let me = Uuid::now_v7();
    /// let rule = AccessRule {
    ///     id: Uuid::now_v7(), role_id: Uuid::now_v7(), role: "User".into(),
    ///     element: "task".into(),
    ///     flags: AccessFlags { can_delete_own: true, ..AccessFlags::none() },
    /// };
    /// let subject = Subject::new(me, false, vec![rule]);
    /// assert!(subject.allows("task", Action::Delete, Some(me)));
    /// assert!(!subject.allows("task", Action::Delete, Some(Uuid::now_v7())));
    /// ```
    pub fn allows(&self, element: &str, action: Action, owner: Option<Uuid>) -> bool {
        if self.all_powerful {
            return true;
        }
        let Some(entry) = self.elements.get(element) else {
            return false;
        };
        match entry.combined.scope(action) {
            Some(Scope::All) => true,
            Some(Scope::Own) => owner.is_none_or(|owner| owner == self.user_id),
            None => false,
        }
    }

    /// The combined (normalized) flags of all the subject's rules for `element`; every flag
    /// for a superuser; `None` when there is no rule for it (and the subject is no superuser).
    pub fn flags(&self, element: &str) -> Option<AccessFlags> {
        if self.all_powerful {
            return Some(AccessFlags::all());
        }
        self.elements.get(element).map(|entry| entry.combined)
    }

    /// The subject's permissions on `element`, as `/auth/me` lists them (a superuser: all).
    pub fn permissions(&self, element: &str) -> ElementPermissions {
        if self.all_powerful {
            return ElementPermissions::all();
        }
        self.elements
            .get(element)
            .map_or(ElementPermissions::none(), |entry| entry.combined.into())
    }

    /// Which rows a list route of `element` returns: `Ok(Scope::All)` (every row of the
    /// tenant), `Ok(Scope::Own)` (the subject's own rows), or `Err` with the denial (the route
    /// answers 403). The same as `decide(element, Action::Read, None)`.
    ///
    /// # Errors
    ///
    /// The denial ([`Reason::NoRule`] or [`Reason::FlagOff`]) when the subject may not read
    /// the element at all.
    ///
    /// ```rust
    /// use castellan_domain::rbac::{Reason, Scope, Subject};
    /// use uuid::Uuid;
    ///
    /// let nobody = Subject::new(Uuid::now_v7(), false, Vec::new());
    /// assert_eq!(nobody.list_scope("article").unwrap_err().reason, Reason::NoRule);
    /// let root = Subject::new(Uuid::now_v7(), true, Vec::new());
    /// assert_eq!(root.list_scope("article"), Ok(Scope::All));
    /// ```
    pub fn list_scope(&self, element: &str) -> Result<Scope, Decision> {
        if self.all_powerful {
            return Ok(Scope::All);
        }
        match self
            .elements
            .get(element)
            .map(|e| e.combined.scope(Action::Read))
        {
            Some(Some(scope)) => Ok(scope),
            _ => Err(self.decide(element, Action::Read, None)),
        }
    }

    /// What a route answers when the subject wants to do `action` on an existing object of
    /// `element` owned by `owner`:
    ///
    /// * superuser → [`Visibility::Allowed`]; no rule for the element → `Forbidden`;
    /// * create is not about an existing object: `Allowed` with `can_create`, else `Forbidden`;
    /// * the object is not readable (neither read-all nor read-own as its owner) → `NotFound`,
    ///   or `Forbidden` when the subject has no read flag on the element at all;
    /// * readable: read → `Allowed`; update/delete → `Allowed` when
    ///   `decide(element, action, Some(owner))` allows, else `Forbidden`.
    ///
    /// ```rust
    /// use castellan_domain::rbac::{AccessFlags, AccessRule, Action, Subject, Visibility};
    /// use uuid::Uuid;
    ///
    /// let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
    /// let rule = AccessRule {
    ///     id: Uuid::now_v7(), role_id: Uuid::now_v7(), role: "Guest".into(),
    ///     element: "article".into(),
    ///     flags: AccessFlags { can_read_all: true, ..AccessFlags::none() },
    /// };
    /// let guest = Subject::new(me, false, vec![rule]);
    /// assert_eq!(guest.visibility("article", Action::Read, other), Visibility::Allowed);
    /// assert_eq!(guest.visibility("article", Action::Update, other), Visibility::Forbidden);
    /// assert_eq!(guest.visibility("project", Action::Read, other), Visibility::Forbidden);
    /// ```
    pub fn visibility(&self, element: &str, action: Action, owner: impl Into<Owner>) -> Visibility {
        if self.all_powerful {
            return Visibility::Allowed;
        }
        let Some(entry) = self.elements.get(element) else {
            return Visibility::Forbidden;
        };
        let flags = entry.combined;
        let allowed_or_forbidden = |allowed: bool| {
            if allowed {
                Visibility::Allowed
            } else {
                Visibility::Forbidden
            }
        };
        if action == Action::Create {
            return allowed_or_forbidden(flags.can_create);
        }
        let is_owner = owner.into() == Owner::User(self.user_id);
        let readable = flags.can_read_all || (flags.can_read_own && is_owner);
        if !readable {
            return if flags.can_read_own {
                Visibility::NotFound
            } else {
                Visibility::Forbidden
            };
        }
        match flags.scope(action) {
            Some(Scope::All) => Visibility::Allowed,
            Some(Scope::Own) => allowed_or_forbidden(is_owner),
            None => Visibility::Forbidden,
        }
    }
}

/// The rules (already sorted) whose flags satisfy `grants`, as explanation entries.
fn matching(rules: &[AccessRule], grants: impl Fn(&AccessFlags) -> bool) -> Vec<MatchedRule> {
    rules
        .iter()
        .filter(|rule| grants(&rule.flags))
        .map(MatchedRule::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ME: Uuid = Uuid::from_u128(0xA11CE);
    const OTHER: Uuid = Uuid::from_u128(0xB0B);

    fn rule(id: u128, role: &str, element: &str, flags: AccessFlags) -> AccessRule {
        AccessRule {
            id: Uuid::from_u128(id),
            role_id: Uuid::from_u128(u128::from(role.len() as u32) << 64 | id),
            role: role.to_owned(),
            element: element.to_owned(),
            flags,
        }
    }

    fn flags(f: impl FnOnce(&mut AccessFlags)) -> AccessFlags {
        let mut flags = AccessFlags::none();
        f(&mut flags);
        flags
    }

    fn matched(rules: &[(u128, &str)]) -> Vec<MatchedRule> {
        rules
            .iter()
            .map(|&(id, role)| MatchedRule {
                rule_id: Uuid::from_u128(id),
                role: role.to_owned(),
            })
            .collect()
    }

    /// The system role `User` on `article` (API.md): own read/update/delete, create.
    fn user_article(id: u128) -> AccessRule {
        rule(
            id,
            "User",
            "article",
            flags(|f| {
                f.can_read_own = true;
                f.can_create = true;
                f.can_update_own = true;
                f.can_delete_own = true;
            }),
        )
    }

    // ---- Reasons and explanations -----------------------------------------------------------

    #[test]
    fn superuser_is_allowed_everything_with_scope_all_and_no_rules() {
        let root = Subject::new(ME, true, Vec::new());
        for action in Action::ALL {
            for owner in [None, Some(ME), Some(OTHER)] {
                let d = root.decide("anything", action, owner);
                let scope = (action != Action::Create).then_some(Scope::All);
                assert_eq!(
                    d,
                    Decision {
                        allowed: true,
                        scope,
                        reason: Reason::Superuser,
                        matched_rules: vec![],
                    }
                );
                assert_eq!(
                    root.visibility("anything", action, OTHER),
                    Visibility::Allowed
                );
            }
        }
        assert_eq!(root.flags("x"), Some(AccessFlags::all()));
        assert_eq!(root.permissions("x"), ElementPermissions::all());
        assert_eq!(root.list_scope("x"), Ok(Scope::All));
        assert!(root.is_superuser());
        assert_eq!(root.user_id(), ME);
    }

    #[test]
    fn superuser_ignores_its_rules() {
        let root = Subject::new(
            ME,
            true,
            vec![rule(1, "Guest", "article", AccessFlags::none())],
        );
        let d = root.decide("article", Action::Delete, Some(OTHER));
        assert_eq!((d.allowed, d.reason), (true, Reason::Superuser));
        assert!(d.matched_rules.is_empty());
    }

    #[test]
    fn no_rule_denies_everything_without_explanation() {
        let s = Subject::new(ME, false, vec![user_article(1)]);
        for action in Action::ALL {
            for owner in [None, Some(ME), Some(OTHER)] {
                assert_eq!(
                    s.decide("role", action, owner),
                    Decision {
                        allowed: false,
                        scope: None,
                        reason: Reason::NoRule,
                        matched_rules: vec![],
                    }
                );
            }
            assert_eq!(s.visibility("role", action, ME), Visibility::Forbidden);
        }
        assert_eq!(s.flags("role"), None);
        assert_eq!(s.permissions("role"), ElementPermissions::none());
        assert_eq!(s.list_scope("role").unwrap_err().reason, Reason::NoRule);
        assert!(s.rules("role").is_empty());
    }

    #[test]
    fn rule_all_matches_only_the_rules_with_the_all_flag() {
        let s = Subject::new(
            ME,
            false,
            vec![
                rule(3, "Viewer", "project", flags(|f| f.can_read_all = true)),
                rule(2, "Author", "project", flags(|f| f.can_read_own = true)),
                rule(1, "Auditor", "project", flags(|f| f.can_read_all = true)),
            ],
        );
        for owner in [None, Some(ME), Some(OTHER)] {
            assert_eq!(
                s.decide("project", Action::Read, owner),
                Decision {
                    allowed: true,
                    scope: Some(Scope::All),
                    reason: Reason::RuleAll,
                    matched_rules: matched(&[(1, "Auditor"), (3, "Viewer")]),
                }
            );
        }
    }

    #[test]
    fn rule_own_without_owner_and_for_the_owner() {
        let s = Subject::new(ME, false, vec![user_article(7)]);
        for owner in [None, Some(ME)] {
            for action in [Action::Read, Action::Update, Action::Delete] {
                assert_eq!(
                    s.decide("article", action, owner),
                    Decision {
                        allowed: true,
                        scope: Some(Scope::Own),
                        reason: Reason::RuleOwn,
                        matched_rules: matched(&[(7, "User")]),
                    }
                );
            }
        }
    }

    #[test]
    fn rule_own_lists_rules_granting_own_including_all_flags_implied() {
        // Two roles with read_own, one without any read flag: only the two are named.
        let s = Subject::new(
            ME,
            false,
            vec![
                rule(5, "B", "task", flags(|f| f.can_read_own = true)),
                rule(4, "C", "task", flags(|f| f.can_create = true)),
                rule(6, "A", "task", flags(|f| f.can_read_own = true)),
            ],
        );
        let d = s.decide("task", Action::Read, Some(ME));
        assert_eq!(d.reason, Reason::RuleOwn);
        assert_eq!(d.matched_rules, matched(&[(6, "A"), (5, "B")]));
    }

    #[test]
    fn create_allowed_has_no_scope_and_names_the_creating_rules() {
        let s = Subject::new(
            ME,
            false,
            vec![
                user_article(2),
                rule(1, "Guest", "article", flags(|f| f.can_read_all = true)),
            ],
        );
        for owner in [None, Some(ME), Some(OTHER)] {
            assert_eq!(
                s.decide("article", Action::Create, owner),
                Decision {
                    allowed: true,
                    scope: None,
                    reason: Reason::CreateAllowed,
                    matched_rules: matched(&[(2, "User")]),
                }
            );
        }
    }

    #[test]
    fn not_owner_names_every_rule_of_the_element() {
        let s = Subject::new(
            ME,
            false,
            vec![
                user_article(2),
                rule(1, "Guest", "article", flags(|f| f.can_read_own = true)),
                rule(3, "Other", "project", AccessFlags::all()),
            ],
        );
        for action in [Action::Read, Action::Update, Action::Delete] {
            assert_eq!(
                s.decide("article", action, Some(OTHER)),
                Decision {
                    allowed: false,
                    scope: None,
                    reason: Reason::NotOwner,
                    matched_rules: matched(&[(1, "Guest"), (2, "User")]),
                }
            );
        }
    }

    #[test]
    fn flag_off_names_every_rule_of_the_element() {
        let guest = rule(1, "Guest", "article", flags(|f| f.can_read_all = true));
        let s = Subject::new(ME, false, vec![guest]);
        for action in [Action::Create, Action::Update, Action::Delete] {
            for owner in [None, Some(ME), Some(OTHER)] {
                assert_eq!(
                    s.decide("article", action, owner),
                    Decision {
                        allowed: false,
                        scope: None,
                        reason: Reason::FlagOff,
                        matched_rules: matched(&[(1, "Guest")]),
                    }
                );
            }
        }
        // A rule with no flag at all still counts as a rule: flag_off, not no_rule.
        let empty = Subject::new(ME, false, vec![rule(9, "Nil", "site", AccessFlags::none())]);
        let d = empty.decide("site", Action::Read, None);
        assert_eq!(
            (d.reason, d.matched_rules),
            (Reason::FlagOff, matched(&[(9, "Nil")]))
        );
        assert_eq!(
            empty.visibility("site", Action::Read, ME),
            Visibility::Forbidden
        );
    }

    #[test]
    fn all_flag_implies_own_even_when_own_is_off() {
        let s = Subject::new(
            ME,
            false,
            vec![rule(
                1,
                "Editor",
                "task",
                flags(|f| f.can_update_all = true),
            )],
        );
        let d = s.decide("task", Action::Update, Some(ME));
        assert_eq!((d.scope, d.reason), (Some(Scope::All), Reason::RuleAll));
        assert!(s.flags("task").unwrap().can_update_own);
    }

    #[test]
    fn roles_combine_all_beats_own() {
        let s = Subject::new(
            ME,
            false,
            vec![
                rule(1, "User", "article", flags(|f| f.can_delete_own = true)),
                rule(
                    2,
                    "Moderator",
                    "article",
                    flags(|f| f.can_delete_all = true),
                ),
            ],
        );
        let d = s.decide("article", Action::Delete, Some(OTHER));
        assert_eq!(
            d,
            Decision {
                allowed: true,
                scope: Some(Scope::All),
                reason: Reason::RuleAll,
                matched_rules: matched(&[(2, "Moderator")]),
            }
        );
    }

    #[test]
    fn system_roles_of_the_contract() {
        let admin = Subject::new(
            ME,
            false,
            vec![rule(1, "Admin", "article", AccessFlags::all())],
        );
        let user = Subject::new(ME, false, vec![user_article(2)]);
        let guest = Subject::new(
            ME,
            false,
            vec![rule(
                3,
                "Guest",
                "article",
                flags(|f| f.can_read_all = true),
            )],
        );
        assert_eq!(admin.permissions("article"), ElementPermissions::all());
        assert_eq!(
            user.permissions("article"),
            ElementPermissions {
                read: Some(Scope::Own),
                create: true,
                update: Some(Scope::Own),
                delete: Some(Scope::Own),
            }
        );
        assert_eq!(
            guest.permissions("article"),
            ElementPermissions {
                read: Some(Scope::All),
                ..ElementPermissions::none()
            }
        );
        assert_eq!(admin.list_scope("article"), Ok(Scope::All));
        assert_eq!(user.list_scope("article"), Ok(Scope::Own));
        assert_eq!(guest.list_scope("article"), Ok(Scope::All));
        assert_eq!(
            user.list_scope("project").unwrap_err().reason,
            Reason::NoRule
        );
    }

    #[test]
    fn list_scope_without_read_flag_is_the_flag_off_denial() {
        let s = Subject::new(
            ME,
            false,
            vec![rule(1, "Maker", "batch", flags(|f| f.can_create = true))],
        );
        let err = s.list_scope("batch").unwrap_err();
        assert_eq!(err, s.decide("batch", Action::Read, None));
        assert_eq!(err.reason, Reason::FlagOff);
    }

    #[test]
    fn visibility_cases() {
        let user = Subject::new(ME, false, vec![user_article(1)]);
        // own object: everything; someone else's: does not exist.
        for action in [Action::Read, Action::Update, Action::Delete] {
            assert_eq!(user.visibility("article", action, ME), Visibility::Allowed);
            assert_eq!(
                user.visibility("article", action, OTHER),
                Visibility::NotFound
            );
        }
        assert_eq!(
            user.visibility("article", Action::Create, OTHER),
            Visibility::Allowed
        );

        // read-all, update-own: visible but not updatable → 403.
        let reviewer = Subject::new(
            ME,
            false,
            vec![rule(
                2,
                "Reviewer",
                "article",
                flags(|f| {
                    f.can_read_all = true;
                    f.can_update_own = true;
                }),
            )],
        );
        assert_eq!(
            reviewer.visibility("article", Action::Read, OTHER),
            Visibility::Allowed
        );
        assert_eq!(
            reviewer.visibility("article", Action::Update, OTHER),
            Visibility::Forbidden
        );
        assert_eq!(
            reviewer.visibility("article", Action::Update, ME),
            Visibility::Allowed
        );
        assert_eq!(
            reviewer.visibility("article", Action::Delete, ME),
            Visibility::Forbidden
        );
        assert_eq!(
            reviewer.visibility("article", Action::Create, ME),
            Visibility::Forbidden
        );

        // no read flag at all: 403 even for objects that cannot be seen.
        let writer = Subject::new(
            ME,
            false,
            vec![rule(
                3,
                "Writer",
                "article",
                flags(|f| f.can_update_all = true),
            )],
        );
        assert_eq!(
            writer.visibility("article", Action::Update, OTHER),
            Visibility::Forbidden
        );
        assert_eq!(
            writer.visibility("article", Action::Read, ME),
            Visibility::Forbidden
        );

        // read-own only, update-all: someone else's object is still invisible → 404.
        let odd = Subject::new(
            ME,
            false,
            vec![rule(
                4,
                "Odd",
                "article",
                flags(|f| {
                    f.can_read_own = true;
                    f.can_update_all = true;
                }),
            )],
        );
        assert_eq!(
            odd.visibility("article", Action::Update, OTHER),
            Visibility::NotFound
        );
        assert_eq!(
            odd.visibility("article", Action::Update, ME),
            Visibility::Allowed
        );
    }

    #[test]
    fn rules_are_indexed_sorted_and_deduplicated() {
        let a = rule(2, "B", "task", AccessFlags::none());
        let b = rule(1, "B", "task", AccessFlags::none());
        let c = rule(9, "A", "task", AccessFlags::none());
        let d = rule(5, "A", "site", AccessFlags::none());
        let s = Subject::new(
            ME,
            false,
            vec![a.clone(), b.clone(), c.clone(), d.clone(), a.clone()],
        );
        assert_eq!(s.rules("task"), &[c, b, a][..]);
        assert_eq!(s.rules("site"), &[d][..]);
        let mut elements: Vec<_> = s.elements().collect();
        elements.sort_unstable();
        assert_eq!(elements, ["site", "task"]);
    }

    // ---- Values and serde -------------------------------------------------------------------

    #[test]
    fn action_parses_and_prints() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
            assert_eq!(action.to_string(), action.as_str());
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
        assert_eq!(
            "write".parse::<Action>(),
            Err(ParseActionError("write".into()))
        );
        assert!(" read".parse::<Action>().is_err());
    }

    #[test]
    fn reason_strings_match_serde() {
        let all = [
            (Reason::Superuser, "superuser"),
            (Reason::RuleAll, "rule_all"),
            (Reason::RuleOwn, "rule_own"),
            (Reason::CreateAllowed, "create_allowed"),
            (Reason::NotOwner, "not_owner"),
            (Reason::FlagOff, "flag_off"),
            (Reason::NoRule, "no_rule"),
        ];
        for (reason, name) in all {
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.to_string(), name);
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                serde_json::json!(name)
            );
            assert_eq!(
                serde_json::from_value::<Reason>(serde_json::json!(name)).unwrap(),
                reason
            );
        }
    }

    #[test]
    fn scope_order_and_names() {
        assert!(Scope::Own < Scope::All);
        assert_eq!(Scope::All.as_str(), "all");
        assert_eq!(Scope::Own.to_string(), "own");
    }

    #[test]
    fn decision_serializes_as_the_authz_check_result() {
        let s = Subject::new(ME, false, vec![user_article(1)]);
        let json = serde_json::to_value(s.decide("article", Action::Read, None)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "allowed": true,
                "scope": "own",
                "reason": "rule_own",
                "matched_rules": [{"rule_id": Uuid::from_u128(1).to_string(), "role": "User"}],
            })
        );
        let json = serde_json::to_value(s.decide("article", Action::Create, None)).unwrap();
        assert_eq!(json["scope"], serde_json::Value::Null);
    }

    #[test]
    fn element_permissions_serialize_with_null_scopes() {
        let json = serde_json::to_value(ElementPermissions::none()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"read": null, "create": false, "update": null, "delete": null})
        );
        let json = serde_json::to_value(ElementPermissions::all()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"read": "all", "create": true, "update": "all", "delete": "all"})
        );
    }

    #[test]
    fn access_rule_serializes_flat_and_missing_flags_default_to_false() {
        let r = user_article(1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["element"], "article");
        assert_eq!(json["can_update_own"], true);
        assert_eq!(json["can_update_all"], false);
        assert_eq!(serde_json::from_value::<AccessRule>(json).unwrap(), r);
        let f: AccessFlags = serde_json::from_str(r#"{"can_create": true}"#).unwrap();
        assert_eq!(f, flags(|f| f.can_create = true));
    }

    #[test]
    fn access_flags_helpers() {
        assert!(AccessFlags::none().is_empty());
        assert!(!AccessFlags::all().is_empty());
        assert_eq!(AccessFlags::default(), AccessFlags::none());
        assert_eq!(AccessFlags::all().normalized(), AccessFlags::all());
        for action in Action::ALL {
            assert_eq!(AccessFlags::none().scope(action), None);
            assert_eq!(AccessFlags::all().scope(action), Some(Scope::All));
            let own = AccessFlags::none().with(action, Scope::Own);
            let expected = if action == Action::Create {
                Scope::All
            } else {
                Scope::Own
            };
            assert_eq!(own.scope(action), Some(expected));
            assert_eq!(
                AccessFlags::none().with(action, Scope::All).scope(action),
                Some(Scope::All)
            );
            // `with` touches only that action.
            for other in Action::ALL.into_iter().filter(|a| *a != action) {
                assert_eq!(own.scope(other), None);
            }
        }
        let a = flags(|f| f.can_read_own = true);
        let b = flags(|f| f.can_delete_all = true);
        assert_eq!(
            a.union(b),
            flags(|f| {
                f.can_read_own = true;
                f.can_delete_all = true;
            })
        );
        assert_eq!(
            b.normalized(),
            flags(|f| {
                f.can_delete_own = true;
                f.can_delete_all = true;
            })
        );
    }

    // ---- Properties -------------------------------------------------------------------------

    const ELEMENTS: [&str; 3] = ["article", "project", "task"];
    const ROLES: [&str; 4] = ["Admin", "Editor", "Guest", "User"];
    /// An element no generated rule ever names.
    const UNKNOWN: &str = "dashboard";

    fn flags_from(bits: [bool; 7]) -> AccessFlags {
        AccessFlags {
            can_read_own: bits[0],
            can_read_all: bits[1],
            can_create: bits[2],
            can_update_own: bits[3],
            can_update_all: bits[4],
            can_delete_own: bits[5],
            can_delete_all: bits[6],
        }
    }

    fn set_bit(f: &mut AccessFlags, bit: usize) {
        match bit {
            0 => f.can_read_own = true,
            1 => f.can_read_all = true,
            2 => f.can_create = true,
            3 => f.can_update_own = true,
            4 => f.can_update_all = true,
            5 => f.can_delete_own = true,
            _ => f.can_delete_all = true,
        }
    }

    /// Rules of up to 4 roles over 3 elements, unique ids, random flags.
    fn rules_strategy() -> impl Strategy<Value = Vec<AccessRule>> {
        prop::collection::vec(
            (
                0..ROLES.len(),
                0..ELEMENTS.len(),
                any::<[bool; 7]>(),
                any::<u16>(),
            ),
            0..10,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (role, element, bits, salt))| AccessRule {
                    // unique, but not in the order of generation
                    id: Uuid::from_u128((u128::from(salt) << 8) | i as u128),
                    role_id: Uuid::from_u128(role as u128 + 1),
                    role: ROLES[role].to_owned(),
                    element: ELEMENTS[element].to_owned(),
                    flags: flags_from(bits),
                })
                .collect()
        })
    }

    fn owners() -> [Option<Uuid>; 3] {
        [None, Some(ME), Some(OTHER)]
    }

    /// Every question, over the generated elements and one without rules.
    fn questions() -> impl Iterator<Item = (&'static str, Action, Option<Uuid>)> {
        ELEMENTS
            .into_iter()
            .chain([UNKNOWN])
            .flat_map(|e| Action::ALL.map(move |a| (e, a)))
            .flat_map(|(e, a)| owners().map(move |o| (e, a, o)))
    }

    fn rank(d: &Decision) -> u8 {
        match (d.allowed, d.scope) {
            (false, _) => 0,
            (true, Some(Scope::Own)) => 1,
            (true, _) => 2,
        }
    }

    /// The contract's evaluation written out naively, straight from the rules.
    fn oracle(
        rules: &[AccessRule],
        element: &str,
        action: Action,
        owner: Option<Uuid>,
    ) -> (bool, Option<Scope>, Reason) {
        let of_element: Vec<&AccessRule> = rules.iter().filter(|r| r.element == element).collect();
        if of_element.is_empty() {
            return (false, None, Reason::NoRule);
        }
        let any = |p: &dyn Fn(&AccessFlags) -> bool| of_element.iter().any(|r| p(&r.flags));
        let (all, own) = match action {
            Action::Create => {
                return if any(&|f| f.can_create) {
                    (true, None, Reason::CreateAllowed)
                } else {
                    (false, None, Reason::FlagOff)
                }
            }
            Action::Read => (
                any(&|f| f.can_read_all),
                any(&|f| f.can_read_own || f.can_read_all),
            ),
            Action::Update => (
                any(&|f| f.can_update_all),
                any(&|f| f.can_update_own || f.can_update_all),
            ),
            Action::Delete => (
                any(&|f| f.can_delete_all),
                any(&|f| f.can_delete_own || f.can_delete_all),
            ),
        };
        if all {
            (true, Some(Scope::All), Reason::RuleAll)
        } else if own && owner.is_none_or(|o| o == ME) {
            (true, Some(Scope::Own), Reason::RuleOwn)
        } else if own {
            (false, None, Reason::NotOwner)
        } else {
            (false, None, Reason::FlagOff)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decide_matches_the_naive_reading_of_the_contract(rules in rules_strategy()) {
            let s = Subject::new(ME, false, rules.clone());
            for (e, a, o) in questions() {
                let d = s.decide(e, a, o);
                prop_assert_eq!((d.allowed, d.scope, d.reason), oracle(&rules, e, a, o));
            }
        }

        #[test]
        fn explanations_are_consistent(rules in rules_strategy()) {
            let s = Subject::new(ME, false, rules);
            for (e, a, o) in questions() {
                let d = s.decide(e, a, o);
                prop_assert_eq!(d.allowed, d.reason.allows());
                prop_assert_eq!(d.allowed, s.allows(e, a, o));
                prop_assert_eq!(d.scope.is_some(), d.allowed && a != Action::Create);
                let of_element = s.rules(e);
                // sorted by role name, then rule id
                let keys: Vec<_> = d.matched_rules.iter().map(|m| (m.role.clone(), m.rule_id)).collect();
                let mut sorted = keys.clone();
                sorted.sort();
                prop_assert_eq!(&keys, &sorted);
                match d.reason {
                    Reason::NoRule | Reason::Superuser => prop_assert!(d.matched_rules.is_empty()),
                    Reason::NotOwner | Reason::FlagOff => {
                        let every: Vec<MatchedRule> = of_element.iter().map(MatchedRule::from).collect();
                        prop_assert_eq!(&d.matched_rules, &every);
                    }
                    Reason::RuleAll | Reason::RuleOwn | Reason::CreateAllowed => {
                        let scope = d.scope.unwrap_or(Scope::All);
                        let granting: Vec<MatchedRule> = of_element
                            .iter()
                            .filter(|r| r.flags.grants(a, scope))
                            .map(MatchedRule::from)
                            .collect();
                        prop_assert!(!granting.is_empty());
                        prop_assert_eq!(&d.matched_rules, &granting);
                    }
                }
            }
        }

        #[test]
        fn adding_a_flag_never_removes_access(
            rules in rules_strategy(),
            pick in any::<prop::sample::Index>(),
            bit in 0usize..7,
            new_rule in (0..ROLES.len(), 0..ELEMENTS.len()),
        ) {
            let before = Subject::new(ME, false, rules.clone());
            let mut more = rules.clone();
            if more.is_empty() {
                more.push(rule(u128::MAX, ROLES[new_rule.0], ELEMENTS[new_rule.1], AccessFlags::none()));
            }
            let i = pick.index(more.len());
            set_bit(&mut more[i].flags, bit);
            // and a whole extra role with that single flag
            let mut extra = AccessFlags::none();
            set_bit(&mut extra, bit);
            let mut with_role = rules;
            with_role.push(rule(u128::MAX - 1, "Zeta", ELEMENTS[new_rule.1], extra));
            for after in [Subject::new(ME, false, more), Subject::new(ME, false, with_role)] {
                for (e, a, o) in questions() {
                    let (b, n) = (before.decide(e, a, o), after.decide(e, a, o));
                    prop_assert!(rank(&n) >= rank(&b), "{e} {a} {o:?}: {b:?} then {n:?}");
                    if o.is_some() {
                        let owner = o.unwrap_or(ME);
                        if before.visibility(e, a, owner) == Visibility::Allowed {
                            prop_assert_eq!(after.visibility(e, a, owner), Visibility::Allowed);
                        }
                    }
                }
                if let Ok(scope) = before.list_scope(ELEMENTS[new_rule.1]) {
                    prop_assert!(after.list_scope(ELEMENTS[new_rule.1]).is_ok_and(|s| s >= scope));
                }
            }
        }

        #[test]
        fn all_flags_grant_whatever_own_flags_grant(rules in rules_strategy()) {
            let widened: Vec<AccessRule> = rules
                .iter()
                .cloned()
                .map(|mut r| {
                    let f = &mut r.flags;
                    f.can_read_all |= std::mem::take(&mut f.can_read_own);
                    f.can_update_all |= std::mem::take(&mut f.can_update_own);
                    f.can_delete_all |= std::mem::take(&mut f.can_delete_own);
                    r
                })
                .collect();
            let own = Subject::new(ME, false, rules);
            let all = Subject::new(ME, false, widened);
            for (e, a, o) in questions() {
                let (d_own, d_all) = (own.decide(e, a, o), all.decide(e, a, o));
                if d_own.allowed {
                    prop_assert!(d_all.allowed);
                    prop_assert!(rank(&d_all) >= rank(&d_own));
                }
                if let Some(owner) = o {
                    if own.visibility(e, a, owner) == Visibility::Allowed {
                        prop_assert_eq!(all.visibility(e, a, owner), Visibility::Allowed);
                    }
                }
            }
        }

        #[test]
        fn order_of_roles_and_rules_does_not_matter(
            (rules, shuffled) in rules_strategy().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))
        ) {
            let a = Subject::new(ME, false, rules);
            let b = Subject::new(ME, false, shuffled);
            for (e, act, o) in questions() {
                prop_assert_eq!(a.decide(e, act, o), b.decide(e, act, o));
                prop_assert_eq!(a.visibility(e, act, o.unwrap_or(OTHER)), b.visibility(e, act, o.unwrap_or(OTHER)));
                prop_assert_eq!(a.rules(e), b.rules(e));
                prop_assert_eq!(a.flags(e), b.flags(e));
                prop_assert_eq!(a.permissions(e), b.permissions(e));
                prop_assert_eq!(a.list_scope(e), b.list_scope(e));
            }
        }

        #[test]
        fn superuser_is_always_allowed(rules in rules_strategy(), user in any::<u128>()) {
            let s = Subject::new(Uuid::from_u128(user), true, rules);
            for (e, a, o) in questions() {
                let d = s.decide(e, a, o);
                prop_assert!(d.allowed);
                prop_assert_eq!(d.scope, (a != Action::Create).then_some(Scope::All));
                prop_assert_eq!(d.reason, Reason::Superuser);
                prop_assert!(d.matched_rules.is_empty());
                prop_assert_eq!(s.visibility(e, a, o.unwrap_or(OTHER)), Visibility::Allowed);
                prop_assert_eq!(s.list_scope(e), Ok(Scope::All));
                prop_assert_eq!(s.permissions(e), ElementPermissions::all());
            }
        }

        #[test]
        fn no_rule_is_always_denied(rules in rules_strategy()) {
            let s = Subject::new(ME, false, rules.clone());
            for (e, a, o) in questions() {
                if rules.iter().any(|r| r.element == e) {
                    continue;
                }
                let d = s.decide(e, a, o);
                prop_assert_eq!(d, Decision::no_rule());
                prop_assert_eq!(s.visibility(e, a, o.unwrap_or(ME)), Visibility::Forbidden);
                prop_assert_eq!(s.flags(e), None);
                prop_assert_eq!(s.permissions(e), ElementPermissions::none());
                prop_assert!(s.list_scope(e).is_err());
            }
        }

        #[test]
        fn visibility_is_consistent_with_decide(rules in rules_strategy()) {
            let s = Subject::new(ME, false, rules);
            for (e, a, o) in questions() {
                let Some(owner) = o else { continue };
                let v = s.visibility(e, a, owner);
                let act = s.decide(e, a, Some(owner));
                let read_it = s.decide(e, Action::Read, Some(owner));
                let read_some = s.decide(e, Action::Read, None);
                if act.reason == Reason::NoRule {
                    prop_assert_eq!(v, Visibility::Forbidden);
                }
                if a == Action::Create {
                    prop_assert_eq!(v == Visibility::Allowed, act.allowed);
                    prop_assert_ne!(v, Visibility::NotFound);
                } else {
                    // allowed ⇔ the object is readable and the action on it is allowed
                    prop_assert_eq!(v == Visibility::Allowed, read_it.allowed && act.allowed);
                    // not found ⇔ some read access, but not to this object
                    prop_assert_eq!(v == Visibility::NotFound, read_some.allowed && !read_it.allowed);
                    if a == Action::Read {
                        prop_assert_eq!(v == Visibility::Allowed, act.allowed);
                    }
                }
                if v == Visibility::Allowed {
                    prop_assert!(act.allowed);
                }
            }
            for e in ELEMENTS.into_iter().chain([UNKNOWN]) {
                let d = s.decide(e, Action::Read, None);
                match s.list_scope(e) {
                    Ok(scope) => prop_assert_eq!((d.allowed, d.scope), (true, Some(scope))),
                    Err(denial) => prop_assert_eq!(denial, d),
                }
                prop_assert_eq!(s.permissions(e), s.flags(e).map_or(ElementPermissions::none(), ElementPermissions::from));
            }
        }
    }
    // ---- API keys: the owner's rules ∩ the key's scopes --------------------------------------

    /// 1 to 6 scopes over the generated elements and one without rules.
    fn scopes_strategy() -> impl Strategy<Value = crate::api_key::KeyScopes> {
        let actions = ["read", "create", "update", "delete", "*"];
        prop::collection::vec((0..=ELEMENTS.len(), 0..actions.len()), 1..6).prop_map(move |raw| {
            let scopes: Vec<String> = raw
                .into_iter()
                .map(|(e, a)| {
                    let element = ELEMENTS.get(e).copied().unwrap_or(UNKNOWN);
                    format!("{element}:{}", actions[a])
                })
                .collect();
            crate::api_key::KeyScopes::parse(scopes).unwrap()
        })
    }

    /// Everything a subject answers about one question, as comparable facts.
    fn grants(s: &Subject, e: &str, a: Action, o: Option<Uuid>) -> [bool; 3] {
        [
            s.allows(e, a, o),
            s.decide(e, a, o).allowed,
            s.visibility(e, a, o.unwrap_or(ME)) == Visibility::Allowed,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_key_has_exactly_its_owners_access_within_its_scopes(
            rules in rules_strategy(), scopes in scopes_strategy(), superuser in any::<bool>()
        ) {
            let owner = Subject::new(ME, superuser, rules);
            let key = owner.clone().limited_to(&scopes);
            prop_assert_eq!(key.is_superuser(), superuser);
            for (e, a, o) in questions() {
                let within = scopes.permits(e, a);
                let (by_key, by_owner) = (grants(&key, e, a, o), grants(&owner, e, a, o));
                for (k, w) in by_key.into_iter().zip(by_owner) {
                    prop_assert!(!k || w, "a key never has more access than its owner");
                }
                prop_assert_eq!(by_key[0], by_owner[0] && within);
                prop_assert_eq!(by_key[1], by_owner[1] && within);
            }
        }

        #[test]
        fn removing_a_scope_or_a_rule_never_adds_access(
            rules in rules_strategy(), scopes in scopes_strategy(), superuser in any::<bool>()
        ) {
            let key = Subject::new(ME, superuser, rules.clone()).limited_to(&scopes);
            let narrower_keys = scopes
                .as_strings()
                .iter()
                .map(|scope| Subject::new(ME, superuser, rules.clone()).limited_to(&scopes.without(scope)))
                .chain((0..rules.len()).map(|i| {
                    let mut fewer = rules.clone();
                    fewer.remove(i);
                    Subject::new(ME, superuser, fewer).limited_to(&scopes)
                }));
            for narrower in narrower_keys {
                for (e, a, o) in questions() {
                    for (n, k) in grants(&narrower, e, a, o).into_iter().zip(grants(&key, e, a, o)) {
                        prop_assert!(!n || k);
                    }
                }
            }
        }
    }
}
