//! Routes and the application factory.

pub(crate) mod access;
pub(crate) mod articles;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod invitations;
pub(crate) mod meta;
pub(crate) mod roles;
pub(crate) mod tenants;

use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::middleware::request_context;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpRequest, HttpResponse, Resource};

/// A resource whose other methods answer 405 in the envelope.
pub(crate) fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(req.method().to_string()))
}

async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound(req.path().to_string()))
}

/// The whole HTTP application over `state`.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(|err, _| {
            ApiError::App(castellan_application::AppError::NotFound(format!(
                "no such object: {err}"
            )))
            .into()
        }))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| ApiError::field("query", err.to_string()).into()),
        )
        .configure(meta::configure)
        .service(meta::swagger_ui())
        .service(
            web::scope("/api/v1")
                .configure(auth::configure)
                .configure(access::configure)
                .configure(articles::configure)
                .configure(roles::configure)
                .configure(tenants::configure)
                .configure(invitations::configure)
                .configure(audit::configure)
                .configure(meta::configure_v1),
        )
        .default_service(web::to(route_not_found))
        .wrap_fn(request_context)
}
