//! `?` placeholders on every path against the real server: cursors and `mogrify`, the
//! typed layer as text and as prepared statements, `executemany` batched as multi-row
//! text and as MariaDB bulk, and the `query!` macros. A `?` in a literal, a quoted
//! identifier or a comment is text; `%` is literal in `?` style; mixing styles, named
//! parameters and missing parameters are clear errors that send nothing.

use amysql::{query, query_as, query_scalar, query_with, ConnectOptions, Connection, Cursor, Error, Value};
use amysql_tests::{server, unique_name};
use futures_util::TryStreamExt;

async fn conn(cache: usize) -> Connection {
    let o: ConnectOptions = server().url().parse().unwrap();
    amysql::connect(o.stmt_cache_size(cache)).await.expect("connect")
}

/// A session counter, read through a cursor (text, so it prepares nothing).
async fn status(cur: &mut Cursor<'_>, counter: &str) -> u64 {
    cur.execute(&format!("SHOW SESSION STATUS LIKE '{counter}'"), ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

/// The statement exercised on every path: `?` in code, in literals, in a quoted
/// identifier and in comments, `%` unescaped, `??`, and a `?` as the last byte.
const SQL: &str = "SELECT ? AS `a?`, '?' AS q, CONCAT(?, '100%') /* ? */, DATE_FORMAT('2024-02-29', '%Y/%m'), \
                   5 % 3 -- ?\n, ?? , ?";
type Out = (i64, String, String, String, i64, i64, String, Option<i64>);

fn expected() -> Out {
    (7, "?".into(), "it's 100%".into(), "2024/02".into(), 2, 1, "x".into(), None)
}

#[tokio::test]
async fn cursor_execute_and_mogrify() {
    let mut c = conn(0).await;
    let mut cur = c.cursor();
    let params = (7, "it's ", 1, "x", None::<i64>);
    assert_eq!(
        cur.mogrify(SQL, params).unwrap(),
        "SELECT 7 AS `a?`, '?' AS q, CONCAT('it\\'s ', '100%') /* ? */, DATE_FORMAT('2024-02-29', '%Y/%m'), \
         5 % 3 -- ?\n, 1'x' , NULL"
    );
    // `??` is two placeholders; written back to back the values need a separator, so
    // run the statement with a space between them.
    let sql = SQL.replace("??", "? , ?");
    cur.execute(&sql, params).await.unwrap();
    let row: Out = cur.fetchone_as().await.unwrap().unwrap();
    assert_eq!(row, expected());
    // The column name keeps its `?`.
    assert_eq!(cur.description().unwrap()[0].name, "a?");
    cur.execute("SELECT ? IN ?", (2, vec![1, 2, 3])).await.unwrap();
    assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap().unwrap(), (1,));
}

#[tokio::test]
async fn cursor_errors_send_nothing() {
    let mut c = conn(0).await;
    let mut cur = c.cursor();
    let before = status(&mut cur, "Questions").await;
    let mixed = cur.execute("SELECT ?, %s", (1, 2)).await.unwrap_err();
    assert!(matches!(mixed, Error::Programming(_)), "{mixed:?}");
    assert_eq!(mixed.to_string(), "query mixes ? and %s placeholders (byte 7 and byte 10); use one style");
    let mixed = cur.execute("SELECT %(a)s, ?", amysql::params! {"a" => 1}).await.unwrap_err();
    assert!(mixed.to_string().starts_with("query mixes ? and %(a)s placeholders"), "{mixed}");
    let named = cur.execute("SELECT ?", amysql::params! {"a" => 1}).await.unwrap_err();
    assert!(matches!(named, Error::Interface(_)), "{named:?}");
    assert_eq!(named.to_string(), "query uses ? placeholders but named parameters were given");
    let none = cur.execute("SELECT ?", ()).await.unwrap_err();
    assert_eq!(none.to_string(), "query has ? placeholders but no parameters were given");
    let few = cur.execute("SELECT ?, ?", (1,)).await.unwrap_err();
    assert_eq!(few.to_string(), "not enough parameters for ? placeholder #2 (1 given)");
    let many = cur.execute("SELECT ?", (1, 2)).await.unwrap_err();
    assert_eq!(many.to_string(), "too many parameters: 2 given, query has 1 placeholders");
    // The same mistakes through mogrify.
    assert_eq!(cur.mogrify("SELECT ?, %s", (1, 2)).unwrap_err().to_string(), {
        "query mixes ? and %s placeholders (byte 7 and byte 10); use one style"
    });
    // Only the status query itself reached the server.
    assert_eq!(status(&mut cur, "Questions").await - before, 1);
    // A `?` that is text is fine without parameters; `%` needs no doubling either.
    cur.execute("SELECT '?', '100%' -- ?", ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(String, String)>().await.unwrap().unwrap(), ("?".into(), "100%".into()));
}

/// The typed layer, text (cache 0) or prepared (cache 16); returns the prepares seen.
async fn typed_paths(cache: usize) -> u64 {
    let mut c = conn(cache).await;
    let prepares = status(&mut c.cursor(), "Com_stmt_prepare").await;
    let sql = SQL.replace("??", "? , ?");
    for _ in 0..2 {
        let row: Out =
            query_as(&sql).bind(7).bind("it's ").bind(1).bind("x").bind(None::<i64>).fetch_one(&mut c).await.unwrap();
        assert_eq!(row, expected(), "cache {cache}");
    }
    let n: i64 = query_scalar("SELECT ? + ?").bind(40).bind(2).fetch_one(&mut c).await.unwrap();
    assert_eq!(n, 42);
    let rows: Vec<i64> = query_scalar::<i64>("SELECT seq FROM seq_1_to_10 WHERE seq > ? AND seq <= ? ORDER BY seq")
        .bind(7)
        .bind(9)
        .fetch(&mut c)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows, [8, 9]);
    let row = query("SELECT ?, ? LIKE 'a%'").bind("é").bind("abc").fetch_one(&mut c).await.unwrap();
    assert_eq!((row.get::<String, _>(0).unwrap(), row.get::<i64, _>(1).unwrap()), ("é".into(), 1));
    let dynamic: (i64, String) = query_with("SELECT ?, ?", vec![Value::Int(3), Value::Bytes(b"b".to_vec())])
        .fetch_one(&mut c)
        .await
        .map(|r: amysql::Row| (r.get(0).unwrap(), r.get(1).unwrap()))
        .unwrap();
    assert_eq!(dynamic, (3, "b".into()));
    // Mistakes are reported the same way whatever the path, and the connection stays usable.
    let e = query("SELECT ?, %s").bind(1).bind(2).execute(&mut c).await.unwrap_err();
    assert!(matches!(e, Error::Programming(_)), "{e:?}");
    let e = query("SELECT ?").bind_named("a", 1).execute(&mut c).await.unwrap_err();
    assert_eq!(e.to_string(), "query uses ? placeholders but named parameters were given");
    let e = query("SELECT ?, ?").bind(1).execute(&mut c).await.unwrap_err();
    assert_eq!(e.to_string(), "not enough parameters for ? placeholder #2 (1 given)");
    let e = query("SELECT ?").execute(&mut c).await.unwrap_err();
    assert_eq!(e.to_string(), "query has ? placeholders but no parameters were given");
    assert_eq!(query_scalar::<i64>("SELECT ?").bind(5).fetch_one(&mut c).await.unwrap(), 5);
    status(&mut c.cursor(), "Com_stmt_prepare").await - prepares
}

#[tokio::test]
async fn typed_text() {
    assert_eq!(typed_paths(0).await, 0);
}

#[tokio::test]
async fn typed_prepared() {
    // Each `?` statement that runs is prepared once, as written (the big one is run
    // twice but prepared once; `SELECT ?` with `()` is prepared, found to need a
    // parameter and left to the text path, which refuses it).
    let prepares = typed_paths(16).await;
    assert_eq!(prepares, 7, "one prepare per distinct statement");
}

#[tokio::test]
async fn executemany_batched_text_and_bulk() {
    let mut c = conn(0).await;
    let bulk = c.is_mariadb();
    for use_bulk in [false, true] {
        let t = unique_name("qmark_many");
        c.query_drop(&format!("CREATE TABLE {t} (a INT PRIMARY KEY, b VARCHAR(20), c VARCHAR(20))")).await.unwrap();
        let sql = format!(
            "INSERT INTO {t} (a, b, c) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE b = CONCAT(b, '%'), c = '?%' -- ?"
        );
        let rows: Vec<(i32, String, &str)> = (1..=50).map(|i| (i, format!("v'{i}"), "c%")).collect();
        let mut cur = c.cursor();
        cur.set_bulk(use_bulk);
        let inserts = status(&mut cur, "Com_insert").await;
        let prepares = status(&mut cur, "Com_stmt_prepare").await;
        let statements = cur.mogrify_many(&sql, &rows).unwrap();
        assert_eq!(statements.len(), 1, "one multi-row statement");
        assert!(
            statements[0].ends_with("(50, 'v\\'50', 'c%') ON DUPLICATE KEY UPDATE b = CONCAT(b, '%'), c = '?%' -- ?")
        );
        assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 50);
        let (inserts, prepares) =
            (status(&mut cur, "Com_insert").await - inserts, status(&mut cur, "Com_stmt_prepare").await - prepares);
        if use_bulk && bulk {
            assert_eq!(prepares, 1, "bulk: the INSERT is prepared with its `?` as written");
        } else {
            assert_eq!((inserts, prepares), (1, 0), "text: one batched statement");
        }
        // Again: every row hits the duplicate key, so `b` gets its literal `%`.
        assert_eq!(cur.executemany(&sql, &rows[..2]).await.unwrap(), 4);
        cur.execute(&format!("SELECT a, b, c FROM {t} ORDER BY a"), ()).await.unwrap();
        let got: Vec<(i32, String, String)> = cur.fetchall_as().await.unwrap();
        assert_eq!(got.len(), 50);
        assert_eq!(got[0], (1, "v'1%".into(), "?%".into()));
        assert_eq!(got[49], (50, "v'50".into(), "c%".into()));
        // Not batchable: runs once per row.
        let n = cur.executemany(&format!("UPDATE {t} SET c = ? WHERE a = ?"), [("x", 1), ("y", 2)]).await.unwrap();
        assert_eq!(n, 2);
        let e = cur.executemany(&format!("INSERT INTO {t} (a, b) VALUES (?, %s)"), [(1, 2)]).await.unwrap_err();
        assert!(matches!(e, Error::Programming(_)), "{e:?}");
        c.query_drop(&format!("DROP TABLE {t}")).await.unwrap();
    }
}

#[tokio::test]
async fn macros_text_and_prepared() {
    for cache in [0, 16] {
        let mut c = conn(cache).await;
        let n: i64 = amysql::query_scalar!("SELECT ? + ?", 40, 2).fetch_one(&mut c).await.unwrap();
        assert_eq!(n, 42);
        let (a, b, pct): (i64, String, String) =
            amysql::query_as!((i64, String, String), "SELECT ?, '?' -- ?\n, CONCAT(?, '%')", 7, "100")
                .fetch_one(&mut c)
                .await
                .unwrap();
        assert_eq!((a, b.as_str(), pct.as_str()), (7, "?", "100%"));
        let row = amysql::query!("SELECT ? IN ?", 2, vec![1, 2]).fetch_one(&mut c).await.unwrap();
        assert_eq!(row.get::<i64, _>(0).unwrap(), 1);
        let name = String::from("O'Brien \\ \"q\"");
        let echoed: String = amysql::query_scalar!("SELECT ?", &name).fetch_one(&mut c).await.unwrap();
        assert_eq!(echoed, name);
    }
}
