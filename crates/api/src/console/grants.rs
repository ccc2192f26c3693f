//! Console pages (to come).

use actix_web::web;

pub(super) fn configure(_cfg: &mut web::ServiceConfig) {}
