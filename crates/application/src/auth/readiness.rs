//! Readiness probes: whether the database and the token store answer.

use super::AuthService;
use crate::error::AppError;

impl AuthService {
    /// Whether the database answers (readiness).
    pub async fn check_database(&self) -> Result<(), AppError> {
        Ok(self.ports.users.ping().await?)
    }

    /// Whether the token store answers (readiness).
    pub async fn check_token_store(&self) -> Result<(), AppError> {
        Ok(self.ports.token_store.ping().await?)
    }
}
