//! Tests for `from_binary.rs`. The main property: a binary cell decodes, into every type,
//! exactly as the server's text for the same value decodes with `from_sql`, errors
//! included; and the binary cell renders as that text.

use std::fmt::Debug;

use proptest::prelude::*;

use super::*;
use crate::protocol::constants::{column_flag, column_type as ty};
use crate::value::{Value, ZeroDateAsNone};

fn col(t: u8) -> Column {
    Column::new("c", t, 63, 0)
}

fn unsigned(t: u8) -> Column {
    Column::new("c", t, 63, column_flag::UNSIGNED)
}

/// A FLOAT/DOUBLE column without a fixed scale, as the server describes plain ones.
fn float(t: u8) -> Column {
    col(t).with_decimals(39)
}

/// An UNSIGNED ZEROFILL column of display width `width`, decoded from a definition packet.
fn zerofill(t: u8, width: u8) -> Column {
    let mut p = b"\x03def\x00\x00\x00\x01c\x00\x0c\x3f\x00".to_vec();
    p.extend_from_slice(&[width, 0, 0, 0, t]);
    p.extend_from_slice(&(column_flag::UNSIGNED | column_flag::ZEROFILL).to_le_bytes());
    p.extend_from_slice(&[0, 0, 0]);
    Column::decode(&p).unwrap()
}

fn render(bin: &[u8], c: &Column) -> Result<String, DecodeError> {
    let mut buf = TextBuf::new();
    binary_to_text(bin, c, &mut buf).map(|t| t.escape_ascii().to_string())
}

/// `T` (and `Option<T>`, `ZeroDateAsNone<T>`) decode `bin` as `from_sql` decodes `text`.
fn same<T: FromSql + Debug>(bin: Option<&[u8]>, text: Option<&[u8]>, c: &Column) {
    fn one<T: FromSql + Debug>(bin: Option<&[u8]>, text: Option<&[u8]>, c: &Column) {
        let (b, t) = (format!("{:?}", T::from_binary(bin, c)), format!("{:?}", T::from_sql(text, c)));
        assert_eq!(b, t, "{} from {} cell {bin:?}", std::any::type_name::<T>(), c.type_name());
    }
    one::<T>(bin, text, c);
    one::<Option<T>>(bin, text, c);
    one::<ZeroDateAsNone<T>>(bin, text, c);
}

/// `T` decodes `bin` as the default (render, then `from_sql`) does: each fast path agrees
/// with the text path.
fn same_as_rendered<T: FromSql + Debug>(bin: Option<&[u8]>, _text: Option<&[u8]>, c: &Column) {
    fn one<T: FromSql + Debug>(bin: Option<&[u8]>, c: &Column) {
        if c.column_type() == ty::FLOAT && reads_stored_number::<T>() {
            // The documented exception: numbers get the FLOAT itself, the text 6 digits.
            return;
        }
        let (b, t) = (format!("{:?}", T::from_binary(bin, c)), format!("{:?}", via_text::<T>(bin, c)));
        assert_eq!(b, t, "{} from {} cell {bin:?}", std::any::type_name::<T>(), c.type_name());
    }
    one::<T>(bin, c);
    one::<Option<T>>(bin, c);
    one::<ZeroDateAsNone<T>>(bin, c);
}

macro_rules! for_all_types {
    ($f:ident($($arg:expr),*)) => {{
        $f::<bool>($($arg),*);
        $f::<i8>($($arg),*);
        $f::<i16>($($arg),*);
        $f::<i32>($($arg),*);
        $f::<i64>($($arg),*);
        $f::<isize>($($arg),*);
        $f::<u8>($($arg),*);
        $f::<u16>($($arg),*);
        $f::<u32>($($arg),*);
        $f::<u64>($($arg),*);
        $f::<usize>($($arg),*);
        $f::<f32>($($arg),*);
        $f::<f64>($($arg),*);
        $f::<String>($($arg),*);
        $f::<Vec<u8>>($($arg),*);
        $f::<Value>($($arg),*);
        $f::<Date>($($arg),*);
        $f::<DateTime>($($arg),*);
        $f::<Time>($($arg),*);
        #[cfg(feature = "chrono")]
        {
            $f::<chrono::NaiveDate>($($arg),*);
            $f::<chrono::NaiveTime>($($arg),*);
            $f::<chrono::NaiveDateTime>($($arg),*);
            $f::<chrono::DateTime<chrono::Utc>>($($arg),*);
            $f::<chrono::TimeDelta>($($arg),*);
        }
        #[cfg(feature = "time")]
        {
            $f::<::time::Date>($($arg),*);
            $f::<::time::Time>($($arg),*);
            $f::<::time::PrimitiveDateTime>($($arg),*);
            $f::<::time::OffsetDateTime>($($arg),*);
            $f::<::time::Duration>($($arg),*);
        }
        #[cfg(feature = "uuid")]
        {
            $f::<uuid::Uuid>($($arg),*);
            $f::<uuid::fmt::Hyphenated>($($arg),*);
        }
        #[cfg(feature = "rust_decimal")]
        $f::<rust_decimal::Decimal>($($arg),*);
        #[cfg(feature = "json")]
        {
            $f::<serde_json::Value>($($arg),*);
            $f::<crate::value::Json<Vec<i32>>>($($arg),*);
        }
    }};
}

/// `f32`, `f64` and `Value` (bare or wrapped), which read a FLOAT's stored number rather
/// than its 6-digit text.
fn reads_stored_number<T>() -> bool {
    let name = std::any::type_name::<T>();
    name.contains("f32") || name.contains("f64") || name.contains("dynamic::Value")
}

/// The binary cell renders as `text` (what the server sends over COM_QUERY), and every
/// type decodes both alike.
fn check(bin: &[u8], text: impl AsRef<[u8]>, c: &Column) {
    let text = text.as_ref();
    assert_eq!(render(bin, c), Ok(text.escape_ascii().to_string()), "{} cell {bin:?}", c.type_name());
    for_all_types!(same(Some(bin), Some(text), c));
}

#[test]
fn integers() {
    check(&[0x80], "-128", &col(ty::TINY));
    check(&[0xff], "255", &unsigned(ty::TINY));
    check(&[1], "1", &col(ty::TINY));
    check(&[0], "0", &col(ty::TINY));
    check(&i16::MIN.to_le_bytes(), "-32768", &col(ty::SHORT));
    check(&u16::MAX.to_le_bytes(), "65535", &unsigned(ty::SHORT));
    check(&300i16.to_le_bytes(), "300", &col(ty::SHORT));
    check(&(-8_388_608i32).to_le_bytes(), "-8388608", &col(ty::INT24));
    check(&16_777_215u32.to_le_bytes(), "16777215", &unsigned(ty::INT24));
    check(&i32::MIN.to_le_bytes(), "-2147483648", &col(ty::LONG));
    check(&u32::MAX.to_le_bytes(), "4294967295", &unsigned(ty::LONG));
    check(&i64::MIN.to_le_bytes(), "-9223372036854775808", &col(ty::LONGLONG));
    check(&i64::MAX.to_le_bytes(), "9223372036854775807", &col(ty::LONGLONG));
    check(&u64::MAX.to_le_bytes(), "18446744073709551615", &unsigned(ty::LONGLONG));
    check(&(-1i64).to_le_bytes(), "-1", &col(ty::LONGLONG));
}

#[test]
fn years_and_zerofill() {
    let year = Column::new("y", ty::YEAR, 63, column_flag::UNSIGNED | column_flag::ZEROFILL);
    check(&2024u16.to_le_bytes(), "2024", &year);
    check(&[0, 0], "0000", &year);
    check(&2155u16.to_le_bytes(), "2155", &col(ty::YEAR));
    check(&42u32.to_le_bytes(), "00042", &zerofill(ty::LONG, 5));
    check(&123_456u32.to_le_bytes(), "123456", &zerofill(ty::LONG, 5));
    check(&7u64.to_le_bytes(), "00000000000000000007", &zerofill(ty::LONGLONG, 20));
    check(&1.5f64.to_le_bytes(), "0001.5", &zerofill(ty::DOUBLE, 6).with_decimals(39));
}

#[test]
fn floats_shortest_form() {
    check(&1.1f32.to_le_bytes(), "1.1", &float(ty::FLOAT));
    check(&1.0f32.to_le_bytes(), "1", &float(ty::FLOAT));
    check(&(-0.5f32).to_le_bytes(), "-0.5", &float(ty::FLOAT));
    // Six significant digits, as the server prints a FLOAT (float_text); numbers read
    // the FLOAT itself.
    let max = f32::MAX.to_le_bytes();
    assert_eq!(render(&max, &float(ty::FLOAT)).unwrap(), "3.40282e38");
    assert_eq!(String::from_binary(Some(&max), &float(ty::FLOAT)).unwrap(), "3.40282e38");
    assert_eq!(f32::from_binary(Some(&max), &float(ty::FLOAT)), Ok(f32::MAX));
    assert_eq!(Value::from_binary(Some(&max), &float(ty::FLOAT)), Ok(Value::Float(f32::MAX)));
    check(&0.1f64.to_le_bytes(), "0.1", &float(ty::DOUBLE));
    check(&1e308f64.to_le_bytes(), "1e308", &float(ty::DOUBLE));
    check(&(-1.5f64).to_le_bytes(), "-1.5", &float(ty::DOUBLE));
    check(&(0.1f64 + 0.2).to_le_bytes(), "0.30000000000000004", &float(ty::DOUBLE));
    check(&100.0f64.to_le_bytes(), "100", &float(ty::DOUBLE));
    check(&f64::MIN_POSITIVE.to_le_bytes(), "2.2250738585072014e-308", &float(ty::DOUBLE));
    // MySQL's scale 31 means "not fixed" as MariaDB's 39 does.
    check(&0.25f64.to_le_bytes(), "0.25", &col(ty::DOUBLE).with_decimals(31));
}

#[test]
fn floats_read_as_text_show_the_servers_text() {
    // Issue 22: what COM_QUERY sends for the same values.
    let d = float(ty::DOUBLE);
    check(&1e-7f64.to_le_bytes(), "0.0000001", &d);
    check(&1e15f64.to_le_bytes(), "1e15", &d);
    check(&9007199254740992f64.to_le_bytes(), "9.007199254740992e15", &d);
    let f = float(ty::FLOAT);
    for (v, text) in [(12345.678f32, "12345.7"), (16777217.0, "16777200")] {
        let bin = v.to_le_bytes();
        assert_eq!(String::from_binary(Some(&bin), &f).unwrap(), text);
        assert_eq!(Vec::<u8>::from_binary(Some(&bin), &f).unwrap(), text.as_bytes());
        #[cfg(feature = "rust_decimal")]
        assert_eq!(rust_decimal::Decimal::from_binary(Some(&bin), &f).unwrap().to_string(), text);
        assert_eq!(f32::from_binary(Some(&bin), &f), Ok(v));
    }
}

#[test]
fn floats_with_a_fixed_scale() {
    // FLOAT(7,2) / DOUBLE(10,3): the text has exactly that many decimals.
    check(&1.1f32.to_le_bytes(), "1.10", &col(ty::FLOAT).with_decimals(2));
    check(&2.0f64.to_le_bytes(), "2.000", &col(ty::DOUBLE).with_decimals(3));
    // A hand-built column has scale 0: no decimals (round half to even, as dtoa does).
    assert_eq!(render(&(-12.5f64).to_le_bytes(), &col(ty::DOUBLE)).unwrap(), "-12");
    // f32/f64 read the stored number itself, which the text shows rounded.
    let c = col(ty::DOUBLE).with_decimals(1);
    assert_eq!(render(&1.26f64.to_le_bytes(), &c).unwrap(), "1.3");
    assert_eq!(f64::from_binary(Some(&1.26f64.to_le_bytes()), &c), Ok(1.26));
}

#[test]
fn float_conversions_match_text() {
    // An f64 from FLOAT 1.1 is 1.1, not 1.100000023841858, as over text.
    let bin = 1.1f32.to_le_bytes();
    assert_eq!(f64::from_binary(Some(&bin), &float(ty::FLOAT)), Ok(1.1));
    assert_eq!(f32::from_binary(Some(&0.1f64.to_le_bytes()), &float(ty::DOUBLE)), Ok(0.1f32));
    assert_eq!(f64::from_binary(Some(&i64::MIN.to_le_bytes()), &col(ty::LONGLONG)), Ok(-9.223372036854776e18));
    assert_eq!(f32::from_binary(Some(&u64::MAX.to_le_bytes()), &unsigned(ty::LONGLONG)), Ok(1.8446744e19));
    assert_eq!(Value::from_binary(Some(&bin), &float(ty::FLOAT)), Ok(Value::Float(1.1)));
}

fn datetime(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, micros: Option<u32>) -> Vec<u8> {
    let mut v = y.to_le_bytes().to_vec();
    v.extend_from_slice(&[mo, d, h, mi, s]);
    if let Some(us) = micros {
        v.extend_from_slice(&us.to_le_bytes());
    }
    v
}

#[test]
fn dates() {
    let c = col(ty::DATE);
    check(&[0xe8, 0x07, 2, 29], "2024-02-29", &c);
    check(&[0x01, 0x00, 1, 1], "0001-01-01", &c);
    check(&[], "0000-00-00", &c);
    check(&[0, 0, 0, 0], "0000-00-00", &c);
    check(&[0xe8, 0x07, 0, 0], "2024-00-00", &c);
    check(&[0x0f, 0x27, 12, 31], "9999-12-31", &c);
    check(&[0xe8, 0x07, 2, 29], "2024-02-29", &col(ty::NEWDATE));
    // Not a calendar date (chrono) or not a MySQL date at all: the same errors as text.
    check(&[0xe7, 0x07, 2, 29], "2023-02-29", &c);
    check(&[0xe8, 0x07, 13, 1], "2024-13-01", &c);
    check(&[0x10, 0x27, 1, 1], "10000-01-01", &c);
}

#[test]
fn datetimes() {
    let dt6 = col(ty::DATETIME).with_decimals(6);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(123_456)), "2024-01-02 03:04:05.123456", &dt6);
    check(&datetime(2024, 1, 2, 3, 4, 5, None), "2024-01-02 03:04:05.000000", &dt6);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(1)), "2024-01-02 03:04:05.000001", &dt6);
    check(&[0xe8, 0x07, 1, 2], "2024-01-02 00:00:00.000000", &dt6);
    check(&[], "0000-00-00 00:00:00.000000", &dt6);
    let dt0 = col(ty::DATETIME);
    check(&datetime(2024, 1, 2, 3, 4, 5, None), "2024-01-02 03:04:05", &dt0);
    check(&datetime(9999, 12, 31, 23, 59, 59, None), "9999-12-31 23:59:59", &dt0);
    check(&[0xe8, 0x07, 1, 2], "2024-01-02 00:00:00", &dt0);
    check(&[], "0000-00-00 00:00:00", &dt0);
    check(&datetime(0, 0, 0, 0, 0, 0, Some(0)), "0000-00-00 00:00:00", &dt0);
    check(&datetime(2024, 0, 0, 1, 2, 3, None), "2024-00-00 01:02:03", &dt0);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(123_000)), "2024-01-02 03:04:05.123", &dt0.clone().with_decimals(3));
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(500_000)), "2024-01-02 03:04:05.5", &col(ty::TIMESTAMP).with_decimals(1));
    check(&datetime(1970, 1, 1, 0, 0, 1, None), "1970-01-01 00:00:01", &col(ty::TIMESTAMP));
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(7)), "2024-01-02 03:04:05.000007", &col(ty::DATETIME2).with_decimals(6));
    // No fixed scale (expressions): the fraction only when there is one.
    let free = col(ty::DATETIME).with_decimals(39);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(120_000)), "2024-01-02 03:04:05.120000", &free);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(0)), "2024-01-02 03:04:05", &free);
    // Invalid fields: the text parser's errors.
    check(&datetime(2024, 1, 2, 24, 0, 0, None), "2024-01-02 24:00:00", &dt0);
    check(&datetime(2024, 1, 2, 3, 4, 5, Some(1_000_000)), "2024-01-02 03:04:05.1000000", &dt6);
    check(&datetime(2024, 1, 2, 3, 4, 60, None), "2024-01-02 03:04:60", &dt0);
}

fn time(negative: bool, days: u32, h: u8, m: u8, s: u8, micros: Option<u32>) -> Vec<u8> {
    let mut v = vec![u8::from(negative)];
    v.extend_from_slice(&days.to_le_bytes());
    v.extend_from_slice(&[h, m, s]);
    if let Some(us) = micros {
        v.extend_from_slice(&us.to_le_bytes());
    }
    v
}

#[test]
fn times() {
    let t6 = col(ty::TIME).with_decimals(6);
    check(&time(true, 34, 22, 59, 59, Some(999_999)), "-838:59:59.999999", &t6);
    check(&time(false, 34, 22, 59, 59, Some(999_999)), "838:59:59.999999", &t6);
    check(&time(false, 0, 1, 2, 3, None), "01:02:03.000000", &t6);
    check(&[], "00:00:00.000000", &t6);
    let t0 = col(ty::TIME);
    check(&[], "00:00:00", &t0);
    check(&time(false, 0, 0, 0, 0, None), "00:00:00", &t0);
    check(&time(false, 1, 2, 3, 4, None), "26:03:04", &t0);
    check(&time(true, 0, 0, 0, 1, None), "-00:00:01", &t0);
    check(&time(false, 0, 23, 59, 59, None), "23:59:59", &t0);
    check(&time(false, 4, 4, 0, 0, None), "100:00:00", &col(ty::TIME2));
    check(&time(false, 0, 12, 0, 0, Some(250_000)), "12:00:00.25", &t0.clone().with_decimals(2));
    // Past the TIME range, or fields out of range: the text parser's errors.
    check(&time(false, 34, 23, 0, 0, None), "839:00:00", &t0);
    check(&time(true, 41, 16, 0, 0, None), "-1000:00:00", &t0);
    check(&time(false, 0, 1, 60, 0, None), "01:60:00", &t0);
    check(&time(false, u32::MAX, 23, 0, 0, None), "103079215103:00:00", &t0);
    // A negative zero is zero.
    assert_eq!(Time::from_binary(Some(&time(true, 0, 0, 0, 0, None)), &t0), Ok(Time::default()));
}

#[test]
fn length_encoded_cells_are_the_text() {
    check("héllo".as_bytes(), "héllo", &Column::new("s", ty::VAR_STRING, 45, 0));
    check(b"\x00\xff", b"\x00\xff", &col(ty::BLOB));
    check(b"-12.50", "-12.50", &col(ty::NEWDECIMAL));
    check(b"5.00", "5.00", &col(ty::NEWDECIMAL));
    check(b"{\"a\":1}", b"{\"a\":1}", &Column::new("j", ty::JSON, 45, 0));
    check(b"\x05", b"\x05", &col(ty::BIT));
    check(b"0000-00-00", "0000-00-00", &col(ty::VAR_STRING));
    check(b"small", "small", &col(ty::ENUM));
    let mut buf = TextBuf::new();
    let raw = b"abc";
    assert!(std::ptr::eq(binary_to_text(raw, &col(ty::BLOB), &mut buf).unwrap(), &raw[..]));
}

#[test]
fn nulls() {
    for c in [col(ty::LONG), float(ty::DOUBLE), col(ty::DATETIME), col(ty::TIME), col(ty::VAR_STRING), col(ty::YEAR)] {
        for_all_types!(same(None, None, &c));
    }
    assert_eq!(i32::from_binary(None, &col(ty::LONG)).unwrap_err().reason(), "unexpected NULL");
    assert_eq!(Value::from_binary(None, &col(ty::LONG)), Ok(Value::Null));
}

#[test]
fn values_by_column_type() {
    let v = |bin: &[u8], c: &Column| Value::from_binary(Some(bin), c).unwrap();
    assert_eq!(v(&(-42i32).to_le_bytes(), &col(ty::LONG)), Value::Int(-42));
    assert_eq!(v(&u64::MAX.to_le_bytes(), &unsigned(ty::LONGLONG)), Value::UInt(u64::MAX));
    assert_eq!(v(&2024u16.to_le_bytes(), &unsigned(ty::YEAR)), Value::Int(2024));
    assert_eq!(v(&0.5f64.to_le_bytes(), &col(ty::DOUBLE)), Value::Double(0.5));
    assert_eq!(v(b"1.50", &col(ty::NEWDECIMAL)), Value::Decimal("1.50".into()));
    assert_eq!(v(&[], &col(ty::DATE)), Value::Date(Date::default()));
    assert_eq!(v(&time(true, 0, 1, 0, 0, None), &col(ty::TIME)), Value::Time(Time::parse(b"-01:00:00").unwrap()));
    assert_eq!(v(b"\xff", &col(ty::BLOB)), Value::Bytes(vec![0xff]));
}

#[test]
fn zero_dates() {
    let dt = col(ty::DATETIME).with_decimals(6);
    for zero in [&[][..], &[0; 4], &[0; 7], &[0; 11]] {
        assert_eq!(ZeroDateAsNone::<DateTime>::from_binary(Some(zero), &dt), Ok(ZeroDateAsNone(None)));
        assert_eq!(ZeroDateAsNone::<Date>::from_binary(Some(zero), &col(ty::DATE)), Ok(ZeroDateAsNone(None)));
    }
    // A zero date with a time of day is not a zero date.
    let bin = datetime(0, 0, 0, 1, 0, 0, None);
    assert_eq!(ZeroDateAsNone::<DateTime>::from_binary(Some(&bin), &dt).unwrap().0.map(|d| d.hour), Some(1));
    #[cfg(feature = "chrono")]
    {
        let e = chrono::NaiveDate::from_binary(Some(&[]), &col(ty::DATE)).unwrap_err();
        assert!(e.reason().contains("zero date"), "{e}");
        assert_eq!(
            ZeroDateAsNone::<chrono::NaiveDate>::from_binary(Some(&[]), &col(ty::DATE)),
            Ok(ZeroDateAsNone(None))
        );
    }
}

#[test]
fn malformed_cells_are_errors() {
    assert_eq!(
        i32::from_binary(Some(&[1, 2, 3]), &col(ty::LONG)).unwrap_err().reason(),
        "binary INT cell of 3 bytes (expected 4)"
    );
    assert_eq!(
        String::from_binary(Some(&[1, 2, 3]), &col(ty::DOUBLE)).unwrap_err().reason(),
        "binary DOUBLE cell of 3 bytes (expected 8)"
    );
    assert_eq!(
        DateTime::from_binary(Some(&[1, 2, 3]), &col(ty::DATETIME)).unwrap_err().reason(),
        "binary DATETIME cell of invalid length 3"
    );
    assert!(Time::from_binary(Some(&[0; 7]), &col(ty::TIME)).is_err());
    // An overlong ZEROFILL width cannot overflow the buffer.
    let c = zerofill(ty::LONG, 255);
    assert_eq!(render(&1u32.to_le_bytes(), &c).unwrap().len(), 255);
}

#[test]
fn decode_binary_column_names_everything() {
    let age = Column::new("age", ty::SHORT, 63, column_flag::UNSIGNED);
    let e = decode_binary_column::<u8>(Some(&300u16.to_le_bytes()), &age, 2).unwrap_err();
    assert_eq!(e.to_string(), "decode error: column 2 `age` (SMALLINT) into u8: value 300 out of range");
    let e = decode_binary_column::<i8>(Some(&[0xff, 0xff]), &age, 0).unwrap_err();
    assert_eq!(e.to_string(), "decode error: column 0 `age` (SMALLINT) into i8: value 65535 out of range");
    let e = decode_binary_column::<Option<bool>>(Some(&2u16.to_le_bytes()), &age, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        "decode error: column 1 `age` (SMALLINT) into Option<bool>: value 2 is not a boolean (0 or 1)"
    );
    assert_eq!(decode_binary_column::<u16>(Some(&[7, 0]), &age, 0).unwrap(), 7);
    assert_eq!(decode_binary_column::<Option<u16>>(None, &age, 0).unwrap(), None);
}

const TYPES: &[u8] = &[
    ty::TINY,
    ty::SHORT,
    ty::YEAR,
    ty::INT24,
    ty::LONG,
    ty::LONGLONG,
    ty::FLOAT,
    ty::DOUBLE,
    ty::DATE,
    ty::NEWDATE,
    ty::DATETIME,
    ty::DATETIME2,
    ty::TIMESTAMP,
    ty::TIME,
    ty::TIME2,
    ty::NEWDECIMAL,
    ty::VAR_STRING,
    ty::BLOB,
];

/// A binary cell for a column type: mostly well-formed with plausible (and some
/// impossible) field values, sometimes arbitrary bytes of any length.
fn cell_for(t: u8, shape: u8, bytes: &[u8], f: (u16, u8, u8, u8, u8, u8, u32, u32, bool)) -> Vec<u8> {
    let (year, month, day, hour, minute, second, micros, days, negative) = f;
    if shape % 8 == 0 {
        return bytes[..usize::from(shape / 8) % (bytes.len() + 1)].to_vec();
    }
    match crate::protocol::binary_row::binary_layout(t) {
        BinaryLayout::Fixed(n) => bytes[..n].to_vec(),
        BinaryLayout::DateTime => {
            let mut v = datetime(year, month, day, hour, minute, second, Some(micros));
            v.truncate([0, 4, 7, 11][usize::from(shape % 4)]);
            v
        }
        BinaryLayout::Time => {
            let mut v = time(negative, days, hour, minute, second, Some(micros));
            v.truncate([0, 8, 12][usize::from(shape % 3)]);
            v
        }
        BinaryLayout::LengthEncoded if shape % 2 == 0 => bytes.to_vec(),
        BinaryLayout::LengthEncoded => format!("{}{}.{:02}", if negative { "-" } else { "" }, days, day).into_bytes(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn fast_paths_agree_with_the_text_path(
        t in proptest::sample::select(TYPES),
        shape: u8,
        bytes in proptest::collection::vec(any::<u8>(), 12),
        fields in (0u16..10001, 0u8..14, 0u8..33, 0u8..25, 0u8..61, 0u8..61,
                   prop_oneof![Just(0u32), 0u32..1_000_000, any::<u32>()], prop_oneof![0u32..36, any::<u32>()], any::<bool>()),
        decimals in proptest::sample::select(&[0u8, 1, 3, 6, 31, 39][..]),
        is_unsigned: bool,
    ) {
        let bin = cell_for(t, shape, &bytes, fields);
        let flags = if is_unsigned { column_flag::UNSIGNED } else { 0 };
        // f32/f64 read a fixed-scale FLOAT/DOUBLE exactly, where its text is rounded.
        let decimals = if matches!(t, ty::FLOAT | ty::DOUBLE) { decimals.max(31) } else { decimals };
        let c = Column::new("c", t, if is_unsigned { 63 } else { 45 }, flags).with_decimals(decimals);
        for_all_types!(same_as_rendered(Some(&bin), None, &c));
    }
}
