//! A client's JSON body checked against a declaration: every wrong field named, one problem
//! each.

use super::{Field, Kind, Presence, Record, ResourceDef, Value};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value as Json};
use std::collections::HashSet;
use uuid::Uuid;

/// One wrong field of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field.
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl Problem {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a body is for.
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    /// A new object (`POST`): absent fields take their default; required ones must be there.
    Create,
    /// Every field anew (`PUT`): as a create.
    Replace,
    /// Some fields (`PATCH`): absent ones keep their value in this object.
    Patch(&'a Record),
}

impl ResourceDef {
    /// The field values a body asks for, in declaration order, or every problem with it:
    /// fields the resource does not have (including `id`, `owner_id`, `tenant_id` and the
    /// timestamps, which no client sets), values of the wrong type, broken constraints,
    /// and required fields that are missing. `now` fills fields that default to the time of
    /// the write.
    pub fn values_from(
        &self,
        body: &Map<String, Json>,
        write: Write<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Value>, Vec<Problem>> {
        let declared: HashSet<&str> = self.fields.iter().map(|f| f.name).collect();
        let mut problems: Vec<Problem> = body
            .keys()
            .filter(|key| !declared.contains(key.as_str()))
            .map(|key| Problem::new(key.as_str(), format!("{key} cannot be set here")))
            .collect();
        problems.sort_by(|a, b| a.field.cmp(&b.field));
        let mut values = Vec::with_capacity(self.fields.len());
        for (i, field) in self.fields.iter().enumerate() {
            let value = match (body.get(field.name), write) {
                (Some(given), _) => parse(field, given),
                (None, Write::Patch(current)) => Ok(current.values[i].clone()),
                (None, Write::Create | Write::Replace) => absent(field, now),
            };
            match value {
                Ok(value) => values.push(value),
                Err(message) => problems.push(Problem::new(field.name, message)),
            }
        }
        match problems.is_empty() {
            true => Ok(values),
            false => Err(problems),
        }
    }
}

/// The value of a field the body leaves out, on create or replace.
fn absent(field: &Field, now: DateTime<Utc>) -> Result<Value, String> {
    match field.presence {
        Presence::Required => Err(format!("{} is required", field.name)),
        Presence::DefaultText(text) => Ok(Value::Text(text.to_string())),
        Presence::DefaultBool(b) => Ok(Value::Bool(b)),
        Presence::DefaultNow => Ok(Value::Time(now)),
        Presence::Optional => Ok(Value::Null),
    }
}

/// A given value, checked against its field.
fn parse(field: &Field, given: &Json) -> Result<Value, String> {
    let name = field.name;
    if given.is_null() {
        return match field.is_nullable() {
            true => Ok(Value::Null),
            false => Err(format!("{name} cannot be null")),
        };
    }
    match field.kind {
        Kind::Text { min, max, pattern } => {
            let text = string(name, given)?;
            let length = text.chars().count();
            if length < min as usize || length > max as usize {
                return Err(match min {
                    0 => format!("{name} must be at most {max} characters"),
                    _ => format!("{name} must be {min} to {max} characters"),
                });
            }
            match pattern {
                Some(pattern) if !(pattern.check)(text) => {
                    Err(format!("{name} {}", pattern.requirement))
                }
                _ => Ok(Value::Text(text.to_string())),
            }
        }
        Kind::Enum(choices) => {
            let text = string(name, given)?;
            match choices.contains(&text) {
                true => Ok(Value::Text(text.to_string())),
                false => Err(format!("{name} must be one of {}", choices.join(", "))),
            }
        }
        Kind::Bool => given
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| format!("{name} must be true or false")),
        Kind::Date => parse_date(string(name, given)?)
            .map(Value::Date)
            .ok_or_else(|| format!("{name} must be a date (YYYY-MM-DD)")),
        Kind::Timestamp => DateTime::parse_from_rfc3339(string(name, given)?)
            .map(|t| Value::Time(t.with_timezone(&Utc)))
            .map_err(|_| format!("{name} must be an RFC 3339 date-time")),
        Kind::Parent(_) | Kind::User => string(name, given)?
            .parse::<Uuid>()
            .map(Value::Id)
            .map_err(|_| format!("{name} must be a UUID")),
    }
}

/// A calendar date written exactly `YYYY-MM-DD` (RFC 3339's full-date: chrono alone would
/// also take `26-1-1`).
///
/// ```
/// use castellan_domain::resource::parse_date;
/// assert!(parse_date("2026-02-28").is_some());
/// assert!(parse_date("2026-02-30").is_none());
/// assert!(parse_date("26-1-1").is_none());
/// ```
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

fn string<'a>(name: &str, given: &'a Json) -> Result<&'a str, String> {
    given
        .as_str()
        .ok_or_else(|| format!("{name} must be a string"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{Field, ResourceDef};
    use proptest::prelude::*;
    use serde_json::json;

    const PARENTS: ResourceDef = ResourceDef::new("parent", "parents", "Parent", "", &[]);
    const THINGS: ResourceDef = ResourceDef::new(
        "thing",
        "things",
        "Thing",
        "Every kind of field.",
        &[
            Field::text("name", 1, 10).not_blank(),
            Field::code("code", 5).optional(),
            Field::one_of("status", &["a", "b"]).default_text("a"),
            Field::boolean("active").default_bool(true),
            Field::date("due").optional(),
            Field::timestamp("at").default_now(),
            Field::parent("parent_id", &PARENTS),
        ],
    );

    fn body(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn fields(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn create_fills_defaults_and_requires_the_rest() {
        let now = Utc::now();
        let parent = Uuid::now_v7();
        let values = THINGS
            .values_from(
                &body(json!({"name": "x", "parent_id": parent.to_string()})),
                Write::Create,
                now,
            )
            .unwrap();
        assert_eq!(
            values,
            vec![
                Value::Text("x".into()),
                Value::Null,
                Value::Text("a".into()),
                Value::Bool(true),
                Value::Null,
                Value::Time(now),
                Value::Id(parent),
            ]
        );
        let problems = THINGS
            .values_from(&body(json!({})), Write::Replace, now)
            .unwrap_err();
        assert_eq!(fields(&problems), ["name", "parent_id"]);
    }

    #[test]
    fn every_wrong_field_is_named_once() {
        let problems = THINGS
            .values_from(
                &body(json!({
                    "name": "  ", "code": "a b", "status": "c", "active": "yes",
                    "due": "2026-13-01", "at": "yesterday", "parent_id": "x",
                    "owner_id": Uuid::nil(), "tenant_id": 1, "color": "red",
                })),
                Write::Create,
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(
            fields(&problems),
            [
                "color",
                "owner_id",
                "tenant_id",
                "name",
                "code",
                "status",
                "active",
                "due",
                "at",
                "parent_id"
            ]
        );
    }

    #[test]
    fn null_only_where_optional() {
        let problems = THINGS
            .values_from(
                &body(json!({"name": null, "due": null, "code": null, "parent_id": Uuid::nil()})),
                Write::Create,
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(fields(&problems), ["name"]);
    }

    #[test]
    fn patch_keeps_what_it_does_not_name() {
        let now = Utc::now();
        let current = Record {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            owner_id: Uuid::now_v7(),
            created_at: now,
            updated_at: now,
            values: THINGS
                .values_from(
                    &body(json!({"name": "old", "parent_id": Uuid::nil()})),
                    Write::Create,
                    now,
                )
                .unwrap(),
        };
        let values = THINGS
            .values_from(&body(json!({"status": "b"})), Write::Patch(&current), now)
            .unwrap();
        assert_eq!(values[0], Value::Text("old".into()));
        assert_eq!(values[2], Value::Text("b".into()));
    }

    proptest! {
        /// Text is accepted exactly when its length (in characters) is within bounds and it
        /// is not blank.
        #[test]
        fn text_bounds(name in "\\PC{0,14}") {
            let result = THINGS.values_from(
                &body(json!({"name": name, "parent_id": Uuid::nil()})),
                Write::Create,
                Utc::now(),
            );
            let length = name.chars().count();
            let acceptable = (1..=10).contains(&length) && !name.trim().is_empty();
            prop_assert_eq!(result.is_ok(), acceptable, "{:?}", result);
        }

        /// A code is accepted exactly when it is 1–5 characters of [A-Za-z0-9._-].
        #[test]
        fn code_charset(code in "[A-Za-z0-9._ /-]{0,7}") {
            let result = THINGS.values_from(
                &body(json!({"name": "n", "code": code, "parent_id": Uuid::nil()})),
                Write::Create,
                Utc::now(),
            );
            let acceptable = (1..=5).contains(&code.len())
                && code.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            prop_assert_eq!(result.is_ok(), acceptable, "{:?}", result);
        }
    }
}
