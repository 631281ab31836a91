//! rust_decimal support: exact text both ways, never through a float.

use std::io::Write as _;

use rust_decimal::Decimal;

use super::format::FormatContext;
use super::from_sql::{non_null, utf8, DecodeError, FromSql};
use super::to_sql::ToSql;
use super::Value;
use crate::error::Result;
use crate::protocol::column::Column;

impl ToSql for Decimal {
    /// Unquoted, like PyMySQL's `Decimal` literal, so the server reads an exact DECIMAL.
    /// `Display` writes plain digits (no exponent), which is always a valid literal.
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{self}");
        Ok(())
    }
    fn write_binary(&self, out: &mut Vec<u8>) -> super::binary::BinaryResult {
        let mut digits = Vec::with_capacity(32);
        let _ = write!(digits, "{self}");
        super::binary::put_decimal(&digits, out)
    }
}

impl FromSql for Decimal {
    /// Exact: a DECIMAL(65,30) value with more digits than rust_decimal's 28 is an error,
    /// not silently rounded. Exponent forms (DOUBLE columns) are accepted.
    fn from_sql(raw: Option<&[u8]>, _column: &Column) -> std::result::Result<Self, DecodeError> {
        let raw = non_null(raw)?;
        if let Some(d) = parse_short_decimal(raw) {
            return Ok(d);
        }
        let text = utf8(raw)?;
        let parsed = if text.contains(['e', 'E']) {
            Decimal::from_scientific(text)
        } else {
            // Keep the scale the server sent ("100.00" stays 2 decimals). Only when that
            // does not fit in 28 digits, drop trailing fractional zeros, which changes no
            // value: DECIMAL(65,30) columns are padded with them.
            Decimal::from_str_exact(text).or_else(|e| match text.split_once('.') {
                Some((_, frac)) if frac.ends_with('0') => {
                    Decimal::from_str_exact(text.trim_end_matches('0').trim_end_matches('.')).map_err(|_| e)
                }
                _ => Err(e),
            })
        };
        parsed.map_err(|e| DecodeError::new(format!("invalid decimal {}: {e}", super::from_sql::show_bytes(raw))))
    }
}

/// The server's usual DECIMAL text, `[-]digits[.digits]` with at most 18 digits, straight
/// into a mantissa and scale (what `from_str_exact` also yields, without its generality).
/// `None` sends anything else, and negative zero, to the general parser.
fn parse_short_decimal(raw: &[u8]) -> Option<Decimal> {
    let (negative, body) = match raw.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, raw),
    };
    if body.is_empty() || body.len() > 19 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = None;
    let mut digits = 0;
    for (i, &c) in body.iter().enumerate() {
        if c == b'.' {
            if scale.is_some() || i == 0 || i + 1 == body.len() {
                return None;
            }
            scale = Some((body.len() - i - 1) as u32);
            continue;
        }
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        digits += 1;
        if digits > 18 {
            // 19 digits can overflow the i64 mantissa.
            return None;
        }
        mantissa = mantissa * 10 + i64::from(d);
    }
    if negative && mantissa == 0 {
        return None;
    }
    Decimal::try_new(if negative { -mantissa } else { mantissa }, scale.unwrap_or(0)).ok()
}

#[cfg(test)]
mod padded_tests {
    use super::*;
    use crate::protocol::constants::column_type;

    #[test]
    fn short_fast_path_matches_the_general_parser() {
        let col = Column::new("d", column_type::NEWDECIMAL, 12, 2);
        for text in [
            "0",
            "1",
            "-1",
            "12.50",
            "-12.50",
            "0.01",
            "999999999999999999",
            "-99999999.9999999999",
            "100.00",
            "1234567890.12",
            "0.00000000000000001",
        ] {
            let fast = parse_short_decimal(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            let general = Decimal::from_str_exact(text).unwrap();
            assert_eq!((fast, fast.scale(), fast.to_string()), (general, general.scale(), general.to_string()));
            assert_eq!(Decimal::from_sql(Some(text.as_bytes()), &col).unwrap().to_string(), text);
        }
        for text in
            ["", "-", ".5", "5.", "1.2.3", "-0.00", "1e5", "+1", "1234567890123456789", "9999999999999999999", "12a"]
        {
            assert_eq!(parse_short_decimal(text.as_bytes()), None, "{text}");
        }
        assert_eq!(Decimal::from_sql(Some(b"-0.00"), &col).unwrap().to_string(), "0.00");
    }

    #[test]
    fn padded_decimals_decode_and_scale_is_kept() {
        let col = Column::new("d", column_type::NEWDECIMAL, 63, 0);
        let d = Decimal::from_sql(Some(b"1.500000000000000000000000000000"), &col).unwrap();
        assert_eq!(d.to_string(), "1.5");
        let d = Decimal::from_sql(Some(b"100.00"), &col).unwrap();
        assert_eq!(d.to_string(), "100.00");
        // Real precision beyond 28 digits is still refused, not rounded.
        assert!(Decimal::from_sql(Some(b"1.000000000000000000000000000000001"), &col).is_err());
    }
}

impl From<Decimal> for Value {
    fn from(d: Decimal) -> Value {
        Value::Decimal(d.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;
    use std::str::FromStr;

    #[test]
    fn decimal_literal_is_exact_text() {
        let d = Decimal::from_str("-1234567890.123456789012345678").unwrap();
        let mut out = Vec::new();
        d.write_sql(&mut out, &FormatContext::default()).unwrap();
        assert_eq!(out, b"-1234567890.123456789012345678");
        let big = Decimal::from_str("7922816251426433759354395033").unwrap();
        out.clear();
        big.write_sql(&mut out, &FormatContext::default()).unwrap();
        assert_eq!(out, b"7922816251426433759354395033");
    }

    #[test]
    fn decimal_decodes_exactly() {
        let c = Column::new("d", column_type::NEWDECIMAL, 63, 0);
        let d = Decimal::from_sql(Some(b"123.45"), &c).unwrap();
        assert_eq!(d.to_string(), "123.45");
        assert_eq!(
            Decimal::from_sql(Some(b"0.1000000000000000000000000001"), &c).unwrap().to_string(),
            "0.1000000000000000000000000001"
        );
        assert_eq!(Decimal::from_sql(Some(b"1.5e3"), &c).unwrap(), Decimal::from(1500));
        let e = Decimal::from_sql(Some(b"12x"), &c).unwrap_err();
        assert!(e.reason().starts_with("invalid decimal \"12x\""), "{e}");
        assert!(Decimal::from_sql(Some(b"123456789012345678901234567890.5"), &c).is_err());
        assert_eq!(Value::from(d), Value::Decimal("123.45".into()));
    }
}
