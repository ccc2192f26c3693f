//! The access-control state the evaluator reads: the business-element catalog and the
//! rules of a user's current roles.

use crate::RepoError;
use async_trait::async_trait;
use castellan_domain::rbac::AccessRule;
use castellan_domain::UserId;
use uuid::Uuid;

/// One entry of the business-element catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessElement {
    /// Identifier.
    pub id: Uuid,
    /// Immutable key, e.g. `article`.
    pub key: String,
    /// What it is.
    pub description: String,
}

/// Reads the access-control state.
#[async_trait]
pub trait AccessRepository: Send + Sync + std::fmt::Debug {
    /// The rules of every role the user holds now (any element), with role names and
    /// element keys.
    async fn rules_for_user(&self, user: UserId) -> Result<Vec<AccessRule>, RepoError>;
    /// The catalog, ordered by key.
    async fn elements(&self) -> Result<Vec<BusinessElement>, RepoError>;
}
