//! The OpenAPI description of every declared resource, written from its declaration: the
//! object, the bodies each method accepts (every constraint the server checks:
//! `minLength`, `maxLength`, `pattern`, `enum`, `format`, required fields, no other
//! properties), the list parameters with their bounds, and every status each route can
//! answer.

use crate::list::{ordering_pattern, DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE};
use castellan_domain::resource::{Field, Kind, Presence, ResourceDef};
use castellan_domain::resources::ALL;
use serde_json::{json, Map, Value};

/// Adds every declared resource's paths, schemas and tag to `doc` (an OpenAPI document as
/// JSON).
pub(crate) fn describe_all(doc: &mut Value) {
    for &def in ALL {
        describe(doc, def);
    }
}

fn describe(doc: &mut Value, def: &'static ResourceDef) {
    let name = def.name;
    let schemas = [
        (name.to_string(), object_schema(def)),
        (format!("{name}Input"), body_schema(def, true)),
        (format!("{name}Patch"), body_schema(def, false)),
    ];
    for (key, schema) in schemas {
        doc["components"]["schemas"][key] = schema;
    }
    let collection = format!("/api/v1/{}", def.plural);
    let item = format!("/api/v1/{}/{{id}}", def.plural);
    doc["paths"][collection] = json!({
        "get": list_operation(def),
        "post": write_operation(def, Write::Create),
    });
    doc["paths"][item] = json!({
        "parameters": [{
            "name": "id", "in": "path", "required": true,
            "description": format!("The {}'s id", def.element),
            "schema": {"type": "string", "format": "uuid"},
        }],
        "get": read_operation(def),
        "put": write_operation(def, Write::Replace),
        "patch": write_operation(def, Write::Patch),
        "delete": delete_operation(def),
    });
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.push(json!({"name": def.plural, "description": def.about}));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Replace,
    Patch,
}

/// A field's value as JSON Schema (without its nullability).
fn value_schema(field: &Field) -> Value {
    let mut schema = match field.kind {
        Kind::Text { min, max, pattern } => {
            let mut text = json!({"type": "string", "minLength": min, "maxLength": max});
            if let Some(pattern) = pattern {
                text["pattern"] = json!(pattern.regex);
            }
            text
        }
        Kind::Enum(values) => json!({"type": "string", "enum": values}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Timestamp => json!({"type": "string", "format": "date-time"}),
        Kind::User => json!({
            "type": "string", "format": "uuid",
            "description": "An active user of the object's tenant (else 400 on this field)",
        }),
        Kind::Parent(parent) => json!({
            "type": "string", "format": "uuid",
            "description": format!("A {} the caller may read, in the same tenant (else 400 on this field)", parent.element),
        }),
    };
    if !field.about.is_empty() {
        schema["description"] = json!(field.about);
    }
    schema
}

/// A field as a property: nullable when optional.
fn property(field: &Field) -> Value {
    let mut schema = value_schema(field);
    if field.is_nullable() {
        let kind = schema["type"].clone();
        schema["type"] = json!([kind, "null"]);
        // `get_mut`, not indexing: `schema["enum"]` would insert a `null` enum.
        if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
            values.push(Value::Null);
        }
    }
    match field.presence {
        Presence::DefaultText(text) => schema["default"] = json!(text),
        Presence::DefaultBool(b) => schema["default"] = json!(b),
        _ => {}
    }
    schema
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn moment() -> Value {
    json!({"type": "string", "format": "date-time"})
}

/// The object as responses carry it.
fn object_schema(def: &ResourceDef) -> Value {
    let mut properties = Map::new();
    properties.insert("id".into(), uuid());
    for field in def.fields {
        properties.insert(field.name.into(), property(field));
    }
    properties.insert(
        "owner_id".into(),
        json!({"type": "string", "format": "uuid", "description": "Its creator"}),
    );
    properties.insert(
        "tenant_id".into(),
        json!({"type": "string", "format": "uuid", "description": "Its tenant"}),
    );
    properties.insert("created_at".into(), moment());
    properties.insert("updated_at".into(), moment());
    let required: Vec<&String> = properties.keys().collect();
    json!({
        "type": "object",
        "description": def.about,
        "required": required,
        "properties": properties,
    })
}

/// A request body: every field with its constraints; `required` for create and replace.
fn body_schema(def: &ResourceDef, whole: bool) -> Value {
    let properties: Map<String, Value> = def
        .fields
        .iter()
        .map(|f| (f.name.to_string(), property(f)))
        .collect();
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if whole {
        let required: Vec<&str> = def
            .fields
            .iter()
            .filter(|f| f.is_required())
            .map(|f| f.name)
            .collect();
        schema["required"] = json!(required);
        schema["description"] = json!(format!(
            "Every field of a {} (POST, PUT): absent optional fields take their default. Any other property (`id`, `owner_id`, `tenant_id`, ...) → 400 on it.",
            def.element
        ));
    } else {
        schema["description"] = json!(format!(
            "Some fields of a {} (PATCH): absent ones keep their value. Any other property → 400 on it.",
            def.element
        ));
    }
    schema
}

fn reference(schema: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{schema}")})
}

fn envelope(data: Value) -> Value {
    json!({
        "description": "",
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["data", "errors"],
            "properties": {"data": data, "errors": {"type": "array", "maxItems": 0, "items": reference("ErrorBody")}},
        }}},
    })
}

fn failure(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": reference("ErrorEnvelope")}},
    })
}

/// The responses every guarded route shares, plus `extra`.
fn responses(def: &ResourceDef, extra: Vec<(&str, Value)>) -> Value {
    let element = def.element;
    let mut responses = Map::new();
    for (status, response) in extra {
        responses.insert(status.into(), response);
    }
    responses.insert(
        "401".into(),
        failure("Not authenticated: no, invalid, expired or revoked token"),
    );
    responses.entry("403").or_insert_with(|| {
        failure(&format!(
            "No rule of the caller's roles allows this on `{element}`"
        ))
    });
    responses.insert(
        "503".into(),
        failure("The database or the token store is unreachable"),
    );
    Value::Object(responses)
}

fn operation(def: &ResourceDef, summary: String, responses: Value) -> Value {
    json!({
        "tags": [def.plural],
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": responses,
    })
}

fn query(name: &str, description: String, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn list_operation(def: &'static ResourceDef) -> Value {
    let orderable = def.orderable().join("`, `");
    let searchable: Vec<&str> = def.searchable().map(|f| f.name).collect();
    let mut parameters = vec![
        query(
            "page",
            "1-based page; past the last one: `[]`".into(),
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
        ),
        query(
            "per_page",
            "Rows per page".into(),
            json!({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE}),
        ),
        query(
            "ordering",
            format!(
                "`{orderable}`, comma-separated, `-` for descending (default `{}`)",
                def.default_ordering
            ),
            json!({"type": "string", "pattern": ordering_pattern(&def.orderable())}),
        ),
        query("owner_id", "Only this owner's objects".into(), uuid()),
        query(
            "tenant_id",
            "Superusers only (anyone else: 400): one tenant".into(),
            uuid(),
        ),
    ];
    if !searchable.is_empty() {
        parameters.push(query(
            "search",
            format!("Case-insensitive text in {}", searchable.join(", ")),
            json!({"type": "string"}),
        ));
    }
    for field in def.filterable() {
        parameters.push(query(
            field.name,
            format!("Only objects with this `{}`", field.name),
            value_schema(field),
        ));
    }
    let mut list = operation(
        def,
        format!(
            "The {} the caller may read: the tenant's with read-all, their own with read-own",
            def.plural
        ),
        responses(
            def,
            vec![
                ("200", envelope_list(def)),
                ("400", failure("A bad query parameter (`field` names it)")),
            ],
        ),
    );
    list["parameters"] = Value::Array(parameters);
    list
}

fn envelope_list(def: &ResourceDef) -> Value {
    json!({
        "description": "A page",
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["data", "errors", "meta"],
            "properties": {
                "data": {"type": "array", "items": reference(def.name)},
                "errors": {"type": "array", "maxItems": 0, "items": reference("ErrorBody")},
                "meta": reference("PageMeta"),
            },
        }}},
    })
}

fn read_operation(def: &ResourceDef) -> Value {
    let mut found = envelope(reference(def.name));
    found["description"] = json!(format!("The {}", def.element));
    operation(
        def,
        format!("One {} (404 when the caller may not read it)", def.element),
        responses(
            def,
            vec![
                ("200", found),
                (
                    "404",
                    failure(&format!(
                        "No such {}, or not visible to the caller",
                        def.element
                    )),
                ),
            ],
        ),
    )
}

/// Whether a write can meet a conflict: the resource has rules, unique fields, or parents
/// (gone since they were checked).
fn may_conflict(def: &ResourceDef) -> bool {
    def.rules.on_write.is_some()
        || def.unique_fields().next().is_some()
        || def.parents().next().is_some()
}

/// Whether other resources name this one as their parent (or it has a delete rule).
fn may_refuse_delete(def: &'static ResourceDef) -> bool {
    def.rules.on_delete.is_some()
        || ALL
            .iter()
            .any(|other| other.parents().any(|(_, parent)| std::ptr::eq(parent, def)))
}

fn write_operation(def: &'static ResourceDef, write: Write) -> Value {
    let (summary, schema, status) = match write {
        Write::Create => (
            format!("Create a {} owned by the caller", def.element),
            format!("{}Input", def.name),
            "201",
        ),
        Write::Replace => (
            format!("Replace a {}'s fields", def.element),
            format!("{}Input", def.name),
            "200",
        ),
        Write::Patch => (
            format!("Change some of a {}'s fields", def.element),
            format!("{}Patch", def.name),
            "200",
        ),
    };
    let mut done = envelope(reference(def.name));
    done["description"] = json!(match write {
        Write::Create => "Created",
        _ => "Updated",
    });
    let mut extra = vec![
        (status, done),
        ("400", failure("A field is wrong (one error per field, `field` names it), a parent is not visible, or the body is not a JSON object (`malformed_json`)")),
        ("413", failure("The body is over 64 KiB")),
        ("415", failure("The body is not `application/json`")),
    ];
    if write != Write::Create {
        extra.push((
            "403",
            failure("Visible, but not the caller's to change (or no rule)"),
        ));
        extra.push((
            "404",
            failure(&format!(
                "No such {}, or not visible to the caller",
                def.element
            )),
        ));
    }
    if may_conflict(def) {
        extra.push((
            "409",
            failure("A unique value is taken (`field` names it), or the object's state or references forbid the change"),
        ));
    }
    let mut op = operation(def, summary, responses(def, extra));
    op["requestBody"] = json!({
        "required": true,
        "content": {"application/json": {"schema": reference(&schema)}},
    });
    op
}

fn delete_operation(def: &'static ResourceDef) -> Value {
    let mut extra = vec![
        ("204", json!({"description": "Deleted"})),
        (
            "403",
            failure("Visible, but not the caller's to delete (or no rule)"),
        ),
        (
            "404",
            failure(&format!(
                "No such {}, or not visible to the caller",
                def.element
            )),
        ),
    ];
    if may_refuse_delete(def) {
        extra.push((
            "409",
            failure("Objects that belong to it still exist, or its state forbids the delete"),
        ));
    }
    operation(
        def,
        format!("Delete a {}", def.element),
        responses(def, extra),
    )
}
