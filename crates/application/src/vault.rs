//! The credential vault: a tenant's third-party secrets, encrypted with a data key each and
//! guarded by the `credential` element's rules. Revealing a secret needs update rights on
//! it and is audited; no response but a reveal, no log line and no audit entry carries a
//! plaintext. [`KeyRotation`] re-wraps every data key under a new KEK version.

use crate::auth::Principal;
use crate::error::{AppError, Deferred, FieldError};
use crate::guard::ListRequest;
use crate::guard::{ensure_create, ensure_object, list_query, not_found_or_forbidden, Object};
use castellan_domain::audit::diff;
use castellan_domain::credential::{
    validate_secret, Credential, CredentialInput, CREDENTIAL_ELEMENT,
};
use castellan_domain::rbac::{Action, Owner};
use castellan_domain::resource::Problem;
use castellan_ports::{
    AuditLog, Clock, CredentialRepository, Page, SealedSecret, SecretCipher, VaultError,
};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;
use zeroize::Zeroizing;

mod rotation;

pub use rotation::{KeyRotation, RotationOptions, RotationProgress, RotationReport};

/// `POST /credentials` as the transport parsed it.
#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    /// Name, provider and metadata.
    pub fields: CredentialInput,
    /// The secret (1 byte to 16 KiB); wiped from memory when dropped.
    pub secret: Option<Zeroizing<String>>,
}

/// The ports the vault needs.
#[derive(Debug, Clone)]
pub struct VaultPorts {
    /// The credentials.
    pub credentials: Arc<dyn CredentialRepository>,
    /// Envelope encryption.
    pub cipher: Arc<dyn SecretCipher>,
    /// The audit trail (reveals, which change nothing).
    pub audit: Arc<dyn AuditLog>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// The credential use cases.
#[derive(Debug, Clone)]
pub struct VaultService {
    ports: VaultPorts,
}

fn invalid(problems: Vec<Problem>) -> AppError {
    AppError::Validation(
        problems
            .into_iter()
            .map(|p| FieldError::new(p.field, p.message))
            .collect(),
    )
}

/// A vault failure: the key provider's outage is a 503, anything else (a ciphertext that no
/// longer decrypts) a 500. Neither message holds key material or plaintext.
fn vault_error(id: Uuid, err: VaultError) -> AppError {
    match err {
        VaultError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "key provider unavailable");
            AppError::Unavailable("key provider")
        }
        other => AppError::Internal(format!("credential {id}: {other}")),
    }
}

/// A write that found no row: the credential went meanwhile.
fn found_row(written: bool) -> Result<(), AppError> {
    match written {
        true => Ok(()),
        false => Err(AppError::NotFound(format!("no such {CREDENTIAL_ELEMENT}"))),
    }
}

/// What the audit trail and change lists show of a credential: never the secret.
fn described(c: &Credential) -> Value {
    json!({"name": c.name, "provider": c.provider, "metadata": c.metadata})
}

fn object(c: &Credential) -> Object {
    Object {
        id: c.id,
        owner: Owner::User(c.owner_id),
        tenant_id: c.tenant_id,
    }
}

impl VaultService {
    /// The vault over `ports`.
    pub fn new(ports: VaultPorts) -> Self {
        Self { ports }
    }

    /// Stores a new credential of the caller's tenant, its secret sealed.
    pub async fn create<E: From<AppError>>(
        &self,
        p: &Principal,
        input: Deferred<NewCredential, E>,
    ) -> Result<Credential, E> {
        ensure_create(p, CREDENTIAL_ELEMENT)?;
        Ok(self.store_new(p, input?).await?)
    }

    async fn store_new(&self, p: &Principal, input: NewCredential) -> Result<Credential, AppError> {
        let mut problems = Vec::new();
        let fields = input.fields.for_create().map_err(|found| problems = found);
        let secret = match input.secret {
            Some(secret) => validate_secret(&secret).map(|()| secret),
            None => Err(Problem::new("secret", "secret is required")),
        };
        let (Ok(fields), Ok(secret)) = (fields, secret.map_err(|p| problems.push(p))) else {
            return Err(invalid(problems));
        };
        let now = self.ports.clock.now();
        let mut credential = Credential {
            id: Uuid::now_v7(),
            tenant_id: p.tenant_id().0,
            owner_id: p.user_id().0,
            name: fields.name,
            provider: fields.provider,
            metadata: fields.metadata,
            key_version: 0,
            created_at: now,
            updated_at: now,
            rotated_at: None,
        };
        let sealed = self.seal(&credential, &secret).await?;
        credential.key_version = sealed.key.kek_version;
        let audit = p
            .event("credential.create", credential.tenant_id, now)
            .target(CREDENTIAL_ELEMENT, credential.id)
            .changes(diff(&json!({}), &described(&credential)));
        self.ports
            .credentials
            .insert(&credential, &sealed, &audit)
            .await?;
        Ok(credential)
    }

    async fn seal(&self, c: &Credential, secret: &str) -> Result<SealedSecret, AppError> {
        self.ports
            .cipher
            .seal(secret.as_bytes(), &c.associated_data())
            .await
            .map_err(|err| vault_error(c.id, err))
    }

    /// A page of the credentials the caller may see (never a secret).
    pub async fn list(
        &self,
        p: &Principal,
        request: ListRequest,
    ) -> Result<Page<Credential>, AppError> {
        list_query(p, CREDENTIAL_ELEMENT, request)?
            .page(|query| async move { self.ports.credentials.list(&query).await })
            .await
    }

    /// One credential the caller may read (never its secret).
    pub async fn get(&self, p: &Principal, id: Uuid) -> Result<Credential, AppError> {
        self.guarded(p, id, Action::Read).await
    }

    /// `found`, when the caller may `action` it: a missing or invisible credential is a
    /// 404, a visible one they may not `action` a 403.
    fn visible<T>(
        &self,
        p: &Principal,
        found: Option<(Credential, T)>,
        action: Action,
    ) -> Result<(Credential, T), AppError> {
        let Some(found) = found else {
            return Err(not_found_or_forbidden(p, CREDENTIAL_ELEMENT));
        };
        ensure_object(p, CREDENTIAL_ELEMENT, action, object(&found.0))?;
        Ok(found)
    }

    /// One credential the caller may `action`.
    async fn guarded(
        &self,
        p: &Principal,
        id: Uuid,
        action: Action,
    ) -> Result<Credential, AppError> {
        let found = self.ports.credentials.get(id).await?;
        Ok(self.visible(p, found.map(|c| (c, ())), action)?.0)
    }

    /// Changes name, provider or metadata (the secret has its own route).
    pub async fn update<E: From<AppError>>(
        &self,
        p: &Principal,
        id: Uuid,
        input: Deferred<CredentialInput, E>,
    ) -> Result<Credential, E> {
        let mut credential = self.guarded(p, id, Action::Update).await?;
        let change = input?.for_update().map_err(invalid)?;
        let before = described(&credential);
        if !change.apply(&mut credential) {
            return Ok(credential);
        }
        let now = self.ports.clock.now();
        credential.updated_at = now;
        let audit = p
            .event("credential.update", credential.tenant_id, now)
            .target(CREDENTIAL_ELEMENT, credential.id)
            .changes(diff(&before, &described(&credential)));
        found_row(
            self.ports
                .credentials
                .update(&credential, &audit)
                .await
                .map_err(AppError::from)?,
        )?;
        Ok(credential)
    }

    /// Replaces the secret: a fresh data key and nonce, wrapped by the current KEK.
    pub async fn replace_secret<E: From<AppError>>(
        &self,
        p: &Principal,
        id: Uuid,
        secret: Deferred<Option<Zeroizing<String>>, E>,
    ) -> Result<Credential, E> {
        let mut credential = self.guarded(p, id, Action::Update).await?;
        let secret = match secret? {
            Some(secret) => validate_secret(&secret).map(|()| secret),
            None => Err(Problem::new("secret", "secret is required")),
        }
        .map_err(|problem| invalid(vec![problem]))?;
        let sealed = self.seal(&credential, &secret).await?;
        let now = self.ports.clock.now();
        credential.key_version = sealed.key.kek_version;
        credential.updated_at = now;
        credential.rotated_at = Some(now);
        let audit = p
            .event("credential.secret_replace", credential.tenant_id, now)
            .target(CREDENTIAL_ELEMENT, credential.id)
            .meta("key_version", credential.key_version);
        let written = self
            .ports
            .credentials
            .replace_secret(&credential, &sealed, &audit)
            .await
            .map_err(AppError::from)?;
        found_row(written)?;
        Ok(credential)
    }

    /// The plaintext of a secret the caller may update, after the reveal is in the audit
    /// trail (no entry, no secret).
    pub async fn reveal(&self, p: &Principal, id: Uuid) -> Result<Zeroizing<String>, AppError> {
        let found = self.ports.credentials.sealed(id).await?;
        let (credential, sealed) = self.visible(p, found, Action::Update)?;
        let plaintext = self
            .ports
            .cipher
            .open(&sealed, &credential.associated_data())
            .await
            .map_err(|err| vault_error(credential.id, err))?;
        let secret = std::str::from_utf8(&plaintext)
            .map(|text| Zeroizing::new(text.to_owned()))
            .map_err(|_| AppError::Internal(format!("credential {id}: not UTF-8")))?;
        let now = self.ports.clock.now();
        let audit = p
            .event("credential.reveal", credential.tenant_id, now)
            .target(CREDENTIAL_ELEMENT, credential.id)
            .meta("key_version", credential.key_version);
        self.ports.audit.append(&audit).await?;
        Ok(secret)
    }

    /// Deletes a credential and its secret.
    pub async fn delete(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        let credential = self.guarded(p, id, Action::Delete).await?;
        let now = self.ports.clock.now();
        let audit = p
            .event("credential.delete", credential.tenant_id, now)
            .target(CREDENTIAL_ELEMENT, credential.id)
            .changes(diff(&described(&credential), &json!({})));
        let written = self.ports.credentials.delete(id, &audit).await?;
        found_row(written)
    }
}
