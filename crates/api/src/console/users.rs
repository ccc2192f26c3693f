//! Users of the caller's tenant: list and search, create (with roles), one user's page
//! (their names changed there), deactivate and reactivate — through the same
//! user-administration use cases as `/api/v1/users`.

use super::form::Form;
use super::page::{done, ok, Chrome, Page, Pager};
use super::profile::when;
use super::session::Console;
use super::{all_pages, listing};
use crate::error::ApiError;
use crate::list::QueryMap;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::roles::ROLE_ORDERABLE;
use castellan_application::users::{ELEMENT, ORDERABLE};
use castellan_application::{NewUserInput, Principal, UserPatch, UserView};
use castellan_domain::rbac::{Action, Subject};
use castellan_domain::UserId;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(users))
        .route("/users", web::post().to(create))
        .route("/users/{id}", web::get().to(user))
        .route("/users/{id}", web::post().to(rename))
        .route("/users/{id}/deactivate", web::post().to(deactivate))
        .route("/users/{id}/reactivate", web::post().to(reactivate));
}

#[derive(Debug, Clone)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    roles: String,
    active: bool,
    created_at: String,
    /// Whether the caller's rules let them deactivate this user (delete on `user`).
    may_deactivate: bool,
    /// Whether they let them reactivate this user (update on `user`).
    may_reactivate: bool,
}

impl UserRow {
    /// The row of `view` as `subject` may act on it.
    fn new(view: UserView, subject: &Subject) -> Self {
        let profile = &view.user.profile;
        let id = view.user.id.0;
        UserRow {
            may_deactivate: subject.allows(ELEMENT, Action::Delete, Some(id)),
            may_reactivate: subject.allows(ELEMENT, Action::Update, Some(id)),
            id,
            email: view.user.email.to_string(),
            name: format!("{} {}", profile.first_name, profile.last_name)
                .trim()
                .to_string(),
            roles: view.roles.join(", "),
            active: view.user.is_active,
            created_at: when(view.user.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    chrome: Chrome,
    search: String,
    users: Vec<UserRow>,
    pager: Pager,
    roles: Vec<String>,
    /// Whether each row links to the user's grants (the caller may list grants).
    grants_link: bool,
    /// Whether the caller may create users (the new-user form).
    may_create: bool,
}

/// `GET /console/users?search=&page=`.
async fn users(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let request = listing(&query, &ORDERABLE, "email")?;
    let (page, per_page, search) = (request.page, request.per_page, request.search.clone());
    let found = state.users.list(&p, request).await?;
    // The create form offers the roles the caller can see (none: the default role).
    let roles = all_pages(listing(&QueryMap::new(), &ROLE_ORDERABLE, "name")?, |r| {
        state.roles.list_roles(&p, r)
    })
    .await
    .map(|roles| roles.into_iter().map(|r| r.name).collect())
    .unwrap_or_default();
    let search = search.unwrap_or_default();
    ok(&UsersPage {
        chrome: Chrome::new(&req, &p, "Users"),
        pager: Pager::new(
            req.path(),
            &[("search", search.clone())],
            page,
            per_page,
            found.total,
        ),
        search,
        users: found
            .items
            .into_iter()
            .map(|view| UserRow::new(view, &p.subject))
            .collect(),
        roles,
        grants_link: may_list_grants(&p),
        may_create: p.subject.allows(ELEMENT, Action::Create, None),
    })
}

#[derive(Template)]
#[template(path = "console/user.html")]
struct UserPage {
    chrome: Chrome,
    id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    patronymic: String,
    roles: String,
    active: bool,
    created_at: String,
    /// Whether the caller may change this user (the names form).
    may_update: bool,
    /// Whether the page links to the user's grants (the caller may list grants).
    grants_link: bool,
}

/// `GET /console/users/{id}`: one user, their names editable with update rights.
async fn user(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
) -> Page {
    let view = state.users.get(&p, UserId(path.into_inner())).await?;
    let (user, profile) = (&view.user, &view.user.profile);
    ok(&UserPage {
        chrome: Chrome::new(&req, &p, format!("User {}", user.email)),
        id: user.id.0,
        email: user.email.to_string(),
        first_name: profile.first_name.clone(),
        last_name: profile.last_name.clone(),
        patronymic: profile.patronymic.clone(),
        roles: view.roles.join(", "),
        active: user.is_active,
        created_at: when(user.created_at),
        may_update: p.subject.allows(ELEMENT, Action::Update, Some(user.id.0)),
        grants_link: may_list_grants(&p),
    })
}

/// `POST /console/users/{id}`: the user's names, as `PATCH /users/{id}` (audited as
/// `user.update`); a box left blank empties that name.
async fn rename(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    form: Form,
) -> Page {
    let id = path.into_inner();
    let patch = UserPatch {
        first_name: form.raw("first_name").map(str::to_string),
        last_name: form.raw("last_name").map(str::to_string),
        patronymic: form.raw("patronymic").map(str::to_string),
        is_active: None,
    };
    let user = state
        .users
        .update::<ApiError>(&p, UserId(id), Ok(patch))
        .await?;
    Ok(done(
        &req,
        &format!("/console/users/{id}"),
        &format!("User {} saved.", user.user.email),
    ))
}

/// Whether the caller may list grants (the links to a user's grants).
fn may_list_grants(p: &Principal) -> bool {
    p.subject.list_scope("user_role").is_ok()
}

/// `POST /console/users`.
async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let roles = form.all("roles");
    let input = NewUserInput {
        email: form.text("email"),
        password: form.raw("password").map(str::to_string),
        first_name: form.text("first_name"),
        last_name: form.text("last_name"),
        roles: (!roles.is_empty()).then_some(roles),
    };
    let user = state.users.create::<ApiError>(&p, Ok(input)).await?;
    Ok(done(
        &req,
        "/console/users",
        &format!("User {} created.", user.user.email),
    ))
}

/// `POST /console/users/{id}/deactivate`: inactive, every session revoked.
async fn deactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state.users.delete(&p, UserId(path.into_inner())).await?;
    Ok(done(&req, "/console/users", "User deactivated."))
}

/// `POST /console/users/{id}/reactivate`: active again (`PATCH /users/{id}` with
/// `is_active: true`, audited as `user.update`). Its old sessions stay revoked: the user
/// logs in anew.
async fn reactivate(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    let patch = UserPatch {
        is_active: Some(true),
        ..UserPatch::default()
    };
    let user = state
        .users
        .update::<ApiError>(&p, UserId(path.into_inner()), Ok(patch))
        .await?;
    Ok(done(
        &req,
        "/console/users",
        &format!("User {} reactivated.", user.user.email),
    ))
}
