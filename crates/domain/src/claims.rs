//! Access-token claims and the rules they must satisfy beyond the signature.

use crate::{SessionId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kind of a token; only `access` tokens authenticate requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// A short-lived access token.
    Access,
}

/// The claims of an access token, as in the HTTP contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user.
    pub sub: UserId,
    /// The user's tenant.
    pub tid: TenantId,
    /// The session the token belongs to.
    pub sid: SessionId,
    /// Role names at issue time (informational: authorization uses current roles).
    pub roles: Vec<String>,
    /// Unique token id, used by the blocklist.
    pub jti: Uuid,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Always `access`.
    #[serde(rename = "type")]
    pub token_type: TokenType,
    /// The user's token version at issue time.
    pub ver: i32,
}

/// Why otherwise well-signed claims are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// `exp` is in the past.
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iss` or `aud` is not ours.
    #[error("token issuer or audience mismatch")]
    WrongAudience,
}

impl AccessClaims {
    /// Checks the time window and the issuer/audience at `now` (seconds since the epoch),
    /// allowing `leeway_secs` of clock skew.
    ///
    /// ```
    /// use castellan_domain::{AccessClaims, ClaimsError, SessionId, TenantId, TokenType, UserId};
    /// let claims = AccessClaims {
    ///     iss: "castellan".into(), aud: "castellan".into(), sub: UserId::new(),
    ///     tid: TenantId::DEFAULT, sid: SessionId::new(), roles: vec![], jti: uuid::Uuid::nil(),
    ///     iat: 1_000, nbf: 1_000, exp: 1_900, token_type: TokenType::Access, ver: 1,
    /// };
    /// assert!(claims.validate(1_500, "castellan", "castellan", 0).is_ok());
    /// assert_eq!(claims.validate(2_000, "castellan", "castellan", 0), Err(ClaimsError::Expired));
    /// assert_eq!(claims.validate(900, "castellan", "castellan", 0), Err(ClaimsError::NotYetValid));
    /// assert_eq!(claims.validate(1_500, "castellan", "other", 0), Err(ClaimsError::WrongAudience));
    /// ```
    pub fn validate(
        &self,
        now: i64,
        issuer: &str,
        audience: &str,
        leeway_secs: i64,
    ) -> Result<(), ClaimsError> {
        if self.iss != issuer || self.aud != audience {
            return Err(ClaimsError::WrongAudience);
        }
        if self.exp <= now - leeway_secs {
            return Err(ClaimsError::Expired);
        }
        if self.nbf > now + leeway_secs {
            return Err(ClaimsError::NotYetValid);
        }
        Ok(())
    }

    /// Seconds until expiry at `now` (never negative): the TTL of a blocklist entry.
    ///
    /// ```
    /// # use castellan_domain::{AccessClaims, SessionId, TenantId, TokenType, UserId};
    /// # let claims = AccessClaims { iss: "i".into(), aud: "a".into(), sub: UserId::new(),
    /// #   tid: TenantId::DEFAULT, sid: SessionId::new(), roles: vec![], jti: uuid::Uuid::nil(),
    /// #   iat: 0, nbf: 0, exp: 100, token_type: TokenType::Access, ver: 1 };
    /// assert_eq!(claims.remaining_secs(40), 60);
    /// assert_eq!(claims.remaining_secs(400), 0);
    /// ```
    pub fn remaining_secs(&self, now: i64) -> u64 {
        u64::try_from(self.exp - now).unwrap_or(0)
    }
}
