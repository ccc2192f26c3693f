//! Routes and the application factory.

pub(crate) mod access;
pub(crate) mod api_keys;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod credentials;
pub(crate) mod dashboard;
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
use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, Resource, Route};

/// One method of an endpoint and its handler (see [`on`]).
pub(crate) type Verb = (Method, Route);

/// The verbs an [`endpoint`] is built from: `on::get(handler)`, `on::post(handler)`, ...
pub(crate) mod on {
    use super::Verb;
    use actix_web::http::Method;
    use actix_web::{web, FromRequest, Handler, Responder};

    macro_rules! verbs {
        ($($name:ident => $method:ident),*) => {$(
            #[doc = concat!("`", stringify!($method), "` with `handler`.")]
            pub(crate) fn $name<F, Args>(handler: F) -> Verb
            where
                F: Handler<Args>,
                Args: FromRequest + 'static,
                F::Output: Responder + 'static,
            {
                (Method::$method, web::$name().to(handler))
            }
        )*};
    }
    verbs!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);
}

/// A path and its verbs. Any other method answers 405 in the envelope, with the `Allow`
/// header listing the verbs (RFC 9110).
pub(crate) fn endpoint<const N: usize>(path: &str, verbs: [Verb; N]) -> Resource {
    let allow = verbs
        .iter()
        .map(|(method, _)| method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let resource = verbs
        .into_iter()
        .fold(web::resource(path), |resource, (_, route)| {
            resource.route(route)
        });
    resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move { method_not_allowed(req, allow) }
    }))
}

fn method_not_allowed(req: HttpRequest, allow: String) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed {
        method: req.method().to_string(),
        allow,
    })
}

async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound(req.path().to_string()))
}

/// The application of the metrics port (`metrics.bind`): `GET /metrics` and nothing else.
pub fn metrics_app(
    metrics: crate::metrics::Metrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new().route(
        "/metrics",
        web::get().to(move || {
            let metrics = metrics.clone();
            async move { meta::render(&metrics) }
        }),
    )
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
    let console = state.console;
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
                .configure(crate::resources::configure)
                .configure(roles::configure)
                .configure(tenants::configure)
                .configure(invitations::configure)
                .configure(api_keys::configure)
                .configure(credentials::configure)
                .configure(audit::configure)
                .configure(dashboard::configure)
                .configure(meta::configure_v1),
        )
        .configure(|cfg| {
            if console {
                cfg.service(crate::console::scope());
            }
        })
        .default_service(web::to(route_not_found))
        // Innermost first: the limits run inside the request's context (id, span, IP).
        .wrap(crate::rate_limit::EdgeLimits)
        .wrap_fn(request_context)
}
