//! What every list query shares: the rows asked for, their order, the page, and a page of
//! results.

use castellan_domain::resource::Value;
use uuid::Uuid;

/// A requested ordering: a column and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// Column name (validated against the resource's allowed list before it gets here).
    pub field: String,
    /// Newest/largest first.
    pub descending: bool,
}

/// Rows a list may contain and which page of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only this tenant's rows (`None`: every tenant, for superusers).
    pub tenant_id: Option<Uuid>,
    /// Only rows owned by this user (own-scope lists, or the `owner_id` filter).
    pub owner_id: Option<Uuid>,
    /// Case-insensitive substring over the resource's searchable text.
    pub search: Option<String>,
    /// Orderings, most significant first (ties broken by id).
    pub ordering: Vec<Ordering>,
    /// 1-based page.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Exact filters on declared fields of a business resource (other lists ignore them).
    pub filters: Vec<(&'static str, Value)>,
}

/// One page of rows and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Matching rows over all pages.
    pub total: u64,
}
