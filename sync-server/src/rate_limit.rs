//! In-process token buckets keyed by client (an IP address or a kiosk id): a request takes a
//! token, tokens refill at a steady rate up to the burst, and an empty bucket says how long to wait.
//! Memory stays bounded in bytes, keys included: full buckets are forgotten (a full bucket is the
//! same as none), and when a new key would pass the limiter's budget the longest-idle eighth of
//! the buckets makes room.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::Rate;

/// The memory a key holds outside its map entry (a `String`'s characters).
pub trait HeapBytes {
    fn heap_bytes(&self) -> usize;
}

impl HeapBytes for IpAddr {
    fn heap_bytes(&self) -> usize {
        0
    }
}

impl HeapBytes for String {
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl<A: HeapBytes, B: HeapBytes> HeapBytes for (A, B) {
    fn heap_bytes(&self) -> usize {
        self.0.heap_bytes() + self.1.heap_bytes()
    }
}

/// A hash map's bookkeeping per entry beyond the entry itself (control byte, spare capacity).
const MAP_OVERHEAD_BYTES: usize = 16;

/// One limiter: a bucket per key, all with the same [`Rate`], within `max_bytes` of memory.
pub struct RateLimiter<K> {
    rate: Rate,
    max_bytes: usize,
    buckets: Mutex<Buckets<K>>,
}

struct Buckets<K> {
    map: HashMap<K, Bucket>,
    /// What the entries hold, by [`RateLimiter::entry_bytes`].
    bytes: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K: Hash + Eq + Clone + HeapBytes> RateLimiter<K> {
    /// A limiter whose buckets, keys included, take at most `max_bytes`.
    pub fn new(rate: Rate, max_bytes: usize) -> RateLimiter<K> {
        RateLimiter {
            rate,
            max_bytes,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    fn entry_bytes(key: &K) -> usize {
        std::mem::size_of::<(K, Bucket)>() + key.heap_bytes() + MAP_OVERHEAD_BYTES
    }

    /// Takes a token for `key`, or says how long until one is available.
    pub fn take(&self, key: &K) -> Result<(), RetryAfter> {
        self.take_at(key, Instant::now())
    }

    /// Says how long until `key` has a token, without taking one.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        let now = Instant::now();
        let buckets = self.lock();
        match buckets.map.get(key) {
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
        if !buckets.map.contains_key(key) {
            let needed = Self::entry_bytes(key);
            if buckets.bytes + needed > self.max_bytes {
                self.make_room(&mut buckets, now, needed);
            }
            buckets.bytes += needed;
        }
        let bucket = buckets.map.entry(key.clone()).or_insert(full);
        *bucket = self.refilled(*bucket, now);
        self.wait_for_token(*bucket)?;
        bucket.tokens -= 1.0;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets<K>> {
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

    /// Forgets every bucket that has refilled; if that frees too little for `needed` more bytes,
    /// the longest-idle eighth too (at least one), so a flood of new keys costs one pass per
    /// eighth rather than one per key.
    fn make_room(&self, buckets: &mut Buckets<K>, now: Instant, needed: usize) {
        let burst = f64::from(self.rate.burst);
        buckets
            .map
            .retain(|_, bucket| self.refilled(*bucket, now).tokens < burst);
        buckets.bytes = buckets.map.keys().map(Self::entry_bytes).sum();
        while buckets.bytes + needed > self.max_bytes && !buckets.map.is_empty() {
            let mut times: Vec<Instant> = buckets.map.values().map(|b| b.updated).collect();
            let cut = times.len() / 8;
            let (_, oldest_kept, _) = times.select_nth_unstable(cut);
            let oldest_kept = *oldest_kept;
            let before = buckets.map.len();
            buckets.map.retain(|_, bucket| bucket.updated > oldest_kept);
            if buckets.map.len() == before {
                buckets.map.clear();
            }
            buckets.bytes = buckets.map.keys().map(Self::entry_bytes).sum();
        }
    }

    /// How many clients are tracked now.
    pub fn tracked(&self) -> usize {
        self.lock().map.len()
    }

    /// The bytes the tracked buckets hold, keys included.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
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

    impl HeapBytes for u32 {
        fn heap_bytes(&self) -> usize {
            0
        }
    }

    fn limiter(burst: u32, per_minute: f64) -> RateLimiter<u32> {
        RateLimiter::new(Rate { burst, per_minute }, 1 << 20)
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
        let entry = RateLimiter::<u32>::entry_bytes(&0);
        let capacity = u32::try_from((1 << 20) / entry).expect("small");
        for key in 0..capacity {
            assert_eq!(limiter.take_at(&key, start), Ok(()));
        }
        assert_eq!(limiter.tracked(), capacity as usize);
        // Nothing has refilled yet: the longest idle make room.
        let later = start + Duration::from_millis(10);
        assert_eq!(limiter.take_at(&u32::MAX, later), Ok(()));
        assert!(limiter.tracked() < capacity as usize);
        assert!(limiter.bytes() <= 1 << 20);
        // Once buckets have refilled they are all forgotten when room is needed.
        let much_later = start + Duration::from_secs(5);
        for key in 0..capacity {
            assert_eq!(limiter.take_at(&(u32::MAX - 1 - key), much_later), Ok(()));
        }
        assert!(limiter.bytes() <= 1 << 20);
    }

    #[test]
    fn long_keys_are_counted_in_bytes() {
        let limiter: RateLimiter<String> = RateLimiter::new(
            Rate {
                burst: 1,
                per_minute: 1.0,
            },
            64 * 1024,
        );
        let now = Instant::now();
        for i in 0..100 {
            let key = format!("{i:0>10000}");
            let _ = limiter.take_at(&key, now);
            assert!(limiter.bytes() <= 64 * 1024, "{}", limiter.bytes());
        }
        assert!(limiter.tracked() <= 6, "{}", limiter.tracked());
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
