//! Building the application: adapters chosen by configuration, use cases wired, server bound.

use crate::gauges::ServerGauges;
use crate::settings::{Settings, SettingsError};
use actix_web::dev::{Server, ServerHandle};
use actix_web::HttpServer;
use castellan_adapters_crypto::{
    load_or_generate, load_or_generate_secret, Argon2Hasher, EnvelopeCipher, HasherParams,
    JwtCodec, LocalKeyProvider, SigningKeyMaterial,
};
use castellan_adapters_local::{
    InProcessEpochs, InProcessLockout, InProcessRateLimiter, InProcessTokenStore,
    SettledRateLimiter, SplitAdmission,
};
use castellan_adapters_mail::SmtpMailer;
use castellan_adapters_redis::{
    RedisAdmission, RedisConfig, RedisEpochs, RedisLockout, RedisRateLimiter, RedisTokenStore,
};
use castellan_adapters_sql::postgres::PgConfig;
use castellan_adapters_sql::sqlite::SqliteConfig;
use castellan_adapters_sql::{
    AccessStore, ApiKeyStore, AuditStore, CredentialStore, Db, FigureStore, InvitationStore,
    JobStore, OutboxStore, PasswordResetStore, ResourceStore, RevocationStore, RoleStore,
    SessionStore, TenantStore, UserStore,
};
use castellan_api::metrics::Metrics;
use castellan_api::rate_limit::RateLimits;
use castellan_api::AppState;
use castellan_application::epochs::Epoched;
use castellan_application::jobs::{Job, JobPorts, JobRunner};
use castellan_application::secrets::KeyHasher;
use castellan_application::vault::KeyRotation;
use castellan_application::{
    AccessService, ApiKeyPorts, ApiKeyService, AuditService, AuthConfig, AuthPorts, AuthService,
    CallerLimits, ChainWatch, DashboardService, DemoSeed, InvitationPorts, InvitationService,
    PrincipalCache, ResourceService, RoleService, TenantService, UserAdminService, VaultPorts,
    VaultService,
};
use castellan_domain::lockout::LockoutPolicy;
use castellan_ports::{
    AccessEpochs, AccessRepository, Admission, ApiKeyRepository, AuditLog, Clock,
    CredentialRepository, InvitationRepository, LoginLockout, Mailer, Outbox,
    PasswordResetRepository, Quota, RateLimiter, ResourceRepository, RoleRepository, SecretCipher,
    SessionRepository, SystemClock, TenantFigures, TenantRepository, TokenStore, UserRepository,
};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The database could not be prepared.
    #[error("database: {0}")]
    Database(String),
    /// The token store could not be prepared.
    #[error("{0}")]
    Redis(String),
    /// The signing key could not be loaded or created.
    #[error("auth.signing_key_path: {0}")]
    SigningKey(String),
    /// The mailer could not be configured.
    #[error("{0}")]
    Mail(String),
    /// The vault's key file could not be read or created, or others may read it.
    #[error("vault.kek_path: {0}")]
    Vault(String),
    /// Binding the listener failed.
    #[error("server.bind: {0}")]
    Bind(std::io::Error),
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The HTTP worker threads (`server.workers`, 0: one per CPU).
fn http_workers(settings: &Settings) -> usize {
    match settings.server.workers {
        0 => cpus(),
        n => n,
    }
}

/// Which database `database.url` names.
enum Backend {
    Postgres(String),
    Sqlite(SqliteConfig),
}

fn backend(settings: &Settings) -> Backend {
    let url = settings.database.url.trim();
    if url.starts_with("sqlite://") {
        Backend::Sqlite(SqliteConfig {
            url: url.to_string(),
            // One writer at a time; a few readers help. Each connection has its own page cache.
            max_connections: settings.database.max_connections.min(4),
            timeout: Duration::from_millis(settings.database.timeout_ms),
        })
    } else {
        Backend::Postgres(url.to_string())
    }
}

/// Applies the migrations of the configured database; returns how many ran.
pub async fn migrate(settings: &Settings) -> Result<usize, StartupError> {
    let applied = match backend(settings) {
        Backend::Postgres(url) => castellan_adapters_sql::postgres::run_migrations(&url)
            .await
            .map_err(|e| e.to_string()),
        Backend::Sqlite(config) => castellan_adapters_sql::sqlite::run_migrations(&config)
            .await
            .map_err(|e| e.to_string()),
    };
    applied.map_err(StartupError::Database)
}

/// The repositories and the token store the configuration selects.
#[derive(Debug, Clone)]
pub struct Storage {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    access: Arc<dyn AccessRepository>,
    resources: Arc<dyn ResourceRepository>,
    roles: Arc<dyn RoleRepository>,
    tenants: Arc<dyn TenantRepository>,
    invitations: Arc<dyn InvitationRepository>,
    mailer: Arc<dyn Mailer>,
    outbox: Arc<dyn Outbox>,
    audit: Arc<dyn AuditLog>,
    figures: Arc<dyn TenantFigures>,
    api_keys: Arc<dyn ApiKeyRepository>,
    credentials: Arc<dyn CredentialRepository>,
    resets: Arc<dyn PasswordResetRepository>,
    limiter: Arc<dyn RateLimiter>,
    /// The anonymous per-IP buckets (settled periodically with Redis).
    anonymous_limiter: Arc<dyn RateLimiter>,
    token_store: Arc<dyn TokenStore>,
    /// Job leases and housekeeping.
    jobs: Arc<JobStore>,
    /// The pools, for the metrics' gauges.
    db: Db,
    redis: Option<RedisTokenStore>,
    /// The revocation check with a caller's bucket (one round trip on Redis).
    admission: Arc<dyn Admission>,
    /// Where writes move the access epochs (`None`: no principal cache).
    epochs: Option<Arc<dyn AccessEpochs>>,
    lockout: Arc<dyn LoginLockout>,
}

/// The login lockout's thresholds from `[rate_limit]`.
fn lockout_policy(settings: &Settings) -> LockoutPolicy {
    let r = &settings.rate_limit;
    LockoutPolicy {
        address_failures: r.lockout_failures_per_ip,
        email_failures: r.lockout_failures_per_email,
        window_secs: r.lockout_window_secs,
        lock_secs: r.lockout_secs,
    }
}

/// Builds the repositories and token store `settings` select.
pub async fn storage(settings: &Settings) -> Result<Storage, StartupError> {
    let redis_store = redis_store(settings)?;
    let limiter: Arc<dyn RateLimiter> = match redis_store.clone() {
        Some(store) => Arc::new(RedisRateLimiter::new(store)),
        None => Arc::new(InProcessRateLimiter::default()),
    };
    let anonymous_limiter: Arc<dyn RateLimiter> =
        match (redis_store.clone(), settings.rate_limit.anonymous_settle_ms) {
            (Some(store), ms) if ms > 0 => Arc::new(SettledRateLimiter::start(
                Arc::new(RedisRateLimiter::new(store)),
                Duration::from_millis(ms),
            )),
            _ => limiter.clone(),
        };
    let lockout: Arc<dyn LoginLockout> = match redis_store.clone() {
        Some(store) => Arc::new(RedisLockout::new(store, lockout_policy(settings))),
        None => Arc::new(InProcessLockout::new(
            lockout_policy(settings),
            limiter.clone(),
        )),
    };
    let redis = redis_store
        .clone()
        .map(|s| Arc::new(s) as Arc<dyn TokenStore>);
    let db = match backend(settings) {
        Backend::Postgres(url) => Db::postgres(&PgConfig {
            url,
            max_connections: settings.database.max_connections,
            lanes: http_workers(settings) + 1,
            timeout: Duration::from_millis(settings.database.timeout_ms),
            app_role: Some(settings.database.app_role.clone()).filter(|r| !r.is_empty()),
        }),
        Backend::Sqlite(config) => Db::sqlite(&config),
    }
    .map_err(|e| StartupError::Database(e.to_string()))?;
    let token_store = match redis {
        Some(redis) => redis,
        // Without Redis the revocations live in PostgreSQL: still shared by every replica.
        None if db.is_postgres() => Arc::new(RevocationStore::new(db.clone())),
        // On SQLite (one process) they are answered from memory, written through to the
        // database and warmed from it at start.
        None => {
            let log = RevocationStore::new(db.clone());
            let active = log
                .active(chrono::Utc::now())
                .await
                .map_err(|e| StartupError::Database(e.to_string()))?;
            Arc::new(InProcessTokenStore::new(Arc::new(log), active))
        }
    };
    let (admission, epochs) = admission(&redis_store, &db, &token_store, &limiter);
    let epoched = Epochs(epochs.clone());
    Ok(Storage {
        users: epoched.users(Arc::new(UserStore::new(db.clone()))),
        sessions: Arc::new(SessionStore::new(db.clone())),
        access: Arc::new(AccessStore::new(db.clone())),
        resources: Arc::new(ResourceStore::new(db.clone())),
        roles: epoched.roles(Arc::new(RoleStore::new(db.clone()))),
        tenants: epoched.tenants(Arc::new(TenantStore::new(db.clone()))),
        invitations: Arc::new(InvitationStore::new(db.clone())),
        mailer: Arc::new(OutboxStore::new(db.clone())),
        audit: Arc::new(AuditStore::new(db.clone())),
        figures: Arc::new(FigureStore::new(db.clone())),
        api_keys: Arc::new(ApiKeyStore::new(db.clone())),
        credentials: Arc::new(CredentialStore::new(db.clone())),
        resets: epoched.resets(Arc::new(PasswordResetStore::new(db.clone()))),
        outbox: Arc::new(OutboxStore::new(db.clone())),
        jobs: Arc::new(JobStore::new(db.clone())),
        db,
        redis: redis_store,
        limiter,
        anonymous_limiter,
        token_store,
        admission,
        epochs,
        lockout,
    })
}

/// The hot path's admission and, where a principal cache can trust them, the access
/// epochs: Redis (shared by every replica), or memory when one process owns its SQLite
/// database. PostgreSQL without Redis has neither a shared fast store nor one process: no
/// epochs, no cache.
fn admission(
    redis: &Option<RedisTokenStore>,
    db: &Db,
    token_store: &Arc<dyn TokenStore>,
    limiter: &Arc<dyn RateLimiter>,
) -> (Arc<dyn Admission>, Option<Arc<dyn AccessEpochs>>) {
    if let Some(store) = redis {
        let epochs = Arc::new(RedisEpochs::new(store.clone()));
        return (Arc::new(RedisAdmission::new(store.clone())), Some(epochs));
    }
    let split = SplitAdmission::new(token_store.clone(), limiter.clone());
    if db.is_postgres() {
        return (Arc::new(split), None);
    }
    let epochs = InProcessEpochs::default();
    (
        Arc::new(split.with_epochs(epochs.clone())),
        Some(Arc::new(epochs)),
    )
}

/// Wraps the repositories whose writes move access epochs (when there are epochs).
struct Epochs(Option<Arc<dyn AccessEpochs>>);

impl Epochs {
    fn users(&self, store: Arc<dyn UserRepository>) -> Arc<dyn UserRepository> {
        match &self.0 {
            Some(epochs) => Arc::new(Epoched::new(store, epochs.clone())),
            None => store,
        }
    }

    fn roles(&self, store: Arc<dyn RoleRepository>) -> Arc<dyn RoleRepository> {
        match &self.0 {
            Some(epochs) => Arc::new(Epoched::new(store, epochs.clone())),
            None => store,
        }
    }

    fn tenants(&self, store: Arc<dyn TenantRepository>) -> Arc<dyn TenantRepository> {
        match &self.0 {
            Some(epochs) => Arc::new(Epoched::new(store, epochs.clone())),
            None => store,
        }
    }

    fn resets(&self, store: Arc<dyn PasswordResetRepository>) -> Arc<dyn PasswordResetRepository> {
        match &self.0 {
            Some(epochs) => Arc::new(Epoched::new(store, epochs.clone())),
            None => store,
        }
    }
}

/// The Redis store when `redis.url` is set.
fn redis_store(settings: &Settings) -> Result<Option<RedisTokenStore>, StartupError> {
    if settings.redis.url.trim().is_empty() {
        return Ok(None);
    }
    let store = RedisTokenStore::new(&RedisConfig {
        url: settings.redis.url.clone(),
        key_prefix: settings.redis.key_prefix.clone(),
        max_connections: settings.redis.max_connections,
        lanes: http_workers(settings) + 1,
        timeout: Duration::from_millis(settings.redis.timeout_ms),
    })
    .map_err(|e| StartupError::Redis(e.to_string()))?;
    Ok(Some(store))
}

/// The server secret keying API-key hashes: `api_keys.pepper`, else the file at
/// `api_keys.pepper_path` (generated when absent).
fn api_key_hasher(settings: &Settings) -> Result<KeyHasher, StartupError> {
    let pepper = settings.api_keys.pepper.trim();
    if !pepper.is_empty() {
        return Ok(KeyHasher::new(pepper.as_bytes()));
    }
    let path = &settings.api_keys.pepper_path;
    let invalid = |message: String| {
        StartupError::Settings(SettingsError::Invalid {
            key: "api_keys.pepper_path",
            message: format!("{}: {message}", path.display()),
        })
    };
    let pepper = load_or_generate_secret(path).map_err(|e| invalid(e.to_string()))?;
    if pepper.len() < 32 {
        return Err(invalid("holds fewer than 32 characters".into()));
    }
    Ok(KeyHasher::new(pepper.into_bytes()))
}

/// The vault's envelope encryption over the local key file (`vault.kek_path`), checked
/// at startup: created 0600 when absent, refused when others may read it.
fn vault_cipher(settings: &Settings) -> Result<Arc<dyn SecretCipher>, StartupError> {
    let provider = LocalKeyProvider::open(&settings.vault.kek_path)
        .map_err(|e| StartupError::Vault(e.to_string()))?;
    Ok(Arc::new(EnvelopeCipher::new(Arc::new(provider))))
}

fn signing_key(settings: &Settings) -> Result<SigningKeyMaterial, StartupError> {
    let pem = settings.auth.signing_key_pem.trim();
    let key = if pem.is_empty() {
        load_or_generate(&settings.auth.signing_key_path)
    } else {
        SigningKeyMaterial::from_pem(pem)
    };
    key.map_err(|e| StartupError::SigningKey(e.to_string()))
}

/// The use cases, wired to the adapters the configuration selects.
#[derive(Debug, Clone)]
pub struct Services {
    /// Authentication.
    pub auth: AuthService,
    /// Access questions.
    pub access: AccessService,
    /// Every declared business resource.
    pub resources: ResourceService,
    /// Roles, access rules, grants.
    pub roles: RoleService,
    /// Tenants.
    pub tenants: TenantService,
    /// User administration.
    pub users: UserAdminService,
    /// Invitations.
    pub invitations: InvitationService,
    /// The audit trail.
    pub audit: AuditService,
    /// The dashboard.
    pub dashboard: DashboardService,
    /// The background verification of the audit chains (the dashboard's `audit` block).
    pub chain_watch: ChainWatch,
    /// The dev outbox, when its route is on.
    pub outbox: Option<Arc<dyn Outbox>>,
    /// API keys.
    pub api_keys: ApiKeyService,
    /// The credential vault.
    pub vault: VaultService,
    /// Re-wrapping the vault's data keys (`castellan keys rotate-kek`).
    pub key_rotation: KeyRotation,
    /// Prometheus metrics, when on.
    pub metrics: Option<Metrics>,
    /// Rate limits, when on.
    pub rate_limits: Option<RateLimits>,
    /// The background jobs.
    pub jobs: JobRunner,
    /// The demo seed.
    pub seed: DemoSeed,
}

fn per_hour(limit: u32) -> Quota {
    Quota {
        limit,
        period_secs: 3600,
    }
}

fn per_minute(limit: u32) -> Quota {
    Quota {
        limit,
        period_secs: 60,
    }
}

/// The quotas of `[rate_limit]` on `limiter`.
fn rate_limits(
    settings: &Settings,
    limiter: Arc<dyn RateLimiter>,
    anonymous_limiter: Arc<dyn RateLimiter>,
) -> RateLimits {
    let r = &settings.rate_limit;
    RateLimits {
        limiter,
        anonymous_limiter,
        login_per_ip_email: per_minute(r.login_per_ip_email_per_minute),
        login_per_ip: per_minute(r.login_per_ip_per_minute),
        register: per_hour(r.register_per_hour),
        tenant_create: per_hour(r.tenants_per_hour),
        invitation_accept: per_hour(r.invitation_accepts_per_hour),
        password_reset: per_hour(r.password_reset_per_hour),
        anonymous: per_minute(r.anonymous_per_minute),
    }
}

fn hasher(settings: &Settings) -> Result<Argon2Hasher, StartupError> {
    let auth = &settings.auth;
    let threads = match auth.max_concurrent_hashes {
        0 => cpus(),
        n => n,
    };
    let params = HasherParams {
        memory_kib: auth.argon2_memory_kib,
        iterations: auth.argon2_iterations,
        parallelism: auth.argon2_parallelism,
    };
    Argon2Hasher::new(params, threads).map_err(|e| {
        StartupError::Settings(SettingsError::Invalid {
            key: "auth.argon2_memory_kib",
            message: e.to_string(),
        })
    })
}

/// Builds the adapters and wires the use cases.
pub async fn services(settings: &Settings) -> Result<Services, StartupError> {
    let storage = storage(settings).await?;
    let auth = &settings.auth;
    let hasher = Arc::new(hasher(settings)?);
    let codec = JwtCodec::new(&signing_key(settings)?, &auth.issuer, &auth.audience)
        .map_err(|e| StartupError::SigningKey(e.to_string()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let chain_watch = ChainWatch::new(
        storage.audit.clone(),
        clock.clone(),
        settings.audit.verify_after_writes,
    );
    let metrics = match settings.metrics.enabled {
        true => {
            let gauges = ServerGauges {
                db: storage.db.clone(),
                redis: storage.redis.clone(),
                chains: chain_watch.clone(),
            };
            let metrics = Metrics::new(Some(Arc::new(gauges))).map_err(|e| {
                StartupError::Settings(SettingsError::Invalid {
                    key: "metrics.enabled",
                    message: e.to_string(),
                })
            })?;
            Some(metrics)
        }
        false => None,
    };
    let smtp = settings.mail.smtp_url.trim();
    let mailer: Arc<dyn Mailer> = match smtp.is_empty() {
        true => storage.mailer,
        false => Arc::new(
            SmtpMailer::new(smtp, &settings.mail.from)
                .map_err(|e| StartupError::Mail(e.to_string()))?,
        ),
    };
    let key_hasher = api_key_hasher(settings)?;
    let cipher = vault_cipher(settings)?;
    let ports = AuthPorts {
        users: storage.users.clone(),
        sessions: storage.sessions,
        access: storage.access.clone(),
        token_store: storage.token_store,
        admission: storage.admission,
        hasher: hasher.clone(),
        codec: Arc::new(codec),
        clock: clock.clone(),
        audit: storage.audit.clone(),
        api_keys: storage.api_keys.clone(),
        key_hasher: key_hasher.clone(),
        resets: storage.resets,
        mailer: mailer.clone(),
    };
    let config = AuthConfig {
        issuer: auth.issuer.clone(),
        audience: auth.audience.clone(),
        access_ttl_secs: auth.access_ttl_secs,
        refresh_ttl_secs: auth.refresh_ttl_secs,
        allow_registration: auth.allow_registration,
        reset_ttl_secs: auth.password_reset_ttl_secs,
    };
    let mut auth = AuthService::new(ports, config);
    let cache_ttl = Duration::from_secs(settings.auth.principal_cache_ttl_secs);
    if storage.epochs.is_some() && !cache_ttl.is_zero() {
        let capacity = settings.auth.principal_cache_capacity;
        auth = auth.with_principal_cache(PrincipalCache::new(capacity, cache_ttl));
    }
    if settings.rate_limit.enabled {
        auth = auth
            .with_caller_limits(CallerLimits {
                limiter: storage.limiter.clone(),
                quota: per_minute(settings.rate_limit.authenticated_per_minute),
            })
            .with_lockout(storage.lockout);
    }
    let invitation_ports = InvitationPorts {
        invitations: storage.invitations,
        tenants: storage.tenants.clone(),
        roles: storage.roles.clone(),
        users: storage.users.clone(),
        mailer,
        clock: clock.clone(),
    };
    Ok(Services {
        invitations: InvitationService::new(
            invitation_ports,
            auth.clone(),
            settings.invitations.ttl_secs,
        ),
        metrics,
        rate_limits: settings
            .rate_limit
            .enabled
            .then(|| rate_limits(settings, storage.limiter, storage.anonymous_limiter)),
        api_keys: ApiKeyService::new(
            ApiKeyPorts {
                keys: storage.api_keys,
                access: storage.access.clone(),
                clock: clock.clone(),
            },
            key_hasher,
        ),
        vault: VaultService::new(VaultPorts {
            credentials: storage.credentials.clone(),
            cipher: cipher.clone(),
            audit: storage.audit.clone(),
            clock: clock.clone(),
        }),
        key_rotation: KeyRotation {
            credentials: storage.credentials,
            cipher,
        },
        // The outbox only fills while the dev mailer is in use.
        outbox: (settings.mail.dev_outbox_route && smtp.is_empty()).then_some(storage.outbox),
        tenants: TenantService::new(
            storage.tenants.clone(),
            storage.access.clone(),
            auth.clone(),
            clock.clone(),
            settings.tenants.self_service,
        ),
        users: UserAdminService::new(
            storage.users.clone(),
            storage.roles.clone(),
            auth.clone(),
            clock.clone(),
        ),
        auth,
        roles: RoleService::new(
            storage.roles.clone(),
            storage.access.clone(),
            storage.users.clone(),
            clock.clone(),
        ),
        access: AccessService::new(storage.access, storage.users.clone()),
        resources: ResourceService::new(
            storage.resources.clone(),
            storage.users.clone(),
            clock.clone(),
        ),
        audit: AuditService::new(storage.audit.clone(), clock.clone()),
        dashboard: DashboardService::new(
            storage.figures,
            storage.resources.clone(),
            storage.tenants.clone(),
            chain_watch.clone(),
            clock.clone(),
        ),
        jobs: JobRunner::new(
            JobPorts {
                leases: storage.jobs.clone(),
                housekeeping: storage.jobs,
                chains: chain_watch.clone(),
                clock: clock.clone(),
            },
            settings.jobs.invitation_retention_secs,
        ),
        chain_watch,
        seed: DemoSeed {
            users: storage.users,
            resources: storage.resources,
            roles: storage.roles,
            hasher,
            clock,
        },
    })
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on `metrics.bind`, when set: its bound port and the server.
    metrics_server: Option<(u16, Server)>,
    /// The background jobs, stopped with the server.
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Prepares storage (migrations when configured), builds the adapters and binds the
    /// listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        if settings.migrations.run_on_start {
            let applied = migrate(settings).await?;
            tracing::info!(applied, "migrations up to date");
        }
        let services = services(settings).await?;
        let state = AppState {
            auth: services.auth,
            api_keys: services.api_keys,
            vault: services.vault,
            access: services.access,
            resources: services.resources,
            roles: services.roles,
            tenants: services.tenants,
            users: services.users,
            invitations: services.invitations,
            audit: services.audit,
            dashboard: services.dashboard,
            outbox: services.outbox,
            metrics: services.metrics.clone(),
            metrics_on_main_port: settings.metrics_addr()?.is_none(),
            console: settings.console.enabled,
            rate_limits: services.rate_limits,
            trusted_proxies: settings.trusted_proxies()?,
            version: env!("CARGO_PKG_VERSION"),
        };
        let listener = TcpListener::bind(settings.bind_addr()?).map_err(StartupError::Bind)?;
        let port = listener.local_addr().map_err(StartupError::Bind)?.port();
        let workers = http_workers(settings);
        // Each worker builds its app on its own thread, at its start: that thread takes the
        // next lane (1, 2, ...), and the stores serve it from that lane's pools.
        let next_lane = Arc::new(AtomicUsize::new(0));
        let server = HttpServer::new(move || {
            let lane = next_lane.fetch_add(1, Ordering::Relaxed) % workers + 1;
            castellan_ports::lanes::enter(lane);
            castellan_api::app(state.clone())
        })
        .workers(workers)
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(
            settings.server.request_head_timeout_secs,
        ))
        .listen(listener)
        .map_err(StartupError::Bind)?
        .run();
        tracing::info!(port, "listening");
        let metrics_server = match (services.metrics.clone(), settings.metrics_addr()?) {
            (Some(metrics), Some(addr)) => Some(metrics_server(metrics, addr)?),
            _ => None,
        };
        let jobs = schedule_jobs(settings, &services.jobs, services.metrics.as_ref());
        Ok(Self {
            port,
            server,
            metrics_server,
            jobs,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics` when `metrics.bind` gives it one of its own.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(port, _)| *port)
    }

    /// A handle to stop the server (gracefully with `stop(true)`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM/SIGINT stop gracefully: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let served = self.server.await;
        for job in self.jobs {
            job.abort();
        }
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        served
    }
}

/// `/metrics` alone on `addr` (one worker: a scrape is cheap).
fn metrics_server(
    metrics: Metrics,
    addr: std::net::SocketAddr,
) -> Result<(u16, Server), StartupError> {
    let listener = TcpListener::bind(addr).map_err(StartupError::Bind)?;
    let port = listener.local_addr().map_err(StartupError::Bind)?.port();
    let server = HttpServer::new(move || castellan_api::routes::metrics_app(metrics.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(StartupError::Bind)?
        .run();
    tracing::info!(port, "metrics listening");
    Ok((port, server))
}

/// Starts the background jobs: `audit_chains` every `audit.verify_poll_secs` in this
/// replica (at once, then incrementally), and, when `jobs.enabled`, the leased jobs, each
/// looking four times a period whether its period is due (so that across replicas a job runs
/// once per period, give or take a quarter).
fn schedule_jobs(
    settings: &Settings,
    jobs: &JobRunner,
    metrics: Option<&Metrics>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut scheduled = vec![(
        Job::AuditChains,
        settings.audit.verify_poll_secs,
        settings.audit.verify_poll_secs,
    )];
    if settings.jobs.enabled {
        for (job, period) in [
            (Job::Sessions, settings.jobs.sessions_period_secs),
            (Job::Invitations, settings.jobs.invitations_period_secs),
        ] {
            scheduled.push((job, period, (period / 4).clamp(1, 60)));
        }
    }
    scheduled
        .into_iter()
        .map(|(job, period, look_every)| {
            let (jobs, metrics) = (jobs.clone(), metrics.cloned());
            tokio::spawn(run_periodically(jobs, metrics, job, period, look_every))
        })
        .collect()
}

/// Runs `job` when due, looking every `look_every` seconds; a failed run is logged and
/// tried again at the next look.
async fn run_periodically(
    jobs: JobRunner,
    metrics: Option<Metrics>,
    job: Job,
    period: u64,
    look_every: u64,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs(look_every.max(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match jobs.run_if_due(job, period).await {
            Ok(None) => {}
            Ok(Some(report)) => {
                if let Some(metrics) = &metrics {
                    metrics.job_run(job.name());
                }
                match (job, report.done) {
                    (Job::AuditChains, 0) => {}
                    _ => tracing::info!(job = job.name(), done = report.done, "{report}"),
                }
            }
            Err(err) => {
                tracing::warn!(job = job.name(), error = %err, "background job failed; retrying")
            }
        }
    }
}
