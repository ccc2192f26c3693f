//! `GET /dashboard`: the live figures of a tenant (the DIIP seed's admin dashboard), each
//! from an aggregate query; the audit block from the background [`ChainWatch`].

use crate::auth::Principal;
use crate::chain_watch::{ChainReport, ChainWatch};
use crate::error::{AppError, Denial};
use castellan_domain::rbac::Scope;
use castellan_domain::resource::Kind;
use castellan_domain::resources::{ALL, TASKS};
use castellan_ports::{
    Clock, ResourceRepository, SecurityCounts, TenantFigures, TenantRepository, UserCounts,
};
use chrono::Duration;
use futures::future::try_join_all;
use futures::try_join;
use std::sync::Arc;
use uuid::Uuid;

/// The element key.
pub const ELEMENT: &str = "dashboard";

/// A tenant's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its accounts.
    pub users: UserCounts,
    /// Logins and denials of the last 24 hours.
    pub last_24h: SecurityCounts,
    /// Sessions neither revoked nor expired.
    pub active_sessions: u64,
    /// Objects per business element, in the order of the registry.
    pub objects: Vec<(&'static str, u64)>,
    /// Tasks per status, every status named.
    pub tasks_by_status: Vec<(&'static str, u64)>,
    /// The chain's latest background verification (`None`: none has ended yet).
    pub audit: Option<ChainReport>,
}

/// The dashboard use case.
#[derive(Debug, Clone)]
pub struct DashboardService {
    figures: Arc<dyn TenantFigures>,
    resources: Arc<dyn ResourceRepository>,
    tenants: Arc<dyn TenantRepository>,
    watch: ChainWatch,
    clock: Arc<dyn Clock>,
}

impl DashboardService {
    /// The use case over these ports.
    pub fn new(
        figures: Arc<dyn TenantFigures>,
        resources: Arc<dyn ResourceRepository>,
        tenants: Arc<dyn TenantRepository>,
        watch: ChainWatch,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            figures,
            resources,
            tenants,
            watch,
            clock,
        }
    }

    /// The figures of the caller's tenant (a superuser may name another). Needs read-all
    /// on `dashboard`.
    pub async fn show(&self, p: &Principal, tenant: Option<Uuid>) -> Result<Dashboard, AppError> {
        if p.subject.list_scope(ELEMENT) != Ok(Scope::All) {
            return Err(Denial::new(ELEMENT, "read")
                .because("the dashboard needs read-all on dashboard")
                .into());
        }
        let tenant_id = match (tenant, p.subject.is_superuser()) {
            (None, _) => p.tenant_id().0,
            (Some(tenant), true) => {
                if self.tenants.get(tenant).await?.is_none() {
                    return Err(AppError::NotFound("no such tenant".into()));
                }
                tenant
            }
            (Some(_), false) => {
                return Err(AppError::field(
                    "tenant_id",
                    "only superusers may name a tenant",
                ))
            }
        };
        let now = self.clock.now();
        // Independent counts: run them together (same task, so the same data scope).
        let objects = try_join_all(ALL.iter().map(|def| async move {
            let counted = self.resources.count_by(def, tenant_id, None).await?;
            Ok::<_, AppError>((def.element, counted.iter().map(|(_, n)| n).sum()))
        }));
        let (users, last_24h, active_sessions, objects, tasks_by_status) = try_join!(
            async { Ok::<_, AppError>(self.figures.users(tenant_id).await?) },
            async {
                let since = now - Duration::hours(24);
                Ok(self.figures.security_events(tenant_id, since).await?)
            },
            async { Ok(self.figures.active_sessions(tenant_id, now).await?) },
            objects,
            self.tasks_by_status(tenant_id),
        )?;
        Ok(Dashboard {
            tenant_id,
            users,
            last_24h,
            active_sessions,
            objects,
            tasks_by_status,
            audit: self.watch.latest(Some(tenant_id)),
        })
    }

    async fn tasks_by_status(&self, tenant: Uuid) -> Result<Vec<(&'static str, u64)>, AppError> {
        let counted = self
            .resources
            .count_by(&TASKS, tenant, Some("status"))
            .await?;
        let statuses = match TASKS.field("status").map(|f| f.kind) {
            Some(Kind::Enum(values)) => values,
            _ => &[],
        };
        Ok(statuses
            .iter()
            .map(|status| {
                let n = counted
                    .iter()
                    .find(|(value, _)| value.as_text() == Some(status))
                    .map_or(0, |(_, n)| *n);
                (*status, n)
            })
            .collect())
    }
}
