//! Values, `ToSql`/`FromSql`, and `%s` formatting with client-side escaping.
//!
//! amysql speaks the text protocol (COM_QUERY), as aiomysql/PyMySQL do: parameters are
//! written into the SQL as escaped literals on the client, and every result cell comes
//! back as text. This module holds both directions and nothing that does I/O:
//!
//! * `ToSql` writes a value's literal straight into the query buffer;
//! * `Params` is a whole parameter set (tuples, `params!`, slices, maps);
//! * `format_query` / `SqlTemplate` substitute `%s` / `%(name)s` or `?` placeholders;
//! * `FromSql` decodes a cell's bytes straight into a Rust type (`from_binary` does the
//!   same for prepared-statement results, whose cells are binary);
//! * `Value` is the dynamically typed cell for untyped rows.

mod binary;
mod dynamic;
mod escape;
mod float_text;
mod format;
mod from_binary;
mod from_sql;
mod json;
mod params;
pub(crate) mod prepared_sql;
mod time;
mod to_sql;

#[cfg(feature = "chrono")]
mod chrono_impls;
#[cfg(feature = "rust_decimal")]
mod decimal_impls;
#[cfg(feature = "time")]
mod time_impls;
#[cfg(feature = "uuid")]
mod uuid_impls;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_support;

pub use binary::{BinaryResult, BinaryType};
pub use dynamic::Value;
pub use escape::{escape_string, escape_string_into};
pub use format::{format_query, FormatContext, Piece, SqlTemplate};
pub use from_binary::decode_binary_column;
pub(crate) use from_sql::short_type_name;
pub use from_sql::{decode_column, DecodeError, FromSql, ZeroDateAsNone};
pub use json::Json;
pub use params::{NamedParams, Params};
pub use time::{Date, DateTime, Time};
pub use to_sql::ToSql;

use crate::error::Result;

/// The literal that `%s` would produce for `v`, as a `String` (`Connection::escape`).
///
/// Identical to what a query would carry, except for byte strings that are not valid
/// UTF-8: a `String` cannot hold them, so those are shown as the equivalent `X'..'` hex
/// literal.
pub fn escape_value<T: ToSql + ?Sized>(v: &T, ctx: &FormatContext) -> Result<String> {
    ctx.check()?;
    let mut out = Vec::new();
    v.write_sql(&mut out, ctx)?;
    match String::from_utf8(out) {
        Ok(s) => Ok(s),
        Err(_) => {
            let mut out = Vec::new();
            v.write_sql(&mut out, &ctx.with_hex_bytes())?;
            Ok(into_string(out))
        }
    }
}

/// `format_query` into a `String` (`Cursor::mogrify`), with the same rule as
/// `escape_value` for non-UTF-8 byte strings.
pub fn format_query_string<P: Params + ?Sized>(sql: &str, params: &P, ctx: &FormatContext) -> Result<String> {
    let mut out = Vec::with_capacity(sql.len() + 16);
    format_query(sql, params, ctx, &mut out)?;
    match String::from_utf8(out) {
        Ok(s) => Ok(s),
        Err(e) => {
            let mut out = e.into_bytes();
            out.clear();
            format_query(sql, params, &ctx.with_hex_bytes(), &mut out)?;
            Ok(into_string(out))
        }
    }
}

/// With hex bytes every literal is built from UTF-8 text and ASCII, so this is lossless;
/// the lossy path only guards against a user `ToSql` impl that writes raw bytes.
fn into_string(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_value_matches_the_query_literal() {
        let ctx = FormatContext::default();
        assert_eq!(escape_value("it's", &ctx).unwrap(), r"'it\'s'");
        assert_eq!(escape_value(&5, &ctx).unwrap(), "5");
        assert_eq!(escape_value(&b"ab"[..], &ctx).unwrap(), "_binary'ab'");
        // Not UTF-8: shown as the equivalent hex literal.
        assert_eq!(escape_value(&vec![0xffu8, 0], &ctx).unwrap(), "X'FF00'");
        assert_eq!(escape_value(&vec![1, 2], &ctx).unwrap(), "(1,2)");
        let gbk = FormatContext::new(false, "GBK");
        assert!(escape_value(&5, &gbk).unwrap_err().to_string().contains("`GBK`"));
    }

    #[test]
    fn mogrify_string() {
        let ctx = FormatContext::default();
        assert_eq!(format_query_string("SELECT %s", &("it's",), &ctx).unwrap(), r"SELECT 'it\'s'");
        assert_eq!(format_query_string("SELECT %s, %s", &(vec![0xfeu8], "é"), &ctx).unwrap(), "SELECT X'FE', 'é'");
        assert_eq!(format_query_string("SELECT '100%'", &(), &ctx).unwrap(), "SELECT '100%'");
    }
}
