//! Role grants: who has which role (filtered by user), grant and revoke — through the same
//! use cases as `/api/v1/user-roles`.

use super::form::Form;
use super::page::{done, encode, ok, Allowed, Chrome, Page, Pager};
use super::profile::when;
use super::session::Console;
use super::{all_pages, listing};
use crate::error::ApiError;
use crate::list::{uuid_param, QueryMap};
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::roles::ROLE_ORDERABLE;
use castellan_application::{GrantInput, RoleRef};
use castellan_domain::UserId;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/grants", web::get().to(grants))
        .route("/grants", web::post().to(grant))
        .route("/grants/{id}/revoke", web::post().to(revoke));
}

#[derive(Debug, Clone)]
struct GrantRow {
    id: Uuid,
    user_id: Uuid,
    role: String,
    granted_at: String,
}

#[derive(Template)]
#[template(path = "console/grants.html")]
struct GrantsPage {
    chrome: Chrome,
    user_id: String,
    /// The email of the user the list is filtered by (when the caller may read them).
    email: Option<String>,
    grants: Vec<GrantRow>,
    pager: Pager,
    roles: Vec<String>,
    /// What the caller may do on grants.
    may: Allowed,
}

/// `GET /console/grants?user_id=&page=`.
async fn grants(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let mut request = listing(&query, &[], "")?;
    request.owner_id = uuid_param(&query, "user_id")?;
    let (page, per_page, filtered) = (request.page, request.per_page, request.owner_id);
    let found = state.roles.list_grants(&p, request).await?;
    let roles = all_pages(listing(&QueryMap::new(), &ROLE_ORDERABLE, "name")?, |r| {
        state.roles.list_roles(&p, r)
    })
    .await
    .map(|roles| roles.into_iter().map(|r| r.name).collect())
    .unwrap_or_default();
    let user_id = query.get("user_id").cloned().unwrap_or_default();
    // A name for the id: the filtered user's email, if the caller's rules show it.
    let email = match filtered {
        Some(id) => state.users.get(&p, UserId(id)).await.ok(),
        None => None,
    }
    .map(|view| view.user.email.to_string());
    ok(&GrantsPage {
        chrome: Chrome::new(&req, &p, "Role grants"),
        pager: Pager::new(
            req.path(),
            &[("user_id", user_id.clone())],
            page,
            per_page,
            found.total,
        ),
        user_id,
        email,
        grants: found
            .items
            .into_iter()
            .map(|g| GrantRow {
                id: g.id,
                user_id: g.user_id,
                role: g.role,
                granted_at: when(g.granted_at),
            })
            .collect(),
        roles,
        may: Allowed::on(&p, "user_role"),
    })
}

/// `POST /console/grants`.
async fn grant(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let input = GrantInput {
        user_id: form.uuid("user_id")?,
        role: RoleRef {
            role: form.text("role"),
            role_id: None,
        },
    };
    let grant = state.roles.grant::<ApiError>(&p, Ok(input)).await?;
    // Back to that user's grants, the new one among them.
    let theirs = format!(
        "/console/grants?{}",
        encode(&[("user_id", grant.user_id.to_string())])
    );
    Ok(done(
        &req,
        &theirs,
        &format!("Role {} granted.", grant.role),
    ))
}

/// `POST /console/grants/{id}/revoke`.
async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state.roles.revoke(&p, path.into_inner()).await?;
    Ok(done(&req, "/console/grants", "Grant revoked."))
}
