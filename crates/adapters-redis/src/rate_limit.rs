use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_ports::rate_limit::{decision, Quota, RateDecision, RateLimiter};
use castellan_ports::StoreError;
use castellan_ports::{Admission, Admitted, Check};
use deadpool_redis::redis::{Script, ScriptInvocation};
use std::sync::LazyLock;

/// Refill and take one token of the bucket `KEYS[1]` (a script runs alone, so this is
/// atomic); the same arithmetic as `castellan_ports::rate_limit::take`. Leaves `allowed`
/// and `tokens` for the script that embeds it to return.
macro_rules! take_one {
    () => {
        r"
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
        "
    };
}

/// One token of a bucket: {allowed, tokens left}.
static TAKE: LazyLock<Script> =
    LazyLock::new(|| Script::new(concat!(take_one!(), "return {allowed, tostring(tokens)}")));

/// The hot path in one round trip: whether the access token `KEYS[2]` or its session
/// `KEYS[3]` is revoked and, when neither is, the access epoch (the shared part `KEYS[4]`,
/// made up from `ARGV[5]` when missing, as after a restart of Redis, and the user's part
/// `KEYS[5]`) and, when `ARGV[4]` is 1, one token of the caller's bucket `KEYS[1]` (a
/// revoked token's requests take nothing from its user's bucket):
/// {allowed, tokens left, revoked keys, epoch}.
static ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        "local revoked = redis.call('EXISTS', KEYS[2], KEYS[3])\n",
        "if revoked > 0 then return {0, '0', revoked, ''} end\n",
        "local shared = redis.call('GET', KEYS[4])\n",
        "if not shared then\n",
        "    shared = ARGV[5]\n",
        "    redis.call('SET', KEYS[4], shared)\n",
        "end\n",
        "local epoch = shared .. '/' .. (redis.call('GET', KEYS[5]) or '')\n",
        "if ARGV[4] ~= '1' then return {1, '0', 0, epoch} end\n",
        take_one!(),
        "return {allowed, tostring(tokens), 0, epoch}"
    ))
});

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

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
        let mut call = TAKE.prepare_invoke();
        call.key(self.store.key(&format!("rate:{key}")));
        bucket_args(&mut call, quota);
        let (allowed, left): (u8, String) = self
            .store
            .with_conn(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        Ok(decision(allowed == 1, left.parse().unwrap_or(0.0), quota))
    }
}

fn bucket_args(call: &mut ScriptInvocation<'_>, quota: Quota) {
    call.arg(quota.limit.max(1))
        .arg(quota.period_secs.max(1) * 1000)
        .arg(now_ms());
}

/// The revocation check and the caller's rate limit in one script: one round trip per
/// authenticated request.
#[derive(Debug, Clone)]
pub struct RedisAdmission {
    store: RedisTokenStore,
}

impl RedisAdmission {
    /// Checks on the token store's pool, keys and prefix.
    pub fn new(store: RedisTokenStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Admission for RedisAdmission {
    async fn admit(&self, check: Check<'_>) -> Result<Admitted, StoreError> {
        let (bucket, quota) = check.bucket.unwrap_or(("", UNLIMITED));
        let mut call = ADMIT.prepare_invoke();
        call.key(self.store.key(&format!("rate:{bucket}")))
            .key(self.store.access_key(check.jti))
            .key(self.store.session_key(check.sid))
            .key(self.store.shared_epoch_key())
            .key(self.store.user_epoch_key(check.user));
        bucket_args(&mut call, quota);
        call.arg(u8::from(check.bucket.is_some()))
            .arg(self.store.fresh_epoch());
        let (allowed, left, revoked, epoch): (u8, String, u32, String) = self
            .store
            .with_conn(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await?;
        if revoked > 0 {
            return Ok(Admitted {
                revoked: true,
                decision: None,
                epoch: None,
            });
        }
        let decision = check
            .bucket
            .map(|_| decision(allowed == 1, left.parse().unwrap_or(0.0), quota));
        Ok(Admitted {
            revoked: false,
            decision,
            epoch: Some(epoch),
        })
    }
}

/// The quota passed when no bucket is asked for (the script takes nothing then).
const UNLIMITED: Quota = Quota {
    limit: 1,
    period_secs: 1,
};
