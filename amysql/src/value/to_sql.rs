//! `ToSql`: writing a Rust value as an SQL literal, straight into the query buffer.
//!
//! Literal forms follow PyMySQL's `converters.py`: integers in decimal, floats as DOUBLE
//! literals (`1.5e0`), strings quoted and escaped, bytes as `_binary'...'`, temporal values
//! quoted, `None` as `NULL`, sequences as `(a,b,c)`.
//!
//! ## Bytes versus lists without specialization
//!
//! `Vec<u8>` must be a bytes literal while `Vec<T>` for any other `T` is an `IN` list.
//! Stable Rust cannot have both `impl ToSql for Vec<u8>` and `impl<T: ToSql> ToSql for
//! Vec<T>`, so there is one impl for `[T]` and `T` itself says whether a slice of it is
//! bytes: the hidden `byte_slice` method returns `None` by default and `Some` only in
//! the `u8` impl. This is sound (no unsafe, no marker trait users must remember) and
//! every `ToSql` type, including users' own, works inside lists.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use super::binary::{self, BinaryResult, BinaryType};
use super::escape::{hex_literal_into, quote_into};
use super::format::FormatContext;
use crate::error::{Error, Result};

/// A Rust value that can be written as an SQL literal for client-side `%s` formatting.
pub trait ToSql {
    /// Appends the literal for `self` to `out`, escaped for `ctx`.
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()>;

    /// Appends `self` as a binary-protocol parameter (for MariaDB's bulk `executemany`)
    /// and returns its wire type. The default, `Ok(None)`, means "no binary form": rows
    /// holding such a value are sent as text instead, through `write_sql`.
    #[doc(hidden)]
    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        let _ = out;
        Ok(None)
    }

    /// `Some` when a slice of `Self` is a byte string (only `u8` says so); see the module
    /// docs. Not meant to be overridden by other types.
    #[doc(hidden)]
    fn byte_slice(items: &[Self]) -> Option<&[u8]>
    where
        Self: Sized,
    {
        let _ = items;
        None
    }
}

/// Appends a quoted, escaped string literal.
pub(crate) fn write_str(s: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
    ctx.check()?;
    quote_into(out, s.as_bytes(), ctx.no_backslash_escapes());
    Ok(())
}

/// Appends a bytes literal.
///
/// `_binary'...'` (escaped like a string, in either mode) rather than `X'hex'`: it is
/// what PyMySQL sends, it costs about one byte per byte instead of two (which matters
/// against `max_allowed_packet` for large BLOBs and for executemany batching), and the
/// `_binary` introducer keeps the value a binary string in every context (a hex literal
/// turns into a number in numeric context). APIs that must return the query as a
/// `String` switch to `X'hex'` when the bytes are not UTF-8 (see `escape_value`).
pub(crate) fn write_bytes(b: &[u8], out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
    ctx.check()?;
    if ctx.hex_bytes() {
        hex_literal_into(out, b);
    } else {
        out.extend_from_slice(b"_binary");
        quote_into(out, b, ctx.no_backslash_escapes());
    }
    Ok(())
}

/// Appends `(a,b,c)`; an empty list has no valid SQL form (`IN ()` is a syntax error).
pub(crate) fn write_list<T: ToSql>(items: &[T], out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
    let Some((first, rest)) = items.split_first() else {
        return Err(Error::Encode(
            "cannot format an empty sequence: `IN ()` is not valid SQL; handle the empty \
             case before querying"
                .into(),
        ));
    };
    out.push(b'(');
    first.write_sql(out, ctx)?;
    for item in rest {
        out.push(b',');
        item.write_sql(out, ctx)?;
    }
    out.push(b')');
    Ok(())
}

/// DOUBLE literal from the shortest round-tripping decimal form, with `e0` added when
/// it has no exponent, as PyMySQL's `escape_float` does; without an exponent MySQL would
/// read `1.5` as an exact DECIMAL.
fn write_float(formatted: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(formatted.as_bytes());
    if !formatted.contains('e') {
        out.extend_from_slice(b"e0");
    }
}

fn non_finite(v: impl std::fmt::Display) -> Error {
    Error::Encode(format!("{v} cannot be sent to MySQL: it has no NaN or infinity values"))
}

impl ToSql for f64 {
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        if !self.is_finite() {
            return Err(non_finite(self));
        }
        write_float(ryu::Buffer::new().format_finite(*self), out);
        Ok(())
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        if !self.is_finite() {
            return Err(non_finite(self));
        }
        binary::put_f64(*self, out)
    }
}

impl ToSql for f32 {
    /// Shortest f32 form (`1.1e0`, not `1.100000023841858e0`): the server parses it back
    /// to the same f32 in a FLOAT column.
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        if !self.is_finite() {
            return Err(non_finite(self));
        }
        write_float(ryu::Buffer::new().format_finite(*self), out);
        Ok(())
    }

    /// The double that the text form above denotes (`1.1f32` is sent as `1.1`, not as
    /// `1.100000023841858`), so both paths store the same value.
    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        if !self.is_finite() {
            return Err(non_finite(self));
        }
        let shortest: f64 = ryu::Buffer::new().format_finite(*self).parse().unwrap_or(f64::from(*self));
        binary::put_f64(shortest, out)
    }
}

/// Integers wider than 64 bits travel as their digits when they do not fit.
fn wide_int_binary(v: impl itoa::Integer + TryInto<i64> + TryInto<u64> + Copy, out: &mut Vec<u8>) -> BinaryResult {
    if let Ok(small) = TryInto::<i64>::try_into(v) {
        return binary::put_i64(small, out);
    }
    if let Ok(small) = TryInto::<u64>::try_into(v) {
        return binary::put_u64(small, out);
    }
    binary::put_decimal(itoa::Buffer::new().format(v).as_bytes(), out)
}

macro_rules! int_to_sql {
    ($($t:ty => $put:expr),*) => {$(
        impl ToSql for $t {
            fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
                out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
                Ok(())
            }

            fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
                $put(*self, out)
            }
        }
    )*};
}
int_to_sql!(
    i8 => |v: i8, out| binary::put_i64(i64::from(v), out),
    i16 => |v: i16, out| binary::put_i64(i64::from(v), out),
    i32 => |v: i32, out| binary::put_i64(i64::from(v), out),
    i64 => binary::put_i64,
    isize => wide_int_binary,
    i128 => wide_int_binary,
    u16 => |v: u16, out| binary::put_u64(u64::from(v), out),
    u32 => |v: u32, out| binary::put_u64(u64::from(v), out),
    u64 => binary::put_u64,
    usize => wide_int_binary,
    u128 => wide_int_binary
);

impl ToSql for u8 {
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
        Ok(())
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_u64(u64::from(*self), out)
    }

    fn byte_slice(items: &[u8]) -> Option<&[u8]> {
        Some(items)
    }
}

impl ToSql for bool {
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        out.push(if *self { b'1' } else { b'0' });
        Ok(())
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_bool(*self, out)
    }
}

impl ToSql for str {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self, out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_str(self.as_bytes(), out)
    }
}

impl ToSql for String {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self, out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_str(self.as_bytes(), out)
    }
}

impl ToSql for char {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self.encode_utf8(&mut [0; 4]), out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        binary::put_str(self.encode_utf8(&mut [0; 4]).as_bytes(), out)
    }
}

impl<T: ToSql> ToSql for [T] {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        match T::byte_slice(self) {
            Some(bytes) => write_bytes(bytes, out, ctx),
            None => write_list(self, out, ctx),
        }
    }

    /// Bytes only: an IN list has no binary form.
    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        match T::byte_slice(self) {
            Some(bytes) => binary::put_bytes(bytes, out),
            None => Ok(None),
        }
    }
}

impl<T: ToSql> ToSql for Vec<T> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        self.as_slice().write_binary(out)
    }
}

impl<T: ToSql, const N: usize> ToSql for [T; N] {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        self.as_slice().write_binary(out)
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        match self {
            Some(v) => v.write_sql(out, ctx),
            None => {
                out.extend_from_slice(b"NULL");
                Ok(())
            }
        }
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        match self {
            Some(v) => v.write_binary(out),
            None => Ok(Some(BinaryType::NULL)),
        }
    }
}

impl<B: ToSql + ToOwned + ?Sized> ToSql for Cow<'_, B> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        (**self).write_sql(out, ctx)
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        (**self).write_binary(out)
    }
}

macro_rules! deref_to_sql {
    ($($ty:ty),*) => {$(
        impl<T: ToSql + ?Sized> ToSql for $ty {
            fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
                (**self).write_sql(out, ctx)
            }

            fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
                (**self).write_binary(out)
            }
        }
    )*};
}
deref_to_sql!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

#[cfg(test)]
mod tests {
    use super::*;

    fn lit<T: ToSql + ?Sized>(v: &T) -> String {
        lit_in(v, &FormatContext::default())
    }

    fn lit_in<T: ToSql + ?Sized>(v: &T, ctx: &FormatContext) -> String {
        let mut out = Vec::new();
        v.write_sql(&mut out, ctx).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn err<T: ToSql + ?Sized>(v: &T) -> String {
        let mut out = Vec::new();
        v.write_sql(&mut out, &FormatContext::default()).unwrap_err().to_string()
    }

    #[test]
    fn integers() {
        assert_eq!(lit(&i64::MIN), "-9223372036854775808");
        assert_eq!(lit(&u64::MAX), "18446744073709551615");
        assert_eq!(lit(&0u8), "0");
        assert_eq!(lit(&-5i8), "-5");
        assert_eq!(lit(&7usize), "7");
        assert_eq!(lit(&true), "1");
        assert_eq!(lit(&false), "0");
    }

    #[test]
    fn floats_are_double_literals() {
        assert_eq!(lit(&1.5f64), "1.5e0");
        assert_eq!(lit(&-0.0f64), "-0.0e0");
        assert_eq!(lit(&1e308f64), "1e308");
        assert_eq!(lit(&2.5e-10f64), "2.5e-10");
        assert_eq!(lit(&0.1f64), "0.1e0");
        assert_eq!(lit(&1.1f32), "1.1e0");
        assert_eq!(lit(&100.0f64), "100.0e0");
    }

    #[test]
    fn non_finite_floats_are_refused() {
        assert_eq!(err(&f64::NAN), "encode error: NaN cannot be sent to MySQL: it has no NaN or infinity values");
        assert!(err(&f64::INFINITY).contains("inf cannot be sent"));
        assert!(err(&f32::NEG_INFINITY).contains("-inf cannot be sent"));
    }

    #[test]
    fn strings_in_both_modes() {
        let nbe = FormatContext::new(true, "utf8mb4");
        assert_eq!(lit("foo'bar"), r"'foo\'bar'");
        assert_eq!(lit_in("foo'bar", &nbe), "'foo''bar'");
        assert_eq!(lit(&String::from("a\\b")), r"'a\\b'");
        assert_eq!(lit(&Cow::Borrowed("x")), "'x'");
        assert_eq!(lit(&'\''), r"'\''");
        assert_eq!(lit(&Arc::<str>::from("é")), "'é'");
    }

    #[test]
    fn bytes_are_binary_literals_and_round_trip() {
        assert_eq!(lit(&b"ab'c".to_vec()), r"_binary'ab\'c'");
        assert_eq!(lit(&b"ab"[..]), "_binary'ab'");
        assert_eq!(lit(b"\0\n"), r"_binary'\0\n'");
        assert_eq!(lit(&Vec::<u8>::new()), "_binary''");
        assert_eq!(lit(&Box::<[u8]>::from(&b"z"[..])), "_binary'z'");
        let all: Vec<u8> = (0..=255).collect();
        for nbe in [false, true] {
            let mut out = Vec::new();
            all.write_sql(&mut out, &FormatContext::new(nbe, "binary")).unwrap();
            let (value, rest) = super::super::escape::model::parse_literal(&out, nbe).unwrap();
            assert_eq!((value, rest), (all.clone(), &b""[..]));
        }
        let hex = FormatContext::default().with_hex_bytes();
        assert_eq!(lit_in(&[0u8, 255][..], &hex), "X'00FF'");
    }

    #[test]
    fn sequences_are_in_lists() {
        assert_eq!(lit(&vec![1, 2, 3]), "(1,2,3)");
        assert_eq!(lit(&[1i64]), "(1)");
        assert_eq!(lit(&["a", "b'c"][..]), r"('a','b\'c')");
        assert_eq!(lit_in(&vec!["a", "b'c"], &FormatContext::new(true, "utf8")), "('a','b''c')");
        assert_eq!(lit(&vec![Some(1), None]), "(1,NULL)");
        assert_eq!(lit(&vec![vec![1, 2], vec![3]]), "((1,2),(3))");
        assert_eq!(lit(&vec![b"x".to_vec()]), "(_binary'x')");
        assert_eq!(lit(&vec![1i8, -1]), "(1,-1)");
    }

    #[test]
    fn empty_sequence_is_an_error() {
        let e = err(&Vec::<i32>::new());
        assert!(e.contains("empty sequence"), "{e}");
        assert!(err(&[0i32; 0]).contains("IN ()"));
    }

    #[test]
    fn option_and_references() {
        assert_eq!(lit(&None::<i32>), "NULL");
        assert_eq!(lit(&Some("x")), "'x'");
        assert_eq!(lit(&&&5), "5");
        assert_eq!(lit(&Box::new(2.0f64)), "2.0e0");
        let dynamic: &(dyn ToSql + Sync) = &"d";
        assert_eq!(lit(dynamic), "'d'");
    }

    #[test]
    fn unsafe_charset_refuses_strings() {
        let gbk = FormatContext::new(false, "gbk");
        let mut out = Vec::new();
        let e = "x".write_sql(&mut out, &gbk).unwrap_err();
        assert!(matches!(e, Error::Interface(_)));
        assert!(e.to_string().contains("charset `gbk`"), "{e}");
        assert!(b"x".write_sql(&mut out, &gbk).is_err());
    }
}
