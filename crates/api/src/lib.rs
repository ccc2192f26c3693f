//! # castellan-api
//!
//! The HTTP face of Castellan: actix-web routes under `/api/v1`, the `{data, errors, meta}`
//! envelope, the one mapping from application errors to HTTP statuses, request IDs and
//! per-request tracing spans, and the OpenAPI document.

pub mod client_ip;
pub mod console;

pub mod envelope;
pub mod error;
pub mod extract;
pub mod list;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
mod resources;
pub mod routes;
pub mod run_to_end;
pub mod state;

pub use openapi::openapi;
pub use routes::app;
pub use state::AppState;
