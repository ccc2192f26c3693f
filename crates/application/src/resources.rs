//! The guarded use cases of every business resource, driven by its declaration
//! ([`ResourceDef`]): list, get, create, replace, patch and delete.
//!
//! Each use case owns the order of checks the contract asks for: authentication is the
//! caller's [`Principal`]; authorization comes first (403, or 404 for what the caller may
//! not see), then the body (400, one error per wrong field), then references to parents
//! (400 on the field) and the resource's own rules (400 or 409), then the write with its
//! audit entry in one transaction. The body arrives unopened (`Result<_, E>`), so that a
//! malformed one cannot jump the queue; an update reads the object once.

use crate::auth::Principal;
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::{
    ensure_create, ensure_object, list_query, not_found_or_forbidden, ListRequest, Object,
};
use castellan_domain::audit::diff;
use castellan_domain::rbac::{Action, Owner};
use castellan_domain::resource::{
    Change, Context, Fact, Problem, Record, Removal, ResourceDef, Value, Violation, Write,
};
use castellan_domain::UserId;
use castellan_ports::{Clock, ListQuery, Page, RepoError, ResourceRepository, UserRepository};
use serde_json::{json, Map, Value as Json};
use std::sync::Arc;
use uuid::Uuid;

/// A JSON object body, not yet looked at: the API layer's parse result.
pub type Body<E> = Deferred<Map<String, Json>, E>;

/// The use cases of every declared business resource.
#[derive(Debug, Clone)]
pub struct ResourceService {
    repo: Arc<dyn ResourceRepository>,
    users: Arc<dyn UserRepository>,
    clock: Arc<dyn Clock>,
}

fn invalid(problems: Vec<Problem>) -> AppError {
    AppError::Validation(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field, p.message))
            .collect(),
    )
}

fn violated(violation: Violation) -> AppError {
    match violation {
        Violation::Field(problem) => invalid(vec![problem]),
        Violation::Conflict { message, field } => AppError::Conflict { message, field },
    }
}

/// The guard's view of a stored object.
fn object(record: &Record) -> Object {
    Object {
        id: record.id,
        owner: Owner::User(record.owner_id),
        tenant_id: record.tenant_id,
    }
}

impl ResourceService {
    /// The use cases over `repo` (`users`: the users references name).
    pub fn new(
        repo: Arc<dyn ResourceRepository>,
        users: Arc<dyn UserRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { repo, users, clock }
    }

    /// The objects the caller may see: the tenant's with read-all, their own with read-own.
    pub async fn list(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        request: ListRequest,
    ) -> Result<Page<Record>, AppError> {
        list_query(p, def.element, request)?
            .page(|query| async move { self.repo.list(def, &query).await })
            .await
    }

    /// Loads an object and checks `action` on it (404 when the caller may not see it).
    async fn guarded(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        id: Uuid,
        action: Action,
    ) -> Result<Record, AppError> {
        let Some(record) = self.repo.get(def, id).await? else {
            return Err(not_found_or_forbidden(p, def.element));
        };
        ensure_object(p, def.element, action, object(&record))?;
        Ok(record)
    }

    /// Whether the caller may `action` `record` (none for a create), as the use cases
    /// below decide it: for a front end to offer only what would be allowed.
    pub fn may(p: &Principal, def: &ResourceDef, action: Action, record: Option<&Record>) -> bool {
        match (action, record) {
            (Action::Create, _) => ensure_create(p, def.element).is_ok(),
            (_, Some(record)) => ensure_object(p, def.element, action, object(record)).is_ok(),
            (_, None) => false,
        }
    }

    /// One object.
    pub async fn get(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        id: Uuid,
    ) -> Result<Record, AppError> {
        self.guarded(p, def, id, Action::Read).await
    }

    /// Creates an object owned by the caller in the caller's tenant.
    pub async fn create<E: From<AppError>>(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        body: Body<E>,
    ) -> Result<Record, E> {
        ensure_create(p, def.element)?;
        let now = self.clock.now();
        let values = def
            .values_from(&body?, Write::Create, now)
            .map_err(invalid)?;
        let tenant_id = p.tenant_id().0;
        self.check(p, def, tenant_id, None, &values).await?;
        let record = Record {
            id: Uuid::now_v7(),
            tenant_id,
            owner_id: p.user_id().0,
            created_at: now,
            updated_at: now,
            values,
        };
        let audit = p
            .event(&format!("{}.create", def.element), tenant_id, now)
            .target(def.element, record.id)
            .changes(diff(&json!({}), &record.snapshot(def)));
        self.repo
            .insert(def, &record, &audit)
            .await
            .map_err(AppError::from)?;
        Ok(record)
    }

    /// Updates an object: `replace` (PUT) sets every field (absent ones to their default,
    /// required ones must be there); otherwise (PATCH) absent fields keep their value.
    pub async fn update<E: From<AppError>>(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        id: Uuid,
        body: Body<E>,
        replace: bool,
    ) -> Result<Record, E> {
        let current = self.guarded(p, def, id, Action::Update).await?;
        let write = match replace {
            true => Write::Replace,
            false => Write::Patch(&current),
        };
        let now = self.clock.now();
        let values = def.values_from(&body?, write, now).map_err(invalid)?;
        self.check(p, def, current.tenant_id, Some(&current), &values)
            .await?;
        let updated = Record {
            values,
            updated_at: now,
            ..current.clone()
        };
        let audit = p
            .event(&format!("{}.update", def.element), current.tenant_id, now)
            .target(def.element, id)
            .changes(diff(&current.snapshot(def), &updated.snapshot(def)));
        let stored = self
            .repo
            .update(def, &updated, &audit)
            .await
            .map_err(AppError::from)?;
        Ok(stored.ok_or_else(|| AppError::NotFound(format!("no such {}", def.element)))?)
    }

    /// Deletes an object (one that still has children: 409).
    pub async fn delete(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        id: Uuid,
    ) -> Result<(), AppError> {
        let record = self.guarded(p, def, id, Action::Delete).await?;
        if def.rules.on_delete.is_some() {
            let context = Context {
                parents: self.parents_of(def, &record.values).await?,
                facts: self.facts(def, Some(&record)).await?,
                ..Context::default()
            };
            let removal = Removal {
                def,
                record: &record,
                context: &context,
            };
            def.check_delete(&removal).map_err(violated)?;
        }
        let audit = p
            .event(
                &format!("{}.delete", def.element),
                record.tenant_id,
                self.clock.now(),
            )
            .target(def.element, id)
            .changes(diff(&record.snapshot(def), &json!({})));
        match self.repo.delete(def, id, &audit).await {
            Ok(_) => Ok(()),
            Err(RepoError::Referenced(_)) => Err(AppError::Conflict {
                message: format!("the {} still has objects that belong to it", def.element),
                field: None,
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// What a write must satisfy beyond its fields: every parent it names exists in the
    /// object's tenant and is visible to the caller, every user it names is an active user
    /// of that tenant (else 400 on the field), and the resource's own rules.
    async fn check(
        &self,
        p: &Principal,
        def: &'static ResourceDef,
        tenant_id: Uuid,
        before: Option<&Record>,
        values: &[Value],
    ) -> Result<(), AppError> {
        let mut problems = Vec::new();
        let mut parents = Vec::new();
        for (field, parent) in def.parents() {
            let Some(id) = id_in(def, values, field.name) else {
                continue;
            };
            match self.repo.get(parent, id).await? {
                Some(found)
                    if found.tenant_id == tenant_id
                        && ensure_object(p, parent.element, Action::Read, object(&found))
                            .is_ok() =>
                {
                    parents.push((field.name, found));
                }
                _ => problems.push(FieldError::new(
                    field.name,
                    format!("no such {}", parent.element),
                )),
            }
        }
        for field in def.user_references() {
            let Some(id) = id_in(def, values, field.name) else {
                continue;
            };
            let active = self
                .users
                .by_id(UserId(id))
                .await?
                .is_some_and(|user| user.is_active && user.tenant_id.0 == tenant_id);
            if !active {
                problems.push(FieldError::new(
                    field.name,
                    "no such active user in the tenant",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        if def.rules.on_write.is_none() {
            return Ok(());
        }
        let former_parents = match before {
            Some(record) => self.former_parents(def, record, &parents).await?,
            None => Vec::new(),
        };
        let context = Context {
            parents,
            former_parents,
            facts: self.facts(def, before).await?,
        };
        let change = Change {
            def,
            before,
            after: values,
            context: &context,
        };
        def.check_write(&change).map_err(violated)
    }

    /// The parents `values` name (for the rules; visibility was checked on write).
    async fn parents_of(
        &self,
        def: &'static ResourceDef,
        values: &[Value],
    ) -> Result<Vec<(&'static str, Record)>, AppError> {
        let mut parents = Vec::new();
        for (field, parent) in def.parents() {
            if let Some(id) = id_in(def, values, field.name) {
                if let Some(found) = self.repo.get(parent, id).await? {
                    parents.push((field.name, found));
                }
            }
        }
        Ok(parents)
    }

    /// The parents a stored object names, reusing those the write names already.
    async fn former_parents(
        &self,
        def: &'static ResourceDef,
        before: &Record,
        current: &[(&'static str, Record)],
    ) -> Result<Vec<(&'static str, Record)>, AppError> {
        let unchanged: Vec<_> = current
            .iter()
            .filter(|(field, parent)| id_in(def, &before.values, field) == Some(parent.id))
            .cloned()
            .collect();
        if unchanged.len() == def.parents().count() {
            return Ok(unchanged);
        }
        self.parents_of(def, &before.values).await
    }

    /// The declared facts about a stored object (none hold on create: it has no children).
    async fn facts(
        &self,
        def: &'static ResourceDef,
        record: Option<&Record>,
    ) -> Result<Vec<(&'static str, bool)>, AppError> {
        let mut facts = Vec::new();
        for fact in def.facts {
            let Fact::HasChild {
                name,
                child,
                via,
                field,
                equals,
            } = *fact;
            let holds = match record {
                None => false,
                Some(record) => {
                    let child = child();
                    let (Some(via), Some(field)) = (child.field(via), child.field(field)) else {
                        return Err(AppError::Internal(format!(
                            "{}: fact {name} names unknown fields",
                            def.element
                        )));
                    };
                    let query = ListQuery {
                        tenant_id: Some(record.tenant_id),
                        filters: vec![
                            (via.name, Value::Id(record.id)),
                            (field.name, Value::Text(equals.to_owned())),
                        ],
                        page: 1,
                        per_page: 1,
                        ..ListQuery::default()
                    };
                    !self.repo.list(child, &query).await?.items.is_empty()
                }
            };
            facts.push((name, holds));
        }
        Ok(facts)
    }
}

/// The id `field` holds among `values`, if any.
fn id_in(def: &ResourceDef, values: &[Value], field: &str) -> Option<Uuid> {
    def.index_of(field)
        .and_then(|i| values.get(i))
        .and_then(Value::as_id)
}
