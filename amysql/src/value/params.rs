//! `Params`: a whole parameter set for one query, positional or named.
//!
//! The formatter asks for parameters by index or name and each one writes its own
//! literal, so a tuple's values are never boxed or converted to `Value`.
//!
//! As in PyMySQL, a sequence given *as the parameter set* (`Vec<T>`, `&[T]`, `[T; N]`)
//! supplies one parameter per element, while the same sequence *inside* a parameter set
//! (`(vec![1, 2],)`) is one `(1,2)` IN-list value. A byte string given as the whole set
//! is one bytes parameter, again as in PyMySQL (where `bytes` is not treated as a list).

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use super::binary::BinaryResult;
use super::format::FormatContext;
use super::to_sql::ToSql;
use crate::error::{Error, Result};

/// A parameter set for `%s` (positional) or `%(name)s` (named) placeholders.
pub trait Params {
    /// True only for `()`: no parameters means no formatting at all, so the SQL is sent
    /// verbatim (`%` and `%%` included), as PyMySQL does with `args=None`.
    fn is_empty_params(&self) -> bool {
        false
    }

    /// The number of positional parameters; `None` for a named parameter set.
    fn positional_len(&self) -> Option<usize>;

    /// Writes positional parameter `index` (`< positional_len()`).
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()>;

    /// Writes the parameter called `name`; `Ok(false)` when there is none.
    fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<bool> {
        let _ = (name, out, ctx);
        Ok(false)
    }

    /// The number of named parameters, compared with the number of distinct names the
    /// query used to detect unused ones cheaply.
    fn named_len(&self) -> usize {
        0
    }

    /// The names, in any order. Only called to report an unused name, so it may allocate.
    fn named_keys(&self) -> Vec<&str> {
        Vec::new()
    }

    /// Positional parameter `index` as a binary-protocol value (MariaDB's bulk
    /// `executemany`). `Ok(None)` when it has no binary form or does not exist: the rows
    /// are then sent as text, whose formatter reports what is wrong.
    #[doc(hidden)]
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        let _ = (index, out);
        Ok(None)
    }

    /// The parameter called `name` as a binary-protocol value; `Ok(None)` as above.
    #[doc(hidden)]
    fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
        let _ = (name, out);
        Ok(None)
    }
}

#[cold]
fn no_positional(index: usize) -> Error {
    Error::Interface(format!("no positional parameter #{}", index + 1))
}

impl Params for () {
    fn is_empty_params(&self) -> bool {
        true
    }
    fn positional_len(&self) -> Option<usize> {
        Some(0)
    }
    fn write_positional(&self, index: usize, _: &mut Vec<u8>, _: &FormatContext) -> Result<()> {
        Err(no_positional(index))
    }
}

macro_rules! tuple_params {
    ($len:literal => $($idx:tt $name:ident),+) => {
        impl<$($name: ToSql),+> Params for ($($name,)+) {
            fn positional_len(&self) -> Option<usize> {
                Some($len)
            }
            fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
                match index {
                    $($idx => self.$idx.write_sql(out, ctx),)+
                    _ => Err(no_positional(index)),
                }
            }
            fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
                match index {
                    $($idx => self.$idx.write_binary(out),)+
                    _ => Ok(None),
                }
            }
        }
    };
}
tuple_params!(1 => 0 A);
tuple_params!(2 => 0 A, 1 B);
tuple_params!(3 => 0 A, 1 B, 2 C);
tuple_params!(4 => 0 A, 1 B, 2 C, 3 D);
tuple_params!(5 => 0 A, 1 B, 2 C, 3 D, 4 E);
tuple_params!(6 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
tuple_params!(7 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
tuple_params!(8 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);
tuple_params!(9 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I);
tuple_params!(10 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J);
tuple_params!(11 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K);
tuple_params!(12 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L);
tuple_params!(13 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M);
tuple_params!(14 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N);
tuple_params!(15 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O);
tuple_params!(16 => 0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H, 8 I, 9 J, 10 K, 11 L, 12 M, 13 N, 14 O, 15 P);

impl<T: ToSql> Params for [T] {
    fn positional_len(&self) -> Option<usize> {
        Some(if T::byte_slice(self).is_some() { 1 } else { self.len() })
    }
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        if T::byte_slice(self).is_some() {
            // One bytes parameter: only index 0 exists.
            return match index {
                0 => self.write_sql(out, ctx),
                _ => Err(no_positional(index)),
            };
        }
        self.get(index).ok_or_else(|| no_positional(index))?.write_sql(out, ctx)
    }
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        match T::byte_slice(self) {
            Some(_) if index == 0 => self.write_binary(out),
            Some(_) => Ok(None),
            None => self.get(index).map_or(Ok(None), |v| v.write_binary(out)),
        }
    }
}

impl<T: ToSql> Params for Vec<T> {
    fn positional_len(&self) -> Option<usize> {
        self.as_slice().positional_len()
    }
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_positional(index, out, ctx)
    }
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        self.as_slice().write_positional_binary(index, out)
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn positional_len(&self) -> Option<usize> {
        self.as_slice().positional_len()
    }
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        self.as_slice().write_positional(index, out, ctx)
    }
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        self.as_slice().write_positional_binary(index, out)
    }
}

impl<P: Params + ?Sized> Params for &P {
    fn is_empty_params(&self) -> bool {
        (**self).is_empty_params()
    }
    fn positional_len(&self) -> Option<usize> {
        (**self).positional_len()
    }
    fn write_positional(&self, index: usize, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<()> {
        (**self).write_positional(index, out, ctx)
    }
    fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<bool> {
        (**self).write_named(name, out, ctx)
    }
    fn named_len(&self) -> usize {
        (**self).named_len()
    }
    fn named_keys(&self) -> Vec<&str> {
        (**self).named_keys()
    }
    fn write_positional_binary(&self, index: usize, out: &mut Vec<u8>) -> BinaryResult {
        (**self).write_positional_binary(index, out)
    }
    fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
        (**self).write_named_binary(name, out)
    }
}

/// Shared body of the map impls: look the name up, write the value if present.
macro_rules! map_params {
    () => {
        fn positional_len(&self) -> Option<usize> {
            None
        }
        fn write_positional(&self, index: usize, _: &mut Vec<u8>, _: &FormatContext) -> Result<()> {
            Err(no_positional(index))
        }
        fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<bool> {
            match self.get(name) {
                Some(v) => v.write_sql(out, ctx).map(|()| true),
                None => Ok(false),
            }
        }
        fn named_len(&self) -> usize {
            self.len()
        }
        fn named_keys(&self) -> Vec<&str> {
            self.keys().map(<K as Borrow<str>>::borrow).collect()
        }
        fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
            self.get(name).map_or(Ok(None), |v| v.write_binary(out))
        }
    };
}

impl<K: Borrow<str> + Hash + Eq, V: ToSql, S: BuildHasher> Params for HashMap<K, V, S> {
    map_params!();
}

impl<K: Borrow<str> + Ord, V: ToSql> Params for BTreeMap<K, V> {
    map_params!();
}

/// The named parameter set built by `params!{"name" => value, ...}`: borrowed values,
/// looked up by a linear scan (queries have few names; no hashing, no allocation).
#[derive(Clone, Copy)]
pub struct NamedParams<'a, const N: usize> {
    /// Name/value pairs in the order written.
    pub pairs: [(&'a str, &'a (dyn ToSql + Sync + 'a)); N],
}

impl<const N: usize> Params for NamedParams<'_, N> {
    fn positional_len(&self) -> Option<usize> {
        None
    }
    fn write_positional(&self, index: usize, _: &mut Vec<u8>, _: &FormatContext) -> Result<()> {
        Err(no_positional(index))
    }
    fn write_named(&self, name: &str, out: &mut Vec<u8>, ctx: &FormatContext) -> Result<bool> {
        match self.pairs.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => v.write_sql(out, ctx).map(|()| true),
            None => Ok(false),
        }
    }
    fn named_len(&self) -> usize {
        N
    }
    fn named_keys(&self) -> Vec<&str> {
        self.pairs.iter().map(|(k, _)| *k).collect()
    }
    fn write_named_binary(&self, name: &str, out: &mut Vec<u8>) -> BinaryResult {
        self.pairs.iter().find(|(k, _)| *k == name).map_or(Ok(None), |(_, v)| v.write_binary(out))
    }
}

/// Builds a parameter set.
///
/// * `params![a, b, c]`: positional, for `%s`; values are borrowed (as
///   `&(dyn ToSql + Sync)`, so the future that holds them stays `Send`), any number of them.
/// * `params!{"id" => 5, "name" => name}`: named, for `%(name)s`.
/// * `params![]`: no parameters, the same as `()`: the SQL is sent verbatim.
///
/// The values are borrowed, so `let p = params![x.to_string()];` works but returning one
/// from a closure that built temporaries does not; use a tuple there (`(a, b)`), which
/// owns its values.
#[macro_export]
macro_rules! params {
    () => { () };
    ($($key:expr => $value:expr),+ $(,)?) => {
        $crate::value::NamedParams {
            pairs: [$(($key, &$value as &(dyn $crate::value::ToSql + ::core::marker::Sync))),+],
        }
    };
    ($($value:expr),+ $(,)?) => {
        [$(&$value as &(dyn $crate::value::ToSql + ::core::marker::Sync)),+]
    };
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
