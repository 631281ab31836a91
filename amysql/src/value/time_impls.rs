//! `time` crate support (feature `time`): `Date`, `Time`, `PrimitiveDateTime`,
//! `OffsetDateTime` and `Duration`, converted through amysql's own `Date`/`DateTime`/`Time`
//! so that parsing, range checks and literal writing live in one place (as for chrono).
//!
//! * `time::Date` <-> DATE, `time::PrimitiveDateTime` <-> DATETIME/TIMESTAMP (a DATE
//!   decodes as midnight), `time::Time` <-> TIME as a time of day (00:00:00..24:00:00),
//!   `time::Duration` <-> TIME as a signed interval, up to MySQL's ±838:59:59.999999.
//! * `OffsetDateTime` is written converted to UTC and read as UTC: it is right when the
//!   session `time_zone` is `+00:00` (set it with `init_command`) or the column is a
//!   DATETIME holding UTC by convention. The offset itself is not stored.
//! * Precision is microseconds (MySQL's maximum); nanoseconds are truncated when sending
//!   (a `Duration` toward zero).
//! * Zero dates and zero-in-date values have no `time` form and are decode errors; opt in
//!   to reading zero dates as `None` with `ZeroDateAsNone<T>`.

use ::time::{Date as TDate, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time as TTime, UtcOffset};

use super::binary::BinaryResult;
use super::format::FormatContext;
use super::from_sql::{non_null, DecodeError, FromSql};
use super::time::{Date, DateTime, Time, MAX_TIME_HOURS};
use super::to_sql::ToSql;
use super::Value;
use crate::error::{Error, Result};
use crate::protocol::column::Column;

fn date_of(d: TDate) -> Result<Date> {
    u16::try_from(d.year())
        .ok()
        .and_then(|y| Date::new(y, u8::from(d.month()), d.day()))
        .ok_or_else(|| Error::Encode(format!("date {d} is outside MySQL's years 0000..=9999")))
}

fn datetime_of(dt: PrimitiveDateTime) -> Result<DateTime> {
    let t = dt.time();
    DateTime::new(date_of(dt.date())?, t.hour(), t.minute(), t.second(), t.microsecond())
        .ok_or_else(|| Error::Encode(format!("invalid datetime {dt}")))
}

/// UTC wall-clock fields; an instant whose UTC date leaves the `time` crate's range
/// (only possible near its year ±9999 limits) is an error, not a panic.
fn utc_of(dt: OffsetDateTime) -> Result<PrimitiveDateTime> {
    dt.checked_to_offset(UtcOffset::UTC)
        .map(|utc| PrimitiveDateTime::new(utc.date(), utc.time()))
        .ok_or_else(|| Error::Encode(format!("datetime {dt} has no UTC date in range")))
}

fn time_of_day(t: TTime) -> Result<Time> {
    Time::new(false, u32::from(t.hour()), t.minute(), t.second(), t.microsecond())
        .ok_or_else(|| Error::Encode(format!("invalid time {t}")))
}

fn interval_of(d: Duration) -> Result<Time> {
    let out_of_range = || Error::Encode(format!("duration {d} is outside MySQL TIME's ±838:59:59.999999"));
    let total = d.whole_microseconds();
    let abs = total.unsigned_abs();
    let secs = abs / 1_000_000;
    let hours = u32::try_from(secs / 3600).ok().filter(|h| *h <= MAX_TIME_HOURS).ok_or_else(out_of_range)?;
    let minutes = u8::try_from(secs / 60 % 60).map_err(|_| out_of_range())?;
    let seconds = u8::try_from(secs % 60).map_err(|_| out_of_range())?;
    let micros = u32::try_from(abs % 1_000_000).map_err(|_| out_of_range())?;
    Time::new(total < 0, hours, minutes, seconds, micros).ok_or_else(out_of_range)
}

fn tdate(d: Date) -> std::result::Result<TDate, DecodeError> {
    Month::try_from(d.month).ok().and_then(|m| TDate::from_calendar_date(i32::from(d.year), m, d.day).ok()).ok_or_else(
        || {
            if d.is_zero() {
                DecodeError::new("zero date 0000-00-00 has no `time` value (decode into ZeroDateAsNone<_>)")
            } else {
                DecodeError::new(format!("{d} is not a calendar date"))
            }
        },
    )
}

fn tdatetime(dt: DateTime) -> std::result::Result<PrimitiveDateTime, DecodeError> {
    let date = tdate(dt.date())?;
    let time = TTime::from_hms_micro(dt.hour, dt.minute, dt.second, dt.micros)
        .map_err(|_| DecodeError::new(format!("invalid time of day in {dt}")))?;
    Ok(PrimitiveDateTime::new(date, time))
}

/// A TIME as a time of day, if it is one.
fn ttime(t: Time) -> std::result::Result<TTime, DecodeError> {
    let time = match u8::try_from(t.hours) {
        Ok(h) if !t.negative => TTime::from_hms_micro(h, t.minutes, t.seconds, t.micros).ok(),
        _ => None,
    };
    time.ok_or_else(|| DecodeError::new(format!("TIME {t} is not a time of day (00:00:00..24:00:00)")))
}

fn duration(t: Time) -> std::result::Result<Duration, DecodeError> {
    // At most 838h in microseconds: far below i64::MAX.
    let micros = i64::try_from(t.total_micros()).map_err(|_| DecodeError::new("TIME out of range"))?;
    Ok(Duration::microseconds(if t.negative { -micros } else { micros }))
}

fn parse_with<T>(raw: Option<&[u8]>, what: &str, parse: fn(&[u8]) -> Option<T>) -> std::result::Result<T, DecodeError> {
    let raw = non_null(raw)?;
    parse(raw).ok_or_else(|| DecodeError::invalid(what, raw))
}

/// `ToSql` through amysql's type: the same literal, binary form and range checks.
macro_rules! to_sql_via {
    ($($t:ty => $conv:expr),* $(,)?) => {$(
        impl ToSql for $t {
            fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
                $conv(*self)?.write_sql(out, ctx)
            }

            fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
                $conv(*self)?.write_binary(out)
            }
        }
    )*};
}
to_sql_via!(
    TDate => date_of,
    PrimitiveDateTime => datetime_of,
    OffsetDateTime => |v| utc_of(v).and_then(datetime_of),
    TTime => time_of_day,
    Duration => interval_of,
);

/// `FromSql` through amysql's type: its text parser, and its `from_binary`, which reads
/// the binary layout and words its errors as the text path does ("invalid DATE ...").
/// That is what keeps binary and text decoding equal (from_binary_tests checks it).
macro_rules! from_sql_via {
    ($($t:ty => $amysql:ident, $what:literal, $conv:expr),* $(,)?) => {$(
        impl FromSql for $t {
            fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
                $conv(parse_with(raw, $what, $amysql::parse)?)
            }

            fn from_binary(raw: Option<&[u8]>, column: &Column) -> std::result::Result<Self, DecodeError> {
                $conv($amysql::from_binary(raw, column)?)
            }
        }
    )*};
}
from_sql_via!(
    TDate => Date, "DATE", tdate,
    // Also accepts a DATE (midnight), as `DateTime::parse` does.
    PrimitiveDateTime => DateTime, "DATETIME", tdatetime,
    OffsetDateTime => DateTime, "DATETIME", |dt| tdatetime(dt).map(PrimitiveDateTime::assume_utc),
    // Only a time of day: negative TIMEs and those from 24:00:00 up are errors (decode
    // those into `Duration` or `amysql::Time`).
    TTime => Time, "TIME", ttime,
    Duration => Time, "TIME", duration,
);

macro_rules! value_from_time {
    ($($t:ty => $e:expr),* $(,)?) => {$(
        /// Falls back to `Text` for values outside MySQL's range, so the server reports them.
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                $e(v).unwrap_or_else(|_| Value::Text(v.to_string()))
            }
        }
    )*};
}
value_from_time!(
    TDate => |v| date_of(v).map(Value::Date),
    PrimitiveDateTime => |v| datetime_of(v).map(Value::DateTime),
    OffsetDateTime => |v| utc_of(v).and_then(datetime_of).map(Value::DateTime),
    TTime => |v| time_of_day(v).map(Value::Time),
    Duration => |v| interval_of(v).map(Value::Time),
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;
    use crate::value::test_support::{bin, lit};
    use crate::value::ZeroDateAsNone;

    fn d(y: i32, m: u8, day: u8) -> TDate {
        TDate::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap()
    }

    fn dt(y: i32, mo: u8, day: u8, h: u8, mi: u8, s: u8, us: u32) -> PrimitiveDateTime {
        PrimitiveDateTime::new(d(y, mo, day), TTime::from_hms_micro(h, mi, s, us).unwrap())
    }

    fn col(t: u8) -> Column {
        Column::new("t", t, 63, 0)
    }

    #[test]
    fn literals_with_micros() {
        let nanos = PrimitiveDateTime::new(d(2024, 1, 2), TTime::from_hms_nano(3, 4, 5, 123_456_789).unwrap());
        assert_eq!(lit(&nanos), "'2024-01-02 03:04:05.123456'");
        assert_eq!(lit(&dt(2024, 1, 2, 3, 4, 5, 0)), "'2024-01-02 03:04:05'");
        assert_eq!(lit(&d(2024, 1, 2)), "'2024-01-02'");
        assert_eq!(lit(&d(0, 1, 1)), "'0000-01-01'");
        assert_eq!(lit(&TTime::from_hms_micro(3, 4, 5, 6).unwrap()), "'03:04:05.000006'");
        assert_eq!(
            lit(&Duration::microseconds(-(838 * 3600 + 59 * 60 + 59) * 1_000_000 - 999_999)),
            "'-838:59:59.999999'"
        );
        assert_eq!(lit(&Duration::seconds(-1)), "'-00:00:01'");
        assert_eq!(lit(&Duration::hours(25)), "'25:00:00'");
        // Sub-microsecond parts are cut toward zero, as for chrono.
        assert_eq!(lit(&Duration::nanoseconds(-1_999)), "'-00:00:00.000001'");
        assert_eq!(lit(&Duration::nanoseconds(999)), "'00:00:00'");
    }

    #[test]
    fn offset_datetimes_are_sent_as_utc() {
        let plus2 = UtcOffset::from_hms(2, 0, 0).unwrap();
        let local = dt(2024, 1, 1, 1, 30, 0, 7).assume_offset(plus2);
        assert_eq!(lit(&local), "'2023-12-31 23:30:00.000007'");
        assert_eq!(lit(&dt(2024, 1, 1, 1, 30, 0, 0).assume_utc()), "'2024-01-01 01:30:00'");
        assert_eq!(bin(&local).1, vec![11, 0xe7, 0x07, 12, 31, 23, 30, 0, 7, 0, 0, 0]);
        assert_eq!(Value::from(local), Value::DateTime(DateTime::parse(b"2023-12-31 23:30:00.000007").unwrap()));
    }

    #[test]
    fn binary_parameters() {
        assert_eq!(bin(&d(2024, 2, 29)), (column_type::DATE, vec![4, 0xe8, 0x07, 2, 29]));
        assert_eq!(
            bin(&dt(2001, 1, 2, 3, 4, 5, 6)),
            (column_type::DATETIME, vec![11, 0xd1, 0x07, 1, 2, 3, 4, 5, 6, 0, 0, 0])
        );
        assert_eq!(bin(&dt(2001, 1, 2, 3, 4, 5, 0)).1, vec![7, 0xd1, 0x07, 1, 2, 3, 4, 5]);
        assert_eq!(
            bin(&TTime::from_hms_micro(23, 59, 59, 1).unwrap()),
            (column_type::TIME, vec![12, 0, 0, 0, 0, 0, 23, 59, 59, 1, 0, 0, 0])
        );
        // -50:00:00.5 = 2 days 2 hours, negative.
        let d50 = -(Duration::hours(50) + Duration::milliseconds(500));
        assert_eq!(bin(&d50), (column_type::TIME, vec![12, 1, 2, 0, 0, 0, 2, 0, 0, 0x20, 0xa1, 0x07, 0]));
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let mut out = Vec::new();
        let ctx = FormatContext::default();
        let e = Duration::hours(839).write_sql(&mut out, &ctx).unwrap_err();
        assert!(e.to_string().contains("outside MySQL TIME"), "{e}");
        assert!(Duration::MAX.write_sql(&mut out, &ctx).is_err());
        assert!(Duration::MIN.write_binary(&mut out).is_err());
        assert!(d(-1, 1, 1).write_sql(&mut out, &ctx).is_err());
        assert!(d(-1, 1, 1).write_binary(&mut out).is_err());
        let e = dt(-1, 1, 1, 0, 0, 0, 0).write_sql(&mut out, &ctx).unwrap_err();
        assert!(e.to_string().contains("years 0000..=9999"), "{e}");
        // Converting to UTC leaves MySQL's years: refused, not wrapped.
        let early = dt(0, 1, 1, 0, 0, 0, 0).assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap());
        assert!(early.write_sql(&mut out, &ctx).is_err());
        // ...and at the `time` crate's own limit, an error rather than a panic.
        let edge = PrimitiveDateTime::MAX.assume_offset(UtcOffset::from_hms(-1, 0, 0).unwrap());
        assert!(edge.write_sql(&mut out, &ctx).is_err());
        assert!(out.is_empty());
        assert!(matches!(Value::from(Duration::hours(900)), Value::Text(_)));
    }

    #[test]
    fn decode_text() {
        let c = col(column_type::DATETIME);
        assert_eq!(
            PrimitiveDateTime::from_sql(Some(b"2024-01-02 03:04:05.123456"), &c).unwrap(),
            dt(2024, 1, 2, 3, 4, 5, 123_456)
        );
        assert_eq!(
            PrimitiveDateTime::from_sql(Some(b"2024-01-02 03:04:05.5"), &c).unwrap(),
            dt(2024, 1, 2, 3, 4, 5, 500_000)
        );
        assert_eq!(PrimitiveDateTime::from_sql(Some(b"2024-01-02"), &c).unwrap(), dt(2024, 1, 2, 0, 0, 0, 0));
        let utc = OffsetDateTime::from_sql(Some(b"2024-01-02 03:04:05"), &c).unwrap();
        assert_eq!((utc.offset(), utc.hour()), (UtcOffset::UTC, 3));
        assert_eq!(TDate::from_sql(Some(b"2024-02-29"), &c).unwrap(), d(2024, 2, 29));
        assert_eq!(TTime::from_sql(Some(b"23:59:59.5"), &c).unwrap(), TTime::from_hms_milli(23, 59, 59, 500).unwrap());
        assert_eq!(
            Duration::from_sql(Some(b"-838:59:59.000000"), &c).unwrap(),
            -Duration::seconds(838 * 3600 + 59 * 60 + 59)
        );
        assert_eq!(Duration::from_sql(Some(b"01:00:00.000001"), &c).unwrap(), Duration::microseconds(3_600_000_001));
        assert_eq!(Duration::from_sql(Some(b"-00:00:00.5"), &c).unwrap(), Duration::milliseconds(-500));
        let e = TDate::from_sql(Some(b"2024-01-02x"), &c).unwrap_err();
        assert_eq!(e.reason(), "invalid DATE \"2024-01-02x\"");
    }

    #[test]
    fn decode_binary() {
        let c = col(column_type::DATETIME).with_decimals(6);
        let raw = [0xe8, 0x07, 2, 29, 23, 59, 58, 1, 0, 0, 0];
        assert_eq!(PrimitiveDateTime::from_binary(Some(&raw), &c).unwrap(), dt(2024, 2, 29, 23, 59, 58, 1));
        assert_eq!(OffsetDateTime::from_binary(Some(&raw), &c).unwrap(), dt(2024, 2, 29, 23, 59, 58, 1).assume_utc());
        assert!(PrimitiveDateTime::from_binary(Some(&[]), &c).unwrap_err().reason().contains("zero date"));
        let date = col(column_type::DATE);
        assert_eq!(TDate::from_binary(Some(&[0xe8, 0x07, 2, 29]), &date).unwrap(), d(2024, 2, 29));
        assert_eq!(
            PrimitiveDateTime::from_binary(Some(&[0xe8, 0x07, 2, 29]), &date).unwrap(),
            dt(2024, 2, 29, 0, 0, 0, 0)
        );
        let t = col(column_type::TIME).with_decimals(6);
        // 1 day 2 hours 3:04.000005, negative.
        let raw = [1, 1, 0, 0, 0, 2, 3, 4, 5, 0, 0, 0];
        assert_eq!(
            Duration::from_binary(Some(&raw), &t).unwrap(),
            -(Duration::hours(26) + Duration::minutes(3) + Duration::seconds(4) + Duration::microseconds(5))
        );
        assert!(TTime::from_binary(Some(&raw), &t).unwrap_err().reason().contains("not a time of day"));
        assert_eq!(
            TTime::from_binary(Some(&[0, 0, 0, 0, 0, 23, 0, 1]), &t).unwrap(),
            TTime::from_hms(23, 0, 1).unwrap()
        );
        assert_eq!(Option::<Duration>::from_binary(None, &t).unwrap(), None);
    }

    #[test]
    fn zero_and_invalid_dates_are_errors_unless_opted_in() {
        let c = col(column_type::DATETIME);
        let e = TDate::from_sql(Some(b"0000-00-00"), &c).unwrap_err();
        assert!(e.reason().contains("zero date"), "{e}");
        assert!(Option::<PrimitiveDateTime>::from_sql(Some(b"0000-00-00 00:00:00"), &c).is_err());
        assert!(OffsetDateTime::from_sql(Some(b"0000-00-00 00:00:00"), &c).is_err());
        assert!(TDate::from_sql(Some(b"2023-02-29"), &c).unwrap_err().reason().contains("not a calendar date"));
        assert!(TDate::from_sql(Some(b"2024-00-10"), &c).is_err());
        assert!(TDate::from_sql(Some(b"2024-10-00"), &c).is_err());
        assert_eq!(
            ZeroDateAsNone::<PrimitiveDateTime>::from_sql(Some(b"0000-00-00 00:00:00.000000"), &c).unwrap(),
            ZeroDateAsNone(None)
        );
        assert_eq!(ZeroDateAsNone::<TDate>::from_sql(Some(b"0000-00-00"), &c).unwrap().0, None);
        assert_eq!(ZeroDateAsNone::<TDate>::from_binary(Some(&[0, 0, 0, 0]), &col(column_type::DATE)).unwrap().0, None);
        assert!(ZeroDateAsNone::<TDate>::from_sql(Some(b"2024-01-01"), &c).unwrap().0.is_some());
        assert!(TTime::from_sql(Some(b"-01:00:00"), &c).is_err());
        assert!(TTime::from_sql(Some(b"24:00:00"), &c).unwrap_err().reason().contains("not a time of day"));
    }

    #[test]
    fn into_value() {
        assert_eq!(Value::from(d(2024, 1, 2)), Value::Date(Date { year: 2024, month: 1, day: 2 }));
        assert!(matches!(Value::from(Duration::seconds(-61)), Value::Time(t) if t.negative && t.minutes == 1));
        assert!(matches!(Value::from(TTime::MIDNIGHT), Value::Time(t) if t == Time::default()));
        assert!(matches!(Value::from(d(-5, 1, 1)), Value::Text(_)));
    }
}
