//! `executemany`: one statement, many parameter rows.
//!
//! As in PyMySQL, `INSERT|REPLACE ... VALUES (%s, ...)` (or `(?, ...)`) is rewritten into multi-row
//! statements (`VALUES (..),(..),(..)`) of at most `max_stmt_length` bytes, which turns
//! thousands of round trips into a handful. The statement may span lines, end in `;`,
//! give the new row an alias (`AS new`, `AS new(a, b)`) and end in
//! `ON DUPLICATE KEY UPDATE ...`. Any other statement runs once per row.
//!
//! The split is done by hand (no regex dependency) but recognizes what PyMySQL's
//! `RE_INSERT_VALUES` does: the *last* `VALUES` keyword followed by a tuple made of
//! placeholders only, then nothing but the optional alias, `ON DUPLICATE ...` and `;`.

use std::iter::Peekable;

use super::bulk::{bulk_plan, BulkBatcher};
use super::generic::GenericCursor;
use super::kind::{Buffering, CursorRow};
use crate::error::{Error, Result};
use crate::value::{FormatContext, Params, Piece, SqlTemplate};
use amysql_placeholders::Style;

/// A batchable INSERT split around its row tuple.
#[derive(Debug)]
pub(super) struct InsertPlan<'s> {
    /// Everything before the tuple (`INSERT INTO t (a, b) VALUES `), `%%` undoubled
    /// in percent style.
    pub(super) prefix: String,
    /// The row tuple, `(%s, %s)` or `(?, ?)`, formatted once per row.
    pub(super) values: SqlTemplate<'s>,
    /// Everything after it (alias, ON DUPLICATE ..., trailing whitespace), without `;`.
    pub(super) postfix: String,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// True when `s[i..]` starts with the keyword `kw` (ASCII case-insensitive) and no word
/// character follows it.
fn keyword_at(s: &[u8], i: usize, kw: &str) -> bool {
    s.get(i..i + kw.len()).is_some_and(|w| w.eq_ignore_ascii_case(kw.as_bytes()))
        && !s.get(i + kw.len()).copied().is_some_and(is_word)
}

/// `(placeholder [, placeholder]*)` at `s[i]`, placeholders being `%s` or `%(name)s`,
/// or `?` in qmark style. Returns the index just past the closing parenthesis.
fn placeholder_tuple(s: &[u8], i: usize, style: Style) -> Option<usize> {
    if s.get(i) != Some(&b'(') {
        return None;
    }
    let mut i = i + 1;
    loop {
        i = skip_ws(s, i);
        if style == Style::Qmark {
            if s.get(i) != Some(&b'?') {
                return None;
            }
            i += 1;
        } else {
            i = percent_placeholder(s, i)?;
        }
        i = skip_ws(s, i);
        match s.get(i)? {
            b',' => i += 1,
            b')' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// A `%s` or `%(name)s` at `s[i]`; returns the index past it.
fn percent_placeholder(s: &[u8], i: usize) -> Option<usize> {
    match s.get(i..i + 2)? {
        b"%s" => Some(i + 2),
        b"%(" => {
            let close = s[i + 2..].iter().position(|&b| b == b')')?;
            (close > 0 && s.get(i + 3 + close) == Some(&b's')).then_some(i + close + 4)
        }
        _ => None,
    }
}

/// An identifier, plain or backquoted; returns the index past it.
fn identifier(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) == Some(&b'`') {
        let close = s[i + 1..].iter().position(|&b| b == b'`')?;
        return Some(i + close + 2);
    }
    let len = s[i.min(s.len())..].iter().take_while(|&&b| is_word(b) || b >= 0x80).count();
    (len > 0).then_some(i + len)
}

/// What may follow the row tuple: `[AS alias [(col, ...)]] [ON DUPLICATE ...] [;]`.
fn tail_is_batchable(s: &[u8], i: usize) -> bool {
    let mut i = skip_ws(s, i);
    if keyword_at(s, i, "AS") {
        let Some(mut j) = identifier(s, skip_ws(s, i + 2)) else { return false };
        j = skip_ws(s, j);
        if s.get(j) == Some(&b'(') {
            loop {
                let Some(k) = identifier(s, skip_ws(s, j + 1)) else { return false };
                j = skip_ws(s, k);
                match s.get(j) {
                    Some(b',') => {}
                    Some(b')') => break,
                    _ => return false,
                }
            }
            j = skip_ws(s, j + 1);
        }
        i = j;
    }
    if keyword_at(s, i, "ON") && keyword_at(s, skip_ws(s, i + 2), "DUPLICATE") {
        return true;
    }
    if s.get(i) == Some(&b';') {
        i = skip_ws(s, i + 1);
    }
    i == s.len()
}

/// The SQL text of a template that must not contain placeholders (`%%` becomes `%` in
/// percent style).
fn literal_text(sql: &str, style: Style) -> Option<String> {
    let template = SqlTemplate::parse_as(sql, style).ok()?;
    if template.placeholder_count() > 0 {
        return None;
    }
    Some(template.pieces().iter().map(|p| if let Piece::Literal(t) = p { *t } else { "" }).collect())
}

impl<'s> InsertPlan<'s> {
    /// Splits a batchable INSERT/REPLACE; `None` for statements that run once per row.
    pub(super) fn parse(sql: &'s str) -> Option<InsertPlan<'s>> {
        let start = sql.len() - sql.trim_start().len();
        let s = sql.as_bytes();
        let verb = ["INSERT", "REPLACE"].into_iter().find(|kw| keyword_at(s, start, kw))?;
        // The style is the whole statement's: in `?` style the text around the tuple
        // keeps its `%` as written. A statement that mixes styles runs once per row,
        // where the formatter reports the mix.
        let style = amysql_placeholders::style(sql).ok()?;
        let after_verb = start + verb.len();
        // The last VALUES whose tuple and tail fit wins, as with the greedy regex: an
        // earlier `VALUES` may sit in a column name, a later one in `VALUES(col)` of
        // the ON DUPLICATE clause.
        let candidates = (after_verb + 1..s.len())
            .rev()
            .filter(|&i| !is_word(s[i - 1]) && s.get(i..i + 5).is_some_and(|w| w.eq_ignore_ascii_case(b"VALUE")));
        for at in candidates {
            let mut open = at + 5;
            if s.get(open).is_some_and(|b| b.eq_ignore_ascii_case(&b'S')) {
                open += 1;
            }
            open = skip_ws(s, open);
            let Some(close) = placeholder_tuple(s, open, style) else { continue };
            if !tail_is_batchable(s, close) {
                continue;
            }
            let tail = &sql[close..];
            let tail = match tail.trim_end().strip_suffix(';') {
                Some(before) => before,
                None => tail,
            };
            // Placeholders outside the tuple cannot be batched: run once per row then.
            let prefix = literal_text(&sql[start..open], style)?;
            let postfix = literal_text(tail, style)?;
            let values = SqlTemplate::parse_as(&sql[open..close], style).ok()?;
            return Some(InsertPlan { prefix, values, postfix });
        }
        None
    }
}

/// Fills statements with rows: prefix, as many formatted rows as fit, postfix. The row
/// that overflows a statement is kept formatted for the next one, so every row is
/// formatted exactly once.
pub(super) struct Batcher<'p, 's> {
    plan: &'p InsertPlan<'s>,
    limit: usize,
    carry: Vec<u8>,
}

impl<'p, 's> Batcher<'p, 's> {
    pub(super) fn new(plan: &'p InsertPlan<'s>, limit: usize) -> Self {
        Batcher { plan, limit, carry: Vec::new() }
    }

    /// True once every row has been written.
    pub(super) fn done<I: Iterator>(&self, rows: &mut Peekable<I>) -> bool {
        self.carry.is_empty() && rows.peek().is_none()
    }

    /// Appends the next statement to `out` (which may already hold other bytes, e.g. a
    /// command header). Call only while `!done()`. On error `out` may hold a partial
    /// statement; the caller discards it.
    pub(super) fn write_next<P, I>(&mut self, rows: &mut I, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()>
    where
        P: Params,
        I: Iterator<Item = P>,
    {
        let start = out.len();
        out.extend_from_slice(self.plan.prefix.as_bytes());
        let mut count = 0usize;
        if !self.carry.is_empty() {
            out.extend_from_slice(&self.carry);
            self.carry.clear();
            count = 1;
        }
        for row in rows.by_ref() {
            if row.is_empty_params() {
                return Err(Error::Interface(
                    "executemany: a row has no parameters, but the statement has placeholders".into(),
                ));
            }
            let row_start = out.len();
            if count > 0 {
                out.push(b',');
            }
            self.plan.values.format_into(&row, ctx, out)?;
            // PyMySQL's rule: a statement always takes its first row, however long.
            if count > 0 && out.len() - start + self.plan.postfix.len() > self.limit {
                self.carry.extend_from_slice(&out[row_start + 1..]);
                out.truncate(row_start);
                break;
            }
            count += 1;
        }
        out.extend_from_slice(self.plan.postfix.as_bytes());
        Ok(())
    }
}

impl<R: CursorRow, B: Buffering> GenericCursor<'_, R, B> {
    /// The batch size limit: `max_stmt_length`, and never more than the connection's
    /// `max_allowed_packet` allows for a COM_QUERY (one byte goes to the command): the
    /// configured one, else the server's once known, else 16 MiB.
    fn batch_limit(&self) -> usize {
        self.core.max_stmt_length.min(self.core.conn.packet_limit().saturating_sub(1))
    }

    /// Runs `sql` once per parameter row. `INSERT`/`REPLACE ... VALUES (%s, ...)` (or `(?, ...)`) is
    /// batched (see the module docs): on MariaDB as a prepared statement executed with
    /// binary row arrays (COM_STMT_BULK_EXECUTE, see [`set_bulk`](Self::set_bulk)),
    /// elsewhere as multi-row statements. Anything else runs once per row.
    /// Returns the total rowcount (also in `rowcount()`); no rows is `Ok(0)` and sends
    /// nothing. After batched inserts, `lastrowid()` is the first id of the last batch.
    pub async fn executemany<P, I>(&mut self, sql: &str, rows: I) -> Result<u64>
    where
        P: Params,
        I: IntoIterator<Item = P>,
    {
        let span = crate::trace::command_span(self.core.conn, crate::trace::Command::ExecuteMany, Some(sql));
        // One span for the whole call (its batches are inside it), with the row count.
        // Atomic rather than a Cell: the future must stay `Send`.
        let count = std::sync::atomic::AtomicU64::new(0);
        let rows = rows.into_iter().inspect(|_| {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let r = crate::trace::in_span(span.clone(), self.executemany_untraced(sql, rows)).await;
        span.record("db.operation.batch.size", count.load(std::sync::atomic::Ordering::Relaxed));
        if let Ok(n) = r {
            if n != u64::MAX {
                span.record("db.response.affected_rows", n);
            }
        }
        r
    }

    async fn executemany_untraced<P, I>(&mut self, sql: &str, rows: I) -> Result<u64>
    where
        P: Params,
        I: IntoIterator<Item = P>,
    {
        let mut rows = rows.into_iter().peekable();
        if rows.peek().is_none() {
            return Ok(0);
        }
        let mut total = Some(0u64);
        if let Some(plan) = InsertPlan::parse(sql) {
            let mut carry = None;
            let bulk = self.core.bulk
                && self.core.conn.supports_bulk()
                && self.core.conn.format_context().check().is_ok()
                && plan.values.placeholder_count() > 0;
            if bulk {
                carry = self.bulk_batches(&plan, &mut rows, &mut total).await?;
            }
            // Rows the bulk path handed back (or all of them) go as multi-row text.
            let mut rest = carry.into_iter().chain(rows).peekable();
            let ctx = self.core.conn.format_context();
            let mut batcher = Batcher::new(&plan, self.batch_limit());
            while !batcher.done(&mut rest) {
                self.core.begin_result();
                self.core.conn.send_query_with(|buf| batcher.write_next(&mut rest, &ctx, buf)).await?;
                let n = self.core.read_result().await?;
                total = total.and_then(|t| t.checked_add(n));
            }
        } else {
            for row in rows {
                let n = self.core.execute(sql, &row).await?;
                // An unbuffered SELECT's count is unknown (u64::MAX); so is the sum then.
                total = total.and_then(|t| t.checked_add(n));
            }
        }
        self.core.rowcount = total.and_then(|t| i64::try_from(t).ok()).unwrap_or(-1);
        Ok(total.unwrap_or(u64::MAX))
    }

    /// MariaDB bulk execution: prepares the INSERT once and sends the rows as binary
    /// arrays. Returns a row that must go as text (with every row after it), if any.
    async fn bulk_batches<P, I>(
        &mut self,
        plan: &InsertPlan<'_>,
        rows: &mut Peekable<I>,
        total: &mut Option<u64>,
    ) -> Result<Option<P>>
    where
        P: Params,
        I: Iterator<Item = P>,
    {
        let bulk = bulk_plan(plan);
        let prepared = self.core.conn.prepare_statement(&bulk.sql).await?;
        if usize::from(prepared.params) != bulk.param_count() {
            // A `?` of the caller's own in the SQL: let the text path run it.
            tracing::debug!(sql = %bulk.sql, "bulk executemany: parameter count differs, using text");
            return Ok(None);
        }
        let id = prepared.statement_id;
        let max_packet = self.core.conn.packet_limit();
        let mut batcher = BulkBatcher::new(&bulk, self.batch_limit());
        let (mut sending, mut next) = (Vec::new(), Vec::new());
        let (mut count, mut seq) = batcher.encode_command(id, rows, max_packet, &mut sending)?;
        while count > 0 {
            self.core.begin_result();
            self.core.conn.send_bulk(&mut sending, seq).await?;
            // Encode the following command while the server executes this one; its
            // result (and error) still comes first.
            let following = batcher.encode_command(id, rows, max_packet, &mut next);
            let ok = self.core.conn.read_bulk_result().await?;
            self.core.rowcount = i64::try_from(ok.affected_rows).unwrap_or(i64::MAX);
            self.core.lastrowid = (ok.last_insert_id != 0).then_some(ok.last_insert_id);
            self.core.warnings = ok.warnings;
            *total = total.and_then(|t| t.checked_add(ok.affected_rows));
            (count, seq) = following?;
            std::mem::swap(&mut sending, &mut next);
        }
        Ok(batcher.carry.take())
    }

    /// The statements `executemany(sql, rows)` would send as text, as strings: the
    /// batched multi-row INSERTs, or one statement per row. (On MariaDB a batched INSERT
    /// actually goes as one prepared statement with binary rows unless
    /// [`set_bulk(false)`](Self::set_bulk); the rows and values are the same.) Bytes that are not UTF-8 are shown as
    /// `X'..'` literals (the batches may then split differently from the real ones).
    pub fn mogrify_many<P: Params>(&self, sql: &str, rows: &[P]) -> Result<Vec<String>> {
        let ctx = self.core.conn.format_context();
        match self.statements(sql, rows, &ctx)? {
            Ok(statements) => Ok(statements),
            Err(_) => Ok(self.statements(sql, rows, &ctx.with_hex_bytes())?.unwrap_or_default()),
        }
    }

    /// `Ok(Err(_))` when a statement is not UTF-8.
    fn statements<P: Params>(
        &self,
        sql: &str,
        rows: &[P],
        ctx: &FormatContext,
    ) -> Result<std::result::Result<Vec<String>, std::string::FromUtf8Error>> {
        let mut raw = Vec::new();
        match InsertPlan::parse(sql) {
            Some(plan) => {
                let mut batcher = Batcher::new(&plan, self.batch_limit());
                let mut rows = rows.iter().peekable();
                while !batcher.done(&mut rows) {
                    let mut out = Vec::new();
                    batcher.write_next(&mut rows, ctx, &mut out)?;
                    raw.push(out);
                }
            }
            None => {
                for row in rows {
                    let mut out = Vec::new();
                    crate::value::format_query(sql, row, ctx, &mut out)?;
                    raw.push(out);
                }
            }
        }
        Ok(raw.into_iter().map(String::from_utf8).collect())
    }
}

#[cfg(test)]
#[path = "executemany_tests.rs"]
mod tests;
