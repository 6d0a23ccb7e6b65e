//! In-process token buckets keyed by client (an IP address or a kiosk id): a request takes a
//! token, tokens refill at a steady rate up to the burst, and an empty bucket says how long to wait.
//! Memory stays bounded: full buckets are forgotten (a full bucket is the same as none), and past
//! [`MAX_KEYS`] the longest-idle bucket makes room.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Rate;

/// Most clients tracked at once per limiter.
pub const MAX_KEYS: usize = 50_000;

/// One limiter: a bucket per key, all with the same [`Rate`].
pub struct RateLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(rate: Rate) -> RateLimiter<K> {
        RateLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`, or says how long until one is available.
    pub fn take(&self, key: &K) -> Result<(), RetryAfter> {
        self.take_at(key, Instant::now())
    }

    /// Says how long until `key` has a token, without taking one.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        let now = Instant::now();
        let buckets = self.lock();
        match buckets.get(key) {
            Some(bucket) => self.wait_for_token(self.refilled(*bucket, now)),
            None => Ok(()),
        }
    }

    fn take_at(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        let mut buckets = self.lock();
        let full = Bucket {
            tokens: f64::from(self.rate.burst),
            updated: now,
        };
        if !buckets.contains_key(key) && buckets.len() >= MAX_KEYS {
            self.make_room(&mut buckets, now);
        }
        let bucket = buckets.entry(key.clone()).or_insert(full);
        *bucket = self.refilled(*bucket, now);
        self.wait_for_token(*bucket)?;
        bucket.tokens -= 1.0;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Bucket>> {
        // A panic elsewhere while holding the lock leaves only counters behind: keep using them.
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> Bucket {
        let elapsed_min = now.saturating_duration_since(bucket.updated).as_secs_f64() / 60.0;
        Bucket {
            tokens: (bucket.tokens + elapsed_min * self.rate.per_minute)
                .min(f64::from(self.rate.burst)),
            updated: now,
        }
    }

    fn wait_for_token(&self, bucket: Bucket) -> Result<(), RetryAfter> {
        if bucket.tokens >= 1.0 {
            return Ok(());
        }
        let minutes = (1.0 - bucket.tokens) / self.rate.per_minute;
        Err(RetryAfter(Duration::from_secs_f64(minutes * 60.0)))
    }

    /// Forgets every bucket that has refilled; if none has, the one idle longest.
    fn make_room(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        let burst = f64::from(self.rate.burst);
        buckets.retain(|_, bucket| self.refilled(*bucket, now).tokens < burst);
        if buckets.len() >= MAX_KEYS {
            let idlest = buckets
                .iter()
                .min_by_key(|(_, bucket)| bucket.updated)
                .map(|(key, _)| key.clone());
            if let Some(key) = idlest {
                buckets.remove(&key);
            }
        }
    }

    /// How many clients are tracked now.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// How long a client must wait before its next request can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header, rounded up and at least 1.
    pub fn seconds(self) -> u64 {
        self.0.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// The key for a client address: IPv6 clients by their /64, since one host usually has a whole
/// /64 to pick addresses from.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !(u128::MAX >> 64);
            IpAddr::V6(bits.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_minute: f64) -> RateLimiter<u32> {
        RateLimiter::new(Rate { burst, per_minute })
    }

    #[test]
    fn a_burst_passes_then_waits_for_the_refill() {
        let limiter = limiter(3, 60.0);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take_at(&1, start), Ok(()));
        }
        let wait = limiter.take_at(&1, start).expect_err("empty");
        assert_eq!(wait.seconds(), 1);
        assert_eq!(limiter.take_at(&2, start), Ok(()), "other keys unaffected");
        let later = start + Duration::from_millis(1_000);
        assert_eq!(limiter.take_at(&1, later), Ok(()));
        assert!(limiter.take_at(&1, later).is_err());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limiter = limiter(1, 1.0);
        let start = Instant::now();
        assert_eq!(limiter.take_at(&1, start), Ok(()));
        let wait = limiter
            .take_at(&1, start + Duration::from_millis(500))
            .expect_err("empty");
        assert_eq!(wait.seconds(), 60);
        assert_eq!(RetryAfter(Duration::from_millis(10)).seconds(), 1);
    }

    #[test]
    fn check_does_not_take() {
        let limiter = limiter(1, 1.0);
        assert_eq!(limiter.check(&1), Ok(()));
        assert_eq!(limiter.check(&1), Ok(()));
        assert_eq!(limiter.take(&1), Ok(()));
        assert!(limiter.check(&1).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let limiter = limiter(2, 60.0);
        let start = Instant::now();
        for key in 0..u32::try_from(MAX_KEYS).expect("small") {
            assert_eq!(limiter.take_at(&key, start), Ok(()));
        }
        assert_eq!(limiter.tracked(), MAX_KEYS);
        // Nothing has refilled yet: the longest idle makes room.
        let later = start + Duration::from_millis(10);
        assert_eq!(limiter.take_at(&u32::MAX, later), Ok(()));
        assert_eq!(limiter.tracked(), MAX_KEYS);
        // Once buckets have refilled they are all forgotten at the next new key.
        let much_later = start + Duration::from_secs(5);
        assert_eq!(limiter.take_at(&(u32::MAX - 1), much_later), Ok(()));
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let v4: IpAddr = "192.0.2.7".parse().expect("ip");
        assert_eq!(client_key(v4), v4);
    }
}
