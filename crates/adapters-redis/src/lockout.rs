use crate::rate_limit::{bucket_key, take_fn};
use crate::RedisTokenStore;
use async_trait::async_trait;
use castellan_domain::lockout::{Attempt, LockKind, LockoutPolicy, FORGET_IDLE_AT};
use castellan_ports::rate_limit::decision;
use castellan_ports::{Attempted, Bucket, Gate, LoginLockout, StoreError};
use deadpool_redis::redis::{Script, ScriptInvocation};
use std::sync::LazyLock;

/// What the lockout scripts share: their arguments and reading a field of the hash `KEYS[1]`
/// of one email (fields per address `c:`, `l:`, `u:` + address: count, last attempt,
/// locked until; for the email `n`, `w`, `u`: count, window start, locked until; times in
/// ms). ARGV: step, address, now, address failures, email failures, window ms, lock ms.
macro_rules! lockout_prelude {
    () => {
        r"
        local key, step, ip = KEYS[1], ARGV[1], ARGV[2]
        local now, max_address, max_email = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        local window, lock = tonumber(ARGV[6]), tonumber(ARGV[7])
        local function num(field) return tonumber(redis.call('HGET', key, field) or '0') end
        "
    };
}

/// `forget_idle_if_full()`: before a new address is counted, once the hash holds two fields
/// per address for `g` addresses (at least `FORGET_IDLE_AT`), forgets the idle ones (no
/// lock, last attempt a lock's length ago: as good as absent) and sets `g` to twice those
/// kept; `castellan_domain::lockout`'s rule, so that attempts from ever new addresses do
/// not grow one email's hash without end.
macro_rules! forget_idle_fn {
    () => {
        r"
        local function forget_idle_if_full()
            local at = math.max(num('g'), tonumber(ARGV[8]))
            if redis.call('HLEN', key) < 2 * at then return end
            local fields = redis.call('HGETALL', key)
            local kept = 0
            for i = 1, #fields, 2 do
                local name = fields[i]
                if string.sub(name, 1, 2) == 'l:' then
                    local address = string.sub(name, 3)
                    if now - tonumber(fields[i + 1]) >= lock and num('u:' .. address) <= now then
                        redis.call('HDEL', key, 'c:' .. address, name, 'u:' .. address)
                    else
                        kept = kept + 1
                    end
                end
            end
            redis.call('HSET', key, 'g', 2 * kept)
        end
        "
    };
}

/// The checks before a login, in one script (it runs alone: concurrent logins are counted
/// exactly): one token of each bucket `KEYS[2..]` (capacity and period in ms at
/// `ARGV[2i+5]`, `ARGV[2i+6]` for `KEYS[i]`; `ARGV[8]` is `FORGET_IDLE_AT`) in order, up
/// to the first refusal; then, if every bucket allowed and the step is `begin`, the
/// lockout's `begin` of `castellan_domain::lockout::LockoutPolicy`. Returns, as strings,
/// {attempt: 0 not asked, 1 allowed, 2 locked; retry after s; then allowed and tokens left
/// per bucket asked}.
static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lockout_prelude!(),
        take_fn!(),
        forget_idle_fn!(),
        r"
        local result = {'0', '0'}
        for i = 2, #KEYS do
            local allowed, tokens = take(KEYS[i], tonumber(ARGV[2 * i + 5]), tonumber(ARGV[2 * i + 6]), now)
            result[#result + 1] = tostring(allowed)
            result[#result + 1] = tostring(tokens)
            if allowed == 0 then return result end
        end
        if step ~= 'begin' then return result end
        local locked_until = math.max(num('u:' .. ip), num('u'))
        if locked_until > now then
            result[1], result[2] = '2', tostring(math.ceil((locked_until - now) / 1000))
            return result
        end
        local count = num('c:' .. ip)
        if now - num('l:' .. ip) >= lock then count = 0 end
        local n = num('n')
        if now - num('w') >= window then n = 0 end
        if count >= max_address or n >= max_email then
            result[1], result[2] = '2', tostring(math.ceil(lock / 1000))
            return result
        end
        if n == 0 then redis.call('HSET', key, 'w', now) end
        if num('l:' .. ip) == 0 then forget_idle_if_full() end
        redis.call('HSET', key, 'c:' .. ip, count + 1, 'l:' .. ip, now, 'n', n + 1)
        redis.call('PEXPIRE', key, math.max(window, lock))
        result[1] = '1'
        return result
        "
    ))
});

/// The steps after the password check: `fail` returns {lock set: 0 none, 1 address,
/// 2 email}; `succeed` starts the counts again.
static STEP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        lockout_prelude!(),
        r"
        local result = 0
        if step == 'fail' then
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
        end
        redis.call('PEXPIRE', key, math.max(window, lock))
        return result
        "
    ))
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
        self.step_args(&mut call, step, email, address);
        self.invoke(&call).await
    }

    /// The lockout hash `KEYS[1]` and the arguments every lockout script reads.
    fn step_args(&self, call: &mut ScriptInvocation<'_>, step: &str, email: &str, address: &str) {
        call.key(self.key(email))
            .arg(step)
            .arg(address)
            .arg(crate::rate_limit::now_ms())
            .arg(self.policy.address_failures)
            .arg(self.policy.email_failures)
            .arg(self.policy.window_secs.saturating_mul(1000))
            .arg(self.policy.lock_secs.saturating_mul(1000));
    }

    async fn invoke<T>(&self, call: &ScriptInvocation<'_>) -> Result<T, StoreError>
    where
        T: deadpool_redis::redis::FromRedisValue + Send,
    {
        self.store
            .with_conn(|mut conn| async move { call.invoke_async(&mut conn).await })
            .await
    }

    fn key(&self, email: &str) -> String {
        self.store.key(&format!("lockout:{email}"))
    }
}

/// The reply of `BEGIN` read back; `None` if it is not one.
fn gate(reply: &[String], buckets: &[Bucket]) -> Option<Gate> {
    let (head, asked) = reply.split_at_checked(2)?;
    let limits = asked
        .chunks_exact(2)
        .zip(buckets)
        .map(|(pair, bucket)| {
            let left = pair[1].parse().ok()?;
            Some(decision(pair[0] == "1", left, bucket.quota))
        })
        .collect::<Option<Vec<_>>>()?;
    let attempt = match head[0].as_str() {
        "1" => Some(Attempt::Allowed),
        "2" => Some(Attempt::Locked {
            retry_after_secs: head[1].parse().ok()?,
        }),
        _ => None,
    };
    Some(Gate { limits, attempt })
}

#[async_trait]
impl LoginLockout for RedisLockout {
    async fn begin(
        &self,
        buckets: &[Bucket],
        attempt: Option<Attempted<'_>>,
    ) -> Result<Gate, StoreError> {
        let mut call = BEGIN.prepare_invoke();
        match attempt {
            Some(Attempted { email, address }) => {
                self.step_args(&mut call, "begin", email, address)
            }
            // Only the buckets: the hash key is a placeholder the script does not touch.
            None => self.step_args(&mut call, "limits", "", ""),
        }
        call.arg(FORGET_IDLE_AT);
        for bucket in buckets {
            call.key(bucket_key(&self.store, &bucket.key))
                .arg(bucket.quota.limit.max(1))
                .arg(bucket.quota.period_secs.max(1) * 1000);
        }
        let reply: Vec<String> = self.invoke(&call).await?;
        gate(&reply, buckets)
            .ok_or_else(|| StoreError::Unavailable("unexpected lockout reply".into()))
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
