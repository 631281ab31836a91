//! sea-query integration (feature `sea-query`): statements built with
//! `sea_query::MysqlQueryBuilder` run on any [`Executor`](crate::Executor).
//!
//! ```no_run
//! # async fn demo(pool: amysql::Pool) -> amysql::Result<()> {
//! use amysql::sea_query::SeaQueryExt;
//! use sea_query::{Expr, ExprTrait, Query};
//!
//! let (sql, values) = Query::select()
//!     .columns(["id", "name"])
//!     .from("users")
//!     .and_where(Expr::col("id").gt(10))
//!     .build_amysql();
//! let rows: Vec<(i64, String)> = amysql::query_as_with(&sql, &values).fetch_all(&pool).await?;
//! # Ok(()) }
//! ```
//!
//! `sea_query::Values` is a [`Params`]: the builder writes `?` placeholders, which every
//! amysql path understands (text formatting, prepared statements through
//! `ConnectOptions::stmt_cache_size`, `executemany`), so `query_with(&sql, &values)`,
//! `query_as_with`, `query_scalar_with`, `.fetch(..)` and cursors all take a built
//! statement as it is. `sea_query::Value` is a [`ToSql`], mapped to the amysql type that
//! already has the same meaning, so both paths send what a hand-written bind would:
//!
//! * integers, floats, `Bool`, `String`, `Char`, `Bytes` (a binary string), `Enum`
//!   (its text, as MySQL `ENUM` columns take it);
//! * `Json` (feature `json`) as a JSON document; `Decimal` (`rust_decimal`) exactly;
//!   `Uuid` (`uuid`) as its 16 raw bytes, for `BINARY(16)` (see `value/uuid_impls.rs`;
//!   for a `CHAR(36)` column bind `u.hyphenated().to_string()` instead);
//! * chrono (`chrono`) and time (`time`) dates, times of day and datetimes. Instants with
//!   a zone (`ChronoDateTimeUtc`, `ChronoDateTimeLocal`, `ChronoDateTimeWithTimeZone`,
//!   `TimeDateTimeWithTimeZone`) are converted to UTC and sent as a DATETIME without
//!   offset, as `DateTime<Utc>` and `OffsetDateTime` are: right when the session
//!   `time_zone` is `+00:00` or the column holds UTC by convention;
//! * every `None` as `NULL`.
//!
//! Variants amysql has no type for (`BigDecimal`, jiff, PostgreSQL arrays, ranges,
//! vectors, network and MAC addresses, or a chrono/time/uuid/JSON/decimal variant that
//! another crate enabled in sea-query while the matching amysql feature is off) are an
//! `Error::Encode` naming the variant, never a panic and never a guessed encoding.

use ::sea_query::{MysqlQueryBuilder, OptionEnum, QueryStatementWriter, Value, Values};

use crate::error::{Error, Result};
use crate::value::{BinaryResult, FormatContext, Params, ToSql};

/// `.build_amysql()` on any sea-query statement (`SELECT`, `INSERT`, `UPDATE`, `DELETE`,
/// `WITH`): its MySQL text with `?` placeholders and the values to bind, ready for
/// `query_with(&sql, &values)`.
pub trait SeaQueryExt {
    /// `self.build(MysqlQueryBuilder)`: the dialect amysql speaks, so the choice of
    /// builder (quoting with backticks, `?` placeholders) cannot go wrong.
    fn build_amysql(&self) -> (String, Values);
}

impl<S: QueryStatementWriter> SeaQueryExt for S {
    fn build_amysql(&self) -> (String, Values) {
        self.build(MysqlQueryBuilder)
    }
}

/// The `NULL` of every variant: its type does not matter to the server (a `NULL`
/// parameter has the NULL type on the binary path and is the `NULL` literal in text).
const NULL: Option<i64> = None;

/// Calls `f` with the amysql value that `v` stands for.
fn with_sql<R>(v: &Value, f: impl FnOnce(&dyn ToSql) -> Result<R>) -> Result<R> {
    match v {
        Value::Bool(x) => f(x),
        Value::TinyInt(x) => f(x),
        Value::SmallInt(x) => f(x),
        Value::Int(x) => f(x),
        Value::BigInt(x) => f(x),
        Value::TinyUnsigned(x) => f(x),
        Value::SmallUnsigned(x) => f(x),
        Value::Unsigned(x) => f(x),
        Value::BigUnsigned(x) => f(x),
        Value::Float(x) => f(x),
        Value::Double(x) => f(x),
        Value::String(x) => f(x),
        Value::Char(x) => f(x),
        // `Vec<u8>` is a bytes parameter (`_binary'..'` / a BLOB), not a list.
        Value::Bytes(x) => f(x),
        Value::Enum(OptionEnum::Some(e)) => f(&e.value),
        Value::Enum(OptionEnum::None(_)) => f(&NULL),
        #[cfg(feature = "json")]
        Value::Json(x) => f(x),
        #[cfg(feature = "rust_decimal")]
        Value::Decimal(x) => f(x),
        #[cfg(feature = "uuid")]
        Value::Uuid(x) => f(x),
        #[cfg(feature = "chrono")]
        Value::ChronoDate(x) => f(x),
        #[cfg(feature = "chrono")]
        Value::ChronoTime(x) => f(x),
        #[cfg(feature = "chrono")]
        Value::ChronoDateTime(x) => f(x),
        #[cfg(feature = "chrono")]
        Value::ChronoDateTimeUtc(x) => f(x),
        #[cfg(feature = "chrono")]
        Value::ChronoDateTimeLocal(x) => f(&x.map(|t| t.to_utc())),
        #[cfg(feature = "chrono")]
        Value::ChronoDateTimeWithTimeZone(x) => f(&x.map(|t| t.to_utc())),
        #[cfg(feature = "time")]
        Value::TimeDate(x) => f(x),
        #[cfg(feature = "time")]
        Value::TimeTime(x) => f(x),
        #[cfg(feature = "time")]
        Value::TimeDateTime(x) => f(x),
        #[cfg(feature = "time")]
        Value::TimeDateTimeWithTimeZone(x) => f(x),
        // Reachable whenever sea-query has a variant enabled (by any crate in the build)
        // that amysql has no type for; unreachable in a build with none.
        #[allow(unreachable_patterns)]
        other => Err(unsupported(other)),
    }
}

/// Names the variant without its value (`as_null` keeps only the type), since bound
/// values may be secrets and must not reach error messages.
#[cold]
fn unsupported(v: &Value) -> Error {
    Error::Encode(format!(
        "sea-query value {:?} has no amysql mapping (enable the matching amysql feature, or convert it \
         to a supported type before binding)",
        v.as_null()
    ))
}

impl ToSql for Value {
    fn write_sql(&self, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        with_sql(self, |v| v.write_sql(out, ctx))
    }

    fn write_binary(&self, out: &mut Vec<u8>) -> BinaryResult {
        with_sql(self, |v| v.write_binary(out))
    }
}

/// One positional parameter per value, in the order of the builder's `?`s.
impl Params for Values {
    /// A statement without values is sent verbatim: sea-query never writes `%s`, so a
    /// `%` it wrote (inside `Expr::cust("DATE_FORMAT(d, '%Y')")`, say) is literal SQL,
    /// not a placeholder.
    fn is_empty_params(&self) -> bool {
        self.0.is_empty()
    }

    fn positional_len(&self) -> Option<usize> {
        Some(self.0.len())
    }

    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        match self.0.get(index) {
            Some(v) => v.write_sql(out, ctx),
            None => Err(Error::Interface(format!("no positional parameter #{}", index + 1))),
        }
    }

    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        self.0.get(index).map_or(Ok(None), |v| v.write_binary(out))
    }
}

// The tests name every variant, so they need every type feature.
#[cfg(all(test, feature = "chrono", feature = "time", feature = "uuid", feature = "json", feature = "rust_decimal"))]
#[path = "sea_query_tests.rs"]
mod tests;
