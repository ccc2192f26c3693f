//! `/dashboard`: a tenant's live figures (the DIIP seed's admin dashboard).

pub(crate) mod dto;

use super::{endpoint, on, Routes};
use crate::envelope::{ok, Envelope, ErrorEnvelope};
use crate::error::ApiResult;
use crate::extract::Auth;
use crate::list::{uuid_param, QueryMap};
use crate::state::AppState;
use actix_web::web;
use dto::DashboardDto;

pub(super) fn configure(cfg: &mut Routes) {
    cfg.service(endpoint("/dashboard", [on::get(show)]));
}

/// The caller's tenant's figures, from aggregate queries; the audit block from the last
/// background verification of the chain. Needs read-all on `dashboard`.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", security(("bearer" = [])),
    params(("tenant_id" = Option<Uuid>, Query, description = "Superusers only: another tenant (from anyone else: 400)")),
    responses(
        (status = 200, description = "The figures", body = Envelope<DashboardDto>),
        (status = 403, description = "No read-all rule on `dashboard`", body = ErrorEnvelope),
        (status = 404, description = "No such tenant (superusers naming one)", body = ErrorEnvelope),
    ))]
pub(crate) async fn show(
    state: web::Data<AppState>,
    Auth(p): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let tenant = uuid_param(&query, "tenant_id")?;
    let dashboard = state.dashboard.show(&p, tenant).await?;
    Ok(ok(DashboardDto::from(dashboard)))
}
