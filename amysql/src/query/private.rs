//! Support code for what `amysql-macros` generates. Not a public API: the names and
//! signatures change with the macros. It lives here so that the generated code stays
//! small (one call per field or argument) and its error messages are written once.

use std::fmt;

pub use super::args::MacroArgs;
use super::{Query, QueryAs, QueryScalar};
use crate::error::{Error, Result};
use crate::row::{ColumnSet, FromRow, RowRef};
use crate::value::{BinaryResult, FormatContext, FromSql, Params, ToSql};

#[cfg(feature = "json")]
pub use serde::{de::DeserializeOwned, Serialize};

// ---- derive(FromRow) ----

/// The index of the column a required field reads, or an error naming the column, the
/// field and its Rust type.
#[inline]
pub fn named_column<T: ?Sized>(columns: &ColumnSet, column: &str, strukt: &str, field: &str) -> Result<usize> {
    columns.index_of(column).ok_or_else(|| {
        Error::Decode(format!(
            "no column `{column}` for field `{strukt}.{field}` ({}); the result has columns {columns:?}",
            short_type_name::<T>()
        ))
    })
}

/// A tuple struct's column by position, if the result has that many columns.
#[inline]
pub fn position(columns: &ColumnSet, position: usize) -> Option<usize> {
    (position < columns.len()).then_some(position)
}

/// The column a required tuple-struct field reads, or an error naming the position.
#[inline]
pub fn positional_column<T: ?Sized>(columns: &ColumnSet, pos: usize, strukt: &str, field: &str) -> Result<usize> {
    position(columns, pos).ok_or_else(|| {
        Error::Decode(format!(
            "no column {pos} for field `{strukt}.{field}` ({}); the result has {} columns {columns:?}",
            short_type_name::<T>(),
            columns.len()
        ))
    })
}

/// Decodes one field. The cell decoder's error already names the column, its SQL type
/// and the Rust type; this adds the field.
#[inline]
pub fn decode_field<T: FromSql>(row: &RowRef<'_>, index: usize, strukt: &str, field: &str) -> Result<T> {
    row.decode(index).map_err(|e| in_field(e, strukt, field))
}

/// `#[amysql(try_from = "S")]`: decodes as `S`, then converts.
pub fn decode_try_from<S, T>(row: &RowRef<'_>, index: usize, strukt: &str, field: &str) -> Result<T>
where
    S: FromSql,
    T: TryFrom<S>,
    T::Error: fmt::Display,
{
    let source: S = decode_field(row, index, strukt, field)?;
    T::try_from(source).map_err(|e| {
        let column = &row.columns().columns()[index];
        Error::Decode(format!(
            "field `{strukt}.{field}`: column {index} `{}` ({}) decoded as {} but not convertible into {}: {e}",
            column.name(),
            column.type_name(),
            short_type_name::<S>(),
            short_type_name::<T>(),
        ))
    })
}

/// `#[amysql(json)]`: deserializes the cell's JSON text into the field's type. SQL NULL
/// is read as JSON `null`, so an `Option<T>` field gets `None`.
#[cfg(feature = "json")]
pub fn decode_json<T: DeserializeOwned>(row: &RowRef<'_>, index: usize, strukt: &str, field: &str) -> Result<T> {
    let text = row.raw(index);
    serde_json::from_slice(text.unwrap_or(b"null")).map_err(|e| {
        let column = &row.columns().columns()[index];
        let what = if text.is_none() { "NULL (use Option<T>)".to_string() } else { format!("invalid JSON: {e}") };
        Error::Decode(format!(
            "field `{strukt}.{field}`: column {index} `{}` ({}) into {} as JSON: {what}",
            column.name(),
            column.type_name(),
            short_type_name::<T>(),
        ))
    })
}

/// Without the `json` feature, `#[amysql(json)]` fields fail to compile with a message
/// that says why (nothing implements these stand-ins).
#[cfg(not(feature = "json"))]
#[diagnostic::on_unimplemented(message = "`#[amysql(json)]` needs amysql's `json` cargo feature")]
pub trait DeserializeOwned {}

#[cfg(not(feature = "json"))]
#[diagnostic::on_unimplemented(message = "`#[amysql(json)]` needs amysql's `json` cargo feature")]
pub trait Serialize {}

#[cfg(not(feature = "json"))]
pub fn decode_json<T: DeserializeOwned>(_: &RowRef<'_>, _: usize, strukt: &str, field: &str) -> Result<T> {
    Err(Error::NotSupported(format!("field `{strukt}.{field}`: JSON decoding needs the `json` feature")))
}

#[cold]
fn in_field(e: Error, strukt: &str, field: &str) -> Error {
    match e {
        Error::Decode(m) => Error::Decode(format!("field `{strukt}.{field}`: {m}")),
        other => other,
    }
}

/// `alloc::string::String` -> `String`, `core::option::Option<i64>` -> `Option<i64>`.
fn short_type_name<T: ?Sized>() -> String {
    crate::value::short_type_name(std::any::type_name::<T>())
}

// ---- derive(Params) ----

#[cold]
pub fn no_positional(index: usize) -> Error {
    Error::Interface(format!("no positional parameter #{}: this struct gives %(name)s parameters", index + 1))
}

// ---- query! / query_as! / query_scalar! ----

/// One `query!` argument, taken by value. `arg` requires `ToSql` where the argument
/// is written, and keeps its `write_sql` as a function pointer, so the generated writer
/// needs no trait bound of its own: a type that is not `ToSql` is reported once, at the
/// argument, instead of a second time somewhere inside the expansion.
pub struct Arg<T> {
    value: T,
    write: fn(&T, &mut Vec<u8>, &FormatContext) -> Result<()>,
    write_binary: fn(&T, &mut Vec<u8>) -> BinaryResult,
}

#[inline]
pub fn arg<T: ToSql>(value: T) -> Arg<T> {
    Arg { value, write: T::write_sql, write_binary: T::write_binary }
}

impl<T> Arg<T> {
    /// Writes the value of `%s` number `number` (1-based, for the error message).
    #[inline]
    pub fn write_positional(&self, number: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        (self.write)(&self.value, out, ctx).map_err(|e| in_param(e, format_args!("#{number}")))
    }

    /// Writes the value of `%(name)s`.
    #[inline]
    pub fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        (self.write)(&self.value, out, ctx).map_err(|e| in_param(e, format_args!("`{name}`")))
    }

    /// Writes the value as a binary-protocol parameter (prepared-statement path).
    #[inline]
    pub fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        (self.write_binary)(&self.value, out)
    }
}

/// Writes the whole query text from the argument tuple.
pub type TextWriter<A> = fn(&A, &mut Vec<u8>, &FormatContext) -> Result<()>;
/// Writes argument `index` (or the one called `name`) as a binary parameter.
pub type BinaryWriter<A> = fn(&A, usize, &str, &mut Vec<u8>) -> BinaryResult;

/// The macros' arguments as a parameter set for the prepared-statement path:
/// `binary(index, name, out)` writes positional argument `index` (or, for `%(name)s`
/// queries, the one called `name`). Text formatting goes through the macro's own
/// writer, never through this.
pub struct MacroParams<A> {
    pub(crate) values: A,
    pub(crate) binary: BinaryWriter<A>,
    /// `Some(n)` for `%s` queries, `None` for `%(name)s`.
    pub(crate) positional: Option<usize>,
    /// Distinct names of a `%(name)s` query.
    pub(crate) names: usize,
}

impl<A> Params for MacroParams<A> {
    // Never "empty": the macro split the SQL at compile time (`%%` is already `%`), so
    // even an argument-less query is a template, not verbatim SQL.
    fn positional_len(&self) -> Option<usize> {
        self.positional
    }
    fn write_positional(&self, index: usize, _: &mut Vec<u8>, _: &FormatContext) -> Result<()> {
        Err(Error::Interface(format!("query! arguments are written by the macro, not by position (#{index})")))
    }
    fn named_len(&self) -> usize {
        self.names
    }
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        (self.binary)(&self.values, index, "", out)
    }
    fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
        (self.binary)(&self.values, usize::MAX, name, out)
    }
}

/// The charset check the runtime formatter does before writing any value.
#[inline]
pub fn check(ctx: &FormatContext) -> Result<()> {
    ctx.check()
}

#[cold]
fn in_param(e: Error, which: fmt::Arguments<'_>) -> Error {
    match e {
        Error::Encode(m) => Error::Encode(format!("parameter {which}: {m}")),
        other => other,
    }
}

/// What the macros pass besides the SQL: the argument values (a tuple of [`Arg`]s),
/// the text writer and the binary writer over them, and the shape of the placeholders
/// (`positional`: `Some(n)` for `%s`, `None` for `%(name)s` with `names` distinct names).
///
/// The writers are function pointers, not closure types: a future holding a closure
/// that takes a reference trips rust-lang/rust#100013 ("FnOnce is not general enough")
/// when it must be `Send`, as axum handlers' futures must.
pub fn args<A>(
    values: A,
    writer: TextWriter<A>,
    binary: BinaryWriter<A>,
    positional: Option<usize>,
    names: usize,
) -> MacroArgs<A> {
    MacroArgs { writer, params: MacroParams { values, binary, positional, names } }
}

/// The `query!` builder.
pub fn query<A: Sync>(sql: &'static str, args: MacroArgs<A>) -> Query<'static, MacroArgs<A>> {
    Query::with_args(sql, args)
}

/// The `query_as!` builder.
pub fn query_as<T: FromRow, A: Sync>(sql: &'static str, args: MacroArgs<A>) -> QueryAs<'static, T, MacroArgs<A>> {
    QueryAs::new(Query::with_args(sql, args))
}

/// The `query_scalar!` builder.
pub fn query_scalar<T: FromSql, A: Sync>(
    sql: &'static str,
    args: MacroArgs<A>,
) -> QueryScalar<'static, T, MacroArgs<A>> {
    QueryScalar::new(Query::with_args(sql, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_short() {
        assert_eq!(short_type_name::<Option<String>>(), "Option<String>");
        assert_eq!(short_type_name::<std::collections::HashMap<u8, Vec<i64>>>(), "HashMap<u8, Vec<i64>>");
    }
}
