//! chrono support: `NaiveDate`, `NaiveTime`, `NaiveDateTime`, `DateTime<Utc>` and
//! `TimeDelta`, converted through amysql's own `Date`/`DateTime`/`Time` so that parsing
//! and literal writing live in one place.
//!
//! Precision is microseconds (MySQL's maximum); nanoseconds are truncated when sending.
//! `DateTime<Utc>` is written and read as the session's local time, so it is correct
//! when the session `time_zone` is `+00:00` (set it with `init_command`).
//! Zero dates and zero-in-date values have no chrono form and are decode errors; opt in
//! to reading zero dates as `None` with `ZeroDateAsNone<T>`.

use ::chrono::{DateTime as ChronoDateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};

use super::binary::BinaryResult;
use super::format::FormatContext;
use super::from_binary::binary_datetime_fields;
use super::from_sql::{non_null, DecodeError, FromSql};
use super::time::{Date, DateTime, Time, MAX_TIME_HOURS};
use super::to_sql::ToSql;
use super::Value;
use crate::error::{Error, Result};
use crate::protocol::column::Column;

fn date_of(d: NaiveDate) -> Result<Date> {
    u16::try_from(d.year())
        .ok()
        .and_then(|y| Date::new(y, u8::try_from(d.month()).ok()?, u8::try_from(d.day()).ok()?))
        .ok_or_else(|| Error::Encode(format!("date {d} is outside MySQL's years 0000..=9999")))
}

/// (hour, minute, second, micros); a leap second (nanos >= 1e9) is clamped to .999999.
fn clock_of(t: NaiveTime) -> (u8, u8, u8, u32) {
    let part = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    (part(t.hour()), part(t.minute()), part(t.second()), (t.nanosecond() / 1000).min(999_999))
}

fn datetime_of(dt: NaiveDateTime) -> Result<DateTime> {
    let (h, m, s, us) = clock_of(dt.time());
    let date = date_of(dt.date())?;
    DateTime::new(date, h, m, s, us).ok_or_else(|| Error::Encode(format!("invalid datetime {dt}")))
}

fn time_of(d: TimeDelta) -> Result<Time> {
    let out_of_range = || Error::Encode(format!("duration {d} is outside MySQL TIME's ±838:59:59.999999"));
    let total = d.num_microseconds().ok_or_else(out_of_range)?;
    let abs = total.unsigned_abs();
    let secs = abs / 1_000_000;
    let hours = u32::try_from(secs / 3600).ok().filter(|h| *h <= MAX_TIME_HOURS).ok_or_else(out_of_range)?;
    let minutes = u8::try_from(secs / 60 % 60).map_err(|_| out_of_range())?;
    let seconds = u8::try_from(secs % 60).map_err(|_| out_of_range())?;
    let micros = u32::try_from(abs % 1_000_000).map_err(|_| out_of_range())?;
    Time::new(total < 0, hours, minutes, seconds, micros).ok_or_else(out_of_range)
}

fn naive_date(d: Date) -> std::result::Result<NaiveDate, DecodeError> {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)).ok_or_else(|| {
        if d.is_zero() {
            DecodeError::new("zero date 0000-00-00 has no chrono value (decode into ZeroDateAsNone<_>)")
        } else {
            DecodeError::new(format!("{d} is not a calendar date"))
        }
    })
}

fn naive_datetime(dt: DateTime) -> std::result::Result<NaiveDateTime, DecodeError> {
    let date = naive_date(dt.date())?;
    let time = NaiveTime::from_hms_micro_opt(u32::from(dt.hour), u32::from(dt.minute), u32::from(dt.second), dt.micros)
        .ok_or_else(|| DecodeError::new(format!("invalid time of day in {dt}")))?;
    Ok(NaiveDateTime::new(date, time))
}

/// The server's usual DATETIME text, `YYYY-MM-DD hh:mm:ss` with no fraction or six
/// digits of it, read at fixed positions and validated once, by chrono: the per-row fast
/// path of `from_sql`. `None` leaves every other form, and every invalid value, to
/// `DateTime::parse`, which accepts the same values and explains the rest.
fn full_datetime(b: &[u8]) -> Option<NaiveDateTime> {
    let (clock, micros) = match b.len() {
        19 => (b, 0),
        26 if b[19] == b'.' => {
            let f = |i: usize| digit_pair(b[20 + i], b[21 + i]);
            (&b[..19], f(0)? * 10_000 + f(2)? * 100 + f(4)?)
        }
        _ => return None,
    };
    let [y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b' ', h0, h1, b':', mi0, mi1, b':', s0, s1] = *clock else {
        return None;
    };
    let year = digit_pair(y0, y1)? * 100 + digit_pair(y2, y3)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, digit_pair(mo0, mo1)?, digit_pair(d0, d1)?)?;
    date.and_hms_micro_opt(digit_pair(h0, h1)?, digit_pair(mi0, mi1)?, digit_pair(s0, s1)?, micros)
}

fn digit_pair(a: u8, b: u8) -> Option<u32> {
    let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    (a <= 9 && b <= 9).then(|| u32::from(a) * 10 + u32::from(b))
}

fn parse_with<T>(raw: Option<&[u8]>, what: &str, parse: fn(&[u8]) -> Option<T>) -> std::result::Result<T, DecodeError> {
    let raw = non_null(raw)?;
    parse(raw).ok_or_else(|| DecodeError::invalid(what, raw))
}

impl ToSql for NaiveDate {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        date_of(*self)?.write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        date_of(*self)?.write_binary(out)
    }
}

impl ToSql for NaiveDateTime {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        datetime_of(*self)?.write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        datetime_of(*self)?.write_binary(out)
    }
}

impl ToSql for ChronoDateTime<Utc> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.naive_utc().write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        self.naive_utc().write_binary(out)
    }
}

fn time_of_day(t: NaiveTime) -> Result<Time> {
    let (h, m, s, us) = clock_of(t);
    Time::new(false, u32::from(h), m, s, us).ok_or_else(|| Error::Encode(format!("invalid time {t}")))
}

impl ToSql for NaiveTime {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        time_of_day(*self)?.write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        time_of_day(*self)?.write_binary(out)
    }
}

impl ToSql for TimeDelta {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        time_of(*self)?.write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        time_of(*self)?.write_binary(out)
    }
}

/// A TIME as a time of day, if it is one.
fn naive_time(t: Time) -> std::result::Result<NaiveTime, DecodeError> {
    let time = if t.negative {
        None
    } else {
        NaiveTime::from_hms_micro_opt(t.hours, u32::from(t.minutes), u32::from(t.seconds), t.micros)
    };
    time.ok_or_else(|| DecodeError::new(format!("TIME {t} is not a time of day (00:00:00..24:00:00)")))
}

fn time_delta(t: Time) -> std::result::Result<TimeDelta, DecodeError> {
    // At most 838h in microseconds: far below i64::MAX.
    let micros = i64::try_from(t.total_micros()).map_err(|_| DecodeError::new("TIME out of range"))?;
    Ok(TimeDelta::microseconds(if t.negative { -micros } else { micros }))
}

// The binary paths go through amysql's types, whose `from_binary` reads the binary layout
// and whose errors name the value as the text protocol would ("invalid DATE ...").
impl FromSql for NaiveDate {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        naive_date(parse_with(raw, "DATE", Date::parse)?)
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        naive_date(Date::from_binary(raw, column)?)
    }
}

impl FromSql for NaiveDateTime {
    /// Also accepts a DATE (midnight), as `DateTime::parse` does.
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        if let Some(v) = raw.and_then(full_datetime) {
            return Ok(v);
        }
        naive_datetime(parse_with(raw, "DATETIME", DateTime::parse)?)
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        // One validation (chrono's) instead of amysql's and then chrono's: a scan decodes
        // this per row. Whatever it refuses takes the general path, which says why.
        if let Some(dt) = raw.and_then(|b| binary_datetime_fields(b, column)) {
            if dt.year <= 9999 && dt.micros < 1_000_000 {
                let date = NaiveDate::from_ymd_opt(i32::from(dt.year), u32::from(dt.month), u32::from(dt.day));
                let time = |d: NaiveDate| {
                    d.and_hms_micro_opt(u32::from(dt.hour), u32::from(dt.minute), u32::from(dt.second), dt.micros)
                };
                if let Some(v) = date.and_then(time) {
                    return Ok(v);
                }
            }
        }
        naive_datetime(DateTime::from_binary(raw, column)?)
    }
}

impl FromSql for ChronoDateTime<Utc> {
    fn from_sql(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        NaiveDateTime::from_sql(raw, column).map(|dt| dt.and_utc())
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        NaiveDateTime::from_binary(raw, column).map(|dt| dt.and_utc())
    }
}

impl FromSql for NaiveTime {
    /// Only a time of day: TIME values below zero or from 24:00:00 up are errors (decode
    /// those into `TimeDelta` or `amysql::Time`).
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        naive_time(parse_with(raw, "TIME", Time::parse)?)
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        naive_time(Time::from_binary(raw, column)?)
    }
}

impl FromSql for TimeDelta {
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        time_delta(parse_with(raw, "TIME", Time::parse)?)
    }

    fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
        time_delta(Time::from_binary(raw, column)?)
    }
}

macro_rules! value_from_chrono {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        /// Falls back to `Text` for values outside MySQL's range, so the server reports them.
        impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $e.unwrap_or_else(|_| Value::Text($v.to_string()))
            }
        }
    )*};
}
value_from_chrono!(
    NaiveDate => |v| date_of(v).map(Value::Date),
    NaiveDateTime => |v| datetime_of(v).map(Value::DateTime),
    ChronoDateTime<Utc> => |v| datetime_of(v.naive_utc()).map(Value::DateTime),
    NaiveTime => |v| { let (h, m, s, us) = clock_of(v); Time::new(false, u32::from(h), m, s, us).map(Value::Time).ok_or(()) },
    TimeDelta => |v| time_of(v).map(Value::Time),
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;
    use crate::value::test_support::lit;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    fn col() -> Column {
        Column::new("t", column_type::DATETIME, 63, 0)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, ..Default::default() })]

        /// The fixed-position fast path answers only where the general parser gives the
        /// same value: random fields (some out of range) and a random byte overwritten.
        #[test]
        fn full_datetime_agrees_with_the_general_parser(
            fields in (0u32..10000, 0u32..14, 0u32..33, 0u32..25, 0u32..61, 0u32..61, 0u32..1_000_000),
            frac: bool,
            corrupt in proptest::option::of((0usize..26, proptest::prelude::any::<u8>())),
        ) {
            let (y, mo, d, h, mi, s, us) = fields;
            let mut text = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
            if frac {
                text += &format!(".{us:06}");
            }
            let mut b = text.into_bytes();
            if let Some((i, c)) = corrupt {
                if i < b.len() {
                    b[i] = c;
                }
            }
            let general = DateTime::parse(&b).and_then(|dt| naive_datetime(dt).ok());
            if let Some(fast) = full_datetime(&b) {
                proptest::prop_assert_eq!(Some(fast), general);
            }
            proptest::prop_assert_eq!(NaiveDateTime::from_sql(Some(&b), &col()).ok(), general);
        }
    }

    #[test]
    fn full_datetime_fast_path_forms() {
        assert_eq!(full_datetime(b"2024-02-29 23:59:59"), Some(dt("2024-02-29 23:59:59")));
        assert_eq!(full_datetime(b"2024-02-29 23:59:59.000001"), Some(dt("2024-02-29 23:59:59.000001")));
        // Left to the general parser: other fraction widths, dates, invalid values.
        assert_eq!(full_datetime(b"2024-02-29 23:59:59.5"), None);
        assert_eq!(full_datetime(b"2024-02-29"), None);
        assert_eq!(full_datetime(b"2023-02-29 00:00:00"), None);
        assert_eq!(full_datetime(b"0000-00-00 00:00:00"), None);
        assert_eq!(full_datetime(b"2024-01-01 24:00:00"), None);
        assert_eq!(full_datetime(b"2024-01-01T00:00:00"), None);
        assert_eq!(
            NaiveDateTime::from_sql(Some(b"2024-02-29 23:59:59.5"), &col()).unwrap(),
            dt("2024-02-29 23:59:59.5")
        );
    }

    #[test]
    fn literals_with_micros() {
        assert_eq!(lit(&dt("2024-01-02 03:04:05.123456789")), "'2024-01-02 03:04:05.123456'");
        assert_eq!(lit(&dt("2024-01-02 03:04:05")), "'2024-01-02 03:04:05'");
        assert_eq!(lit(&dt("2024-01-02 03:04:05.123456").and_utc()), "'2024-01-02 03:04:05.123456'");
        assert_eq!(lit(&NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()), "'2024-01-02'");
        assert_eq!(lit(&NaiveTime::from_hms_micro_opt(3, 4, 5, 6).unwrap()), "'03:04:05.000006'");
        assert_eq!(
            lit(&TimeDelta::microseconds(-(838 * 3600 + 59 * 60 + 59) * 1_000_000 - 999_999)),
            "'-838:59:59.999999'"
        );
        assert_eq!(lit(&TimeDelta::seconds(-1)), "'-00:00:01'");
        assert_eq!(lit(&TimeDelta::hours(25)), "'25:00:00'");
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let mut out = Vec::new();
        let ctx = FormatContext::default();
        let e = TimeDelta::hours(839).write_sql(&mut out, &ctx).unwrap_err();
        assert!(e.to_string().contains("outside MySQL TIME"), "{e}");
        assert!(TimeDelta::MAX.write_sql(&mut out, &ctx).is_err());
        assert!(NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap().write_sql(&mut out, &ctx).is_err());
        assert!(NaiveDate::from_ymd_opt(-1, 1, 1).unwrap().write_sql(&mut out, &ctx).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn decode_chrono_values() {
        let c = col();
        assert_eq!(
            NaiveDateTime::from_sql(Some(b"2024-01-02 03:04:05.123456"), &c).unwrap(),
            dt("2024-01-02 03:04:05.123456")
        );
        assert_eq!(NaiveDateTime::from_sql(Some(b"2024-01-02"), &c).unwrap(), dt("2024-01-02 00:00:00"));
        assert_eq!(
            ChronoDateTime::<Utc>::from_sql(Some(b"2024-01-02 03:04:05"), &c).unwrap(),
            dt("2024-01-02 03:04:05").and_utc()
        );
        assert_eq!(
            NaiveDate::from_sql(Some(b"2024-02-29"), &c).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(
            NaiveTime::from_sql(Some(b"23:59:59.5"), &c).unwrap(),
            NaiveTime::from_hms_milli_opt(23, 59, 59, 500).unwrap()
        );
        assert_eq!(
            TimeDelta::from_sql(Some(b"-838:59:59.000000"), &c).unwrap(),
            -TimeDelta::seconds(838 * 3600 + 59 * 60 + 59)
        );
        assert_eq!(TimeDelta::from_sql(Some(b"01:00:00.000001"), &c).unwrap(), TimeDelta::microseconds(3_600_000_001));
    }

    #[test]
    fn zero_and_invalid_dates_are_errors_unless_opted_in() {
        use super::super::ZeroDateAsNone;
        let c = col();
        let e = NaiveDate::from_sql(Some(b"0000-00-00"), &c).unwrap_err();
        assert!(e.reason().contains("zero date"), "{e}");
        assert!(Option::<NaiveDateTime>::from_sql(Some(b"0000-00-00 00:00:00"), &c).is_err());
        assert!(NaiveDate::from_sql(Some(b"2023-02-29"), &c).unwrap_err().reason().contains("not a calendar date"));
        assert!(NaiveDate::from_sql(Some(b"2024-00-10"), &c).is_err());
        assert_eq!(
            ZeroDateAsNone::<NaiveDateTime>::from_sql(Some(b"0000-00-00 00:00:00.000000"), &c).unwrap(),
            ZeroDateAsNone(None)
        );
        assert_eq!(ZeroDateAsNone::<NaiveDate>::from_sql(Some(b"0000-00-00"), &c).unwrap().0, None);
        assert_eq!(ZeroDateAsNone::<NaiveDate>::from_sql(None, &c).unwrap().0, None);
        assert!(ZeroDateAsNone::<NaiveDate>::from_sql(Some(b"2024-01-01"), &c).unwrap().0.is_some());
        assert!(NaiveTime::from_sql(Some(b"-01:00:00"), &c).is_err());
        assert!(NaiveTime::from_sql(Some(b"24:00:00"), &c).unwrap_err().reason().contains("not a time of day"));
    }

    #[test]
    fn into_value() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        assert_eq!(Value::from(d), Value::Date(Date { year: 2024, month: 1, day: 2 }));
        assert!(matches!(Value::from(TimeDelta::seconds(-61)), Value::Time(t) if t.negative && t.minutes == 1));
        assert!(matches!(Value::from(TimeDelta::hours(900)), Value::Text(_)));
    }
}
