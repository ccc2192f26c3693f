//! Bodies of `/business-elements` and `/authz/check`.

use castellan_domain::rbac::{Decision, Scope};

use castellan_ports::BusinessElement;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// An entry of the business-element catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessElementDto {
    /// Id.
    pub id: Uuid,
    /// Immutable key, e.g. `article`.
    pub key: String,
    /// What it is.
    pub description: String,
}

impl From<BusinessElement> for BusinessElementDto {
    fn from(e: BusinessElement) -> Self {
        BusinessElementDto {
            id: e.id,
            key: e.key,
            description: e.description,
        }
    }
}

/// An action of an access rule (documentation of `CheckRequest::action`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // a schema only
pub enum ActionName {
    /// Read.
    Read,
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

/// A key of the business-element catalog (documentation of `CheckRequest::element`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // a schema only
pub enum ElementKey {
    /// `user`
    User,
    /// `role`
    Role,
    /// `user_role`
    UserRole,
    /// `access_rule`
    AccessRule,
    /// `tenant`
    Tenant,
    /// `invitation`
    Invitation,
    /// `audit_log`
    AuditLog,
    /// `api_key`
    ApiKey,
    /// `credential`
    Credential,
    /// `article`
    Article,
    /// `project`
    Project,
    /// `workflow`
    Workflow,
    /// `task`
    Task,
    /// `site`
    Site,
    /// `batch`
    Batch,
    /// `serialization`
    Serialization,
    /// `inspection`
    Inspection,
    /// `dashboard`
    Dashboard,
}

/// One `/authz/check` question.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Element key, e.g. `article` (one of the catalog's).
    #[schema(required = true, nullable = false, value_type = ElementKey)]
    pub element: Option<String>,
    /// `read`, `create`, `update` or `delete`.
    #[schema(required = true, nullable = false, value_type = ActionName)]
    pub action: Option<String>,
    /// Ask about an object owned by this user.
    pub owner_id: Option<Uuid>,
    /// Ask for another user of the tenant (needs read on `user_role`).
    pub user_id: Option<Uuid>,
}

/// `{checks: [...]}`: several questions at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCheckRequest {
    /// The questions.
    pub checks: Vec<CheckRequest>,
}

/// A rule that decided an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchedRuleDto {
    /// The access rule.
    pub rule_id: Uuid,
    /// Its role's name.
    pub role: String,
}

/// An access decision with its explanation.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    /// The answer.
    pub allowed: bool,
    /// How far: `all`, `own`, or null (create, denials).
    #[schema(value_type = Option<String>)]
    pub scope: Option<&'static str>,
    /// `superuser`, `rule_all`, `rule_own`, `create_allowed`, `not_owner`, `flag_off` or `no_rule`.
    #[schema(value_type = String)]
    pub reason: &'static str,
    /// The rules behind the answer.
    pub matched_rules: Vec<MatchedRuleDto>,
}

impl From<Decision> for DecisionDto {
    fn from(d: Decision) -> Self {
        DecisionDto {
            allowed: d.allowed,
            scope: d.scope.map(Scope::as_str),
            reason: d.reason.as_str(),
            matched_rules: d
                .matched_rules
                .into_iter()
                .map(|m| MatchedRuleDto {
                    rule_id: m.rule_id,
                    role: m.role,
                })
                .collect(),
        }
    }
}

/// `{results: [...]}`, in the order of the questions.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCheckDto {
    /// One answer per question.
    pub results: Vec<DecisionDto>,
}
