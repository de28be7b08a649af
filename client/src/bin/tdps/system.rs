// SPDX-License-Identifier: MIT OR Apache-2.0

//! What the columns need to know of the system, read once: the time now,
//! the boot time and uptime, the clock tick, the page size and the memory
//! size, as procps reads them.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

/// The facts of the system a listing is computed against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct System {
    /// Seconds since the epoch, now.
    pub now: i64,
    /// The boot time, seconds since the epoch (`btime` of `/proc/stat`).
    pub boot_time: i64,
    /// Clock ticks since boot, now (`/proc/uptime` times the tick rate).
    pub boot_tics: f64,
    /// Clock ticks per second.
    pub hertz: u64,
    /// The page size in bytes.
    pub page_size: u64,
    /// `MemTotal` of `/proc/meminfo`, kB.
    pub mem_total: u64,
}

/// The value of the line `key` of a file of `key value` lines.
pub fn keyed_number(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The first number of `/proc/uptime`'s text, seconds since boot.
pub fn uptime_seconds(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

impl System {
    /// Reads the facts of this system.
    pub fn read() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
        let boot_time = keyed_number(&stat, "btime ").map_or(0, |b| b.cast_signed());
        let hertz = rustix::param::clock_ticks_per_second();
        let uptime = fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|t| uptime_seconds(&t))
            .unwrap_or(0.0);
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            now,
            boot_time,
            boot_tics: uptime * hertz as f64,
            hertz: hertz.max(1),
            page_size: rustix::param::page_size() as u64,
            mem_total: keyed_number(&meminfo, "MemTotal:").unwrap_or(1).max(1),
        }
    }

    /// When a task started, seconds since the epoch, from its start in
    /// ticks after boot.
    pub fn start_of(&self, start_ticks: u64) -> i64 {
        self.boot_time + (start_ticks / self.hertz).cast_signed()
    }

    /// Seconds since a task started, as procps' TIME_ELAPSED (truncated).
    pub fn elapsed(&self, start_ticks: u64) -> u64 {
        let t = self.boot_tics - start_ticks as f64;
        if t > 0.0 {
            (t / self.hertz as f64) as u64
        } else {
            0
        }
    }

    /// CPU share since start in percent, as procps' UTILIZATION.
    pub fn utilization(&self, ticks: u64, start_ticks: u64) -> f64 {
        let t = self.boot_tics - start_ticks as f64;
        if t > 0.0 {
            (ticks as f64 * 100.0) / t
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_texts() {
        let stat = "cpu  1 2 3\nintr 5\nbtime 1764230400\nprocesses 9\n";
        assert_eq!(keyed_number(stat, "btime "), Some(1_764_230_400));
        assert_eq!(
            keyed_number("MemTotal:       16314408 kB\n", "MemTotal:"),
            Some(16_314_408)
        );
        assert_eq!(uptime_seconds("12345.67 2345.00\n"), Some(12345.67));
        let sys = System {
            now: 1000,
            boot_time: 100,
            boot_tics: 50_000.0,
            hertz: 100,
            page_size: 4096,
            mem_total: 1000,
        };
        assert_eq!(sys.start_of(12_345), 223);
        assert_eq!(sys.elapsed(10_000), 400);
        assert_eq!(sys.elapsed(60_000), 0);
        assert!((sys.utilization(400, 10_000) - 1.0).abs() < 1e-9);
    }
}
