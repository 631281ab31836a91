//! `FromSql`: decoding one text-protocol cell straight into a Rust value.
//!
//! Every cell of a COM_QUERY result arrives as text bytes or NULL; decoders read those
//! bytes directly (no intermediate `String` or `Value`) and report a short reason on
//! failure, which `decode_column` turns into an error naming the column and both types.
//!
//! Choices worth knowing:
//! * `String` decodes from any column whose bytes are valid UTF-8, binary-charset ones
//!   included, because the server labels many expression results (`CONCAT` of a number,
//!   `CAST(.. AS CHAR)` in some versions, `GROUP_CONCAT` over BLOBs) as binary.
//! * Integers and `bool` read BIT columns as big-endian bytes (BIT is sent raw).
//! * Integers accept a DECIMAL column's `.000` zero fraction (`SUM(int_col)` is DECIMAL).
//! * `bool` is strict: only 0 and 1.

use std::borrow::Cow;
use std::fmt;

use super::from_binary::{binary_f32, binary_f64, binary_int, exact_int, is_binary_zero_date, via_text};
use crate::error::Error;
use crate::protocol::column::Column;
use crate::protocol::constants::column_type;

/// A type that can be decoded from one cell of a text-protocol row.
pub trait FromSql: Sized {
    /// `raw` is the cell's bytes, `None` for SQL NULL.
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError>;

    /// Decodes a binary-protocol cell (see protocol::binary_row for what `raw` holds per column type).
    /// The default renders the cell as the text protocol would and calls `from_sql`, so every
    /// FromSql type works on prepared statements; built-in types override it to skip the text.
    #[doc(hidden)]
    fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        via_text(raw, column)
    }
}

/// Why a cell could not be decoded: a short reason, such as "value 300 out of range".
/// `decode_column` adds the column and type names.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Cow<'static, str>);

impl DecodeError {
    /// A decode failure with the given reason.
    pub fn new(reason: impl Into<Cow<'static, str>>) -> DecodeError {
        DecodeError(reason.into())
    }

    /// NULL arrived for a type that cannot hold it (use `Option<T>`).
    pub fn unexpected_null() -> DecodeError {
        DecodeError::new("unexpected NULL")
    }

    /// `invalid <what> <raw bytes, shortened>`.
    pub fn invalid(what: &str, raw: &[u8]) -> DecodeError {
        DecodeError::new(format!("invalid {what} {}", show_bytes(raw)))
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecodeError({:?})", self.0)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Decodes one cell, turning a failure into `Error::Decode` that names the column index,
/// column name, SQL type and Rust type:
/// "column 2 `age` (TINYINT) into u8: value 300 out of range".
#[inline(always)]
pub fn decode_column<T: FromSql>(raw: Option<&[u8]>, column: &Column, index: usize) -> crate::Result<T> {
    T::from_sql(raw, column).map_err(|e| decode_failed(e, column, index, std::any::type_name::<T>()))
}

#[cold]
pub(crate) fn decode_failed(e: DecodeError, column: &Column, index: usize, rust_type: &str) -> Error {
    Error::Decode(format!(
        "column {index} `{}` ({}) into {}: {}",
        column.name(),
        column.type_name(),
        short_type_name(rust_type),
        e
    ))
}

/// `core::option::Option<alloc::string::String>` -> `Option<String>`.
pub(crate) fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            out.truncate(segment_start);
        } else {
            out.push(c);
            if !(c.is_alphanumeric() || c == '_') {
                segment_start = out.len();
            }
        }
    }
    out
}

/// Shows at most 40 bytes of a value, escaped, for error messages: enough to recognise
/// the value, never a whole BLOB in a log line.
pub(crate) fn show_bytes(raw: &[u8]) -> String {
    const MAX: usize = 40;
    let shown = raw.get(..MAX).unwrap_or(raw);
    let more = if raw.len() > MAX { "…" } else { "" };
    format!("\"{}{more}\"", shown.escape_ascii())
}

pub(crate) fn non_null(raw: Option<&[u8]>) -> Result<&[u8], DecodeError> {
    raw.ok_or_else(DecodeError::unexpected_null)
}

/// An integer's sign and magnitude as read from text; `None` magnitude = beyond u64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedInt {
    pub(crate) negative: bool,
    pub(crate) magnitude: Option<u64>,
}

/// Parses `[+-]?[0-9]+` from bytes. One pass with checked arithmetic; no allocation and
/// no UTF-8 validation (digits are ASCII).
pub(crate) fn parse_int(b: &[u8]) -> Option<ParsedInt> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    if digits.len() <= 19 {
        // 19 digits never overflow a u64: no checked arithmetic on the common path.
        let mut acc = 0u64;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            acc = acc * 10 + u64::from(d);
        }
        return Some(ParsedInt { negative, magnitude: Some(acc) });
    }
    let mut acc: Option<u64> = Some(0);
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.and_then(|a| a.checked_mul(10)).and_then(|a| a.checked_add(u64::from(d)));
    }
    Some(ParsedInt { negative, magnitude: acc })
}

fn parse_int_cell(raw: &[u8], column: &Column) -> Result<ParsedInt, DecodeError> {
    if column.column_type() == column_type::BIT {
        // Raw big-endian bits, at most 8 bytes (BIT(64)).
        if raw.len() > 8 {
            return Err(DecodeError::invalid("BIT value", raw));
        }
        let v = raw.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        return Ok(ParsedInt { negative: false, magnitude: Some(v) });
    }
    let mut text = raw;
    if matches!(column.column_type(), column_type::DECIMAL | column_type::NEWDECIMAL) {
        // `SUM(int_col)` is DECIMAL(n,0), but `5.00` from DECIMAL(10,2) is an integer too.
        if let Some(dot) = raw.iter().position(|&b| b == b'.') {
            if raw[dot + 1..].iter().all(|&b| b == b'0') {
                text = &raw[..dot];
            }
        }
    }
    parse_int(text).ok_or_else(|| DecodeError::invalid("integer", raw))
}

#[cold]
fn out_of_range(p: ParsedInt, raw: &[u8]) -> DecodeError {
    match p.magnitude {
        Some(m) if p.negative => DecodeError::new(format!("value -{m} out of range")),
        Some(m) => DecodeError::new(format!("value {m} out of range")),
        None => DecodeError::new(format!("value {} out of range", raw.escape_ascii())),
    }
}

fn signed_in_range<T: TryFrom<i64>>(p: ParsedInt, raw: &[u8]) -> Result<T, DecodeError> {
    let wide = match (p.negative, p.magnitude) {
        (true, Some(m)) => 0i64.checked_sub_unsigned(m),
        (false, Some(m)) => i64::try_from(m).ok(),
        (_, None) => None,
    };
    wide.and_then(|v| T::try_from(v).ok()).ok_or_else(|| out_of_range(p, raw))
}

fn unsigned_in_range<T: TryFrom<u64>>(p: ParsedInt, raw: &[u8]) -> Result<T, DecodeError> {
    let wide = match (p.negative, p.magnitude) {
        (true, Some(0)) | (false, Some(_)) => p.magnitude,
        _ => None,
    };
    wide.and_then(|v| T::try_from(v).ok()).ok_or_else(|| out_of_range(p, raw))
}

/// Integers read integer cells directly; DECIMAL, string and BIT cells hold the text
/// protocol's bytes and go through `from_sql` (via `via_text`), as do FLOAT/DOUBLE and
/// temporal cells, rendered.
macro_rules! int_from_sql {
    ($in_range:ident: $($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_sql(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
                let raw = non_null(raw)?;
                $in_range(parse_int_cell(raw, column)?, raw)
            }

            fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
                if let Some(b) = raw {
                    // In range: the value itself. Out of range or not an integer cell:
                    // the general path below, which says why.
                    if let Some(v) = exact_int(b, column).and_then(|v| Self::try_from(v).ok()) {
                        return Ok(v);
                    }
                    if let Some(v) = binary_int(b, column) {
                        return $in_range(v?.parsed(), b);
                    }
                }
                via_text(raw, column)
            }
        }
    )*};
}
int_from_sql!(signed_in_range: i8, i16, i32, i64, isize);
int_from_sql!(unsigned_in_range: u8, u16, u32, u64, usize);

impl FromSql for bool {
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match u64::from_sql(raw, column) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            Ok(v) => Err(not_a_bool(v)),
            Err(e) if raw.is_none() => Err(e),
            Err(_) => Err(DecodeError::invalid("boolean", raw.unwrap_or_default())),
        }
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match u64::from_binary(raw, column) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            Ok(v) => Err(not_a_bool(v)),
            // The error shows the value as text, as over COM_QUERY.
            Err(_) => via_text(raw, column),
        }
    }
}

fn not_a_bool(v: u64) -> DecodeError {
    DecodeError::new(format!("value {v} is not a boolean (0 or 1)"))
}

/// Floats read FLOAT, DOUBLE and integer cells directly (see `binary_f64`).
macro_rules! float_from_sql {
    ($($t:ty => $binary:ident),*) => {$(
        impl FromSql for $t {
            fn from_sql(raw: Option<&[u8]>, _column: &Column) -> Result<Self, DecodeError> {
                let raw = non_null(raw)?;
                std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| s.parse::<$t>().ok())
                    .ok_or_else(|| DecodeError::invalid("number", raw))
            }

            fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
                match raw.and_then(|b| $binary(b, column)) {
                    Some(v) => v,
                    None => via_text(raw, column),
                }
            }
        }
    )*};
}
float_from_sql!(f32 => binary_f32, f64 => binary_f64);

/// Borrows a cell as `&str`, reporting where invalid UTF-8 starts.
pub(crate) fn utf8(raw: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(raw)
        .map_err(|e| DecodeError::new(format!("invalid UTF-8 at byte {} of {}", e.valid_up_to(), show_bytes(raw))))
}

impl FromSql for String {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> Result<Self, DecodeError> {
        utf8(non_null(raw)?).map(str::to_owned)
    }
}

impl FromSql for Vec<u8> {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> Result<Self, DecodeError> {
        non_null(raw).map(<[u8]>::to_vec)
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match raw {
            None => Ok(None),
            Some(_) => T::from_sql(raw, column).map(Some),
        }
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match raw {
            None => Ok(None),
            Some(_) => T::from_binary(raw, column).map(Some),
        }
    }
}

/// Decodes NULL *and MySQL's zero date* (`0000-00-00`, `0000-00-00 00:00:00[.000000]`) to
/// `None`, anything else through `T`.
///
/// An explicit opt-in: a zero date is not NULL (`WHERE d IS NULL` does not find it), so
/// `Option<NaiveDate>` reports it as an error instead of silently turning it into `None`.
/// Legacy schemas that use zero dates as "no date" can decode into
/// `ZeroDateAsNone<NaiveDate>` (or `ZeroDateAsNone<amysql::Date>`) and say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ZeroDateAsNone<T>(pub Option<T>);

impl<T> ZeroDateAsNone<T> {
    /// The decoded value.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: FromSql> FromSql for ZeroDateAsNone<T> {
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match raw {
            None => Ok(ZeroDateAsNone(None)),
            Some(b) if is_zero_date(b) => Ok(ZeroDateAsNone(None)),
            Some(_) => T::from_sql(raw, column).map(|v| ZeroDateAsNone(Some(v))),
        }
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> Result<Self, DecodeError> {
        match raw {
            None => Ok(ZeroDateAsNone(None)),
            Some(b) if is_binary_zero_date(b, column) => Ok(ZeroDateAsNone(None)),
            Some(_) => T::from_binary(raw, column).map(|v| ZeroDateAsNone(Some(v))),
        }
    }
}

pub(crate) fn is_zero_date(b: &[u8]) -> bool {
    match b.strip_prefix(b"0000-00-00") {
        Some(rest) => {
            let time = rest.strip_prefix(b" ").unwrap_or(rest);
            time.iter().all(|&c| matches!(c, b'0' | b':' | b'.'))
        }
        None => false,
    }
}

#[cfg(test)]
#[path = "from_sql_tests.rs"]
mod tests;
