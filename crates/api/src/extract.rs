//! Extractors: JSON bodies with the contract's error semantics, the authenticated caller,
//! and client information.

use crate::error::ApiError;
use crate::rate_limit;
use crate::run_to_end::run_to_end;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use castellan_application::{AppError, Authenticated, ClientInfo, FieldError, Limited, Principal};
use castellan_ports::scope::{self, DataScope};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tracing::Instrument;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON object body: 415 unless `application/json`, 413 over 64 KiB, 400
/// `malformed_json` when not JSON, 400 `validation_error` when JSON but not an object, when
/// it has a key `T` does not, or when a field has the wrong type (naming the field).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// Whether the request declares a JSON body.
fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads the raw body within the size limit.
async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<web::Bytes, ApiError> {
    web::Bytes::from_request(req, payload).await.map_err(|err| {
        if err.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(MAX_BODY_BYTES)
        } else {
            ApiError::MalformedJson(err.to_string())
        }
    })
}

/// Parses `bytes` as a JSON object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::field(
            "body",
            "request body must be a JSON object",
        )),
    }
}

/// Deserializes an object into `T`, naming the offending field on a type mismatch.
pub fn from_object<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|err| {
        let field = err.path().to_string();
        let message = err.into_inner().to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string();
        if field.is_empty() || field == "." {
            ApiError::field("body", message)
        } else {
            ApiError::field(&field, format!("{field}: {message}"))
        }
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = read_body(&req, &mut payload).await?;
            let map = parse_object(&bytes)?;
            from_body(map).map(JsonBody)
        })
    }
}

/// A JSON object body whose problems are reported only when the handler asks for it, so
/// that authentication (401) and authorization (403/404) are checked before the body (400).
#[derive(Debug)]
pub struct Body(Result<Map<String, Value>, ApiError>);

impl Body {
    /// The object, or the body's problem.
    pub fn object(self) -> Result<Map<String, Value>, ApiError> {
        self.0
    }
}

impl FromRequest for Body {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let read = read_body(&req, &mut payload).await;
            let object = match is_json(&req) {
                false => Err(ApiError::UnsupportedMediaType),
                true => read.and_then(|bytes| parse_object(&bytes)),
            };
            Ok(Body(object))
        })
    }
}

/// The field names of the struct `T` deserializes from, read off its `Deserialize` impl
/// (serde hands them to `deserialize_struct`); `None` when `T` is not a struct.
pub fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    use serde::de::{Error, Visitor};
    use serde::forward_to_deserialize_any;

    struct Recorder<'a>(&'a mut Option<&'static [&'static str]>);

    impl<'de> serde::Deserializer<'de> for Recorder<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = Some(fields);
            Err(Error::custom("fields recorded"))
        }

        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    let mut fields = None;
    let _ = T::deserialize(Recorder(&mut fields));
    fields
}

/// A body object as `T`: any key `T` does not have is a 400 on that key (one error each),
/// a value of the wrong type a 400 on its field.
pub fn from_body<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, ApiError> {
    if let Some(fields) = struct_fields::<T>() {
        only_fields(&map, fields)?;
    }
    from_object(map)
}

/// Refuses every key of `body` outside `allowed` (400, one error per such field).
pub fn only_fields(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    only_fields_in(body, allowed, "")
}

/// [`only_fields`] for an object nested in a body under `prefix` (errors name
/// `prefix.key`).
pub fn only_fields_in(
    body: &Map<String, Value>,
    allowed: &[&str],
    prefix: &str,
) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = body
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|key| {
            let field = match prefix {
                "" => key.clone(),
                prefix => format!("{prefix}.{key}"),
            };
            let message = format!("{field} cannot be set here");
            FieldError::new(field, message)
        })
        .collect();
    match errors.is_empty() {
        true => Ok(()),
        false => Err(ApiError::App(AppError::Validation(errors))),
    }
}

/// An optional JSON object body: an empty body is `None`; otherwise as [`JsonBody`].
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let bytes = read_body(&req, &mut payload).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(None));
            }
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType);
            }
            let map = parse_object(&bytes)?;
            from_body(map).map(|v| OptionalJsonBody(Some(v)))
        })
    }
}

/// What the request presents to authenticate with.
pub(crate) enum Presented {
    /// `Authorization: Bearer <access token>`.
    Token(String),
    /// `Authorization: ApiKey <key>` or `X-API-Key: <key>`.
    Key(String),
}

fn presented(req: &HttpRequest) -> Option<Presented> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some((scheme, value)) = authorization.and_then(|v| v.trim().split_once(' ')) {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(Presented::Token(value.to_string()));
        }
        if scheme.eq_ignore_ascii_case("apikey") {
            return Some(Presented::Key(value.to_string()));
        }
        return None;
    }
    req.headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| Presented::Key(v.to_string()))
}

/// The caller, authenticated by `Authorization: Bearer <access token>`, or by an API key
/// (`Authorization: ApiKey <key>` or `X-API-Key: <key>`); then held to their per-user or
/// per-key rate limit.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(principal) = req.extensions().get::<Principal>() {
            let principal = principal.clone();
            return Box::pin(async move { Ok(Auth(principal)) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = presented(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("state missing".into()))?;
            let credential =
                credential.ok_or(AppError::Unauthenticated("missing bearer token or API key"))?;
            let authenticated = detached_authenticate(&state, credential).await;
            let Authenticated { principal, limit } = match authenticated {
                Ok(authenticated) => authenticated,
                Err(err) => {
                    rate_limit::charge_failed_credential(&state, &req).await?;
                    return Err(err.into());
                }
            };
            admit_caller(&req, &principal, limit)?;
            Ok(Auth(principal))
        })
    }
}

/// Authenticates `credential` to its end even if dropped: actix drops the other
/// extractors' futures when one fails (a bad path parameter, say), and a storage call must
/// never be cancelled halfway.
pub(crate) async fn detached_authenticate(
    state: &AppState,
    credential: Presented,
) -> Result<Authenticated, AppError> {
    let auth = state.auth.clone();
    let lookup = async move {
        match credential {
            Presented::Token(token) => auth.authenticate(&token).await,
            Presented::Key(key) => auth.authenticate_key(&key).await,
        }
    };
    run_to_end(lookup.in_current_span())
        .await
        .map_err(|panicked| AppError::Internal(panicked.to_string()))?
}

/// What follows once the caller is known, for the API and the console alike: the span's
/// ids, the data scope, the principal kept in the request (for the audit of refusals), and
/// the per-user or per-key limit (429 when spent).
pub(crate) fn admit_caller(
    req: &HttpRequest,
    principal: &Principal,
    limit: Option<Limited>,
) -> Result<(), ApiError> {
    let span = tracing::Span::current();
    span.record("user_id", tracing::field::display(principal.user_id()));
    span.record("tenant_id", tracing::field::display(principal.tenant_id()));
    if !principal.subject.is_superuser() {
        // From here on this request's queries see only the caller's tenant, also to
        // PostgreSQL's row-level security.
        scope::narrow(DataScope::Tenant(principal.tenant_id().0));
    }
    req.extensions_mut().insert(principal.clone());
    if let Some(Limited { quota, decision }) = limit {
        let name = match principal.api_key() {
            Some(_) => "key",
            None => "user",
        };
        rate_limit::admit(req, rate_limit::Applied::new(name, quota, decision))?;
    }
    Ok(())
}

/// 403 when the request presents an API key: the public `/auth/*` routes (login,
/// registration, refresh, password reset) are a person's, never a key's.
pub fn refuse_api_key(req: &HttpRequest) -> Result<(), ApiError> {
    match presented(req) {
        Some(Presented::Key(_)) => Err(AppError::Forbidden(
            castellan_application::Denial::new("account", "manage")
                .because("an API key cannot manage accounts, sessions or passwords"),
        )
        .into()),
        _ => Ok(()),
    }
}

/// [`Auth`] for the routes a person manages their account, sessions and keys on: an API
/// key gets 403 before anything else (the body included) is looked at.
#[derive(Debug, Clone)]
pub struct PersonAuth(pub Principal);

impl FromRequest for PersonAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        Box::pin(async move {
            let Auth(principal) = auth.await?;
            principal.token("account")?;
            Ok(PersonAuth(principal))
        })
    }
}

/// The caller when a credential is sent (a bad one is still 401), `None` without one.
#[derive(Debug, Clone)]
pub struct OptionalAuth(pub Option<Principal>);

impl FromRequest for OptionalAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        if !headers.contains_key(header::AUTHORIZATION) && !headers.contains_key("x-api-key") {
            return Box::pin(async { Ok(OptionalAuth(None)) });
        }
        let auth = Auth::from_request(req, payload);
        Box::pin(async move { auth.await.map(|Auth(p)| OptionalAuth(Some(p))) })
    }
}

/// Where the request came from.
pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        ip: crate::client_ip::of(req).map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Pair {
        first: Option<String>,
        #[serde(rename = "second_one")]
        second: Option<u32>,
    }

    #[test]
    fn struct_fields_reads_the_names_serde_accepts() {
        assert_eq!(struct_fields::<Pair>(), Some(&["first", "second_one"][..]));
        assert_eq!(struct_fields::<Map<String, Value>>(), None);
        assert_eq!(struct_fields::<String>(), None);
    }

    #[test]
    fn from_body_names_every_unknown_key_and_wrong_type() {
        let body = |v: Value| v.as_object().cloned().unwrap_or_default();
        let err =
            from_body::<Pair>(body(serde_json::json!({"first": "a", "x": 1, "y": 2}))).unwrap_err();
        let ApiError::App(AppError::Validation(errors)) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["x", "y"]);
        let err = from_body::<Pair>(body(serde_json::json!({"second_one": "two"}))).unwrap_err();
        assert!(format!("{err:?}").contains("second_one"), "{err:?}");
        let pair: Pair = from_body(body(serde_json::json!({"first": "a"}))).unwrap();
        assert_eq!(pair.first.as_deref(), Some("a"));
    }
}
