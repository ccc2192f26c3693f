//! One object of a resource and the values of its fields.

use super::ResourceDef;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

/// The value of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value (an optional field left empty).
    Null,
    /// Text or an enum's value.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
    /// A point in time.
    Time(DateTime<Utc>),
    /// The id of another object.
    Id(Uuid),
}

impl Value {
    /// The value as clients see it in JSON: dates as `YYYY-MM-DD`, times as RFC 3339 UTC.
    ///
    /// ```
    /// use castellan_domain::resource::Value;
    /// let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    /// assert_eq!(Value::Date(date).to_json(), serde_json::json!("2026-11-26"));
    /// assert_eq!(Value::Null.to_json(), serde_json::Value::Null);
    /// ```
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Text(text) => Json::String(text.clone()),
            Value::Bool(b) => Json::Bool(*b),
            Value::Date(date) => Json::String(date.format("%Y-%m-%d").to_string()),
            Value::Time(time) => json!(time),
            Value::Id(id) => Json::String(id.to_string()),
        }
    }

    /// The text, for text and enum values.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The id, for references.
    pub fn as_id(&self) -> Option<Uuid> {
        match self {
            Value::Id(id) => Some(*id),
            _ => None,
        }
    }
}

/// One object of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Identifier.
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Its owner (the creator).
    pub owner_id: Uuid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The declared fields' values, in declaration order.
    pub values: Vec<Value>,
}

impl Record {
    /// The value of field `name` of `def`.
    pub fn value(&self, def: &ResourceDef, name: &str) -> Option<&Value> {
        def.index_of(name).and_then(|i| self.values.get(i))
    }

    /// The object as clients see it: `id`, the fields, `owner_id`, `tenant_id`,
    /// `created_at`, `updated_at`.
    pub fn to_json(&self, def: &ResourceDef) -> Map<String, Json> {
        let mut object = Map::with_capacity(def.fields.len() + 5);
        object.insert("id".into(), Json::String(self.id.to_string()));
        for (field, value) in def.fields.iter().zip(&self.values) {
            object.insert(field.name.into(), value.to_json());
        }
        object.insert("owner_id".into(), Json::String(self.owner_id.to_string()));
        object.insert("tenant_id".into(), Json::String(self.tenant_id.to_string()));
        object.insert("created_at".into(), moment(self.created_at));
        object.insert("updated_at".into(), moment(self.updated_at));
        object
    }

    /// What the audit trail keeps of the object: its audited fields, `owner_id` and
    /// `tenant_id` (compared before and after by [`crate::audit::diff`]).
    pub fn snapshot(&self, def: &ResourceDef) -> Json {
        let mut object = Map::new();
        for (field, value) in def.fields.iter().zip(&self.values) {
            if !def.unaudited.contains(&field.name) {
                object.insert(field.name.into(), value.to_json());
            }
        }
        object.insert("owner_id".into(), Json::String(self.owner_id.to_string()));
        object.insert("tenant_id".into(), Json::String(self.tenant_id.to_string()));
        Json::Object(object)
    }
}

fn moment(time: DateTime<Utc>) -> Json {
    Json::String(time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}
