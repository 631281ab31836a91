//! The scenarios: sizes, tables, SQL, the row type every driver decodes
//! into, and the digests that let the parent check drivers agree.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    Scan,
    Point,
    Insert,
    Pool,
    Stream,
}

pub const ALL: [Scenario; 5] = [Scenario::Scan, Scenario::Point, Scenario::Insert, Scenario::Pool, Scenario::Stream];

pub const SCAN_ROWS: u64 = 200_000;
pub const POINT_QUERIES: u64 = 20_000;
/// Rows in the point table; ids are visited in a scattered order over it.
pub const POINT_TABLE_ROWS: u64 = 20_000;
pub const INSERT_ROWS: u64 = 20_000;
pub const POOL_TASKS: u64 = 64;
pub const POOL_QUERIES_PER_TASK: u64 = 500;
pub const POOL_SIZE: u32 = 16;
pub const STREAM_ROWS: u64 = 1_000_000;

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Scan => "scan",
            Scenario::Point => "point",
            Scenario::Insert => "insert",
            Scenario::Pool => "pool",
            Scenario::Stream => "stream",
        }
    }

    /// What one "op" is, for the ops/s and CPU-per-op columns.
    pub fn op_unit(self) -> &'static str {
        match self {
            Scenario::Scan | Scenario::Stream | Scenario::Insert => "row",
            Scenario::Point | Scenario::Pool => "query",
        }
    }

    pub fn op_unit_plural(self) -> &'static str {
        match self.op_unit() {
            "row" => "rows",
            _ => "queries",
        }
    }

    pub fn ops(self) -> u64 {
        match self {
            Scenario::Scan => SCAN_ROWS,
            Scenario::Point => POINT_QUERIES,
            Scenario::Insert => INSERT_ROWS,
            Scenario::Pool => POOL_TASKS * POOL_QUERIES_PER_TASK,
            Scenario::Stream => STREAM_ROWS,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Scenario::Scan => format!(
                "{SCAN_ROWS} rows of (INT, INT, BIGINT, VARCHAR(64), DOUBLE, DATETIME(6), \
                 DECIMAL(12,2), VARCHAR(32) NULL) fetched into a Vec of structs"
            ),
            Scenario::Point => {
                format!("{POINT_QUERIES} sequential `SELECT id, s FROM bench_point WHERE id = ?` on one connection")
            }
            Scenario::Insert => format!("{INSERT_ROWS} rows inserted with the driver's batch path"),
            Scenario::Pool => format!(
                "{POOL_TASKS} tasks x {POOL_QUERIES_PER_TASK} point selects over a \
                 {POOL_SIZE}-connection pool (one checkout per query)"
            ),
            Scenario::Stream => {
                format!("{STREAM_ROWS} rows (scan's shape) through a streaming API, not collected")
            }
        }
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ALL.into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| format!("unknown scenario `{s}` (scan, point, insert, pool, stream, all)"))
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---- SQL ---------------------------------------------------------------

pub const SCAN_SQL: &str = "SELECT id, a, b, s, d, ts, amount, note FROM bench_scan";
pub const STREAM_SQL: &str = "SELECT id, a, b, s, d, ts, amount, note FROM bench_stream";
pub const POINT_SQL: &str = "SELECT id, s FROM bench_point WHERE id = ?";
pub const INSERT_SQL: &str = "INSERT INTO bench_insert (a, b, s, d, ts, amount, note) VALUES (?, ?, ?, ?, ?, ?, ?)";
/// For the multi-row builders: everything before the VALUES tuples.
pub const INSERT_PREFIX: &str = "INSERT INTO bench_insert (a, b, s, d, ts, amount, note) VALUES ";

/// The i-th id the point/pool scenarios look up: a fixed scattered walk over
/// the table (7919 is prime and coprime to the table size), the same for
/// every driver, so all of them read the same rows.
pub fn point_id(i: u64) -> i32 {
    ((i * 7919) % POINT_TABLE_ROWS + 1) as i32
}

// ---- the decoded row -----------------------------------------------------

/// One row of `scan` / `stream`. Each peer derives its own FromRow on this
/// same struct so they all build exactly the same value.
#[derive(Debug, Clone, amysql::FromRow, sqlx::FromRow, zero_mysql::r#macro::FromRow)]
pub struct ScanRow {
    pub id: i32,
    pub a: i32,
    pub b: i64,
    pub s: String,
    pub d: f64,
    pub ts: NaiveDateTime,
    pub amount: Decimal,
    pub note: Option<String>,
}

/// The point/pool row.
#[derive(Debug, Clone, amysql::FromRow, sqlx::FromRow, zero_mysql::r#macro::FromRow)]
pub struct PointRow {
    pub id: i32,
    pub s: String,
}

impl ScanRow {
    /// Folds every field into a digest; equal digests across drivers mean
    /// they decoded the same values (including DATETIME micros and DECIMAL).
    pub fn digest(&self) -> u64 {
        let mut h = self.id as u64;
        h = mix(h, self.a as u64);
        h = mix(h, self.b as u64);
        h = mix(h, bytes_digest(self.s.as_bytes()));
        h = mix(h, self.d.to_bits());
        h = mix(h, self.ts.and_utc().timestamp_micros() as u64);
        h = mix(h, self.amount.mantissa() as u64 ^ ((self.amount.scale() as u64) << 56));
        h = mix(h, self.note.as_deref().map_or(u64::MAX, |n| bytes_digest(n.as_bytes())));
        h
    }
}

impl PointRow {
    pub fn digest(&self) -> u64 {
        mix(self.id as u64, bytes_digest(self.s.as_bytes()))
    }
}

/// Order-independent combination of row digests (pool tasks finish in any order).
pub fn combine(acc: u64, row_digest: u64) -> u64 {
    acc.wrapping_add(row_digest)
}

fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(23)
}

fn bytes_digest(b: &[u8]) -> u64 {
    b.iter().fold(b.len() as u64, |h, &c| mix(h, c as u64))
}

// ---- insert input ----------------------------------------------------------

/// One row for `insert` (the id is AUTO_INCREMENT).
#[derive(Debug, Clone)]
pub struct InsertRow {
    pub a: i32,
    pub b: i64,
    pub s: String,
    pub d: f64,
    pub ts: NaiveDateTime,
    pub amount: Decimal,
    pub note: Option<String>,
}

/// The same 20,000 rows for every driver, built before the timer starts.
pub fn insert_rows() -> Vec<InsertRow> {
    let base = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_micro_opt(0, 0, 0, 0))
        .expect("valid base date");
    (1..=INSERT_ROWS as i64)
        .map(|i| InsertRow {
            a: (i % 1000) as i32,
            b: i * 1_000_003,
            // Quotes and backslashes on some rows, so text-protocol drivers pay
            // for escaping as real data would make them.
            s: if i % 10 == 0 {
                format!("it's row {i} \\ ok")
            } else {
                format!("row-{i}-{}", "x".repeat((i % 40) as usize))
            },
            d: i as f64 / 4.0,
            ts: base + chrono::Duration::microseconds(i * 1_000_123),
            amount: Decimal::new(i * 125, 2),
            note: (i % 3 != 0).then(|| format!("n{i}")),
        })
        .collect()
}

/// `(count, digest)` of what `insert` must leave in the table, checked by
/// the parent with `SELECT COUNT(*), SUM(a), SUM(CHAR_LENGTH(s))`.
pub fn insert_expectation(rows: &[InsertRow]) -> (u64, i64, u64) {
    let sum_a = rows.iter().map(|r| r.a as i64).sum();
    let sum_len = rows.iter().map(|r| r.s.chars().count() as u64).sum();
    (rows.len() as u64, sum_a, sum_len)
}
