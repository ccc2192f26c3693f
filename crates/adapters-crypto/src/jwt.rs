//! EdDSA (Ed25519) access tokens via `jsonwebtoken`, with the keys decoded once.

use crate::SigningKeyMaterial;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use castellan_domain::AccessClaims;
use castellan_ports::{Jwk, JwkSet, TokenCodec, TokenError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

/// Signs and verifies access tokens. Only `EdDSA` with our `kid` is accepted.
pub struct JwtCodec {
    kid: String,
    public_x: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
}

impl std::fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtCodec")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwtCodec {
    /// A codec for `key`, issuing and accepting tokens for `issuer` / `audience`.
    pub fn new(key: &SigningKeyMaterial, issuer: &str, audience: &str) -> Result<Self, TokenError> {
        let encoding = EncodingKey::from_ed_pem(key.private_pem.as_bytes())
            .map_err(|e| TokenError::Signing(e.to_string()))?;
        let public_x = URL_SAFE_NO_PAD.encode(key.public);
        let decoding = DecodingKey::from_ed_components(&public_x)
            .map_err(|e| TokenError::Signing(e.to_string()))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".into());
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            kid: key.kid.clone(),
            public_x,
            encoding,
            decoding,
            header,
            validation,
        })
    }
}

impl TokenCodec for JwtCodec {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenError::Invalid);
        }
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidToken
                | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::Invalid,
                _ => TokenError::Claims(e.to_string()),
            })
    }

    fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
                kid: self.kid.clone(),
                x: self.public_x.clone(),
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use castellan_domain::{SessionId, TenantId, TokenType, UserId};

    fn claims(exp_offset: i64, aud: &str) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims {
            iss: "castellan".into(),
            aud: aud.into(),
            sub: UserId::new(),
            tid: TenantId::DEFAULT,
            sid: SessionId::new(),
            roles: vec!["User".into()],
            jti: uuid::Uuid::now_v7(),
            iat: now,
            nbf: now,
            exp: now + exp_offset,
            token_type: TokenType::Access,
            ver: 1,
        }
    }

    fn codec() -> JwtCodec {
        JwtCodec::new(
            &SigningKeyMaterial::generate().unwrap(),
            "castellan",
            "castellan",
        )
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let codec = codec();
        let c = claims(900, "castellan");
        let token = codec.issue(&c).unwrap();
        assert_eq!(codec.verify(&token).unwrap(), c);
    }

    #[test]
    fn refuses_expired_wrong_audience_other_key_and_tampering() {
        let codec = codec();
        assert!(codec
            .verify(&codec.issue(&claims(-60, "castellan")).unwrap())
            .is_err());
        assert!(codec
            .verify(&codec.issue(&claims(900, "other")).unwrap())
            .is_err());
        let other = self::codec();
        assert_eq!(
            codec.verify(&other.issue(&claims(900, "castellan")).unwrap()),
            Err(TokenError::Invalid)
        );
        let token = codec.issue(&claims(900, "castellan")).unwrap();
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["ver"] = serde_json::json!(99);
        parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
        assert_eq!(codec.verify(&parts.join(".")), Err(TokenError::Invalid));
    }

    #[test]
    fn refuses_alg_none() {
        let codec = codec();
        let token = codec.issue(&claims(900, "castellan")).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
            codec.kid
        ));
        assert_eq!(
            codec.verify(&format!("{header}.{payload}.")),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn jwks_publishes_the_public_key() {
        let codec = codec();
        let jwks = codec.jwks();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!(jwks.keys[0].kid, codec.kid);
        assert_eq!(URL_SAFE_NO_PAD.decode(&jwks.keys[0].x).unwrap().len(), 32);
    }
}
