//! The response envelope: `{"data": ..., "errors": [...], "meta": ...}`.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

/// One error of a failed request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_error`.
    #[schema(example = "validation_error")]
    pub code: &'static str,
    /// Human-readable explanation.
    #[schema(value_type = String)]
    pub message: Cow<'static, str>,
    /// The body field or query parameter at fault, when there is one.
    pub field: Option<String>,
}

/// A successful single-object response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// The payload.
    pub data: T,
    /// Always empty on success.
    pub errors: Vec<ErrorBody>,
}

/// List metadata for short unpaginated arrays.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalMeta {
    /// Number of items.
    pub total: usize,
}

/// Pagination metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    /// 1-based page.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Matching rows over all pages.
    pub total: u64,
}

/// Cursor-pagination metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorMeta {
    /// Rows per page.
    pub per_page: u32,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// 200 with one page of a cursor list and `meta: {per_page, next_cursor}`.
pub fn ok_cursor_page<T: Serialize>(
    items: Vec<T>,
    per_page: u32,
    next_cursor: Option<String>,
) -> HttpResponse {
    HttpResponse::Ok().json(ListEnvelope {
        data: items,
        errors: Vec::new(),
        meta: CursorMeta {
            per_page,
            next_cursor,
        },
    })
}

/// 200 with one page of a list and `meta: {page, per_page, total}`.
pub fn ok_page<T: Serialize>(items: Vec<T>, page: u32, per_page: u32, total: u64) -> HttpResponse {
    HttpResponse::Ok().json(ListEnvelope {
        data: items,
        errors: Vec::new(),
        meta: PageMeta {
            page,
            per_page,
            total,
        },
    })
}

/// A successful list response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListEnvelope<T, M> {
    /// The items.
    pub data: Vec<T>,
    /// Always empty on success.
    pub errors: Vec<ErrorBody>,
    /// Pagination or count metadata.
    pub meta: M,
}

/// A failed response: `data` is null and `errors` has at least one entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub data: Option<()>,
    /// What went wrong.
    pub errors: Vec<ErrorBody>,
}

/// An accepted request with nothing to return: `{"data": null, "errors": []}`.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct EmptyEnvelope {
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub data: Option<()>,
    /// Always empty.
    pub errors: Vec<ErrorBody>,
}

/// `status` with `data` in the envelope.
pub fn respond<T: Serialize>(status: StatusCode, data: T) -> HttpResponse {
    HttpResponse::build(status).json(Envelope {
        data,
        errors: Vec::new(),
    })
}

/// 200 with `data`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    respond(StatusCode::OK, data)
}

/// 200 with a short list and `meta: {total}`.
pub fn ok_list<T: Serialize>(items: Vec<T>) -> HttpResponse {
    let total = items.len();
    HttpResponse::Ok().json(ListEnvelope {
        data: items,
        errors: Vec::new(),
        meta: TotalMeta { total },
    })
}
