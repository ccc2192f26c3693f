//! `castellan keys rotate-kek`: every data key re-wrapped under a new KEK version, in
//! batches, while servers keep reading and writing.
//!
//! Only the wrapped data keys change; ciphertexts stay as they are, so a reveal during the
//! rotation decrypts whichever wrapping it reads. Each row is re-wrapped with a conditional
//! update (it must still hold the key that was read), so a secret replaced meanwhile is left
//! alone. Rows of a lower version are what remains to do: a run that finds some resumes
//! with the current version instead of making another, so a rotation stopped at any point
//! (even by `kill -9`) completes when run again.

use crate::error::AppError;
use castellan_ports::{CredentialRepository, SecretCipher, StaleKey, VaultError};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How a rotation proceeds.
#[derive(Debug, Clone, Copy)]
pub struct RotationOptions {
    /// Data keys per batch.
    pub batch: usize,
    /// Pause after each batch (spares the database under load).
    pub pause: Duration,
    /// Wait after making a new version before the first batch, so that running servers
    /// wrap new secrets with it by then (they look at the key file about once a second).
    pub settle: Duration,
}

/// Where a rotation stands, after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationProgress {
    /// The KEK version keys are re-wrapped to.
    pub version: u32,
    /// Re-wrapped so far.
    pub rewrapped: u64,
    /// Stale keys when the rotation (or this pass) began.
    pub total: u64,
}

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// The version every data key is now wrapped by.
    pub version: u32,
    /// Whether it finished an earlier, interrupted rotation instead of starting one.
    pub resumed: bool,
    /// Data keys re-wrapped.
    pub rewrapped: u64,
    /// Rows whose secret was replaced during the rotation (already on the new version).
    pub replaced_meanwhile: u64,
    /// Credentials whose data key could not be unwrapped (no secret is lost by leaving
    /// them; they stay on their old version and are named here).
    pub failed: Vec<(Uuid, String)>,
}

/// Passes over the stale rows at most (later passes only find rows written by servers that
/// had not seen the new version yet).
const MAX_PASSES: usize = 5;

/// Re-wraps the vault's data keys.
#[derive(Debug, Clone)]
pub struct KeyRotation {
    /// The credentials.
    pub credentials: Arc<dyn CredentialRepository>,
    /// The cipher, over the key provider to rotate.
    pub cipher: Arc<dyn SecretCipher>,
}

fn provider_error(err: VaultError) -> AppError {
    AppError::Internal(format!("key provider: {err}"))
}

impl KeyRotation {
    /// Makes a new KEK version (or resumes an unfinished rotation) and re-wraps every data
    /// key of an older version; `progress` hears after each batch.
    pub async fn run(
        &self,
        options: RotationOptions,
        mut progress: impl FnMut(RotationProgress),
    ) -> Result<RotationReport, AppError> {
        let provider = self.cipher.provider();
        let current = provider.current_version().await.map_err(provider_error)?;
        let resumed = self.credentials.count_stale(current).await? > 0;
        let version = match resumed {
            true => current,
            false => {
                let version = provider.add_version().await.map_err(provider_error)?;
                tokio::time::sleep(options.settle).await;
                version
            }
        };
        let mut report = RotationReport {
            version,
            resumed,
            ..RotationReport::default()
        };
        for _ in 0..MAX_PASSES {
            let total = self.credentials.count_stale(version).await?;
            if total <= report.failed.len() as u64 {
                break;
            }
            self.pass(options, &mut report, total, &mut progress)
                .await?;
        }
        Ok(report)
    }

    /// One walk over the stale rows in id order.
    async fn pass(
        &self,
        options: RotationOptions,
        report: &mut RotationReport,
        total: u64,
        progress: &mut impl FnMut(RotationProgress),
    ) -> Result<(), AppError> {
        let (mut after, mut done) = (None, 0);
        loop {
            let batch = self
                .credentials
                .stale_keys(report.version, after, options.batch.max(1))
                .await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for stale in &batch {
                self.rewrap(stale, report).await?;
            }
            done += batch.len() as u64;
            progress(RotationProgress {
                version: report.version,
                rewrapped: done.min(total),
                total,
            });
            tokio::time::sleep(options.pause).await;
        }
    }

    async fn rewrap(&self, stale: &StaleKey, report: &mut RotationReport) -> Result<(), AppError> {
        if report.failed.iter().any(|(id, _)| *id == stale.id) {
            return Ok(());
        }
        let key = match self.cipher.rewrap(&stale.key).await {
            Ok(key) => key,
            Err(VaultError::Unavailable(detail)) => return Err(AppError::Internal(detail)),
            Err(err) => {
                report.failed.push((stale.id, err.to_string()));
                return Ok(());
            }
        };
        match self.credentials.rewrap(stale, &key).await? {
            true => report.rewrapped += 1,
            false => report.replaced_meanwhile += 1,
        }
        Ok(())
    }
}
