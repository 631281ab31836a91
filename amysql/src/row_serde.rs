//! `serde::Serialize` for `Row`, `DictRow` and `Value` (feature `json`), so a handler can
//! return rows as JSON: `serde_json::to_string(&rows)`.
//!
//! A `Row` is a sequence of its values, a `DictRow` a map from its keys to its values in
//! column order (`serde_json::to_string` keeps that order; a `serde_json::Value` sorts
//! its keys unless serde_json's `preserve_order` feature is on). Each value maps to the
//! natural JSON, the same for text and prepared results:
//!
//! | SQL value | `Value` | JSON |
//! | --- | --- | --- |
//! | NULL | `Null` | `null` |
//! | integers, YEAR | `Int`/`UInt` | number (all of u64/i64, exactly) |
//! | FLOAT, DOUBLE | `Float`/`Double` | number |
//! | DECIMAL | `Decimal` | **string**, `"12.50"`: exact, as a JSON number would not be for most readers |
//! | text | `Text` | string |
//! | binary strings, BLOB, BIT, GEOMETRY | `Bytes` | **string, standard base64 with padding** (RFC 4648 §4): what JSON APIs commonly use for bytes |
//! | DATE | `Date` | `"2024-01-02"` |
//! | DATETIME, TIMESTAMP | `DateTime` | `"2024-01-02T03:04:05"`, `"…T03:04:05.123456"` with microseconds (ISO-8601, no offset) |
//! | TIME | `Time` | `"-838:59:59"`, `"12:00:00.5"`… as MySQL writes it (ISO-8601 for a time of day) |
//! | JSON | `Json` | the document itself, embedded (not a string) |
//! | `IN` list (parameters only) | `List` | array |
//!
//! Zero dates keep MySQL's form (`"0000-00-00"`, `"0000-00-00T00:00:00"`): they are not
//! NULL on the server, so they are not `null` here. A JSON column whose text does not
//! parse (never from a real server) is emitted as a string rather than failing.
//! Embedded JSON goes through `serde_json::Value`, so numbers beyond f64/u64 lose
//! precision there unless serde_json's `arbitrary_precision` is enabled.

use std::fmt;

use serde::ser::{Serialize, Serializer};

use crate::row::{DictRow, Row};
use crate::value::{DateTime, Value};

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.values())
    }
}

impl Serialize for DictRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Int(v) => s.serialize_i64(*v),
            Value::UInt(v) => s.serialize_u64(*v),
            Value::Float(v) => s.serialize_f64(shortest_f64(*v)),
            Value::Double(v) => s.serialize_f64(*v),
            Value::Decimal(text) | Value::Text(text) => s.serialize_str(text),
            Value::Bytes(b) => s.collect_str(&Base64(b)),
            Value::Date(d) => s.collect_str(d),
            Value::DateTime(dt) => s.collect_str(&Iso8601(dt)),
            Value::Time(t) => s.collect_str(t),
            Value::Json(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(doc) => doc.serialize(s),
                Err(_) => s.serialize_str(text),
            },
            Value::List(items) => s.collect_seq(items),
        }
    }
}

/// A FLOAT as the f64 nearest its shortest decimal form (1.1, not 1.100000023841858), as
/// `f64` decoding reads it: serde_json's `to_value` would otherwise widen the f32 exactly.
fn shortest_f64(v: f32) -> f64 {
    if v.is_finite() {
        ryu::Buffer::new().format_finite(v).parse().unwrap_or(f64::from(v))
    } else {
        f64::from(v)
    }
}

/// Standard base64 with padding, written straight into the serializer.
struct Base64<'a>(&'a [u8]);

impl fmt::Display for Base64<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for chunk in self.0.chunks(3) {
            let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
            let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
            let mut quad = [b'='; 4];
            // A chunk of k bytes carries k + 1 sextets; the rest is padding.
            for (i, c) in quad.iter_mut().enumerate().take(chunk.len() + 1) {
                *c = ALPHABET[((n >> (18 - 6 * i)) & 63) as usize];
            }
            // The quad is ASCII from the alphabet and '='.
            f.write_str(std::str::from_utf8(&quad).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// `YYYY-MM-DDThh:mm:ss[.ffffff]`: `DateTime`'s own text with ISO-8601's `T`.
struct Iso8601<'a>(&'a DateTime);

impl fmt::Display for Iso8601<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.0;
        write!(f, "{}T{:02}:{:02}:{:02}", dt.date(), dt.hour, dt.minute, dt.second)?;
        if dt.micros != 0 {
            write!(f, ".{:06}", dt.micros)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use serde_json::json;

    use super::*;
    use crate::protocol::column::Column;
    use crate::protocol::constants::{column_flag, column_type as ty};
    use crate::row::ColumnSet;
    use crate::value::{Date, Time};

    fn b64(b: &[u8]) -> String {
        Base64(b).to_string()
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (raw, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(raw.as_bytes()), want);
        }
        assert_eq!(b64(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(b64(&[0, 0, 0, 0xff]), "AAAA/w==");
    }

    #[test]
    fn values_map_to_natural_json() {
        let dt = DateTime::parse(b"2024-01-02 03:04:05.000120").unwrap();
        let cases = [
            (Value::Null, json!(null)),
            (Value::Int(i64::MIN), json!(i64::MIN)),
            (Value::UInt(u64::MAX), json!(u64::MAX)),
            (Value::Float(1.1), json!(1.1)),
            (Value::Float(-3.4028235e38), json!(-3.4028235e38)),
            (Value::Double(-2.5e300), json!(-2.5e300)),
            (Value::Decimal("12345678901234567890.000000001".into()), json!("12345678901234567890.000000001")),
            (Value::Text("é\"\n".into()), json!("é\"\n")),
            (Value::Bytes(vec![0, 0xff, b'a']), json!("AP9h")),
            (Value::Date(Date { year: 2024, month: 1, day: 2 }), json!("2024-01-02")),
            (Value::DateTime(dt), json!("2024-01-02T03:04:05.000120")),
            (Value::DateTime(DateTime { micros: 0, ..dt }), json!("2024-01-02T03:04:05")),
            (Value::DateTime(DateTime::default()), json!("0000-00-00T00:00:00")),
            (Value::Time(Time::parse(b"-838:59:59.5").unwrap()), json!("-838:59:59.500000")),
            (Value::Json(r#"{"a": [1, null, "x"]}"#.into()), json!({"a": [1, null, "x"]})),
            (Value::Json("{not json".into()), json!("{not json")),
            (Value::List(vec![Value::Int(1), Value::Null]), json!([1, null])),
        ];
        for (v, want) in cases {
            assert_eq!(serde_json::to_value(&v).unwrap(), want, "{v:?}");
        }
        assert_eq!(serde_json::to_string(&Value::Float(1.1)).unwrap(), "1.1");
    }

    fn columns(specs: &[(&str, u8, u16, u16)]) -> Arc<ColumnSet> {
        Arc::new(ColumnSet::new(specs.iter().map(|&(n, t, cs, fl)| Column::new(n, t, cs, fl)).collect()))
    }

    #[test]
    fn rows_are_arrays_and_dict_rows_ordered_objects() {
        let set = columns(&[
            ("zeta", ty::LONGLONG, 63, column_flag::UNSIGNED),
            ("alpha", ty::VAR_STRING, 45, 0),
            ("blob", ty::BLOB, 63, column_flag::BINARY),
            ("doc", ty::JSON, 63, 0),
            ("gone", ty::VAR_STRING, 45, 0),
        ]);
        let packet = Bytes::from_static(b"\x0242\x02hi\x02\x00\xff\x07{\"k\":1}\xfb");
        let mut scratch = Vec::new();
        let row = Row::from_packet(set, packet, &mut scratch).unwrap();
        assert_eq!(serde_json::to_value(&row).unwrap(), json!([42, "hi", "AP8=", {"k": 1}, null]));
        let dict = DictRow::new(row);
        // Column order, not sorted: "zeta" first.
        assert_eq!(
            serde_json::to_string(&dict).unwrap(),
            r#"{"zeta":42,"alpha":"hi","blob":"AP8=","doc":{"k":1},"gone":null}"#
        );
        assert_eq!(serde_json::to_value(&dict).unwrap()["doc"]["k"], json!(1));
    }
}
