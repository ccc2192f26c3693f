//! The caller's own pages: profile (names, what their roles allow), password change, and
//! sessions (revoke one).

use super::form::Form;
use super::page::{done, ok, Chrome, Page};
use super::session::{keep_tokens, Console};
use crate::extract::client_info;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::{PasswordChangeInput, ProfilePatch};
use castellan_domain::rbac::Scope;
use castellan_domain::SessionId;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/profile", web::get().to(profile))
        .route("/profile", web::post().to(update_profile))
        .route("/password", web::post().to(change_password))
        .route("/sessions", web::get().to(sessions))
        .route("/sessions/{id}/revoke", web::post().to(revoke_session));
}

/// What the caller may do with one element.
#[derive(Debug, Clone)]
struct Permission {
    element: String,
    read: &'static str,
    create: &'static str,
    update: &'static str,
    delete: &'static str,
}

/// `own`, `all` or `—` for a scoped permission.
pub(super) fn scope_label(scope: Option<Scope>) -> &'static str {
    match scope {
        Some(Scope::All) => "all",
        Some(Scope::Own) => "own",
        None => "—",
    }
}

#[derive(Template)]
#[template(path = "console/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    email: String,
    first_name: String,
    last_name: String,
    patronymic: String,
    roles: String,
    superuser: bool,
    permissions: Vec<Permission>,
}

/// `GET /console/profile`.
async fn profile(state: web::Data<AppState>, req: HttpRequest, Console(p): Console) -> Page {
    let (me, permissions) = futures::join!(state.auth.me(&p), state.access.permissions(&p));
    let me = me?;
    let permissions = permissions?
        .into_iter()
        .map(|(element, p)| Permission {
            element,
            read: scope_label(p.read),
            create: if p.create { "yes" } else { "—" },
            update: scope_label(p.update),
            delete: scope_label(p.delete),
        })
        .collect();
    let profile = &me.user.profile;
    ok(&ProfilePage {
        chrome: Chrome::new(&req, &p, "Your profile"),
        email: me.user.email.to_string(),
        first_name: profile.first_name.clone(),
        last_name: profile.last_name.clone(),
        patronymic: profile.patronymic.clone(),
        roles: me.roles.join(", "),
        superuser: me.user.is_superuser,
        permissions,
    })
}

/// `POST /console/profile`: the names.
async fn update_profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let patch = ProfilePatch {
        first_name: form.raw("first_name").map(str::to_string),
        last_name: form.raw("last_name").map(str::to_string),
        patronymic: form.raw("patronymic").map(str::to_string),
    };
    state.auth.update_me(&p, patch).await?;
    Ok(done(&req, "/console/profile", "Profile saved."))
}

/// `POST /console/password`: every session ends; this browser gets the new one.
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let input = PasswordChangeInput {
        current_password: form.raw("current_password").map(str::to_string),
        new_password: form.raw("new_password").map(str::to_string),
        repeat_password: form.raw("repeat_password").map(str::to_string),
    };
    let pair = state
        .auth
        .change_password(&p, input, client_info(&req))
        .await?;
    state.record(|m| m.revoked("all"));
    keep_tokens(&req, &state, &pair);
    Ok(done(
        &req,
        "/console/profile",
        "Password changed; every other session was ended.",
    ))
}

/// One session row.
#[derive(Debug, Clone)]
struct SessionRow {
    id: Uuid,
    created_at: String,
    last_used_at: String,
    ip: String,
    user_agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "console/sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
}

/// A time as the pages show it.
pub(super) fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `GET /console/sessions`.
async fn sessions(state: web::Data<AppState>, req: HttpRequest, Console(p): Console) -> Page {
    let sessions = state
        .auth
        .sessions(&p)
        .await?
        .into_iter()
        .map(|view| SessionRow {
            id: view.session.id.0,
            created_at: when(view.session.created_at),
            last_used_at: when(view.session.last_used_at),
            ip: view.session.ip.unwrap_or_default(),
            user_agent: view.session.user_agent.unwrap_or_default(),
            current: view.current,
        })
        .collect();
    ok(&SessionsPage {
        chrome: Chrome::new(&req, &p, "Your sessions"),
        sessions,
    })
}

/// `POST /console/sessions/{id}/revoke`.
async fn revoke_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state
        .auth
        .revoke_session(&p, SessionId(path.into_inner()))
        .await?;
    state.record(|m| m.revoked("session"));
    Ok(done(&req, "/console/sessions", "Session revoked."))
}
