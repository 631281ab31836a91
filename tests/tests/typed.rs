//! The typed layer against a real server: `#[derive(FromRow)]` with every attribute,
//! `query` / `query_as` / `query_scalar` on every executor, streaming, and the errors a
//! mismatched struct produces.

use amysql::{Connection, ErrorKind, FromRow, Pool, PoolOptions, Row};
use amysql_tests::{server, unique_name};
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

async fn pool() -> Pool {
    amysql::create_pool(server().url().as_str(), PoolOptions::new().minsize(1).maxsize(2)).await.expect("pool")
}

/// A users table with three rows, dropped with the connection's session (TEMPORARY).
async fn users(c: &mut Connection) -> String {
    let t = unique_name("users");
    c.query_drop(&format!(
        "CREATE TEMPORARY TABLE {t} (id BIGINT PRIMARY KEY AUTO_INCREMENT, user_name VARCHAR(50) NOT NULL, \
         email VARCHAR(100) NULL, age INT NOT NULL, settings JSON NULL)"
    ))
    .await
    .unwrap();
    c.query_drop(&format!(
        "INSERT INTO {t} (user_name, email, age, settings) VALUES \
         ('ann', 'ann@example.com', 31, '{{\"theme\": \"dark\", \"size\": 3}}'), \
         ('bob', NULL, 250, NULL), ('cy', 'cy@example.com', 7, '{{\"theme\": \"light\", \"size\": 1}}')"
    ))
    .await
    .unwrap();
    t
}

#[derive(Debug, PartialEq, FromRow)]
struct User {
    id: i64,
    #[amysql(rename = "user_name")]
    name: String,
    email: Option<String>,
    /// Not in the SELECT below: filled with Default.
    #[amysql(default)]
    nickname: Option<String>,
    /// Never read, even when a column of that name exists.
    #[amysql(skip)]
    cache: Vec<u8>,
}

#[tokio::test]
async fn derive_reads_by_name_with_rename_default_and_skip() {
    let mut c = conn().await;
    let t = users(&mut c).await;
    let sql = format!("SELECT email, user_name, id, 'x' AS cache FROM {t} ORDER BY id");
    let all: Vec<User> = amysql::query_as(&sql).fetch_all(&mut c).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[0],
        User { id: 1, name: "ann".into(), email: Some("ann@example.com".into()), nickname: None, cache: vec![] }
    );
    assert_eq!(all[1].email, None);
    // `default` only covers a missing column; a present one is decoded.
    let sql = format!("SELECT id, user_name, email, 'bobby' AS nickname FROM {t} WHERE id = %s");
    let u: User = amysql::query_as(&sql).bind(2).fetch_one(&mut c).await.unwrap();
    assert_eq!(u.nickname.as_deref(), Some("bobby"));
}

#[derive(Debug, PartialEq, FromRow)]
#[amysql(rename_all = "camelCase")]
struct Camel {
    user_id: i64,
    display_name: String,
}

#[derive(Debug, PartialEq, FromRow)]
#[amysql(rename_all = "SCREAMING_SNAKE_CASE")]
struct Screaming {
    user_id: i64,
}

#[derive(Debug, PartialEq, FromRow)]
#[amysql(rename_all = "PascalCase")]
struct Pascal {
    user_id: i64,
    #[amysql(rename = "raw_name")]
    name: String,
}

#[derive(Debug, PartialEq, FromRow)]
#[amysql(rename_all = "UPPERCASE")]
struct Upper {
    id: i64,
}

#[tokio::test]
async fn rename_all_rules() {
    let mut c = conn().await;
    let sql = "SELECT 5 AS userId, 'Ann' AS displayName, 6 AS USER_ID, 7 AS UserId, 'n' AS raw_name, 8 AS ID";
    let camel: Camel = amysql::query_as(sql).fetch_one(&mut c).await.unwrap();
    assert_eq!(camel, Camel { user_id: 5, display_name: "Ann".into() });
    // Column names match case-insensitively after an exact match fails, so the rule
    // matters when names differ only in case: the exact match wins.
    let s: Screaming = amysql::query_as(sql).fetch_one(&mut c).await.unwrap();
    assert_eq!(s.user_id, 6);
    let p: Pascal = amysql::query_as(sql).fetch_one(&mut c).await.unwrap();
    assert_eq!(p, Pascal { user_id: 7, name: "n".into() });
    let u: Upper = amysql::query_as(sql).fetch_one(&mut c).await.unwrap();
    assert_eq!(u.id, 8);
}

#[derive(Debug, PartialEq, FromRow)]
struct Contact {
    email: Option<String>,
    #[amysql(rename = "user_name")]
    name: String,
}

#[derive(Debug, PartialEq, FromRow)]
struct WithContact {
    id: i64,
    #[amysql(flatten)]
    contact: Contact,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Settings {
    theme: String,
    size: u32,
}

#[derive(Debug, PartialEq)]
enum Level {
    Child,
    Adult,
}

impl TryFrom<i32> for Level {
    type Error = String;
    fn try_from(age: i32) -> Result<Self, String> {
        match age {
            0..=17 => Ok(Level::Child),
            18..=150 => Ok(Level::Adult),
            _ => Err(format!("{age} is not a human age")),
        }
    }
}

#[derive(Debug, FromRow)]
struct Profile {
    #[amysql(try_from = "i32")]
    age: Level,
    #[amysql(json)]
    settings: Option<Settings>,
}

#[tokio::test]
async fn flatten_try_from_and_json() {
    let mut c = conn().await;
    let t = users(&mut c).await;
    let rows: Vec<WithContact> =
        amysql::query_as(&format!("SELECT * FROM {t} ORDER BY id")).fetch_all(&mut c).await.unwrap();
    assert_eq!(
        rows[0],
        WithContact { id: 1, contact: Contact { email: Some("ann@example.com".into()), name: "ann".into() } }
    );
    assert_eq!(rows[1].contact.email, None);

    let sql = format!("SELECT age, settings FROM {t} WHERE id IN %s ORDER BY id");
    let ok: Vec<Profile> = amysql::query_as(&sql).bind([1, 3]).fetch_all(&mut c).await.unwrap();
    assert_eq!(ok[0].age, Level::Adult);
    assert_eq!(ok[0].settings, Some(Settings { theme: "dark".into(), size: 3 }));
    assert_eq!(ok[1].age, Level::Child);
    // A NULL JSON column is `null`, which an Option field reads as None; the failed
    // conversion names the field, the column and both types.
    let e = amysql::query_as::<Profile>(&sql).bind([2]).fetch_one(&mut c).await.unwrap_err();
    let msg = e.to_string();
    for part in ["Profile.age", "column 0 `age`", "INT", "i32", "Level", "250 is not a human age"] {
        assert!(msg.contains(part), "{part:?} missing from {msg}");
    }
    let row: (Option<String>,) =
        amysql::query_as(&format!("SELECT settings FROM {t} WHERE id = 2")).fetch_one(&mut c).await.unwrap();
    assert_eq!(row.0, None);
}

#[derive(Debug, FromRow)]
struct StrictJson {
    #[amysql(json)]
    #[allow(dead_code)] // only the errors are checked
    settings: Settings,
}

#[tokio::test]
async fn json_errors_name_the_field() {
    let mut c = conn().await;
    let e = amysql::query_as::<StrictJson>("SELECT NULL AS settings").fetch_one(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("StrictJson.settings") && e.to_string().contains("NULL"), "{e}");
    let e = amysql::query_as::<StrictJson>("SELECT '{\"theme\": 1}' AS settings").fetch_one(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("invalid JSON"), "{e}");
}

#[derive(Debug, PartialEq, FromRow)]
struct Pair(i64, #[amysql(skip)] u8, String, #[amysql(default)] Option<i32>);

#[derive(Debug, PartialEq, FromRow)]
struct Page<T> {
    total: i64,
    #[amysql(flatten)]
    item: T,
}

#[derive(Debug, PartialEq, FromRow)]
struct Wrapper<T> {
    value: T,
    #[amysql(default)]
    missing: T,
}

#[tokio::test]
async fn tuple_structs_by_position_and_generic_structs() {
    let mut c = conn().await;
    let p: Pair = amysql::query_as("SELECT 7, 'seven'").fetch_one(&mut c).await.unwrap();
    assert_eq!(p, Pair(7, 0, "seven".into(), None));
    let p: Pair = amysql::query_as("SELECT 7, 'seven', 3").fetch_one(&mut c).await.unwrap();
    assert_eq!(p.3, Some(3));
    let page: Page<Camel> =
        amysql::query_as("SELECT 10 AS total, 1 AS userId, 'a' AS displayName").fetch_one(&mut c).await.unwrap();
    assert_eq!(page, Page { total: 10, item: Camel { user_id: 1, display_name: "a".into() } });
    let w: Wrapper<String> = amysql::query_as("SELECT 'v' AS value").fetch_one(&mut c).await.unwrap();
    assert_eq!(w, Wrapper { value: "v".into(), missing: String::new() });
}

#[tokio::test]
async fn missing_column_and_type_mismatch_errors_name_column_field_and_types() {
    let mut c = conn().await;
    let e = amysql::query_as::<User>("SELECT 1 AS id, 'x' AS email").fetch_one(&mut c).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Data);
    let msg = e.to_string();
    for part in ["no column `user_name`", "field `User.name`", "(String)", "id", "email"] {
        assert!(msg.contains(part), "{part:?} missing from {msg}");
    }
    let e = amysql::query_as::<User>("SELECT 'one' AS id, 'x' AS user_name, NULL AS email")
        .fetch_one(&mut c)
        .await
        .unwrap_err();
    let msg = e.to_string();
    for part in ["field `User.id`", "column 0 `id`", "VAR_STRING", "into i64", "invalid integer"] {
        assert!(msg.contains(part), "{part:?} missing from {msg}");
    }
    let e = amysql::query_as::<Pair>("SELECT 1").fetch_one(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("no column 1 for field `Pair.2` (String)"), "{e}");
    let e = amysql::query_as::<Contact>("SELECT NULL AS user_name, NULL AS email").fetch_one(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("`Contact.name`") && e.to_string().contains("unexpected NULL"), "{e}");
    // The connection is fine after decode errors.
    assert_eq!(amysql::query_scalar::<i64>("SELECT 2").fetch_one(&mut c).await.unwrap(), 2);
}

#[derive(Debug, FromRow)]
struct Seq {
    seq: u64,
    #[amysql(rename = "label")]
    text: String,
}

#[tokio::test]
async fn stream_100000_rows_into_structs_from_a_pool() {
    let pool = pool().await;
    let mut stream =
        amysql::query_as::<Seq>("SELECT seq, CONCAT('row ', seq) AS label FROM seq_1_to_100000").fetch(&pool);
    let (mut count, mut sum) = (0u64, 0u64);
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        count += 1;
        sum += row.seq;
        if row.seq == 99_999 {
            assert_eq!(row.text, "row 99999");
        }
    }
    assert_eq!((count, sum), (100_000, 100_000 * 100_001 / 2));
    drop(stream);
    // The stream owned the pooled connection and gave it back.
    assert_eq!(pool.size(), pool.freesize());

    // Owned executors give 'static streams that can move to another task.
    let stream = amysql::query_scalar::<u64>("SELECT seq FROM seq_1_to_1000").fetch(pool.clone());
    let total = tokio::spawn(stream.try_fold(0u64, |a, b| async move { Ok(a + b) })).await.unwrap().unwrap();
    assert_eq!(total, 500_500);
}

#[tokio::test]
async fn dropping_a_stream_early_leaves_the_connection_usable() {
    let mut c = conn().await;
    {
        let mut stream = amysql::query_as::<(u64,)>("SELECT seq FROM seq_1_to_100000").fetch(&mut c);
        for expected in 1..=3 {
            assert_eq!(stream.next().await.unwrap().unwrap(), (expected,));
        }
    }
    let n: i64 = amysql::query_scalar("SELECT 42").fetch_one(&mut c).await.unwrap();
    assert_eq!(n, 42);
    let rows: Vec<u64> =
        amysql::query_scalar::<u64>("SELECT seq FROM seq_1_to_3").fetch(&mut c).try_collect().await.unwrap();
    assert_eq!(rows, [1, 2, 3]);
}

/// Rows already buffered are decoded in place; a row that fails to decode is still
/// consumed, ends the stream with its error, and the rest is drained before the next
/// command. Both over text and over a prepared statement.
#[tokio::test]
async fn a_decode_error_mid_stream_ends_it_and_leaves_the_connection_usable() {
    for stmt_cache in [0, 8] {
        let opts: amysql::ConnectOptions = server().url().parse().unwrap();
        let mut c = amysql::connect(opts.stmt_cache_size(stmt_cache)).await.unwrap();
        let sql = "SELECT IF(seq = 3, NULL, seq) FROM seq_1_to_5000";
        let items: Vec<amysql::Result<u64>> = amysql::query_scalar::<u64>(sql).fetch(&mut c).collect().await;
        assert_eq!(items.len(), 3, "cache {stmt_cache}");
        assert_eq!(*items[0].as_ref().unwrap(), 1);
        assert_eq!(*items[1].as_ref().unwrap(), 2);
        let e = items[2].as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Data, "{e}");
        assert!(e.to_string().contains("NULL"), "{e}");
        let n: i64 = amysql::query_scalar("SELECT 42").fetch_one(&mut c).await.unwrap();
        assert_eq!(n, 42);
    }
}

#[tokio::test]
async fn every_executor() {
    let pool = pool().await;
    let q = |n: i64| amysql::query_scalar::<i64>("SELECT %s + 1").bind(n);

    let mut c = conn().await;
    assert_eq!(q(1).fetch_one(&mut c).await.unwrap(), 2);
    assert_eq!(q(2).fetch_one(&pool).await.unwrap(), 3);
    assert_eq!(q(3).fetch_one(pool.clone()).await.unwrap(), 4);
    let mut pooled = pool.acquire().await.unwrap();
    assert_eq!(q(4).fetch_one(&mut pooled).await.unwrap(), 5);
    assert_eq!(q(5).fetch_one(&mut *pooled).await.unwrap(), 6);
    assert_eq!(q(6).fetch_one(pooled).await.unwrap(), 7);

    let t = unique_name("tx");
    c.query_drop(&format!("CREATE TABLE {t} (n INT)")).await.unwrap();
    let insert = format!("INSERT INTO {t} VALUES (%s)");
    let mut tx = c.begin().await.unwrap();
    amysql::query(&insert).bind(1).execute(&mut tx).await.unwrap();
    amysql::query(&insert).bind(2).execute(&mut *tx).await.unwrap();
    let mut sp = tx.begin_nested().await.unwrap();
    amysql::query(&insert).bind(3).execute(&mut sp).await.unwrap();
    sp.rollback().await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    amysql::query(&insert).bind(4).execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut xa = c.begin_twophase(Some(&unique_name("xid"))).await.unwrap();
    amysql::query(&insert).bind(5).execute(&mut xa).await.unwrap();
    xa.prepare().await.unwrap();
    xa.commit().await.unwrap();
    let all: Vec<i32> = amysql::query_scalar(&format!("SELECT n FROM {t} ORDER BY n")).fetch_all(&pool).await.unwrap();
    assert_eq!(all, [1, 2, 4, 5]);
    amysql::query(&format!("DROP TABLE {t}")).execute(&mut c).await.unwrap();
}

#[tokio::test]
async fn untyped_rows_execute_results_and_multi_statements() {
    let mut c = conn().await;
    let t = users(&mut c).await;
    let rows: Vec<Row> = amysql::query(&format!("SELECT id, user_name FROM {t} WHERE age > %s ORDER BY id"))
        .bind(10)
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].get::<String, _>("user_name").unwrap(), "bob");
    let none =
        amysql::query(&format!("SELECT id FROM {t} WHERE id = %s")).bind(99).fetch_optional(&mut c).await.unwrap();
    assert!(none.is_none());
    let e =
        amysql::query_as::<(i64,)>(&format!("SELECT id FROM {t} WHERE id = 99")).fetch_one(&mut c).await.unwrap_err();
    assert!(matches!(e, amysql::Error::RowNotFound), "{e}");

    let r = amysql::query(&format!("INSERT INTO {t} (user_name, age) VALUES (%s, %s)"))
        .bind("dee")
        .bind(40)
        .execute(&mut c)
        .await
        .unwrap();
    assert_eq!((r.rows_affected, r.last_insert_id), (1, Some(4)));
    // Summed over statements; rows of a SELECT in between are read and skipped.
    let r = amysql::query(&format!(
        "UPDATE {t} SET age = age + 1 WHERE id <= 2; SELECT 1; UPDATE {t} SET age = age + 1 WHERE id = 4"
    ))
    .execute(&mut c)
    .await
    .unwrap();
    assert_eq!(r.rows_affected, 3);
    // Rows of every result set, each with its own mapping.
    let both: Vec<(String,)> = amysql::query_as("SELECT 'a' AS x; SELECT 'b' AS y").fetch_all(&mut c).await.unwrap();
    assert_eq!(both, [("a".to_string(),), ("b".to_string(),)]);
    // A query without parameters is sent verbatim: no `%%` needed.
    let s: String = amysql::query_scalar("SELECT '100%'").fetch_one(&mut c).await.unwrap();
    assert_eq!(s, "100%");
}

#[tokio::test]
async fn bind_named_and_parameter_sets() {
    let mut c = conn().await;
    let got: (i64, String, i64) = amysql::query_as("SELECT %(a)s, %(b)s, %(a)s")
        .bind_named("a", 1)
        .bind_named("b", "it's")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert_eq!(got, (1, "it's".into(), 1));
    let e = amysql::query("SELECT %(a)s").bind_named("a", 1).bind_named("b", 2).execute(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("`b` is not used"), "{e}");
    let e = amysql::query("SELECT %s, %s").bind(1).execute(&mut c).await.unwrap_err();
    assert!(e.to_string().contains("not enough parameters"), "{e}");
    let dynamic = vec![amysql::Value::Int(3), amysql::Value::Text("x".into())];
    let got: (i64, String) = amysql::query_as_with("SELECT %s, %s", dynamic).fetch_one(&mut c).await.unwrap();
    assert_eq!(got, (3, "x".into()));
    let n: i64 =
        amysql::query_scalar_with("SELECT %(n)s * 2", amysql::params! {"n" => 21}).fetch_one(&mut c).await.unwrap();
    assert_eq!(n, 42);
}
