use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, LockKind, LockoutPolicy};
use castellan_ports::{LoginLockout, StoreError};
use deadpool_redis::redis::Script;
use std::sync::LazyLock;

/// One step of `castellan_domain::lockout::LockoutPolicy` on the hash `KEYS[1]` of one
/// email (fields per address `c:`, `l:`, `u:` + address: count, last attempt, locked
/// until; for the email `n`, `w`, `u`: count, window start, locked until; times in ms).
/// A script runs alone: concurrent logins are counted exactly.
/// ARGV: step, address, now, address failures, email failures, window ms, lock ms.
/// Returns {allowed, retry after s} for `begin`, {lock set: 0 none, 1 address, 2 email}
/// for `fail`.
static STEP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local key, step, ip = KEYS[1], ARGV[1], ARGV[2]
        local now, max_address, max_email = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local window, lock = tonumber(ARGV[6]), tonumber(ARGV[7])
        local function num(field) return tonumber(redis.call('HGET', key, field) or '0') end
        local result
        if step == 'begin' then
            local locked_until = math.max(num('u:' .. ip), num('u'))
            if locked_until > now then
                return {0, math.ceil((locked_until - now) / 1000)}
            end
            local count = num('c:' .. ip)
            if now - num('l:' .. ip) >= lock then count = 0 end
            local n = num('n')
            if now - num('w') >= window then n = 0 end
            if count >= max_address or n >= max_email then
                return {0, math.ceil(lock / 1000)}
            end
            if n == 0 then redis.call('HSET', key, 'w', now) end
            redis.call('HSET', key, 'c:' .. ip, count + 1, 'l:' .. ip, now, 'n', n + 1)
            result = {1, 0}
        elseif step == 'fail' then
            result = 0
            if num('c:' .. ip) >= max_address and num('u:' .. ip) <= now then
                redis.call('HSET', key, 'u:' .. ip, now + lock, 'c:' .. ip, 0)
                result = 1
            end
            if num('n') >= max_email and num('u') <= now then
                redis.call('HSET', key, 'u', now + lock, 'n', 0)
                result = 2
            end
        else
            redis.call('HSET', key, 'c:' .. ip, 0, 'n', 0)
            result = 0
        end
        redis.call('PEXPIRE', key, math.max(window, lock))
        return result
        ",
    )
});

/// Login lockout counters in Redis, shared by every replica.
#[derive(Debug, Clone)]
pub struct RedisLockout {
    store: RedisTokenStore,
    policy: LockoutPolicy,
}

impl RedisLockout {
    /// Counters under `policy` on the token store's pool and key prefix.
    pub fn new(store: RedisTokenStore, policy: LockoutPolicy) -> Self {
        Self { store, policy }
    }

    async fn step<T>(&self, step: &str, email: &str, address: &str) -> Result<T, StoreError>
    where
        T: deadpool_redis::redis::FromRedisValue + Send,
    {
        let mut call = STEP.prepare_invoke();
        call.key(self.key(email))
            .arg(step)
            .arg(address)
            .arg(crate::rate_limit::now_ms())
            .arg(self.policy.address_failures)
            .arg(self.policy.email_failures)
            .arg(self.policy.window_secs.saturating_mul(1000))
            .arg(self.policy.lock_secs.saturating_mul(1000));
        self.store
            .with_conn(|mut conn| {
                let call = &call;
                async move { call.invoke_async(&mut conn).await }
            })
            .await
    }

    fn key(&self, email: &str) -> String {
        self.store.key(&format!("lockout:{email}"))
    }
}

#[async_trait]
impl LoginLockout for RedisLockout {
    async fn begin(&self, email: &str, address: &str) -> Result<Attempt, StoreError> {
        let (allowed, retry_after_secs): (u8, u64) = self.step("begin", email, address).await?;
        Ok(match allowed {
            1 => Attempt::Allowed,
            _ => Attempt::Locked { retry_after_secs },
        })
    }

    async fn failed(&self, email: &str, address: &str) -> Result<Option<LockKind>, StoreError> {
        let set: u8 = self.step("fail", email, address).await?;
        Ok(match set {
            1 => Some(LockKind::Address),
            2 => Some(LockKind::Email),
            _ => None,
        })
    }

    async fn succeeded(&self, email: &str, address: &str) -> Result<(), StoreError> {
        self.step::<u8>("succeed", email, address).await.map(|_| ())
    }

    async fn clear(&self, email: &str) -> Result<(), StoreError> {
        let key = &self.key(email);
        self.store
            .with_conn(|mut conn| async move {
                deadpool_redis::redis::cmd("DEL")
                    .arg(key)
                    .query_async::<u32>(&mut conn)
                    .await
            })
            .await
            .map(|_| ())
    }
}
