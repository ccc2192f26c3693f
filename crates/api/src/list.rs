//! Query-string parameters of lists: `page`, `per_page`, `ordering`, `search`, filters.

use crate::error::ApiError;
use castellan_application::ListRequest;
use castellan_ports::Ordering;
use std::collections::HashMap;
use uuid::Uuid;

/// Default and largest page sizes.
pub const DEFAULT_PER_PAGE: u32 = 50;
const MAX_PER_PAGE: u32 = 200;

/// The raw query string of a request, as name → value.
pub type QueryMap = HashMap<String, String>;

fn number(query: &QueryMap, name: &str, default: u32, range: (u32, u32)) -> Result<u32, ApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if n >= range.0 && n <= range.1 => Ok(n),
        _ => Err(ApiError::field(
            name,
            format!("{name} must be an integer from {} to {}", range.0, range.1),
        )),
    }
}

/// `?ordering=field,-other` against the resource's `orderable` columns.
fn ordering(
    query: &QueryMap,
    orderable: &[&str],
    default: &str,
) -> Result<Vec<Ordering>, ApiError> {
    let raw = query.get("ordering").map(String::as_str).unwrap_or(default);
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (descending, field) = match part.strip_prefix('-') {
                Some(field) => (true, field),
                None => (false, part),
            };
            match orderable.contains(&field) {
                true => Ok(Ordering {
                    field: field.to_string(),
                    descending,
                }),
                false => Err(ApiError::field(
                    "ordering",
                    format!("cannot order by {field:?}; use {}", orderable.join(", ")),
                )),
            }
        })
        .collect()
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
        page: number(query, "page", 1, (1, u32::MAX))?,
        per_page: per_page(query)?,
        ordering: ordering(query, orderable, default_ordering)?,
        search: text_param(query, "search"),
        owner_id: uuid_param(query, "owner_id")?,
        tenant_id: uuid_param(query, "tenant_id")?,
    })
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
        for (name, value) in [
            ("page", "0"),
            ("per_page", "201"),
            ("per_page", "x"),
            ("ordering", "nope"),
            ("owner_id", "1"),
        ] {
            let err = list_request(&query(&[(name, value)]), &["title"], "title").unwrap_err();
            assert!(format!("{err:?}").contains(name), "{name}={value}: {err:?}");
        }
    }
}
