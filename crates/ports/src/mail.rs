//! Outgoing mail (invitations, password resets) and the dev mailer's outbox.

use crate::RepoError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A message the mailer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Sends mail (invitations, password resets).
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message.
    async fn send(&self, mail: &Mail) -> Result<(), RepoError>;
}

/// The dev mailer's outbox, readable for tests and local trials.
#[async_trait]
pub trait Outbox: Send + Sync + std::fmt::Debug {
    /// Messages sent to `to`, newest first: `(id, mail, sent_at)`.
    async fn sent_to(&self, to: &str) -> Result<Vec<(Uuid, Mail, DateTime<Utc>)>, RepoError>;
}
