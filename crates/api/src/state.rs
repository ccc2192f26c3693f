//! What every handler can reach.

use castellan_application::{
    AccessService, ApiKeyService, AuditService, AuthService, DashboardService, InvitationService,
    ResourceService, RoleService, TenantService, UserAdminService, VaultService,
};
use castellan_ports::Outbox;
use std::sync::Arc;

impl AppState {
    /// Records something in the metrics, when they are on.
    pub fn record(&self, what: impl FnOnce(&crate::metrics::Metrics)) {
        if let Some(metrics) = &self.metrics {
            what(metrics);
        }
    }
}

/// Shared application state, cloned into every worker.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Authentication use cases.
    pub auth: AuthService,
    /// API keys.
    pub api_keys: ApiKeyService,
    /// Access questions (catalog, permissions, checks).
    pub access: AccessService,
    /// Every declared business resource.
    pub resources: ResourceService,
    /// Roles, access rules, grants.
    pub roles: RoleService,
    /// Tenants.
    pub tenants: TenantService,
    /// User administration.
    pub users: UserAdminService,
    /// Invitations.
    pub invitations: InvitationService,
    /// The audit trail.
    pub audit: AuditService,
    /// The credential vault.
    pub vault: VaultService,
    /// The dashboard's figures.
    pub dashboard: DashboardService,
    /// The dev mailer's outbox, when its route is on.
    pub outbox: Option<Arc<dyn Outbox>>,
    /// Rate limits (`None` when `rate_limit.enabled` is off).
    pub rate_limits: Option<crate::rate_limit::RateLimits>,
    /// Proxies whose `X-Forwarded-For` hop names the client (`server.trusted_proxies`).
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    /// Prometheus metrics (`None` when `metrics.enabled` is off).
    pub metrics: Option<crate::metrics::Metrics>,
    /// Whether `/metrics` is served on this (the main) port; false when `metrics.bind` names
    /// a port of its own.
    pub metrics_on_main_port: bool,
    /// Whether the admin console is served at `/console` (`console.enabled`).
    pub console: bool,
    /// Version string reported by `/health`.
    pub version: &'static str,
}
