//! The admin console at `/console`: server-rendered HTML pages (askama templates, one
//! embedded stylesheet, no JavaScript) over the same application services as `/api/v1`.
//!
//! Every page authenticates the caller from the session cookies into the same
//! [`Principal`](castellan_application::Principal) an API request gets, and calls the same
//! use case, so the evaluator decides exactly as it does for the API: an application-layer
//! 403 becomes the 403 page (and is audited like the API's), a 404 the 404 page. Every
//! state-changing form carries a CSRF token ([`csrf`]); every response carries a strict
//! Content-Security-Policy ([`headers`]).

mod api_keys;
mod audit;
mod csrf;
mod form;
mod grants;
mod headers;
mod invitations;
mod page;
mod profile;
mod resources;
mod roles;
mod session;
mod tenants;
mod users;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, HttpResponse, Scope};

pub use session::has_session_cookie;

/// The console's path prefix.
pub(crate) const PREFIX: &str = "/console";

/// The console's hand-written stylesheet, embedded in the binary.
const STYLESHEET: &str = include_str!("../../templates/console/console.css");

/// The `/console` scope: every page, behind the console's response headers and cookies.
pub fn scope() -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope(PREFIX)
        .route("", web::get().to(home))
        .route("/console.css", web::get().to(stylesheet))
        .configure(session::configure)
        .configure(profile::configure)
        .configure(users::configure)
        .configure(roles::configure)
        .configure(grants::configure)
        .configure(invitations::configure)
        .configure(audit::configure)
        .configure(api_keys::configure)
        .configure(tenants::configure)
        .configure(resources::configure)
        .default_service(web::to(page::not_found))
        .wrap_fn(headers::console_response)
}

/// `/console`: the caller's profile is the home page.
async fn home() -> HttpResponse {
    page::see_other("/console/profile")
}

/// `/console/console.css`.
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(STYLESHEET)
}

/// A console list's request from its query string (`page`, `per_page`, `search`, ...),
/// parsed as the API parses it.
pub(crate) fn listing(
    query: &crate::list::QueryMap,
    orderable: &[&str],
    default_ordering: &str,
) -> Result<castellan_application::ListRequest, page::ConsoleError> {
    Ok(crate::list::list_request(
        query,
        orderable,
        default_ordering,
    )?)
}

/// Every row of a list, page after page of the largest size (for the matrix's roles and
/// rules, which a page shows whole).
pub(crate) async fn all_pages<T, F, Fut>(
    mut request: castellan_application::ListRequest,
    mut fetch: F,
) -> Result<Vec<T>, page::ConsoleError>
where
    F: FnMut(castellan_application::ListRequest) -> Fut,
    Fut: std::future::Future<
        Output = Result<castellan_ports::Page<T>, castellan_application::AppError>,
    >,
{
    request.per_page = crate::list::MAX_PER_PAGE;
    request.page = 1;
    let mut rows = Vec::new();
    loop {
        let page = fetch(request.clone()).await?;
        let done = page.items.is_empty();
        rows.extend(page.items);
        if done || rows.len() as u64 >= page.total {
            return Ok(rows);
        }
        request.page += 1;
    }
}
