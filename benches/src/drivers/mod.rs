//! One module per driver; each exposes its variants per scenario and one
//! function per (scenario, variant). A scenario function connects (untimed),
//! starts a [`Meter`](crate::measure::Meter) right before the work and stops
//! it right after, before any cleanup.

pub mod amysql;
pub mod mysql_async;
pub mod sqlx;
pub mod zero_mysql;

use crate::measure::Sample;
use crate::scenario::Scenario;
use crate::target::Target;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type BenchResult = Result<Sample, BoxError>;

pub const DRIVERS: [&str; 4] = ["amysql", "mysql_async", "sqlx", "zero-mysql"];

/// `driver/variant` labels for a scenario, amysql first (its first variant
/// with a sample is the ratio reference).
pub fn variants(sc: Scenario) -> Vec<String> {
    let mut out = Vec::new();
    for driver in DRIVERS {
        let names: &[&str] = match driver {
            "amysql" => amysql::variants(sc),
            "mysql_async" => mysql_async::variants(sc),
            "sqlx" => sqlx::variants(sc),
            _ => zero_mysql::variants(sc),
        };
        out.extend(names.iter().map(|v| format!("{driver}/{v}")));
    }
    out
}

/// Runs one variant in this (child) process.
pub async fn run(sc: Scenario, label: &str, t: &Target) -> BenchResult {
    let (driver, variant) =
        label.split_once('/').ok_or_else(|| format!("variant label must be driver/variant: {label}"))?;
    match driver {
        "amysql" => amysql::run(sc, variant, t).await,
        "mysql_async" => mysql_async::run(sc, variant, t).await,
        "sqlx" => sqlx::run(sc, variant, t).await,
        "zero-mysql" => zero_mysql::run(sc, variant, t).await,
        _ => Err(format!("unknown driver {driver}").into()),
    }
}

pub fn unknown(sc: Scenario, variant: &str) -> BoxError {
    format!("no variant `{variant}` for scenario {sc}").into()
}

/// Every task of the pool scenario looks up its own slice of the id walk.
pub fn pool_ids(task: u64) -> impl Iterator<Item = i32> {
    use crate::scenario::{point_id, POOL_QUERIES_PER_TASK};
    (0..POOL_QUERIES_PER_TASK).map(move |i| point_id(task * POOL_QUERIES_PER_TASK + i))
}
