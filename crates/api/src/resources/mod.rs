//! Every business resource's routes, generated from its declaration: `GET, POST
//! /<plural>` and `GET, PUT, PATCH, DELETE /<plural>/{id}` for each resource of
//! `castellan_domain::resources::ALL`, with their OpenAPI description ([`openapi`]).
//! The handlers only parse and map: the guarded use case decides.

pub(crate) mod openapi;

use crate::envelope::{ok, ok_page, respond};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Auth, Body};
use crate::list::{resource_request, QueryMap};
use crate::routes::{endpoint, on, Routes};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use castellan_application::AppError;
use castellan_domain::resource::ResourceDef;
use castellan_domain::resources::ALL;
use std::future::{ready, Ready};
use uuid::Uuid;

/// The declaration of the resource a route serves (attached to its routes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Declared(&'static ResourceDef);

impl FromRequest for Declared {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.app_data::<Declared>().copied().ok_or_else(|| {
            AppError::Internal("a resource route without its declaration".into()).into()
        }))
    }
}

/// Registers the routes of every declared resource.
pub(crate) fn configure(cfg: &mut Routes) {
    for &def in ALL {
        let collection = format!("/{}", def.plural);
        let item = format!("/{}/{{id}}", def.plural);
        cfg.service(
            endpoint(&collection, [on::get(list), on::post(create)]).app_data(Declared(def)),
        )
        .service(
            endpoint(
                &item,
                [
                    on::get(get),
                    on::put(update::<true>),
                    on::patch(update::<false>),
                    on::delete(delete),
                ],
            )
            .app_data(Declared(def)),
        );
    }
}

async fn list(
    state: web::Data<AppState>,
    Declared(def): Declared,
    Auth(principal): Auth,
    query: web::Query<QueryMap>,
) -> ApiResult {
    let request = resource_request(&query, def)?;
    let (page, per_page) = (request.page, request.per_page);
    let found = state.resources.list(&principal, def, request).await?;
    let items = found.items.iter().map(|r| r.to_json(def)).collect();
    Ok(ok_page(items, page, per_page, found.total))
}

async fn create(
    state: web::Data<AppState>,
    Declared(def): Declared,
    Auth(principal): Auth,
    body: Body,
) -> ApiResult {
    let record = state
        .resources
        .create(&principal, def, body.object())
        .await?;
    Ok(respond(StatusCode::CREATED, record.to_json(def)))
}

async fn get(
    state: web::Data<AppState>,
    Declared(def): Declared,
    Auth(principal): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    let record = state
        .resources
        .get(&principal, def, id.into_inner())
        .await?;
    Ok(ok(record.to_json(def)))
}

/// `PUT` (`REPLACE`: every field anew) and `PATCH` (the fields sent).
async fn update<const REPLACE: bool>(
    state: web::Data<AppState>,
    Declared(def): Declared,
    Auth(principal): Auth,
    id: web::Path<Uuid>,
    body: Body,
) -> ApiResult {
    let record = state
        .resources
        .update(&principal, def, id.into_inner(), body.object(), REPLACE)
        .await?;
    Ok(ok(record.to_json(def)))
}

async fn delete(
    state: web::Data<AppState>,
    Declared(def): Declared,
    Auth(principal): Auth,
    id: web::Path<Uuid>,
) -> ApiResult {
    state
        .resources
        .delete(&principal, def, id.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
