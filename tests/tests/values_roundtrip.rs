//! Every value type written with `%s` comes back equal (issue #3's round-trip table), at
//! its extremes; escaping follows the session's NO_BACKSLASH_ESCAPES however it was set
//! (PyMySQL's escape tests); and random strings and bytes survive exactly, alone and
//! inside IN lists, in both escaping modes (property test).

use std::cell::RefCell;
use std::fmt::Debug;
use std::str::FromStr;

use amysql::{Connection, Cursor, Date, DateTime, FromSql, Time, ToSql, Value};
use amysql_tests::*;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

/// `SELECT <template with %s>` with `v`, read back as `T` through `fetchone`.
async fn select_as<T: ToSql + FromSql + Sync>(cur: &mut Cursor<'_>, template: &str, v: &T) -> T {
    cur.execute(template, (v,)).await.unwrap_or_else(|e| panic!("{template}: {e}"));
    let row = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(row.len(), 1, "the server saw one value");
    row.get::<T, _>(0).unwrap_or_else(|e| panic!("{template}: {e}"))
}

async fn check<T: ToSql + FromSql + PartialEq + Debug + Sync>(cur: &mut Cursor<'_>, values: &[T]) {
    for v in values {
        assert_eq!(&select_as(cur, "SELECT %s", v).await, v);
    }
}

/// Also through the server's own type: the literal must parse as that type.
async fn check_cast<T: ToSql + FromSql + PartialEq + Debug + Sync>(cur: &mut Cursor<'_>, sql_type: &str, values: &[T]) {
    check(cur, values).await;
    for v in values {
        assert_eq!(&select_as(cur, &format!("SELECT CAST(%s AS {sql_type})"), v).await, v, "as {sql_type}");
    }
}

#[tokio::test]
async fn integers_and_floats_at_their_extremes() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    check(&mut cur, &[i8::MIN, i8::MAX, 0]).await;
    check(&mut cur, &[i16::MIN, i16::MAX]).await;
    check(&mut cur, &[i32::MIN, i32::MAX]).await;
    check_cast(&mut cur, "SIGNED", &[i64::MIN, i64::MAX, -1, 0]).await;
    check(&mut cur, &[u8::MAX, 0]).await;
    check(&mut cur, &[u16::MAX]).await;
    check(&mut cur, &[u32::MAX]).await;
    check_cast(&mut cur, "UNSIGNED", &[u64::MAX, 0]).await;
    check(&mut cur, &[true, false]).await;
    check(
        &mut cur,
        &[
            1e308,
            -1e308,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            0.1,
            -2.5,
            123_456_789.123_456_79,
            5e-324,
            f64::MAX,
            f64::MIN,
        ],
    )
    .await;
    check(&mut cur, &[f32::MAX, f32::MIN, 1.1f32, -0.5f32]).await;
    // -0.0 is sent with its sign, but MariaDB prints every zero DOUBLE as `0`, so the
    // sign cannot come back; the value compares equal.
    assert_eq!(cur.mogrify("SELECT %s", (-0.0f64,)).unwrap(), "SELECT -0.0e0");
    check(&mut cur, &[-0.0f64]).await;
    check(&mut cur, &[Some(5i32), None]).await;
}

#[tokio::test]
async fn decimals_with_28_digits() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    let values: Vec<Decimal> = [
        "1234567890123456789.012345678",
        "-0.0000000000000000000000000001",
        "79228162514264337593543950335",
        "-79228162514264337593543950335",
        "0",
        "1.50",
    ]
    .iter()
    .map(|s| Decimal::from_str(s).unwrap())
    .collect();
    check(&mut cur, &values).await;
    // The server reads each literal as exactly that number. (Compared in SQL: a
    // DECIMAL(65,28) result has more digits than rust_decimal's 28.)
    for v in &values {
        cur.execute("SELECT %s = CAST(%s AS DECIMAL(65,28))", (v, v.to_string())).await.unwrap();
        assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap(), Some((1,)), "{v}");
    }
}

#[tokio::test]
async fn temporal_values_at_their_extremes() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    let dt = |y, mo, d, h, mi, s, us| DateTime::new(Date::new(y, mo, d).unwrap(), h, mi, s, us).unwrap();
    check_cast(
        &mut cur,
        "DATETIME(6)",
        &[dt(9999, 12, 31, 23, 59, 59, 999_999), dt(1000, 1, 1, 0, 0, 0, 0), dt(2024, 2, 29, 12, 0, 0, 1)],
    )
    .await;
    check(&mut cur, &[DateTime::default()]).await;
    check_cast(&mut cur, "DATE", &[Date::new(9999, 12, 31).unwrap(), Date::new(1000, 1, 1).unwrap()]).await;
    let time = |negative, hours, minutes, seconds, micros| Time { negative, hours, minutes, seconds, micros };
    check_cast(
        &mut cur,
        "TIME(6)",
        &[time(true, 838, 59, 59, 0), time(false, 838, 59, 59, 0), time(true, 0, 0, 0, 1), Time::default()],
    )
    .await;
    let naive: NaiveDateTime =
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap().and_hms_micro_opt(23, 59, 59, 999_999).unwrap();
    check_cast(&mut cur, "DATETIME(6)", &[naive]).await;
    check_cast(&mut cur, "DATE", &[NaiveDate::from_ymd_opt(1000, 1, 1).unwrap()]).await;
    let limit = TimeDelta::seconds(838 * 3600 + 59 * 60 + 59);
    check_cast(&mut cur, "TIME", &[-limit, limit, TimeDelta::zero()]).await;
}

#[tokio::test]
async fn text_bytes_and_json() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    let strings: Vec<String> =
        ["", "plain", "😀👍🏽 emoji", "quote ' and \" and \\ and %s %% %(x)s", "\0\n\r\x1a\t", "ünïcödé ✓ 中文"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    check(&mut cur, &strings).await;
    let every_byte: Vec<u8> = (0..4096).map(|i| (i % 256) as u8).collect();
    check(&mut cur, &[every_byte, Vec::new(), b"\xff\xfe'\\".to_vec()]).await;
    let json = serde_json::json!({"a": [1, 2.5, null], "s": "it's \"q\" \\ 😀"});
    check(&mut cur, &[json]).await;
    check(&mut cur, &[Value::Int(-3), Value::Text("t".into()), Value::Null]).await;
}

#[tokio::test]
async fn escape_follows_no_backslash_escapes() {
    let mut c = conn().await;
    assert_eq!(c.escape("foo'bar").unwrap(), r"'foo\'bar'");
    c.query_drop("SET sql_mode='NO_BACKSLASH_ESCAPES'").await.unwrap();
    assert_eq!(c.escape("foo'bar").unwrap(), "'foo''bar'");
    assert_eq!(c.cursor().mogrify("SELECT %s", (r"a\b'c",)).unwrap(), r"SELECT 'a\b''c'");
    check(&mut c.cursor(), &[r"back\slash 'quote' \' \\".to_string()]).await;
    c.query_drop("SET sql_mode=''").await.unwrap();
    assert_eq!(c.escape("foo'bar").unwrap(), r"'foo\'bar'");

    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    let mut by_option = amysql::connect(opts.clone().sql_mode("NO_BACKSLASH_ESCAPES")).await.unwrap();
    assert_eq!(by_option.escape("foo'bar").unwrap(), "'foo''bar'");
    let mut by_init = amysql::connect(opts.init_command("SET sql_mode='NO_BACKSLASH_ESCAPES'")).await.unwrap();
    assert_eq!(by_init.escape("foo'bar").unwrap(), "'foo''bar'");
    for conn in [&mut by_option, &mut by_init] {
        check(&mut conn.cursor(), &[r"\' OR 1=1 -- ".to_string()]).await;
    }
}

/// Runs `cases` random values through `SELECT %s`, `SELECT %s IN %s, LENGTH(%s)` on a
/// connection with the given sql_mode.
fn roundtrip_property<T>(strategy: impl Strategy<Value = T>, sql_mode: &str, byte_len: fn(&T) -> usize)
where
    T: ToSql + FromSql + Clone + PartialEq + Debug + Sync + Send + Default,
{
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    let conn = RefCell::new(rt.block_on(amysql::connect(opts.sql_mode(sql_mode))).unwrap());
    let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
    runner
        .run(&strategy, |v| {
            let mut c = conn.borrow_mut();
            rt.block_on(async {
                let mut cur = c.cursor();
                prop_assert_eq!(&select_as(&mut cur, "SELECT %s", &v).await, &v);
                cur.execute("SELECT %s IN %s, %s, LENGTH(%s)", (&v, vec![T::default(), v.clone()], &v, &v))
                    .await
                    .unwrap();
                let row = cur.fetchone().await.unwrap().unwrap();
                prop_assert_eq!(row.len(), 3);
                prop_assert_eq!(row.get::<i64, _>(0).unwrap(), 1);
                prop_assert_eq!(&row.get::<T, _>(1).unwrap(), &v);
                prop_assert_eq!(row.get::<usize, _>(2).unwrap(), byte_len(&v));
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn random_strings_survive_exactly() {
    for mode in ["", "NO_BACKSLASH_ESCAPES"] {
        // Any char, with the ones escaping must handle drawn often.
        let special = prop::sample::select(vec!['\'', '\\', '"', '\0', '\n', '\r', '\x1a', '%', '`']);
        let chars = proptest::collection::vec(prop_oneof![any::<char>(), special], 0..80);
        roundtrip_property(chars.prop_map(|c| c.into_iter().collect::<String>()), mode, String::len);
    }
}

#[test]
fn random_bytes_survive_exactly() {
    for mode in ["", "NO_BACKSLASH_ESCAPES"] {
        roundtrip_property(proptest::collection::vec(any::<u8>(), 0..600), mode, Vec::len);
    }
}
