use ::sea_query::{Enum, Expr, ExprTrait, OptionEnum, Query, Value, Values};
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};

use super::SeaQueryExt;
use crate::value::{escape_value, format_query_string, FormatContext, ToSql};

fn text(v: &Value) -> String {
    escape_value(v, &FormatContext::default()).unwrap()
}

/// The binary form of `v`, and that of the amysql type it should map to: equal bytes
/// and wire type.
fn same_binary(v: &Value, expected: &dyn ToSql) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let ta = v.write_binary(&mut a).unwrap();
    let tb = expected.write_binary(&mut b).unwrap();
    assert_eq!((ta, a), (tb, b), "{v:?}");
}

#[test]
fn scalars_write_the_literal_of_their_rust_type() {
    assert_eq!(text(&Value::Bool(Some(true))), "1");
    assert_eq!(text(&Value::TinyInt(Some(-8))), "-8");
    assert_eq!(text(&Value::SmallInt(Some(-300))), "-300");
    assert_eq!(text(&Value::Int(Some(i32::MIN))), "-2147483648");
    assert_eq!(text(&Value::BigInt(Some(i64::MAX))), "9223372036854775807");
    assert_eq!(text(&Value::TinyUnsigned(Some(255))), "255");
    assert_eq!(text(&Value::SmallUnsigned(Some(65535))), "65535");
    assert_eq!(text(&Value::Unsigned(Some(u32::MAX))), "4294967295");
    assert_eq!(text(&Value::BigUnsigned(Some(u64::MAX))), "18446744073709551615");
    assert_eq!(text(&Value::Float(Some(1.5))), "1.5e0");
    assert_eq!(text(&Value::Double(Some(-0.25))), "-0.25e0");
    assert_eq!(text(&Value::String(Some("it's".into()))), r"'it\'s'");
    assert_eq!(text(&Value::Char(Some('x'))), "'x'");
    assert_eq!(text(&Value::Bytes(Some(vec![0, b'a']))), r"_binary'\0a'");
    let e = Enum { type_name: "mood".into(), value: "happy".into() };
    assert_eq!(text(&Value::Enum(OptionEnum::Some(Box::new(e)))), "'happy'");
}

#[test]
fn typed_values_write_the_literal_of_their_rust_type() {
    let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let dt = d.and_hms_micro_opt(23, 59, 58, 123_456).unwrap();
    assert_eq!(text(&Value::ChronoDate(Some(d))), "'2024-02-29'");
    assert_eq!(text(&Value::ChronoTime(Some(dt.time()))), "'23:59:58.123456'");
    assert_eq!(text(&Value::ChronoDateTime(Some(dt))), "'2024-02-29 23:59:58.123456'");
    assert_eq!(text(&Value::ChronoDateTimeUtc(Some(Utc.from_utc_datetime(&dt)))), "'2024-02-29 23:59:58.123456'");
    // An offset is converted to UTC, not dropped: 23:59 at +02:00 is 21:59 UTC.
    let plus2 = FixedOffset::east_opt(2 * 3600).unwrap().from_local_datetime(&dt).unwrap();
    assert_eq!(text(&Value::ChronoDateTimeWithTimeZone(Some(plus2))), "'2024-02-29 21:59:58.123456'");
    let local = plus2.with_timezone(&chrono::Local);
    assert_eq!(text(&Value::ChronoDateTimeLocal(Some(local))), "'2024-02-29 21:59:58.123456'");

    let date = time::Date::from_calendar_date(1999, time::Month::December, 31).unwrap();
    let tod = time::Time::from_hms_micro(1, 2, 3, 4).unwrap();
    assert_eq!(text(&Value::TimeDate(Some(date))), "'1999-12-31'");
    assert_eq!(text(&Value::TimeTime(Some(tod))), "'01:02:03.000004'");
    assert_eq!(
        text(&Value::TimeDateTime(Some(time::PrimitiveDateTime::new(date, tod)))),
        "'1999-12-31 01:02:03.000004'"
    );
    let odt = time::PrimitiveDateTime::new(date, tod).assume_offset(time::UtcOffset::from_hms(-1, 0, 0).unwrap());
    assert_eq!(text(&Value::TimeDateTimeWithTimeZone(Some(odt))), "'1999-12-31 02:02:03.000004'");

    let dec: rust_decimal::Decimal = "-12.340".parse().unwrap();
    assert_eq!(text(&Value::Decimal(Some(dec))), "-12.340");
    assert_eq!(text(&Value::Json(Some(Box::new(serde_json::json!({"a": [1, "x"]}))))), r#"'{\"a\":[1,\"x\"]}'"#);
    let u = uuid::Uuid::from_bytes([0x41; 16]);
    assert_eq!(text(&Value::Uuid(Some(u))), "_binary'AAAAAAAAAAAAAAAA'");
}

#[test]
fn every_null_is_null_on_both_paths() {
    let nulls = [
        Value::Bool(None),
        Value::TinyInt(None),
        Value::SmallInt(None),
        Value::Int(None),
        Value::BigInt(None),
        Value::TinyUnsigned(None),
        Value::SmallUnsigned(None),
        Value::Unsigned(None),
        Value::BigUnsigned(None),
        Value::Float(None),
        Value::Double(None),
        Value::String(None),
        Value::Char(None),
        Value::Bytes(None),
        Value::Enum(OptionEnum::None("mood".into())),
        Value::Json(None),
        Value::ChronoDate(None),
        Value::ChronoTime(None),
        Value::ChronoDateTime(None),
        Value::ChronoDateTimeUtc(None),
        Value::ChronoDateTimeLocal(None),
        Value::ChronoDateTimeWithTimeZone(None),
        Value::TimeDate(None),
        Value::TimeTime(None),
        Value::TimeDateTime(None),
        Value::TimeDateTimeWithTimeZone(None),
        Value::Uuid(None),
        Value::Decimal(None),
    ];
    for v in &nulls {
        assert_eq!(text(v), "NULL", "{v:?}");
        same_binary(v, &None::<i64>);
    }
}

#[test]
fn binary_forms_are_those_of_the_mapped_types() {
    same_binary(&Value::Bool(Some(true)), &true);
    same_binary(&Value::TinyInt(Some(-1)), &-1i8);
    same_binary(&Value::BigUnsigned(Some(u64::MAX)), &u64::MAX);
    same_binary(&Value::Float(Some(1.1)), &1.1f32);
    same_binary(&Value::String(Some("s".into())), &"s");
    same_binary(&Value::Bytes(Some(vec![1, 2])), &vec![1u8, 2]);
    let dt = NaiveDate::from_ymd_opt(2001, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap();
    same_binary(&Value::ChronoDateTime(Some(dt)), &dt);
    let plus1 = FixedOffset::east_opt(3600).unwrap().from_local_datetime(&dt).unwrap();
    same_binary(&Value::ChronoDateTimeWithTimeZone(Some(plus1)), &(dt - chrono::TimeDelta::hours(1)));
    let u = uuid::Uuid::from_bytes([7; 16]);
    same_binary(&Value::Uuid(Some(u)), &u);
}

#[test]
fn errors_of_the_mapped_types_are_kept() {
    // NaN has no MySQL form: the f64 impl's error, on both paths, and no panic.
    let v = Value::Double(Some(f64::NAN));
    assert!(escape_value(&v, &FormatContext::default()).is_err());
    assert!(v.write_binary(&mut Vec::new()).is_err());
}

#[test]
fn built_statements_format_with_their_values() {
    let (sql, values) = Query::select()
        .column("id")
        .from("t")
        .and_where(Expr::col("name").eq("o'k"))
        .and_where(Expr::col("n").is_in([1, 2]))
        .build_amysql();
    assert_eq!(sql, "SELECT `id` FROM `t` WHERE `name` = ? AND `n` IN (?, ?)");
    let out = format_query_string(&sql, &values, &FormatContext::default()).unwrap();
    assert_eq!(out, r"SELECT `id` FROM `t` WHERE `name` = 'o\'k' AND `n` IN (1, 2)");
}

#[test]
fn a_statement_without_values_is_sent_verbatim() {
    // `%` in sea-query output is literal SQL, never a placeholder.
    let (sql, values) = Query::select().expr(Expr::cust("DATE_FORMAT(NOW(), '%Y')")).build_amysql();
    assert!(values.0.is_empty());
    assert_eq!(format_query_string(&sql, &values, &FormatContext::default()).unwrap(), sql);
    // ... and with values too, since `?` statements take `%` literally.
    let (sql, values) = Query::select().expr(Expr::cust("DATE_FORMAT(NOW(), '%Y')")).expr(Expr::val(5)).build_amysql();
    assert_eq!(
        format_query_string(&sql, &values, &FormatContext::default()).unwrap(),
        "SELECT DATE_FORMAT(NOW(), '%Y'), 5"
    );
}

#[test]
fn values_count_must_match_placeholders() {
    let values = Values(vec![Value::Int(Some(1))]);
    let err = format_query_string("SELECT ?, ?", &values, &FormatContext::default()).unwrap_err();
    assert!(err.to_string().contains("not enough parameters"), "{err}");
}
