//! The one way every guarded resource asks the evaluator: list scoping, create, and the
//! 403-versus-404 answer for one object. A resource module supplies its element key and
//! the owner and tenant of the object; everything else is here.

use crate::auth::Principal;
use crate::error::{AppError, Denial};
use castellan_domain::rbac::{Action, Scope, Visibility};
use castellan_ports::{ListQuery, Ordering};
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
    /// `?owner_id=` filter.
    pub owner_id: Option<Uuid>,
    /// `?tenant_id=` filter (superusers only).
    pub tenant_id: Option<Uuid>,
}

fn forbidden(element: &str, action: Action) -> AppError {
    Denial::new(element, action.as_str()).into()
}

/// Turns a list request into the rows the caller may see: the caller's tenant (superusers:
/// every tenant, or the one they filter on), and only their own rows with read-own.
pub fn list_query(
    principal: &Principal,
    element: &str,
    request: ListRequest,
) -> Result<ListQuery, AppError> {
    let scope = principal
        .subject
        .list_scope(element)
        .map_err(|_| forbidden(element, Action::Read))?;
    let superuser = principal.subject.is_superuser();
    if request.tenant_id.is_some() && !superuser {
        return Err(AppError::field(
            "tenant_id",
            "only superusers may filter by tenant",
        ));
    }
    let tenant_id = match superuser {
        true => request.tenant_id,
        false => Some(principal.tenant_id().0),
    };
    let own = principal.user_id().0;
    let owner_id = match (scope, request.owner_id) {
        (Scope::All, filter) => filter,
        // Own scope: the filter can only narrow to the caller (or to nothing).
        (Scope::Own, Some(other)) if other != own => Some(Uuid::nil()),
        (Scope::Own, _) => Some(own),
    };
    Ok(ListQuery {
        tenant_id,
        owner_id,
        search: request.search,
        ordering: request.ordering,
        page: request.page,
        per_page: request.per_page,
    })
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

/// May the caller `action` this object (`id`, owned by `owner_id`, in `tenant_id`)? Another tenant's objects and those the caller may
/// not read do not exist for them (404); visible ones they may not change are 403.
pub fn ensure_object(
    principal: &Principal,
    element: &str,
    action: Action,
    (id, owner_id, tenant_id): (Uuid, Uuid, Uuid),
) -> Result<(), AppError> {
    let superuser = principal.subject.is_superuser();
    if !superuser && tenant_id != principal.tenant_id().0 {
        return Err(AppError::NotFound(format!("no such {element}")));
    }
    match principal.subject.visibility(element, action, owner_id) {
        Visibility::Allowed => Ok(()),
        Visibility::Forbidden => Err(Denial::new(element, action.as_str()).on(id).into()),
        Visibility::NotFound => Err(AppError::NotFound(format!("no such {element}"))),
    }
}

/// [`list_query`] for resources without an owner (roles, rules, grants): read-all lists the
/// tenant's rows; read-own alone owns nothing, so the list is empty (`None`).
pub fn ownerless_list_query(
    principal: &Principal,
    element: &str,
    request: ListRequest,
) -> Result<Option<ListQuery>, AppError> {
    let filter = request.owner_id;
    let query = list_query(principal, element, request)?;
    match principal.subject.list_scope(element) {
        Ok(Scope::All) => Ok(Some(ListQuery {
            owner_id: filter,
            ..query
        })),
        _ => Ok(None),
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
