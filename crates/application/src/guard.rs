//! The one way every guarded resource asks the evaluator: which rows a list may show,
//! create, and the 403-versus-404 answer for one object. A resource supplies its element
//! key and the object's owner and tenant; everything else is here.

use crate::auth::Principal;
use crate::error::{AppError, Denial};
use castellan_domain::rbac::{Action, Owner, Scope, Visibility};
use castellan_domain::resource::Value;
use castellan_ports::{ListQuery, Ordering, Page};
use uuid::Uuid;

/// What a client asked of a list (validated by the API layer).
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// 1-based page.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
    /// Orderings.
    pub ordering: Vec<Ordering>,
    /// Search text.
    pub search: Option<String>,
    /// `?owner_id=` filter (on resources without an owner, the list's own person filter:
    /// `?user_id=` of grants).
    pub owner_id: Option<Uuid>,
    /// `?tenant_id=` filter (superusers only).
    pub tenant_id: Option<Uuid>,
    /// Exact filters on declared fields of a business resource.
    pub filters: Vec<(&'static str, Value)>,
}

/// What a caller's list comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing<Q> {
    /// Fetch these rows.
    Rows(Q),
    /// Nothing the caller may see can match (read-own asking about someone else, or an
    /// element without owners read with read-own alone): the answer is an empty list,
    /// without asking the database.
    Nothing,
}

impl<Q> Listing<Q> {
    /// The page the repository's `fetch` finds, or an empty one.
    pub async fn page<T, F, Fut>(self, fetch: F) -> Result<Page<T>, AppError>
    where
        F: FnOnce(Q) -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>, castellan_ports::RepoError>>,
    {
        match self {
            Listing::Rows(query) => Ok(fetch(query).await?),
            Listing::Nothing => Ok(Page {
                items: Vec::new(),
                total: 0,
            }),
        }
    }
}

/// The rows of an element a caller may see: a tenant (`None`: every tenant, for
/// superusers) and an owner (`None`: anyone's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// Only this tenant's rows.
    pub tenant_id: Option<Uuid>,
    /// Only this user's rows.
    pub owner_id: Option<Uuid>,
}

fn forbidden(element: &str, action: Action) -> AppError {
    Denial::new(element, action.as_str()).into()
}

/// The rows of `element` the caller may list, narrowed by the tenant and owner they ask
/// for: the caller's tenant (superusers: every tenant, or the one they filter on), and
/// only their own rows with read-own (a filter on anyone else finds nothing).
pub fn visible_rows(
    principal: &Principal,
    element: &str,
    tenant_filter: Option<Uuid>,
    owner_filter: Option<Uuid>,
) -> Result<Listing<Rows>, AppError> {
    let scope = principal
        .subject
        .list_scope(element)
        .map_err(|_| forbidden(element, Action::Read))?;
    let superuser = principal.subject.is_superuser();
    if tenant_filter.is_some() && !superuser {
        return Err(AppError::field(
            "tenant_id",
            "only superusers may filter by tenant",
        ));
    }
    let tenant_id = match superuser {
        true => tenant_filter,
        false => Some(principal.tenant_id().0),
    };
    let own = principal.user_id().0;
    let owner_id = match (scope, owner_filter) {
        (Scope::All, filter) => filter,
        (Scope::Own, Some(other)) if other != own => return Ok(Listing::Nothing),
        (Scope::Own, _) => Some(own),
    };
    Ok(Listing::Rows(Rows {
        tenant_id,
        owner_id,
    }))
}

/// Turns a list request into the query of the rows the caller may see (see
/// [`visible_rows`]).
pub fn list_query(
    principal: &Principal,
    element: &str,
    request: ListRequest,
) -> Result<Listing<ListQuery>, AppError> {
    let rows = visible_rows(principal, element, request.tenant_id, request.owner_id)?;
    Ok(match rows {
        Listing::Nothing => Listing::Nothing,
        Listing::Rows(rows) => Listing::Rows(ListQuery {
            tenant_id: rows.tenant_id,
            owner_id: rows.owner_id,
            search: request.search,
            ordering: request.ordering,
            page: request.page,
            per_page: request.per_page,
            filters: request.filters,
        }),
    })
}

/// [`list_query`] for elements whose objects have no owner (roles, rules, grants,
/// invitations): read-all lists the tenant's rows (`owner_id` of the request stays the
/// list's own filter); read-own alone owns nothing.
pub fn ownerless_list_query(
    principal: &Principal,
    element: &str,
    request: ListRequest,
) -> Result<Listing<ListQuery>, AppError> {
    let filter = request.owner_id;
    let query = list_query(
        principal,
        element,
        ListRequest {
            owner_id: None,
            ..request
        },
    )?;
    match (principal.subject.list_scope(element), query) {
        (Ok(Scope::All), Listing::Rows(query)) => Ok(Listing::Rows(ListQuery {
            owner_id: filter,
            ..query
        })),
        _ => Ok(Listing::Nothing),
    }
}

/// May the caller create an object of `element`?
pub fn ensure_create(principal: &Principal, element: &str) -> Result<(), AppError> {
    match principal
        .subject
        .decide(element, Action::Create, None)
        .allowed
    {
        true => Ok(()),
        false => Err(forbidden(element, Action::Create)),
    }
}

/// An existing object, as the guard needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object {
    /// Its id (named in a denial).
    pub id: Uuid,
    /// Its owner.
    pub owner: Owner,
    /// Its tenant.
    pub tenant_id: Uuid,
}

/// An object without an owner (roles, rules, grants, invitations).
pub fn ownerless(id: Uuid, tenant_id: Uuid) -> Object {
    Object {
        id,
        owner: Owner::Nobody,
        tenant_id,
    }
}

/// May the caller `action` this object? Another tenant's objects and those the caller may
/// not read do not exist for them (404); visible ones they may not change are 403.
pub fn ensure_object(
    principal: &Principal,
    element: &str,
    action: Action,
    object: Object,
) -> Result<(), AppError> {
    let superuser = principal.subject.is_superuser();
    if !superuser && object.tenant_id != principal.tenant_id().0 {
        return Err(AppError::NotFound(format!("no such {element}")));
    }
    match principal.subject.visibility(element, action, object.owner) {
        Visibility::Allowed => Ok(()),
        Visibility::Forbidden => Err(Denial::new(element, action.as_str()).on(object.id).into()),
        Visibility::NotFound => Err(AppError::NotFound(format!("no such {element}"))),
    }
}

/// A missing object: 404, unless the caller has no read rule for the element at all (403,
/// as for every route of an element without a rule).
pub fn not_found_or_forbidden(principal: &Principal, element: &str) -> AppError {
    match principal.subject.list_scope(element) {
        Ok(_) => AppError::NotFound(format!("no such {element}")),
        Err(_) => forbidden(element, Action::Read),
    }
}
