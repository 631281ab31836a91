//! executemany over MariaDB's bulk protocol (COM_STMT_BULK_EXECUTE): the same rows go
//! in through the bulk path and through PyMySQL's multi-row text INSERTs
//! (`set_bulk(false)`), and the two tables must come out identical, value for value.
//! Also: the statement is prepared once and closed afterwards (even when the call is
//! interrupted), type changes and values without a binary form, errors and transactions.

use std::time::Duration;

use amysql::{Connection, Cursor, FormatContext, Time, ToSql, Value};
use amysql_tests::*;
use chrono::{NaiveDate, TimeDelta};
use rust_decimal::Decimal;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

async fn status(cur: &mut Cursor<'_>, counter: &str) -> u64 {
    cur.execute(&format!("SHOW SESSION STATUS LIKE '{counter}'"), ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

/// Every row of `table` in id order, every column but the id as a dynamic `Value`.
/// (Ids are left out: InnoDB hands a bulk INSERT its auto-increment values in growing
/// blocks, as it does for INSERT ... SELECT, so they may have gaps.)
async fn dump(cur: &mut Cursor<'_>, table: &str) -> Vec<Vec<Value>> {
    cur.execute(&format!("SELECT * FROM {table} ORDER BY id"), ()).await.unwrap();
    let rows = cur.fetchall().await.unwrap();
    rows.iter().map(|r| (1..r.len()).map(|i| r.get::<Value, _>(i).unwrap()).collect()).collect()
}

/// Creates two tables from `columns`, inserts `rows` into one with the bulk path and
/// into the other as text, checks the bulk path prepared exactly one statement, and
/// returns both dumps.
async fn both_ways<P: amysql::Params>(
    c: &mut Connection,
    columns: &str,
    insert_columns: &str,
    rows: &[P],
) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let bulk_t = unique_name("bulk_bin");
    let text_t = unique_name("bulk_txt");
    for t in [&bulk_t, &text_t] {
        c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, {columns})")).await.unwrap();
    }
    let marks = vec!["%s"; insert_columns.split(',').count()].join(", ");
    let mut cur = c.cursor();
    let prepared = status(&mut cur, "Com_stmt_prepare").await;
    let n = cur.executemany(&format!("INSERT INTO {bulk_t} ({insert_columns}) VALUES ({marks})"), rows).await.unwrap();
    assert_eq!(n, rows.len() as u64);
    assert_eq!(status(&mut cur, "Com_stmt_prepare").await - prepared, 1, "bulk path prepares once");
    cur.set_bulk(false);
    let n = cur.executemany(&format!("INSERT INTO {text_t} ({insert_columns}) VALUES ({marks})"), rows).await.unwrap();
    assert_eq!(n, rows.len() as u64);
    assert_eq!(status(&mut cur, "Com_stmt_prepare").await - prepared, 1, "text path prepares nothing");
    (dump(&mut cur, &bulk_t).await, dump(&mut cur, &text_t).await)
}

type Wide = (
    i32,
    u64,
    i128,
    f64,
    f32,
    Decimal,
    String,
    Vec<u8>,
    NaiveDate,
    chrono::NaiveDateTime,
    TimeDelta,
    bool,
    Option<i64>,
);

fn wide_rows() -> Vec<Wide> {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let all_bytes: Vec<u8> = (0..=255).collect();
    vec![
        (
            i32::MIN,
            u64::MAX,
            10i128.pow(38) - 1,
            0.1,
            1.1,
            "1234567890123456.0123456789".parse().unwrap(),
            "it's \\ \"quoted\" \0 nul, héllo 😀".into(),
            all_bytes,
            d(2024, 2, 29),
            d(2024, 2, 29).and_hms_micro_opt(23, 59, 59, 999_999).unwrap(),
            -TimeDelta::seconds(838 * 3600 + 59 * 60 + 59),
            true,
            None,
        ),
        (
            i32::MAX,
            0,
            -(10i128.pow(38) - 1),
            -1e308,
            3.4e38,
            "-0.0000000001".parse().unwrap(),
            String::new(),
            Vec::new(),
            d(1000, 1, 1),
            d(1970, 1, 1).and_hms_opt(0, 0, 0).unwrap(),
            TimeDelta::milliseconds(-1500),
            false,
            Some(i64::MIN),
        ),
        (
            0,
            1,
            0,
            5e-324,
            -0.5,
            Decimal::ZERO,
            "x".repeat(100),
            vec![0],
            d(9999, 12, 31),
            d(9999, 12, 31).and_hms_micro_opt(23, 59, 59, 1).unwrap(),
            TimeDelta::zero(),
            true,
            Some(i64::MAX),
        ),
    ]
}

#[tokio::test]
async fn bulk_and_text_store_the_same_values() {
    let mut c = conn().await;
    let columns = "i INT, u BIGINT UNSIGNED, big DECIMAL(40,0), d DOUBLE, f FLOAT, dc DECIMAL(30,10), \
                   s VARCHAR(100), b BLOB, dt DATE, ts DATETIME(6), tm TIME(6), flag TINYINT(1), n BIGINT NULL";
    let rows = wide_rows();
    let (bulk, text) = both_ways(&mut c, columns, "i, u, big, d, f, dc, s, b, dt, ts, tm, flag, n", &rows).await;
    assert_eq!(bulk.len(), 3);
    assert_eq!(bulk, text);
    // And both hold what was sent (spot checks through the dynamic values).
    assert_eq!(bulk[0][0], Value::Int(i64::from(i32::MIN)));
    assert_eq!(bulk[0][1], Value::UInt(u64::MAX));
    assert_eq!(bulk[0][7], Value::Bytes((0..=255).collect()));
    assert_eq!(bulk[0][10], Value::Time(Time::new(true, 838, 59, 59, 0).unwrap()));
    assert_eq!(bulk[1][12], Value::Int(i64::MIN));
    assert_eq!(bulk[0][12], Value::Null);
}

#[tokio::test]
async fn dynamic_values_json_and_type_changes() {
    let mut c = conn().await;
    // One column receives ints, text, NULL and a double: each type change starts a new
    // bulk command; the server converts each value the same way in both paths.
    let rows: Vec<(Value, Value, amysql::Json<serde_json::Value>)> = vec![
        (Value::Int(1), Value::Text("a".into()), amysql::Json(serde_json::json!({"k": [1, "two"]}))),
        (Value::Int(2), Value::Int(7), amysql::Json(serde_json::json!(null))),
        (Value::Null, Value::Double(1.5), amysql::Json(serde_json::json!("q'uote"))),
        (Value::UInt(3), Value::Decimal("12.50".into()), amysql::Json(serde_json::json!(3.25))),
        (Value::Int(-4), Value::Null, amysql::Json(serde_json::json!({}))),
    ];
    let (bulk, text) = both_ways(&mut c, "a BIGINT, v VARCHAR(20), j JSON", "a, v, j", &rows).await;
    assert_eq!(bulk, text);
    assert_eq!(bulk[3][1], Value::Text("12.50".into()));
    assert_eq!(bulk[2][1], Value::Text("1.5".into()));
}

/// A user type with only a text form.
struct Shout(&'static str);

impl ToSql for Shout {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> amysql::Result<()> {
        self.0.to_uppercase().write_sql(out, ctx)
    }
}

#[tokio::test]
async fn values_without_a_binary_form_switch_to_text() {
    let mut c = conn().await;
    let t = unique_name("bulk_fallback");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))")).await.unwrap();
    let rows: Vec<Vec<Box<dyn ToSql + Sync>>> =
        vec![vec![Box::new("one")], vec![Box::new(Shout("two"))], vec![Box::new("three")]];
    let mut cur = c.cursor();
    let inserts = status(&mut cur, "Com_insert").await;
    assert_eq!(cur.executemany(&format!("INSERT INTO {t} (v) VALUES (%s)"), &rows).await.unwrap(), 3);
    // One bulk command for "one", then one text INSERT for the rest.
    assert_eq!(status(&mut cur, "Com_insert").await - inserts, 2);
    cur.execute(&format!("SELECT v FROM {t} ORDER BY id"), ()).await.unwrap();
    let got: Vec<(String,)> = cur.fetchall_as().await.unwrap();
    assert_eq!(got, [("one".to_string(),), ("TWO".to_string(),), ("three".to_string(),)]);
}

#[tokio::test]
async fn statement_is_closed_by_the_next_command() {
    let mut c = conn().await;
    let t = unique_name("bulk_close");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v INT)")).await.unwrap();
    let mut cur = c.cursor();
    let closed = status(&mut cur, "Com_stmt_close").await;
    cur.executemany(&format!("INSERT INTO {t} (v) VALUES (%s)"), (0..10).map(|i| (i,))).await.unwrap();
    assert_eq!(cur.rowcount(), 10);
    // The close travels with this query, ahead of it.
    assert_eq!(status(&mut cur, "Com_stmt_close").await - closed, 1);
    cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST", ()).await.unwrap();
    drop(cur);
    assert!(c.is_clean());
}

#[tokio::test]
async fn lastrowid_and_rowcount_match_the_text_path() {
    let mut c = conn().await;
    let mut seen = Vec::new();
    for bulk in [true, false] {
        let t = unique_name("bulk_ids");
        c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v INT) AUTO_INCREMENT = 100"))
            .await
            .unwrap();
        let mut cur = c.cursor();
        cur.set_bulk(bulk);
        let n = cur.executemany(&format!("INSERT INTO {t} (v) VALUES (%s)"), [(1,), (2,), (3,)]).await.unwrap();
        seen.push((n, cur.rowcount(), cur.lastrowid()));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0], (3, 3, Some(100)));
}

#[tokio::test]
async fn interrupted_bulk_leaves_a_usable_connection() {
    let mut c = conn().await;
    let t = unique_name("bulk_cancel");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40))")).await.unwrap();
    let rows: Vec<(String,)> = (0..200_000).map(|i| (format!("row {i:>30}"),)).collect();
    let sql = format!("INSERT INTO {t} (v) VALUES (%s)");
    for micros in [50, 500, 2_000, 10_000] {
        let mut cur = c.cursor();
        let r = tokio::time::timeout(Duration::from_micros(micros), cur.executemany(&sql, &rows)).await;
        drop(r);
        // Whatever was cut short is finished or discarded; this answers correctly.
        cur.execute("SELECT %s", (micros,)).await.unwrap();
        assert_eq!(cur.fetchone_as::<(u64,)>().await.unwrap(), Some((micros,)));
    }
    assert!(!c.is_broken());
    c.query_drop(&format!("TRUNCATE TABLE {t}")).await.unwrap();
    let mut cur = c.cursor();
    assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 200_000);
    cur.execute(&format!("SELECT COUNT(*) FROM {t}"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(u64,)>().await.unwrap(), Some((200_000,)));
}

#[tokio::test]
async fn errors_and_transactions() {
    let mut c = conn().await;
    let t = unique_name("bulk_tx");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, v VARCHAR(3) NOT NULL)")).await.unwrap();
    let sql = format!("INSERT INTO {t} (id, v) VALUES (%s, %s)");
    {
        let mut tx = c.begin().await.unwrap();
        let mut cur = tx.cursor();
        assert_eq!(cur.executemany(&sql, [(1, "a"), (2, "b")]).await.unwrap(), 2);
        drop(cur);
        tx.rollback().await.unwrap();
    }
    let mut cur = c.cursor();
    // Strict mode: a value too long for the column fails the command, nothing stays.
    let e = cur.executemany(&sql, [(1, "a"), (2, "too long")]).await.unwrap_err();
    assert_eq!(e.code(), Some(1406), "{e}");
    // NULL into NOT NULL.
    let e = cur.executemany(&sql, [(1, Some("a")), (2, None)]).await.unwrap_err();
    assert_eq!(e.code(), Some(1048), "{e}");
    // A NaN is refused on the client before anything is sent.
    let e = cur.executemany(&format!("INSERT INTO {t} (id, v) VALUES (%s, %s)"), [(1, f64::NAN)]).await.unwrap_err();
    assert!(e.to_string().contains("NaN"), "{e}");
    cur.execute(&format!("SELECT COUNT(*) FROM {t}"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(u64,)>().await.unwrap(), Some((0,)));
}

#[derive(amysql::Params)]
struct NewUser<'a> {
    name: &'a str,
    #[amysql(rename = "years")]
    age: Option<u8>,
}

#[derive(amysql::Params)]
struct Pair(i64, &'static str);

#[tokio::test]
async fn derived_params_go_binary() {
    let mut c = conn().await;
    let t = unique_name("bulk_derive");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20), age INT)"))
        .await
        .unwrap();
    let mut cur = c.cursor();
    let prepared = status(&mut cur, "Com_stmt_prepare").await;
    let users = [NewUser { name: "ann", age: Some(30) }, NewUser { name: "bo", age: None }];
    let sql = format!("INSERT INTO {t} (name, age) VALUES (%(name)s, %(years)s)");
    assert_eq!(cur.executemany(&sql, &users).await.unwrap(), 2);
    let sql = format!("INSERT INTO {t} (age, name) VALUES (%s, %s)");
    assert_eq!(cur.executemany(&sql, [Pair(7, "cy")]).await.unwrap(), 1);
    assert_eq!(status(&mut cur, "Com_stmt_prepare").await - prepared, 2);
    cur.execute(&format!("SELECT name, age FROM {t} ORDER BY id"), ()).await.unwrap();
    let got: Vec<(String, Option<i32>)> = cur.fetchall_as().await.unwrap();
    assert_eq!(got, [("ann".into(), Some(30)), ("bo".into(), None), ("cy".into(), Some(7))]);
}

#[tokio::test]
async fn a_failing_command_stops_the_call() {
    let mut c = conn().await;
    let t = unique_name("bulk_stop");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY)")).await.unwrap();
    let sql = format!("INSERT INTO {t} (id) VALUES (%s)");
    let mut cur = c.cursor();
    // 10 rows of 9 bytes per command: ids 0..10, 10..20, ... A duplicate in the second
    // command fails it (and it alone: each command is one statement); the third, already
    // encoded while the second ran, is never sent.
    cur.set_max_stmt_length(100);
    let ids: Vec<(i32,)> = (0..10).chain([5]).chain(11..30).map(|i| (i,)).collect();
    let e = cur.executemany(&sql, &ids).await.unwrap_err();
    assert_eq!(e.code(), Some(1062), "{e}");
    cur.execute(&format!("SELECT COUNT(*), MAX(id) FROM {t}"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(u64, Option<i32>)>().await.unwrap(), Some((10, Some(9))));
    // A row too large for max_allowed_packet is refused before it is sent.
    drop(cur);
    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    let mut small = amysql::connect(opts.max_allowed_packet(1024)).await.unwrap();
    let t2 = unique_name("bulk_big");
    small.query_drop(&format!("CREATE TABLE {t2} (v TEXT)")).await.unwrap();
    let mut cur = small.cursor();
    let e = cur.executemany(&format!("INSERT INTO {t2} (v) VALUES (%s)"), [("x".repeat(2000),)]).await.unwrap_err();
    assert!(e.to_string().contains("max_allowed_packet"), "{e}");
    cur.execute("SELECT 1", ()).await.unwrap();
    assert!(!cur.connection().is_broken());
}
