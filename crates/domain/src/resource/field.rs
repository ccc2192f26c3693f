//! One declared field: its kind, constraints, default and what lists may do with it.

use super::ResourceDef;

/// A text constraint beyond length: a regular expression (for documents, ECMA-262 as OpenAPI
/// uses it) and the check that enforces it.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    /// The regular expression, as published in the OpenAPI document.
    pub regex: &'static str,
    /// What it requires, for error messages ("must ...").
    pub requirement: &'static str,
    /// Whether a value satisfies it.
    pub check: fn(&str) -> bool,
}

/// Not empty or only whitespace.
///
/// ```
/// use castellan_domain::resource::NOT_BLANK;
/// assert!((NOT_BLANK.check)(" a "));
/// assert!(!(NOT_BLANK.check)("  "));
/// ```
pub const NOT_BLANK: Pattern = Pattern {
    regex: r"\S",
    requirement: "must not be blank",
    check: |s| s.chars().any(|c| !is_ecma_space(c)),
};

/// Whitespace as ECMAScript's `\s` (which OpenAPI patterns use) sees it: Unicode
/// `White_Space` but U+0085, plus U+FEFF.
fn is_ecma_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// A code: letters, digits, `.`, `_` and `-` only.
///
/// ```
/// use castellan_domain::resource::CODE;
/// assert!((CODE.check)("LOT-2026.01_a"));
/// assert!(!(CODE.check)("lot 1"));
/// ```
pub const CODE: Pattern = Pattern {
    regex: r"^[A-Za-z0-9._-]+$",
    requirement: "must use only letters, digits, '.', '_' and '-'",
    check: |s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    },
};

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text of `min..=max` characters, optionally matching a pattern.
    Text {
        /// Fewest characters.
        min: u32,
        /// Most characters.
        max: u32,
        /// A further constraint.
        pattern: Option<Pattern>,
    },
    /// One of these values.
    Enum(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A point in time, RFC 3339.
    Timestamp,
    /// The id of an object of a parent resource: it must be visible to the caller (else 400
    /// on the field), and a parent with children cannot be deleted (409).
    Parent(&'static ResourceDef),
    /// The id of an active user of the object's tenant (else 400 on the field).
    User,
}

/// Whether a field must be given, and what it is when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Required on create and replace.
    Required,
    /// This text when absent on create and replace (an enum's value, or free text).
    DefaultText(&'static str),
    /// This boolean when absent on create and replace.
    DefaultBool(bool),
    /// The time of the write when absent on create and replace.
    DefaultNow,
    /// `null` when absent on create and replace; `null` may also be sent.
    Optional,
}

/// Where a field's value must be unique (the database enforces it; a taken value is 409 on
/// the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// Among the tenant's objects.
    PerTenant,
    /// Among the objects with the same value of this (parent) field.
    Within(&'static str),
}

/// A declared field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name, in bodies, responses, query parameters and the SQL column.
    pub name: &'static str,
    /// What it is, for the API documentation.
    pub about: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be given.
    pub presence: Presence,
    /// `?ordering=` may name it.
    pub orderable: bool,
    /// `?search=` looks in it.
    pub searchable: bool,
    /// `?<name>=` filters on it exactly.
    pub filterable: bool,
    /// Unique within a scope.
    pub unique: Option<Unique>,
}

impl Field {
    const fn new(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            about: "",
            kind,
            presence: Presence::Required,
            orderable: false,
            searchable: false,
            filterable: false,
            unique: None,
        }
    }

    /// Unique among the tenant's objects (the migration's constraint must be named
    /// `<table>_<field>_key`).
    pub const fn unique_per_tenant(mut self) -> Self {
        self.unique = Some(Unique::PerTenant);
        self
    }

    /// Unique among the objects with the same `scope` (the migration's constraint must be
    /// named `<table>_<field>_key`).
    pub const fn unique_within(mut self, scope: &'static str) -> Self {
        self.unique = Some(Unique::Within(scope));
        self
    }

    /// Required text of `min..=max` characters.
    pub const fn text(name: &'static str, min: u32, max: u32) -> Self {
        Self::new(
            name,
            Kind::Text {
                min,
                max,
                pattern: None,
            },
        )
    }

    /// A required code: 1–`max` characters of [`CODE`].
    pub const fn code(name: &'static str, max: u32) -> Self {
        Self::new(
            name,
            Kind::Text {
                min: 1,
                max,
                pattern: Some(CODE),
            },
        )
    }

    /// A required choice among `values` (filterable, as every enum of the contract).
    pub const fn one_of(name: &'static str, values: &'static [&'static str]) -> Self {
        Self::new(name, Kind::Enum(values)).filterable()
    }

    /// A required boolean.
    pub const fn boolean(name: &'static str) -> Self {
        Self::new(name, Kind::Bool)
    }

    /// A required date.
    pub const fn date(name: &'static str) -> Self {
        Self::new(name, Kind::Date)
    }

    /// A required point in time.
    pub const fn timestamp(name: &'static str) -> Self {
        Self::new(name, Kind::Timestamp)
    }

    /// A required reference to an object of `parent` (filterable, as every foreign key of
    /// the contract).
    pub const fn parent(name: &'static str, parent: &'static ResourceDef) -> Self {
        Self::new(name, Kind::Parent(parent)).filterable()
    }

    /// A required reference to an active user of the tenant (filterable).
    pub const fn user(name: &'static str) -> Self {
        Self::new(name, Kind::User).filterable()
    }

    /// Text must also match `pattern`.
    pub const fn pattern(mut self, pattern: Pattern) -> Self {
        if let Kind::Text { min, max, .. } = self.kind {
            self.kind = Kind::Text {
                min,
                max,
                pattern: Some(pattern),
            };
        }
        self
    }

    /// Text must not be blank ([`NOT_BLANK`]).
    pub const fn not_blank(self) -> Self {
        self.pattern(NOT_BLANK)
    }

    /// Documentation.
    pub const fn about(mut self, about: &'static str) -> Self {
        self.about = about;
        self
    }

    /// `?ordering=` may name it.
    pub const fn orderable(mut self) -> Self {
        self.orderable = true;
        self
    }

    /// `?search=` looks in it.
    pub const fn searchable(mut self) -> Self {
        self.searchable = true;
        self
    }

    /// `?<name>=` filters on it.
    pub const fn filterable(mut self) -> Self {
        self.filterable = true;
        self
    }

    /// `value` when absent on create and replace.
    pub const fn default_text(mut self, value: &'static str) -> Self {
        self.presence = Presence::DefaultText(value);
        self
    }

    /// `value` when absent on create and replace.
    pub const fn default_bool(mut self, value: bool) -> Self {
        self.presence = Presence::DefaultBool(value);
        self
    }

    /// The time of the write when absent on create and replace.
    pub const fn default_now(mut self) -> Self {
        self.presence = Presence::DefaultNow;
        self
    }

    /// May be absent or `null`.
    pub const fn optional(mut self) -> Self {
        self.presence = Presence::Optional;
        self
    }

    /// Whether a create or replace must carry it.
    pub fn is_required(&self) -> bool {
        self.presence == Presence::Required
    }

    /// Whether `null` is a value it can hold.
    pub fn is_nullable(&self) -> bool {
        self.presence == Presence::Optional
    }
}
