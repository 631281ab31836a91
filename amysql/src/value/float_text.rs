//! FLOAT and DOUBLE values as the server writes them in the text protocol, for binary
//! (prepared-statement) cells read as text: `String`, bytes, `Decimal`, user types.
//!
//! MariaDB (and MySQL, which shares the code) prints a free-format real (column scale
//! 31 or more) with `my_gcvt` and a fixed-scale one (`FLOAT(7,3)`, `ROUND(x, 2)`) with
//! `my_fcvt`, both in strings/dtoa.c over David Gay's `dtoa`. What they produce:
//!
//! * **DOUBLE digits** (`my_gcvt`, dtoa mode 4 with more digits allowed than a double
//!   needs): the shortest digit string that reads back as the same double; of several,
//!   the nearest, an exact tie to even. ryu makes the same choice (Rust's own `{:e}`
//!   breaks such ties the other way: -1129382486790511.25 would be `...511.3`, the
//!   server says `...511.2`).
//! * **FLOAT digits** (`my_gcvt` with `MY_GCVT_ARG_FLOAT`: dtoa mode 4 capped at
//!   `FLT_DIG` = 6 digits, on the value widened to a double): the exact value correctly
//!   rounded to 6 significant digits, a tie to even (`CAST(1234565 AS FLOAT)` is
//!   `1234560`), trailing zeros dropped. (Mode 4 stops earlier only when fewer digits
//!   already read back as the double, and then they are the same digits.)
//! * **Notation** (`my_gcvt`). With `decpt` the position of the decimal point relative
//!   to the first digit (`1.5` has 1, `0.001` has -2) and `len` the number of digits,
//!   plain notation when `decpt >= -14` and (`decpt <= 15` or `len > decpt`), 15 being
//!   `MAX_DECPT_FOR_F_FORMAT` = `DBL_DIG`; otherwise `d.ddde-N` / `d.dddeN`, no `+` and
//!   no zero padding in the exponent. So `1e-7` is `0.0000001`, `1e14` is
//!   `100000000000000` but `1e15` is `1e15`, `2^53` is `9.007199254740992e15`, and
//!   `1234567890123456.8` (more digits than integer places) stays plain. `my_gcvt` also
//!   switches notation when its field width is too small; the widths the server passes
//!   (69 for FLOAT, 340 and more for DOUBLE) never are for these at most 33 characters.
//! * **Fixed scale** (`my_fcvt`, dtoa mode 5 with `decimals` digits after the point, on
//!   the value as a double): the shortest round-trip digits when they need no more than
//!   `decimals` decimals, else the exact value rounded to `decimals` places, a tie to
//!   even; then zeros up to exactly `decimals` decimals. So a DOUBLE(25,10) holding
//!   56292354773329.1484375 shows `56292354773329.1500000000`, and a FLOAT(7,3) holding
//!   12.3459997177... shows `12.346`.
//! * **Sign.** dtoa reports the sign of a negative zero, so `-0` and `-0.000`; MariaDB
//!   does not send negative zeros in practice (`-0e0` arrives as 0), MySQL can.
//!   NaN and infinities cannot be stored, and are shown as Rust shows them.
//!
//! Only the text rendering of a binary cell comes here; numbers (`f32`, `f64`, `Value`)
//! read the cell itself.

use std::fmt::{self, Write as _};

/// `MAX_DECPT_FOR_F_FORMAT` in strings/dtoa.c: `DBL_DIG`.
const MAX_DECPT_FOR_F_FORMAT: i32 = 15;

/// `FLT_DIG`: the significant digits a FLOAT is printed with.
const FLT_DIG: usize = 6;

/// A DOUBLE in free format, as the server's text protocol prints it.
#[inline(never)]
pub(crate) fn write_double(out: &mut impl fmt::Write, v: f64) -> fmt::Result {
    if !v.is_finite() {
        return write!(out, "{v}");
    }
    write_gcvt(out, &Digits::shortest(v)?)
}

/// A FLOAT in free format: six significant digits.
#[inline(never)]
pub(crate) fn write_float(out: &mut impl fmt::Write, v: f32) -> fmt::Result {
    if !v.is_finite() {
        return write!(out, "{v}");
    }
    let mut sci = Scratch::new();
    // Rust's `{:.N}` forms are exact, rounding a tie to even.
    write!(sci, "{:.*e}", FLT_DIG - 1, f64::from(v))?;
    write_gcvt(out, &Digits::parse(sci.as_bytes()).ok_or(fmt::Error)?)
}

/// A FLOAT (widened) or DOUBLE with a fixed scale: exactly `decimals` digits after the
/// point.
#[inline(never)]
pub(crate) fn write_fixed(out: &mut impl fmt::Write, v: f64, decimals: u8) -> fmt::Result {
    if v.is_finite() {
        let d = Digits::shortest(v)?;
        if d.len as i32 - d.decpt <= i32::from(decimals) {
            return write_plain(out, &d, decimals);
        }
    }
    write!(out, "{v:.*}", usize::from(decimals))
}

/// A finite number's significant digits and the position of its decimal point.
struct Digits {
    negative: bool,
    /// ASCII digits, at least one, no trailing zeros except zero's single `0`.
    digits: [u8; 24],
    len: usize,
    /// The value is `0.DIGITS × 10^decpt`.
    decpt: i32,
}

impl Digits {
    /// Reads a finite number as Rust or ryu print it: `[-]int[.frac][e[-]N]`.
    fn parse(s: &[u8]) -> Option<Digits> {
        let (negative, s) = match s.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, s),
        };
        let (mantissa, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
            Some(e) => (&s[..e], std::str::from_utf8(&s[e + 1..]).ok()?.parse::<i32>().ok()?),
            None => (s, 0),
        };
        let int_len = mantissa.iter().position(|&b| b == b'.').unwrap_or(mantissa.len());
        let mut d = Digits { negative, digits: [0; 24], len: 0, decpt: i32::try_from(int_len).ok()? + exp };
        for &b in mantissa.iter().filter(|&&b| b != b'.') {
            if !b.is_ascii_digit() {
                return None;
            }
            if d.len == 0 && b == b'0' {
                // A leading zero moves the point, not the digits.
                d.decpt -= 1;
                continue;
            }
            *d.digits.get_mut(d.len)? = b;
            d.len += 1;
        }
        while d.len > 0 && d.digits[d.len - 1] == b'0' {
            d.len -= 1;
        }
        if d.len == 0 {
            // Zero: one `0` before the point; the sign stays, as dtoa reports it.
            (d.digits[0], d.len, d.decpt) = (b'0', 1, 1);
        }
        Some(d)
    }

    /// ryu's digits: the shortest that read back as `v`, the nearest of those, a tie to
    /// even, as dtoa's.
    fn shortest(v: f64) -> Result<Digits, fmt::Error> {
        Digits::parse(ryu::Buffer::new().format_finite(v).as_bytes()).ok_or(fmt::Error)
    }

    fn as_str(&self) -> &str {
        // Copied from ASCII digits.
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or("0")
    }
}

/// `my_gcvt`'s choice of notation for `d` (see the module comment).
fn write_gcvt(out: &mut impl fmt::Write, d: &Digits) -> fmt::Result {
    let (len, decpt) = (d.len as i32, d.decpt);
    if decpt > -MAX_DECPT_FOR_F_FORMAT && (decpt <= MAX_DECPT_FOR_F_FORMAT || len > decpt) {
        return write_plain(out, d, 0);
    }
    if d.negative {
        out.write_char('-')?;
    }
    let (first, rest) = d.as_str().split_at(1);
    out.write_str(first)?;
    if !rest.is_empty() {
        write!(out, ".{rest}")?;
    }
    write!(out, "e{}", decpt - 1)
}

/// `d` in positional notation with at least `decimals` digits after the point (zeros
/// added), as `my_gcvt`'s 'f' format and `my_fcvt` write it.
fn write_plain(out: &mut impl fmt::Write, d: &Digits, decimals: u8) -> fmt::Result {
    let digits = d.as_str();
    let (len, decpt) = (d.len as i32, d.decpt);
    if d.negative {
        out.write_char('-')?;
    }
    let shown = if decpt <= 0 {
        out.write_str("0.")?;
        zeros(out, -decpt)?;
        out.write_str(digits)?;
        len - decpt
    } else if decpt < len {
        // decpt is in 1..len here, so a valid index.
        let (int, frac) = digits.split_at(decpt as usize);
        write!(out, "{int}.{frac}")?;
        len - decpt
    } else {
        out.write_str(digits)?;
        zeros(out, decpt - len)?;
        if decimals > 0 {
            out.write_char('.')?;
        }
        0
    };
    zeros(out, i32::from(decimals) - shown)
}

fn zeros(out: &mut impl fmt::Write, n: i32) -> fmt::Result {
    for _ in 0..n {
        out.write_char('0')?;
    }
    Ok(())
}

/// A stack buffer for the intermediate `{:.5e}` text of a FLOAT (at most 14 bytes).
struct Scratch {
    bytes: [u8; 32],
    len: usize,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { bytes: [0; 32], len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Write for Scratch {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
#[path = "float_text_tests.rs"]
mod tests;
