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
use actix_web::dev::HttpServiceFactory;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, Resource, Route, Scope};

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

/// A path and its verbs (see [`endpoint`]), ready to join its [`Routes`] scope.
pub(crate) struct Endpoint {
    /// The whole path (`/roles/{id}`).
    path: String,
    /// The path's first segment (`/roles` of `/roles/{id}`): the scope it is served in.
    scope: String,
    /// The rest of the path and its verbs.
    resource: Resource,
}

/// An endpoint's route template as served (`/api/v1/roles/{id}`), in its resource's data:
/// the metrics' `route` label, read per request instead of matching the path against the
/// route table again (`HttpRequest::match_pattern`, which also allocates the answer).
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplate(pub(crate) std::rc::Rc<str>);

impl Endpoint {
    /// Data for this endpoint's handlers (as [`Resource::app_data`]).
    pub(crate) fn app_data<U: 'static>(self, data: U) -> Self {
        Self {
            resource: self.resource.app_data(data),
            ..self
        }
    }
}

/// A path and its verbs. Any other method answers 405 in the envelope, with the `Allow`
/// header listing the verbs (RFC 9110).
pub(crate) fn endpoint<const N: usize>(path: &str, verbs: [Verb; N]) -> Endpoint {
    let allow = verbs
        .iter()
        .map(|(method, _)| method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (scope, rest) = split_first_segment(path);
    let resource = verbs
        .into_iter()
        .fold(web::resource(rest), |resource, (_, route)| {
            resource.route(route)
        });
    let resource = resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move { method_not_allowed(req, allow) }
    }));
    Endpoint {
        path: path.to_string(),
        scope: scope.to_string(),
        resource,
    }
}

/// `/roles/{id}` → (`/roles`, `/{id}`); `/roles` → (`/roles`, ``).
fn split_first_segment(path: &str) -> (&str, &str) {
    let end = path
        .get(1..)
        .and_then(|rest| rest.find('/'))
        .map_or(path.len(), |i| i + 1);
    path.split_at(end)
}

/// The API's endpoints, one actix scope per first path segment: a request is matched
/// against a dozen scope prefixes and then its scope's few routes, rather than against
/// every route's pattern in turn (~100 of them, most with a regex).
pub(crate) struct Routes {
    /// Where the scopes are mounted (`/api/v1`, or empty at the root).
    mount: &'static str,
    scopes: Vec<(String, Scope)>,
}

impl Routes {
    /// Routes to be registered under `mount` (empty: at the root).
    pub(crate) fn under(mount: &'static str) -> Self {
        Self {
            mount,
            scopes: Vec::new(),
        }
    }

    /// Adds `endpoint` to its scope (routes keep their order within a scope: the first
    /// that matches serves).
    pub(crate) fn service(&mut self, endpoint: Endpoint) -> &mut Self {
        let template = RouteTemplate(format!("{}{}", self.mount, endpoint.path).into());
        let resource = endpoint.resource.app_data(template);
        self.attach(&endpoint.scope, resource)
    }

    /// Adds any other service to the scope `prefix`, after its endpoints so far.
    pub(crate) fn attach<F: HttpServiceFactory + 'static>(
        &mut self,
        prefix: &str,
        service: F,
    ) -> &mut Self {
        let index = match self.scopes.iter().position(|(p, _)| p == prefix) {
            Some(index) => index,
            None => {
                self.scopes.push((prefix.to_string(), web::scope(prefix)));
                self.scopes.len() - 1
            }
        };
        let scope = &mut self.scopes[index].1;
        let built = std::mem::replace(scope, web::scope(prefix));
        *scope = built.service(service);
        self
    }

    /// Registers the scopes on `cfg`.
    fn register(self, cfg: &mut web::ServiceConfig) {
        for (_, scope) in self.scopes {
            cfg.service(scope);
        }
    }
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

/// Where [`api_v1`] is mounted.
const API_V1: &str = "/api/v1";

/// Every endpoint under [`API_V1`].
fn api_v1() -> Routes {
    let mut routes = Routes::under(API_V1);
    let modules: [fn(&mut Routes); 11] = [
        auth::configure,
        access::configure,
        crate::resources::configure,
        roles::configure,
        tenants::configure,
        invitations::configure,
        api_keys::configure,
        credentials::configure,
        audit::configure,
        dashboard::configure,
        meta::configure_v1,
    ];
    for configure in modules {
        configure(&mut routes);
    }
    routes
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
        .configure(|cfg| {
            let mut routes = Routes::under("");
            meta::configure(&mut routes);
            routes.register(cfg);
        })
        .service(web::scope(API_V1).configure(|cfg| api_v1().register(cfg)))
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

#[cfg(test)]
mod tests {
    use super::split_first_segment;

    #[test]
    fn paths_split_at_their_first_segment() {
        assert_eq!(split_first_segment("/roles/{id}"), ("/roles", "/{id}"));
        assert_eq!(split_first_segment("/roles"), ("/roles", ""));
        assert_eq!(
            split_first_segment("/auth/password-reset/confirm"),
            ("/auth", "/password-reset/confirm")
        );
        assert_eq!(split_first_segment("/"), ("/", ""));
        assert_eq!(split_first_segment(""), ("", ""));
    }
}
