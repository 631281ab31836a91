//! `uuid` and `time` features against the real server, on both paths: text (`%s` literals,
//! text rows) and prepared (`stmt_cache_size(8)`: binary parameters, binary rows). Every
//! value comes back equal through `SELECT %s`, through the server's own type
//! (`CAST(%s AS ...)`) and through table columns; both paths store and read the same.

use std::fmt::Debug;

use amysql::value::ZeroDateAsNone;
use amysql::{query, query_scalar, ConnectOptions, Connection, FromSql, ToSql};
use amysql_tests::*;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use uuid::Uuid;

/// Text path (no statement cache) and prepared path.
const PATHS: [(&str, usize); 2] = [("text", 0), ("prepared", 8)];

async fn conn(cache: usize) -> Connection {
    let o: ConnectOptions = server().url().parse().unwrap();
    // OffsetDateTime is read and written as UTC: make the session agree for TIMESTAMP.
    amysql::connect(o.stmt_cache_size(cache).init_command("SET time_zone = '+00:00'")).await.expect("connect")
}

/// `sql` with `v` bound to its `%s`, read back as `T`; checks which protocol answered.
async fn select_as<T: ToSql + FromSql + Send + Sync>(c: &mut Connection, cache: usize, sql: &str, v: &T) -> T {
    let row = query(sql).bind(v).fetch_one(&mut *c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(row.columns().is_binary(), cache > 0, "{sql}: prepared only with a cache");
    row.get::<T, _>(0).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `SELECT %s` and `SELECT CAST(%s AS sql_type)` give every value back, on both paths.
async fn check_cast<T: ToSql + FromSql + PartialEq + Debug + Send + Sync>(sql_type: &str, values: &[T]) {
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        for v in values {
            assert_eq!(&select_as(&mut c, cache, "SELECT %s", v).await, v, "{path}");
            let cast = format!("SELECT CAST(%s AS {sql_type})");
            assert_eq!(&select_as(&mut c, cache, &cast, v).await, v, "{path}: {cast}");
        }
    }
}

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

fn datetime(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, us: u32) -> PrimitiveDateTime {
    PrimitiveDateTime::new(date(y, mo, d), Time::from_hms_micro(h, mi, s, us).unwrap())
}

const U: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";

fn uuids() -> Vec<Uuid> {
    vec![U.parse().unwrap(), Uuid::nil(), Uuid::max(), Uuid::from_bytes(*b"\0'\\\"%s\n\r\x1a`;--\xff\x00z")]
}

#[tokio::test]
async fn uuid_round_trips_as_bytes_and_as_text() {
    check_cast("BINARY(16)", &uuids()).await;
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        for u in uuids() {
            // The 16 bytes are sent in order (big-endian fields): HEX shows the simple form.
            let hex: String = query_scalar("SELECT HEX(%s)").bind(u).fetch_one(&mut c).await.unwrap();
            assert_eq!(hex, u.simple().to_string().to_uppercase(), "{path}");
            // Text forms, for CHAR columns, decode back too.
            let h = select_as(&mut c, cache, "SELECT CAST(%s AS CHAR(36))", &u.hyphenated()).await;
            assert_eq!(h, u.hyphenated(), "{path}");
            let s: Uuid = query_scalar("SELECT %s").bind(u.simple()).fetch_one(&mut c).await.unwrap();
            assert_eq!(s, u, "{path}");
            let upper: Uuid = query_scalar("SELECT UPPER(%s)").bind(u.hyphenated()).fetch_one(&mut c).await.unwrap();
            assert_eq!(upper, u, "{path}");
        }
        // The server's own generator's text.
        let generated: Uuid = query_scalar("SELECT UUID()").fetch_one(&mut c).await.unwrap();
        assert_eq!(generated.get_version_num(), 1, "{path}: UUID() is a version 1 UUID");
        let none: Option<Uuid> = query_scalar("SELECT %s").bind(None::<Uuid>).fetch_one(&mut c).await.unwrap();
        assert_eq!(none, None);
        let e = query_scalar::<Uuid>("SELECT 'not a uuid'").fetch_one(&mut c).await.unwrap_err();
        assert!(e.to_string().contains("into Uuid: invalid UUID \"not a uuid\""), "{path}: {e}");
        let e = query_scalar::<Uuid>("SELECT 42").fetch_one(&mut c).await.unwrap_err();
        assert!(e.to_string().contains("invalid UUID \"42\""), "{path}: {e}");
    }
}

#[tokio::test]
async fn uuid_columns_binary16_char36_char32_and_mariadb_uuid() {
    let mut setup = conn(0).await;
    let t = unique_name("uuid_cols");
    setup
        .query_drop(&format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, b BINARY(16), c CHAR(36), c32 CHAR(32), m UUID, n BINARY(16) NULL)"
        ))
        .await
        .unwrap();
    let all = uuids();
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        for (i, u) in all.iter().enumerate() {
            let id = i + 100 * cache;
            query(&format!("INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s)"))
                .bind(id)
                .bind(u)
                .bind(u.hyphenated())
                .bind(u.simple())
                .bind(u.hyphenated())
                .bind(None::<Uuid>)
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        for (i, u) in all.iter().enumerate() {
            let id = i + 100 * cache;
            // Found by the bytes in BINARY(16) and by the text in CHAR(36) (the latest row: both
            // paths insert the same values).
            let by_b: i64 =
                query_scalar(&format!("SELECT MAX(id) FROM {t} WHERE b = %s")).bind(u).fetch_one(&mut c).await.unwrap();
            let by_c: i64 = query_scalar(&format!("SELECT MAX(id) FROM {t} WHERE c = %s"))
                .bind(u.hyphenated())
                .fetch_one(&mut c)
                .await
                .unwrap();
            assert_eq!((by_b, by_c), (id as i64, id as i64), "{path}");
        }
    }
    // Every row reads back the same through either path, from every column kind.
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        let rows = query(&format!("SELECT b, c, c32, m, n FROM {t} ORDER BY id")).fetch_all(&mut c).await.unwrap();
        assert_eq!(rows.len(), 2 * all.len());
        for (row, u) in rows.iter().zip(all.iter().chain(all.iter())) {
            for col in 0..4 {
                assert_eq!(row.get::<Uuid, _>(col).unwrap(), *u, "{path}: column {col}");
            }
            assert_eq!(row.get::<Option<Uuid>, _>(4).unwrap(), None);
            assert_eq!(row.get::<String, _>(3).unwrap(), u.hyphenated().to_string(), "{path}: MariaDB's UUID text");
        }
    }
}

#[tokio::test]
async fn time_values_at_their_extremes() {
    check_cast(
        "DATETIME(6)",
        &[
            datetime(9999, 12, 31, 23, 59, 59, 999_999),
            datetime(1000, 1, 1, 0, 0, 0, 0),
            datetime(2024, 2, 29, 12, 0, 0, 1),
            datetime(1970, 1, 1, 0, 0, 0, 500_000),
        ],
    )
    .await;
    check_cast("DATE", &[date(9999, 12, 31), date(1000, 1, 1), date(2024, 2, 29)]).await;
    check_cast(
        "TIME(6)",
        &[
            Time::MIDNIGHT,
            Time::from_hms_micro(23, 59, 59, 999_999).unwrap(),
            Time::from_hms_micro(0, 0, 0, 1).unwrap(),
        ],
    )
    .await;
    let limit = Duration::seconds(838 * 3600 + 59 * 60 + 59) + Duration::microseconds(999_999);
    check_cast(
        "TIME(6)",
        &[
            -limit,
            limit,
            Duration::ZERO,
            Duration::microseconds(-1),
            Duration::hours(25) + Duration::minutes(1),
            -(Duration::hours(100) + Duration::milliseconds(250)),
        ],
    )
    .await;
    let utc = |dt: PrimitiveDateTime| dt.assume_utc();
    check_cast(
        "DATETIME(6)",
        &[utc(datetime(2024, 6, 1, 12, 30, 0, 123_456)), utc(datetime(9999, 12, 31, 23, 59, 59, 999_999))],
    )
    .await;
}

#[tokio::test]
async fn offset_datetimes_are_stored_as_utc() {
    let plus2 = UtcOffset::from_hms(2, 0, 0).unwrap();
    let local = datetime(2024, 1, 1, 1, 30, 0, 7).assume_offset(plus2);
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        let text: String = query_scalar("SELECT CAST(%s AS CHAR)").bind(local).fetch_one(&mut c).await.unwrap();
        assert_eq!(text, "2023-12-31 23:30:00.000007", "{path}: sent as its UTC wall clock");
        let back: OffsetDateTime =
            query_scalar("SELECT CAST(%s AS DATETIME(6))").bind(local).fetch_one(&mut c).await.unwrap();
        assert_eq!(back, local, "{path}: the same instant");
        assert_eq!(back.offset(), UtcOffset::UTC, "{path}: read as UTC");
        // A TIMESTAMP in a +00:00 session: UNIX_TIMESTAMP agrees with the instant.
        let epoch: i64 =
            query_scalar("SELECT UNIX_TIMESTAMP(CAST(%s AS DATETIME))").bind(local).fetch_one(&mut c).await.unwrap();
        assert_eq!(epoch, local.unix_timestamp(), "{path}");
    }
}

#[tokio::test]
async fn time_columns_store_and_read_the_same_on_both_paths() {
    let mut setup = conn(0).await;
    let t = unique_name("time_cols");
    setup
        .query_drop(&format!(
            "CREATE TABLE {t} (id INT PRIMARY KEY, d DATE, dt DATETIME(6), dt0 DATETIME, ts TIMESTAMP(6) NULL, \
             tm TIME(6), iv TIME(6), tm3 TIME(3))"
        ))
        .await
        .unwrap();
    let rows = [
        (
            date(2024, 2, 29),
            datetime(2024, 2, 29, 23, 59, 59, 999_999),
            Time::from_hms_micro(13, 14, 15, 16).unwrap(),
            -Duration::hours(838),
        ),
        (date(1000, 1, 1), datetime(1970, 1, 1, 0, 0, 1, 1), Time::MIDNIGHT, Duration::microseconds(1)),
    ];
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        for (i, (d, dt, tm, iv)) in rows.iter().enumerate() {
            query(&format!("INSERT INTO {t} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"))
                .bind(i + 10 * cache)
                .bind(d)
                .bind(dt)
                .bind(dt)
                .bind(dt.assume_utc())
                .bind(tm)
                .bind(iv)
                .bind(Time::from_hms_micro(1, 2, 3, 456_789).unwrap())
                .execute(&mut c)
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
    type Cells = (Date, PrimitiveDateTime, PrimitiveDateTime, OffsetDateTime, Time, Duration, Time, PrimitiveDateTime);
    let sql = format!("SELECT d, dt, dt0, ts, tm, iv, tm3, d FROM {t} ORDER BY id");
    let mut seen = Vec::new();
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        let got: Vec<Cells> = amysql::query_as(&sql).fetch_all(&mut c).await.unwrap();
        assert_eq!(got.len(), 4, "{path}");
        for (g, (d, dt, tm, iv)) in got.iter().zip(rows.iter().chain(rows.iter())) {
            assert_eq!((g.0, g.1, g.4, g.5), (*d, *dt, *tm, *iv), "{path}");
            // DATETIME without a fraction drops the microseconds (MariaDB truncates them).
            assert_eq!(g.2, dt.replace_microsecond(0).unwrap(), "{path}");
            assert_eq!(g.3, dt.assume_utc(), "{path}");
            // TIME(3) keeps milliseconds; a DATE reads as midnight.
            assert_eq!(g.6, Time::from_hms_milli(1, 2, 3, 456).unwrap(), "{path}");
            assert_eq!(g.7, PrimitiveDateTime::new(*d, Time::MIDNIGHT), "{path}");
        }
        seen.push(got);
    }
    assert_eq!(seen[0], seen[1], "text and binary rows decode alike");
}

#[tokio::test]
async fn zero_dates_are_errors_unless_opted_in() {
    for (path, cache) in PATHS {
        let o: ConnectOptions = server().url().parse().unwrap();
        let mut c = amysql::connect(o.stmt_cache_size(cache).sql_mode("")).await.unwrap();
        let sql =
            "SELECT CAST('0000-00-00' AS DATE), CAST('0000-00-00 00:00:00' AS DATETIME(6)), CAST('2024-00-10' AS DATE)";
        let row = query(sql).fetch_one(&mut c).await.unwrap();
        assert_eq!(row.columns().is_binary(), cache > 0);
        let e = row.get::<Date, _>(0).unwrap_err();
        assert!(e.to_string().contains("zero date"), "{path}: {e}");
        let e = row.get::<Option<PrimitiveDateTime>, _>(1).unwrap_err();
        assert!(e.to_string().contains("zero date"), "{path}: {e}");
        assert!(row.get::<OffsetDateTime, _>(1).is_err(), "{path}");
        assert_eq!(row.get::<ZeroDateAsNone<Date>, _>(0).unwrap().0, None, "{path}");
        assert_eq!(row.get::<ZeroDateAsNone<PrimitiveDateTime>, _>(1).unwrap().0, None, "{path}");
        let e = row.get::<Date, _>(2).unwrap_err();
        assert!(e.to_string().contains("not a calendar date"), "{path}: {e}");
    }
}

#[tokio::test]
async fn out_of_range_values_are_refused_before_sending() {
    for (path, cache) in PATHS {
        let mut c = conn(cache).await;
        let e = query("SELECT %s").bind(Duration::hours(839)).fetch_one(&mut c).await.unwrap_err();
        assert!(e.to_string().contains("outside MySQL TIME"), "{path}: {e}");
        let e = query("SELECT %s").bind(date(-1, 1, 1)).fetch_one(&mut c).await.unwrap_err();
        assert!(e.to_string().contains("years 0000..=9999"), "{path}: {e}");
        // The connection is still usable.
        let one: i64 = query_scalar("SELECT 1").fetch_one(&mut c).await.unwrap();
        assert_eq!(one, 1);
    }
}

async fn stmt_prepares(c: &mut Connection) -> u64 {
    let mut cur = c.cursor();
    cur.execute("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'", ()).await.unwrap();
    cur.fetchone_as::<(String, u64)>().await.unwrap().unwrap().1
}

/// executemany's MariaDB bulk path sends these types as binary parameters; the rows
/// stored are the ones the text path stores.
#[tokio::test]
async fn executemany_bulk_and_text_store_the_same() {
    type Params = (Uuid, uuid::fmt::Hyphenated, Date, PrimitiveDateTime, OffsetDateTime, Time, Duration);
    let rows: Vec<Params> = uuids()
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let i = i as u8;
            let dt = datetime(2000 + i32::from(i), 1 + i, 2, 3, 4, 5, 6 * u32::from(i));
            (u, u.hyphenated(), dt.date(), dt, dt.assume_utc(), dt.time(), -Duration::hours(i64::from(i) * 200))
        })
        .collect();
    let mut c = conn(0).await;
    let cols = "b BINARY(16), c CHAR(36), d DATE, dt DATETIME(6), ts DATETIME(6), tm TIME(6), iv TIME(6)";
    for bulk in [true, false] {
        let t = unique_name("uuid_time_bulk");
        c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY AUTO_INCREMENT, {cols})")).await.unwrap();
        let before = stmt_prepares(&mut c).await;
        let mut cur = c.cursor();
        cur.set_bulk(bulk);
        let sql = format!("INSERT INTO {t} (b, c, d, dt, ts, tm, iv) VALUES (%s, %s, %s, %s, %s, %s, %s)");
        assert_eq!(cur.executemany(&sql, &rows).await.unwrap(), rows.len() as u64);
        assert_eq!(stmt_prepares(&mut c).await - before, u64::from(bulk), "bulk path prepares once, text never");
        let got: Vec<Params> = amysql::query_as(&format!("SELECT b, c, d, dt, ts, tm, iv FROM {t} ORDER BY id"))
            .fetch_all(&mut c)
            .await
            .unwrap();
        assert_eq!(got, rows, "bulk: {bulk}");
    }
}
