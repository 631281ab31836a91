//! Binary-protocol parameter values, for MariaDB's COM_STMT_BULK_EXECUTE.
//!
//! `executemany` sends INSERT rows to MariaDB as one prepared statement plus arrays of
//! binary parameters: the server then skips parsing a literal per value, which is most of
//! its cost for a multi-row text INSERT. Each `ToSql` type that has a binary form writes
//! it here and names its wire type; the rest (IN lists, user types) answer `None` and the
//! caller sends those rows as text. The values carried are the ones `write_sql` would
//! have written as literals: same range checks, same errors, same server-side result.

use crate::error::Result;
use crate::protocol::buf::put_lenenc_bytes;
use crate::protocol::constants::column_type;

use super::time::{Date, DateTime, Time};

/// A parameter's wire type: the column type code and the unsigned flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BinaryType {
    pub code: u8,
    pub unsigned: bool,
}

impl BinaryType {
    /// SQL NULL: no value bytes follow, the row's indicator says NULL.
    pub const NULL: BinaryType = BinaryType::signed(column_type::NULL);

    const fn signed(code: u8) -> BinaryType {
        BinaryType { code, unsigned: false }
    }

    pub fn is_null(self) -> bool {
        self.code == column_type::NULL
    }

    /// The flag byte that follows the type code (`0x80` = unsigned).
    pub fn flag_byte(self) -> u8 {
        if self.unsigned {
            0x80
        } else {
            0
        }
    }
}

/// What a `ToSql::write_binary` returns: the type of the value written, or `None` when
/// the value has no binary form (nothing was written then).
pub type BinaryResult = Result<Option<BinaryType>>;

pub(crate) fn put_i64(v: i64, out: &mut Vec<u8>) -> BinaryResult {
    out.extend_from_slice(&v.to_le_bytes());
    Ok(Some(BinaryType::signed(column_type::LONGLONG)))
}

pub(crate) fn put_u64(v: u64, out: &mut Vec<u8>) -> BinaryResult {
    out.extend_from_slice(&v.to_le_bytes());
    Ok(Some(BinaryType { code: column_type::LONGLONG, unsigned: true }))
}

pub(crate) fn put_f64(v: f64, out: &mut Vec<u8>) -> BinaryResult {
    out.extend_from_slice(&v.to_le_bytes());
    Ok(Some(BinaryType::signed(column_type::DOUBLE)))
}

pub(crate) fn put_bool(v: bool, out: &mut Vec<u8>) -> BinaryResult {
    out.push(u8::from(v));
    Ok(Some(BinaryType::signed(column_type::TINY)))
}

pub(crate) fn put_str(v: &[u8], out: &mut Vec<u8>) -> BinaryResult {
    put_lenenc_bytes(out, v);
    Ok(Some(BinaryType::signed(column_type::VAR_STRING)))
}

/// BLOB is sent with the binary charset, as `_binary'..'` is in a text query.
pub(crate) fn put_bytes(v: &[u8], out: &mut Vec<u8>) -> BinaryResult {
    put_lenenc_bytes(out, v);
    Ok(Some(BinaryType::signed(column_type::BLOB)))
}

/// An exact number as its decimal digits (what the server parses for a DECIMAL literal).
pub(crate) fn put_decimal(digits: &[u8], out: &mut Vec<u8>) -> BinaryResult {
    put_lenenc_bytes(out, digits);
    Ok(Some(BinaryType::signed(column_type::NEWDECIMAL)))
}

/// DATE: length 4, then year (2 bytes), month, day. Zero parts are sent as they are.
pub(crate) fn put_date(d: &Date, out: &mut Vec<u8>) -> BinaryResult {
    out.push(4);
    put_ymd(d, out);
    Ok(Some(BinaryType::signed(column_type::DATE)))
}

fn put_ymd(d: &Date, out: &mut Vec<u8>) {
    out.extend_from_slice(&d.year.to_le_bytes());
    out.push(d.month);
    out.push(d.day);
}

/// DATETIME: length 7 (to the second) or 11 (with microseconds).
pub(crate) fn put_datetime(dt: &DateTime, out: &mut Vec<u8>) -> BinaryResult {
    out.push(if dt.micros == 0 { 7 } else { 11 });
    put_ymd(&dt.date(), out);
    out.extend_from_slice(&[dt.hour, dt.minute, dt.second]);
    if dt.micros != 0 {
        out.extend_from_slice(&dt.micros.to_le_bytes());
    }
    Ok(Some(BinaryType::signed(column_type::DATETIME)))
}

/// TIME: length 12, sign, days (4 bytes), hours below 24, minutes, seconds, microseconds.
pub(crate) fn put_time(t: &Time, out: &mut Vec<u8>) -> BinaryResult {
    out.push(12);
    out.push(u8::from(t.negative));
    out.extend_from_slice(&(t.hours / 24).to_le_bytes());
    // hours % 24 < 24 always fits a byte.
    out.extend_from_slice(&[(t.hours % 24) as u8, t.minutes, t.seconds]);
    out.extend_from_slice(&t.micros.to_le_bytes());
    Ok(Some(BinaryType::signed(column_type::TIME)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ToSql;

    fn bin<T: ToSql + ?Sized>(v: &T) -> (Option<BinaryType>, Vec<u8>) {
        let mut out = Vec::new();
        let t = v.write_binary(&mut out).unwrap();
        (t, out)
    }

    fn code<T: ToSql + ?Sized>(v: &T) -> Option<u8> {
        bin(v).0.map(|t| t.code)
    }

    #[test]
    fn integers_are_longlong() {
        assert_eq!(bin(&-2i32), (Some(BinaryType::signed(8)), vec![0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
        assert_eq!(bin(&u64::MAX), (Some(BinaryType { code: 8, unsigned: true }), vec![0xff; 8]));
        assert_eq!(bin(&7u8).1, vec![7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bin(&true), (Some(BinaryType::signed(1)), vec![1]));
        // Beyond 64 bits: the digits, read by the server as an exact number.
        assert_eq!(
            bin(&(u128::from(u64::MAX) + 1)),
            (Some(BinaryType::signed(246)), b"\x1418446744073709551616".to_vec())
        );
        assert_eq!(bin(&i128::from(i64::MIN)).1, i64::MIN.to_le_bytes());
    }

    #[test]
    fn floats_strings_bytes() {
        assert_eq!(bin(&1.5f64), (Some(BinaryType::signed(5)), 1.5f64.to_le_bytes().to_vec()));
        // An f32 travels as the double its shortest form denotes, as in a text query.
        assert_eq!(bin(&1.1f32).1, 1.1f64.to_le_bytes());
        assert!(f64::NAN.write_binary(&mut Vec::new()).is_err());
        assert_eq!(bin("it's"), (Some(BinaryType::signed(253)), b"\x04it's".to_vec()));
        assert_eq!(bin(&'é').1, b"\x02\xc3\xa9");
        assert_eq!(bin(&b"\0\xff"[..]), (Some(BinaryType::signed(252)), b"\x02\0\xff".to_vec()));
        assert_eq!(bin(&vec![1u8]).1, b"\x01\x01");
    }

    #[test]
    fn null_and_unsupported() {
        assert_eq!(bin(&None::<i32>), (Some(BinaryType::NULL), vec![]));
        assert_eq!(bin(&Some(3i64)).1, 3i64.to_le_bytes());
        assert_eq!(bin(&&Some("x")).1, b"\x01x");
        // IN lists have no binary form.
        assert_eq!(bin(&vec![1, 2]), (None, vec![]));
        assert_eq!(code(&crate::Value::List(vec![])), None);
        assert_eq!(code(&crate::Value::Null), Some(column_type::NULL));
    }

    #[test]
    fn temporal_values() {
        let d = Date { year: 2024, month: 2, day: 29 };
        assert_eq!(bin(&d), (Some(BinaryType::signed(10)), vec![4, 0xe8, 0x07, 2, 29]));
        let dt = DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, micros: 0 };
        assert_eq!(bin(&dt).1, vec![7, 0xe8, 0x07, 2, 29, 23, 59, 58]);
        let dt = DateTime { micros: 1, ..dt };
        assert_eq!(bin(&dt), (Some(BinaryType::signed(12)), vec![11, 0xe8, 0x07, 2, 29, 23, 59, 58, 1, 0, 0, 0]));
        let t = Time { negative: true, hours: 838, minutes: 59, seconds: 59, micros: 999_999 };
        assert_eq!(bin(&t), (Some(BinaryType::signed(11)), vec![12, 1, 34, 0, 0, 0, 22, 59, 59, 0x3f, 0x42, 0x0f, 0]));
        // Out-of-range values are refused, as in a text query.
        assert!(Date { year: 2024, month: 13, day: 1 }.write_binary(&mut Vec::new()).is_err());
    }

    #[cfg(feature = "rust_decimal")]
    #[test]
    fn decimals_are_exact_digits() {
        let v: rust_decimal::Decimal = "-12.50".parse().unwrap();
        assert_eq!(bin(&v), (Some(BinaryType::signed(246)), b"\x06-12.50".to_vec()));
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_values() {
        let dt = chrono::NaiveDate::from_ymd_opt(2001, 1, 2).unwrap().and_hms_micro_opt(3, 4, 5, 6).unwrap();
        assert_eq!(bin(&dt).1, vec![11, 0xd1, 0x07, 1, 2, 3, 4, 5, 6, 0, 0, 0]);
        assert_eq!(code(&dt.date()), Some(column_type::DATE));
        assert_eq!(code(&chrono::TimeDelta::seconds(-1)), Some(column_type::TIME));
    }
}
