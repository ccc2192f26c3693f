//! Invitations into the caller's tenant: list, invite (the token goes by mail, as with
//! `/api/v1/invitations`) and revoke.

use super::form::Form;
use super::listing;
use super::page::{done, ok, Allowed, Chrome, Page, Pager};
use super::profile::when;
use super::session::Console;
use crate::error::ApiError;
use crate::list::QueryMap;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::InvitationInput;
use castellan_domain::invitation::Invitation;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/invitations", web::get().to(invitations))
        .route("/invitations", web::post().to(invite))
        .route("/invitations/{id}/revoke", web::post().to(revoke));
}

#[derive(Debug, Clone)]
struct InvitationRow {
    id: Uuid,
    email: String,
    role: String,
    expires_at: String,
    state: &'static str,
}

impl From<Invitation> for InvitationRow {
    fn from(i: Invitation) -> Self {
        let state = match (i.accepted_at, i.revoked_at) {
            (Some(_), _) => "accepted",
            (_, Some(_)) => "revoked",
            _ if i.expires_at < chrono::Utc::now() => "expired",
            _ => "pending",
        };
        InvitationRow {
            id: i.id,
            email: i.email,
            role: i.role,
            expires_at: when(i.expires_at),
            state,
        }
    }
}

#[derive(Template)]
#[template(path = "console/invitations.html")]
struct InvitationsPage {
    chrome: Chrome,
    invitations: Vec<InvitationRow>,
    pager: Pager,
    /// What the caller may do on invitations.
    may: Allowed,
}

/// `GET /console/invitations`.
async fn invitations(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    let request = listing(&query, &[], "")?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.invitations.list(&p, p.tenant_id().0, request).await?;
    ok(&InvitationsPage {
        chrome: Chrome::new(&req, &p, "Invitations"),
        pager: Pager::new(req.path(), &[], page, per_page, found.total),
        invitations: found.items.into_iter().map(InvitationRow::from).collect(),
        may: Allowed::on(&p, "invitation"),
    })
}

/// `POST /console/invitations`.
async fn invite(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let input = InvitationInput {
        email: form.text("email"),
        role: form.text("role"),
    };
    let (invitation, _token) = state
        .invitations
        .create::<ApiError>(&p, p.tenant_id().0, Ok(input))
        .await?;
    let message = format!("Invitation mailed to {}.", invitation.email);
    Ok(done(&req, "/console/invitations", &message))
}

/// `POST /console/invitations/{id}/revoke`.
async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state.invitations.revoke(&p, path.into_inner()).await?;
    Ok(done(&req, "/console/invitations", "Invitation revoked."))
}
