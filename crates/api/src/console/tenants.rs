//! Tenants, for superusers: list and create (with the first admin), through the same use
//! cases as `/api/v1/tenants` (which refuse anyone else).

use super::form::Form;
use super::listing;
use super::page::{done, ok, Chrome, Page, Pager};
use super::profile::when;
use super::session::Console;
use crate::error::ApiError;
use crate::list::QueryMap;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::TenantInput;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(tenants))
        .route("/tenants", web::post().to(create));
}

#[derive(Debug, Clone)]
struct TenantRow {
    name: String,
    slug: String,
    active: bool,
    created_at: String,
}

#[derive(Template)]
#[template(path = "console/tenants.html")]
struct TenantsPage {
    chrome: Chrome,
    tenants: Vec<TenantRow>,
    pager: Pager,
}

/// `GET /console/tenants`.
async fn tenants(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let request = listing(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.tenants.list(&p, request).await?;
    ok(&TenantsPage {
        chrome: Chrome::new(&req, &p, "Tenants"),
        pager: Pager::new(req.path(), &[], page, per_page, found.total),
        tenants: found
            .items
            .into_iter()
            .map(|t| TenantRow {
                name: t.name,
                slug: t.slug,
                active: t.is_active,
                created_at: when(t.created_at),
            })
            .collect(),
    })
}

/// `POST /console/tenants`.
async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let input = TenantInput {
        name: form.text("name"),
        slug: form.text("slug"),
        admin_email: form.text("admin_email"),
        admin_password: form.raw("admin_password").map(str::to_string),
        admin_first_name: form.text("admin_first_name"),
        admin_last_name: form.text("admin_last_name"),
    };
    let (tenant, _) = state
        .tenants
        .create::<ApiError>(Some(&p), Ok(input))
        .await?;
    Ok(done(
        &req,
        "/console/tenants",
        &format!("Tenant {} created.", tenant.name),
    ))
}
