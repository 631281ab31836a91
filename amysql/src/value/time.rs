//! MySQL's own temporal types: DATE, DATETIME/TIMESTAMP and TIME as the server stores
//! them, not as a calendar library would.
//!
//! They exist so that every value the server can send round-trips without a chrono
//! dependency, including the ones calendar types reject: zero dates (`0000-00-00`),
//! zero-in-date parts (`2024-00-00`, allowed by some `sql_mode`s) and TIME intervals up
//! to ±838:59:59. Fields are public for easy matching; out-of-range fields are refused
//! when the value is written as a literal, so a hand-built value cannot produce SQL the
//! server would misread. Parsing never panics on any input.

use std::fmt;

use super::format::FormatContext;
use super::from_binary::{binary_date, binary_datetime, binary_time, direct_or_text};
use super::from_sql::{non_null, DecodeError, FromSql};
use super::to_sql::ToSql;
use crate::error::{Error, Result};
use crate::protocol::column::Column;

/// A DATE: year 0..=9999, month 0..=12, day 0..=31 (zero parts allowed, as in MySQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// A DATETIME or TIMESTAMP with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub micros: u32,
}

/// A TIME: a signed interval from -838:59:59.999999 to 838:59:59.999999.
/// Zero is never negative, so derived equality is value equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Time {
    pub negative: bool,
    pub hours: u32,
    pub minutes: u8,
    pub seconds: u8,
    pub micros: u32,
}

/// The largest TIME hour.
pub const MAX_TIME_HOURS: u32 = 838;

impl Date {
    /// A date if the parts are storable in MySQL (zero parts allowed).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let d = Date { year, month, day };
        d.is_valid().then_some(d)
    }

    /// True for `0000-00-00`.
    pub fn is_zero(&self) -> bool {
        *self == Date::default()
    }

    fn is_valid(&self) -> bool {
        self.year <= 9999 && self.month <= 12 && self.day <= 31
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(b: &[u8]) -> Option<Date> {
        match *b {
            [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] => {
                let year = u16::try_from(digits(&[y0, y1, y2, y3])?).ok()?;
                let month = u8::try_from(digits(&[m0, m1])?).ok()?;
                let day = u8::try_from(digits(&[d0, d1])?).ok()?;
                Date::new(year, month, day)
            }
            _ => None,
        }
    }

    fn write_digits(&self, out: &mut Vec<u8>) {
        push_padded(out, u32::from(self.year), 4);
        out.push(b'-');
        push_padded(out, u32::from(self.month), 2);
        out.push(b'-');
        push_padded(out, u32::from(self.day), 2);
    }
}

impl DateTime {
    /// A datetime if the parts are storable in MySQL (zero date parts allowed).
    pub fn new(date: Date, hour: u8, minute: u8, second: u8, micros: u32) -> Option<DateTime> {
        let dt = DateTime { year: date.year, month: date.month, day: date.day, hour, minute, second, micros };
        dt.is_valid().then_some(dt)
    }

    /// The date part.
    pub fn date(&self) -> Date {
        Date { year: self.year, month: self.month, day: self.day }
    }

    /// True for `0000-00-00 00:00:00`.
    pub fn is_zero(&self) -> bool {
        *self == DateTime::default()
    }

    fn is_valid(&self) -> bool {
        self.date().is_valid() && self.hour < 24 && self.minute < 60 && self.second < 60 && self.micros < 1_000_000
    }

    /// Parses `YYYY-MM-DD hh:mm:ss[.f{1,6}]`, or a bare `YYYY-MM-DD` as midnight.
    pub fn parse(b: &[u8]) -> Option<DateTime> {
        let date = Date::parse(b.get(..10)?)?;
        if b.len() == 10 {
            return DateTime::new(date, 0, 0, 0, 0);
        }
        let time = b.get(10..)?.strip_prefix(b" ")?;
        let (clock, micros) = split_fraction(time)?;
        match *clock {
            [h0, h1, b':', m0, m1, b':', s0, s1] => DateTime::new(
                date,
                u8::try_from(digits(&[h0, h1])?).ok()?,
                u8::try_from(digits(&[m0, m1])?).ok()?,
                u8::try_from(digits(&[s0, s1])?).ok()?,
                micros,
            ),
            _ => None,
        }
    }
}

impl Time {
    /// A TIME if it is within ±838:59:59.999999; a zero interval is made non-negative.
    pub fn new(negative: bool, hours: u32, minutes: u8, seconds: u8, micros: u32) -> Option<Time> {
        let mut t = Time { negative, hours, minutes, seconds, micros };
        if t.total_micros() == 0 {
            t.negative = false;
        }
        t.is_valid().then_some(t)
    }

    fn is_valid(&self) -> bool {
        self.hours <= MAX_TIME_HOURS && self.minutes < 60 && self.seconds < 60 && self.micros < 1_000_000
    }

    /// The interval's absolute length in microseconds.
    pub fn total_micros(&self) -> u64 {
        let secs = (u64::from(self.hours) * 60 + u64::from(self.minutes)) * 60 + u64::from(self.seconds);
        secs * 1_000_000 + u64::from(self.micros)
    }

    /// Parses `[-]h{1,3}:mm:ss[.f{1,6}]`, the server's TIME text.
    pub fn parse(b: &[u8]) -> Option<Time> {
        let (negative, b) = match b.strip_prefix(b"-") {
            Some(rest) => (true, rest),
            None => (false, b),
        };
        let (clock, micros) = split_fraction(b)?;
        let colon = clock.iter().position(|&c| c == b':')?;
        let (hours, rest) = clock.split_at(colon);
        if hours.is_empty() || hours.len() > 3 {
            return None;
        }
        match *rest {
            [b':', m0, m1, b':', s0, s1] => Time::new(
                negative,
                digits(hours)?,
                u8::try_from(digits(&[m0, m1])?).ok()?,
                u8::try_from(digits(&[s0, s1])?).ok()?,
                micros,
            ),
            _ => None,
        }
    }

    fn write_digits(&self, out: &mut Vec<u8>) {
        if self.negative {
            out.push(b'-');
        }
        push_padded(out, self.hours, 2);
        out.push(b':');
        push_padded(out, u32::from(self.minutes), 2);
        out.push(b':');
        push_padded(out, u32::from(self.seconds), 2);
        push_micros(out, self.micros);
    }
}

/// Splits `clock[.fraction]` and scales a 1..=6 digit fraction to microseconds.
fn split_fraction(b: &[u8]) -> Option<(&[u8], u32)> {
    match b.iter().position(|&c| c == b'.') {
        None => Some((b, 0)),
        Some(dot) => {
            let frac = &b[dot + 1..];
            if frac.is_empty() || frac.len() > 6 {
                return None;
            }
            let scale = 10u32.pow(6 - u32::try_from(frac.len()).ok()?);
            Some((&b[..dot], digits(frac)? * scale))
        }
    }
}

/// Parses up to 9 ASCII digits (callers pass at most 6), `None` on anything else.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        let d = c.wrapping_sub(b'0');
        (d <= 9).then(|| acc * 10 + u32::from(d))
    })
}

fn push_padded(out: &mut Vec<u8>, v: u32, width: usize) {
    let mut buf = itoa::Buffer::new();
    let s = buf.format(v);
    out.extend(std::iter::repeat(b'0').take(width.saturating_sub(s.len())));
    out.extend_from_slice(s.as_bytes());
}

/// `.ffffff` when there are microseconds; PyMySQL leaves the fraction out otherwise.
fn push_micros(out: &mut Vec<u8>, micros: u32) {
    if micros != 0 {
        out.push(b'.');
        push_padded(out, micros, 6);
    }
}

fn invalid_literal(what: &str, v: &dyn fmt::Debug) -> Error {
    Error::Encode(format!("{what} out of range for MySQL: {v:?}"))
}

impl ToSql for Date {
    fn write_binary(&self, out: &mut Vec<u8>) -> super::binary::BinaryResult {
        if !self.is_valid() {
            return Err(invalid_literal("DATE", self));
        }
        super::binary::put_date(self, out)
    }

    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        if !self.is_valid() {
            return Err(invalid_literal("DATE", self));
        }
        out.push(b'\'');
        self.write_digits(out);
        out.push(b'\'');
        Ok(())
    }
}

impl ToSql for DateTime {
    fn write_binary(&self, out: &mut Vec<u8>) -> super::binary::BinaryResult {
        if !self.is_valid() {
            return Err(invalid_literal("DATETIME", self));
        }
        super::binary::put_datetime(self, out)
    }

    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        if !self.is_valid() {
            return Err(invalid_literal("DATETIME", self));
        }
        out.push(b'\'');
        self.date().write_digits(out);
        out.push(b' ');
        push_padded(out, u32::from(self.hour), 2);
        out.push(b':');
        push_padded(out, u32::from(self.minute), 2);
        out.push(b':');
        push_padded(out, u32::from(self.second), 2);
        push_micros(out, self.micros);
        out.push(b'\'');
        Ok(())
    }
}

impl ToSql for Time {
    fn write_binary(&self, out: &mut Vec<u8>) -> super::binary::BinaryResult {
        if !self.is_valid() {
            return Err(invalid_literal("TIME", self));
        }
        super::binary::put_time(self, out)
    }

    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        if !self.is_valid() {
            return Err(invalid_literal("TIME", self));
        }
        out.push(b'\'');
        self.write_digits(out);
        out.push(b'\'');
        Ok(())
    }
}

/// Display is the literal without quotes; out-of-range fields are shown as they are.
fn display_via(f: &mut fmt::Formatter<'_>, literal: Result<Vec<u8>>, fallback: &dyn fmt::Debug) -> fmt::Result {
    match literal {
        Ok(bytes) => f.write_str(std::str::from_utf8(&bytes[1..bytes.len() - 1]).map_err(|_| fmt::Error)?),
        Err(_) => write!(f, "{fallback:?}"),
    }
}

macro_rules! temporal_traits {
    ($($t:ident => $what:literal, $binary:ident),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut out = Vec::with_capacity(28);
                let written = self.write_sql(&mut out, &FormatContext::default()).map(|()| out);
                display_via(f, written, self)
            }
        }

        impl FromSql for $t {
            fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
                let raw = non_null(raw)?;
                $t::parse(raw).ok_or_else(|| DecodeError::invalid($what, raw))
            }

            /// Straight from the binary layout; other cells decode as their text would.
            fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
                direct_or_text(raw, column, $binary)
            }
        }
    )*};
}
temporal_traits!(Date => "DATE", binary_date, DateTime => "DATETIME", binary_datetime, Time => "TIME", binary_time);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::test_support::lit;

    #[test]
    fn parse_dates() {
        assert_eq!(Date::parse(b"2024-01-02"), Some(Date { year: 2024, month: 1, day: 2 }));
        assert_eq!(Date::parse(b"0000-00-00").map(|d| d.is_zero()), Some(true));
        assert_eq!(Date::parse(b"2024-13-01"), None);
        assert_eq!(Date::parse(b"2024-01-32"), None);
        assert_eq!(Date::parse(b"2024-1-02"), None);
        assert_eq!(Date::parse(b"2024-01-02 "), None);
        assert_eq!(Date::parse(b"+024-01-02"), None);
    }

    #[test]
    fn parse_datetimes() {
        let dt = DateTime::parse(b"2024-01-02 03:04:05.123456").unwrap();
        assert_eq!((dt.hour, dt.minute, dt.second, dt.micros), (3, 4, 5, 123_456));
        assert_eq!(DateTime::parse(b"2024-01-02 03:04:05.5").unwrap().micros, 500_000);
        assert_eq!(DateTime::parse(b"2024-01-02 03:04:05").unwrap().micros, 0);
        assert_eq!(DateTime::parse(b"2024-01-02").unwrap().hour, 0);
        assert!(DateTime::parse(b"0000-00-00 00:00:00").unwrap().is_zero());
        for bad in [
            &b"2024-01-02 24:00:00"[..],
            b"2024-01-02 03:04:05.",
            b"2024-01-02 03:04:05.1234567",
            b"2024-01-02T03:04:05",
            b"2024-01-02 3:04:05",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn parse_times() {
        let t = Time::parse(b"-838:59:59.000000").unwrap();
        assert_eq!((t.negative, t.hours, t.minutes, t.seconds, t.micros), (true, 838, 59, 59, 0));
        assert_eq!(Time::parse(b"12:34:56").unwrap().hours, 12);
        assert_eq!(Time::parse(b"1:02:03.25").unwrap().micros, 250_000);
        assert!(!Time::parse(b"-00:00:00").unwrap().negative);
        for bad in [&b"839:00:00"[..], b"1000:00:00", b"12:60:00", b"12:00", b"-", b"", b"12:34:56.", b":00:00"] {
            assert_eq!(Time::parse(bad), None, "{}", bad.escape_ascii());
        }
    }

    #[test]
    fn literals_and_display() {
        let dt = DateTime::parse(b"2024-01-02 03:04:05.123456").unwrap();
        assert_eq!(lit(&dt), "'2024-01-02 03:04:05.123456'");
        assert_eq!(dt.to_string(), "2024-01-02 03:04:05.123456");
        assert_eq!(lit(&DateTime::parse(b"2024-01-02 03:04:05").unwrap()), "'2024-01-02 03:04:05'");
        assert_eq!(lit(&Date::parse(b"0001-02-03").unwrap()), "'0001-02-03'");
        assert_eq!(lit(&Time::parse(b"-838:59:59").unwrap()), "'-838:59:59'");
        assert_eq!(lit(&Time::parse(b"-1:02:03.000004").unwrap()), "'-01:02:03.000004'");
        assert_eq!(Time::parse(b"5:06:07").unwrap().to_string(), "05:06:07");
        assert_eq!(Date::default().to_string(), "0000-00-00");
    }

    #[test]
    fn invalid_fields_are_refused_on_write() {
        let mut out = Vec::new();
        let bad = Date { year: 10_000, month: 1, day: 1 };
        let e = bad.write_sql(&mut out, &FormatContext::default()).unwrap_err();
        assert_eq!(e.to_string(), "encode error: DATE out of range for MySQL: Date { year: 10000, month: 1, day: 1 }");
        let t = Time { negative: false, hours: 839, minutes: 0, seconds: 0, micros: 0 };
        assert!(t.write_sql(&mut out, &FormatContext::default()).is_err());
        assert!(out.is_empty());
        assert!(t.to_string().contains("839"));
    }

    #[test]
    fn parse_never_panics_on_short_or_odd_input() {
        for n in 0..40 {
            let junk: Vec<u8> = (0..n).map(|i| b"0-: .9"[i % 6]).collect();
            let _ = (Date::parse(&junk), DateTime::parse(&junk), Time::parse(&junk));
        }
    }
}
