//! What time it is, as far as a kiosk without a real-time clock can tell: the wall clock plus the
//! boot id and CLOCK_BOOTTIME, and whether NTP has synchronised the wall clock.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use model::RecordedTime;
use rustix::time::{ClockId, clock_gettime};

/// Where the time of an answer comes from; tests substitute a clock that reads 1970 or the future.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> RecordedTime;
}

/// The machine's own clocks.
#[derive(Debug, Clone)]
pub struct SystemClock {
    boot_id: String,
    synchronized_flag: PathBuf,
}

/// systemd-timesyncd creates this file once the clock is synchronised, and removes it at boot.
const TIMESYNC_FLAG: &str = "/run/systemd/timesync/synchronized";
const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

impl SystemClock {
    pub fn new() -> Self {
        let boot_id = match std::fs::read_to_string(BOOT_ID) {
            Ok(id) => id.trim().to_owned(),
            Err(e) => {
                // Without a boot id, boot-time offsets cannot be anchored across boots; a fresh id
                // per process keeps them from being mixed up with another boot's.
                let id = uuid::Uuid::new_v4().to_string();
                tracing::warn!(error = %e, path = BOOT_ID, fallback = %id, "cannot read the boot id");
                id
            }
        };
        Self {
            boot_id,
            synchronized_flag: PathBuf::from(TIMESYNC_FLAG),
        }
    }

    pub fn boot_id(&self) -> &str {
        &self.boot_id
    }

    fn synchronized(&self) -> bool {
        Path::new(&self.synchronized_flag).exists()
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> RecordedTime {
        let wall_clock_ms = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
        };
        let boottime = clock_gettime(ClockId::Boottime);
        let boottime_ns = u64::try_from(boottime.tv_sec).unwrap_or(0) * 1_000_000_000
            + u64::try_from(boottime.tv_nsec).unwrap_or(0);
        RecordedTime {
            wall_clock_ms,
            boot_id: self.boot_id.clone(),
            boottime_ns,
            clock_synchronized: self.synchronized(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boottime_advances_and_the_boot_id_is_stable() {
        let clock = SystemClock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b.boottime_ns >= a.boottime_ns);
        assert!(a.boottime_ns > 0);
        assert_eq!(a.boot_id, b.boot_id);
        assert_eq!(a.boot_id.len(), 36, "a UUID: {}", a.boot_id);
    }

    #[test]
    fn the_wall_clock_is_after_2020_on_this_machine() {
        assert!(SystemClock::new().now().wall_clock_ms > 1_577_836_800_000);
    }
}
