//! Business resources as declarations.
//!
//! A business resource (articles, projects, batches, ...) is a [`ResourceDef`]: its element
//! key, its fields with their validation, which fields can be ordered, searched and filtered
//! on, its parents, what the audit trail keeps of it and its own rules as plain functions.
//! Generic code in the other layers turns one declaration into routes, an OpenAPI
//! description, a guarded use case, SQL and tests; this module holds what is pure about it:
//! the declaration types, the values a record holds ([`Value`], [`Record`]) and the
//! validation of a client's JSON body against the declaration ([`ResourceDef::values_from`]).
//!
//! ```
//! use castellan_domain::resource::{Field, ResourceDef, Value, Write};
//!
//! const NOTES: ResourceDef = ResourceDef::new("note", "notes", "Note", "A note.", &[
//!     Field::text("title", 1, 200).not_blank().orderable().searchable(),
//!     Field::text("body", 0, 5_000).default_text("").searchable(),
//! ]);
//!
//! let body = serde_json::json!({"title": "Hello"});
//! let values = NOTES.values_from(body.as_object().unwrap(), Write::Create, chrono::Utc::now()).unwrap();
//! assert_eq!(values, vec![Value::Text("Hello".into()), Value::Text(String::new())]);
//!
//! let problems = NOTES
//!     .values_from(serde_json::json!({"title": " ", "owner_id": 1}).as_object().unwrap(), Write::Create, chrono::Utc::now())
//!     .unwrap_err();
//! let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
//! assert_eq!(fields, ["owner_id", "title"]);
//! ```

mod field;
mod record;
mod validate;

pub use field::{Field, Kind, Pattern, Presence, Unique, CODE, NOT_BLANK};
pub use record::{Record, Value};
pub use validate::{parse_date, Problem, Write};

/// The columns every resource has besides its declared fields, in this order.
pub const COMMON_COLUMNS: [&str; 5] = ["id", "tenant_id", "owner_id", "created_at", "updated_at"];

/// The common columns a list may be ordered by.
pub const COMMON_ORDERABLE: [&str; 2] = ["created_at", "updated_at"];

/// A resource-specific rule broken by a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A field's value is not acceptable here (400 on that field).
    Field(Problem),
    /// The object's state forbids the change (409), e.g. an invalid status transition.
    Conflict {
        /// What is wrong, for a human.
        message: String,
        /// The field concerned, when there is one.
        field: Option<String>,
    },
}

/// Something a resource's rules need to know about an object's surroundings, declared with
/// the resource and found out by the generic use case before the rules run (so that rules
/// stay plain functions).
#[derive(Debug, Clone, Copy)]
pub enum Fact {
    /// Whether the object has a child in `child()` whose `via` field names it and whose
    /// `field` is `equals` (always false on create).
    HasChild {
        /// The fact's name, for [`Context::fact`].
        name: &'static str,
        /// The child resource (a function, so that parent and child may name each other).
        child: fn() -> &'static ResourceDef,
        /// The child's parent field.
        via: &'static str,
        /// The child's field to compare.
        field: &'static str,
        /// The value it must have.
        equals: &'static str,
    },
}

/// What the use case found out for the rules: the parents a write names (or a delete's
/// object names) and the declared facts.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The parents named by the values after the write (on delete: by the stored object),
    /// by parent field.
    pub parents: Vec<(&'static str, Record)>,
    /// On update, the parents the object named before the write, by parent field.
    pub former_parents: Vec<(&'static str, Record)>,
    /// The declared [`Fact`]s, by name.
    pub facts: Vec<(&'static str, bool)>,
}

fn parent_value<'a>(
    parents: &'a [(&'static str, Record)],
    def: &ResourceDef,
    field: &str,
    parent_field: &str,
) -> Option<&'a Value> {
    let Kind::Parent(parent_def) = def.field(field)?.kind else {
        return None;
    };
    let (_, record) = parents.iter().find(|(name, _)| *name == field)?;
    record.value(parent_def, parent_field)
}

impl Context {
    /// Whether the fact called `name` holds (false when it was not found out).
    pub fn fact(&self, name: &str) -> bool {
        self.facts.iter().any(|(n, holds)| *n == name && *holds)
    }
}

/// A write a rule is asked about: the object before (none on create), its field values
/// after, and what the use case found out around it.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The resource.
    pub def: &'static ResourceDef,
    /// The stored object (`None` on create).
    pub before: Option<&'a Record>,
    /// The field values to be written, in declaration order.
    pub after: &'a [Value],
    /// Parents and facts.
    pub context: &'a Context,
}

impl Change<'_> {
    /// The value `field` will have after the write.
    pub fn after(&self, field: &str) -> Option<&Value> {
        self.def.index_of(field).and_then(|i| self.after.get(i))
    }

    /// The value `field` had before the write (`None` on create).
    pub fn before(&self, field: &str) -> Option<&Value> {
        self.before.and_then(|record| record.value(self.def, field))
    }

    /// Whether the write sets `field` to a new value (always, on create).
    pub fn changes(&self, field: &str) -> bool {
        self.before.is_none() || self.before(field) != self.after(field)
    }

    /// `parent_field` of the parent that `field` names after the write.
    pub fn parent_value(&self, field: &str, parent_field: &str) -> Option<&Value> {
        parent_value(&self.context.parents, self.def, field, parent_field)
    }

    /// `parent_field` of the parent that `field` named before the write (`None` on create).
    pub fn former_parent_value(&self, field: &str, parent_field: &str) -> Option<&Value> {
        parent_value(&self.context.former_parents, self.def, field, parent_field)
    }
}

/// A delete a rule is asked about: the stored object and what the use case found out
/// around it.
#[derive(Debug, Clone, Copy)]
pub struct Removal<'a> {
    /// The resource.
    pub def: &'static ResourceDef,
    /// The object to delete.
    pub record: &'a Record,
    /// Parents and facts.
    pub context: &'a Context,
}

impl Removal<'_> {
    /// `parent_field` of the parent that `field` of the object names.
    pub fn parent_value(&self, field: &str, parent_field: &str) -> Option<&Value> {
        parent_value(&self.context.parents, self.def, field, parent_field)
    }
}

/// A rule checked on every write: `Err` refuses it.
pub type WriteRule = fn(&Change<'_>) -> Result<(), Violation>;

/// A rule checked before a delete: `Err` refuses it.
pub type DeleteRule = fn(&Removal<'_>) -> Result<(), Violation>;

/// A resource's own rules, plain functions the generic use case calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules {
    /// Checked on every create, replace and patch, after the fields are valid.
    pub on_write: Option<WriteRule>,
    /// Checked before a delete.
    pub on_delete: Option<DeleteRule>,
}

/// A business resource, declared.
#[derive(Debug, Clone, Copy)]
pub struct ResourceDef {
    /// The business element guarding it (`article`): its access rules, audit `target_type`
    /// and action prefix (`article.create`).
    pub element: &'static str,
    /// The URL segment and SQL table (`articles`).
    pub plural: &'static str,
    /// The singular name in documents (`Article`).
    pub name: &'static str,
    /// What it is, for the API documentation.
    pub about: &'static str,
    /// Its fields besides [`COMMON_COLUMNS`], in order.
    pub fields: &'static [Field],
    /// `?ordering=` when none is given (e.g. `-created_at`).
    pub default_ordering: &'static str,
    /// Fields the audit trail's before/after snapshot leaves out (large or derived ones);
    /// `owner_id` and `tenant_id` are always in it.
    pub unaudited: &'static [&'static str],
    /// Resource-specific rules.
    pub rules: Rules,
    /// What the rules need to know beyond the object and its parents.
    pub facts: &'static [Fact],
}

impl ResourceDef {
    /// A resource with `fields`, ordered newest first by default, everything audited, no
    /// rules of its own.
    pub const fn new(
        element: &'static str,
        plural: &'static str,
        name: &'static str,
        about: &'static str,
        fields: &'static [Field],
    ) -> Self {
        Self {
            element,
            plural,
            name,
            about,
            fields,
            default_ordering: "-created_at",
            unaudited: &[],
            rules: Rules {
                on_write: None,
                on_delete: None,
            },
            facts: &[],
        }
    }

    /// The same resource with `facts` found out for its rules.
    pub const fn with_facts(mut self, facts: &'static [Fact]) -> Self {
        self.facts = facts;
        self
    }

    /// The same resource with `rules`.
    pub const fn with_rules(mut self, rules: Rules) -> Self {
        self.rules = rules;
        self
    }

    /// The position of `field` among [`Self::fields`].
    pub fn index_of(&self, field: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == field)
    }

    /// The declared field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Columns `?ordering=` accepts: `created_at`, `updated_at` and the orderable fields.
    ///
    /// ```
    /// # use castellan_domain::resources::ARTICLES;
    /// assert_eq!(ARTICLES.orderable(), ["created_at", "updated_at", "title"]);
    /// ```
    pub fn orderable(&self) -> Vec<&'static str> {
        COMMON_ORDERABLE
            .into_iter()
            .chain(self.fields.iter().filter(|f| f.orderable).map(|f| f.name))
            .collect()
    }

    /// Fields `?search=` looks in.
    pub fn searchable(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.searchable)
    }

    /// Fields with an exact `?<field>=` filter (besides `owner_id`).
    pub fn filterable(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.filterable)
    }

    /// Fields that reference a user of the tenant.
    pub fn user_references(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| matches!(f.kind, Kind::User))
    }

    /// Fields that reference a parent resource, with the parent.
    pub fn parents(&self) -> impl Iterator<Item = (&'static Field, &'static ResourceDef)> {
        self.fields.iter().filter_map(|f| match f.kind {
            Kind::Parent(parent) => Some((f, parent)),
            _ => None,
        })
    }

    /// Runs the resource's write rule, if it has one.
    pub fn check_write(&self, change: &Change<'_>) -> Result<(), Violation> {
        self.rules.on_write.map_or(Ok(()), |rule| rule(change))
    }

    /// Runs the resource's delete rule, if it has one.
    pub fn check_delete(&self, removal: &Removal<'_>) -> Result<(), Violation> {
        self.rules.on_delete.map_or(Ok(()), |rule| rule(removal))
    }

    /// Fields unique within a scope, with the scope.
    pub fn unique_fields(&self) -> impl Iterator<Item = (&'static Field, Unique)> {
        self.fields.iter().filter_map(|f| f.unique.map(|u| (f, u)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ALL;

    #[test]
    fn registered_resources_are_consistent() {
        for def in ALL {
            let mut names: Vec<&str> = def.fields.iter().map(|f| f.name).collect();
            names.extend(COMMON_COLUMNS);
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{}: duplicate field names", def.element);
            let default = def.default_ordering.trim_start_matches('-');
            assert!(def.orderable().contains(&default), "{}", def.element);
            for field in def.unaudited {
                assert!(def.field(field).is_some(), "{}: {field}", def.element);
            }
            for field in def.fields {
                if let Kind::Enum(values) = field.kind {
                    assert!(!values.is_empty(), "{}.{}", def.element, field.name);
                }
            }
        }
        let mut elements: Vec<&str> = ALL.iter().map(|d| d.element).collect();
        elements.sort_unstable();
        elements.dedup();
        assert_eq!(elements.len(), ALL.len(), "an element declared twice");
    }

    fn no_closed_items(change: &Change<'_>) -> Result<(), Violation> {
        match (change.before.map(|b| &b.values[0]), change.after("status")) {
            (Some(Value::Text(before)), Some(Value::Text(after)))
                if before == "closed" && after != "closed" =>
            {
                Err(Violation::Conflict {
                    message: "a closed item stays closed".into(),
                    field: Some("status".into()),
                })
            }
            _ => Ok(()),
        }
    }

    const ITEMS: ResourceDef = ResourceDef::new(
        "item",
        "items",
        "Item",
        "Test items.",
        &[Field::one_of("status", &["open", "closed"]).default_text("open")],
    )
    .with_rules(Rules {
        on_write: Some(no_closed_items),
        on_delete: None,
    });

    #[test]
    fn rules_see_the_object_before_and_the_values_after() {
        let now = chrono::Utc::now();
        let closed = Record {
            id: uuid::Uuid::now_v7(),
            tenant_id: uuid::Uuid::now_v7(),
            owner_id: uuid::Uuid::now_v7(),
            created_at: now,
            updated_at: now,
            values: vec![Value::Text("closed".into())],
        };
        let reopen = [Value::Text("open".into())];
        let context = Context::default();
        let change = Change {
            def: &ITEMS,
            before: Some(&closed),
            after: &reopen,
            context: &context,
        };
        assert!(matches!(
            ITEMS.check_write(&change),
            Err(Violation::Conflict { .. })
        ));
        let create = Change {
            def: &ITEMS,
            before: None,
            after: &reopen,
            context: &context,
        };
        assert_eq!(ITEMS.check_write(&create), Ok(()));
        let removal = Removal {
            def: &ITEMS,
            record: &closed,
            context: &context,
        };
        assert_eq!(ITEMS.check_delete(&removal), Ok(()));
    }
}
