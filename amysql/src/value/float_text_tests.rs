//! Tests for `float_text.rs`. The expected strings are what MariaDB 10.11 sends in the
//! text protocol for the same value (checked against a live server; the integration test
//! tests/tests/float_text.rs does so on every run).

use proptest::prelude::*;

use super::*;

fn double(v: f64) -> String {
    let mut s = String::new();
    write_double(&mut s, v).unwrap();
    s
}

fn float(v: f32) -> String {
    let mut s = String::new();
    write_float(&mut s, v).unwrap();
    s
}

fn fixed(v: f64, decimals: u8) -> String {
    let mut s = String::new();
    write_fixed(&mut s, v, decimals).unwrap();
    s
}

#[test]
fn double_notation() {
    for (v, text) in [
        // The cases of issue 22.
        (1e-7, "0.0000001"),
        (1e15, "1e15"),
        (9007199254740992.0, "9.007199254740992e15"),
        // Plain from decpt -14 up to 15, and beyond 15 only with a fraction.
        (1e14, "100000000000000"),
        (123456789012345.0, "123456789012345"),
        (1234567890123456.0, "1.234567890123456e15"),
        (1234567890123456.7, "1234567890123456.8"),
        (333333333333333.3, "333333333333333.3"),
        (1e-15, "0.000000000000001"),
        (1.5e-15, "0.0000000000000015"),
        (1e-16, "1e-16"),
        (1e-5, "0.00001"),
        (1e-4, "0.0001"),
        (1.5e16, "1.5e16"),
        // Shortest round-trip digits, exponent without `+` or padding.
        (0.1 + 0.2, "0.30000000000000004"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (100.0, "100"),
        (1e100, "1e100"),
        (1e-100, "1e-100"),
        (5e-324, "5e-324"),
        (-1.7976931348623157e308, "-1.7976931348623157e308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (0.0, "0"),
        // dtoa reports a negative zero's sign (MariaDB does not send one).
        (-0.0, "-0"),
    ] {
        assert_eq!(double(v), text, "{v:e}");
    }
}

#[test]
fn float_six_digits() {
    for (v, text) in [
        // The cases of issue 22.
        (12345.678f32, "12345.7"),
        (16777217.0, "16777200"),
        // An exact tie at the seventh digit rounds to even, as dtoa does.
        (1234565.0, "1234560"),
        (1234575.0, "1234580"),
        (2f32.powi(-10), "0.000976562"),
        (f32::MAX, "3.40282e38"),
        (f32::from_bits(1), "1.4013e-45"),
        (1e-5, "0.00001"),
        (100000.0, "100000"),
        (1e6, "1000000"),
        (1e14, "100000000000000"),
        (1e15, "1e15"),
        (1e16, "1e16"),
        (0.1, "0.1"),
        (1.1, "1.1"),
        (-0.5, "-0.5"),
        (999999.5, "1000000"),
        (0.0, "0"),
        (-0.0, "-0"),
    ] {
        assert_eq!(float(v), text, "{v:e}");
    }
}

#[test]
fn fixed_scale() {
    // The shortest round-trip digits when they fit the scale, padded with zeros: what a
    // DOUBLE(25,10) holding 56292354773329.1484375 shows over text.
    let stored = 56292354773329.15;
    assert_eq!(format!("{stored:.7}"), "56292354773329.1484375");
    assert_eq!(fixed(stored, 10), "56292354773329.1500000000");
    assert_eq!(fixed(2f64.powi(70), 2), "1180591620717411300000.00");
    assert_eq!(fixed(1e-7, 10), "0.0000001000");
    assert_eq!(fixed(1.0, 2), "1.00");
    assert_eq!(fixed(100.0, 0), "100");
    assert_eq!(fixed(1e300, 1).len(), 303);
    // Else the exact value rounded, a tie to even: FLOAT(7,3) holding 12.3459997...
    assert_eq!(fixed(f64::from(12.346f32), 3), "12.346");
    assert_eq!(fixed(0.125, 2), "0.12");
    assert_eq!(fixed(0.375, 2), "0.38");
    assert_eq!(fixed(1.5, 0), "2");
    assert_eq!(fixed(2.5, 0), "2");
    assert_eq!(fixed(-12.5, 0), "-12");
    assert_eq!(fixed(0.0006, 3), "0.001");
    assert_eq!(fixed(0.0004, 3), "0.000");
    // Negative zero and negatives that round to zero keep dtoa's sign.
    assert_eq!(fixed(-0.0, 3), "-0.000");
    assert_eq!(fixed(-0.0001, 3), "-0.000");
    assert_eq!(fixed(f64::NAN, 2), "NaN");
}

#[test]
fn not_finite() {
    assert_eq!(double(f64::NAN), "NaN");
    assert_eq!(double(f64::NEG_INFINITY), "-inf");
    assert_eq!(float(f32::INFINITY), "inf");
}

/// The digits and decimal point position of a plain or exponent rendering, and which it was.
fn shape(s: &str) -> (String, i32, bool) {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exp, sci) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap(), true),
        None => (s, 0, false),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    assert!(!frac.ends_with('0'), "{s}");
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_string();
    (digits, int.len() as i32 - lead as i32 + exp, sci)
}

/// The notation rule of strings/dtoa.c's my_gcvt for these digits.
fn expect_exponent(digits: usize, decpt: i32) -> bool {
    !(decpt >= -14 && (decpt <= 15 || digits as i32 > decpt))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20000, ..ProptestConfig::default() })]

    #[test]
    fn double_is_shortest_round_trip_in_server_notation(bits: u64) {
        let v = f64::from_bits(bits);
        prop_assume!(v.is_finite() && v != 0.0);
        let s = double(v);
        // Reads back as the same double...
        prop_assert_eq!(s.parse::<f64>().unwrap(), v, "{}", s);
        // ...with the fewest digits that do: as many as Rust's own shortest search finds
        // (which breaks ties differently, so only the count is compared).
        let (digits, decpt, sci) = shape(&s);
        prop_assert_eq!(digits.len(), shape(&format!("{v:e}")).0.len(), "{}", s);
        prop_assert_eq!(sci, expect_exponent(digits.len(), decpt), "{}", s);
        if sci {
            prop_assert!(!s.contains('+') && !s.contains("e0") && !s.contains("e-0"), "{}", s);
        }
    }

    #[test]
    fn float_is_six_correctly_rounded_digits(bits: u32) {
        let v = f32::from_bits(bits);
        prop_assume!(v.is_finite() && v != 0.0);
        let s = float(v);
        let (digits, decpt, sci) = shape(&s);
        prop_assert!(digits.len() <= 6, "{}", s);
        prop_assert_eq!(sci, expect_exponent(digits.len(), decpt), "{}", s);
        // The nearest 6-digit decimal: within half a unit of the sixth digit (with a
        // little slack, as this check itself computes in f64).
        let shown: f64 = s.parse().unwrap();
        let exact = f64::from(v);
        let unit = 10f64.powi(decpt - 6);
        prop_assert!((shown - exact).abs() <= unit * 0.500_001, "{} for {:e}", s, v);
    }

    #[test]
    fn fixed_has_exactly_the_scale(v in prop_oneof![-1e20f64..1e20, -1e-3f64..1e-3], decimals in 0u8..31) {
        let s = fixed(v, decimals);
        let frac = s.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(frac, usize::from(decimals));
        // The shortest digits when they fit, else the exact rounding.
        let (digits, decpt, _) = shape(ryu::Buffer::new().format(v).trim_end_matches(".0"));
        if digits.len() as i32 - decpt <= i32::from(decimals) {
            prop_assert_eq!(s.parse::<f64>().unwrap(), v, "{}", s);
        } else {
            prop_assert_eq!(&s, &format!("{v:.*}", usize::from(decimals)));
        }
    }
}
