//! sea-query statements (feature `sea-query`) against the real server, on the text path
//! and on the prepared-statement path (`stmt_cache_size(8)`): joins and conditions,
//! `INSERT … ON DUPLICATE KEY UPDATE`, `UPDATE`, `DELETE`, streaming, and every
//! `sea_query::Value` variant (and its NULL) stored and read back.

use amysql::sea_query::SeaQueryExt;
use amysql::{query_as_with, query_scalar_with, query_with, ConnectOptions, Connection, Error, Row};
use amysql_tests::*;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use sea_query::{Enum, Expr, ExprTrait, OnConflict, Order, Query, Value};

/// Both paths: 0 sends text, 8 prepares each statement (binary parameters and rows).
const CACHES: [usize; 2] = [0, 8];

async fn conn(cache: usize) -> Connection {
    let o: ConnectOptions = server().url().parse().unwrap();
    // UTC session, so zoned instants (sent as UTC) read back as the same instant.
    amysql::connect(o.stmt_cache_size(cache).init_command("SET time_zone = '+00:00'")).await.expect("connect")
}

/// `Com_stmt_prepare`, to show which path ran.
async fn prepares(c: &mut Connection) -> u64 {
    let mut cur = c.cursor();
    cur.execute("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'", ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

async fn library(c: &mut Connection) -> (String, String) {
    let (authors, books) = (unique_name("sq_author"), unique_name("sq_book"));
    c.query_drop(&format!("CREATE TABLE {authors} (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, country CHAR(2))"))
        .await
        .unwrap();
    c.query_drop(&format!(
        "CREATE TABLE {books} (id INT PRIMARY KEY AUTO_INCREMENT, author_id INT, title VARCHAR(100) NOT NULL, \
         year SMALLINT, copies INT NOT NULL DEFAULT 0, UNIQUE KEY (title))"
    ))
    .await
    .unwrap();
    let (sql, values) = Query::insert()
        .into_table(authors.clone())
        .columns(["id", "name", "country"])
        .values_panic([1.into(), "Ursula K. Le Guin".into(), "US".into()])
        .values_panic([2.into(), "Stanisław Lem".into(), "PL".into()])
        .values_panic([3.into(), "Nobody's Author".into(), Value::String(None).into()])
        .build_amysql();
    assert_eq!(query_with(&sql, &values).execute(&mut *c).await.unwrap().rows_affected, 3);
    let (sql, values) = Query::insert()
        .into_table(books.clone())
        .columns(["author_id", "title", "year", "copies"])
        .values_panic([1.into(), "The Dispossessed".into(), 1974.into(), 3.into()])
        .values_panic([1.into(), "The Lathe of Heaven".into(), 1971.into(), 1.into()])
        .values_panic([2.into(), "Solaris".into(), 1961.into(), 5.into()])
        .values_panic([2.into(), "Fiasco".into(), 1986.into(), 0.into()])
        .values_panic([Value::Int(None).into(), "Anonymous 100%".into(), Value::SmallInt(None).into(), 2.into()])
        .build_amysql();
    let r = query_with(&sql, &values).execute(&mut *c).await.unwrap();
    assert_eq!((r.rows_affected, r.last_insert_id), (5, Some(1)));
    (authors, books)
}

#[tokio::test]
async fn joins_and_conditions() {
    for cache in CACHES {
        let mut c = conn(cache).await;
        let before = prepares(&mut c).await;
        let (authors, books) = library(&mut c).await;

        // INNER JOIN, AND / OR, LIKE, BETWEEN, ORDER BY, LIMIT.
        let (sql, values) = Query::select()
            .column((books.clone(), "title"))
            .column((authors.clone(), "name"))
            .from(books.clone())
            .inner_join(authors.clone(), Expr::col((books.clone(), "author_id")).equals((authors.clone(), "id")))
            .and_where(Expr::col((books.clone(), "year")).between(1960, 1980))
            .and_where(Expr::col((authors.clone(), "name")).like("%Le%").or(Expr::col("copies").gt(4)))
            .order_by((books.clone(), "year"), Order::Asc)
            .limit(10)
            .build_amysql();
        let rows: Vec<(String, String)> = query_as_with(&sql, &values).fetch_all(&mut c).await.unwrap();
        assert_eq!(
            rows,
            [
                ("Solaris".into(), "Stanisław Lem".into()),
                ("The Lathe of Heaven".into(), "Ursula K. Le Guin".into()),
                ("The Dispossessed".into(), "Ursula K. Le Guin".into()),
            ],
            "cache {cache}"
        );

        // LEFT JOIN with IS NULL, IN, and a `%` in a bound value.
        let (sql, values) = Query::select()
            .column((books.clone(), "title"))
            .column((authors.clone(), "name"))
            .from(books.clone())
            .left_join(authors.clone(), Expr::col((books.clone(), "author_id")).equals((authors.clone(), "id")))
            .and_where(Expr::col((authors.clone(), "id")).is_null().or(Expr::col((books.clone(), "id")).is_in([3, 4])))
            .order_by((books.clone(), "id"), Order::Asc)
            .build_amysql();
        let rows: Vec<(String, Option<String>)> = query_as_with(&sql, &values).fetch_all(&mut c).await.unwrap();
        assert_eq!(
            rows,
            [
                ("Solaris".into(), Some("Stanisław Lem".into())),
                ("Fiasco".into(), Some("Stanisław Lem".into())),
                ("Anonymous 100%".into(), None),
            ]
        );

        // GROUP BY with an aggregate, read as a scalar; authors without books via NOT IN.
        let (sql, values) = Query::select()
            .expr(Expr::col("copies").sum())
            .from(books.clone())
            .and_where(Expr::col("author_id").eq(2))
            .build_amysql();
        let sum: Decimal = query_scalar_with(&sql, &values).fetch_one(&mut c).await.unwrap();
        assert_eq!(sum, Decimal::from(5));
        let (sql, values) = Query::select()
            .column("name")
            .from(authors.clone())
            .and_where(
                Expr::col("id").not_in_subquery(
                    Query::select()
                        .column("author_id")
                        .from(books.clone())
                        .and_where(Expr::col("author_id").is_not_null())
                        .take(),
                ),
            )
            .build_amysql();
        let names: Vec<String> = query_scalar_with(&sql, &values).fetch_all(&mut c).await.unwrap();
        assert_eq!(names, ["Nobody's Author"]);

        // Streaming rows of a built statement.
        let (sql, values) = Query::select()
            .column("title")
            .from(books.clone())
            .and_where(Expr::col("copies").gte(1))
            .order_by("title", Order::Asc)
            .build_amysql();
        let titles: Vec<String> =
            amysql::query_scalar_with(&sql, &values).fetch(&mut c).try_collect::<Vec<String>>().await.unwrap();
        assert_eq!(titles, ["Anonymous 100%", "Solaris", "The Dispossessed", "The Lathe of Heaven"]);

        let after = prepares(&mut c).await;
        if cache == 0 {
            assert_eq!(after, before, "the text path prepares nothing");
        } else {
            assert!(after >= before + 5, "the statements were prepared: {before} -> {after}");
        }
    }
}

#[tokio::test]
async fn upsert_update_delete() {
    for cache in CACHES {
        let mut c = conn(cache).await;
        let (_, books) = library(&mut c).await;

        // INSERT … ON DUPLICATE KEY UPDATE: a new title inserts (1 row affected), an
        // existing one updates (2, as MySQL/MariaDB count an update through the upsert).
        let upsert = |title: &str, copies: i32| {
            Query::insert()
                .into_table(books.clone())
                .columns(["title", "copies"])
                .values_panic([title.into(), copies.into()])
                .on_conflict(OnConflict::new().value("copies", Expr::col("copies").add(copies)).to_owned())
                .build_amysql()
        };
        let (sql, values) = upsert("Solaris", 10);
        assert!(sql.contains("ON DUPLICATE KEY UPDATE"), "{sql}");
        assert_eq!(query_with(&sql, &values).execute(&mut c).await.unwrap().rows_affected, 2);
        let (sql, values) = upsert("His Master's Voice", 4);
        assert_eq!(query_with(&sql, &values).execute(&mut c).await.unwrap().rows_affected, 1);
        // update_columns: `col = VALUES(col)`.
        let (sql, values) = Query::insert()
            .into_table(books.clone())
            .columns(["title", "year", "copies"])
            .values_panic(["Fiasco".into(), 1987.into(), 9.into()])
            .on_conflict(OnConflict::new().update_columns(["year", "copies"]).to_owned())
            .build_amysql();
        assert_eq!(query_with(&sql, &values).execute(&mut c).await.unwrap().rows_affected, 2);

        let (sql, values) = Query::select()
            .columns(["title", "year", "copies"])
            .from(books.clone())
            .and_where(Expr::col("title").is_in(["Solaris", "His Master's Voice", "Fiasco"]))
            .order_by("title", Order::Asc)
            .build_amysql();
        let rows: Vec<(String, Option<i16>, i32)> = query_as_with(&sql, &values).fetch_all(&mut c).await.unwrap();
        assert_eq!(
            rows,
            [
                ("Fiasco".into(), Some(1987), 9),
                ("His Master's Voice".into(), None, 4),
                ("Solaris".into(), Some(1961), 15),
            ]
        );

        // UPDATE with an expression and a condition.
        let (sql, values) = Query::update()
            .table(books.clone())
            .value("copies", Expr::col("copies").mul(2))
            .value("year", Value::SmallInt(None))
            .and_where(Expr::col("author_id").eq(1))
            .build_amysql();
        assert_eq!(query_with(&sql, &values).execute(&mut c).await.unwrap().rows_affected, 2);
        let (sql, values) = Query::select()
            .expr(Expr::col("copies").sum())
            .from(books.clone())
            .and_where(Expr::col("author_id").eq(1).and(Expr::col("year").is_null()))
            .build_amysql();
        let sum: Decimal = query_scalar_with(&sql, &values).fetch_one(&mut c).await.unwrap();
        assert_eq!(sum, Decimal::from(8));

        // DELETE with a condition; what is left.
        let (sql, values) =
            Query::delete().from_table(books.clone()).and_where(Expr::col("copies").lt(5)).build_amysql();
        assert_eq!(query_with(&sql, &values).execute(&mut c).await.unwrap().rows_affected, 3);
        let (sql, values) = Query::select().expr(Expr::col("id").count()).from(books.clone()).build_amysql();
        let left: i64 = query_scalar_with(&sql, &values).fetch_one(&mut c).await.unwrap();
        assert_eq!(left, 3, "cache {cache}");
    }
}

/// One column per variant: (name, SQL type, value).
fn variants() -> Vec<(&'static str, &'static str, Value)> {
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let dt = date.and_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    let plus2 = FixedOffset::east_opt(2 * 3600).unwrap().from_local_datetime(&dt).unwrap();
    let tdate = time::Date::from_calendar_date(1999, time::Month::December, 31).unwrap();
    let ttime = time::Time::from_hms_micro(1, 2, 3, 4).unwrap();
    let tdt = time::PrimitiveDateTime::new(tdate, ttime);
    let todt = tdt.assume_offset(time::UtcOffset::from_hms(-5, 0, 0).unwrap());
    vec![
        ("b", "TINYINT(1)", Value::Bool(Some(true))),
        ("ti", "TINYINT", Value::TinyInt(Some(i8::MIN))),
        ("si", "SMALLINT", Value::SmallInt(Some(i16::MIN))),
        ("i", "INT", Value::Int(Some(i32::MIN))),
        ("bi", "BIGINT", Value::BigInt(Some(i64::MIN))),
        ("tu", "TINYINT UNSIGNED", Value::TinyUnsigned(Some(u8::MAX))),
        ("su", "SMALLINT UNSIGNED", Value::SmallUnsigned(Some(u16::MAX))),
        ("u", "INT UNSIGNED", Value::Unsigned(Some(u32::MAX))),
        ("bu", "BIGINT UNSIGNED", Value::BigUnsigned(Some(u64::MAX))),
        ("f", "FLOAT", Value::Float(Some(1.1))),
        ("d", "DOUBLE", Value::Double(Some(-2.5e-300))),
        ("s", "VARCHAR(100)", Value::String(Some("it's \\ \"q\" 100% héllo 😀 ?".into()))),
        ("c", "CHAR(1)", Value::Char(Some('é'))),
        (
            "e",
            "ENUM('happy','sad')",
            Value::Enum(sea_query::OptionEnum::Some(Box::new(Enum { type_name: "mood".into(), value: "sad".into() }))),
        ),
        ("by", "BLOB", Value::Bytes(Some(vec![0, 0xff, b'\'', b'\\', b'?']))),
        ("j", "JSON", Value::Json(Some(Box::new(serde_json::json!({"k": [1, "two", null], "q": "it's"}))))),
        ("cd", "DATE", Value::ChronoDate(Some(date))),
        ("ct", "TIME(6)", Value::ChronoTime(Some(NaiveTime::from_hms_micro_opt(13, 14, 15, 16).unwrap()))),
        ("cdt", "DATETIME(6)", Value::ChronoDateTime(Some(dt))),
        ("cutc", "DATETIME(6)", Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&dt)))),
        ("clocal", "DATETIME(6)", Value::ChronoDateTimeLocal(Some(plus2.with_timezone(&chrono::Local)))),
        ("ctz", "DATETIME(6)", Value::ChronoDateTimeWithTimeZone(Some(plus2))),
        ("td", "DATE", Value::TimeDate(Some(tdate))),
        ("tt", "TIME(6)", Value::TimeTime(Some(ttime))),
        ("tdt", "DATETIME(6)", Value::TimeDateTime(Some(tdt))),
        ("ttz", "DATETIME(6)", Value::TimeDateTimeWithTimeZone(Some(todt))),
        ("uu", "BINARY(16)", Value::Uuid(Some(uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210)))),
        ("dec", "DECIMAL(30,10)", Value::Decimal(Some("-12345678901234567890.0123456789".parse().unwrap()))),
    ]
}

/// The stored cell, decoded as the Rust type the variant holds, equals the value sent.
fn check_cell(row: &Row, name: &str, sent: &Value) {
    let ok = match sent {
        Value::Bool(v) => row.get::<Option<bool>, _>(name).unwrap() == *v,
        Value::TinyInt(v) => row.get::<Option<i8>, _>(name).unwrap() == *v,
        Value::SmallInt(v) => row.get::<Option<i16>, _>(name).unwrap() == *v,
        Value::Int(v) => row.get::<Option<i32>, _>(name).unwrap() == *v,
        Value::BigInt(v) => row.get::<Option<i64>, _>(name).unwrap() == *v,
        Value::TinyUnsigned(v) => row.get::<Option<u8>, _>(name).unwrap() == *v,
        Value::SmallUnsigned(v) => row.get::<Option<u16>, _>(name).unwrap() == *v,
        Value::Unsigned(v) => row.get::<Option<u32>, _>(name).unwrap() == *v,
        Value::BigUnsigned(v) => row.get::<Option<u64>, _>(name).unwrap() == *v,
        Value::Float(v) => row.get::<Option<f32>, _>(name).unwrap() == *v,
        Value::Double(v) => row.get::<Option<f64>, _>(name).unwrap() == *v,
        Value::String(v) => row.get::<Option<String>, _>(name).unwrap() == *v,
        Value::Char(v) => row.get::<Option<String>, _>(name).unwrap() == v.map(String::from),
        Value::Enum(sea_query::OptionEnum::Some(e)) => row.get::<String, _>(name).unwrap() == e.value,
        Value::Enum(sea_query::OptionEnum::None(_)) => row.get::<Option<String>, _>(name).unwrap().is_none(),
        Value::Bytes(v) => row.get::<Option<Vec<u8>>, _>(name).unwrap() == *v,
        Value::Json(v) => row.get::<Option<serde_json::Value>, _>(name).unwrap() == v.as_deref().cloned(),
        Value::ChronoDate(v) => row.get::<Option<NaiveDate>, _>(name).unwrap() == *v,
        Value::ChronoTime(v) => row.get::<Option<NaiveTime>, _>(name).unwrap() == *v,
        Value::ChronoDateTime(v) => row.get::<Option<NaiveDateTime>, _>(name).unwrap() == *v,
        Value::ChronoDateTimeUtc(v) => row.get::<Option<DateTime<Utc>>, _>(name).unwrap() == *v,
        Value::ChronoDateTimeLocal(v) => row.get::<Option<DateTime<Utc>>, _>(name).unwrap() == v.map(|t| t.to_utc()),
        Value::ChronoDateTimeWithTimeZone(v) => {
            row.get::<Option<DateTime<Utc>>, _>(name).unwrap() == v.map(|t| t.to_utc())
        }
        Value::TimeDate(v) => row.get::<Option<time::Date>, _>(name).unwrap() == *v,
        Value::TimeTime(v) => row.get::<Option<time::Time>, _>(name).unwrap() == *v,
        Value::TimeDateTime(v) => row.get::<Option<time::PrimitiveDateTime>, _>(name).unwrap() == *v,
        // OffsetDateTime equality compares instants; it reads back as UTC.
        Value::TimeDateTimeWithTimeZone(v) => row.get::<Option<time::OffsetDateTime>, _>(name).unwrap() == *v,
        Value::Uuid(v) => row.get::<Option<uuid::Uuid>, _>(name).unwrap() == *v,
        Value::Decimal(v) => row.get::<Option<Decimal>, _>(name).unwrap() == *v,
        other => panic!("no check for {other:?}"),
    };
    assert!(ok, "column {name}: sent {sent:?}, stored {:?}", row.get::<amysql::Value, _>(name));
}

#[tokio::test]
async fn every_value_variant_round_trips() {
    let vars = variants();
    for cache in CACHES {
        let mut c = conn(cache).await;
        let t = unique_name("sq_values");
        let cols = vars.iter().map(|(n, ty, _)| format!("`{n}` {ty} NULL")).collect::<Vec<_>>().join(", ");
        c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, {cols})")).await.unwrap();
        let names: Vec<&str> = vars.iter().map(|(n, _, _)| *n).collect();
        let values_row = vars.iter().map(|(_, _, v)| v.clone().into());
        let nulls_row = vars.iter().map(|(_, _, v)| v.as_null().into());
        let (sql, values) = Query::insert()
            .into_table(t.clone())
            .columns(std::iter::once("id").chain(names.iter().copied()))
            .values_panic(std::iter::once(1.into()).chain(values_row))
            .values_panic(std::iter::once(2.into()).chain(nulls_row))
            .build_amysql();
        let r = query_with(&sql, &values).execute(&mut c).await.unwrap();
        assert_eq!((r.rows_affected, r.warnings), (2, 0), "cache {cache}");

        // Read back, selected by every value as a condition too (each compares equal to
        // what it stored: the same conversion on the way in).
        let mut select = Query::select();
        select.columns(names.iter().copied()).from(t.clone());
        for (n, _, v) in &vars {
            if !matches!(v, Value::Json(_) | Value::Float(_)) {
                select.and_where(Expr::col(*n).eq(v.clone()));
            }
        }
        let (sql, values) = select.build_amysql();
        let rows = query_with(&sql, &values).fetch_all(&mut c).await.unwrap();
        assert_eq!(rows.len(), 1, "cache {cache}: the row of values matched its own values");
        for (n, _, v) in &vars {
            check_cell(&rows[0], n, v);
        }
        let (sql, values) = Query::select()
            .columns(names.iter().copied())
            .from(t.clone())
            .and_where(Expr::col("id").eq(2))
            .build_amysql();
        let row = query_with(&sql, &values).fetch_one(&mut c).await.unwrap();
        assert!(row.values().iter().all(|v| *v == amysql::Value::Null), "cache {cache}: {row:?}");
        for (n, _, v) in &vars {
            check_cell(&row, n, &v.as_null());
        }

        // Through a cursor and executemany as well: the same parameter set.
        let (sql, _) = Query::insert()
            .into_table(t.clone())
            .columns(["id", "s", "uu"])
            .values_panic([0.into(), "".into(), Value::Uuid(None).into()])
            .build_amysql();
        let rows: Vec<sea_query::Values> = (10..13)
            .map(|i| {
                sea_query::Values(vec![
                    Value::Int(Some(i)),
                    Value::String(Some(format!("row {i}"))),
                    Value::Uuid(Some(uuid::Uuid::from_u128(i as u128))),
                ])
            })
            .collect();
        let mut cur = c.cursor();
        assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), 3);
        drop(cur);
        let (sql, values) =
            Query::select().column("uu").from(t.clone()).and_where(Expr::col("s").eq("row 11")).build_amysql();
        let u: uuid::Uuid = query_scalar_with(&sql, &values).fetch_one(&mut c).await.unwrap();
        assert_eq!(u, uuid::Uuid::from_u128(11));
    }
}

#[tokio::test]
async fn an_unmapped_variant_is_an_error_and_the_connection_stays_usable() {
    for cache in CACHES {
        let mut c = conn(cache).await;
        let secret: sea_query::value::prelude::IpNetwork = "10.1.2.3/32".parse().unwrap();
        for v in [Value::IpNetwork(Some(secret)), Value::IpNetwork(None)] {
            let (sql, values) = Query::select().expr(Expr::val(1)).and_where(Expr::val(v).is_not_null()).build_amysql();
            let err = query_with(&sql, &values).fetch_all(&mut c).await.unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, Error::Encode(_)), "cache {cache}: {err:?}");
            assert!(text.contains("IpNetwork") && text.contains("no amysql mapping"), "{text}");
            assert!(!text.contains("10.1.2.3"), "the value stays out of the message: {text}");
        }
        let one: i64 = amysql::query_scalar("SELECT 1").fetch_one(&mut c).await.unwrap();
        assert_eq!(one, 1);
    }
}
