//! API keys: created by a person (shown once), listed, read and deleted under the `api_key`
//! element's rules. A key itself never manages keys.

use crate::auth::Principal;
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::ListRequest;
use crate::guard::{ensure_create, ensure_object, list_query, not_found_or_forbidden, Object};
use crate::secrets::{new_key_prefix, new_secret, KeyHasher};
use castellan_domain::api_key::{ApiKey, ApiKeyToken, KeyScopes, API_KEY_ELEMENT};
use castellan_domain::rbac::{Action, Owner};
use castellan_ports::{AccessRepository, ApiKeyRepository, Clock, Page, RepoError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// What refusals of a key's own management name.
const KEYS: &str = "api_key";
/// Attempts at a fresh prefix before giving up (36^8 prefixes: a clash is rare).
const PREFIX_ATTEMPTS: usize = 3;

/// `POST /api-keys` as the transport parsed it.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyInput {
    /// 1–100 characters.
    pub name: Option<String>,
    /// 1–50 scopes `<element>:<read|create|update|delete|*>`.
    pub scopes: Option<Vec<String>>,
    /// In the future, or absent (never expires).
    pub expires_at: Option<DateTime<Utc>>,
}

/// The ports API keys need.
#[derive(Debug, Clone)]
pub struct ApiKeyPorts {
    /// The keys.
    pub keys: Arc<dyn ApiKeyRepository>,
    /// The business-element catalog (scopes name its elements).
    pub access: Arc<dyn AccessRepository>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The API-key use cases.
#[derive(Debug, Clone)]
pub struct ApiKeyService {
    ports: ApiKeyPorts,
    hasher: KeyHasher,
}

impl ApiKeyService {
    /// A service storing secrets hashed by `hasher`.
    pub fn new(ports: ApiKeyPorts, hasher: KeyHasher) -> Self {
        Self { ports, hasher }
    }

    /// Creates a key for the caller; returns it with the whole key (shown this once).
    pub async fn create<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<ApiKeyInput, E>,
    ) -> Result<(ApiKey, String), E> {
        p.token(KEYS)?;
        ensure_create(p, API_KEY_ELEMENT)?;
        let input = input?;
        Ok(self.issue(p, input).await?)
    }

    async fn issue(&self, p: &Principal, input: ApiKeyInput) -> Result<(ApiKey, String), AppError> {
        let now = self.ports.clock.now();
        let (name, scopes, expires_at) = self.validated(input, now).await?;
        for _ in 0..PREFIX_ATTEMPTS {
            let token = ApiKeyToken::new(new_key_prefix(), new_secret());
            let key = ApiKey {
                id: Uuid::now_v7(),
                tenant_id: p.tenant_id().0,
                owner_id: p.user_id().0,
                name: name.clone(),
                prefix: token.prefix().to_owned(),
                scopes: scopes.clone(),
                created_at: now,
                expires_at,
                last_used_at: None,
            };
            let audit = p
                .event("api_key.create", key.tenant_id, now)
                .target("api_key", key.id)
                .meta("name", key.name.as_str())
                .meta("key_prefix", key.prefix.as_str())
                .meta("scopes", key.scopes.as_strings().to_vec());
            let hash = self.hasher.hash(token.secret());
            match self.ports.keys.insert(&key, &hash, &audit).await {
                Ok(()) => return Ok((key, token.reveal())),
                Err(RepoError::Conflict(field)) if field == "prefix" => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::Internal("no free API-key prefix".into()))
    }

    /// The fields of a new key, every problem named.
    async fn validated(
        &self,
        input: ApiKeyInput,
        now: DateTime<Utc>,
    ) -> Result<(String, KeyScopes, Option<DateTime<Utc>>), AppError> {
        let mut errors = Vec::new();
        let name = input.name.map(|n| n.trim().to_owned());
        match name.as_deref().map(|n| n.chars().count()) {
            Some(1..=100) => {}
            Some(_) => errors.push(FieldError::new("name", "name must be 1 to 100 characters")),
            None => errors.push(FieldError::new("name", "name is required")),
        }
        let scopes = match input.scopes {
            None => Err("scopes is required".to_owned()),
            Some(scopes) => KeyScopes::parse(&scopes).map_err(|e| e.to_string()),
        };
        let scopes = match scopes {
            Ok(scopes) => self.known_elements(scopes).await?,
            Err(message) => Err(message),
        };
        if let Err(message) = &scopes {
            errors.push(FieldError::new("scopes", message.as_str()));
        }
        if input.expires_at.is_some_and(|at| at <= now) {
            errors.push(FieldError::new(
                "expires_at",
                "expires_at must be in the future",
            ));
        }
        match (name, scopes, errors.is_empty()) {
            (Some(name), Ok(scopes), true) => Ok((name, scopes, input.expires_at)),
            _ => Err(AppError::Validation(errors)),
        }
    }

    /// `scopes` when every element they name is in the catalog.
    async fn known_elements(
        &self,
        scopes: KeyScopes,
    ) -> Result<Result<KeyScopes, String>, AppError> {
        let catalog = self.ports.access.elements().await?;
        let unknown = scopes
            .elements()
            .find(|element| !catalog.iter().any(|e| e.key == *element))
            .map(str::to_owned);
        Ok(match unknown {
            Some(element) => Err(format!("scopes: no business element {element:?}")),
            None => Ok(scopes),
        })
    }

    /// A page of the keys the caller may see: their own with read-own, the tenant's with
    /// read-all (superusers: every tenant's).
    pub async fn list(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<ApiKey>, AppError> {
        p.token(KEYS)?;
        list_query(p, API_KEY_ELEMENT, request)?
            .page(|query| async move { self.ports.keys.list(&query).await })
            .await
    }

    /// One key the caller may read.
    pub async fn get(&self, p: &Principal, id: Uuid) -> Result<ApiKey, AppError> {
        p.token(KEYS)?;
        self.visible(p, id, Action::Read).await
    }

    /// Deletes a key: its next request is a 401, its id a 404.
    pub async fn delete(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.token(KEYS)?;
        let key = self.visible(p, id, Action::Delete).await?;
        let now = self.ports.clock.now();
        let audit = p
            .event("api_key.delete", key.tenant_id, now)
            .target("api_key", key.id)
            .meta("key_prefix", key.prefix.as_str());
        match self.ports.keys.delete(key.id, &audit).await? {
            true => Ok(()),
            false => Err(AppError::NotFound("no such api_key".into())),
        }
    }

    async fn visible(&self, p: &Principal, id: Uuid, action: Action) -> Result<ApiKey, AppError> {
        let Some(key) = self.ports.keys.get(id).await? else {
            return Err(not_found_or_forbidden(p, API_KEY_ELEMENT));
        };
        let object = Object {
            id: key.id,
            owner: Owner::User(key.owner_id),
            tenant_id: key.tenant_id,
        };
        ensure_object(p, API_KEY_ELEMENT, action, object)?;
        Ok(key)
    }
}
