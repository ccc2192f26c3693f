//! What every handler can reach.

use castellan_application::AuthService;

/// Shared application state, cloned into every worker.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Authentication use cases.
    pub auth: AuthService,
    /// Version string reported by `/health`.
    pub version: &'static str,
}
