//! Structured logs via `tracing`: JSON lines carrying the request span's fields
//! (request_id, user_id, tenant_id) on every event of a request.

use crate::settings::LogSettings;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once per process).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if settings.format == "json" {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init()
    } else {
        builder.try_init()
    };
    // Already installed (tests start several servers in one process): keep the first.
    drop(result);
}
