//! `/business-elements` and `/authz/check`.

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, ok_list, Envelope, ErrorEnvelope, ListEnvelope, TotalMeta};
use crate::error::{ApiError, ApiResult};
use crate::extract::{from_body, Auth, Body};
use crate::state::AppState;
use actix_web::web;
use castellan_application::CheckInput;
use dto::{BatchCheckDto, BatchCheckRequest, BusinessElementDto, CheckRequest, DecisionDto};
use serde_json::Value;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/business-elements", [on::get(elements)]))
        .service(endpoint("/authz/check", [on::post(check)]));
}

/// The business-element catalog.
#[utoipa::path(get, path = "/api/v1/business-elements", tag = "access", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every element, by key", body = ListEnvelope<BusinessElementDto, TotalMeta>),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
    ))]
pub(crate) async fn elements(state: web::Data<AppState>, Auth(_): Auth) -> ApiResult {
    let elements = state.access.elements().await?;
    Ok(ok_list(
        elements.into_iter().map(BusinessElementDto::from).collect(),
    ))
}

fn input(check: CheckRequest) -> CheckInput {
    CheckInput {
        element: check.element,
        action: check.action,
        owner_id: check.owner_id,
        user_id: check.user_id,
    }
}

/// May a user do an action on an element (or on an object owned by someone)? Answers with
/// the explanation; the same evaluator the routes use, so it never disagrees with them.
/// Send one question, or `{checks: [...]}` for several (answers in the same order).
#[utoipa::path(post, path = "/api/v1/authz/check", tag = "access", security(("bearer" = [])),
    request_body(content = CheckRequest, description = "One question, or `BatchCheckRequest` `{checks: [...]}`"),
    responses(
        (status = 200, description = "The decision (or `{results: [...]}` for a batch)", body = Envelope<DecisionDto>),
        (status = 400, description = "Unknown element or action, or a `user_id` the caller cannot see (batch: `checks.N.field`)", body = ErrorEnvelope),
        (status = 401, description = "Not authenticated", body = ErrorEnvelope),
        (status = 403, description = "`user_id` of another user without read on `user_role`", body = ErrorEnvelope),
    ))]
pub(crate) async fn check(
    state: web::Data<AppState>,
    Auth(principal): Auth,
    body: Body,
) -> ApiResult {
    let body = body.object()?;
    if body.contains_key("checks") {
        if !matches!(body.get("checks"), Some(Value::Array(_))) {
            return Err(ApiError::field(
                "checks",
                "checks must be an array of questions",
            ));
        }
        let batch: BatchCheckRequest = from_body(body)?;
        let questions = batch.checks.into_iter().map(input).collect();
        let decisions = state.access.check(&principal, questions, true).await?;
        return Ok(ok(BatchCheckDto {
            results: decisions.into_iter().map(DecisionDto::from).collect(),
        }));
    }
    let single: CheckRequest = from_body(body)?;
    let mut decisions = state
        .access
        .check(&principal, vec![input(single)], false)
        .await?;
    let decision = decisions
        .pop()
        .ok_or_else(|| castellan_application::AppError::Internal("no decision".into()))?;
    Ok(ok(DecisionDto::from(decision)))
}
