//! Login lockout: after too many failed logins an email stops answering for a while, from
//! one address or from everywhere (the "Rate limits and lockout" part of the API contract).
//!
//! The counters of one email are an [`EmailCounters`]; a [`LockoutPolicy`] moves them along
//! the three steps of a login: [`LockoutPolicy::begin`] (before the password is checked:
//! refused while locked, otherwise the attempt is counted at once, so that concurrent
//! attempts cannot all slip through), then [`LockoutPolicy::fail`] or
//! [`LockoutPolicy::succeed`]. Unknown emails go through the same steps, so a lock tells
//! nothing about whether an account exists. The Redis adapter runs the same steps in a
//! script; the in-process one calls these functions.
//!
//! ```
//! use castellan_domain::lockout::{Attempt, EmailCounters, LockKind, LockoutPolicy};
//!
//! let policy = LockoutPolicy::default(); // 5 in a row per address, 100 an hour per email, 15 min
//! let mut alice = EmailCounters::default();
//! for _ in 0..4 {
//!     assert_eq!(policy.begin(&mut alice, "10.0.0.1", 0), Attempt::Allowed);
//!     assert_eq!(policy.fail(&mut alice, "10.0.0.1", 0), None);
//! }
//! assert_eq!(policy.begin(&mut alice, "10.0.0.1", 0), Attempt::Allowed);
//! assert_eq!(policy.fail(&mut alice, "10.0.0.1", 0), Some(LockKind::Address));
//! // Locked for 15 minutes from that address, without checking the password ...
//! assert_eq!(policy.begin(&mut alice, "10.0.0.1", 60_000), Attempt::Locked { retry_after_secs: 840 });
//! // ... but not from another one.
//! assert_eq!(policy.begin(&mut alice, "10.0.0.2", 60_000), Attempt::Allowed);
//! assert_eq!(policy.begin(&mut alice, "10.0.0.1", 900_000), Attempt::Allowed);
//! ```

use std::collections::HashMap;

/// The lockout's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures in a row for one email from one address that lock that pair.
    pub address_failures: u32,
    /// Failures for one email from any address within [`Self::window_secs`] that lock
    /// the email everywhere.
    pub email_failures: u32,
    /// The window of [`Self::email_failures`].
    pub window_secs: u64,
    /// How long a lock lasts (also how far apart failures may be and still be "in a row").
    pub lock_secs: u64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            address_failures: 5,
            email_failures: 100,
            window_secs: 3600,
            lock_secs: 900,
        }
    }
}

/// May a login attempt check the password?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Yes (and it has been counted).
    Allowed,
    /// No: answer 429 with this `Retry-After`.
    Locked {
        /// Whole seconds until the lock ends.
        retry_after_secs: u64,
    },
}

/// Which lock a failure has just set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// The email from one address.
    Address,
    /// The email from everywhere.
    Email,
}

impl LockKind {
    /// `address` or `email` (audit metadata).
    pub const fn as_str(self) -> &'static str {
        match self {
            LockKind::Address => "address",
            LockKind::Email => "email",
        }
    }
}

/// One address's counters for an email.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressCounters {
    /// Attempts in a row (counted when they begin; a success resets).
    pub count: u32,
    /// When the last one began (ms).
    pub last_ms: u64,
    /// Locked until (ms; 0: never locked).
    pub locked_until_ms: u64,
}

/// Addresses an email keeps counters for before idle ones are forgotten.
pub const FORGET_IDLE_AT: usize = 64;

/// The lockout state of one email (known or not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailCounters {
    /// Per client address: only addresses with an attempt counted, and of those the idle
    /// ones (no lock, last attempt a lock's length ago: as good as absent) are forgotten
    /// when a new address would make them [`Self::forget_at`] or more, so that attempts
    /// from ever new addresses do not grow one email's counters without end.
    pub addresses: HashMap<String, AddressCounters>,
    /// The number of addresses at which idle ones are next forgotten (twice those kept at
    /// the last time; at least [`FORGET_IDLE_AT`]).
    pub forget_at: usize,
    /// Attempts from anywhere in the current window.
    pub count: u32,
    /// When the current window began (ms).
    pub window_start_ms: u64,
    /// Locked everywhere until (ms).
    pub locked_until_ms: u64,
}

fn secs_until(until_ms: u64, now_ms: u64) -> u64 {
    until_ms.saturating_sub(now_ms).div_ceil(1000)
}

impl LockoutPolicy {
    fn lock_ms(&self) -> u64 {
        self.lock_secs.saturating_mul(1000)
    }

    /// Before checking a password from `address` at `now_ms`: refused while a lock holds
    /// (or while as many attempts as a lock needs are already under way); otherwise the
    /// attempt is counted.
    pub fn begin(&self, c: &mut EmailCounters, address: &str, now_ms: u64) -> Attempt {
        // A refused attempt writes nothing: an address is only kept once counted.
        let mut pair = c.addresses.get(address).copied().unwrap_or_default();
        let until = pair.locked_until_ms.max(c.locked_until_ms);
        if until > now_ms {
            return Attempt::Locked {
                retry_after_secs: secs_until(until, now_ms),
            };
        }
        if now_ms.saturating_sub(pair.last_ms) >= self.lock_ms() {
            pair.count = 0;
        }
        if now_ms.saturating_sub(c.window_start_ms) >= self.window_secs.saturating_mul(1000) {
            c.count = 0;
        }
        if pair.count >= self.address_failures || c.count >= self.email_failures {
            return Attempt::Locked {
                retry_after_secs: self.lock_secs,
            };
        }
        pair.count += 1;
        pair.last_ms = now_ms;
        if c.count == 0 {
            c.window_start_ms = now_ms;
        }
        c.count += 1;
        if !c.addresses.contains_key(address) {
            self.forget_idle_if_full(c, now_ms);
        }
        c.addresses.insert(address.to_owned(), pair);
        Attempt::Allowed
    }

    /// Forgets the idle addresses of `c` once it holds [`EmailCounters::forget_at`]
    /// (twice what was kept the last time: amortized, each address is looked at a
    /// bounded number of times).
    fn forget_idle_if_full(&self, c: &mut EmailCounters, now_ms: u64) {
        if c.addresses.len() < c.forget_at.max(FORGET_IDLE_AT) {
            return;
        }
        let lock_ms = self.lock_ms();
        c.addresses.retain(|_, p| {
            p.locked_until_ms > now_ms || now_ms.saturating_sub(p.last_ms) < lock_ms
        });
        c.forget_at = c.addresses.len() * 2;
    }

    /// The attempt failed: sets the lock its count has reached, if any (`Some` once per
    /// lock).
    pub fn fail(&self, c: &mut EmailCounters, address: &str, now_ms: u64) -> Option<LockKind> {
        let mut locked = None;
        if let Some(pair) = c.addresses.get_mut(address) {
            if pair.count >= self.address_failures && pair.locked_until_ms <= now_ms {
                pair.locked_until_ms = now_ms + self.lock_ms();
                pair.count = 0;
                locked = Some(LockKind::Address);
            }
        }
        if c.count >= self.email_failures && c.locked_until_ms <= now_ms {
            c.locked_until_ms = now_ms + self.lock_ms();
            c.count = 0;
            locked = Some(LockKind::Email);
        }
        locked
    }

    /// The attempt succeeded: the counts start again.
    pub fn succeed(&self, c: &mut EmailCounters, address: &str) {
        if let Some(pair) = c.addresses.get_mut(address) {
            pair.count = 0;
        }
        c.count = 0;
    }

    /// Whether the counters hold nothing worth keeping at `now_ms` (no lock, no count that
    /// could still grow into one).
    pub fn is_idle(&self, c: &EmailCounters, now_ms: u64) -> bool {
        let horizon = self.lock_ms().max(self.window_secs.saturating_mul(1000));
        c.locked_until_ms <= now_ms
            && now_ms.saturating_sub(c.window_start_ms) >= horizon
            && c.addresses
                .values()
                .all(|p| p.locked_until_ms <= now_ms && now_ms.saturating_sub(p.last_ms) >= horizon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "10.0.0.1";
    const B: &str = "10.0.0.2";

    fn small() -> LockoutPolicy {
        LockoutPolicy {
            address_failures: 3,
            email_failures: 5,
            window_secs: 60,
            lock_secs: 10,
        }
    }

    #[test]
    fn a_success_resets_the_row() {
        let p = small();
        let mut c = EmailCounters::default();
        for _ in 0..2 {
            assert_eq!(p.begin(&mut c, A, 0), Attempt::Allowed);
            assert_eq!(p.fail(&mut c, A, 0), None);
        }
        assert_eq!(p.begin(&mut c, A, 0), Attempt::Allowed);
        p.succeed(&mut c, A);
        for _ in 0..2 {
            assert_eq!(p.begin(&mut c, A, 0), Attempt::Allowed);
            assert_eq!(p.fail(&mut c, A, 0), None);
        }
    }

    #[test]
    fn attempts_under_way_count_at_once() {
        let p = small();
        let mut c = EmailCounters::default();
        // Three begin together: a fourth may not check a password before they end.
        for _ in 0..3 {
            assert_eq!(p.begin(&mut c, A, 0), Attempt::Allowed);
        }
        assert_eq!(
            p.begin(&mut c, A, 0),
            Attempt::Locked {
                retry_after_secs: 10
            }
        );
        // The lock is set once, by the first failure that sees the count.
        assert_eq!(p.fail(&mut c, A, 0), Some(LockKind::Address));
        assert_eq!(p.fail(&mut c, A, 0), None);
        assert_eq!(p.fail(&mut c, A, 0), None);
        assert_eq!(
            p.begin(&mut c, A, 4_500),
            Attempt::Locked {
                retry_after_secs: 6
            }
        );
    }

    #[test]
    fn failures_far_apart_are_not_in_a_row() {
        let p = small();
        let mut c = EmailCounters::default();
        for at in [0, 10_000, 20_000, 30_000] {
            assert_eq!(p.begin(&mut c, A, at), Attempt::Allowed);
            assert_eq!(p.fail(&mut c, A, at), None);
        }
    }

    #[test]
    fn many_addresses_lock_the_email_everywhere() {
        let p = small();
        let mut c = EmailCounters::default();
        for i in 0..5 {
            let address = format!("10.1.0.{i}");
            assert_eq!(p.begin(&mut c, &address, 1_000), Attempt::Allowed);
            let expected = (i == 4).then_some(LockKind::Email);
            assert_eq!(p.fail(&mut c, &address, 1_000), expected);
        }
        assert!(matches!(p.begin(&mut c, B, 2_000), Attempt::Locked { .. }));
        assert_eq!(p.begin(&mut c, B, 11_000), Attempt::Allowed);
        assert!(!p.is_idle(&c, 11_000));
        assert!(p.is_idle(&c, 200_000));
    }

    #[test]
    fn an_email_keeps_only_the_addresses_that_matter() {
        let p = small();
        let mut c = EmailCounters::default();
        // Attempts from ever new addresses, a second apart, each failing: after a lock's
        // length (10 s) an address is idle and may be forgotten.
        for i in 0..1_000u64 {
            let address = format!("10.2.{}.{}", i / 256, i % 256);
            let now = i * 1_000 + 100_000 * (i / 4); // 4 a burst: the email never locks
            assert_eq!(p.begin(&mut c, &address, now), Attempt::Allowed, "{i}");
            assert_eq!(p.fail(&mut c, &address, now), None);
            assert!(
                c.addresses.len() <= 2 * FORGET_IDLE_AT,
                "{}",
                c.addresses.len()
            );
        }
        // A refused attempt keeps nothing: the email locked, new addresses add no entry.
        let mut locked = EmailCounters::default();
        for i in 0..5 {
            let address = format!("10.3.0.{i}");
            assert_eq!(p.begin(&mut locked, &address, 0), Attempt::Allowed);
            let _ = p.fail(&mut locked, &address, 0);
        }
        for i in 0..100 {
            let refused = p.begin(&mut locked, &format!("10.4.0.{i}"), 1_000);
            assert!(matches!(refused, Attempt::Locked { .. }));
        }
        assert_eq!(locked.addresses.len(), 5);
    }

    #[test]
    fn forgetting_idle_addresses_changes_no_answer() {
        let p = small();
        let mut c = EmailCounters::default();
        let flood =
            |c: &mut EmailCounters, range: std::ops::Range<u64>, at: &dyn Fn(u64) -> u64| {
                for i in range {
                    let address = format!("10.5.{}.{}", i / 256, i % 256);
                    assert_eq!(p.begin(c, &address, at(i)), Attempt::Allowed);
                    p.succeed(c, &address);
                }
            };
        // Addresses long idle by `now` ...
        flood(&mut c, 0..200, &|i| i * 20_000);
        let now = 200 * 20_000;
        // ... and, at `now`, A locked and B two failures in a row (a success from
        // elsewhere between them keeps the email itself unlocked).
        for _ in 0..3 {
            assert_eq!(p.begin(&mut c, A, now), Attempt::Allowed);
            let _ = p.fail(&mut c, A, now);
        }
        flood(&mut c, 200..201, &|_| now);
        for _ in 0..2 {
            assert_eq!(p.begin(&mut c, B, now), Attempt::Allowed);
            assert_eq!(p.fail(&mut c, B, now), None);
        }
        // New addresses make the idle ones go, A and B stay: A is still locked, and B's
        // third failure in a row still locks it.
        flood(&mut c, 201..300, &|_| now + 1);
        assert!(c.addresses.len() < 150, "{}", c.addresses.len());
        assert!(matches!(
            p.begin(&mut c, A, now + 2),
            Attempt::Locked { .. }
        ));
        assert_eq!(p.begin(&mut c, B, now + 2), Attempt::Allowed);
        assert_eq!(p.fail(&mut c, B, now + 2), Some(LockKind::Address));
    }

    #[test]
    fn the_window_forgets() {
        let p = small();
        let mut c = EmailCounters::default();
        for i in 0..4u64 {
            let address = format!("10.1.0.{i}");
            assert_eq!(p.begin(&mut c, &address, i), Attempt::Allowed);
            assert_eq!(p.fail(&mut c, &address, i), None);
        }
        assert_eq!(p.begin(&mut c, B, 61_000), Attempt::Allowed);
        assert_eq!(p.fail(&mut c, B, 61_000), None);
    }
}
