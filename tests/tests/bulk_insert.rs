//! executemany's multi-row INSERT batching, ported from aiomysql's `test_bulk_inserts.py`
//! and PyMySQL's `test_executemany`. The exact statements come from `mogrify_many`
//! (which runs the same batcher); that the server received that many statements is
//! checked with the session's `Com_insert` counter.

use std::collections::HashMap;

use amysql::{Connection, Cursor, ErrorKind, Value};
use amysql_tests::*;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

async fn bulk_table(c: &mut Connection) -> String {
    let t = unique_name("bulkinsert");
    c.query_drop(&format!("CREATE TABLE {t} (id INT(11), name CHAR(20), age INT, height INT, PRIMARY KEY (id))"))
        .await
        .unwrap();
    t
}

const DATA: [(i32, &str, i32, i32); 3] = [(0, "bob", 21, 123), (1, "jim", 56, 45), (2, "fred", 100, 180)];

async fn records(cur: &mut Cursor<'_>, t: &str) -> Vec<(i32, String, i32, i32)> {
    cur.execute(&format!("SELECT id, name, age, height FROM {t} ORDER BY id"), ()).await.unwrap();
    cur.fetchall_as().await.unwrap()
}

fn owned(data: &[(i32, &str, i32, i32)]) -> Vec<(i32, String, i32, i32)> {
    data.iter().map(|&(a, b, c, d)| (a, b.to_string(), c, d)).collect()
}

/// Statements of the given kind (`Com_insert`, `Com_replace`) this session has run.
async fn statements_run(cur: &mut Cursor<'_>, counter: &str) -> u64 {
    cur.execute(&format!("SHOW SESSION STATUS LIKE '{counter}'"), ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

/// Checks the statements executemany would send, runs it, and checks the server ran
/// exactly that many statements and stored the rows.
async fn run(cur: &mut Cursor<'_>, t: &str, sql: &str, expected: &[&str]) {
    assert_eq!(cur.mogrify_many(sql, &DATA).unwrap(), expected);
    let before = statements_run(cur, "Com_insert").await;
    assert_eq!(cur.executemany(sql, DATA).await.unwrap(), 3);
    assert_eq!(cur.rowcount(), 3);
    assert_eq!(statements_run(cur, "Com_insert").await - before, expected.len() as u64);
    assert_eq!(records(cur, t).await, owned(&DATA));
}

#[tokio::test]
async fn bulk_insert() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let sql = format!("INSERT INTO {t} (id, name, age, height) VALUES (%s,%s,%s,%s)");
    let expected =
        format!("INSERT INTO {t} (id, name, age, height) VALUES (0,'bob',21,123),(1,'jim',56,45),(2,'fred',100,180)");
    run(&mut cur, &t, &sql, &[&expected]).await;
}

#[tokio::test]
async fn bulk_insert_multiline_statement() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let sql = format!("insert\n        into {t} (id, name,\n        age, height)\n        values (%s,\n        %s , %s,\n        %s )\n         ");
    let expected = format!(
        "insert\n        into {t} (id, name,\n        age, height)\n        values (0,\n        'bob' , 21,\n        123 ),(1,\n        'jim' , 56,\n        45 ),(2,\n        'fred' , 100,\n        180 )\n         "
    );
    run(&mut cur, &t, &sql, &[&expected]).await;
}

#[tokio::test]
async fn bulk_insert_single_record_and_semicolon_and_surrounding_spaces() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let sql = format!("insert into {t} (id, name, age, height) values (%s,%s,%s,%s)");
    assert_eq!(
        cur.mogrify_many(&sql, &DATA[..1]).unwrap(),
        [format!("insert into {t} (id, name, age, height) values (0,'bob',21,123)")]
    );
    assert_eq!(cur.executemany(&sql, &DATA[..1]).await.unwrap(), 1);
    cur.execute(&format!("DELETE FROM {t}"), ()).await.unwrap();

    let sql = format!("INSERT INTO {t} (id, name, age, height) VALUES (%s,%s,%s,%s);");
    let expected =
        format!("INSERT INTO {t} (id, name, age, height) VALUES (0,'bob',21,123),(1,'jim',56,45),(2,'fred',100,180)");
    run(&mut cur, &t, &sql, &[&expected]).await;
    cur.execute(&format!("DELETE FROM {t}"), ()).await.unwrap();

    let sql = format!("\n        INSERT INTO {t} (id, name, age, height)\n        VALUES (%s,%s,%s,%s)\n    ");
    let expected = format!(
        "INSERT INTO {t} (id, name, age, height)\n        VALUES (0,'bob',21,123),(1,'jim',56,45),(2,'fred',100,180)\n    "
    );
    run(&mut cur, &t, &sql, &[&expected]).await;
}

#[tokio::test]
async fn insert_on_duplicate_key_update() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    cur.execute(&format!("INSERT INTO {t} VALUES (1, 'jim', 1, 1)"), ()).await.unwrap();
    let sql = format!(
        "insert\n        into {t} (id, name,\n        age, height)\n        values (%s,\n        %s , %s,\n        %s ) on duplicate key update\n        age = values(age), height = values(height)\n         "
    );
    let expected = format!(
        "insert\n        into {t} (id, name,\n        age, height)\n        values (0,\n        'bob' , 21,\n        123 ),(1,\n        'jim' , 56,\n        45 ),(2,\n        'fred' , 100,\n        180 ) on duplicate key update\n        age = values(age), height = values(height)\n         "
    );
    assert_eq!(cur.mogrify_many(&sql, &DATA).unwrap(), [expected]);
    // Two inserts, plus 2 for the updated duplicate (MySQL's ON DUPLICATE count).
    assert_eq!(cur.executemany(&sql, DATA).await.unwrap(), 4);
    assert_eq!(records(&mut cur, &t).await, owned(&DATA));
}

#[tokio::test]
async fn row_alias_forms_are_batched() {
    // `AS new` (MySQL 8.0.19+; MariaDB has no row alias, so only the statement text is checked).
    let mut c = conn().await;
    let cur = c.cursor();
    let sql = "INSERT INTO t (a, b) VALUES (%s, %s) AS new ON DUPLICATE KEY UPDATE b = new.b";
    assert_eq!(
        cur.mogrify_many(sql, &[(1, "x"), (2, "y")]).unwrap(),
        ["INSERT INTO t (a, b) VALUES (1, 'x'),(2, 'y') AS new ON DUPLICATE KEY UPDATE b = new.b"]
    );
    let sql = "insert into t (a, b)\nvalues (%s, %s) as n(x, y)\non duplicate key update b = y;";
    assert_eq!(
        cur.mogrify_many(sql, &[(1, "x"), (2, "y")]).unwrap(),
        ["insert into t (a, b)\nvalues (1, 'x'),(2, 'y') as n(x, y)\non duplicate key update b = y"]
    );
}

#[tokio::test]
async fn bulk_insert_with_named_parameters() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let rows: Vec<HashMap<&str, Value>> = DATA
        .iter()
        .map(|&(id, name, age, height)| {
            HashMap::from([
                ("id", Value::Int(id.into())),
                ("name", Value::Text(name.into())),
                ("age", Value::Int(age.into())),
                ("height", Value::Int(height.into())),
            ])
        })
        .collect();
    let sql = format!("INSERT INTO {t} (id, name, age, height) VALUES (%(id)s,%(name)s,%(age)s,%(height)s)");
    let expected =
        format!("INSERT INTO {t} (id, name, age, height) VALUES (0,'bob',21,123),(1,'jim',56,45),(2,'fred',100,180)");
    assert_eq!(cur.mogrify_many(&sql, &rows).unwrap(), [expected]);
    assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 3);
    let mut dict = c.dict_cursor();
    dict.execute(&format!("SELECT id, name, age, height FROM {t} ORDER BY id"), ()).await.unwrap();
    let got = dict.fetchall().await.unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].get::<String>("name").unwrap(), "fred");
    assert_eq!(got[2].get::<i32>("height").unwrap(), 180);
}

#[tokio::test]
async fn bulk_replace() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let data = [(0, "bob", 21, 123), (0, "jim", 56, 45)];
    let sql = format!("REPLACE INTO {t} (id, name, age, height) VALUES (%s,%s,%s,%s)");
    assert_eq!(
        cur.mogrify_many(&sql, &data).unwrap(),
        [format!("REPLACE INTO {t} (id, name, age, height) VALUES (0,'bob',21,123),(0,'jim',56,45)")]
    );
    let before = statements_run(&mut cur, "Com_replace").await;
    cur.executemany(&sql, data).await.unwrap();
    assert_eq!(statements_run(&mut cur, "Com_replace").await - before, 1);
    assert_eq!(records(&mut cur, &t).await, owned(&[(0, "jim", 56, 45)]));
}

#[tokio::test]
async fn doubled_percent_outside_the_values() {
    let mut c = conn().await;
    let t = unique_name("percent_test");
    c.query_drop(&format!("CREATE TABLE {t} (`A%` INTEGER, `B%` INTEGER)")).await.unwrap();
    let mut cur = c.cursor();
    let sql = format!("INSERT INTO {t} (`A%%`, `B%%`) VALUES (%s, %s)");
    assert_eq!(
        cur.mogrify_many(&sql, &[(3, 4), (5, 6)]).unwrap(),
        [format!("INSERT INTO {t} (`A%`, `B%`) VALUES (3, 4),(5, 6)")]
    );
    assert_eq!(cur.executemany(&sql, [(3, 4), (5, 6)]).await.unwrap(), 2);
    cur.execute(&format!("SELECT `A%`, `B%` FROM {t} ORDER BY 1"), ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i32, i32)>().await.unwrap(), [(3, 4), (5, 6)]);
}

#[tokio::test]
async fn batches_respect_max_stmt_length() {
    let mut c = conn().await;
    let t = unique_name("batches");
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(50))")).await.unwrap();
    let mut cur = c.cursor();
    assert_eq!(cur.max_stmt_length(), 1_024_000);
    cur.set_max_stmt_length(300);
    // The text statements themselves are under test (bulk_binary.rs covers MariaDB's bulk path).
    cur.set_bulk(false);
    let rows: Vec<(String,)> = (0..100).map(|i| (format!("value number {i:03}"),)).collect();
    let sql = format!("INSERT INTO {t} (v) VALUES (%s)");
    let statements = cur.mogrify_many(&sql, &rows).unwrap();
    assert!(statements.len() > 5, "{}", statements.len());
    assert!(statements.iter().all(|s| s.len() <= 300), "{statements:?}");
    let joined: String =
        statements.iter().map(|s| s.replace(&format!("INSERT INTO {t} (v) VALUES "), "")).collect::<Vec<_>>().join(",");
    assert_eq!(joined.matches("'value number").count(), 100);

    let before = statements_run(&mut cur, "Com_insert").await;
    assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 100);
    assert_eq!(statements_run(&mut cur, "Com_insert").await - before, statements.len() as u64);
    // The first id of the last batch.
    let last_batch = statements.last().unwrap().matches("'value number").count() as u64;
    cur.execute(&format!("SELECT COUNT(*), MAX(id) FROM {t}"), ()).await.unwrap();
    let (count, max_id) = cur.fetchone_as::<(u64, u64)>().await.unwrap().unwrap();
    assert_eq!(count, 100);
    drop(cur);
    let mut cur = c.cursor();
    cur.set_max_stmt_length(300);
    cur.set_bulk(false);
    cur.executemany(&sql, &rows[..10]).await.unwrap();
    assert_eq!(cur.lastrowid(), Some(max_id + 1));
    assert!(last_batch > 0);
}

#[tokio::test]
async fn batches_never_exceed_max_allowed_packet() {
    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.max_allowed_packet(2048)).await.unwrap();
    let t = unique_name("small_packets");
    c.query_drop(&format!("CREATE TABLE {t} (v VARCHAR(100))")).await.unwrap();
    let mut cur = c.cursor();
    let rows: Vec<(String,)> = (0..500).map(|i| (format!("{i:0>40}"),)).collect();
    let sql = format!("INSERT INTO {t} (v) VALUES (%s)");
    let statements = cur.mogrify_many(&sql, &rows).unwrap();
    assert!(statements.iter().all(|s| s.len() < 2048), "one byte goes to the COM_QUERY command");
    assert!(statements.len() >= 500 * 45 / 2048);
    assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 500);
}

#[tokio::test]
async fn a_hundred_thousand_rows_in_a_few_statements() {
    let mut c = conn().await;
    let t = unique_name("long_seq");
    c.query_drop(&format!("CREATE TABLE {t} (id INT)")).await.unwrap();
    let mut cur = c.cursor();
    let before = statements_run(&mut cur, "Com_insert").await;
    let n = cur.executemany(&format!("INSERT INTO {t} VALUES (%s)"), (0..100_000).map(|i| (i,))).await.unwrap();
    assert_eq!(n, 100_000);
    let statements = statements_run(&mut cur, "Com_insert").await - before;
    assert!((1..=2).contains(&statements), "{statements}");
    cur.execute(&format!("SELECT COUNT(*), SUM(id) FROM {t}"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(i64, i64)>().await.unwrap(), Some((100_000, 4_999_950_000)));
}

#[tokio::test]
async fn errors_in_a_batch() {
    let mut c = conn().await;
    let t = bulk_table(&mut c).await;
    let mut cur = c.cursor();
    let sql = format!("INSERT INTO {t} (id, name, age, height) VALUES (%s,%s,%s,%s)");
    let e = cur.executemany(&sql, [(1, "a", 1, 1), (1, "b", 2, 2)]).await.unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Integrity, Some(1062)), "{e}");
    // A row with the wrong arity is refused before anything is sent.
    let e = cur.executemany(&sql, [vec![Value::Int(5)]]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(records(&mut cur, &t).await.is_empty());
}
