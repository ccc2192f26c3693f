//! What every page shares: the chrome around it (title, navigation, the CSRF token, a
//! flash message), rendering, redirects, pagination links and the error pages.

use super::csrf::{self, CsrfError};
use super::headers::{cookie, remove_cookie, set_cookie};
use crate::error::ApiError;
use crate::rate_limit::annotate;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan_application::{AppError, Principal};
use castellan_domain::rbac::Action;

/// The cookie carrying a one-shot message to the next page (after a redirect).
const FLASH: &str = "castellan_flash";

/// One link of the navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    /// Where it goes.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// The frame of every page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chrome {
    /// The page's title (also its `<h1>`).
    pub title: String,
    /// The signed-in user's email (`None` on the login and error pages).
    pub user: Option<String>,
    /// The navigation: the pages this user's rules let them open.
    pub nav: Vec<NavItem>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// A message left by the previous action.
    pub flash: Option<String>,
}

/// Which element a navigation entry needs a list rule on (`None`: every person).
const NAV: &[(&str, &str, Option<&str>)] = &[
    ("/console/profile", "Profile", None),
    ("/console/sessions", "Sessions", None),
    ("/console/api-keys", "API keys", None),
    ("/console/users", "Users", Some("user")),
    ("/console/roles", "Roles", Some("role")),
    ("/console/matrix", "Rules matrix", Some("access_rule")),
    ("/console/grants", "Role grants", Some("user_role")),
    ("/console/invitations", "Invitations", Some("invitation")),
    ("/console/audit", "Audit log", Some("audit_log")),
    ("/console/tenants", "Tenants", Some("tenant")),
    ("/console/resources", "Resources", None),
];

impl Chrome {
    /// The chrome of a signed-in page: navigation after the caller's rules (as the
    /// evaluator reads them), the CSRF token, and the flash message left for this page.
    pub(crate) fn new(req: &HttpRequest, p: &Principal, title: impl Into<String>) -> Self {
        let path = req.path();
        let nav = NAV
            .iter()
            .filter(|(_, _, element)| match element {
                None => true,
                Some("tenant") => p.subject.is_superuser(),
                Some(element) => p.subject.list_scope(element).is_ok(),
            })
            .map(|&(href, label, _)| NavItem {
                href,
                label,
                current: path == href || path.starts_with(&format!("{href}/")),
            })
            .collect();
        Chrome {
            title: title.into(),
            user: Some(p.user.email.to_string()),
            nav,
            csrf: csrf::token(req),
            flash: take_flash(req),
        }
    }

    /// The chrome of a page outside a session (login).
    pub(crate) fn anonymous(req: &HttpRequest, title: impl Into<String>) -> Self {
        Chrome {
            title: title.into(),
            csrf: csrf::token(req),
            flash: take_flash(req),
            ..Chrome::default()
        }
    }
}

/// What the caller's rules let them do on an element whose objects have no owner (roles,
/// rules, grants, invitations: the decision is the same for every object of the tenant),
/// so that a page offers only the forms that would be allowed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Allowed {
    /// Create one.
    pub create: bool,
    /// Change one.
    pub update: bool,
    /// Delete (or revoke) one.
    pub delete: bool,
}

impl Allowed {
    /// What `p` may do on `element`.
    pub(crate) fn on(p: &Principal, element: &str) -> Self {
        let may = |action| p.subject.allows(element, action, None);
        Allowed {
            create: may(Action::Create),
            update: may(Action::Update),
            delete: may(Action::Delete),
        }
    }
}

/// Leaves `message` for the next page shown.
pub(crate) fn flash(req: &HttpRequest, message: &str) {
    set_cookie(req, FLASH, URL_SAFE_NO_PAD.encode(message), None);
}

fn take_flash(req: &HttpRequest) -> Option<String> {
    let raw = cookie(req, FLASH)?;
    remove_cookie(req, FLASH);
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|message| message.chars().take(300).collect())
}

/// A page as an HTML response with `status`.
pub(crate) fn html<T: Template>(
    status: StatusCode,
    page: &T,
) -> Result<HttpResponse, ConsoleError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A page as a 200.
pub(crate) fn ok<T: Template>(page: &T) -> Result<HttpResponse, ConsoleError> {
    html(StatusCode::OK, page)
}

/// 303 See Other to `location` (the redirect after a POST).
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Redirects to `location` with `message` for the page it shows.
pub(crate) fn done(req: &HttpRequest, location: &str, message: &str) -> HttpResponse {
    flash(req, message);
    see_other(location)
}

/// Links to the neighbouring pages of a numbered list.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pager {
    /// This page (1-based).
    pub page: u32,
    /// How many pages there are.
    pub pages: u64,
    /// How many rows match.
    pub total: u64,
    /// The previous page's URL.
    pub prev: Option<String>,
    /// The next page's URL.
    pub next: Option<String>,
}

impl Pager {
    /// The pager of page `page` (`per_page` rows) of `total` rows listed at `path` with
    /// the query `kept` (the search, the filters).
    pub(crate) fn new(
        path: &str,
        kept: &[(&str, String)],
        page: u32,
        per_page: u32,
        total: u64,
    ) -> Self {
        let pages = total.div_ceil(u64::from(per_page.max(1))).max(1);
        let link = |n: u32| {
            let mut query: Vec<(&str, String)> = kept
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            query.push(("page", n.to_string()));
            format!("{path}?{}", encode(&query))
        };
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (u64::from(page) < pages).then(|| link(page + 1)),
        }
    }
}

/// A query string.
pub(crate) fn encode(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Everything a console request can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConsoleError {
    /// No session, or it ended: the login page.
    #[error("log in first")]
    LoginRequired,
    /// A POST without the right CSRF token, or from another site.
    #[error(transparent)]
    Csrf(#[from] CsrfError),
    /// What the API would answer.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A template failed to render.
    #[error("could not render the page: {0}")]
    Render(#[from] askama::Error),
}

impl From<AppError> for ConsoleError {
    fn from(err: AppError) -> Self {
        ConsoleError::Api(ApiError::App(err))
    }
}

/// An error page.
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    chrome: Chrome,
    messages: Vec<String>,
}

fn heading(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The form has a problem",
        403 => "Not allowed",
        404 => "Not found",
        409 => "Conflict",
        429 => "Too many requests",
        503 => "Unavailable",
        _ => "Something went wrong",
    }
}

impl ConsoleError {
    fn messages(&self) -> Vec<String> {
        match self {
            ConsoleError::Api(err) => err
                .bodies()
                .into_iter()
                .map(|body| match body.field {
                    Some(field) if !body.message.contains(&field) => {
                        format!("{field}: {}", body.message)
                    }
                    _ => body.message.into_owned(),
                })
                .collect(),
            ConsoleError::Render(_) => vec!["internal server error".into()],
            other => vec![other.to_string()],
        }
    }

    fn wants_login(&self) -> bool {
        matches!(
            self,
            ConsoleError::LoginRequired
                | ConsoleError::Api(ApiError::App(AppError::Unauthenticated(_)))
        )
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            _ if self.wants_login() => StatusCode::SEE_OTHER,
            ConsoleError::Csrf(_) => StatusCode::FORBIDDEN,
            ConsoleError::Api(err) => err.status_code(),
            ConsoleError::LoginRequired | ConsoleError::Render(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.wants_login() {
            return see_other("/console/login");
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "console request failed");
        }
        let page = ErrorPage {
            chrome: Chrome {
                title: heading(status).to_string(),
                ..Chrome::default()
            },
            messages: self.messages(),
        };
        let mut response = match html(status, &page) {
            Ok(response) => response,
            Err(_) => HttpResponse::build(status).body(heading(status)),
        };
        if let ConsoleError::Api(ApiError::RateLimited(applied)) = self {
            annotate(response.headers_mut(), Some(*applied));
        }
        if let ConsoleError::Api(ApiError::App(AppError::Locked { retry_after_secs })) = self {
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.max(&1).to_string())
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let ConsoleError::Api(ApiError::App(AppError::Forbidden(denial))) = self {
            // Audited by the request middleware, exactly as the API's refusals are.
            response.extensions_mut().insert(denial.clone());
        }
        response
    }
}

/// The console's 404 page for a path it does not know.
pub(crate) async fn not_found(req: HttpRequest) -> Page {
    Err(ApiError::RouteNotFound(req.path().to_string()).into())
}

/// A console handler's result.
pub(crate) type Page = Result<HttpResponse, ConsoleError>;
