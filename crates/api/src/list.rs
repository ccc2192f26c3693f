//! Query-string parameters of lists: `page`, `per_page`, `ordering`, `search`, filters.

use crate::error::ApiError;
use castellan_application::ListRequest;
use castellan_domain::resource::{parse_date, Field, Kind, ResourceDef, Value};
use castellan_ports::Ordering;
use std::collections::HashMap;
use uuid::Uuid;

/// Default and largest page sizes.
pub const DEFAULT_PER_PAGE: u32 = 50;
/// The largest page size.
pub const MAX_PER_PAGE: u32 = 200;
/// The largest page number (what an OpenAPI `int32` holds).
pub const MAX_PAGE: u32 = i32::MAX as u32;

/// The raw query string of a request, as name → value.
pub type QueryMap = HashMap<String, String>;

fn number(query: &QueryMap, name: &str, default: u32, range: (u32, u32)) -> Result<u32, ApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(default);
    };
    // Exactly digits: " 4", "\n4" or "+4" is no integer (the document says integer).
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<u32>() {
        Ok(n) if digits && n >= range.0 && n <= range.1 => Ok(n),
        _ => Err(ApiError::field(
            name,
            format!("{name} must be an integer from {} to {}", range.0, range.1),
        )),
    }
}

/// `?ordering=field,-other` against the resource's `orderable` columns: a comma-separated
/// list of column names, each optionally prefixed by `-` (descending). Anything else,
/// an empty value included, is a 400 on `ordering`. A column named again is ignored: its
/// first mention already decides (and the query stays as short as the column list).
fn ordering(
    query: &QueryMap,
    orderable: &[&str],
    default: &str,
) -> Result<Vec<Ordering>, ApiError> {
    let raw = query.get("ordering").map(String::as_str).unwrap_or(default);
    if raw.is_empty() && !default.is_empty() {
        return Err(ApiError::field(
            "ordering",
            format!("ordering must name a column: {}", orderable.join(", ")),
        ));
    }
    let mut orderings: Vec<Ordering> = Vec::new();
    for part in raw.split(',').filter(|_| !raw.is_empty()) {
        let (descending, field) = match part.strip_prefix('-') {
            Some(field) => (true, field),
            None => (false, part),
        };
        if !orderable.contains(&field) {
            return Err(ApiError::field(
                "ordering",
                format!("cannot order by {field:?}; use {}", orderable.join(", ")),
            ));
        }
        if !orderings.iter().any(|o| o.field == field) {
            orderings.push(Ordering {
                field: field.to_string(),
                descending,
            });
        }
    }
    Ok(orderings)
}

/// `?ordering=`'s pattern over `columns`: a comma-separated list of them, each maybe
/// prefixed by `-`.
///
/// ```
/// let pattern = castellan_api::list::ordering_pattern(&["name", "created_at"]);
/// assert_eq!(pattern, "^-?(name|created_at)(,-?(name|created_at))*$");
/// ```
pub fn ordering_pattern(columns: &[&str]) -> String {
    let column = format!("-?({})", columns.join("|"));
    format!("^{column}(,{column})*$")
}

/// An optional UUID parameter (400 on that parameter when malformed).
pub fn uuid_param(query: &QueryMap, name: &str) -> Result<Option<Uuid>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(name, format!("{name} must be a UUID"))),
    }
}

/// An optional text parameter, trimmed; empty counts as absent.
pub fn text_param(query: &QueryMap, name: &str) -> Option<String> {
    query
        .get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `?per_page=` (1–200, default 50).
pub fn per_page(query: &QueryMap) -> Result<u32, ApiError> {
    number(query, "per_page", DEFAULT_PER_PAGE, (1, MAX_PER_PAGE))
}

/// Parses the common list parameters plus `owner_id` and `tenant_id`.
pub fn list_request(
    query: &QueryMap,
    orderable: &[&str],
    default_ordering: &str,
) -> Result<ListRequest, ApiError> {
    Ok(ListRequest {
        page: number(query, "page", 1, (1, MAX_PAGE))?,
        per_page: per_page(query)?,
        ordering: ordering(query, orderable, default_ordering)?,
        search: text_param(query, "search"),
        owner_id: uuid_param(query, "owner_id")?,
        tenant_id: uuid_param(query, "tenant_id")?,
        filters: Vec::new(),
    })
}

/// The list parameters of a business resource: the common ones (ordering by its orderable
/// columns) and an exact filter for each filterable field.
pub fn resource_request(query: &QueryMap, def: &ResourceDef) -> Result<ListRequest, ApiError> {
    let mut request = list_request(query, &def.orderable(), def.default_ordering)?;
    for field in def.filterable() {
        if let Some(raw) = query.get(field.name) {
            request
                .filters
                .push((field.name, filter_value(field, raw)?));
        }
    }
    Ok(request)
}

/// A filter's value, checked like the field it filters on (400 on the parameter).
fn filter_value(field: &Field, raw: &str) -> Result<Value, ApiError> {
    let name = field.name;
    let wrong = |what: &str| ApiError::field(name, format!("{name} must be {what}"));
    match field.kind {
        Kind::Enum(choices) => match choices.contains(&raw) {
            true => Ok(Value::Text(raw.to_string())),
            false => Err(wrong(&format!("one of {}", choices.join(", ")))),
        },
        Kind::Parent(_) | Kind::User => raw.parse().map(Value::Id).map_err(|_| wrong("a UUID")),
        Kind::Bool => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong("true or false")),
        },
        Kind::Date => parse_date(raw)
            .map(Value::Date)
            .ok_or_else(|| wrong("a date (YYYY-MM-DD)")),
        Kind::Timestamp => chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| Value::Time(t.with_timezone(&chrono::Utc)))
            .map_err(|_| wrong("an RFC 3339 date-time")),
        Kind::Text { .. } => Ok(Value::Text(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_and_bounds() {
        let request = list_request(&query(&[]), &["title"], "-title").unwrap();
        assert_eq!((request.page, request.per_page), (1, 50));
        assert_eq!(
            request.ordering,
            vec![Ordering {
                field: "title".into(),
                descending: true
            }]
        );
        let repeated = list_request(
            &query(&[("ordering", "-title,created_at,title,-created_at,title")]),
            &["title", "created_at"],
            "title",
        )
        .unwrap();
        assert_eq!(
            repeated.ordering,
            vec![
                Ordering {
                    field: "title".into(),
                    descending: true
                },
                Ordering {
                    field: "created_at".into(),
                    descending: false
                },
            ]
        );
        for (name, value) in [
            ("page", "0"),
            ("per_page", "201"),
            ("per_page", "x"),
            ("page", "+4"),
            ("page", " 4"),
            ("per_page", ""),
            ("ordering", "nope"),
            ("owner_id", "1"),
        ] {
            let err = list_request(&query(&[(name, value)]), &["title"], "title").unwrap_err();
            assert!(format!("{err:?}").contains(name), "{name}={value}: {err:?}");
        }
    }
}
