//! Layered configuration: `config/default.toml` (compiled in) → the file named by
//! `CASTELLAN_CONFIG` → `CASTELLAN__SECTION__KEY` environment variables.

use castellan_api::client_ip::TrustedProxies;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The built-in defaults.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Unreadable file or a value of the wrong type (figment names the key).
    #[error("configuration error: {0}")]
    Load(String),
    /// A value of the right type but not acceptable.
    #[error("configuration error: {key}: {message}")]
    Invalid {
        /// The dotted key, e.g. `server.bind`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Listen address.
    pub bind: String,
    /// Grace period for in-flight requests at shutdown.
    pub shutdown_timeout_secs: u64,
    /// How long a new connection may take to send its first request's head (else 408).
    pub request_head_timeout_secs: u64,
    /// Worker threads (0 = per core).
    pub workers: usize,
    /// CIDRs (or addresses) of proxies whose `X-Forwarded-For` hop names the client.
    pub trusted_proxies: Vec<String>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// Connection URL.
    pub url: String,
    /// Pool size.
    pub max_connections: usize,
    /// Checkout timeout in ms.
    pub timeout_ms: u64,
    /// PostgreSQL: the role (without `BYPASSRLS`) connections switch to; empty: none.
    pub app_role: String,
}

/// `[redis]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    /// Connection URL.
    pub url: String,
    /// Key prefix.
    pub key_prefix: String,
    /// Pool size.
    pub max_connections: usize,
    /// Command timeout in ms.
    pub timeout_ms: u64,
}

/// The longest `rate_limit.anonymous_settle_ms`.
const MAX_ANONYMOUS_SETTLE_MS: u64 = 10_000;

/// The longest `auth.principal_cache_ttl_secs` (a user's epoch in Redis outlives it).
const MAX_PRINCIPAL_CACHE_TTL_SECS: u64 = 3_600;

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// JWT `iss`.
    pub issuer: String,
    /// JWT `aud`.
    pub audience: String,
    /// Access-token lifetime.
    pub access_ttl_secs: i64,
    /// Refresh-token lifetime.
    pub refresh_ttl_secs: i64,
    /// Signing key file.
    pub signing_key_path: PathBuf,
    /// Signing key PEM (wins over the path when non-empty).
    pub signing_key_pem: String,
    /// Open registration.
    pub allow_registration: bool,
    /// argon2 memory (KiB).
    pub argon2_memory_kib: u32,
    /// argon2 iterations.
    pub argon2_iterations: u32,
    /// argon2 lanes.
    pub argon2_parallelism: u32,
    /// Concurrent hashes (0 = per core).
    pub max_concurrent_hashes: usize,
    /// Lifetime of a password-reset token.
    pub password_reset_ttl_secs: i64,
    /// Longest a cached principal is used (0 = no cache).
    pub principal_cache_ttl_secs: u64,
    /// Most principals cached per process.
    pub principal_cache_capacity: usize,
}

/// `[api_keys]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiKeySettings {
    /// File of the server secret keying the hash of API-key secrets.
    pub pepper_path: PathBuf,
    /// The secret itself (wins over the path when non-empty).
    pub pepper: String,
}

/// `[vault]`.
#[derive(Debug, Clone, Deserialize)]
pub struct VaultSettings {
    /// The file of versioned key-encryption keys (created 0600 when absent).
    pub kek_path: PathBuf,
}

/// `[console]`.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    /// Serve the admin console at `/console`.
    pub enabled: bool,
}

/// `[tenants]`.
#[derive(Debug, Clone, Deserialize)]
pub struct TenantSettings {
    /// Public `POST /tenants`.
    pub self_service: bool,
}

/// `[invitations]`.
#[derive(Debug, Clone, Deserialize)]
pub struct InvitationSettings {
    /// Lifetime of an invitation.
    pub ttl_secs: i64,
}

/// `[mail]`.
#[derive(Debug, Clone, Deserialize)]
pub struct MailSettings {
    /// SMTP server (empty: the dev mailer).
    pub smtp_url: String,
    /// Sender address of outgoing mail.
    pub from: String,
    /// Serve `GET /api/v1/dev/outbox` to superusers.
    pub dev_outbox_route: bool,
}

/// `[rate_limit]`.
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    /// Rate limits on (off only for load tests).
    pub enabled: bool,
    /// `POST /auth/login` per IP + email and minute.
    pub login_per_ip_email_per_minute: u32,
    /// `POST /auth/login` per IP and minute.
    pub login_per_ip_per_minute: u32,
    /// `POST /auth/register` per IP and hour.
    pub register_per_hour: u32,
    /// `POST /tenants` per IP and hour.
    pub tenants_per_hour: u32,
    /// `POST /invitations/accept` per IP and hour.
    pub invitation_accepts_per_hour: u32,
    /// `POST /auth/password-reset` per IP + email and hour.
    pub password_reset_per_hour: u32,
    /// Authenticated requests per user (or per API key) and minute.
    pub authenticated_per_minute: u32,
    /// Requests without credentials per IP and minute.
    pub anonymous_per_minute: u32,
    /// With Redis: milliseconds between two settlements of the anonymous buckets decided in
    /// process (0: every anonymous request asks Redis).
    pub anonymous_settle_ms: u64,
    /// Failed logins in a row for one email from one IP that lock that pair.
    pub lockout_failures_per_ip: u32,
    /// Failed logins for one email from any IP within `lockout_window_secs` that lock it.
    pub lockout_failures_per_email: u32,
    /// The window of `lockout_failures_per_email`.
    pub lockout_window_secs: u64,
    /// How long a lock lasts.
    pub lockout_secs: u64,
}

/// `[jobs]`.
#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// Run the background jobs inside `serve`.
    pub enabled: bool,
    /// Seconds between two runs of `sessions` (across every replica).
    pub sessions_period_secs: u64,
    /// Seconds between two runs of `invitations` (across every replica).
    pub invitations_period_secs: u64,
    /// Seconds an expired invitation is kept before `invitations` removes it.
    pub invitation_retention_secs: i64,
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Record and serve Prometheus metrics.
    pub enabled: bool,
    /// Serve `/metrics` on this address instead of the main port (empty: the main port).
    pub bind: String,
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// A chain is verified again in the background once it has grown by this many entries.
    pub verify_after_writes: u64,
    /// How often the background verifier looks at the chains' heads.
    pub verify_poll_secs: u64,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `json` or `pretty`.
    pub format: String,
    /// tracing filter.
    pub level: String,
}

/// `[migrations]`.
#[derive(Debug, Clone, Deserialize)]
pub struct MigrationSettings {
    /// Apply migrations at `serve` start.
    pub run_on_start: bool,
}

/// All settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `[server]`.
    pub server: ServerSettings,
    /// `[database]`.
    pub database: DatabaseSettings,
    /// `[redis]`.
    pub redis: RedisSettings,
    /// `[auth]`.
    pub auth: AuthSettings,
    /// `[tenants]`.
    pub tenants: TenantSettings,
    /// `[invitations]`.
    pub invitations: InvitationSettings,
    /// `[mail]`.
    pub mail: MailSettings,
    /// `[api_keys]`.
    pub api_keys: ApiKeySettings,
    /// `[vault]`.
    pub vault: VaultSettings,
    /// `[rate_limit]`.
    pub rate_limit: RateLimitSettings,
    /// `[audit]`.
    pub audit: AuditSettings,
    /// `[metrics]`.
    pub metrics: MetricsSettings,
    /// `[console]`.
    pub console: ConsoleSettings,
    /// `[jobs]`.
    pub jobs: JobSettings,
    /// `[log]`.
    pub log: LogSettings,
    /// `[migrations]`.
    pub migrations: MigrationSettings,
}

impl Settings {
    /// Loads defaults, then `CASTELLAN_CONFIG`, then `CASTELLAN__*` variables, and checks
    /// the values.
    pub fn load() -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Ok(path) = std::env::var("CASTELLAN_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(SettingsError::Load(format!(
                    "CASTELLAN_CONFIG: no such file {path}"
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        Self::from_figment(figment.merge(Env::prefixed("CASTELLAN__").split("__")))
    }

    /// The built-in defaults alone (plus `overrides`, a TOML fragment): used by tests.
    pub fn defaults_with(overrides: &str) -> Result<Self, SettingsError> {
        Self::from_figment(Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string(overrides)))
    }

    fn from_figment(figment: Figment) -> Result<Self, SettingsError> {
        let settings: Settings = figment.extract().map_err(|e| {
            // Name each bad value by its documented dotted key, wherever it came from
            // (figment would print an env variable's key upper-cased).
            let messages: Vec<String> = e
                .into_iter()
                .map(|e| match e.path.is_empty() {
                    true => e.to_string(),
                    false => format!("{}: {}", e.path.join("."), e.kind),
                })
                .collect();
            SettingsError::Load(messages.join("; "))
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// The listen address.
    pub fn bind_addr(&self) -> Result<SocketAddr, SettingsError> {
        self.server
            .bind
            .parse()
            .map_err(|e| SettingsError::Invalid {
                key: "server.bind",
                message: format!("{e} (expected host:port, e.g. 127.0.0.1:8080)"),
            })
    }

    /// The parsed `metrics.bind`: `None` when empty (metrics on the main port).
    pub fn metrics_addr(&self) -> Result<Option<SocketAddr>, SettingsError> {
        let bind = self.metrics.bind.trim();
        if bind.is_empty() {
            return Ok(None);
        }
        bind.parse().map(Some).map_err(|e| SettingsError::Invalid {
            key: "metrics.bind",
            message: format!("{e} (expected host:port, e.g. 127.0.0.1:9100, or empty)"),
        })
    }

    /// The parsed `server.trusted_proxies`.
    pub fn trusted_proxies(&self) -> Result<TrustedProxies, SettingsError> {
        TrustedProxies::parse(&self.server.trusted_proxies).map_err(|message| {
            SettingsError::Invalid {
                key: "server.trusted_proxies",
                message,
            }
        })
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, message: &str| {
            Err(SettingsError::Invalid {
                key,
                message: message.into(),
            })
        };
        self.bind_addr()?;
        self.metrics_addr()?;
        self.trusted_proxies()?;
        let database = self.database.url.trim();
        let known = ["sqlite://", "postgres://", "postgresql://"];
        if !known.iter().any(|scheme| database.starts_with(scheme)) {
            return invalid(
                "database.url",
                "must be a sqlite:// path or a postgres:// URL",
            );
        }
        let redis = self.redis.url.trim();
        if !redis.is_empty() && !redis.starts_with("redis://") && !redis.starts_with("rediss://") {
            return invalid("redis.url", "must be empty or a redis:// URL");
        }
        if self.jobs.sessions_period_secs == 0 {
            return invalid("jobs.sessions_period_secs", "must be at least 1");
        }
        if self.jobs.invitations_period_secs == 0 {
            return invalid("jobs.invitations_period_secs", "must be at least 1");
        }
        if self.jobs.invitation_retention_secs < 0 {
            return invalid("jobs.invitation_retention_secs", "must not be negative");
        }
        if self.audit.verify_after_writes == 0 {
            return invalid("audit.verify_after_writes", "must be at least 1");
        }
        if self.audit.verify_poll_secs == 0 {
            return invalid("audit.verify_poll_secs", "must be at least 1");
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1");
        }
        if self.auth.access_ttl_secs <= 0 {
            return invalid("auth.access_ttl_secs", "must be positive");
        }
        if self.auth.refresh_ttl_secs <= 0 {
            return invalid("auth.refresh_ttl_secs", "must be positive");
        }
        if self.auth.principal_cache_ttl_secs > MAX_PRINCIPAL_CACHE_TTL_SECS {
            return invalid(
                "auth.principal_cache_ttl_secs",
                "must be at most 3600 (an hour)",
            );
        }
        let r = &self.rate_limit;
        let counts = [
            (
                "rate_limit.login_per_ip_email_per_minute",
                r.login_per_ip_email_per_minute,
            ),
            (
                "rate_limit.login_per_ip_per_minute",
                r.login_per_ip_per_minute,
            ),
            ("rate_limit.register_per_hour", r.register_per_hour),
            ("rate_limit.tenants_per_hour", r.tenants_per_hour),
            (
                "rate_limit.invitation_accepts_per_hour",
                r.invitation_accepts_per_hour,
            ),
            (
                "rate_limit.password_reset_per_hour",
                r.password_reset_per_hour,
            ),
            (
                "rate_limit.authenticated_per_minute",
                r.authenticated_per_minute,
            ),
            ("rate_limit.anonymous_per_minute", r.anonymous_per_minute),
            (
                "rate_limit.lockout_failures_per_ip",
                r.lockout_failures_per_ip,
            ),
            (
                "rate_limit.lockout_failures_per_email",
                r.lockout_failures_per_email,
            ),
        ];
        if let Some((key, _)) = counts.iter().find(|(_, count)| *count == 0) {
            return invalid(*key, "must be at least 1");
        }
        if r.lockout_window_secs == 0 {
            return invalid("rate_limit.lockout_window_secs", "must be at least 1");
        }
        if r.lockout_secs == 0 {
            return invalid("rate_limit.lockout_secs", "must be at least 1");
        }
        if r.anonymous_settle_ms > MAX_ANONYMOUS_SETTLE_MS {
            return invalid(
                "rate_limit.anonymous_settle_ms",
                "must be at most 10000 (the limit would be shared too loosely)",
            );
        }
        if self.auth.password_reset_ttl_secs <= 0 {
            return invalid("auth.password_reset_ttl_secs", "must be positive");
        }
        let pepper = self.api_keys.pepper.trim();
        if !pepper.is_empty() && pepper.len() < 32 {
            return invalid("api_keys.pepper", "must be at least 32 characters");
        }
        if self.invitations.ttl_secs <= 0 {
            return invalid("invitations.ttl_secs", "must be positive");
        }
        if !matches!(self.log.format.as_str(), "json" | "pretty") {
            return invalid("log.format", "must be \"json\" or \"pretty\"");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let settings = Settings::defaults_with("").unwrap();
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.auth.access_ttl_secs, 900);
        assert_eq!(settings.database.url, "sqlite://data/castellan.db");
        assert_eq!(settings.redis.url, "");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Settings::defaults_with("[server]\nbind = \"nonsense\"").unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
        let err = Settings::defaults_with("[auth]\naccess_ttl_secs = \"soon\"").unwrap_err();
        assert!(err.to_string().contains("access_ttl_secs"), "{err}");
        let err = Settings::defaults_with("[database]\nurl = \"mysql://x\"").unwrap_err();
        assert!(err.to_string().contains("database.url"), "{err}");
        let err = Settings::defaults_with("[log]\nformat = \"xml\"").unwrap_err();
        assert!(err.to_string().contains("log.format"), "{err}");
        let err = Settings::defaults_with("[rate_limit]\nanonymous_settle_ms = 10001").unwrap_err();
        assert!(err.to_string().contains("anonymous_settle_ms"), "{err}");
        let settings = Settings::defaults_with("[rate_limit]\nanonymous_settle_ms = 0").unwrap();
        assert_eq!(
            settings.rate_limit.anonymous_settle_ms, 0,
            "0: exact, per request"
        );
    }
}
