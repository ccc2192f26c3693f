//! # castellan-adapters-mail
//!
//! [`SmtpMailer`]: the [`Mailer`] port over SMTP with `lettre`, configured by one URL
//! (`smtp://user:pass@host:587?tls=required`, `smtps://...`, or plain `smtp://host:25`).

use async_trait::async_trait;
use castellan_ports::{Mail, Mailer, RepoError};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP URL or the sender address is unusable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailConfigError(String);

/// Sends mail through an SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold credentials: never print it.
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `smtp_url`, sending as `from`.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailConfigError(format!("mail.smtp_url: {e}")))?
            .build();
        let from = from
            .parse()
            .map_err(|e| MailConfigError(format!("mail.from: {e}")))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), RepoError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| RepoError::Other(format!("bad recipient: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .body(mail.body.clone())
            .map_err(|e| RepoError::Other(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| RepoError::Unavailable(format!("smtp: {e}")))?;
        tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent");
        Ok(())
    }
}
