//! The gauges `/metrics` samples when scraped: the connection pools and the audit chains'
//! latest verification.

use castellan_adapters_redis::RedisTokenStore;
use castellan_adapters_sql::Db;
use castellan_api::metrics::{GaugeSample, GaugeSource};
use castellan_application::ChainWatch;

/// What the server knows of its pools and chains.
#[derive(Debug, Clone)]
pub struct ServerGauges {
    /// The database pool.
    pub db: Db,
    /// The Redis pool (production).
    pub redis: Option<RedisTokenStore>,
    /// The background verifier of the audit chains.
    pub chains: ChainWatch,
}

fn pool(name: &'static str, idle: usize, busy: usize) -> [GaugeSample; 2] {
    let sample = |state: &str, value: usize| GaugeSample {
        name,
        labels: vec![("state", state.to_owned())],
        value: value as f64,
    };
    [sample("idle", idle), sample("busy", busy)]
}

impl GaugeSource for ServerGauges {
    fn sample(&self) -> Vec<GaugeSample> {
        let db = self.db.usage();
        let mut samples = pool("db_pool_connections", db.idle, db.busy).to_vec();
        if let Some(redis) = &self.redis {
            let (idle, busy) = redis.usage();
            samples.extend(pool("redis_pool_connections", idle, busy));
        }
        samples.extend(
            self.chains
                .reports()
                .into_iter()
                .map(|(tenant, report)| GaugeSample {
                    name: "audit_chain_valid",
                    labels: vec![(
                        "tenant",
                        tenant.map_or_else(|| "none".to_owned(), |t| t.to_string()),
                    )],
                    value: if report.valid { 1.0 } else { 0.0 },
                }),
        );
        samples
    }
}
