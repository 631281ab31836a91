//! Buffered `Cursor` against MariaDB, ported from aiomysql's `test_cursor.py` and
//! PyMySQL's `test_cursor.py` / `test_basic.py`: description, counts, fetch semantics,
//! scroll, mogrify, executemany fallback, callproc, warnings, and recovery after errors
//! and cancellation.

use amysql::{ColumnDescription, Connection, ErrorKind, ScrollMode, Value};
use amysql_tests::*;
use futures_util::FutureExt;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

/// A table `(id MEDIUMINT AUTO_INCREMENT, name VARCHAR(255))` holding (1,a) (2,b) (3,c).
async fn abc_table(c: &mut Connection) -> String {
    let t = unique_name("tbl");
    c.query_drop(&format!(
        "CREATE TABLE {t} (id MEDIUMINT NOT NULL AUTO_INCREMENT, name VARCHAR(255) NOT NULL, PRIMARY KEY (id))"
    ))
    .await
    .unwrap();
    let mut cur = c.cursor();
    for row in [(1, "a"), (2, "b"), (3, "c")] {
        cur.execute(&format!("INSERT INTO {t} VALUES (%s, %s)"), row).await.unwrap();
    }
    t
}

fn pairs(rows: &[amysql::Row]) -> Vec<(i64, String)> {
    rows.iter().map(|r| (r.get(0).unwrap(), r.get(1).unwrap())).collect()
}

fn desc(name: &str, type_code: u8, size: u32, precision: u32, scale: u8, null_ok: bool) -> ColumnDescription {
    ColumnDescription {
        name: name.into(),
        type_code,
        display_size: None,
        internal_size: size,
        precision: Some(precision),
        scale: Some(scale),
        null_ok: Some(null_ok),
    }
}

#[tokio::test]
async fn description_has_exact_tuples() {
    let mut c = conn().await;
    let t = unique_name("descr");
    c.query_drop(&format!(
        "CREATE TABLE {t} (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32), \
         price DECIMAL(10,2) NOT NULL, at DATETIME(6) NULL)"
    ))
    .await
    .unwrap();
    let mut cur = c.cursor();
    assert_eq!(cur.description(), None);
    cur.execute(&format!("SELECT id, name, price, at FROM {t}"), ()).await.unwrap();
    let d = cur.description().unwrap();
    assert_eq!(d[0], desc("id", 3, 11, 11, 0, false));
    assert_eq!(d[1], desc("name", 253, 32, 32, 0, true));
    assert_eq!(d[2], desc("price", 246, 12, 10, 2, false));
    assert_eq!(d[3], desc("at", 12, 26, 26, 6, true));
    // Statements without rows reset it (aiomysql's test_description).
    cur.execute("DROP TABLE IF EXISTS no_such_table_here", ()).await.unwrap();
    assert_eq!(cur.description(), None);
}

#[tokio::test]
async fn rowcount_rownumber_lastrowid() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let mut cur = c.cursor();
    assert_eq!((cur.rowcount(), cur.rownumber(), cur.lastrowid()), (-1, None, None));
    assert_eq!(cur.execute(&format!("SELECT * FROM {t}"), ()).await.unwrap(), 3);
    assert_eq!((cur.rowcount(), cur.rownumber()), (3, Some(0)));
    cur.fetchone().await.unwrap().unwrap();
    assert_eq!(cur.rownumber(), Some(1));
    assert_eq!(cur.lastrowid(), None);
    assert_eq!(cur.execute(&format!("INSERT INTO {t} (name) VALUES (%s)"), ("d",)).await.unwrap(), 1);
    assert_eq!(cur.lastrowid(), Some(4));
    assert_eq!(cur.rowcount(), 1);
    let n = cur.execute(&format!("UPDATE {t} SET name = 'z' WHERE id > %s"), (1,)).await.unwrap();
    assert_eq!((n, cur.rowcount(), cur.lastrowid()), (3, 3, None));
}

#[tokio::test]
async fn fetchmany_at_the_end_of_a_result() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("SELECT seq FROM seq_1_to_5", ()).await.unwrap();
    let ids = |rows: Vec<amysql::Row>| rows.iter().map(|r| r.get::<i64, _>(0).unwrap()).collect::<Vec<_>>();
    assert_eq!(cur.arraysize(), 1);
    assert_eq!(ids(cur.fetchmany(None).await.unwrap()), [1]);
    cur.set_arraysize(3);
    assert_eq!(ids(cur.fetchmany(None).await.unwrap()), [2, 3, 4]);
    assert_eq!(ids(cur.fetchmany(Some(2)).await.unwrap()), [5]);
    assert_eq!(cur.fetchmany(Some(2)).await.unwrap().len(), 0);
    assert!(cur.fetchone().await.unwrap().is_none());
    assert!(cur.fetchall().await.unwrap().is_empty());
    assert_eq!(cur.rownumber(), Some(5));
    // Statements without rows: every fetch is empty (test_fetch*_no_result).
    cur.execute("DROP TABLE IF EXISTS no_such_table_here", ()).await.unwrap();
    assert!(cur.fetchmany(None).await.unwrap().is_empty());
    assert!(cur.fetchall().await.unwrap().is_empty());
    assert!(cur.fetchone().await.unwrap().is_none());
}

#[tokio::test]
async fn scroll_absolute_relative_and_out_of_range() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let mut cur = c.cursor();
    let e = cur.scroll(2, ScrollMode::Absolute).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Programming, "{e}");
    cur.execute(&format!("SELECT * FROM {t}"), ()).await.unwrap();
    cur.scroll(1, ScrollMode::Relative).await.unwrap();
    assert_eq!(pairs(&cur.fetchall().await.unwrap()), [(2, "b".into()), (3, "c".into())]);
    cur.scroll(2, ScrollMode::Absolute).await.unwrap();
    assert_eq!(cur.fetchone().await.unwrap().unwrap().get::<String, _>(1).unwrap(), "c");
    cur.scroll(-3, ScrollMode::Relative).await.unwrap();
    assert_eq!(cur.rownumber(), Some(0));
    for (value, mode) in [
        (1000, ScrollMode::Relative),
        (-1, ScrollMode::Relative),
        (3, ScrollMode::Absolute),
        (-1, ScrollMode::Absolute),
    ] {
        let e = cur.scroll(value, mode).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Programming, "{e}");
        assert!(e.to_string().contains("out of range"), "{e}");
        assert_eq!(cur.rownumber(), Some(0), "position unchanged after {mode:?} {value}");
    }
    cur.scroll(1, ScrollMode::Relative).await.unwrap();
    assert_eq!(cur.fetchone().await.unwrap().unwrap().get::<i64, _>(0).unwrap(), 2);
}

#[tokio::test]
async fn fetching_before_execute_is_an_error() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    assert_eq!(cur.fetchone().await.unwrap_err().kind(), ErrorKind::Programming);
    assert_eq!(cur.fetchall().await.unwrap_err().kind(), ErrorKind::Programming);
    assert!(!cur.nextset().await.unwrap());
}

#[tokio::test]
async fn mogrify_matches_what_execute_sends() {
    let mut c = conn().await;
    let cur = c.cursor();
    let sql = "INSERT INTO tbl VALUES(%s, %s)";
    let got: Vec<String> = [(1, "a"), (2, "b"), (3, "c")].iter().map(|p| cur.mogrify(sql, p).unwrap()).collect();
    assert_eq!(
        got,
        ["INSERT INTO tbl VALUES(1, 'a')", "INSERT INTO tbl VALUES(2, 'b')", "INSERT INTO tbl VALUES(3, 'c')"]
    );
    assert_eq!(cur.mogrify("SELECT %s", ("it's",)).unwrap(), r"SELECT 'it\'s'");
    assert_eq!(cur.mogrify("SELECT '100%'", ()).unwrap(), "SELECT '100%'");
    assert_eq!(cur.mogrify("SELECT %(a)s, %%", amysql::params! {"a" => 1}).unwrap(), "SELECT 1, %");
}

#[tokio::test]
async fn executemany_runs_other_statements_once_per_row() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let mut cur = c.cursor();
    // UPDATE: rowcount is the sum of the rows each statement changed.
    let n = cur
        .executemany(&format!("UPDATE {t} SET name = %s WHERE id = %s"), vec![("x", 1), ("b", 2), ("y", 3), ("q", 9)])
        .await
        .unwrap();
    assert_eq!((n, cur.rowcount()), (2, 2));
    // SELECT (aiomysql's test_executemany): counts add up, the last result is current.
    let n = cur.executemany(&format!("SELECT * FROM {t} WHERE id = %s;"), [(1,), (2,), (3,)]).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(pairs(&cur.fetchall().await.unwrap()), [(3, "y".into())]);
    // No rows: nothing is sent.
    assert_eq!(cur.executemany("SELECT 1;", Vec::<(i32,)>::new()).await.unwrap(), 0);
}

#[tokio::test]
async fn in_list_from_a_sequence() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let mut cur = c.cursor();
    cur.execute(&format!("SELECT id FROM {t} WHERE id IN %s ORDER BY id"), (vec![1, 3],)).await.unwrap();
    let ids: Vec<(i64,)> = cur.fetchall_as().await.unwrap();
    assert_eq!(ids, [(1,), (3,)]);
    cur.execute(&format!("SELECT id FROM {t} WHERE id IN %s"), ([2],)).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(2,)]);
}

#[tokio::test]
async fn typed_fetches() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let mut cur = c.cursor();
    cur.execute(&format!("SELECT id, name FROM {t} ORDER BY id"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(u32, String)>().await.unwrap(), Some((1, "a".into())));
    assert_eq!(cur.fetchmany_as::<(u32, String)>(Some(1)).await.unwrap(), [(2, "b".into())]);
    assert_eq!(cur.fetchall_as::<(u32, String)>().await.unwrap(), [(3, "c".into())]);
    assert_eq!(cur.fetchone_as::<(u32, String)>().await.unwrap(), None);
    cur.scroll(0, ScrollMode::Absolute).await.unwrap();
    let e = cur.fetchone_as::<(u32, String, i8)>().await.unwrap_err();
    assert!(e.to_string().contains("3-tuple"), "{e}");
}

async fn create_procedures(c: &mut Connection) -> (String, String) {
    let inc = unique_name("myinc");
    let add = unique_name("addout");
    c.query_drop(&format!("CREATE PROCEDURE {inc}(p1 INT) BEGIN SELECT p1 + 1; END")).await.unwrap();
    c.query_drop(&format!(
        "CREATE PROCEDURE {add}(IN a INT, IN b VARCHAR(10), OUT s VARCHAR(20)) SET s = CONCAT(a, b)"
    ))
    .await
    .unwrap();
    (inc, add)
}

async fn check_callproc(c: &mut Connection, inc: &str, add: &str) {
    let mut cur = c.cursor();
    let args = cur.callproc(inc, (1,)).await.unwrap();
    assert_eq!(args, [Value::Int(1)]);
    assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap(), Some((2,)));
    // The CALL's own (empty) result follows the procedure's result set.
    assert!(cur.nextset().await.unwrap());
    assert!(cur.description().is_none());
    assert!(!cur.nextset().await.unwrap());
    // A follow-up query on the same cursor works.
    cur.execute("SELECT 42", ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap(), Some((42,)));
    // OUT parameters are read back from the @_name_n variables.
    let args = cur.callproc(add, (7, "x'y", None::<String>)).await.unwrap();
    assert_eq!(args, [Value::Int(7), Value::Text("x'y".into()), Value::Null]);
    assert!(cur.description().is_none());
    cur.execute(&format!("SELECT @_{add}_2"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(String,)>().await.unwrap(), Some(("7x'y".into(),)));
}

#[tokio::test]
async fn callproc_with_result_set_then_follow_up_query() {
    let mut c = conn().await;
    let (inc, add) = create_procedures(&mut c).await;
    check_callproc(&mut c, &inc, &add).await;
    // Without multi-statements each step is its own round trip; the outcome is the same.
    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    let mut single = amysql::connect(opts.multi_statements(false)).await.unwrap();
    check_callproc(&mut single, &inc, &add).await;
    let e = single.cursor().callproc(&inc, amysql::params! {"p" => 1}).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface);
}

/// With multi-statements on (the default), a procedure name written verbatim after `CALL`
/// would run whatever follows it; the name is quoted as one identifier instead, so the
/// server looks for a procedure of that odd name and the table survives. The hostile names
/// start with a procedure that exists, so that verbatim they would CALL it and go on.
#[tokio::test]
async fn callproc_name_cannot_inject_statements() {
    let mut c = conn().await;
    let t = abc_table(&mut c).await;
    let (inc, add) = create_procedures(&mut c).await;
    let db = server().db();
    for hostile in [
        format!("{inc}(1); DROP TABLE {t}; -- "),
        format!("{inc}(1); DROP TABLE {t}; -- x"),
        format!("{inc}`(1); DROP TABLE {t}; -- "),
        format!("{db}.{inc}(1); DROP TABLE {t}; -- x"),
    ] {
        for with_args in [false, true] {
            let mut cur = c.cursor();
            let called = if with_args { cur.callproc(&hostile, (1,)).await } else { cur.callproc(&hostile, ()).await };
            drop(cur);
            let rows = c.query_text(&format!("SELECT COUNT(*) FROM {t}")).await;
            let n = rows.map(|r| r[0][0].clone()).map_err(|e| e.to_string());
            assert_eq!(n, Ok(Some("3".into())), "{hostile:?} (args: {with_args}) dropped or changed the table");
            let e = called.unwrap_err();
            // The whole text was taken as one procedure name: ER_SP_DOES_NOT_EXIST, or
            // ER_SP_WRONG_NAME for the names that end in a space.
            assert!(matches!(e.code(), Some(1305 | 1458)), "{hostile:?}: {e}");
            assert!(e.to_string().contains("DROP TABLE"), "{hostile:?}: {e}");
        }
    }
    // Names that cannot be a procedure are refused before anything is sent.
    for bad in ["", "a.b.c", "p\0", "`unterminated", "db."] {
        let e = c.cursor().callproc(bad, (1,)).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Programming, "{bad:?}: {e}");
    }
    // `db.proc` and an already-quoted name still reach the procedure.
    for name in [format!("{db}.{inc}"), format!("`{db}`.`{inc}`")] {
        let mut cur = c.cursor();
        assert_eq!(cur.callproc(&name, (41,)).await.unwrap(), [Value::Int(41)]);
        assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap(), Some((42,)));
        assert!(cur.nextset().await.unwrap());
        assert!(!cur.nextset().await.unwrap());
    }
    let mut cur = c.cursor();
    cur.callproc(&format!("{db}.{add}"), (1, "z", None::<String>)).await.unwrap();
    cur.execute(&format!("SELECT @_{db}.{add}_2"), ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(String,)>().await.unwrap(), Some(("1z".into(),)));
}

#[tokio::test]
async fn warnings_after_each_execute() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("DROP TABLE IF EXISTS `no_exists_table`", ()).await.unwrap();
    assert_eq!(cur.warning_count(), 1);
    cur.execute("SELECT CAST('abc' AS SIGNED)", ()).await.unwrap();
    assert_eq!(cur.warning_count(), 1);
    cur.execute("SELECT 1", ()).await.unwrap();
    assert_eq!(cur.warning_count(), 0);
    drop(cur);
    c.query_drop("DROP TABLE IF EXISTS `no_exists_table`").await.unwrap();
    let w = c.show_warnings().await.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].level.as_str(), w[0].code), ("Note", 1051));
    assert!(w[0].message.contains("no_exists_table"), "{:?}", w[0]);
}

#[tokio::test]
async fn statement_timeout_raises_and_the_connection_stays_usable() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("SET STATEMENT max_statement_time=2 FOR SELECT seq, SLEEP(0.01) FROM seq_1_to_5", ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(i64, i64)>().await.unwrap(), Some((1, 0)));
    // Discards the rest of the previous result.
    cur.execute("SELECT 1", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    let e = cur
        .execute("SET STATEMENT max_statement_time=0.001 FOR SELECT seq, SLEEP(1) FROM seq_1_to_5", ())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(1969), "{e}");
    assert!(cur.fetchall().await.unwrap().is_empty());
    cur.execute("SELECT 2", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(2,)]);
}

#[tokio::test]
async fn abandoned_cursor_and_cancelled_execute_leave_nothing_behind() {
    let mut c = conn().await;
    // PyMySQL's test_cleanup_rows_buffered: a cursor dropped halfway.
    let mut cur = c.cursor();
    cur.execute("SELECT a.seq, b.seq FROM seq_1_to_50 a, seq_1_to_50 b; SELECT 'second set'", ()).await.unwrap();
    for _ in 0..10 {
        cur.fetchone().await.unwrap().unwrap();
    }
    drop(cur);
    let mut cur = c.cursor();
    cur.execute("SELECT 1", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    // aiomysql's test_execute_cancel: the future is dropped after sending, before the
    // result arrives.
    let fut = cur.execute("SELECT 1 AS id, SLEEP(0.1) AS xxx", ());
    assert!(fut.now_or_never().is_none(), "the query cannot have completed yet");
    cur.execute("SELECT 2 AS value, 0 AS xxx", ()).await.unwrap();
    let names: Vec<&str> = cur.description().unwrap().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["value", "xxx"]);
    assert_eq!(cur.fetchall_as::<(i64, i64)>().await.unwrap(), [(2, 0)]);
    cur.close().await.unwrap();
    assert!(c.is_clean());
}

#[tokio::test]
async fn close_discards_unread_results() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("SELECT 1; SELECT 2; SELECT 3", ()).await.unwrap();
    cur.close().await.unwrap();
    assert!(c.is_clean());
    assert_eq!(c.query_text("SELECT 4").await.unwrap(), [[Some("4".to_string())]]);
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn cursor_futures_are_send() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    let f = cur.execute("SELECT %s", ("x",));
    assert_send(&f);
    f.await.unwrap();
    let f = cur.fetchall();
    assert_send(&f);
    f.await.unwrap();
    let f = cur.executemany("SELECT %s", vec![(1,)]);
    assert_send(&f);
    f.await.unwrap();
    assert!(format!("{cur:?}").contains("rowcount"));
}
