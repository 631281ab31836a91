//! Result-set columns and rows: `Row` (positional, aiomysql's tuple rows), `DictRow`
//! (name -> value, DictCursor's rows), `RowRef` (a borrowed row for the typed path), and
//! the `FromRow` trait that `#[derive(FromRow)]` implements.

mod dict_keys;

use std::fmt;
use std::ops::Index;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::protocol::binary_row::parse_binary_row;
use crate::protocol::column::Column;
use crate::protocol::text_row::{parse_text_row, CellRange};
use crate::value::{decode_binary_column, decode_column, FromSql, Value};
use dict_keys::DictKeys;

/// The columns of one result set, shared by its rows. Name lookups are computed once per
/// result set, not per row.
pub struct ColumnSet {
    columns: Vec<Column>,
    dict_keys: OnceLock<DictKeys>,
    /// Rows come in the binary protocol (a prepared statement's result).
    binary: bool,
}

impl fmt::Debug for ColumnSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.columns.iter().map(Column::name)).finish()
    }
}

impl ColumnSet {
    /// Wraps column definitions (also used by tests and synthesized results).
    pub fn new(columns: Vec<Column>) -> Self {
        ColumnSet { columns, dict_keys: OnceLock::new(), binary: false }
    }

    /// Columns of a prepared statement's result, whose rows are binary.
    pub(crate) fn binary(columns: Vec<Column>) -> Self {
        ColumnSet { columns, dict_keys: OnceLock::new(), binary: true }
    }

    /// True when rows of this result use the binary protocol (see
    /// `ConnectOptions::stmt_cache_size`); `RowRef::raw` then holds binary values.
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// Splits a row packet of this result into cells.
    pub(crate) fn parse_row(&self, packet: &[u8], cells: &mut Vec<CellRange>) -> Result<()> {
        if self.binary {
            parse_binary_row(packet, &self.columns, cells)
        } else {
            parse_text_row(packet, self.columns.len(), cells)
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True for a result with no columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column definitions, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Index of the first column with this name (exact match, then ASCII case-insensitive,
    /// as MySQL column names are).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name() == name)
            .or_else(|| self.columns.iter().position(|c| c.name().eq_ignore_ascii_case(name)))
    }

    /// DictCursor keys in column order: the column name, or `table.name` for a name that
    /// an earlier key already is (as PyMySQL does). Built once per result set, in time
    /// linear in the column count.
    pub fn dict_keys(&self) -> &[String] {
        self.dict_keys_built().keys()
    }

    /// Index of a DictRow key (the first column with that key).
    pub fn dict_index_of(&self, key: &str) -> Option<usize> {
        self.dict_keys_built().position(key)
    }

    fn dict_keys_built(&self) -> &DictKeys {
        self.dict_keys.get_or_init(|| DictKeys::build(&self.columns))
    }
}

/// Something that names a column: a position or a name.
pub trait ColumnIndex: fmt::Display + Copy {
    fn index_in(self, columns: &ColumnSet) -> Option<usize>;
}

impl ColumnIndex for usize {
    fn index_in(self, columns: &ColumnSet) -> Option<usize> {
        (self < columns.len()).then_some(self)
    }
}

impl ColumnIndex for &str {
    fn index_in(self, columns: &ColumnSet) -> Option<usize> {
        columns.index_of(self)
    }
}

fn no_such_column(idx: impl fmt::Display, columns: &ColumnSet) -> Error {
    Error::Decode(format!("no column `{idx}` in the result (columns: {columns:?})"))
}

/// A row borrowed from the read buffer: the typed path decodes from it without copying.
#[derive(Clone, Copy)]
pub struct RowRef<'a> {
    columns: &'a ColumnSet,
    packet: &'a [u8],
    cells: &'a [CellRange],
}

impl<'a> RowRef<'a> {
    pub(crate) fn new(columns: &'a ColumnSet, packet: &'a [u8], cells: &'a [CellRange]) -> Self {
        RowRef { columns, packet, cells }
    }

    /// The result set's columns.
    pub fn columns(&self) -> &'a ColumnSet {
        self.columns
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True for a row without cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The bytes of cell `i` (`None` for NULL or out of range): text-protocol text, or
    /// for a prepared statement's result (`ColumnSet::is_binary`) the binary value.
    #[inline(always)]
    pub fn raw(&self, i: usize) -> Option<&'a [u8]> {
        self.cells.get(i).and_then(|c| c.slice(self.packet))
    }

    /// Decodes cell `i` straight from its bytes. Errors name the column and both types.
    /// Always inlined: `FromRow` calls it once per field per row, and as a call its
    /// frame setup cost about as much as decoding an integer.
    #[inline(always)]
    pub fn decode<T: FromSql>(&self, i: usize) -> Result<T> {
        let column = self.columns.columns.get(i).ok_or_else(|| no_such_column(i, self.columns))?;
        if self.columns.binary {
            decode_binary_column(self.raw(i), column, i)
        } else {
            decode_column(self.raw(i), column, i)
        }
    }

    /// Decodes a cell by position or name.
    pub fn get<T: FromSql, I: ColumnIndex>(&self, idx: I) -> Result<T> {
        let i = idx.index_in(self.columns).ok_or_else(|| no_such_column(idx, self.columns))?;
        self.decode(i)
    }
}

/// A row of a result set, as `Cursor` returns it. Cells stay as received; `get` decodes
/// straight from them, and `row[i]` materializes `Value`s once, on first use.
pub struct Row {
    columns: Arc<ColumnSet>,
    packet: Bytes,
    cells: Box<[CellRange]>,
    values: OnceLock<Box<[Value]>>,
}

impl Row {
    /// Builds a row from its packet; the packet is validated against the column count.
    pub(crate) fn from_packet(columns: Arc<ColumnSet>, packet: Bytes, scratch: &mut Vec<CellRange>) -> Result<Row> {
        columns.parse_row(&packet, scratch)?;
        Ok(Row { columns, packet, cells: scratch.as_slice().into(), values: OnceLock::new() })
    }

    /// The borrowed view used by `FromRow`.
    pub fn as_ref(&self) -> RowRef<'_> {
        RowRef::new(&self.columns, &self.packet, &self.cells)
    }

    /// Decodes a cell by position or name: `row.get::<i64, _>(0)`, `row.get::<String, _>("name")`.
    pub fn get<T: FromSql, I: ColumnIndex>(&self, idx: I) -> Result<T> {
        self.as_ref().get(idx)
    }

    /// The cell's raw text-protocol bytes (`None` for NULL).
    pub fn raw(&self, i: usize) -> Option<&[u8]> {
        self.as_ref().raw(i)
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True for a row without cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The result set's columns.
    pub fn columns(&self) -> &Arc<ColumnSet> {
        &self.columns
    }

    /// All cells as `Value`s (decoded once, then cached).
    pub fn values(&self) -> &[Value] {
        self.values.get_or_init(|| {
            let r = self.as_ref();
            (0..self.cells.len())
                .map(|i| {
                    // Value decoding only fails on malformed text; keep the raw bytes then.
                    r.decode::<Value>(i).unwrap_or_else(|_| r.raw(i).map_or(Value::Null, |b| Value::Bytes(b.to_vec())))
                })
                .collect()
        })
    }

    /// Consumes the row into its values.
    pub fn into_values(self) -> Vec<Value> {
        self.values();
        self.values.into_inner().map(Vec::from).unwrap_or_default()
    }

    /// Converts to a typed row.
    pub fn decode_as<T: FromRow>(&self) -> Result<T> {
        let mapping = T::mapping(&self.columns)?;
        T::from_row(&mapping, &self.as_ref())
    }
}

impl Index<usize> for Row {
    type Output = Value;
    /// Panics when out of range, like slice indexing; use `get` for a `Result`.
    fn index(&self, i: usize) -> &Value {
        &self.values()[i]
    }
}

impl Index<&str> for Row {
    type Output = Value;
    /// Panics when no column has that name; use `get` for a `Result`.
    fn index(&self, name: &str) -> &Value {
        match self.columns.index_of(name) {
            Some(i) => &self.values()[i],
            None => panic!("no column named `{name}`"),
        }
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.values()).finish()
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        self.values() == other.values()
    }
}

/// A DictCursor row: keys in column order (a repeated name is keyed `table.name`).
pub struct DictRow(Row);

impl DictRow {
    pub(crate) fn new(row: Row) -> Self {
        DictRow(row)
    }

    /// The keys, in column order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.columns.dict_keys().iter().map(String::as_str)
    }

    /// (key, value) pairs in column order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.keys().zip(self.0.values())
    }

    /// Decodes the value under `key`.
    pub fn get<T: FromSql>(&self, key: &str) -> Result<T> {
        let i = self.0.columns.dict_index_of(key).ok_or_else(|| no_such_column(key, &self.0.columns))?;
        self.0.as_ref().decode(i)
    }

    /// The value under `key`, if there is such a key.
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        self.0.columns.dict_index_of(key).map(|i| &self.0.values()[i])
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a row without entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The positional row underneath.
    pub fn as_row(&self) -> &Row {
        &self.0
    }

    /// Unwraps the positional row.
    pub fn into_row(self) -> Row {
        self.0
    }
}

impl Index<&str> for DictRow {
    type Output = Value;
    /// Panics when there is no such key; use `get` or `get_value` for a fallible lookup.
    fn index(&self, key: &str) -> &Value {
        self.get_value(key).unwrap_or_else(|| panic!("no key `{key}` in row"))
    }
}

impl fmt::Debug for DictRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for DictRow {
    fn eq(&self, other: &DictRow) -> bool {
        self.iter().eq(other.iter())
    }
}

/// A type built from a row: what `#[derive(FromRow)]` implements, and what `query_as`,
/// `fetchone_as` and friends produce.
///
/// Decoding happens in two steps so that name lookups run once per result set:
/// `mapping` resolves the columns the type needs (by name or position) into a plan,
/// then `from_row` decodes each row by that plan straight from the row's bytes.
pub trait FromRow: Sized {
    /// The per-result-set plan (e.g. the column index of each field).
    type Mapping: Send + Sync;

    /// Resolves the plan; a missing column is an error naming it.
    fn mapping(columns: &ColumnSet) -> Result<Self::Mapping>;

    /// Decodes one row by the plan.
    fn from_row(mapping: &Self::Mapping, row: &RowRef<'_>) -> Result<Self>;
}

impl FromRow for Row {
    type Mapping = ();
    fn mapping(_: &ColumnSet) -> Result<()> {
        Ok(())
    }
    fn from_row(_: &(), row: &RowRef<'_>) -> Result<Row> {
        Ok(Row {
            columns: Arc::new(ColumnSet::new(row.columns.columns.clone())),
            packet: Bytes::copy_from_slice(row.packet),
            cells: row.cells.into(),
            values: OnceLock::new(),
        })
    }
}

macro_rules! tuple_from_row {
    ($n:literal: $($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> FromRow for ($($t,)+) {
            type Mapping = ();
            fn mapping(columns: &ColumnSet) -> Result<()> {
                if columns.len() < $n {
                    return Err(Error::Decode(format!(
                        "a {}-tuple needs {} columns, the result has {}", $n, $n, columns.len()
                    )));
                }
                Ok(())
            }
            #[inline]
            fn from_row(_: &(), row: &RowRef<'_>) -> Result<Self> {
                Ok(($(row.decode::<$t>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(1: A 0);
tuple_from_row!(2: A 0, B 1);
tuple_from_row!(3: A 0, B 1, C 2);
tuple_from_row!(4: A 0, B 1, C 2, D 3);
tuple_from_row!(5: A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(6: A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(9: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(10: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_from_row!(11: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_from_row!(12: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;

    fn cols(names: &[(&str, &str)]) -> Arc<ColumnSet> {
        let mut out = Vec::new();
        for (table, name) in names {
            let mut c = Column::new(*name, column_type::VAR_STRING, 45, 0);
            c.set_table(*table);
            out.push(c);
        }
        Arc::new(ColumnSet::new(out))
    }

    #[test]
    fn dict_keys_disambiguate_repeated_names() {
        let set = cols(&[("a", "id"), ("b", "id"), ("b", "name")]);
        assert_eq!(set.dict_keys(), ["id", "b.id", "name"]);
        assert_eq!(set.dict_index_of("b.id"), Some(1));
    }

    #[test]
    fn row_get_and_index() {
        let set = cols(&[("t", "n"), ("t", "s")]);
        let mut scratch = Vec::new();
        let row = Row::from_packet(set, Bytes::from_static(b"\x0242\xfb"), &mut scratch).unwrap();
        assert_eq!(row.get::<i64, _>(0).unwrap(), 42);
        assert_eq!(row.get::<Option<String>, _>("s").unwrap(), None);
        assert_eq!(row[0], Value::Text("42".into()));
        assert!(row["s"].is_null());
        let e = row.get::<String, _>("missing").unwrap_err();
        assert!(e.to_string().contains("no column `missing`"), "{e}");
        let e = row.get::<String, _>(1).unwrap_err();
        assert!(e.to_string().contains("column 1 `s`"), "{e}");
        let (a, b): (u8, Option<String>) = row.decode_as().unwrap();
        assert_eq!((a, b), (42, None));
    }

    #[test]
    fn malformed_row_packet_is_an_error() {
        let mut scratch = Vec::new();
        assert!(Row::from_packet(cols(&[("t", "a")]), Bytes::from_static(b"\x05ab"), &mut scratch).is_err());
    }
}
