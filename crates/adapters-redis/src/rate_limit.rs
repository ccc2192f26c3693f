use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_ports::rate_limit::{
    decision, Debt, Quota, RateDecision, RateLimiter, SharedBuckets,
};
use castellan_ports::StoreError;
use castellan_ports::{Admission, Admitted, Check};
use deadpool_redis::redis::{Script, ScriptInvocation};
use std::sync::LazyLock;

/// `take(key, capacity, period_ms, now)`: refills and takes one token of the bucket `key`
/// (a script runs alone, so this is atomic), returning `allowed` (0 or 1) and the tokens
/// left; the same arithmetic as `castellan_ports::rate_limit::take`. Every script that
/// takes from a bucket embeds it.
macro_rules! take_fn {
    () => {
        r"
        local function take(key, capacity, period_ms, now)
            local bucket = redis.call('HMGET', key, 'tokens', 'ts')
            local per_ms = capacity / period_ms
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
            redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
            redis.call('PEXPIRE', key, period_ms)
            return allowed, tokens
        end
        "
    };
}
pub(crate) use take_fn;

/// One token of the bucket `KEYS[1]` (capacity `ARGV[1]`, period `ARGV[2]` ms, now
/// `ARGV[3]` ms): {allowed, tokens left}.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        take_fn!(),
        "local allowed, tokens = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))\n",
        "return {allowed, tostring(tokens)}"
    ))
});

/// Settles replicas' debts with their buckets `KEYS[i]`, all at `ARGV[1]` (ms): takes
/// `ARGV[3i+1]` tokens of each (capacity `ARGV[3i-1]`, period `ARGV[3i]` ms) after the
/// refill, down to minus the capacity at most, and returns the tokens each has left. The
/// same refill as `take_fn!`; a bucket in debt lives two periods (time to refill).
static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local now = tonumber(ARGV[1])
        local left = {}
        for i, key in ipairs(KEYS) do
            local capacity = tonumber(ARGV[3 * i - 1])
            local period_ms = tonumber(ARGV[3 * i])
            local taken = tonumber(ARGV[3 * i + 1])
            local bucket = redis.call('HMGET', key, 'tokens', 'ts')
            local tokens = capacity
            if bucket[1] then
                local elapsed = math.max(0, now - tonumber(bucket[2]))
                tokens = math.min(capacity, tonumber(bucket[1]) + elapsed * capacity / period_ms)
            end
            if taken > 0 then
                tokens = math.max(-capacity, tokens - taken)
                redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', now)
                redis.call('PEXPIRE', key, 2 * period_ms)
            end
            left[i] = tostring(tokens)
        end
        return left
        ",
    )
});

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
        take_fn!(),
        "local allowed, tokens = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))\n",
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
        call.key(bucket_key(&self.store, key));
        bucket_args(&mut call, quota);
        let (allowed, left): (u8, String) = self
            .store
            .with_conn(|mut conn| {
                let call = &call;
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(decision(allowed == 1, left.parse().unwrap_or(0.0), quota))
    }
}

#[async_trait]
impl SharedBuckets for RedisRateLimiter {
    async fn settle(&self, debts: &[Debt]) -> Result<Vec<f64>, StoreError> {
        if debts.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = SETTLE.prepare_invoke();
        call.arg(now_ms());
        for debt in debts {
            call.key(bucket_key(&self.store, &debt.key))
                .arg(debt.quota.limit.max(1))
                .arg(debt.quota.period_secs.max(1) * 1000)
                .arg(debt.taken);
        }
        let left: Vec<String> = self
            .store
            .with_conn(|mut conn| {
                let call = &call;
                async move { call.invoke_async(&mut conn).await }
            })
            .await?;
        Ok(left.iter().map(|l| l.parse().unwrap_or(0.0)).collect())
    }
}

/// The Redis key of the bucket `key`.
pub(crate) fn bucket_key(store: &RedisTokenStore, key: &str) -> String {
    store.key(&format!("rate:{key}"))
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
        call.key(bucket_key(&self.store, bucket))
            .key(self.store.access_key(check.jti))
            .key(self.store.session_key(check.sid))
            .key(self.store.shared_epoch_key())
            .key(self.store.user_epoch_key(check.user));
        bucket_args(&mut call, quota);
        call.arg(u8::from(check.bucket.is_some()))
            .arg(self.store.fresh_epoch());
        let (allowed, left, revoked, epoch): (u8, String, u32, String) = self
            .store
            .with_conn(|mut conn| {
                let call = &call;
                async move { call.invoke_async(&mut conn).await }
            })
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
