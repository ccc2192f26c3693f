//! The caller's API keys: list, create (the key shown once, on the answer to the POST,
//! never stored by the browser) and revoke, through the API-key use cases.

use super::form::Form;
use super::listing;
use super::page::{done, ok, Chrome, Page, Pager};
use super::profile::when;
use super::session::Console;
use crate::error::ApiError;
use crate::list::QueryMap;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use askama::Template;
use castellan_application::ApiKeyInput;
use castellan_domain::api_key::ApiKey;
use uuid::Uuid;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api-keys", web::get().to(keys))
        .route("/api-keys", web::post().to(create))
        .route("/api-keys/{id}/revoke", web::post().to(revoke));
}

#[derive(Debug, Clone)]
struct KeyRow {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: String,
    created_at: String,
    last_used_at: String,
}

impl From<ApiKey> for KeyRow {
    fn from(key: ApiKey) -> Self {
        KeyRow {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes.as_strings().join(" "),
            created_at: when(key.created_at),
            last_used_at: key.last_used_at.map(when).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/api_keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    pager: Pager,
    created: Option<(String, String)>,
}

async fn page(
    state: &AppState,
    req: &HttpRequest,
    p: &castellan_application::Principal,
    query: &QueryMap,
    created: Option<(String, String)>,
) -> Page {
    let request = listing(query, &[], "")?;
    let (number, per_page) = (request.page, request.per_page);
    let found = state.api_keys.list(p, request).await?;
    ok(&KeysPage {
        chrome: Chrome::new(req, p, "API keys"),
        pager: Pager::new("/console/api-keys", &[], number, per_page, found.total),
        keys: found.items.into_iter().map(KeyRow::from).collect(),
        created,
    })
}

/// `GET /console/api-keys`.
async fn keys(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    query: web::Query<QueryMap>,
) -> Page {
    page(&state, &req, &p, &query, None).await
}

/// `POST /console/api-keys`: the new key is on this answer only (`Cache-Control:
/// no-store`); reloading the list never shows it again.
async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    form: Form,
) -> Page {
    let scopes: Vec<String> = form
        .text("scopes")
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let input = ApiKeyInput {
        name: form.text("name"),
        scopes: Some(scopes),
        expires_at: None,
    };
    let (key, secret) = state.api_keys.create::<ApiError>(&p, Ok(input)).await?;
    let mut response = page(&state, &req, &p, &QueryMap::new(), Some((key.name, secret))).await?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /console/api-keys/{id}/revoke`.
async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    Console(p): Console,
    path: web::Path<Uuid>,
    _form: Form,
) -> Page {
    state.api_keys.delete(&p, path.into_inner()).await?;
    Ok(done(&req, "/console/api-keys", "API key revoked."))
}
