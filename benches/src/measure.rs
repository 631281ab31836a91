//! What one child process measures about itself: wall time, its own CPU
//! time (user + sys, all threads) and its peak RSS.

use std::time::{Duration, Instant};

/// User + sys CPU time of this whole process (every thread, including the
/// tokio workers and blocking pool), from `getrusage(RUSAGE_SELF)`.
/// /proc/self/stat would do too, but only in clock ticks (10 ms); rusage
/// has microsecond resolution, which the short scenarios need.
pub fn process_cpu() -> Duration {
    // SAFETY: `getrusage` only writes into the zeroed struct we pass; no
    // pointers are kept. RUSAGE_SELF cannot fail with a valid pointer.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// `VmHWM` (peak resident set) of this process in KiB. Process-wide and
/// monotonic, which is why every (driver, scenario, run) gets a fresh child.
pub fn peak_rss_kib() -> u64 {
    proc_status_kib("VmHWM:")
}

/// `VmRSS` (current resident set) in KiB.
pub fn rss_kib() -> u64 {
    proc_status_kib("VmRSS:")
}

fn proc_status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Started right before a scenario's timed part (after connecting, after
/// building the input data), stopped right after it.
pub struct Meter {
    wall: Instant,
    cpu: Duration,
    rss_before_kib: u64,
}

/// The result of one timed part, as the child reports it to the parent.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    /// Operations done (rows for scan/insert/stream, queries for point/pool).
    pub ops: u64,
    pub peak_rss_kib: u64,
    pub rss_before_kib: u64,
    /// A scenario-defined digest of the data seen, so the parent can check
    /// that every driver decoded the same values.
    pub check: u64,
}

impl Meter {
    pub fn start() -> Meter {
        let rss_before_kib = rss_kib();
        Meter { cpu: process_cpu(), wall: Instant::now(), rss_before_kib }
    }

    pub fn stop(self, ops: u64, check: u64) -> Sample {
        let wall = self.wall.elapsed();
        let cpu = process_cpu().saturating_sub(self.cpu);
        Sample { wall, cpu, ops, peak_rss_kib: peak_rss_kib(), rss_before_kib: self.rss_before_kib, check }
    }
}

impl Sample {
    /// One line on the child's stdout; the parent looks for the `@sample` tag
    /// so that stray driver output cannot be mistaken for a result.
    pub fn to_line(&self) -> String {
        format!(
            "@sample wall_ns={} cpu_ns={} ops={} hwm_kib={} rss0_kib={} check={}",
            self.wall.as_nanos(),
            self.cpu.as_nanos(),
            self.ops,
            self.peak_rss_kib,
            self.rss_before_kib,
            self.check
        )
    }

    pub fn from_line(line: &str) -> Option<Sample> {
        let rest = line.strip_prefix("@sample ")?;
        let mut s = Sample::default();
        for kv in rest.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            let n: u128 = v.parse().ok()?;
            match k {
                "wall_ns" => s.wall = Duration::from_nanos(n as u64),
                "cpu_ns" => s.cpu = Duration::from_nanos(n as u64),
                "ops" => s.ops = n as u64,
                "hwm_kib" => s.peak_rss_kib = n as u64,
                "rss0_kib" => s.rss_before_kib = n as u64,
                "check" => s.check = n as u64,
                _ => {}
            }
        }
        Some(s)
    }
}

/// CPU time (user + sys) of another process, from /proc/<pid>/stat, in
/// clock ticks converted to a Duration. Used by the parent on the private
/// mariadbd so the report can show what each driver costs the server too.
pub fn other_process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after ')' are fixed.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 overall, i.e. 11 and 12 after ')'.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as u64 } else { 100 };
    Some(Duration::from_nanos(ticks * 1_000_000_000 / hz))
}
