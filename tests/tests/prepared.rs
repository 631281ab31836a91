//! The typed layer over prepared statements (`ConnectOptions::stmt_cache_size`): every
//! value decodes the same from binary rows as from text rows; each SQL text is prepared
//! once per connection and evicted least-recently-used; what the server cannot prepare,
//! and parameters without a binary form, run as text; resets, errors and interrupted
//! queries leave a usable connection.

use std::time::Duration;

use amysql::{query, query_as, query_scalar, query_with, ConnectOptions, Connection, Value};
use amysql_tests::*;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use rust_decimal::Decimal;

fn opts(cache: usize) -> ConnectOptions {
    let o: ConnectOptions = server().url().parse().unwrap();
    o.stmt_cache_size(cache)
}

async fn conn(cache: usize) -> Connection {
    amysql::connect(opts(cache)).await.expect("connect")
}

/// A session counter, read through a cursor (cursors always use text, so reading it
/// neither prepares nor evicts anything).
async fn status(c: &mut Connection, counter: &str) -> u64 {
    let mut cur = c.cursor();
    cur.execute(&format!("SHOW SESSION STATUS LIKE '{counter}'"), ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

const TYPES: &str = "i INT, u BIGINT UNSIGNED, t TINYINT, sm SMALLINT, md MEDIUMINT, y YEAR, \
    d DOUBLE, f FLOAT, dc DECIMAL(30,10), s VARCHAR(100), b BLOB, dt DATE, ts DATETIME(6), ts0 DATETIME, \
    tm TIME(6), tm0 TIME, e ENUM('x','y'), j JSON, bits BIT(12), flag TINYINT(1), n INT NULL";

const ROWS: &str = "(-2147483648, 18446744073709551615, -128, -32768, -8388608, 2024, 0.1, 1.1, \
      '-1234567890.0123456789', 'it''s \\\\ \"q\" héllo 😀', X'00FF27', '2024-02-29', '2024-02-29 23:59:59.999999', \
      '1000-01-01 00:00:00', '-838:59:59.999999', '12:00:00', 'y', '{\"k\": [1, \"two\"]}', b'101010101010', 1, NULL), \
    (2147483647, 0, 127, 32767, 8388607, 1901, -1e308, -0.5, '0.0000000001', '', '', '9999-12-31', \
      '1970-01-01 00:00:00.000001', '9999-12-31 23:59:59', '00:00:00.5', '-00:00:01', 'x', 'null', b'0', 0, 7), \
    (0, 1, 0, 0, 0, 2155, 5e-324, 3.4e38, '0', 'x', 'y', '2000-01-01', '2000-01-01 00:00:00', \
      '2000-01-01 12:34:56', '838:59:59', '-12:00:00', 'x', '[]', b'111111111111', 1, -1)";

async fn typed_table(c: &mut Connection) -> String {
    let t = unique_name("prep_types");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, {TYPES})")).await.unwrap();
    let cols = TYPES.split(", ").map(|c| c.split(' ').next().unwrap()).collect::<Vec<_>>().join(", ");
    c.query_drop(&format!("INSERT INTO {t} ({cols}) VALUES {ROWS}")).await.unwrap();
    t
}

#[derive(Debug, PartialEq, amysql::FromRow)]
struct Typed {
    i: i32,
    u: u64,
    t: i8,
    sm: i16,
    md: i32,
    y: u16,
    d: f64,
    f: f32,
    dc: Decimal,
    s: String,
    b: Vec<u8>,
    dt: NaiveDate,
    ts: NaiveDateTime,
}

fn dynamic(rows: &[amysql::Row]) -> Vec<Vec<Value>> {
    rows.iter().map(|r| (0..r.len()).map(|i| r.get::<Value, _>(i).unwrap()).collect()).collect()
}

#[tokio::test]
async fn binary_rows_decode_like_text_rows() {
    let mut text = conn(0).await;
    let mut bin = conn(16).await;
    let t = typed_table(&mut text).await;
    let sql = format!("SELECT * FROM {t} WHERE id >= %s ORDER BY id");
    let a = query(&sql).bind(0).fetch_all(&mut text).await.unwrap();
    let b = query(&sql).bind(0).fetch_all(&mut bin).await.unwrap();
    assert!(!a[0].columns().is_binary());
    assert!(b[0].columns().is_binary());
    assert_eq!(dynamic(&a), dynamic(&b));
    assert_eq!(b.len(), 3);

    // Typed decoding into chrono, rust_decimal, strings, bytes and integers agrees too.
    let sql = format!("SELECT i, u, t, sm, md, y, d, f, dc, s, b, dt, ts FROM {t} ORDER BY id");
    let a: Vec<Typed> = query_as(&sql).fetch_all(&mut text).await.unwrap();
    let b: Vec<Typed> = query_as(&sql).fetch_all(&mut bin).await.unwrap();
    assert_eq!(a, b);
    assert_eq!(b[0].dc.to_string(), "-1234567890.0123456789");
    assert_eq!(b[1].ts, NaiveDate::from_ymd_opt(1970, 1, 1).unwrap().and_hms_micro_opt(0, 0, 0, 1).unwrap());
    type More = (TimeDelta, Option<TimeDelta>, String, serde_json::Value, u16, bool, Option<i32>, String, String);
    let sql = format!("SELECT tm, tm0, e, j, bits, flag, n, ts0, CAST(ts AS CHAR) FROM {t} ORDER BY id");
    let a: Vec<More> = query_as(&sql).fetch_all(&mut text).await.unwrap();
    let b: Vec<More> = query_as(&sql).fetch_all(&mut bin).await.unwrap();
    assert_eq!(a, b);
    // Values a text client would see as strings come out identical from binary cells.
    let sql = format!("SELECT d, f, ts, ts0, tm, dt, y FROM {t} ORDER BY id");
    let a: Vec<(String, String, String, String, String, String, String)> =
        query_as(&sql).fetch_all(&mut text).await.unwrap();
    let b: Vec<(String, String, String, String, String, String, String)> =
        query_as(&sql).fetch_all(&mut bin).await.unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn each_sql_is_prepared_once_and_evicted_least_recently_used() {
    let mut c = conn(2).await;
    let prepares = status(&mut c, "Com_stmt_prepare").await;
    for i in 0..5i64 {
        let v: i64 = query_scalar("SELECT %s + 1").bind(i).fetch_one(&mut c).await.unwrap();
        assert_eq!(v, i + 1);
    }
    assert_eq!(status(&mut c, "Com_stmt_prepare").await - prepares, 1);
    let _: String = query_scalar("SELECT %s").bind("second").fetch_one(&mut c).await.unwrap();
    let closes = status(&mut c, "Com_stmt_close").await;
    // A third SQL text evicts the least recently used one ("SELECT %s + 1"); its close
    // goes out with the next command.
    let s: String = query_scalar("SELECT CONCAT(%s, '!')").bind("hi").fetch_one(&mut c).await.unwrap();
    assert_eq!(s, "hi!");
    assert_eq!(status(&mut c, "Com_stmt_close").await - closes, 1);
    let prepares = status(&mut c, "Com_stmt_prepare").await;
    let v: i64 = query_scalar("SELECT %s + 1").bind(41).fetch_one(&mut c).await.unwrap();
    assert_eq!(v, 42);
    assert_eq!(status(&mut c, "Com_stmt_prepare").await - prepares, 1);
}

#[tokio::test]
async fn parameters_named_null_and_binary() {
    let mut c = conn(8).await;
    let row: (Option<i64>, String, Vec<u8>, f64) = query_as("SELECT %(n)s, %(s)s, %(b)s, %(f)s + 0.5")
        .bind_named("n", None::<i64>)
        .bind_named("s", "it's")
        .bind_named("b", vec![0u8, 255])
        .bind_named("f", 1.0)
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(row, (None, "it's".to_string(), vec![0, 255], 1.5));
    // `%%` is a literal percent; `()` runs the SQL verbatim.
    let s: String = query_scalar("SELECT CONCAT(%s, '%%')").bind(5).fetch_one(&mut c).await.unwrap();
    assert_eq!(s, "5%");
    let s: String = query_scalar("SELECT '100%'").fetch_one(&mut c).await.unwrap();
    assert_eq!(s, "100%");
    // Wrong arity is reported as on the text path, before anything is sent.
    let e = query_scalar::<i64>("SELECT %s, %s").bind(1).fetch_one(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("not enough parameters"), "{e}");
}

#[tokio::test]
async fn what_cannot_be_prepared_runs_as_text() {
    let mut c = conn(8).await;
    // Two statements in one string: the server refuses to prepare it; text runs both.
    let rows: Vec<(i64,)> = query_as("SELECT 1; SELECT 2").fetch_all(&mut c).await.unwrap();
    assert_eq!(rows, [(1,), (2,)]);
    // An IN list has no binary form: that call goes as text.
    let n: i64 = query_scalar("SELECT COUNT(*) FROM (SELECT 1 a UNION SELECT 2 UNION SELECT 3) t WHERE a IN %s")
        .bind(vec![1, 3])
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // And again: the refusal is remembered (no second prepare attempt).
    let prepares = status(&mut c, "Com_stmt_prepare").await;
    let rows: Vec<(i64,)> = query_as("SELECT 1; SELECT 2").fetch_all(&mut c).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(status(&mut c, "Com_stmt_prepare").await - prepares, 0);
}

#[tokio::test]
async fn execute_errors_reset_and_interruption() {
    let mut c = conn(8).await;
    let t = unique_name("prep_exec");
    query(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))"))
        .execute(&mut c)
        .await
        .unwrap();
    let insert = format!("INSERT INTO {t} (v) VALUES (%s)");
    let r = query(&insert).bind("a").execute(&mut c).await.unwrap();
    assert_eq!((r.rows_affected, r.last_insert_id), (1, Some(1)));
    let e = query(&format!("INSERT INTO {t} (id, v) VALUES (%s, %s)")).bind(1).bind("dup").execute(&mut c).await;
    assert_eq!(e.unwrap_err().code(), Some(1062));
    // COM_RESET_CONNECTION drops the server's statements; the cache starts over.
    c.reset().await.unwrap();
    let r = query(&insert).bind("b").execute(&mut c).await.unwrap();
    assert_eq!(r.rows_affected, 1);
    // A fetch cut short leaves nothing behind for the next query.
    for micros in [100, 1_000, 5_000] {
        let big = query_as::<(i64, String)>(
            "SELECT a.seq, REPEAT('x', 200) FROM seq_1_to_1000 a, seq_1_to_100 b WHERE a.seq > %s",
        )
        .bind(0);
        let _ = tokio::time::timeout(Duration::from_micros(micros), big.fetch_all(&mut c)).await;
        let n: i64 =
            query_scalar("SELECT COUNT(*) FROM seq_1_to_10 WHERE seq > %s").bind(5).fetch_one(&mut c).await.unwrap();
        assert_eq!(n, 5);
    }
    assert!(!c.is_broken());
}

#[tokio::test]
async fn pool_connections_keep_their_statements() {
    let pool = amysql::create_pool(&opts(4), amysql::PoolOptions::new().minsize(0).maxsize(2)).await.unwrap();
    for i in 0..20i64 {
        let v: i64 = query_scalar("SELECT %s * 2").bind(i).fetch_one(&pool).await.unwrap();
        assert_eq!(v, 2 * i);
    }
    let v: Vec<(i64,)> = query_as("SELECT seq FROM seq_1_to_3 WHERE seq <= %s").bind(2).fetch_all(&pool).await.unwrap();
    assert_eq!(v, [(1,), (2,)]);
    let _ = query_with("SELECT %s", (1,)).fetch_all(&pool).await.unwrap();
    pool.close();
    pool.wait_closed().await.unwrap();
}

#[tokio::test]
async fn query_macros_use_the_cache_too() {
    let mut c = conn(8).await;
    let prepares = status(&mut c, "Com_stmt_prepare").await;
    for i in 0..3i64 {
        let (a, b): (i64, String) = amysql::query_as!((i64, String), "SELECT %s + 1, CONCAT(%s, '%%')", i, "x")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!((a, b.as_str()), (i + 1, "x%"));
        let n: i64 = amysql::query_scalar!("SELECT %(v)s * 2 + %(v)s", v = i).fetch_one(&mut c).await.unwrap();
        assert_eq!(n, 3 * i);
        // No arguments: still a template (`%%` is one `%`), as on the text path.
        let s: String = amysql::query_scalar!("SELECT '100%%'").fetch_one(&mut c).await.unwrap();
        assert_eq!(s, "100%");
    }
    assert_eq!(status(&mut c, "Com_stmt_prepare").await - prepares, 3);
    let r = amysql::query!("DO %s", 1).execute(&mut c).await.unwrap();
    assert_eq!(r.rows_affected, 0);
}

#[tokio::test]
async fn unchanged_metadata_is_not_resent_and_changed_metadata_is_read() {
    let mut c = conn(8).await;
    let t = unique_name("prep_meta");
    query(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, a VARCHAR(10))")).execute(&mut c).await.unwrap();
    query(&format!("INSERT INTO {t} VALUES (1, 'x'), (2, 'y')")).execute(&mut c).await.unwrap();
    let sql = format!("SELECT * FROM {t} WHERE id >= %s ORDER BY id");
    for _ in 0..3 {
        let rows = query(&sql).bind(1).fetch_all(&mut c).await.unwrap();
        assert_eq!(
            dynamic(&rows),
            [[Value::Int(1), Value::Text("x".into())], [Value::Int(2), Value::Text("y".into())]]
        );
    }
    // A new column changes the statement's metadata: the server sends it again and the
    // rows decode with it.
    query(&format!("ALTER TABLE {t} ADD COLUMN b INT NOT NULL DEFAULT 7")).execute(&mut c).await.unwrap();
    for _ in 0..2 {
        let rows = query(&sql).bind(2).fetch_all(&mut c).await.unwrap();
        assert_eq!(rows[0].columns().len(), 3);
        assert_eq!(dynamic(&rows), [[Value::Int(2), Value::Text("y".into()), Value::Int(7)]]);
    }
}
