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

use super::escape::{hex_literal_into, quote_into};
use super::format::FormatContext;
use crate::error::{Error, Result};

/// A Rust value that can be written as an SQL literal for client-side `%s` formatting.
pub trait ToSql {
    /// Appends the literal for `self` to `out`, escaped for `ctx`.
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()>;

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
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
                out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
                Ok(())
            }
        }
    )*};
}
int_to_sql!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl ToSql for u8 {
    fn write_sql(&self, out: &mut Vec<u8>, _ctx: &FormatContext) -> Result<()> {
        out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
        Ok(())
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
}

impl ToSql for str {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self, out, ctx)
    }
}

impl ToSql for String {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self, out, ctx)
    }
}

impl ToSql for char {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        write_str(self.encode_utf8(&mut [0; 4]), out, ctx)
    }
}

impl<T: ToSql> ToSql for [T] {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        match T::byte_slice(self) {
            Some(bytes) => write_bytes(bytes, out, ctx),
            None => write_list(self, out, ctx),
        }
    }
}

impl<T: ToSql> ToSql for Vec<T> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_sql(out, ctx)
    }
}

impl<T: ToSql, const N: usize> ToSql for [T; N] {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_sql(out, ctx)
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
}

impl<B: ToSql + ToOwned + ?Sized> ToSql for Cow<'_, B> {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        (**self).write_sql(out, ctx)
    }
}

macro_rules! deref_to_sql {
    ($($ty:ty),*) => {$(
        impl<T: ToSql + ?Sized> ToSql for $ty {
            fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
                (**self).write_sql(out, ctx)
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
