use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_ports::rate_limit::{decision, Quota, RateDecision, RateLimiter};
use castellan_ports::StoreError;
use deadpool_redis::redis;

/// Refill and take one token atomically (a script runs alone); the same arithmetic as
/// `castellan_ports::rate_limit::take`. Returns {allowed, tokens left}.
const TAKE: &str = r"
        local capacity = tonumber(ARGV[1])
        local period_ms = tonumber(ARGV[2])
        local now = tonumber(ARGV[3])
        local per_ms = capacity / period_ms
        local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = capacity
        if bucket[1] then
            local elapsed = math.max(0, now - tonumber(bucket[2]))
            tokens = math.min(capacity, tonumber(bucket[1]) + elapsed * per_ms)
        end
        local allowed = 0
        if tokens >= 1 then
            allowed = 1
            tokens = tokens - 1
        end
        redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
        redis.call('PEXPIRE', KEYS[1], period_ms)
        return {allowed, tostring(tokens)}
        ";

/// Token buckets in Redis, shared by every replica.
#[derive(Debug, Clone)]
pub struct RedisRateLimiter {
    store: RedisTokenStore,
}

impl RedisRateLimiter {
    /// A limiter on the token store's pool and key prefix.
    pub fn new(store: RedisTokenStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, quota: Quota) -> Result<RateDecision, StoreError> {
        let key = self.store.key(&format!("rate:{key}"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let period_ms = quota.period_secs.max(1) * 1000;
        let (allowed, left): (u8, String) = self
            .store
            .with_conn(|mut conn| async move {
                redis::cmd("EVAL")
                    .arg(TAKE)
                    .arg(1)
                    .arg(key)
                    .arg(quota.limit.max(1))
                    .arg(period_ms)
                    .arg(now)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        let left: f64 = left.parse().unwrap_or(0.0);
        Ok(decision(allowed == 1, left, quota))
    }
}
