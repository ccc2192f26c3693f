//! `--pharma`: the roles QA and Operator with exactly the rules the contract gives them,
//! their users, and a small data set (2 sites, 5 batches in every status, 50
//! serializations, inspections consistent with each batch's status) in the default tenant.

use super::{DemoSeed, DemoUser, SeedReport, DEMO_USERS};
use crate::error::AppError;
use crate::roles::{role_snapshot, rule_snapshot};
use castellan_domain::audit::diff;
use castellan_domain::rbac::{AccessFlags, AccessRule};
use castellan_domain::resource::{Record, ResourceDef, Value};
use castellan_domain::resources::{BATCHES, INSPECTIONS, SERIALIZATIONS, SITES};
use castellan_domain::{Role, StoredRule, TenantId, User};
use serde_json::json;
use uuid::Uuid;

const READ_ALL: AccessFlags = AccessFlags {
    can_read_all: true,
    ..AccessFlags::none()
};

/// A role the seed creates.
struct DemoRole {
    name: &'static str,
    description: &'static str,
    /// Its rules, by element.
    rules: &'static [(&'static str, AccessFlags)],
}

/// The Pharma roles.
const ROLES: [DemoRole; 2] = [
    DemoRole {
        name: "QA",
        description: "Quality assurance: reads everything, records inspections, moves batches",
        rules: &[
            ("site", READ_ALL),
            (
                "batch",
                AccessFlags {
                    can_update_all: true,
                    ..READ_ALL
                },
            ),
            ("serialization", READ_ALL),
            (
                "inspection",
                AccessFlags {
                    can_create: true,
                    can_update_all: true,
                    ..READ_ALL
                },
            ),
        ],
    },
    DemoRole {
        name: "Operator",
        description: "Production: reads sites and batches, creates batches and serial numbers",
        rules: &[
            ("site", READ_ALL),
            (
                "batch",
                AccessFlags {
                    can_create: true,
                    ..READ_ALL
                },
            ),
            (
                "serialization",
                AccessFlags {
                    can_create: true,
                    can_read_own: true,
                    ..AccessFlags::none()
                },
            ),
        ],
    },
];

const QA: DemoUser = DemoUser {
    email: "qa@example.com",
    password: "qapass",
    role: "QA",
    superuser: false,
};

const OPERATOR: DemoUser = DemoUser {
    email: "operator@example.com",
    password: "operatorpass",
    role: "Operator",
    superuser: false,
};

/// The sites (created by the demo admin): code, name, country.
const DEMO_SITES: [(&str, &str, &str); 2] = [
    ("BER-01", "Berlin Plant", "DE"),
    ("LYS-02", "Lyon Plant", "FR"),
];

/// A batch the seed creates (as the operator), with its inspections (by QA) and units.
struct DemoBatch {
    site: &'static str,
    product: &'static str,
    lot: &'static str,
    /// The month of 2026 it was made in.
    month: u32,
    status: &'static str,
    /// Its inspections' results, consistent with its status.
    inspections: &'static [&'static str],
    /// Its units' status.
    units: &'static str,
}

/// One batch in every status (two planned, one of them with a conditional inspection).
const DEMO_BATCHES: [DemoBatch; 5] = [
    DemoBatch {
        site: "BER-01",
        product: "AMOX-500",
        lot: "LOT-2026-001",
        month: 9,
        status: "planned",
        inspections: &[],
        units: "commissioned",
    },
    DemoBatch {
        site: "BER-01",
        product: "AMOX-500",
        lot: "LOT-2026-002",
        month: 6,
        status: "released",
        inspections: &["pass"],
        units: "shipped",
    },
    DemoBatch {
        site: "BER-01",
        product: "IBU-200",
        lot: "LOT-2026-003",
        month: 7,
        status: "quarantined",
        inspections: &["pass", "fail"],
        units: "packed",
    },
    DemoBatch {
        site: "LYS-02",
        product: "PARA-1000",
        lot: "LOT-2026-004",
        month: 5,
        status: "recalled",
        inspections: &["fail"],
        units: "decommissioned",
    },
    DemoBatch {
        site: "LYS-02",
        product: "PARA-1000",
        lot: "LOT-2026-005",
        month: 10,
        status: "planned",
        inspections: &["conditional"],
        units: "commissioned",
    },
];

/// Serial numbers per batch.
const UNITS_PER_BATCH: usize = 10;

impl DemoSeed {
    /// The roles, users and data set, each created when missing.
    pub(super) async fn pharma(&self, report: &mut SeedReport) -> Result<(), AppError> {
        for role in &ROLES {
            self.ensure_role(role, report).await?;
        }
        let qa = self.ensure_user(QA, report).await?;
        let operator = self.ensure_user(OPERATOR, report).await?;
        let admin = self.admin().await?;
        if self.demo_sites(&admin).await?.is_empty() {
            self.data_set(&admin, &operator, &qa, report).await?;
        }
        Ok(())
    }

    async fn ensure_role(&self, demo: &DemoRole, report: &mut SeedReport) -> Result<(), AppError> {
        let tenant = TenantId::DEFAULT.0;
        if self.roles.role_by_name(tenant, demo.name).await?.is_some() {
            return Ok(());
        }
        let now = self.clock.now();
        let role = Role {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: demo.name.into(),
            description: demo.description.into(),
            is_system: false,
            created_at: now,
            updated_at: now,
        };
        let audit = self
            .event("role.create", tenant)
            .target("role", role.id)
            .changes(diff(&json!({}), &role_snapshot(&role)));
        self.roles.insert_role(&role, &audit).await?;
        for (element, flags) in demo.rules {
            let stored = StoredRule {
                rule: AccessRule {
                    id: Uuid::now_v7(),
                    role_id: role.id,
                    role: role.name.clone(),
                    element: (*element).into(),
                    flags: *flags,
                },
                tenant_id: tenant,
            };
            let audit = self
                .event("access_rule.create", tenant)
                .target("access_rule", stored.rule.id)
                .changes(diff(&json!({}), &rule_snapshot(&stored)));
            self.roles.insert_rule(&stored, now, &audit).await?;
        }
        report.roles_created += 1;
        Ok(())
    }

    /// The demo superuser (the base seed ran first).
    async fn admin(&self) -> Result<User, AppError> {
        let (admin, _) = DEMO_USERS[0];
        self.existing(admin.email)
            .await?
            .ok_or_else(|| AppError::Internal("the demo admin is missing".into()))
    }

    /// The demo sites that exist (owned by the demo admin).
    async fn demo_sites(&self, admin: &User) -> Result<Vec<Record>, AppError> {
        let sites = self.owned(&SITES, admin.id.0).await?;
        Ok(sites
            .into_iter()
            .filter(|site| {
                DEMO_SITES
                    .iter()
                    .any(|(code, ..)| site.value(&SITES, "code") == Some(&text(code)))
            })
            .collect())
    }

    async fn data_set(
        &self,
        admin: &User,
        operator: &User,
        qa: &User,
        report: &mut SeedReport,
    ) -> Result<(), AppError> {
        let mut sites = Vec::new();
        for (code, name, country) in DEMO_SITES {
            let body = json!({"code": code, "name": name, "country": country});
            sites.push((code, self.create(&SITES, admin, body).await?.id));
            report.created(&SITES);
        }
        for demo in &DEMO_BATCHES {
            let DemoBatch {
                site,
                product,
                lot,
                month,
                status,
                ..
            } = demo;
            let site_id = sites
                .iter()
                .find(|(code, _)| code == site)
                .map(|(_, id)| *id)
                .ok_or_else(|| AppError::Internal(format!("demo site {site}")))?;
            let body = json!({
                "site_id": site_id,
                "product_code": product,
                "lot_number": lot,
                "manufactured_at": format!("2026-{month:02}-01T08:00:00Z"),
                "expires_at": format!("2028-{month:02}-01T08:00:00Z"),
                "status": status,
            });
            let batch = self.create(&BATCHES, operator, body).await?;
            report.created(&BATCHES);
            for (day, result) in demo.inspections.iter().enumerate() {
                let body = json!({
                    "batch_id": batch.id,
                    "result": result,
                    "notes": format!("{lot}: {result}."),
                    "inspected_at": format!("2026-{month:02}-{:02}T14:00:00Z", 15 + day),
                });
                self.create(&INSPECTIONS, qa, body).await?;
                report.created(&INSPECTIONS);
            }
            for unit in 1..=UNITS_PER_BATCH {
                let body = json!({
                    "batch_id": batch.id,
                    "serial_number": format!("SN-{lot}-{unit:04}"),
                    "status": demo.units,
                });
                self.create(&SERIALIZATIONS, operator, body).await?;
                report.created(&SERIALIZATIONS);
            }
        }
        Ok(())
    }

    /// Removes the data set (children first), the Pharma users and, unless someone else
    /// holds them, the Pharma roles.
    pub(super) async fn reset_pharma(&self) -> Result<usize, AppError> {
        let mut removed = 0;
        let (qa, operator) = (
            self.existing(QA.email).await?,
            self.existing(OPERATOR.email).await?,
        );
        let owned_by = |user: &Option<User>, def: &'static ResourceDef| {
            let owner = user.as_ref().map(|u| u.id.0);
            async move {
                match owner {
                    Some(owner) => self.owned(def, owner).await,
                    None => Ok(Vec::new()),
                }
            }
        };
        removed += self
            .remove(&INSPECTIONS, &owned_by(&qa, &INSPECTIONS).await?)
            .await?;
        removed += self
            .remove(
                &SERIALIZATIONS,
                &owned_by(&operator, &SERIALIZATIONS).await?,
            )
            .await?;
        removed += self
            .remove(&BATCHES, &owned_by(&operator, &BATCHES).await?)
            .await?;
        if let Some(admin) = self.existing(DEMO_USERS[0].0.email).await? {
            removed += self.remove(&SITES, &self.demo_sites(&admin).await?).await?;
        }
        for user in [qa, operator].into_iter().flatten() {
            removed += self.purge(&user).await?;
        }
        for demo in &ROLES {
            let Some(role) = self
                .roles
                .role_by_name(TenantId::DEFAULT.0, demo.name)
                .await?
            else {
                continue;
            };
            if self.roles.role_in_use(role.id).await? {
                continue;
            }
            let audit = self
                .event("role.delete", role.tenant_id)
                .target("role", role.id)
                .changes(diff(&role_snapshot(&role), &json!({})));
            removed += usize::from(self.roles.delete_role(role.id, &audit).await?);
        }
        Ok(removed)
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.into())
}
