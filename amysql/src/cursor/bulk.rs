//! `executemany` over MariaDB's bulk protocol: the batchable INSERT is prepared once with
//! `?` in place of the row tuple's placeholders, and the rows travel as binary parameter
//! arrays in COM_STMT_BULK_EXECUTE commands of at most `max_stmt_length` bytes.
//!
//! Same rows, same values, same errors as the multi-row text INSERT: each value is the
//! one its `write_sql` literal denotes. A command fixes one type per parameter, so a row
//! whose value types differ from the rows before it starts a new command. A row holding a
//! value with no binary form (an IN list, a user `ToSql` type), or whose parameter set
//! does not match the placeholders, switches the rest of the call to text, where the
//! formatter reports any error in its usual words.

use super::executemany::InsertPlan;
use crate::conn::too_large;
use crate::error::{Error, Result};
use crate::protocol::constants::column_type;
use crate::protocol::prepared::{
    begin_bulk_execute, finish_bulk_execute, set_bulk_types, INDICATOR_NONE, INDICATOR_NULL,
};
use crate::value::prepared_sql::PreparedSql;
use crate::value::{BinaryType, Params};

/// The prepared form of an [`InsertPlan`]: `INSERT ... VALUES (?, ?) ...`.
pub(super) fn bulk_plan(plan: &InsertPlan<'_>) -> PreparedSql {
    PreparedSql::wrap(&plan.prefix, &plan.values, &plan.postfix)
}

/// How encoding one row went.
enum Fit {
    Encoded,
    /// A value's type differs from the same parameter in earlier rows of this command.
    TypeChange,
    /// The row must go as text.
    NoBinary,
}

/// Fills bulk commands with rows; see the module docs.
pub(super) struct BulkBatcher<'p, P> {
    plan: &'p PreparedSql,
    limit: usize,
    /// A row taken from the iterator that did not fit the previous command.
    pub(super) carry: Option<P>,
    /// Set when the carried row must go as text (and with it the rest of the call).
    pub(super) text_from_here: bool,
    types: Vec<Option<BinaryType>>,
    row_types: Vec<Option<BinaryType>>,
}

impl<'p, P: Params> BulkBatcher<'p, P> {
    pub(super) fn new(plan: &'p PreparedSql, limit: usize) -> Self {
        let n = plan.param_count();
        BulkBatcher { plan, limit, carry: None, text_from_here: false, types: vec![None; n], row_types: vec![None; n] }
    }

    /// Appends as many rows as fit after a bulk header begun at `start`, then fills in
    /// the header's types. Returns the number of rows written; 0 only when the next row
    /// must go as text (`text_from_here`) or there are no rows left.
    pub(super) fn write_next<I>(&mut self, rows: &mut I, out: &mut Vec<u8>, start: usize) -> Result<usize>
    where
        I: Iterator<Item = P>,
    {
        self.types.fill(None);
        let mut count = 0;
        let mut next = self.carry.take().or_else(|| rows.next());
        while let Some(row) = next {
            let row_start = out.len();
            match self.encode_row(&row, out)? {
                Fit::Encoded => {}
                Fit::TypeChange => {
                    self.carry = Some(row);
                    break;
                }
                Fit::NoBinary => {
                    self.carry = Some(row);
                    self.text_from_here = true;
                    break;
                }
            }
            // Payload = after the 4-byte header. A command always takes its first row
            // (the connection refuses it if it exceeds max_allowed_packet).
            if count > 0 && out.len() - start - 4 > self.limit {
                out.truncate(row_start);
                self.carry = Some(row);
                break;
            }
            for (t, r) in self.types.iter_mut().zip(&self.row_types) {
                if t.is_none() {
                    *t = *r;
                }
            }
            count += 1;
            next = rows.next();
        }
        // A parameter that was NULL in every row still needs a type.
        let types: Vec<BinaryType> = self
            .types
            .iter()
            .map(|t| t.unwrap_or(BinaryType { code: column_type::VAR_STRING, unsigned: false }))
            .collect();
        set_bulk_types(out, start, &types);
        Ok(count)
    }

    /// Encodes the next COM_STMT_BULK_EXECUTE for `statement_id` into `out` (cleared
    /// first) as a framed packet. Returns the rows it holds (0: nothing to send, see
    /// `write_next`) and the sequence id that follows it. A command larger than
    /// `max_packet` (only possible for a single huge row) is an error and is not sent.
    pub(super) fn encode_command<I>(
        &mut self,
        statement_id: u32,
        rows: &mut I,
        max_packet: usize,
        out: &mut Vec<u8>,
    ) -> Result<(usize, u8)>
    where
        I: Iterator<Item = P>,
    {
        out.clear();
        let start = begin_bulk_execute(out, statement_id, self.plan.param_count());
        let count = self.write_next(rows, out, start)?;
        // Payload = after the 4-byte packet header.
        let len = out.len() - start - 4;
        if count == 0 || len > max_packet {
            out.clear();
            if count > 0 {
                return Err(too_large("a bulk INSERT command", len, max_packet));
            }
            return Ok((0, 0));
        }
        Ok((count, finish_bulk_execute(out, start)))
    }

    /// Appends one row (an indicator and a value per parameter). On anything but
    /// `Encoded`, or an error, `out` is left as it was.
    fn encode_row(&mut self, row: &P, out: &mut Vec<u8>) -> Result<Fit> {
        if row.is_empty_params() {
            return Err(Error::Interface(
                "executemany: a row has no parameters, but the statement has placeholders".into(),
            ));
        }
        if !self.plan.accepts(row) {
            return Ok(Fit::NoBinary);
        }
        let start = out.len();
        let fit = self.encode_values(row, out);
        if !matches!(fit, Ok(Fit::Encoded)) {
            out.truncate(start);
        }
        fit
    }

    fn encode_values(&mut self, row: &P, out: &mut Vec<u8>) -> Result<Fit> {
        for i in 0..self.plan.param_count() {
            let indicator = out.len();
            out.push(INDICATOR_NONE);
            let written = self.plan.write_param(i, row, out)?;
            let Some(t) = written else { return Ok(Fit::NoBinary) };
            if t.is_null() {
                out[indicator] = INDICATOR_NULL;
                self.row_types[i] = None;
                continue;
            }
            if self.types[i].is_some_and(|known| known != t) {
                return Ok(Fit::TypeChange);
            }
            self.row_types[i] = Some(t);
        }
        Ok(Fit::Encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn plan(sql: &str) -> PreparedSql {
        bulk_plan(&InsertPlan::parse(sql).unwrap())
    }

    /// Runs the batcher to the end; returns each command's (types, rows payload, count).
    fn commands<P: Params>(plan: &PreparedSql, limit: usize, rows: Vec<P>) -> (Vec<(Vec<u8>, usize)>, Option<P>) {
        let mut b = BulkBatcher::new(plan, limit);
        let mut it = rows.into_iter();
        let mut out = Vec::new();
        loop {
            let mut buf = Vec::new();
            let start = crate::protocol::prepared::begin_bulk_execute(&mut buf, 1, plan.param_count());
            let n = b.write_next(&mut it, &mut buf, start).unwrap();
            if n == 0 {
                return (out, b.carry.take());
            }
            // Strip the 4-byte header, command, id and flags: keep types and rows.
            out.push((buf[start + 11..].to_vec(), n));
        }
    }

    #[test]
    fn statement_text() {
        let p = plan("INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE b = VALUES(b)");
        assert_eq!(p.sql, "INSERT INTO t (a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = VALUES(b)");
        let p = plan("insert into t values (%(a)s,%(b)s,%(a)s);");
        assert_eq!(p.sql, "insert into t values (?,?,?)");
        assert_eq!(p.param_count(), 3);
        let p = plan("INSERT INTO `100%%` VALUES (%s)");
        assert_eq!(p.sql, "INSERT INTO `100%` VALUES (?)");
    }

    #[test]
    fn rows_indicators_and_types() {
        let p = plan("INSERT INTO t VALUES (%s, %s)");
        let (cmds, carry) = commands(&p, 1 << 20, vec![(1i32, Some("x")), (2, None)]);
        assert!(carry.is_none());
        assert_eq!(cmds.len(), 1);
        let (bytes, n) = &cmds[0];
        assert_eq!(*n, 2);
        let mut expected = vec![column_type::LONGLONG, 0, column_type::VAR_STRING, 0];
        expected.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'x']);
        expected.extend_from_slice(&[0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(bytes, &expected);
    }

    #[test]
    fn all_null_parameter_gets_a_type() {
        let p = plan("INSERT INTO t VALUES (%s)");
        let (cmds, _) = commands(&p, 1 << 20, vec![(None::<i32>,), (None,)]);
        assert_eq!(cmds[0].0, vec![column_type::VAR_STRING, 0, 1, 1]);
    }

    #[test]
    fn limit_and_type_changes_split_commands() {
        let p = plan("INSERT INTO t VALUES (%s)");
        // Each row is 9 bytes; the header part counted by the limit is 1+4+2+2 = 9.
        let rows: Vec<(i64,)> = (0..5).map(|i| (i,)).collect();
        let (cmds, _) = commands(&p, 9 + 18, rows);
        assert_eq!(cmds.iter().map(|c| c.1).collect::<Vec<_>>(), [2, 2, 1]);
        // A first row longer than the limit still goes, alone.
        let (cmds, _) = commands(&p, 1, vec![(1i64,), (2,)]);
        assert_eq!(cmds.iter().map(|c| c.1).collect::<Vec<_>>(), [1, 1]);
        // Int, int, text, NULL, text: the text starts a new command, NULL fits any type.
        let rows = vec![Value::Int(1), Value::Int(2), Value::Text("a".into()), Value::Null, Value::Text("b".into())];
        let (cmds, _) = commands(&p, 1 << 20, rows.into_iter().map(|v| (v,)).collect());
        assert_eq!(cmds.iter().map(|c| c.1).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(&cmds[1].0[..2], &[column_type::VAR_STRING, 0]);
    }

    #[test]
    fn rows_without_binary_form_stop_at_that_row() {
        let p = plan("INSERT INTO t VALUES (%s)");
        let rows = vec![(Value::Int(1),), (Value::List(vec![Value::Int(2)]),), (Value::Int(3),)];
        let (cmds, carry) = commands(&p, 1 << 20, rows);
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].1, 1);
        assert!(matches!(carry, Some((Value::List(_),))));
        // Wrong arity is left to the text formatter.
        let (cmds, carry) = commands(&p, 1 << 20, vec![vec![1, 2]]);
        assert!(cmds.is_empty());
        assert_eq!(carry, Some(vec![1, 2]));
    }

    #[test]
    fn named_rows() {
        let p = plan("INSERT INTO t VALUES (%(a)s, %(b)s)");
        let row = std::collections::HashMap::from([("a", 1i64), ("b", 2)]);
        let (cmds, _) = commands(&p, 1 << 20, vec![row.clone()]);
        assert_eq!(cmds[0].1, 1);
        let mut extra = row;
        extra.insert("c", 3);
        let (cmds, carry) = commands(&p, 1 << 20, vec![extra]);
        assert!(cmds.is_empty() && carry.is_some());
    }

    #[test]
    fn encode_errors_are_returned() {
        let p = plan("INSERT INTO t VALUES (%s)");
        let mut b = BulkBatcher::new(&p, 1 << 20);
        let mut buf = Vec::new();
        let start = crate::protocol::prepared::begin_bulk_execute(&mut buf, 1, 1);
        let e = b.write_next(&mut vec![(f64::NAN,)].into_iter(), &mut buf, start).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
    }
}
