//! Binary-protocol cells (prepared-statement results) for `FromSql::from_binary`.
//!
//! `protocol::binary_row` says what a cell holds per column type: little-endian numbers,
//! temporal structs without their length byte, or the same length-encoded bytes as the
//! text protocol. Built-in types read numbers and temporal values straight from those
//! bytes; every other `FromSql` type gets the cell rendered as the text the server would
//! have sent (`binary_to_text`), so it decodes exactly as it does over COM_QUERY.
//!
//! The rule the fast paths keep: decoding a binary cell gives what decoding the text
//! rendering would, errors included. Where a direct read finds a value the text parser
//! would reject, it falls back to the text path, so the error message is the same.
//! The one deliberate difference: numbers read a FLOAT or DOUBLE cell's stored value,
//! where the server's text rounds it. Read as text (`String`, bytes, `Decimal`, user
//! types), a FLOAT shows 6 significant digits (`CAST(12345.678 AS FLOAT)` is `12345.7`)
//! and a `FLOAT(7,2)`/`DOUBLE(10,3)` exactly its scale's decimals, as over COM_QUERY
//! (float_text has the server's rule); `f32`, `f64` and `Value::Float`/`Value::Double`
//! get the exact stored number (`12345.678`), which the text no longer carries.

use std::fmt::{self, Write as _};

use super::float_text::{write_double, write_fixed, write_float};
use super::from_sql::{decode_failed, is_zero_date, DecodeError, FromSql, ParsedInt};
use super::time::{Date, DateTime, Time};
use crate::protocol::binary_row::{binary_layout, BinaryLayout};
use crate::protocol::column::Column;
use crate::protocol::constants::{column_flag, column_type};

/// Decodes one binary-protocol cell, with `decode_column`'s error wording:
/// "column 2 `age` (TINYINT) into u8: value 300 out of range".
#[inline(always)]
pub fn decode_binary_column<T: FromSql>(raw: Option<&[u8]>, column: &Column, index: usize) -> crate::Result<T> {
    T::from_binary(raw, column).map_err(|e| decode_failed(e, column, index, std::any::type_name::<T>()))
}

/// Room for the longest text form: a DOUBLE with 30 fixed decimals is a sign, up to 309
/// integer digits, a point and 30 digits (341 bytes). Temporal values need at most 40.
const TEXT_CAP: usize = 352;

/// A stack buffer for one rendered cell; writes past its end fail instead of panicking.
pub(crate) struct TextBuf {
    bytes: [u8; TEXT_CAP],
    len: usize,
}

impl TextBuf {
    pub(crate) fn new() -> TextBuf {
        TextBuf { bytes: [0; TEXT_CAP], len: 0 }
    }

    fn push(&mut self, s: &[u8]) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s);
        self.len = end;
        Ok(())
    }

    /// Left-pads everything written so far with zeros to `width` bytes (ZEROFILL).
    fn zero_fill(&mut self, width: usize) -> fmt::Result {
        let pad = width.saturating_sub(self.len);
        if pad > 0 {
            if width > TEXT_CAP {
                return Err(fmt::Error);
            }
            self.bytes.copy_within(..self.len, pad);
            self.bytes[..pad].fill(b'0');
            self.len = width;
        }
        Ok(())
    }
}

impl fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes())
    }
}

/// The default `from_binary`: length-encoded cells already hold the text; other cells are
/// rendered as the text protocol would send them, then decoded with `from_sql`.
#[inline]
pub(crate) fn via_text<T: FromSql>(raw: Option<&[u8]>, column: &Column) -> Result<T, DecodeError> {
    match raw {
        Some(bytes) if binary_layout(column.column_type()) != BinaryLayout::LengthEncoded => rendered(bytes, column),
        _ => T::from_sql(raw, column),
    }
}

// Not inlined: it carries a 352-byte buffer and the renderers, which the common case
// above (strings, decimals: length-encoded cells) should not pay for in its frame.
#[inline(never)]
fn rendered<T: FromSql>(bytes: &[u8], column: &Column) -> Result<T, DecodeError> {
    let mut buf = TextBuf::new();
    T::from_sql(Some(binary_to_text(bytes, column, &mut buf)?), column)
}

/// Renders a binary cell as the server's text-protocol form of the same value: integers
/// (YEAR 4 wide, ZEROFILL padded), FLOAT/DOUBLE in the server's notation and precision
/// (or with the column's fixed decimals), DATE, DATETIME and TIME with the fraction the column's
/// scale shows. Length-encoded cells are returned as they are.
pub(crate) fn binary_to_text<'a>(
    raw: &'a [u8],
    column: &Column,
    buf: &'a mut TextBuf,
) -> Result<&'a [u8], DecodeError> {
    use column_type::*;
    buf.len = 0;
    let numeric = if let Some(int) = binary_int(raw, column) {
        let width = if column.column_type() == YEAR { 4 } else { 0 };
        match int? {
            BinaryInt::Signed(v) => write!(buf, "{v:0width$}"),
            BinaryInt::Unsigned(v) => write!(buf, "{v:0width$}"),
        }
        .map(|()| true)
    } else {
        match column.column_type() {
            FLOAT => {
                let v = f32::from_le_bytes(fixed(raw, column)?);
                match fixed_scale(column) {
                    Some(decimals) => write_fixed(buf, f64::from(v), decimals),
                    None => write_float(buf, v),
                }
                .map(|()| true)
            }
            DOUBLE => {
                let v = f64::from_le_bytes(fixed(raw, column)?);
                match fixed_scale(column) {
                    Some(decimals) => write_fixed(buf, v, decimals),
                    None => write_double(buf, v),
                }
                .map(|()| true)
            }
            _ => match binary_layout(column.column_type()) {
                BinaryLayout::DateTime => write_datetime(buf, &datetime_fields(raw, column)?, column).map(|()| false),
                BinaryLayout::Time => write_time(buf, &time_fields(raw, column)?, column.decimals()).map(|()| false),
                BinaryLayout::Fixed(_) | BinaryLayout::LengthEncoded => return Ok(raw),
            },
        }
    };
    let filled = match numeric {
        Ok(true) if column.flags() & column_flag::ZEROFILL != 0 => {
            buf.zero_fill(usize::try_from(column.column_length()).unwrap_or(usize::MAX))
        }
        other => other.map(|_| ()),
    };
    filled.map_err(|_| DecodeError::new(format!("binary {} value too long to show as text", column.type_name())))?;
    Ok(&buf.bytes[..buf.len])
}

/// An integer cell's value, by its signedness on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BinaryInt {
    Signed(i64),
    Unsigned(u64),
}

impl BinaryInt {
    /// The sign-and-magnitude form the text decoders range-check.
    pub(crate) fn parsed(self) -> ParsedInt {
        match self {
            BinaryInt::Signed(v) => ParsedInt { negative: v < 0, magnitude: Some(v.unsigned_abs()) },
            BinaryInt::Unsigned(v) => ParsedInt { negative: false, magnitude: Some(v) },
        }
    }
}

/// An integer cell whose width matches its column type, as an `i128` (which holds every
/// signed and unsigned value): the per-row fast path of the integer decoders, and the
/// reader behind `binary_int`. `None` for other column types and for cells of the wrong
/// width.
#[inline]
pub(crate) fn exact_int(raw: &[u8], column: &Column) -> Option<i128> {
    use column_type::*;
    let width = int_width(column.column_type())?;
    let unsigned = column.is_unsigned() || column.column_type() == YEAR;
    Some(match *raw {
        [a] if width == 1 => {
            if unsigned {
                i128::from(a)
            } else {
                i128::from(a as i8)
            }
        }
        [a, b] if width == 2 => {
            let v = u16::from_le_bytes([a, b]);
            if unsigned {
                i128::from(v)
            } else {
                i128::from(v as i16)
            }
        }
        [a, b, c, d] if width == 4 => {
            let v = u32::from_le_bytes([a, b, c, d]);
            if unsigned {
                i128::from(v)
            } else {
                i128::from(v as i32)
            }
        }
        [a, b, c, d, e, f, g, h] if width == 8 => {
            let v = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
            if unsigned {
                i128::from(v)
            } else {
                i128::from(v as i64)
            }
        }
        _ => return None,
    })
}

/// The width of an integer column type's binary cells; `None` for other types.
fn int_width(column_type: u8) -> Option<usize> {
    use column_type::*;
    Some(match column_type {
        TINY => 1,
        SHORT | YEAR => 2,
        // INT24 travels as a full 4-byte integer.
        INT24 | LONG => 4,
        LONGLONG => 8,
        _ => return None,
    })
}

/// The integer in a TINY..LONGLONG or YEAR cell; `None` for other column types.
pub(crate) fn binary_int(raw: &[u8], column: &Column) -> Option<Result<BinaryInt, DecodeError>> {
    let expected = int_width(column.column_type())?;
    Some(match exact_int(raw, column) {
        // Negative values come from signed columns and fit i64; the rest fit u64.
        Some(v) => Ok(u64::try_from(v).map_or(BinaryInt::Signed(v as i64), BinaryInt::Unsigned)),
        None => Err(DecodeError::new(format!(
            "binary {} cell of {} bytes (expected {expected})",
            column.type_name(),
            raw.len()
        ))),
    })
}

/// The cell as an `N`-byte array; another length means the caller's row parsing and the
/// column type disagree.
fn fixed<const N: usize>(raw: &[u8], column: &Column) -> Result<[u8; N], DecodeError> {
    raw.try_into().map_err(|_| {
        DecodeError::new(format!("binary {} cell of {} bytes (expected {N})", column.type_name(), raw.len()))
    })
}

/// A FLOAT, DOUBLE or integer cell as an `f64`: a DOUBLE exactly, a FLOAT as the nearest
/// f64 to its shortest decimal form (so FLOAT 1.1 reads as 1.1, as over text), an integer
/// rounded once. `None` for other column types.
pub(crate) fn binary_f64(raw: &[u8], column: &Column) -> Option<Result<f64, DecodeError>> {
    Some(match column.column_type() {
        column_type::DOUBLE => fixed(raw, column).map(f64::from_le_bytes),
        column_type::FLOAT => fixed(raw, column).map(|b| reparse(f32::from_le_bytes(b), f64::from)),
        _ => binary_int(raw, column)?.map(|v| match v {
            BinaryInt::Signed(v) => v as f64,
            BinaryInt::Unsigned(v) => v as f64,
        }),
    })
}

/// `binary_f64` for `f32`: a FLOAT exactly, a DOUBLE through its shortest decimal form.
pub(crate) fn binary_f32(raw: &[u8], column: &Column) -> Option<Result<f32, DecodeError>> {
    Some(match column.column_type() {
        column_type::FLOAT => fixed(raw, column).map(f32::from_le_bytes),
        // The fallback only runs for a text ryu cannot have produced.
        column_type::DOUBLE => fixed(raw, column).map(|b| reparse(f64::from_le_bytes(b), |v| v as f32)),
        _ => binary_int(raw, column)?.map(|v| match v {
            BinaryInt::Signed(v) => v as f32,
            BinaryInt::Unsigned(v) => v as f32,
        }),
    })
}

/// Parses `v`'s shortest text as `T`: what `from_sql` does with the server's text.
fn reparse<F: ryu::Float + Copy, T: std::str::FromStr>(v: F, fallback: fn(F) -> T) -> T {
    shortest(&mut ryu::Buffer::new(), v).parse().unwrap_or_else(|_| fallback(v))
}

/// The shortest text that reads back as `v`, without ryu's ".0" on whole numbers (the
/// server sends `1`, not `1.0`). `format` handles NaN and infinities.
fn shortest<F: ryu::Float>(buf: &mut ryu::Buffer, v: F) -> &str {
    let s = buf.format(v);
    s.strip_suffix(".0").unwrap_or(s)
}

/// MySQL's `NOT_FIXED_DEC`: a FLOAT/DOUBLE scale from here up means "no fixed scale".
const NOT_FIXED_DEC: u8 = 31;

/// The scale a FLOAT/DOUBLE column's text shows (FLOAT(M,D), DOUBLE(M,D), fixed-scale
/// expressions); `None` for the free format (float_text has both renderings).
fn fixed_scale(column: &Column) -> Option<u8> {
    Some(column.decimals()).filter(|&d| d < NOT_FIXED_DEC)
}

/// A DATE/DATETIME/TIMESTAMP cell's fields as the text protocol would show them: the
/// date only for DATE columns, the fraction cut to the column's scale. Not validated.
fn datetime_fields(raw: &[u8], column: &Column) -> Result<DateTime, DecodeError> {
    if !matches!(raw.len(), 0 | 4 | 7 | 11) {
        return Err(bad_length(raw, column));
    }
    let mut dt = DateTime::default();
    if let [y0, y1, month, day, ..] = *raw {
        (dt.year, dt.month, dt.day) = (u16::from_le_bytes([y0, y1]), month, day);
    }
    if is_date_column(column) {
        return Ok(dt);
    }
    if let [_, _, _, _, hour, minute, second, ..] = *raw {
        (dt.hour, dt.minute, dt.second) = (hour, minute, second);
    }
    if let Some(&[a, b, c, d]) = raw.get(7..11) {
        dt.micros = shown_micros(u32::from_le_bytes([a, b, c, d]), column.decimals());
    }
    Ok(dt)
}

fn is_date_column(column: &Column) -> bool {
    matches!(column.column_type(), column_type::DATE | column_type::NEWDATE)
}

/// A TIME cell's fields, hours including the days. Not validated.
#[derive(Debug, Default)]
struct TimeFields {
    negative: bool,
    hours: u64,
    minutes: u8,
    seconds: u8,
    micros: u32,
}

fn time_fields(raw: &[u8], column: &Column) -> Result<TimeFields, DecodeError> {
    if !matches!(raw.len(), 0 | 8 | 12) {
        return Err(bad_length(raw, column));
    }
    let mut t = TimeFields::default();
    if let [negative, d0, d1, d2, d3, hour, minute, second, ..] = *raw {
        t.negative = negative != 0;
        // Days can be any u32 here: in u64 the product cannot overflow.
        t.hours = u64::from(u32::from_le_bytes([d0, d1, d2, d3])) * 24 + u64::from(hour);
        (t.minutes, t.seconds) = (minute, second);
    }
    if let Some(&[a, b, c, d]) = raw.get(8..12) {
        t.micros = shown_micros(u32::from_le_bytes([a, b, c, d]), column.decimals());
    }
    Ok(t)
}

#[cold]
fn bad_length(raw: &[u8], column: &Column) -> DecodeError {
    DecodeError::new(format!("binary {} cell of invalid length {}", column.type_name(), raw.len()))
}

/// How many fraction digits the text protocol shows: the column's scale, or for a scale
/// that is not 0..=6 (expressions without a fixed one) all six when there is a fraction.
fn fraction_digits(micros: u32, decimals: u8) -> u32 {
    match decimals {
        0..=6 => u32::from(decimals),
        _ if micros == 0 => 0,
        _ => 6,
    }
}

/// The microseconds the text shows, cut to the scale. An impossible value (a million or
/// more) is kept whenever a fraction is shown, so that validation rejects it.
fn shown_micros(micros: u32, decimals: u8) -> u32 {
    match fraction_digits(micros, decimals) {
        0 => 0,
        _ if micros >= 1_000_000 => micros,
        n => micros - micros % 10u32.pow(6 - n),
    }
}

fn write_fraction(buf: &mut TextBuf, micros: u32, decimals: u8) -> fmt::Result {
    let n = fraction_digits(micros, decimals) as usize;
    if n == 0 {
        Ok(())
    } else if micros >= 1_000_000 {
        // Seven or more digits: no parser reads this as a fraction, as it should not.
        write!(buf, ".{micros}")
    } else {
        let mut digits = [0u8; 6];
        let mut m = micros;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (m % 10) as u8;
            m /= 10;
        }
        buf.push(b".")?;
        buf.push(&digits[..n])
    }
}

fn write_datetime(buf: &mut TextBuf, dt: &DateTime, column: &Column) -> fmt::Result {
    write!(buf, "{:04}-{:02}-{:02}", dt.year, dt.month, dt.day)?;
    if is_date_column(column) {
        return Ok(());
    }
    write!(buf, " {:02}:{:02}:{:02}", dt.hour, dt.minute, dt.second)?;
    write_fraction(buf, dt.micros, column.decimals())
}

fn write_time(buf: &mut TextBuf, t: &TimeFields, decimals: u8) -> fmt::Result {
    let sign = if t.negative { "-" } else { "" };
    write!(buf, "{sign}{:02}:{:02}:{:02}", t.hours, t.minutes, t.seconds)?;
    write_fraction(buf, t.micros, decimals)
}

/// A DATE cell as a valid `Date`; `None` for other columns and for values the text parser
/// would reject (the caller then takes the text path for its error).
pub(crate) fn binary_date(raw: &[u8], column: &Column) -> Option<Date> {
    if !is_date_column(column) {
        return None;
    }
    let dt = datetime_fields(raw, column).ok()?;
    Date::new(dt.year, dt.month, dt.day)
}

/// A DATE, DATETIME or TIMESTAMP cell as a valid `DateTime` (a DATE as midnight).
pub(crate) fn binary_datetime(raw: &[u8], column: &Column) -> Option<DateTime> {
    if binary_layout(column.column_type()) != BinaryLayout::DateTime {
        return None;
    }
    let dt = datetime_fields(raw, column).ok()?;
    DateTime::new(dt.date(), dt.hour, dt.minute, dt.second, dt.micros)
}

/// A DATE, DATETIME or TIMESTAMP cell's fields as `binary_datetime` reads them, before
/// its validation: for decoders that validate anyway (chrono) and need not do it twice.
#[cfg_attr(not(feature = "chrono"), allow(dead_code))]
pub(crate) fn binary_datetime_fields(raw: &[u8], column: &Column) -> Option<DateTime> {
    if binary_layout(column.column_type()) != BinaryLayout::DateTime {
        return None;
    }
    datetime_fields(raw, column).ok()
}

/// A TIME cell as a valid `Time`.
pub(crate) fn binary_time(raw: &[u8], column: &Column) -> Option<Time> {
    if binary_layout(column.column_type()) != BinaryLayout::Time {
        return None;
    }
    let t = time_fields(raw, column).ok()?;
    Time::new(t.negative, u32::try_from(t.hours).ok()?, t.minutes, t.seconds, t.micros)
}

/// Decodes with `direct` when it reads the cell, else as the text protocol would: the
/// `from_binary` of types with a direct binary form.
pub(crate) fn direct_or_text<T: FromSql>(
    raw: Option<&[u8]>,
    column: &Column,
    direct: fn(&[u8], &Column) -> Option<T>,
) -> Result<T, DecodeError> {
    match raw.and_then(|b| direct(b, column)) {
        Some(v) => Ok(v),
        None => via_text(raw, column),
    }
}

/// True when the cell's text would be a zero date (`ZeroDateAsNone`): a DATE/DATETIME
/// whose shown fields are all zero, or a string cell holding such text.
pub(crate) fn is_binary_zero_date(raw: &[u8], column: &Column) -> bool {
    match binary_layout(column.column_type()) {
        BinaryLayout::DateTime => datetime_fields(raw, column).is_ok_and(|dt| dt.is_zero()),
        BinaryLayout::LengthEncoded => is_zero_date(raw),
        BinaryLayout::Fixed(_) | BinaryLayout::Time => false,
    }
}

#[cfg(test)]
#[path = "from_binary_tests.rs"]
mod tests;
