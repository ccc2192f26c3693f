//! The audit trail's rules: what an entry holds, which field names are secrets, how a
//! change is reduced to a before/after diff, and how entries are chained by hash so that
//! any edit, insertion or removal is detectable.
//!
//! Each tenant has its own chain (entries without a tenant form one more): entry `n` has
//! `seq = n` and `hash = SHA-256(prev_hash ‖ canonical(entry))`, where `prev_hash` is the
//! previous entry's hash ([`GENESIS_HASH`] for the first) and the canonical form is the
//! entry's JSON with sorted keys and no whitespace ([`Entry::canonical`]).
//!
//! ```
//! use castellan_domain::audit::{Actor, ChainVerifier, Event, GENESIS_HASH};
//! use chrono::Utc;
//! use uuid::Uuid;
//!
//! let tenant = Some(Uuid::now_v7());
//! let first = Event::new("article.create", Actor::system(), tenant, Utc::now())
//!     .target("article", Uuid::now_v7())
//!     .seal(1, GENESIS_HASH);
//! let second = Event::new("article.delete", Actor::system(), tenant, Utc::now())
//!     .seal(2, &first.hash);
//!
//! let mut verifier = ChainVerifier::default();
//! assert!(verifier.check(&first) && verifier.check(&second));
//! assert!(verifier.finish().valid);
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use uuid::Uuid;

/// The `prev_hash` of the first entry of every chain: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What written in place of a secret's value.
pub const MASK: &str = "***";

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorType {
    /// A signed-in user.
    User,
    /// A machine using an API key.
    ApiKey,
    /// Castellan itself (CLI commands, seeds, background jobs).
    System,
    /// Nobody identified (a failed login, a public route).
    Anonymous,
}

impl ActorType {
    /// The wire name: `user`, `api_key`, `system`, `anonymous`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::User => "user",
            ActorType::ApiKey => "api_key",
            ActorType::System => "system",
            ActorType::Anonymous => "anonymous",
        }
    }

    /// The actor type of a wire name.
    ///
    /// ```
    /// use castellan_domain::audit::ActorType;
    /// assert_eq!(ActorType::parse("api_key"), Some(ActorType::ApiKey));
    /// assert_eq!(ActorType::parse("robot"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        [
            ActorType::User,
            ActorType::ApiKey,
            ActorType::System,
            ActorType::Anonymous,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It was attempted and failed (a wrong password).
    Failure,
    /// Access control refused it (a 403).
    Denied,
}

impl Outcome {
    /// The wire name: `success`, `failure`, `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    /// The outcome of a wire name.
    ///
    /// ```
    /// use castellan_domain::audit::Outcome;
    /// assert_eq!(Outcome::parse("denied"), Some(Outcome::Denied));
    /// assert_eq!(Outcome::parse("maybe"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Self> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// Who acted: a kind, and the id of the user or key when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The kind of actor.
    pub kind: ActorType,
    /// The user's or API key's id.
    pub id: Option<Uuid>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(id: Uuid) -> Self {
        Self {
            kind: ActorType::User,
            id: Some(id),
        }
    }

    /// A machine using the API key `id`.
    pub fn api_key(id: Uuid) -> Self {
        Self {
            kind: ActorType::ApiKey,
            id: Some(id),
        }
    }

    /// Castellan itself.
    pub fn system() -> Self {
        Self {
            kind: ActorType::System,
            id: None,
        }
    }

    /// Nobody identified.
    pub fn anonymous() -> Self {
        Self {
            kind: ActorType::Anonymous,
            id: None,
        }
    }
}

/// Is a field of this name a secret whose value must never be recorded? True when a
/// `_`-separated part of the name is `password`, `secret`, `token`, `hash` or `key`,
/// unless the name ends in `_id`, `_prefix`, `_type` or `_version`. Dotted names are
/// judged part by part.
///
/// ```
/// use castellan_domain::audit::is_secret_name;
/// for secret in ["password", "password_hash", "refresh_token", "api_key", "admin.password"] {
///     assert!(is_secret_name(secret), "{secret}");
/// }
/// for plain in ["api_key_id", "key_prefix", "token_type", "key_version", "email", "keyboard"] {
///     assert!(!is_secret_name(plain), "{plain}");
/// }
/// ```
pub fn is_secret_name(name: &str) -> bool {
    name.split('.').any(is_secret_segment)
}

fn is_secret_segment(name: &str) -> bool {
    const SECRET_PARTS: [&str; 5] = ["password", "secret", "token", "hash", "key"];
    const PLAIN_SUFFIXES: [&str; 4] = ["_id", "_prefix", "_type", "_version"];
    let lower = name.to_ascii_lowercase();
    if PLAIN_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix)) {
        return false;
    }
    lower.split('_').any(|part| SECRET_PARTS.contains(&part))
}

/// `value` with the value of every secret-named key, at any depth, replaced by `"***"`.
///
/// ```
/// use castellan_domain::audit::mask;
/// use serde_json::json;
///
/// let masked = mask(json!({"email": "a@b.c", "admin": {"password": "hunter2"}}));
/// assert_eq!(masked, json!({"email": "a@b.c", "admin": {"password": "***"}}));
/// ```
pub fn mask(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| match is_secret_name(&name) {
                    true => (name, Value::String(MASK.into())),
                    false => (name, mask(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(mask).collect()),
        other => other,
    }
}

/// One field's value before and after a change.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    /// The old value (`null` when the object was created).
    pub before: Value,
    /// The new value (`null` when the object was deleted).
    pub after: Value,
}

/// The fields a change touched, by name.
pub type Changes = BTreeMap<String, FieldChange>;

/// The fields whose value differs between two JSON objects, with secrets masked;
/// `updated_at` never counts. A field missing on one side is `null` there, so a creation
/// is `diff(&json!({}), &new)` and a deletion `diff(&old, &json!({}))`.
///
/// ```
/// use castellan_domain::audit::diff;
/// use serde_json::json;
///
/// let changes = diff(
///     &json!({"title": "Old", "content": "same", "updated_at": 1, "password_hash": "a"}),
///     &json!({"title": "New", "content": "same", "updated_at": 2, "password_hash": "b"}),
/// );
/// assert_eq!(changes.keys().collect::<Vec<_>>(), ["password_hash", "title"]);
/// assert_eq!(changes["title"].before, json!("Old"));
/// assert_eq!(changes["password_hash"].after, json!("***"));
/// ```
pub fn diff(before: &Value, after: &Value) -> Changes {
    let empty = Map::new();
    let old = before.as_object().unwrap_or(&empty);
    let new = after.as_object().unwrap_or(&empty);
    let mut changes = Changes::new();
    for name in old.keys().chain(new.keys()) {
        if name == "updated_at" || changes.contains_key(name) {
            continue;
        }
        let was = old.get(name).unwrap_or(&Value::Null);
        let is = new.get(name).unwrap_or(&Value::Null);
        if was == is {
            continue;
        }
        let change = match is_secret_name(name) {
            true => FieldChange {
                before: masked_unless_null(was),
                after: masked_unless_null(is),
            },
            false => FieldChange {
                before: mask(was.clone()),
                after: mask(is.clone()),
            },
        };
        changes.insert(name.clone(), change);
    }
    changes
}

fn masked_unless_null(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        _ => Value::String(MASK.into()),
    }
}

/// `changes` as JSON: `{"<field>": {"before": .., "after": ..}}`.
pub fn changes_to_json(changes: &Changes) -> Value {
    Value::Object(
        changes
            .iter()
            .map(|(name, change)| {
                let pair = serde_json::json!({"before": change.before, "after": change.after});
                (name.clone(), pair)
            })
            .collect(),
    )
}

/// The changes [`changes_to_json`] wrote (anything else in `value` is ignored).
///
/// ```
/// use castellan_domain::audit::{changes_from_json, changes_to_json, diff};
/// use serde_json::json;
///
/// let changes = diff(&json!({"title": "a"}), &json!({"title": "b"}));
/// assert_eq!(changes_from_json(&changes_to_json(&changes)), changes);
/// ```
pub fn changes_from_json(value: &Value) -> Changes {
    let Some(fields) = value.as_object() else {
        return Changes::new();
    };
    fields
        .iter()
        .map(|(name, pair)| {
            let side = |key: &str| pair.get(key).cloned().unwrap_or(Value::Null);
            let change = FieldChange {
                before: side("before"),
                after: side("after"),
            };
            (name.clone(), change)
        })
        .collect()
}

/// `value` as canonical JSON: object keys sorted at every level, no whitespace.
///
/// ```
/// use castellan_domain::audit::canonical_json;
/// use serde_json::json;
/// assert_eq!(canonical_json(&json!({"b": [1, {"d": 1, "c": 2}], "a": null})), r#"{"a":null,"b":[1,{"c":2,"d":1}]}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// Something that happened, before it is placed in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The entry's id.
    pub id: Uuid,
    /// When (whole microseconds, as databases keep it).
    pub occurred_at: DateTime<Utc>,
    /// The tenant whose chain it joins; `None` for events outside any tenant.
    pub tenant_id: Option<Uuid>,
    /// Who acted.
    pub actor: Actor,
    /// `<element or area>.<verb>`, e.g. `article.update`.
    pub action: String,
    /// The element key of the target (`user`, `session`, `article`, ...).
    pub target_type: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The fields that changed (secrets masked).
    pub changes: Changes,
    /// Anything else worth keeping (secrets masked).
    pub metadata: Map<String, Value>,
}

impl Event {
    /// A successful `action` by `actor` in `tenant` at `at` (truncated to microseconds).
    pub fn new(
        action: impl Into<String>,
        actor: Actor,
        tenant: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: truncate_to_micros(at),
            tenant_id: tenant,
            actor,
            action: action.into(),
            target_type: None,
            target_id: None,
            outcome: Outcome::Success,
            request_id: None,
            ip: None,
            user_agent: None,
            changes: Changes::new(),
            metadata: Map::new(),
        }
    }

    /// Names the target.
    pub fn target(mut self, kind: impl Into<String>, id: impl ToString) -> Self {
        self.target_type = Some(kind.into());
        self.target_id = Some(id.to_string());
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Sets the changed fields.
    pub fn changes(mut self, changes: Changes) -> Self {
        self.changes = changes;
        self
    }

    /// Adds one metadata value (masked when `name` is a secret's).
    pub fn meta(mut self, name: &str, value: impl Into<Value>) -> Self {
        let value = match is_secret_name(name) {
            true => Value::String(MASK.into()),
            false => mask(value.into()),
        };
        self.metadata.insert(name.to_string(), value);
        self
    }

    /// The request it came from: its id, the client's address and user agent.
    pub fn request(
        mut self,
        request_id: Option<String>,
        ip: Option<String>,
        user_agent: Option<String>,
    ) -> Self {
        self.request_id = request_id;
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// The entry this event becomes as number `seq` of its chain, after `prev_hash`.
    pub fn seal(self, seq: i64, prev_hash: &str) -> Entry {
        let mut entry = Entry {
            event: self,
            seq,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        entry.hash = entry.expected_hash();
        entry
    }

    /// The canonical form of the entry this event becomes, with its `seq` left open, so
    /// that a store which numbers entries under its chain lock can seal them there
    /// (PostgreSQL does, in the statement that appends).
    ///
    /// ```
    /// use castellan_domain::audit::{Actor, Event, GENESIS_HASH};
    /// use chrono::Utc;
    ///
    /// let event = Event::new("auth.refresh", Actor::system(), None, Utc::now()).meta("seq", 7);
    /// let open = event.open_canonical();
    /// let entry = event.seal(12, GENESIS_HASH);
    /// assert_eq!(format!("{}12{}", open.before_seq, open.after_seq), entry.canonical());
    /// assert_eq!(open.hash(12, GENESIS_HASH), entry.hash);
    /// ```
    pub fn open_canonical(&self) -> OpenCanonical {
        // Rendered at seq 0 and 1: the one byte where they differ is the seq's digit.
        let at = |seq| {
            Entry {
                event: self.clone(),
                seq,
                prev_hash: String::new(),
                hash: String::new(),
            }
            .canonical()
        };
        let (zero, one) = (at(0), at(1));
        let digit = zero
            .bytes()
            .zip(one.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(zero.len());
        OpenCanonical {
            before_seq: zero.get(..digit).unwrap_or_default().to_string(),
            after_seq: zero.get(digit + 1..).unwrap_or_default().to_string(),
        }
    }
}

/// An entry's canonical form around its `seq` ([`Event::open_canonical`]): the entry at
/// `seq` after `prev_hash` hashes as `SHA-256(prev_hash ‖ before_seq ‖ seq ‖ after_seq)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCanonical {
    /// The canonical JSON up to the seq's digits.
    pub before_seq: String,
    /// The canonical JSON after the seq's digits.
    pub after_seq: String,
}

impl OpenCanonical {
    /// The hash of the entry at `seq` after `prev_hash`: what [`Event::seal`] computes.
    pub fn hash(&self, seq: i64, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(self.before_seq.as_bytes());
        hasher.update(seq.to_string().as_bytes());
        hasher.update(self.after_seq.as_bytes());
        hex(&hasher.finalize())
    }
}

/// `bytes` as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// `at` without its sub-microsecond part.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// An event placed in its chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// What happened.
    pub event: Event,
    /// Its position in the tenant's chain, from 1, without gaps.
    pub seq: i64,
    /// The previous entry's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// `SHA-256(prev_hash ‖ canonical)`, lowercase hex.
    pub hash: String,
}

impl Entry {
    /// The entry as JSON: the wire form minus `prev_hash` and `hash`.
    pub fn to_json(&self) -> Value {
        let e = &self.event;
        serde_json::json!({
            "id": e.id,
            "seq": self.seq,
            "occurred_at": e.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "tenant_id": e.tenant_id,
            "actor_type": e.actor.kind.as_str(),
            "actor_id": e.actor.id,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "outcome": e.outcome.as_str(),
            "request_id": e.request_id,
            "ip": e.ip,
            "user_agent": e.user_agent,
            "changes": changes_to_json(&e.changes),
            "metadata": e.metadata,
        })
    }

    /// The bytes that are hashed: [`Entry::to_json`] with keys sorted at every level and
    /// no whitespace, so that any implementation can recompute the hash.
    pub fn canonical(&self) -> String {
        canonical_json(&self.to_json())
    }

    /// What `hash` must be given `prev_hash` and the content.
    pub fn expected_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(self.canonical().as_bytes());
        hex(&hasher.finalize())
    }
}

/// JSON with object keys sorted and no whitespace.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push('{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                if let Some(field) = fields.get(name) {
                    write_canonical(field, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The result of checking a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// No entry was altered, inserted or removed.
    pub valid: bool,
    /// How many entries were checked (up to the first bad one).
    pub checked: u64,
    /// The first `seq` that does not hold: a changed entry, or the number of a missing one.
    pub first_invalid_seq: Option<i64>,
}

/// Checks one chain entry by entry, in `seq` order, without holding it in memory.
///
/// ```
/// use castellan_domain::audit::{Actor, ChainVerifier, Event, GENESIS_HASH};
/// use chrono::Utc;
///
/// let mut entry = Event::new("auth.login", Actor::anonymous(), None, Utc::now()).seal(1, GENESIS_HASH);
/// entry.event.action = "auth.logout".into(); // tampered
/// let mut verifier = ChainVerifier::default();
/// assert!(!verifier.check(&entry));
/// let report = verifier.finish();
/// assert_eq!((report.valid, report.first_invalid_seq), (false, Some(1)));
/// ```
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    last_hash: String,
    checked: u64,
    first_invalid_seq: Option<i64>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            last_hash: GENESIS_HASH.to_string(),
            checked: 0,
            first_invalid_seq: None,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry; false once the chain is broken (later entries are ignored).
    pub fn check(&mut self, entry: &Entry) -> bool {
        if self.first_invalid_seq.is_some() {
            return false;
        }
        self.checked += 1;
        if entry.seq != self.next_seq {
            // A removed entry leaves a gap; an inserted one repeats or skips a number.
            self.first_invalid_seq = Some(self.next_seq.min(entry.seq));
            return false;
        }
        if entry.prev_hash != self.last_hash || entry.hash != entry.expected_hash() {
            self.first_invalid_seq = Some(entry.seq);
            return false;
        }
        self.next_seq += 1;
        self.last_hash.clone_from(&entry.hash);
        true
    }

    /// Whether the chain checked so far ends where its recorded head says it does (`seq`
    /// and hash of the last entry written): a removed tail is caught here.
    pub fn check_head(&mut self, head_seq: i64, head_hash: &str) -> bool {
        if self.first_invalid_seq.is_some() {
            return false;
        }
        let last_seq = self.next_seq - 1;
        if last_seq != head_seq || (head_seq > 0 && self.last_hash != head_hash) {
            self.first_invalid_seq = Some(last_seq.min(head_seq) + 1);
            return false;
        }
        true
    }

    /// The verdict.
    pub fn finish(&self) -> Verification {
        Verification {
            valid: self.first_invalid_seq.is_none(),
            checked: self.checked,
            first_invalid_seq: self.first_invalid_seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: i64) -> Vec<Entry> {
        let tenant = Some(Uuid::now_v7());
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let entry = Event::new("article.update", Actor::system(), tenant, Utc::now())
                    .target("article", seq)
                    .changes(diff(&json!({"title": "a"}), &json!({"title": seq})))
                    .seal(seq, &prev);
                prev.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Verification {
        let mut verifier = ChainVerifier::default();
        for entry in entries {
            verifier.check(entry);
        }
        verifier.finish()
    }

    #[test]
    fn an_untouched_chain_is_valid() {
        let report = verify(&chain(5));
        assert_eq!((report.valid, report.checked), (true, 5));
    }

    #[test]
    fn an_edited_entry_is_the_first_invalid() {
        let mut entries = chain(5);
        entries[2].event.outcome = Outcome::Failure;
        let report = verify(&entries);
        assert_eq!(report.first_invalid_seq, Some(3));
        assert_eq!(report.checked, 3);
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[1].event.action = "article.delete".into();
        entries[1].hash = entries[1].expected_hash();
        assert_eq!(verify(&entries).first_invalid_seq, Some(3));
    }

    #[test]
    fn a_removed_entry_is_reported_by_its_number() {
        let mut entries = chain(5);
        entries.remove(3);
        assert_eq!(verify(&entries).first_invalid_seq, Some(4));
    }

    #[test]
    fn a_removed_tail_is_caught_by_the_head() {
        let entries = chain(5);
        let mut verifier = ChainVerifier::default();
        for entry in &entries[..3] {
            verifier.check(entry);
        }
        assert!(!verifier.check_head(5, &entries[4].hash));
        assert_eq!(verifier.finish().first_invalid_seq, Some(4));
    }

    #[test]
    fn canonical_form_sorts_keys_and_survives_a_round_trip() {
        let entry = &chain(1)[0];
        let canonical = entry.canonical();
        assert!(canonical.starts_with("{\"action\":\"article.update\",\"actor_id\":null"));
        let reparsed: Value = serde_json::from_str(&canonical).unwrap();
        assert_eq!(reparsed, entry.to_json());
    }

    #[test]
    fn metadata_secrets_are_masked() {
        let event = Event::new("auth.login", Actor::anonymous(), None, Utc::now())
            .meta("email", "a@b.c")
            .meta("refresh_token", "abc")
            .meta("request", json!({"password": "x", "token_type": "Bearer"}));
        assert_eq!(event.metadata["refresh_token"], json!("***"));
        assert_eq!(
            event.metadata["request"],
            json!({"password": "***", "token_type": "Bearer"})
        );
    }

    #[test]
    fn diff_of_a_secret_set_from_nothing_keeps_the_null() {
        let changes = diff(&json!({}), &json!({"password_hash": "x", "email": "a"}));
        assert_eq!(changes["password_hash"].before, Value::Null);
        assert_eq!(changes["password_hash"].after, json!("***"));
        assert_eq!(changes["email"].after, json!("a"));
    }

    proptest::proptest! {
        #[test]
        fn an_open_canonical_hashes_as_its_sealed_entry(
            seq in 1_i64..i64::MAX,
            action in "\\PC{0,16}",
            meta in proptest::collection::btree_map("\\PC{0,8}", "\\PC{0,8}", 0..4),
            prev in "[0-9a-f]{64}",
        ) {
            let mut event = Event::new(&action, Actor::system(), Some(Uuid::now_v7()), Utc::now())
                .changes(diff(&json!({"seq": 0}), &json!({"seq": seq})));
            for (name, value) in meta {
                event = event.meta(&name, value);
            }
            let open = event.open_canonical();
            let entry = event.seal(seq, &prev);
            proptest::prop_assert_eq!(format!("{}{seq}{}", open.before_seq, open.after_seq), entry.canonical());
            proptest::prop_assert_eq!(open.hash(seq, &prev), entry.hash);
        }
    }
}
