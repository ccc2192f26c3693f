//! Business resources: one repository serves every declared resource.

use crate::{ListQuery, Page, RepoError};
use async_trait::async_trait;
use castellan_domain::audit::Event;
use castellan_domain::resource::{Record, ResourceDef, Value};
use uuid::Uuid;

/// The objects of every business resource, each in the table its declaration names.
#[async_trait]
pub trait ResourceRepository: Send + Sync + std::fmt::Debug {
    /// A page of the objects `query` selects, with how many match in all: `search` over the
    /// searchable fields, `filters` on the filterable ones, ordering by the orderable ones
    /// (ties broken by id).
    async fn list(
        &self,
        def: &'static ResourceDef,
        query: &ListQuery,
    ) -> Result<Page<Record>, RepoError>;
    /// The object with this id, in any tenant.
    async fn get(&self, def: &'static ResourceDef, id: Uuid) -> Result<Option<Record>, RepoError>;
    /// Stores a new object and appends `audit` in the same transaction. A taken unique
    /// value → [`RepoError::Conflict`] naming the field; a parent that does not exist →
    /// [`RepoError::Referenced`].
    async fn insert(
        &self,
        def: &'static ResourceDef,
        record: &Record,
        audit: &Event,
    ) -> Result<(), RepoError>;
    /// Writes the fields and `updated_at`; returns the stored object (`None`: it is gone).
    async fn update(
        &self,
        def: &'static ResourceDef,
        record: &Record,
        audit: &Event,
    ) -> Result<Option<Record>, RepoError>;
    /// How many objects the tenant has, by the value of `field` (`None`: one count, keyed
    /// [`Value::Null`]); values without objects are left out.
    async fn count_by(
        &self,
        def: &'static ResourceDef,
        tenant: Uuid,
        field: Option<&'static str>,
    ) -> Result<Vec<(Value, u64)>, RepoError>;
    /// Deletes; false when there was no such object. An object that still has children →
    /// [`RepoError::Referenced`].
    async fn delete(
        &self,
        def: &'static ResourceDef,
        id: Uuid,
        audit: &Event,
    ) -> Result<bool, RepoError>;
}
