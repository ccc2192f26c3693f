//! The ceiling of `scripts/bench-http.sh`: the work an authenticated article list cannot
//! avoid, done with the libraries Castellan uses and nothing else. `GET /hello` is a bare
//! handler (the ceiling of a 401); `GET /articles` checks an EdDSA bearer token, asks Redis
//! whether its `jti` is revoked (one `EXISTS`) and reads one page of the tenant's articles
//! with one indexed diesel-async query (`?per_page=`, default 50), answered as JSON.
//!
//! `castellan-ceiling argon2 SECONDS` instead prints how many argon2id verifications (19 MiB,
//! t=2, p=1, Castellan's default cost) two threads make per second: the login's ceiling.
//!
//! Configuration by environment: `CEILING_BIND`, `CEILING_DATABASE_URL` (PostgreSQL),
//! `CEILING_REDIS_URL`, `CEILING_JWK_X` (the base64url Ed25519 public key, as the JWKS
//! publishes it), `CEILING_ISSUER` and `CEILING_AUDIENCE`.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use deadpool_redis::redis::AsyncCommands;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

#[derive(Debug, Deserialize)]
struct Claims {
    tid: uuid::Uuid,
    jti: uuid::Uuid,
}

#[derive(Debug, Serialize, diesel::QueryableByName)]
struct Article {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    content: String,
    #[diesel(sql_type = SqlUuid)]
    owner_id: uuid::Uuid,
    #[diesel(sql_type = Timestamptz)]
    created_at: chrono::DateTime<chrono::Utc>,
}

struct Ceiling {
    key: DecodingKey,
    validation: Validation,
    db: Pool<AsyncPgConnection>,
    redis: deadpool_redis::Pool,
}

impl std::fmt::Debug for Ceiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ceiling")
    }
}

async fn hello() -> HttpResponse {
    HttpResponse::Unauthorized().body("{\"data\":null}")
}

async fn articles(state: web::Data<Ceiling>, req: HttpRequest) -> HttpResponse {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(claims) = token.and_then(|t| {
        jsonwebtoken::decode::<Claims>(t, &state.key, &state.validation)
            .ok()
            .map(|d| d.claims)
    }) else {
        return HttpResponse::Unauthorized().finish();
    };
    let Ok(mut redis) = state.redis.get().await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let revoked: Result<bool, _> = redis
        .exists(format!("ceiling:revoked:{}", claims.jti))
        .await;
    match revoked {
        Ok(false) => {}
        Ok(true) => return HttpResponse::Unauthorized().finish(),
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    }
    let Ok(mut conn) = state.db.get().await else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    // `?per_page=` as Castellan's lists take it (1-200, default 50).
    let per_page =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("per_page").and_then(|n| n.parse::<i64>().ok()))
            .unwrap_or(50)
            .clamp(1, 200);
    let page: Result<Vec<Article>, _> = diesel::sql_query(
        "SELECT id, title, content, owner_id, created_at FROM articles \
         WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind::<SqlUuid, _>(claims.tid)
    .bind::<diesel::sql_types::BigInt, _>(per_page)
    .load(&mut conn)
    .await;
    match page {
        Ok(items) => HttpResponse::Ok().json(serde_json::json!({"data": items, "errors": []})),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn ceiling() -> Result<Ceiling, String> {
    let key = DecodingKey::from_ed_components(&env("CEILING_JWK_X")?).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[env("CEILING_ISSUER")?]);
    validation.set_audience(&[env("CEILING_AUDIENCE")?]);
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new(env("CEILING_DATABASE_URL")?);
    let db = Pool::builder(manager)
        .max_size(16)
        .build()
        .map_err(|e| e.to_string())?;
    let redis = deadpool_redis::Config::from_url(env("CEILING_REDIS_URL")?)
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .map_err(|e| e.to_string())?;
    Ok(Ceiling {
        key,
        validation,
        db,
        redis,
    })
}

/// Verifications per second of one argon2id hash on two threads for `seconds`.
fn argon2_rate(seconds: u64) -> Result<f64, String> {
    use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
    let params = argon2::Params::new(19 * 1024, 2, 1, None).map_err(|e| e.to_string())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"ceiling-salt-16b").map_err(|e| e.to_string())?;
    let hash = argon
        .hash_password(b"adminpass", &salt)
        .map_err(|e| e.to_string())?
        .to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = 0;
                    while std::time::Instant::now() < deadline {
                        if let Ok(parsed) = PasswordHash::new(&hash) {
                            if argon.verify_password(b"adminpass", &parsed).is_ok() {
                                done += 1;
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    Ok(counts.iter().sum::<u64>() as f64 / seconds as f64)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("argon2") {
        let seconds = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
        return match argon2_rate(seconds) {
            Ok(rate) => {
                println!("{rate:.1}");
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("castellan-ceiling: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let (state, bind) = match ceiling().and_then(|c| Ok((c, env("CEILING_BIND")?))) {
        Ok(found) => found,
        Err(err) => {
            eprintln!("castellan-ceiling: {err}");
            return ExitCode::FAILURE;
        }
    };
    let state = web::Data::new(state);
    let served = actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/hello", web::get().to(hello))
                .route("/articles", web::get().to(articles))
        })
        .workers(2)
        .bind(bind)?
        .run()
        .await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("castellan-ceiling: {err}");
            ExitCode::FAILURE
        }
    }
}
