//! How a typed query's parameters are stored and written.
//!
//! `.bind(v)` does not push onto a `Vec<Value>`: it wraps the parameter set built so far
//! in a `Bind<Prev, V>`, so a chain of binds is one nested struct holding each value
//! by value, with no boxing and no conversion. Formatting asks it for parameter `i` or
//! `name` and the matching value writes its own literal. Queries whose parameters are
//! only known at run time pass any `Params` (a `Vec<Value>`, a map) to `query_with`.

use crate::error::{Error, Result};
use crate::value::{format_query, BinaryResult, FormatContext, Params, ToSql};

/// What a query builder holds besides its SQL: anything that can write the final query
/// text. Implemented for every [`Params`] (formatted by the runtime scanner) and for the
/// pre-split writers that the `query!` macros generate.
pub trait QueryArgs {
    /// The parameter set behind the prepared-statement path.
    #[doc(hidden)]
    type Binary: Params + Sync + ?Sized;

    /// Appends the query with its parameters substituted to `out`.
    fn write_query(&self, sql: &str, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()>;

    /// The parameters, when they can run as a prepared statement
    /// (`ConnectOptions::stmt_cache_size`); `None` sends text.
    #[doc(hidden)]
    fn binary_params(&self) -> Option<&Self::Binary>;
}

impl<P: Params + Sync> QueryArgs for P {
    type Binary = P;

    #[inline]
    fn write_query(&self, sql: &str, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
        format_query(sql, self, ctx, out)
    }

    #[inline]
    fn binary_params(&self) -> Option<&P> {
        Some(self)
    }
}

/// The output of the `query!` macros: a closure that writes the SQL's chunks and the
/// escaped arguments in order (the SQL was split and checked at compile time, so nothing
/// is parsed or looked up when it runs), and the same arguments as binary parameters for
/// the prepared-statement path.
#[doc(hidden)]
pub struct MacroArgs<A> {
    pub(crate) writer: super::private::TextWriter<A>,
    pub(crate) params: super::private::MacroParams<A>,
}

impl<A: Sync> QueryArgs for MacroArgs<A> {
    type Binary = super::private::MacroParams<A>;

    #[inline]
    fn write_query(&self, _sql: &str, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        let r = (self.writer)(&self.params.values, out, ctx);
        if r.is_err() {
            // Same contract as the runtime formatter: nothing half-written is left behind.
            out.truncate(start);
        }
        r
    }

    fn binary_params(&self) -> Option<&Self::Binary> {
        Some(&self.params)
    }
}

/// A parameter set that `.bind(v)` can extend: `()` or a chain of positional binds.
#[diagnostic::on_unimplemented(
    message = "`bind` cannot follow `bind_named` or `query_with` parameters",
    label = "this query's parameters are not a chain of positional `bind`s",
    note = "a query uses either `%s` with `bind`, or `%(name)s` with `bind_named`"
)]
pub trait PositionalArgs: Params {
    /// How many values the chain holds.
    const COUNT: usize;
}

/// A parameter set that `.bind_named(k, v)` can extend: `()` or a chain of named binds.
#[diagnostic::on_unimplemented(
    message = "`bind_named` cannot follow `bind` or `query_with` parameters",
    label = "this query's parameters are not a chain of `bind_named`s",
    note = "a query uses either `%s` with `bind`, or `%(name)s` with `bind_named`"
)]
pub trait NamedArgs: Params {
    /// How many values the chain holds.
    const COUNT: usize;
}

impl PositionalArgs for () {
    const COUNT: usize = 0;
}

impl NamedArgs for () {
    const COUNT: usize = 0;
}

/// Positional parameters `Prev` followed by one more value.
#[derive(Debug, Clone)]
pub struct Bind<Prev, V> {
    pub(crate) prev: Prev,
    pub(crate) value: V,
}

impl<Prev: PositionalArgs, V: ToSql> PositionalArgs for Bind<Prev, V> {
    const COUNT: usize = Prev::COUNT + 1;
}

impl<Prev: PositionalArgs, V: ToSql> Params for Bind<Prev, V> {
    fn positional_len(&self) -> Option<usize> {
        Some(Self::COUNT)
    }

    #[inline]
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        // COUNT is a constant per chain type, so this compiles to a jump down the chain.
        if index == Prev::COUNT {
            self.value.write_sql(out, ctx)
        } else if index < Prev::COUNT {
            self.prev.write_positional(index, out, ctx)
        } else {
            Err(Error::Interface(format!("no positional parameter #{}", index + 1)))
        }
    }

    #[inline]
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        if index == Prev::COUNT {
            self.value.write_binary(out)
        } else if index < Prev::COUNT {
            self.prev.write_positional_binary(index, out)
        } else {
            Ok(None)
        }
    }
}

/// Named parameters `Prev` plus one more `name => value`.
#[derive(Debug, Clone)]
pub struct BindNamed<'n, Prev, V> {
    pub(crate) prev: Prev,
    pub(crate) name: &'n str,
    pub(crate) value: V,
}

impl<Prev: NamedArgs, V: ToSql> NamedArgs for BindNamed<'_, Prev, V> {
    const COUNT: usize = Prev::COUNT + 1;
}

impl<Prev: NamedArgs, V: ToSql> Params for BindNamed<'_, Prev, V> {
    fn positional_len(&self) -> Option<usize> {
        None
    }

    fn write_positional(&self, index: usize, _: &mut Vec<u8>, _: &FormatContext) -> Result<()> {
        Err(Error::Interface(format!("no positional parameter #{}: the parameters were bound by name", index + 1)))
    }

    #[inline]
    fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<bool> {
        if name == self.name {
            self.value.write_sql(out, ctx).map(|()| true)
        } else {
            self.prev.write_named(name, out, ctx)
        }
    }

    fn named_len(&self) -> usize {
        Self::COUNT
    }

    fn named_keys(&self) -> Vec<&str> {
        let mut keys = self.prev.named_keys();
        keys.push(self.name);
        keys
    }

    #[inline]
    fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
        if name == self.name {
            self.value.write_binary(out)
        } else {
            self.prev.write_named_binary(name, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::format_query_string;

    fn fmt<P: Params>(sql: &str, p: P) -> Result<String> {
        format_query_string(sql, &p, &FormatContext::default())
    }

    #[test]
    fn positional_chain_formats_in_order() {
        let p = Bind { prev: Bind { prev: Bind { prev: (), value: 1 }, value: "it's" }, value: None::<i32> };
        assert_eq!(fmt("%s, %s, %s", &p).unwrap(), r"1, 'it\'s', NULL");
        assert!(fmt("%s, %s", &p).unwrap_err().to_string().contains("too many parameters"));
        assert!(fmt("%s %s %s %s", &p).unwrap_err().to_string().contains("not enough parameters"));
    }

    #[test]
    fn named_chain_looks_up_names() {
        let p = BindNamed { prev: BindNamed { prev: (), name: "a", value: 1 }, name: "b", value: "x" };
        assert_eq!(fmt("%(b)s %(a)s %(b)s", &p).unwrap(), "'x' 1 'x'");
        assert!(fmt("%(a)s", &p).unwrap_err().to_string().contains("`b` is not used"));
        assert!(fmt("%(c)s %(a)s %(b)s", &p).unwrap_err().to_string().contains("missing named parameter `c`"));
        assert!(fmt("%s", &p).unwrap_err().to_string().contains("named parameters were given"));
    }

    #[test]
    fn macro_writer_leaves_nothing_behind_on_error() {
        let args = super::super::private::args(
            (),
            |_, out, _| {
                out.extend_from_slice(b"SELECT ");
                Err(Error::Encode("nope".into()))
            },
            |_, _, _, _| Ok(None),
            Some(0),
            0,
        );
        let mut out = b"x".to_vec();
        assert!(args.write_query("", &FormatContext::default(), &mut out).is_err());
        assert_eq!(out, b"x");
    }
}
