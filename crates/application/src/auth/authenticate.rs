//! Turning a bearer token into a [`Principal`]: signature, claims, the user, the session and
//! the blocklist.

use super::{AuthService, Principal};
use crate::error::AppError;
use castellan_domain::rbac::Subject;
use castellan_domain::TokenType;
use castellan_ports::scope::{scoped, DataScope};

impl AuthService {
    /// Verifies a bearer token and loads its user: signature and claims, then the
    /// revocation state (fail closed), then the user as stored now.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AppError> {
        let claims = self
            .ports
            .codec
            .verify(token)
            .map_err(|_| AppError::Unauthenticated("invalid or expired token"))?;
        if claims.token_type != TokenType::Access {
            return Err(AppError::Unauthenticated("not an access token"));
        }
        // One round trip each, concurrently: the revocation check, the user as stored
        // now, and the rules of the user's current roles.
        // The user and their rules live in the token's tenant: look there (which also lets
        // the connections keep the scope the rest of a non-superuser's request uses).
        let lookups = async {
            futures::join!(
                self.ports.token_store.is_revoked(claims.jti, claims.sid),
                self.ports.users.by_id(claims.sub),
                self.ports.access.rules_for_user(claims.sub),
            )
        };
        let (revoked, user, rules) = scoped(DataScope::Tenant(claims.tid.0), lookups).await;
        if revoked? {
            return Err(AppError::Unauthenticated("token has been revoked"));
        }
        match user? {
            Some(user) if user.accepts_token_version(claims.ver) => {
                let subject = Subject::new(user.id.0, user.is_superuser, rules?);
                Ok(Principal {
                    user,
                    claims,
                    subject,
                })
            }
            _ => Err(AppError::Unauthenticated("token has been revoked")),
        }
    }
}
