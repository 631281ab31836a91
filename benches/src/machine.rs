//! What the report says about the machine, including how busy it was:
//! numbers from a 2-core box shared with compilers mean little without that.

use std::fs;

pub fn nproc() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// 1-minute load average.
pub fn loadavg() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

/// Processes named cargo or rustc (other people's builds on a shared box).
pub fn build_processes() -> usize {
    let Ok(dir) = fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|e| fs::read_to_string(e.path().join("comm")).ok())
        .filter(|c| matches!(c.trim(), "cargo" | "rustc"))
        .count()
}

/// `(steal, total)` jiffies of all CPUs from /proc/stat. Steal is time the
/// hypervisor gave our vCPUs to someone else: on a shared VM it inflates
/// wall time (and partly CPU time) without any process here being busy.
fn cpu_jiffies() -> (u64, u64) {
    let stat = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) else { return (0, 0) };
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal guest guest_nice; guest
    // time is already included in user, so it is not added again.
    let total = v.iter().take(8).sum();
    (v.get(7).copied().unwrap_or(0), total)
}

/// Load, build processes and CPU steal around every child, so the report
/// can say how quiet the runs really were.
#[derive(Default)]
pub struct Noise {
    pub samples: usize,
    pub max_load: f64,
    pub sum_load: f64,
    pub max_builds: usize,
    pub runs_with_builds: usize,
    steal: u64,
    total: u64,
    started: (u64, u64),
}

impl Noise {
    /// Call right before a child starts.
    pub fn begin(&mut self) {
        let (load, builds) = (loadavg(), build_processes());
        self.samples += 1;
        self.sum_load += load;
        self.max_load = self.max_load.max(load);
        self.max_builds = self.max_builds.max(builds);
        if builds > 0 {
            self.runs_with_builds += 1;
        }
        self.started = cpu_jiffies();
    }

    /// Call right after the child ended.
    pub fn end(&mut self) {
        let (steal, total) = cpu_jiffies();
        self.steal += steal.saturating_sub(self.started.0);
        self.total += total.saturating_sub(self.started.1);
    }

    pub fn summary(&self) -> String {
        if self.samples == 0 {
            return "no samples".into();
        }
        format!(
            "1-min loadavg mean {:.2}, max {:.2} (nproc {}); cargo/rustc processes running \
             during {} of {} child runs (max {} at once); CPU steal {:.0}% of CPU time \
             during the child runs",
            self.sum_load / self.samples as f64,
            self.max_load,
            nproc(),
            self.runs_with_builds,
            self.samples,
            self.max_builds,
            100.0 * self.steal as f64 / self.total.max(1) as f64
        )
    }
}
