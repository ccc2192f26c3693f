//! A submitted console form: an `application/x-www-form-urlencoded` body whose CSRF token
//! has been checked before the handler sees anything.

use super::csrf;
use super::page::ConsoleError;
use crate::extract::MAX_BODY_BYTES;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;

/// The fields of a submitted form, in order (a name may repeat: checkboxes).
#[derive(Debug, Clone, Default)]
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The first value of `name` as sent (passwords are not trimmed).
    pub(crate) fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether the checkbox `name` is ticked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// A form of these fields, as a browser would send them (for tests).
    #[cfg(test)]
    pub(crate) fn of(fields: &[(&str, &str)]) -> Self {
        Self(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The UUID in `name` (a 400 naming the field when it is not one).
    pub(crate) fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, ConsoleError> {
        self.text(name).map(|v| v.parse()).transpose().map_err(|_| {
            crate::error::ApiError::field(name, format!("{name} must be a UUID")).into()
        })
    }
}

impl FromRequest for Form {
    type Error = ConsoleError;
    type Future = LocalBoxFuture<'static, Result<Self, ConsoleError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let bytes = web::Bytes::from_request(&req, &mut payload)
                .await
                .map_err(|_| crate::error::ApiError::PayloadTooLarge(MAX_BODY_BYTES))?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|_| crate::error::ApiError::field("body", "not a form"))?;
            let form = Form(fields);
            csrf::verify(&req, form.raw(csrf::FIELD))?;
            Ok(form)
        })
    }
}
