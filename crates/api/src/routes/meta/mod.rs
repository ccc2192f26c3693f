//! Health, readiness, JWKS, the OpenAPI document and Swagger UI.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ErrorBody};
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use castellan_application::AppError;
use dto::{CheckDto, HealthDto, ReadyChecksDto, ReadyDto};
use std::time::Instant;
use utoipa_swagger_ui::SwaggerUi;

/// The routes outside `/api/v1`.
pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/.well-known/jwks.json", [on::get(jwks)]))
        .service(endpoint("/metrics", [on::get(metrics)]));
}

/// Where Swagger UI lives.
const DOCS: &str = "/api/v1/docs";

pub(super) fn configure_v1(cfg: &mut Routes) {
    cfg.service(endpoint("/health", [on::get(health)]))
        .service(endpoint("/ready", [on::get(ready)]))
        .service(endpoint("/schema", [on::get(schema)]))
        .service(endpoint("/docs", [on::get(docs)]))
        // Swagger UI's page and assets under DOCS/, in the same scope: matched only for
        // paths under /docs (its pattern is a regex).
        .attach("/docs", swagger_ui());
}

fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::from("/api/v1/schema")
}

/// Swagger UI at `/api/v1/docs/`, assets served from the binary (works offline); its path
/// is relative to the `/api/v1/docs` scope.
fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/{_:.*}").config(swagger_config())
}

/// Swagger UI at `/api/v1/docs` (no trailing slash), directly: the same page, its relative
/// asset links anchored at `/api/v1/docs/` by a `<base>` element.
async fn docs() -> Result<HttpResponse, crate::error::ApiError> {
    let page = utoipa_swagger_ui::serve("index.html", std::sync::Arc::new(swagger_config()))
        .ok()
        .flatten()
        .ok_or_else(|| AppError::Internal("Swagger UI's index.html is missing".into()))?;
    let html = String::from_utf8_lossy(&page.bytes).replacen(
        "<head>",
        &format!("<head><base href=\"{DOCS}/\">"),
        1,
    );
    Ok(HttpResponse::Ok()
        .content_type(page.content_type)
        .body(html))
}

/// Liveness.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, description = "The process is up", body = inline(crate::envelope::Envelope<HealthDto>))))]
pub(crate) async fn health(state: web::Data<AppState>) -> HttpResponse {
    ok(HealthDto {
        status: "ok",
        version: state.version,
    })
}

async fn timed<F: std::future::Future<Output = Result<(), AppError>>>(
    check: F,
) -> (bool, CheckDto) {
    let started = Instant::now();
    let healthy = check.await.is_ok();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let status = if healthy { "ok" } else { "down" };
    (healthy, CheckDto { status, latency_ms })
}

/// Readiness: the database and the token store answer.
#[utoipa::path(get, path = "/api/v1/ready", tag = "meta",
    responses(
        (status = 200, description = "Ready", body = inline(crate::envelope::Envelope<ReadyDto>)),
        (status = 503, description = "A check failed; `data` holds every check and `errors` names each failing one in `field`", body = inline(crate::envelope::Envelope<ReadyDto>)),
    ))]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let ((db_ok, database), (store_ok, token_store)) = futures::join!(
        timed(state.auth.check_database()),
        timed(state.auth.check_token_store())
    );
    let mut errors = Vec::new();
    for (healthy, name) in [(db_ok, "database"), (store_ok, "token_store")] {
        if !healthy {
            errors.push(ErrorBody {
                code: "service_unavailable",
                message: format!("{name} is unavailable").into(),
                field: Some(name.into()),
            });
        }
    }
    let all_ok = errors.is_empty();
    let data = ReadyDto {
        status: if all_ok { "ok" } else { "down" },
        checks: ReadyChecksDto {
            database,
            token_store,
        },
    };
    if all_ok {
        ok(data)
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "data": data, "errors": errors }))
    }
}

/// The token-signing public keys (RFC 7517).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "meta",
    responses((status = 200, description = "JWK set (raw, no envelope)", body = Object)))]
pub(crate) async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.auth.codec().jwks())
}

/// Prometheus metrics (text format 0.0.4; no auth, never rate-limited). 404 when
/// `metrics.enabled` is off or when they are served on `metrics.bind` instead.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses(
        (status = 200, description = "The metrics (raw text, no envelope)", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 404, description = "Metrics are off, or served on `metrics.bind`", body = crate::envelope::ErrorEnvelope),
    ))]
pub(crate) async fn metrics(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, crate::error::ApiError> {
    match (&state.metrics, state.metrics_on_main_port) {
        (Some(metrics), true) => Ok(render(metrics)),
        _ => Err(crate::error::ApiError::RouteNotFound(
            req.path().to_string(),
        )),
    }
}

/// The exposition of `metrics` as a response.
pub(crate) fn render(metrics: &crate::metrics::Metrics) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

/// The OpenAPI 3.1 document (raw JSON).
#[utoipa::path(get, path = "/api/v1/schema", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub(crate) async fn schema() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::openapi())
}
