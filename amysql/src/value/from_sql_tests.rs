//! Tests for `from_sql.rs`: realistic cell bytes in, typed values or full messages out.

use super::*;
use crate::protocol::constants::{column_flag, column_type as ty};
use crate::value::{Date, DateTime, Time};

fn col(t: u8) -> Column {
    Column::new("c", t, 63, 0)
}

fn get<T: FromSql>(raw: &[u8], t: u8) -> Result<T, DecodeError> {
    T::from_sql(Some(raw), &col(t))
}

fn reason<T: FromSql + fmt::Debug>(raw: &[u8], t: u8) -> String {
    get::<T>(raw, t).unwrap_err().reason().to_owned()
}

#[test]
fn integers_from_text() {
    assert_eq!(get::<i8>(b"-128", ty::TINY), Ok(-128));
    assert_eq!(get::<u8>(b"255", ty::TINY), Ok(255));
    assert_eq!(get::<i64>(b"-9223372036854775808", ty::LONGLONG), Ok(i64::MIN));
    assert_eq!(get::<u64>(b"18446744073709551615", ty::LONGLONG), Ok(u64::MAX));
    assert_eq!(get::<i32>(b"+7", ty::LONG), Ok(7));
    assert_eq!(get::<u32>(b"-0", ty::LONG), Ok(0));
    assert_eq!(get::<u16>(b"2024", ty::YEAR), Ok(2024));
    assert_eq!(get::<i32>(b"2024", ty::YEAR), Ok(2024));
    assert_eq!(get::<usize>(b"3", ty::LONG), Ok(3));
    assert_eq!(get::<isize>(b"-3", ty::LONG), Ok(-3));
}

#[test]
fn integers_out_of_range_and_garbage() {
    assert_eq!(reason::<u8>(b"300", ty::SHORT), "value 300 out of range");
    assert_eq!(reason::<u8>(b"-1", ty::TINY), "value -1 out of range");
    assert_eq!(reason::<i8>(b"128", ty::TINY), "value 128 out of range");
    assert_eq!(reason::<i64>(b"9223372036854775808", ty::LONGLONG), "value 9223372036854775808 out of range");
    assert_eq!(reason::<i64>(b"-9223372036854775809", ty::NEWDECIMAL), "value -9223372036854775809 out of range");
    assert_eq!(reason::<u64>(b"18446744073709551616", ty::NEWDECIMAL), "value 18446744073709551616 out of range");
    for bad in [&b""[..], b"-", b"+", b"1 ", b" 1", b"1e3", b"0x10", b"1.5", b"\xff", b"--1", b"1_000"] {
        assert_eq!(reason::<i64>(bad, ty::LONGLONG), format!("invalid integer \"{}\"", bad.escape_ascii()));
    }
}

#[test]
fn integers_from_decimal_and_bit() {
    assert_eq!(get::<i64>(b"123", ty::NEWDECIMAL), Ok(123));
    assert_eq!(get::<i64>(b"-5.00", ty::NEWDECIMAL), Ok(-5));
    assert_eq!(reason::<i64>(b"5.01", ty::NEWDECIMAL), "invalid integer \"5.01\"");
    assert_eq!(reason::<i64>(b"5.00", ty::DOUBLE), "invalid integer \"5.00\"");
    assert_eq!(get::<u64>(b"\x01\x00", ty::BIT), Ok(256));
    assert_eq!(get::<u64>(b"\xff\xff\xff\xff\xff\xff\xff\xff", ty::BIT), Ok(u64::MAX));
    assert_eq!(reason::<i64>(b"\xff\xff\xff\xff\xff\xff\xff\xff", ty::BIT), "value 18446744073709551615 out of range");
    assert_eq!(get::<u8>(b"\x05", ty::BIT), Ok(5));
    assert_eq!(get::<u8>(b"", ty::BIT), Ok(0));
    assert!(reason::<u64>(&[1; 9], ty::BIT).starts_with("invalid BIT value"));
}

#[test]
fn booleans() {
    assert_eq!(get::<bool>(b"1", ty::TINY), Ok(true));
    assert_eq!(get::<bool>(b"0", ty::TINY), Ok(false));
    assert_eq!(get::<bool>(b"\x01", ty::BIT), Ok(true));
    assert_eq!(get::<bool>(b"\x00", ty::BIT), Ok(false));
    assert_eq!(reason::<bool>(b"2", ty::TINY), "value 2 is not a boolean (0 or 1)");
    assert_eq!(reason::<bool>(b"yes", ty::VAR_STRING), "invalid boolean \"yes\"");
    assert_eq!(reason::<bool>(b"-1", ty::TINY), "invalid boolean \"-1\"");
}

#[test]
fn floats() {
    assert_eq!(get::<f64>(b"1.5", ty::DOUBLE), Ok(1.5));
    assert_eq!(get::<f64>(b"-1.7976931348623157e308", ty::DOUBLE), Ok(f64::MIN));
    assert_eq!(get::<f32>(b"1.1", ty::FLOAT), Ok(1.1));
    assert_eq!(get::<f64>(b"123.45", ty::NEWDECIMAL), Ok(123.45));
    assert_eq!(get::<f64>(b"7", ty::LONG), Ok(7.0));
    assert_eq!(reason::<f64>(b"1,5", ty::DOUBLE), "invalid number \"1,5\"");
    assert_eq!(reason::<f32>(b"", ty::FLOAT), "invalid number \"\"");
}

#[test]
fn strings_and_bytes() {
    assert_eq!(get::<String>("héllo".as_bytes(), ty::VAR_STRING).unwrap(), "héllo");
    // Binary-charset columns decode to String when the bytes are UTF-8.
    assert_eq!(get::<String>(b"abc", ty::BLOB).unwrap(), "abc");
    assert_eq!(get::<String>(b"small", ty::ENUM).unwrap(), "small");
    assert_eq!(get::<String>(b"a,b", ty::SET).unwrap(), "a,b");
    assert_eq!(reason::<String>(b"ab\xff", ty::BLOB), "invalid UTF-8 at byte 2 of \"ab\\xff\"");
    assert_eq!(get::<Vec<u8>>(b"\x00\xff", ty::BLOB).unwrap(), vec![0, 255]);
    assert_eq!(get::<Vec<u8>>(b"-42", ty::LONG).unwrap(), b"-42".to_vec());
}

#[test]
fn null_handling() {
    let c = col(ty::LONG);
    assert_eq!(i32::from_sql(None, &c).unwrap_err().reason(), "unexpected NULL");
    assert_eq!(String::from_sql(None, &c).unwrap_err(), DecodeError::unexpected_null());
    assert_eq!(bool::from_sql(None, &c).unwrap_err().reason(), "unexpected NULL");
    assert_eq!(Option::<i32>::from_sql(None, &c), Ok(None));
    assert_eq!(Option::<i32>::from_sql(Some(b"4"), &c), Ok(Some(4)));
    assert!(Option::<i32>::from_sql(Some(b"x"), &c).is_err());
}

#[test]
fn temporal_types() {
    assert_eq!(get::<Date>(b"2024-01-02", ty::DATE), Ok(Date { year: 2024, month: 1, day: 2 }));
    assert_eq!(get::<DateTime>(b"2024-01-02 03:04:05.123456", ty::DATETIME).map(|d| d.micros), Ok(123_456));
    assert_eq!(get::<Time>(b"-838:59:59.000000", ty::TIME).map(|t| t.hours), Ok(838));
    assert_eq!(reason::<Date>(b"2024-02", ty::DATE), "invalid DATE \"2024-02\"");
    assert_eq!(reason::<Time>(b"839:00:00", ty::TIME), "invalid TIME \"839:00:00\"");
    assert_eq!(get::<ZeroDateAsNone<Date>>(b"0000-00-00", ty::DATE), Ok(ZeroDateAsNone(None)));
    assert_eq!(get::<Date>(b"0000-00-00", ty::DATE).map(|d| d.is_zero()), Ok(true));
}

#[test]
fn decode_column_message_names_everything() {
    let age = Column::new("age", ty::TINY, 63, column_flag::UNSIGNED);
    let e = decode_column::<u8>(Some(b"300"), &age, 2).unwrap_err();
    assert!(matches!(e, Error::Decode(_)));
    assert_eq!(e.to_string(), "decode error: column 2 `age` (TINYINT) into u8: value 300 out of range");
    let name = Column::new("name", ty::VAR_STRING, 45, 0);
    let e = decode_column::<String>(None, &name, 0).unwrap_err();
    assert_eq!(e.to_string(), "decode error: column 0 `name` (VAR_STRING) into String: unexpected NULL");
    let blob = Column::new("b", ty::VAR_STRING, 63, 0);
    let e = decode_column::<Option<String>>(Some(b"\xfe"), &blob, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "decode error: column 1 `b` (VARBINARY) into Option<String>: invalid UTF-8 at byte 0 of \"\\xfe\""
    );
    assert_eq!(decode_column::<i64>(Some(b"-1"), &age, 0).unwrap(), -1);
}

#[test]
fn helpers() {
    assert_eq!(short_type_name("core::option::Option<alloc::string::String>"), "Option<String>");
    assert_eq!(short_type_name("(i32, alloc::vec::Vec<u8>)"), "(i32, Vec<u8>)");
    assert_eq!(short_type_name("u8"), "u8");
    let long = vec![b'a'; 100];
    assert_eq!(show_bytes(&long), format!("\"{}…\"", "a".repeat(40)));
    assert_eq!(parse_int(b"0"), Some(ParsedInt { negative: false, magnitude: Some(0) }));
    assert_eq!(parse_int(b"99999999999999999999").map(|p| p.magnitude), Some(None));
}
