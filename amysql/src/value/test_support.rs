//! Helpers shared by the value tests: a value's `%s` literal and its binary encoding.

use super::{FormatContext, ToSql};

/// The SQL literal `v` formats to in a default (utf8mb4, backslash-escaping) session.
/// Lossy, so that byte literals that are not UTF-8 can be compared too.
pub(crate) fn lit<T: ToSql + ?Sized>(v: &T) -> String {
    let mut out = Vec::new();
    v.write_sql(&mut out, &FormatContext::default()).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// The binary parameter type code and bytes `v` encodes to (a value that has a binary form).
#[cfg(any(feature = "uuid", feature = "time"))]
pub(crate) fn bin<T: ToSql + ?Sized>(v: &T) -> (u8, Vec<u8>) {
    let mut out = Vec::new();
    let t = v.write_binary(&mut out).unwrap().unwrap();
    (t.code, out)
}
