//! Collects every run of every variant of a scenario and prints one
//! Markdown table (medians; each column's median is taken on its own).

use std::collections::HashMap;
use std::time::Duration;

use crate::measure::Sample;
use crate::scenario::Scenario;

#[derive(Debug, Clone)]
pub enum Status {
    Ok,
    Failed(String),
}

/// Everything measured for one `driver/variant` in one scenario.
pub struct VariantRuns {
    pub label: String,
    pub status: Status,
    pub samples: Vec<Sample>,
    /// `Connections` status delta around each child (connections it opened).
    pub conns: Vec<u64>,
    /// mariadbd's CPU time during each child (private server only).
    pub server_cpu: Vec<Duration>,
    /// Human-readable problems (wrong op count, insert check failed...).
    pub problems: Vec<String>,
}

impl VariantRuns {
    pub fn new(label: String) -> VariantRuns {
        VariantRuns {
            label,
            status: Status::Ok,
            samples: Vec::new(),
            conns: Vec::new(),
            server_cpu: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        !matches!(self.status, Status::Ok)
    }

    fn median_of<T: Copy + PartialOrd>(&self, f: impl Fn(&Sample) -> T) -> Option<T> {
        median(self.samples.iter().map(f).collect())
    }
}

pub fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    // Lower median for even counts: always a value that was really measured.
    Some(v[(v.len() - 1) / 2])
}

/// Markdown table for one scenario.
pub fn table(sc: Scenario, runs: &[VariantRuns], transport: &str) -> String {
    let unit = sc.op_unit();
    let units = sc.op_unit_plural();
    let mut out = format!(
        "### {sc} — {}\n\n{transport}; op = 1 {unit}; medians over runs, wall as median (min–max).\n\n",
        sc.describe()
    );
    out.push_str(&format!(
        "| driver / variant | runs | wall ms | {units}/s | client CPU µs/{unit} | server CPU µs/{unit} \
         | peak RSS MiB | conns opened | wall ×amysql | CPU ×amysql | notes |\n"
    ));
    out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");

    // Reference: the first amysql variant with numbers (real path once it lands).
    let reference = runs.iter().find(|r| r.label.starts_with("amysql/") && !r.samples.is_empty());
    let ref_wall = reference.and_then(|r| r.median_of(|s| s.wall));
    let ref_cpu = reference.and_then(|r| r.median_of(|s| s.cpu));
    let majority = majority_check(sc, runs);

    for r in runs {
        let mut notes = r.problems.clone();
        match &r.status {
            Status::Failed(m) => notes.insert(0, format!("FAILED: {m}")),
            Status::Ok => {}
        }
        if let Some(expected) = majority {
            if r.samples.iter().any(|s| s.check != expected) {
                notes.push("data digest differs from the other drivers".into());
            }
        }
        if reference.is_some_and(|x| std::ptr::eq(x, r)) {
            notes.push("ratio reference".into());
        }
        let notes = notes.join("; ").replace('|', "/");
        if r.samples.is_empty() {
            out.push_str(&format!("| {} | 0 | – | – | – | – | – | – | – | – | {notes} |\n", r.label));
            continue;
        }
        let n = r.samples.len();
        let wall = r.median_of(|s| s.wall).unwrap_or_default();
        let wall_min = r.samples.iter().map(|s| s.wall).min().unwrap_or_default();
        let wall_max = r.samples.iter().map(|s| s.wall).max().unwrap_or_default();
        let cpu = r.median_of(|s| s.cpu).unwrap_or_default();
        let ops = r.median_of(|s| s.ops).unwrap_or(0).max(1);
        let rss = r.median_of(|s| s.peak_rss_kib).unwrap_or(0);
        let server = median(r.server_cpu.clone());
        let conns = median(r.conns.clone());
        out.push_str(&format!(
            "| {} | {n} | {:.1} ({:.0}–{:.0}) | {:.0} | {:.2} | {} | {:.1} | {} | {} | {} | {notes} |\n",
            r.label,
            ms(wall),
            ms(wall_min),
            ms(wall_max),
            ops as f64 / wall.as_secs_f64().max(1e-9),
            us(cpu) / ops as f64,
            server.map_or("–".into(), |d| format!("{:.2}", us(d) / ops as f64)),
            rss as f64 / 1024.0,
            conns.map_or("–".into(), |c| c.to_string()),
            ratio(wall, ref_wall),
            ratio(cpu, ref_cpu),
        ));
    }
    out
}

/// The digest most samples agree on (scan/point/pool/stream; insert is
/// checked in the database instead).
fn majority_check(sc: Scenario, runs: &[VariantRuns]) -> Option<u64> {
    if sc == Scenario::Insert {
        return None;
    }
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for s in runs.iter().flat_map(|r| &r.samples) {
        *counts.entry(s.check).or_default() += 1;
    }
    counts.into_iter().max_by_key(|&(_, n)| n).map(|(c, _)| c)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ratio(v: Duration, reference: Option<Duration>) -> String {
    match reference {
        Some(r) if !r.is_zero() => format!("{:.2}", v.as_secs_f64() / r.as_secs_f64()),
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn lower_median() {
        assert_eq!(median(vec![3, 1, 2]), Some(2));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
        assert_eq!(median::<u32>(vec![]), None);
    }
}
