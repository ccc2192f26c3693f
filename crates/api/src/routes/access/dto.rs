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

/// One `/authz/check` question.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckRequest {
    /// Element key, e.g. `article`.
    pub element: Option<String>,
    /// `read`, `create`, `update` or `delete`.
    pub action: Option<String>,
    /// Ask about an object owned by this user.
    pub owner_id: Option<Uuid>,
    /// Ask for another user of the tenant (needs read on `user_role`).
    pub user_id: Option<Uuid>,
}

/// `{checks: [...]}`: several questions at once.
#[derive(Debug, Deserialize, ToSchema)]
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
