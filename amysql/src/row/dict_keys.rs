//! DictCursor keys: the column name, or `table.name` when an earlier key is already that
//! name (PyMySQL's rule, where `table` is the table alias the server reports).
//!
//! Built once per result set. A result with thousands of columns (wide reports, `SELECT *`
//! over joins) must not cost time quadratic in the column count, neither to build the
//! keys nor to look one up per row; so above `LINEAR_MAX` columns the keys seen so far
//! live in a hash map. Smaller results (the common case) keep a linear scan: measured in
//! release builds it is as fast as hashing up to about 30-50 columns, and its cost is
//! bounded by a constant.

use std::collections::HashMap;

use crate::protocol::column::Column;

/// Up to this many columns, builds and lookups scan the keys (at most
/// `LINEAR_MAX^2 / 2` string comparisons); above it they go through the hash map.
const LINEAR_MAX: usize = 32;

/// The keys of one result set, in column order, and how to find one.
#[derive(Debug)]
pub(crate) struct DictKeys {
    keys: Vec<String>,
    /// Key -> position of the first column with that key; `None` for small results.
    /// (Keys can repeat: a name seen three times gives `name`, `t.name`, `t.name`.)
    index: Option<HashMap<String, usize>>,
}

impl DictKeys {
    pub(crate) fn build(columns: &[Column]) -> DictKeys {
        let qualified = |c: &Column| format!("{}.{}", c.table(), c.name());
        let mut keys: Vec<String> = Vec::with_capacity(columns.len());
        if columns.len() <= LINEAR_MAX {
            for c in columns {
                let seen = keys.iter().any(|k| {
                    probe();
                    k == c.name()
                });
                keys.push(if seen { qualified(c) } else { c.name().to_string() });
            }
            return DictKeys { keys, index: None };
        }
        let mut index: HashMap<String, usize> = HashMap::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            probe();
            let key = if index.contains_key(c.name()) { qualified(c) } else { c.name().to_string() };
            probe();
            index.entry(key.clone()).or_insert(i);
            keys.push(key);
        }
        DictKeys { keys, index: Some(index) }
    }

    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Position of the first column keyed `key`.
    pub(crate) fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.keys.iter().position(|k| k == key),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Name comparisons and hash probes made while building keys on this thread: lets a
    /// test check the build is linear without timing it.
    static PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline(always)]
fn probe() {
    #[cfg(test)]
    PROBES.with(|p| p.set(p.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::constants::column_type;

    fn columns(names: &[(String, String)]) -> Vec<Column> {
        names
            .iter()
            .map(|(table, name)| {
                let mut c = Column::new(name.clone(), column_type::VAR_STRING, 45, 0);
                c.set_table(table.clone());
                c
            })
            .collect()
    }

    /// The rule as PyMySQL writes it, quadratic and obviously right.
    fn reference(cols: &[Column]) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for c in cols {
            let key = if keys.iter().any(|k| k == c.name()) {
                format!("{}.{}", c.table(), c.name())
            } else {
                c.name().to_string()
            };
            keys.push(key);
        }
        keys
    }

    fn probes_for(cols: &[Column]) -> (DictKeys, u64) {
        let before = PROBES.with(|p| p.get());
        let keys = DictKeys::build(cols);
        (keys, PROBES.with(|p| p.get()) - before)
    }

    #[test]
    fn same_keys_as_the_reference_rule_on_both_sides_of_the_threshold() {
        for n in [0, 1, 2, LINEAR_MAX - 1, LINEAR_MAX, LINEAR_MAX + 1, 100, 1000] {
            // Few distinct names, so most are repeats; some columns are literally named
            // like an earlier qualified key (`t1.c0`), which then counts as taken.
            let names: Vec<(String, String)> = (0..n)
                .map(|i| {
                    let table = format!("t{}", i % 3);
                    let name = if i % 7 == 6 { format!("t{}.c{}", (i + 1) % 3, i % 4) } else { format!("c{}", i % 4) };
                    (table, name)
                })
                .collect();
            let cols = columns(&names);
            let built = DictKeys::build(&cols);
            let expected = reference(&cols);
            assert_eq!(built.keys(), expected.as_slice(), "n = {n}");
            for (i, key) in expected.iter().enumerate() {
                let first = expected.iter().position(|k| k == key).unwrap();
                assert_eq!(built.position(key), Some(first), "n = {n}, key {key} at {i}");
            }
            assert_eq!(built.position("nope"), None);
        }
    }

    #[test]
    fn repeated_names_get_the_table_alias() {
        let cols = columns(&[
            ("a".into(), "id".into()),
            ("b".into(), "id".into()),
            ("c".into(), "id".into()),
            ("b".into(), "name".into()),
        ]);
        let keys = DictKeys::build(&cols);
        assert_eq!(keys.keys(), ["id", "b.id", "c.id", "name"]);
        assert_eq!(keys.position("c.id"), Some(2));
    }

    #[test]
    fn building_is_linear_in_the_column_count() {
        // Distinct names were the quadratic case (every column compared with every
        // earlier key); all-equal names and a mix are checked too.
        let n = 20_000;
        let shapes: [fn(usize) -> (String, String); 3] = [
            |i| ("t".into(), format!("col_{i}")),
            |i| (format!("t{i}"), "same".into()),
            |i| (format!("t{}", i % 5), format!("c{}", i % 100)),
        ];
        for shape in shapes {
            let cols = columns(&(0..n).map(shape).collect::<Vec<_>>());
            let (keys, probes) = probes_for(&cols);
            assert_eq!(keys.keys().len(), n);
            assert!(probes <= 2 * n as u64, "{probes} probes for {n} columns");
        }
        // Small results scan, within a constant bound.
        let cols = columns(&(0..LINEAR_MAX).map(|i| ("t".into(), format!("c{i}"))).collect::<Vec<_>>());
        let (_, probes) = probes_for(&cols);
        assert!(probes <= (LINEAR_MAX * LINEAR_MAX / 2) as u64, "{probes}");
    }
}
