//! A FLOAT or DOUBLE read as text from a prepared statement's binary row is the text the
//! server sends over COM_QUERY for the same value (issue 22): notation (`0.0000001`,
//! `1e15`), a FLOAT's six digits (`12345.7`), fixed scales, ZEROFILL; as `String`, bytes
//! and `Decimal`. Checked cell by cell on a few hundred random values plus the edges,
//! stored in columns and computed by expressions.

use amysql::{query, query_scalar, ConnectOptions, Connection, Row};
use amysql_tests::*;
use rust_decimal::Decimal;

async fn conn(cache: usize) -> Connection {
    let o: ConnectOptions = server().url().parse().unwrap();
    amysql::connect(o.stmt_cache_size(cache)).await.expect("connect")
}

/// splitmix64: a fixed, seeded sequence, so a failure names values that reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Any finite double: random bits half the time, else a short decimal of random scale.
    fn double(&mut self) -> f64 {
        loop {
            let v = if self.next().is_multiple_of(2) {
                f64::from_bits(self.next())
            } else {
                let digits = (self.next() % 10_000_000) as f64;
                let scale = (self.next() % 60) as i32 - 30;
                let sign = if self.next().is_multiple_of(2) { 1.0 } else { -1.0 };
                sign * digits * 10f64.powi(scale)
            };
            if v.is_finite() {
                return v;
            }
        }
    }

    fn float(&mut self) -> f32 {
        loop {
            let v =
                if self.next().is_multiple_of(2) { f32::from_bits(self.next() as u32) } else { self.double() as f32 };
            if v.is_finite() {
                return v;
            }
        }
    }
}

const EDGE_DOUBLES: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    0.30000000000000004,
    1.0 / 3.0,
    5e-324,
    -5e-324,
    2.225073858507201e-308,
    f64::MIN_POSITIVE,
    f64::MAX,
    -f64::MAX,
    // The 1e-5 .. 1e-4 boundary.
    9.999999999999999e-6,
    1e-5,
    1.0000000000000002e-5,
    9.99e-5,
    1e-4,
    1.0000000000000002e-4,
    1e-7,
    // The smallest plain numbers and the largest exponent ones.
    1e-14,
    1e-15,
    1.5e-15,
    9.99e-16,
    1e-16,
    // The 1e14 .. 1e16 boundary.
    99999999999999.98,
    1e14,
    100000000000001.0,
    123456789012345.6,
    999999999999999.9,
    1e15,
    1000000000000001.0,
    1.5e15,
    1234567890123456.7,
    1e16,
    10000000000000002.0,
    // Integers near 2^53.
    9007199254740991.0,
    9007199254740992.0,
    9007199254740994.0,
    -9007199254740992.0,
    // A tie between two shortest forms (dtoa breaks it to even).
    -1129382486790511.2,
    1e100,
    1e-100,
    1.7976931348623157e308,
];

const EDGE_FLOATS: &[f32] = &[
    0.0,
    -0.0,
    1.0,
    0.1,
    1.1,
    -0.5,
    12345.678,
    16777216.0,
    16777217.0,
    1234565.0,
    1234575.0,
    999999.5,
    0.0009765625,
    f32::MAX,
    -f32::MAX,
    f32::MIN_POSITIVE,
    1e-45,
    1e-38,
    1e-5,
    1e-4,
    9.99999e-5,
    1e-15,
    1e-16,
    1e14,
    1e15,
    1e16,
    123456.7,
    1234567.0,
];

/// Every cell of every row as `String` (or the error) and as `Decimal` (or the error).
fn cells(rows: &[Row]) -> Vec<Vec<(String, String)>> {
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let s = match r.get::<Option<String>, _>(i) {
                        Ok(s) => format!("{s:?}"),
                        Err(e) => format!("error: {e}"),
                    };
                    let bytes = r.get::<Option<Vec<u8>>, _>(i).unwrap().map(String::from_utf8);
                    assert_eq!(format!("{:?}", bytes.map(Result::unwrap)), s, "bytes and String agree");
                    let d = match r.get::<Option<Decimal>, _>(i) {
                        Ok(d) => format!("{d:?}"),
                        Err(e) => format!("error: {}", e.to_string().split(": ").last().unwrap_or("")),
                    };
                    (s, d)
                })
                .collect()
        })
        .collect()
}

/// Compares text and binary results cell by cell and reports every difference at once.
fn compare(what: &str, labels: &[String], text: &[Row], binary: &[Row]) -> usize {
    assert!(text.iter().all(|r| !r.columns().is_binary()), "{what}: text rows");
    assert!(binary.iter().all(|r| r.columns().is_binary()), "{what}: binary rows");
    let (a, b) = (cells(text), cells(binary));
    assert_eq!(a.len(), b.len());
    let mut diffs = Vec::new();
    let mut n = 0;
    for (row, (ra, rb)) in a.iter().zip(&b).enumerate() {
        for (col, (ca, cb)) in ra.iter().zip(rb).enumerate() {
            n += 1;
            if ca != cb {
                diffs.push(format!("{what} row {row} {}: text {ca:?}, binary {cb:?}", labels[col]));
            }
        }
    }
    assert!(diffs.is_empty(), "{} of {n} cells differ:\n{}", diffs.len(), diffs.join("\n"));
    n
}

const COLUMNS: &[(&str, &str)] = &[
    ("d", "DOUBLE"),
    ("f", "FLOAT"),
    ("f73", "FLOAT(7,3)"),
    ("d102", "DOUBLE(10,2)"),
    ("d2510", "DOUBLE(25,10)"),
    ("f120", "FLOAT(12,0)"),
    ("d3020", "DOUBLE(30,20)"),
    ("f2010", "FLOAT(20,10)"),
    ("dz", "DOUBLE ZEROFILL"),
    ("fz", "FLOAT ZEROFILL"),
    ("fz73", "FLOAT(7,3) ZEROFILL"),
];

/// One row's literals: `v` for DOUBLE, `f` for FLOAT, `x` in [-1, 1) scaled into each
/// fixed-scale column's range.
fn row_sql(v: f64, f: f32, x: f64) -> String {
    let lits = [
        format!("{v:e}"),
        format!("{:e}", f64::from(f)),
        format!("{:e}", x * 9999.0),
        format!("{:e}", x * 99_999_999.0),
        format!("{:e}", x * 1e14),
        format!("{:e}", x * 1e11),
        format!("{:e}", x * 9e9),
        format!("{:e}", x * 9e9),
        format!("{:e}", v.abs()),
        format!("{:e}", f64::from(f.abs())),
        format!("{:e}", x.abs() * 9999.0),
    ];
    format!("({})", lits.join(", "))
}

#[tokio::test]
async fn stored_reals_read_as_text_like_the_text_protocol() {
    let mut text = conn(0).await;
    let mut bin = conn(8).await;
    let t = unique_name("float_text");
    let defs = COLUMNS.iter().map(|(n, ty)| format!("{n} {ty}")).collect::<Vec<_>>().join(", ");
    text.query_drop(&format!("CREATE TABLE {t} (id INT AUTO_INCREMENT PRIMARY KEY, {defs})")).await.unwrap();

    let mut rng = Rng(22);
    let mut rows = Vec::new();
    let edges = EDGE_DOUBLES.len().max(EDGE_FLOATS.len());
    for i in 0..edges + 1000 {
        let v = EDGE_DOUBLES.get(i).copied().unwrap_or_else(|| rng.double());
        let f = EDGE_FLOATS.get(i).copied().unwrap_or_else(|| rng.float());
        let x = match i {
            0 => 0.0,
            1 => -0.0,
            2 => 0.99999999,
            3 => -0.99999999,
            4 => 1e-9,
            _ => rng.unit() * 2.0 - 1.0,
        };
        rows.push(row_sql(v, f, x));
    }
    let names = COLUMNS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    for chunk in rows.chunks(100) {
        text.query_drop(&format!("INSERT INTO {t} ({names}) VALUES {}", chunk.join(", "))).await.unwrap();
    }

    let sql = format!("SELECT {names} FROM {t} ORDER BY id");
    let a = query(&sql).fetch_all(&mut text).await.unwrap();
    let b = query(&sql).fetch_all(&mut bin).await.unwrap();
    assert_eq!(a.len(), rows.len());
    let labels = COLUMNS.iter().map(|(n, ty)| format!("{n} {ty}")).collect::<Vec<_>>();
    let n = compare("table", &labels, &a, &b);
    assert_eq!(n, rows.len() * COLUMNS.len());

    // Expressions over the stored values, with and without a fixed scale.
    let exprs = [
        "d / 3",
        "-f",
        "f * 1",
        "f + 0e0",
        "ROUND(d, 3)",
        "TRUNCATE(d, 5)",
        "ROUND(d, 30)",
        "d102 * 3",
        "f73 + 1",
        "d2510 / 7",
        "-f73",
        "ROUND(f, 2)",
        "IF(id % 2, d102, d2510)",
        "COALESCE(f, d)",
    ];
    let sql = format!("SELECT {} FROM {t} ORDER BY id", exprs.join(", "));
    let a = query(&sql).fetch_all(&mut text).await.unwrap();
    let b = query(&sql).fetch_all(&mut bin).await.unwrap();
    let labels = exprs.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    compare("expressions over the table", &labels, &a, &b);

    // The issue's cases, as stored values.
    let issue = format!("SELECT f FROM {t} WHERE id IN (7, 9) ORDER BY id");
    let f: Vec<String> = query_scalar(&issue).fetch_all(&mut bin).await.unwrap();
    assert_eq!(f, ["12345.7", "16777200"]);
    let f: Vec<Decimal> = query_scalar(&issue).fetch_all(&mut bin).await.unwrap();
    assert_eq!(f, ["12345.7".parse::<Decimal>().unwrap(), "16777200".parse().unwrap()]);
    // Numbers still read the stored FLOAT.
    let f: Vec<f32> = query_scalar(&issue).fetch_all(&mut bin).await.unwrap();
    assert_eq!(f, [12345.678, 16777216.0]);
}

const EXPRESSIONS: &[&str] = &[
    "1e-7",
    "1e15",
    "9007199254740992e0",
    "CAST(12345.678 AS FLOAT)",
    "CAST(16777217 AS FLOAT)",
    "CAST(1234565 AS FLOAT)",
    "CAST(POW(2, -10) AS FLOAT)",
    "CAST(3.4028234e38 AS FLOAT)",
    "CAST(1e-45 AS FLOAT)",
    "CAST(0.1 AS FLOAT) * 3",
    "1e-5",
    "1e-4",
    "1e14",
    "1e16",
    "0.1e0 + 0.2",
    "-0e0",
    "1e-15",
    "1e-16",
    "1234567890123456.7e0",
    "5e-324",
    "-1.7976931348623157e308",
    "SQRT(2)",
    "PI()",
    "1 / 3e0",
    "EXP(1)",
    "LN(10)",
    "POW(2, 53)",
    "POW(2, -1074)",
    "POW(10, 15) + 1",
    "RAND(1)",
    "ROUND(1.2345e0, 2)",
    "ROUND(-0.0001e0, 3)",
    "TRUNCATE(1.23456e0, 3)",
    "ROUND(123456789.5e0)",
    "1.5e0 * 3",
    "CAST('1e-20' AS DOUBLE)",
    "CAST(123 AS DOUBLE)",
    "DEGREES(1)",
    "COT(1)",
    "ATAN2(1, 3)",
    "1e0 / 7 * 1e20",
    "STDDEV_POP(1e0)",
    "AVG(1e15)",
];

#[tokio::test]
async fn literals_and_expressions_read_as_text_like_the_text_protocol() {
    let mut text = conn(0).await;
    let mut bin = conn(64).await;
    let sql = format!("SELECT {}", EXPRESSIONS.join(", "));
    let a = query(&sql).fetch_all(&mut text).await.unwrap();
    let b = query(&sql).fetch_all(&mut bin).await.unwrap();
    let labels = EXPRESSIONS.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    compare("expressions", &labels, &a, &b);
    // Issue 22's examples, with the server's text spelled out.
    let shown: Vec<String> = (0..5).map(|i| b[0].get::<String, _>(i).unwrap()).collect();
    assert_eq!(shown, ["0.0000001", "1e15", "9.007199254740992e15", "12345.7", "16777200"]);
}
