//! Roles (list, search, create, rename or re-describe, delete) and the rules matrix: for
//! one role, every business element with the seven flags, each row saved in place through
//! the same rule use cases as `/api/v1/access-rules`, and what the row grants.

use super::form::Form;
use super::page::{done, encode, ok, Allowed, Chrome, Page, Pager};
use super::session::Console;
use super::{all_pages, listing};
use crate::list::QueryMap;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::roles::ROLE_ORDERABLE;
use castellan_application::{RoleInput, RoleRef, RuleInput};
use castellan_domain::rbac::AccessFlags;
use castellan_domain::role::{Role, StoredRule};
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/roles", web::get().to(roles))
        .route("/roles", web::post().to(create_role))
        .route("/roles/{id}", web::post().to(update_role))
        .route("/roles/{id}/delete", web::post().to(delete_role))
        .route("/matrix", web::get().to(matrix))
        .route("/matrix", web::post().to(save_rule));
}

/// The seven flags, in contract order: form field name and column heading.
pub(super) const FLAGS: [(&str, &str); 7] = [
    ("can_read_own", "Read own"),
    ("can_read_all", "Read all"),
    ("can_create", "Create"),
    ("can_update_own", "Update own"),
    ("can_update_all", "Update all"),
    ("can_delete_own", "Delete own"),
    ("can_delete_all", "Delete all"),
];

fn flag_values(flags: &AccessFlags) -> [bool; 7] {
    [
        flags.can_read_own,
        flags.can_read_all,
        flags.can_create,
        flags.can_update_own,
        flags.can_update_all,
        flags.can_delete_own,
        flags.can_delete_all,
    ]
}

/// In words, what a rule with `flags` lets its role's users do.
pub(super) fn grants(flags: &AccessFlags) -> String {
    let scoped = |verb: &str, own: bool, all: bool| match (own, all) {
        (_, true) => Some(format!("{verb} every object")),
        (true, false) => Some(format!("{verb} their own")),
        (false, false) => None,
    };
    let parts: Vec<String> = [
        scoped("read", flags.can_read_own, flags.can_read_all),
        flags.can_create.then(|| "create".to_string()),
        scoped("update", flags.can_update_own, flags.can_update_all),
        scoped("delete", flags.can_delete_own, flags.can_delete_all),
    ]
    .into_iter()
    .flatten()
    .collect();
    match parts.is_empty() {
        true => "nothing".into(),
        false => parts.join(", "),
    }
}

#[derive(Debug, Clone)]
struct RoleRow {
    id: Uuid,
    name: String,
    description: String,
    is_system: bool,
}

impl From<Role> for RoleRow {
    fn from(role: Role) -> Self {
        RoleRow {
            id: role.id,
            name: role.name,
            description: role.description,
            is_system: role.is_system,
        }
    }
}

#[derive(Template)]
#[template(path = "console/roles.html")]
struct RolesPage {
    chrome: Chrome,
    search: String,
    roles: Vec<RoleRow>,
    pager: Pager,
    /// What the caller may do on roles (the rows are read-only without update).
    may: Allowed,
}

/// `GET /console/roles?search=&page=`.
async fn roles(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let request = listing(&query, &ROLE_ORDERABLE, "name")?;
    let (page, per_page, search) = (request.page, request.per_page, request.search.clone());
    let found = state.roles.list_roles(&p, request).await?;
    let search = search.unwrap_or_default();
    ok(&RolesPage {
        chrome: Chrome::new(&req, &p, "Roles"),
        pager: Pager::new(
            req.path(),
            &[("search", search.clone())],
            page,
            per_page,
            found.total,
        ),
        search,
        roles: found.items.into_iter().map(RoleRow::from).collect(),
        may: Allowed::on(&p, "role"),
    })
}

/// `POST /console/roles`.
async fn create_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let input = RoleInput {
        name: form.text("name"),
        description: form.text("description"),
    };
    let role = state
        .roles
        .create_role::<crate::error::ApiError>(&p, Ok(input))
        .await?;
    Ok(done(
        &req,
        "/console/roles",
        &format!("Role {} created.", role.name),
    ))
}

/// `POST /console/roles/{id}`: renames or re-describes the role, as `PATCH /roles/{id}`
/// (a system role keeps its name; its form has no name box). A name left blank is kept; a
/// description left blank is emptied.
async fn update_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    form: Form,
) -> Page {
    let input = RoleInput {
        name: form.text("name"),
        description: form.raw("description").map(|d| d.trim().to_string()),
    };
    let role = state
        .roles
        .update_role::<crate::error::ApiError>(&p, path.into_inner(), Ok(input))
        .await?;
    Ok(done(
        &req,
        "/console/roles",
        &format!("Role {} saved.", role.name),
    ))
}

/// `POST /console/roles/{id}/delete`.
async fn delete_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state.roles.delete_role(&p, path.into_inner()).await?;
    Ok(done(&req, "/console/roles", "Role deleted."))
}

/// One row of the matrix: an element and the role's rule on it.
#[derive(Debug, Clone)]
struct MatrixRow {
    element: String,
    description: String,
    rule_id: Option<Uuid>,
    flags: [bool; 7],
    grants: String,
    /// Whether the caller may save the row (create its rule, or change the one it has).
    savable: bool,
}

#[derive(Template)]
#[template(path = "console/matrix.html")]
struct MatrixPage {
    chrome: Chrome,
    roles: Vec<RoleRow>,
    role: Option<RoleRow>,
    rows: Vec<MatrixRow>,
    flags: [(&'static str, &'static str); 7],
}

/// `GET /console/matrix?role=<id>`: the rules of one role (the first by name by default).
async fn matrix(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let ordered = listing(&QueryMap::new(), &ROLE_ORDERABLE, "name")?;
    let roles: Vec<RoleRow> = all_pages(ordered, |r| state.roles.list_roles(&p, r))
        .await?
        .into_iter()
        .map(RoleRow::from)
        .collect();
    let chosen = query.get("role").and_then(|id| id.parse::<Uuid>().ok());
    let role = roles
        .iter()
        .find(|r| Some(r.id) == chosen)
        .or(roles.first())
        .cloned();
    let rows = match &role {
        Some(role) => rows_of(&state, &p, role.id).await?,
        None => Vec::new(),
    };
    ok(&MatrixPage {
        chrome: Chrome::new(&req, &p, "Rules matrix"),
        roles,
        role,
        rows,
        flags: FLAGS,
    })
}

async fn rows_of(
    state: &AppState,
    p: &castellan_application::Principal,
    role: Uuid,
) -> Result<Vec<MatrixRow>, super::page::ConsoleError> {
    let unordered = listing(&QueryMap::new(), &[], "")?;
    let rules: Vec<StoredRule> = all_pages(unordered, |r| state.roles.list_rules(p, r))
        .await?
        .into_iter()
        .filter(|r| r.rule.role_id == role)
        .collect();
    let elements = state.access.elements().await?;
    let may = Allowed::on(p, "access_rule");
    Ok(elements
        .into_iter()
        .map(|element| {
            let rule = rules.iter().find(|r| r.rule.element == element.key);
            let flags = rule.map(|r| r.rule.flags).unwrap_or_default();
            MatrixRow {
                element: element.key,
                description: element.description,
                rule_id: rule.map(|r| r.rule.id),
                flags: flag_values(&flags),
                grants: grants(&flags),
                savable: match rule {
                    Some(_) => may.update,
                    None => may.create,
                },
            }
        })
        .collect())
}

/// `POST /console/matrix`: one row saved (the rule created when the role had none on the
/// element), exactly as `POST /access-rules` or `PUT /access-rules/{id}` would.
async fn save_rule(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let role_id = form.uuid("role_id")?;
    let flags = FLAGS.map(|(name, _)| Some(form.checked(name)));
    let input = RuleInput {
        id: None,
        role: RoleRef {
            role: None,
            role_id,
        },
        element: form.text("element"),
        flags,
    };
    let saved = match form.uuid("rule_id")? {
        Some(id) => {
            let input = RuleInput {
                role: RoleRef::default(),
                element: None,
                ..input
            };
            state
                .roles
                .update_rule::<crate::error::ApiError>(&p, id, Ok(input), true)
                .await?
        }
        None => {
            state
                .roles
                .create_rule::<crate::error::ApiError>(&p, Ok(input))
                .await?
        }
    };
    let rule = saved.rule;
    let back = format!(
        "/console/matrix?{}",
        encode(&[("role", rule.role_id.to_string())])
    );
    let message = format!(
        "Saved: {} on {} now grants {}.",
        rule.role,
        rule.element,
        grants(&rule.flags)
    );
    Ok(done(&req, &back, &message))
}
