//! A `%s` / `%(name)s` / `?` query turned into a prepared statement: the SQL with `?` in
//! place of each placeholder (a `?` query goes as written), and where each `?` takes its
//! value from. Shared by the bulk
//! `executemany` and the typed layer's statement cache.

use super::binary::BinaryResult;
use super::format::{Piece, SqlTemplate};
use super::params::Params;

/// Where one `?` takes its value from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    Positional(usize),
    Named(String),
}

/// The prepared form of a query.
#[derive(Debug, Clone)]
pub(crate) struct PreparedSql {
    /// The statement text, `?` for each placeholder, `%%` already undoubled.
    pub(crate) sql: String,
    slots: Vec<Slot>,
    positional: usize,
    distinct_names: usize,
}

impl PreparedSql {
    /// From a parsed template.
    pub(crate) fn from_template(template: &SqlTemplate<'_>) -> PreparedSql {
        Self::wrap("", template, "")
    }

    /// `prefix`, the template with `?`s, `suffix` (bulk INSERT: the row tuple alone is a
    /// template; the text around it has no placeholders).
    pub(crate) fn wrap(prefix: &str, template: &SqlTemplate<'_>, suffix: &str) -> PreparedSql {
        let mut sql = String::with_capacity(prefix.len() + suffix.len() + 64);
        sql.push_str(prefix);
        let mut slots = Vec::new();
        let mut positional = 0;
        let mut names: Vec<&str> = Vec::new();
        for piece in template.pieces() {
            match *piece {
                Piece::Literal(text) => sql.push_str(text),
                Piece::Positional => {
                    sql.push('?');
                    slots.push(Slot::Positional(positional));
                    positional += 1;
                }
                Piece::Named(name) => {
                    sql.push('?');
                    slots.push(Slot::Named(name.to_string()));
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
        sql.push_str(suffix);
        PreparedSql { sql, slots, positional, distinct_names: names.len() }
    }

    /// SQL sent as it is (a query run with `()`: no placeholders are parsed).
    pub(crate) fn verbatim(sql: &str) -> PreparedSql {
        PreparedSql { sql: sql.to_string(), slots: Vec::new(), positional: 0, distinct_names: 0 }
    }

    /// The number of `?`.
    pub(crate) fn param_count(&self) -> usize {
        self.slots.len()
    }

    /// True when `params` fits the placeholders exactly (arity, names, kind). Anything
    /// else goes to the text formatter, which reports the mistake in its own words.
    pub(crate) fn accepts<P: Params + ?Sized>(&self, params: &P) -> bool {
        if params.is_empty_params() {
            return self.slots.is_empty();
        }
        if self.distinct_names > 0 {
            params.positional_len().is_none() && params.named_len() <= self.distinct_names
        } else {
            params.positional_len() == Some(self.positional)
        }
    }

    /// Writes the value of `?` number `i` (binary protocol); `Ok(None)` when it has no
    /// binary form.
    pub(crate) fn write_param<P: Params + ?Sized>(&self, i: usize, params: &P, out: &mut Vec<u8>) -> BinaryResult {
        match &self.slots[i] {
            Slot::Positional(k) => params.write_positional_binary(*k, out),
            Slot::Named(name) => params.write_named_binary(name, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(sql: &str) -> PreparedSql {
        PreparedSql::from_template(&SqlTemplate::parse(sql).unwrap())
    }

    #[test]
    fn placeholders_become_question_marks() {
        let p = prepared("SELECT * FROM t WHERE a = %s AND b LIKE '100%%' AND c = %s");
        assert_eq!(p.sql, "SELECT * FROM t WHERE a = ? AND b LIKE '100%' AND c = ?");
        assert_eq!(p.param_count(), 2);
        assert!(p.accepts(&(1, 2)));
        assert!(!p.accepts(&(1,)));
        assert!(!p.accepts(&()));
        let p = prepared("UPDATE t SET a = %(a)s WHERE id = %(id)s OR parent = %(id)s");
        assert_eq!(p.sql, "UPDATE t SET a = ? WHERE id = ? OR parent = ?");
        let named = std::collections::HashMap::from([("a", 1), ("id", 2)]);
        assert!(p.accepts(&named));
        assert!(!p.accepts(&(1, 2, 3)));
        let mut out = Vec::new();
        p.write_param(2, &named, &mut out).unwrap();
        assert_eq!(out, 2i64.to_le_bytes());
        let w = PreparedSql::wrap(
            "INSERT INTO t VALUES ",
            &SqlTemplate::parse("(%s, %s)").unwrap(),
            " ON DUPLICATE KEY UPDATE a = 1",
        );
        assert_eq!(w.sql, "INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE a = 1");
    }

    #[test]
    fn qmark_sql_is_sent_as_written() {
        let sql = "SELECT * FROM t WHERE a = ? AND b LIKE '100%%?' AND c = ? -- ?";
        let p = prepared(sql);
        assert_eq!((p.sql.as_str(), p.param_count()), (sql, 2));
        assert!(p.accepts(&(1, 2)));
        assert!(!p.accepts(&(1,)));
        assert!(!p.accepts(&std::collections::HashMap::from([("a", 1), ("b", 2)])));
        let w = PreparedSql::wrap(
            "INSERT INTO t VALUES ",
            &SqlTemplate::parse("(?, ?)").unwrap(),
            " ON DUPLICATE KEY UPDATE a = a % 2",
        );
        assert_eq!(
            (w.sql.as_str(), w.param_count()),
            ("INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE a = a % 2", 2)
        );
    }

    #[test]
    fn verbatim_sql_takes_no_parameters() {
        let p = PreparedSql::verbatim("SELECT '%s'");
        assert_eq!((p.sql.as_str(), p.param_count()), ("SELECT '%s'", 0));
        assert!(p.accepts(&()));
        assert!(!p.accepts(&(1,)));
    }
}
