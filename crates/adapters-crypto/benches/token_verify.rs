//! Access-token verification cost (the per-request CPU of authentication).

use castellan_adapters_crypto::{JwtCodec, SigningKeyMaterial};
use castellan_domain::{AccessClaims, SessionId, TenantId, TokenType, UserId};
use castellan_ports::TokenCodec;
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_verify(c: &mut Criterion) {
    let Ok(key) = SigningKeyMaterial::generate() else {
        return;
    };
    let Ok(codec) = JwtCodec::new(&key, "castellan", "castellan") else {
        return;
    };
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        iss: "castellan".into(),
        aud: "castellan".into(),
        sub: UserId::new(),
        tid: TenantId::DEFAULT,
        sid: SessionId::new(),
        roles: vec!["User".into()],
        jti: uuid::Uuid::now_v7(),
        iat: now,
        nbf: now,
        exp: now + 3600,
        token_type: TokenType::Access,
        ver: 1,
    };
    let Ok(token) = codec.issue(&claims) else {
        return;
    };
    c.bench_function("jwt_verify_eddsa", |b| b.iter(|| codec.verify(&token)));
    c.bench_function("jwt_issue_eddsa", |b| b.iter(|| codec.issue(&claims)));
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
