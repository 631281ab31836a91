//! `Value`: a dynamically typed cell, what `Cursor`/`DictCursor` rows hold and what
//! heterogeneous parameter lists can be built from.

use super::format::FormatContext;
use super::from_sql::{utf8, DecodeError, FromSql};
use super::time::{Date, DateTime, Time};
use super::to_sql::{write_bytes, write_list, write_str, ToSql};
use crate::error::{Error, Result};
use crate::protocol::column::Column;
use crate::protocol::constants::column_type;

/// One SQL value, typed by what the server said about its column.
///
/// Decoding (`FromSql for Value`) picks the variant from the column type: integer types
/// give `Int`/`UInt` by signedness, `FLOAT`/`DOUBLE` give `Float`/`Double`, `DECIMAL` its
/// exact text, temporal types `Date`/`DateTime`/`Time` (zero dates are kept as
/// `Date`/`DateTime` with zero fields, see `Date::is_zero`: they are distinct from
/// NULL on the server and round-trip unchanged), `JSON` its text, binary-charset and BIT
/// columns `Bytes`, other text `Text`. Text that is not valid UTF-8 (a non-UTF-8
/// connection charset) falls back to `Bytes` rather than failing the whole row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Int(i64),
    UInt(u64),
    Float(f32),
    Double(f64),
    /// A decimal number's exact text, e.g. `-123.45`; checked before it is sent.
    Decimal(String),
    Bytes(Vec<u8>),
    Text(String),
    Date(Date),
    DateTime(DateTime),
    Time(Time),
    /// A JSON document's text.
    Json(String),
    /// Rendered `(a,b,c)`, for `IN` lists.
    List(Vec<Value>),
}

impl Value {
    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer, if this is an `Int` or a `UInt` that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(v) => Some(v),
            Value::UInt(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The integer, if this is a `UInt` or a non-negative `Int`.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt(v) => Some(v),
            Value::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The number as f64 for `Float` and `Double`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float(v) => Some(f64::from(v)),
            Value::Double(v) => Some(v),
            _ => None,
        }
    }

    /// The text of `Text`, `Decimal` and `Json`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Decimal(s) | Value::Json(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of `Bytes`, or of the text variants.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            other => other.as_str().map(str::as_bytes),
        }
    }
}

/// Checks `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?`: a decimal written
/// unquoted must be a number and nothing else, or it would be SQL injection.
pub(crate) fn is_decimal_text(s: &[u8]) -> bool {
    fn digits(s: &[u8]) -> (usize, &[u8]) {
        let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
        (n, &s[n..])
    }
    let s = s.strip_prefix(b"-").or_else(|| s.strip_prefix(b"+")).unwrap_or(s);
    let (int_len, s) = digits(s);
    let (frac_len, s) = match s.strip_prefix(b".") {
        Some(rest) => digits(rest),
        None => (0, s),
    };
    if int_len + frac_len == 0 {
        return false;
    }
    match s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) {
        None => s.is_empty(),
        Some(exp) => {
            let exp = exp.strip_prefix(b"-").or_else(|| exp.strip_prefix(b"+")).unwrap_or(exp);
            let (n, rest) = digits(exp);
            n > 0 && rest.is_empty()
        }
    }
}

impl ToSql for Value {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        match self {
            Value::Null => {
                out.extend_from_slice(b"NULL");
                Ok(())
            }
            Value::Int(v) => v.write_sql(out, ctx),
            Value::UInt(v) => v.write_sql(out, ctx),
            Value::Float(v) => v.write_sql(out, ctx),
            Value::Double(v) => v.write_sql(out, ctx),
            Value::Decimal(s) if is_decimal_text(s.as_bytes()) => {
                out.extend_from_slice(s.as_bytes());
                Ok(())
            }
            Value::Decimal(s) => Err(Error::Encode(format!("`{}` is not a decimal number", s.escape_debug()))),
            Value::Bytes(b) => write_bytes(b, out, ctx),
            Value::Text(s) | Value::Json(s) => write_str(s, out, ctx),
            Value::Date(d) => d.write_sql(out, ctx),
            Value::DateTime(d) => d.write_sql(out, ctx),
            Value::Time(t) => t.write_sql(out, ctx),
            Value::List(items) => write_list(items, out, ctx),
        }
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> super::binary::BinaryResult {
        use super::binary;
        match self {
            Value::Null => Ok(Some(binary::BinaryType::NULL)),
            Value::Int(v) => binary::put_i64(*v, out),
            Value::UInt(v) => binary::put_u64(*v, out),
            Value::Float(v) => v.write_binary(out),
            Value::Double(v) => v.write_binary(out),
            Value::Decimal(s) if is_decimal_text(s.as_bytes()) => binary::put_decimal(s.as_bytes(), out),
            Value::Decimal(s) => Err(Error::Encode(format!("`{}` is not a decimal number", s.escape_debug()))),
            Value::Bytes(b) => binary::put_bytes(b, out),
            Value::Text(s) | Value::Json(s) => binary::put_str(s.as_bytes(), out),
            Value::Date(d) => d.write_binary(out),
            Value::DateTime(d) => d.write_binary(out),
            Value::Time(t) => t.write_binary(out),
            Value::List(_) => Ok(None),
        }
    }
}

impl FromSql for Value {
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        use column_type::*;
        let Some(bytes) = raw else {
            return Ok(Value::Null);
        };
        Ok(match column.column_type() {
            TINY | SHORT | LONG | INT24 | LONGLONG if column.is_unsigned() => Value::UInt(u64::from_sql(raw, column)?),
            TINY | SHORT | LONG | INT24 | LONGLONG | YEAR => Value::Int(i64::from_sql(raw, column)?),
            FLOAT => Value::Float(f32::from_sql(raw, column)?),
            DOUBLE => Value::Double(f64::from_sql(raw, column)?),
            DECIMAL | NEWDECIMAL if is_decimal_text(bytes) => Value::Decimal(utf8(bytes)?.to_owned()),
            DECIMAL | NEWDECIMAL => return Err(DecodeError::invalid("DECIMAL", bytes)),
            DATE | NEWDATE => Value::Date(Date::from_sql(raw, column)?),
            DATETIME | DATETIME2 | TIMESTAMP | TIMESTAMP2 => Value::DateTime(DateTime::from_sql(raw, column)?),
            TIME | TIME2 => Value::Time(Time::from_sql(raw, column)?),
            JSON => Value::Json(utf8(bytes)?.to_owned()),
            BIT | GEOMETRY => Value::Bytes(bytes.to_vec()),
            _ if column.is_binary() => Value::Bytes(bytes.to_vec()),
            _ => match std::str::from_utf8(bytes) {
                Ok(s) => Value::Text(s.to_owned()),
                Err(_) => Value::Bytes(bytes.to_vec()),
            },
        })
    }

    /// The same variants as `from_sql`, read from the binary layout; the other column
    /// types hold the text protocol's bytes, so `from_sql` decodes them.
    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        use column_type::*;
        if raw.is_none() {
            return Ok(Value::Null);
        }
        Ok(match column.column_type() {
            TINY | SHORT | LONG | INT24 | LONGLONG if column.is_unsigned() => {
                Value::UInt(u64::from_binary(raw, column)?)
            }
            TINY | SHORT | LONG | INT24 | LONGLONG | YEAR => Value::Int(i64::from_binary(raw, column)?),
            FLOAT => Value::Float(f32::from_binary(raw, column)?),
            DOUBLE => Value::Double(f64::from_binary(raw, column)?),
            DATE | NEWDATE => Value::Date(Date::from_binary(raw, column)?),
            DATETIME | DATETIME2 | TIMESTAMP | TIMESTAMP2 => Value::DateTime(DateTime::from_binary(raw, column)?),
            TIME | TIME2 => Value::Time(Time::from_binary(raw, column)?),
            _ => return Value::from_sql(raw, column),
        })
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v.into())
            }
        }
    )*};
}
value_from!(
    i8 => Int, i16 => Int, i32 => Int, i64 => Int,
    u8 => UInt, u16 => UInt, u32 => UInt, u64 => UInt,
    f32 => Float, f64 => Double,
    String => Text, &str => Text, Box<str> => Text,
    Vec<u8> => Bytes, &[u8] => Bytes,
    Date => Date, DateTime => DateTime, Time => Time,
    Vec<Value> => List,
);

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<isize> for Value {
    fn from(v: isize) -> Value {
        // isize is at most 64 bits on every platform Rust supports.
        i64::try_from(v).map_or(Value::Null, Value::Int)
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Value {
        u64::try_from(v).map_or(Value::Null, Value::UInt)
    }
}

impl<const N: usize> From<[u8; N]> for Value {
    fn from(v: [u8; N]) -> Value {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_flag;

    fn col(t: u8, charset: u16, flags: u16) -> Column {
        Column::new("c", t, charset, flags)
    }

    fn decode(raw: &[u8], c: &Column) -> Value {
        Value::from_sql(Some(raw), c).unwrap()
    }

    #[test]
    fn decode_by_column_type() {
        use column_type::*;
        assert_eq!(decode(b"-42", &col(LONG, 63, 0)), Value::Int(-42));
        assert_eq!(decode(b"18446744073709551615", &col(LONGLONG, 63, column_flag::UNSIGNED)), Value::UInt(u64::MAX));
        assert_eq!(decode(b"1.5", &col(DOUBLE, 63, 0)), Value::Double(1.5));
        assert_eq!(decode(b"1.1", &col(FLOAT, 63, 0)), Value::Float(1.1));
        assert_eq!(decode(b"123.45", &col(NEWDECIMAL, 63, 0)), Value::Decimal("123.45".into()));
        assert_eq!(decode(b"2024", &col(YEAR, 63, 0)), Value::Int(2024));
        assert_eq!(decode(b"0000-00-00", &col(DATE, 63, 0)), Value::Date(Date::default()));
        assert!(
            matches!(decode(b"2024-01-02 03:04:05.123456", &col(DATETIME, 63, 0)), Value::DateTime(d) if d.micros == 123_456)
        );
        assert!(
            matches!(decode(b"-838:59:59.000000", &col(TIME, 63, 0)), Value::Time(t) if t.negative && t.hours == 838)
        );
        assert_eq!(decode(b"{\"a\":1}", &col(JSON, 45, 0)), Value::Json("{\"a\":1}".into()));
        assert_eq!(decode(b"\x05", &col(BIT, 63, 0)), Value::Bytes(vec![5]));
        assert_eq!(decode(b"\xff\x00", &col(BLOB, 63, 0)), Value::Bytes(vec![255, 0]));
        assert_eq!(decode("héllo".as_bytes(), &col(VAR_STRING, 45, 0)), Value::Text("héllo".into()));
        assert_eq!(decode(b"\xe9", &col(VAR_STRING, 8, 0)), Value::Bytes(vec![0xe9]));
        assert_eq!(decode(b"small", &col(ENUM, 45, 0)), Value::Text("small".into()));
        assert_eq!(Value::from_sql(None, &col(LONG, 63, 0)).unwrap(), Value::Null);
    }

    #[test]
    fn decode_garbage_is_an_error() {
        use column_type::*;
        for (raw, t) in
            [(&b"12a"[..], LONG), (b"1.2.3", DOUBLE), (b"1;DROP", NEWDECIMAL), (b"2024-1-1", DATE), (b"x", TIME)]
        {
            assert!(Value::from_sql(Some(raw), &col(t, 63, 0)).is_err(), "{}", raw.escape_ascii());
        }
    }

    #[test]
    fn literals() {
        let ctx = FormatContext::default();
        let lit = |v: Value| {
            let mut out = Vec::new();
            v.write_sql(&mut out, &ctx).map(|()| String::from_utf8(out).unwrap())
        };
        assert_eq!(lit(Value::Null).unwrap(), "NULL");
        assert_eq!(lit(Value::Int(i64::MIN)).unwrap(), "-9223372036854775808");
        assert_eq!(lit(Value::Double(1.5)).unwrap(), "1.5e0");
        assert_eq!(
            lit(Value::Decimal("-1234567890123456789.012345678".into())).unwrap(),
            "-1234567890123456789.012345678"
        );
        assert_eq!(lit(Value::Decimal("1e5".into())).unwrap(), "1e5");
        assert!(lit(Value::Decimal("1 OR 1=1".into())).is_err());
        assert!(lit(Value::Decimal(".".into())).is_err());
        assert_eq!(lit(Value::Text("it's".into())).unwrap(), r"'it\'s'");
        assert_eq!(lit(Value::Json("{\"a\":\"b'\"}".into())).unwrap(), r#"'{\"a\":\"b\'\"}'"#);
        assert_eq!(lit(Value::Bytes(vec![0, 39])).unwrap(), r"_binary'\0\''");
        assert_eq!(lit(Value::List(vec![1.into(), "x".into(), Value::Null])).unwrap(), "(1,'x',NULL)");
        assert!(lit(Value::List(vec![])).unwrap_err().to_string().contains("empty sequence"));
        assert!(lit(Value::Double(f64::NAN)).is_err());
    }

    #[test]
    fn conversions_and_accessors() {
        assert_eq!(Value::from(true), Value::Int(1));
        assert_eq!(Value::from(None::<i32>), Value::Null);
        assert_eq!(Value::from(Some("a")), Value::Text("a".into()));
        assert_eq!(Value::from(*b"ab"), Value::Bytes(b"ab".to_vec()));
        assert_eq!(Value::from(7usize).as_i64(), Some(7));
        assert_eq!(Value::Int(-1).as_u64(), None);
        assert_eq!(Value::Float(0.5).as_f64(), Some(0.5));
        assert_eq!(Value::Text("t".into()).as_bytes(), Some(&b"t"[..]));
        assert!(Value::default().is_null());
    }
}
