//! `GenericCursor`: the methods every cursor kind has. Fetching lives in `buffered.rs`
//! and `unbuffered.rs`, executemany and callproc in their own files.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::core::Core;
use super::description::ColumnDescription;
use super::kind::{Buffering, CursorRow};
use crate::conn::Connection;
use crate::error::Result;
use crate::value::{format_query_string, Params};

/// A DB-API cursor over a borrowed connection; see the [module docs](super) and the
/// aliases [`Cursor`](super::Cursor), [`DictCursor`](super::DictCursor),
/// [`SSCursor`](super::SSCursor) and [`SSDictCursor`](super::SSDictCursor).
///
/// `R` is the row type handed out, `B` is [`Buffered`](super::Buffered) or
/// [`Unbuffered`](super::Unbuffered).
pub struct GenericCursor<'c, R, B> {
    pub(super) core: Core<'c>,
    // `fn() -> _`: the cursor holds no `R` or `B`, so its auto traits must not depend on them.
    _kind: PhantomData<fn() -> (R, B)>,
}

impl<R, B> fmt::Debug for GenericCursor<'_, R, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("buffered", &self.core.buffered)
            .field("rowcount", &self.core.rowcount)
            .field("rownumber", &self.core.rownumber)
            .field("columns", &self.core.columns)
            .finish_non_exhaustive()
    }
}

impl<'c, R: CursorRow, B: Buffering> GenericCursor<'c, R, B> {
    /// A cursor of this kind on `conn` (what `conn.cursor()` and friends call).
    pub fn new(conn: &'c mut Connection) -> Self {
        GenericCursor { core: Core::new(conn, B::BUFFERED), _kind: PhantomData }
    }

    /// Runs one statement (or several, `;`-separated) with `%s` / `%(name)s` (or `?`)
    /// parameters written into the SQL as escaped literals. `()` sends the SQL verbatim
    /// (an error if it has `?` placeholders).
    ///
    /// Returns the rowcount: rows affected, or for a buffered SELECT the number of rows.
    /// An unbuffered SELECT cannot know it yet and returns `u64::MAX` (PyMySQL's
    /// 18446744073709551615; `rowcount()` is -1 until the last row has been read).
    ///
    /// Whatever the previous statement left unread is discarded first.
    pub async fn execute<P: Params>(&mut self, sql: &str, params: P) -> Result<u64> {
        self.core.execute(sql, &params).await
    }

    /// Bounds each later `execute` (and the per-row statements of a non-batched
    /// `executemany`): `Some(d)` overrides `ConnectOptions::statement_timeout`
    /// (`Some(Duration::ZERO)`: no timeout), `None` goes back to the connection's. A
    /// buffered cursor's bound covers reading all rows; an unbuffered one's ends with the
    /// result's head (the server-side limit still covers the whole statement). On expiry
    /// `execute` returns `Error::Timeout` and the connection stays usable (see
    /// [`ConnectOptions::statement_timeout`](crate::ConnectOptions::statement_timeout)).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.core.timeout = timeout;
    }

    /// The timeout `set_timeout` gave, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.core.timeout
    }

    /// The SQL `execute` would send, as a `String` (bytes that are not UTF-8 are shown
    /// as `X'..'` literals).
    pub fn mogrify<P: Params>(&self, sql: &str, params: P) -> Result<String> {
        format_query_string(sql, &params, &self.core.conn.format_context())
    }

    /// Advances to the next result set of a multi-statement query or CALL, discarding
    /// unread rows of the current one. `Ok(false)` when there are no more; an error in a
    /// later statement is returned here.
    pub async fn nextset(&mut self) -> Result<bool> {
        self.core.nextset().await
    }

    /// Reads and discards whatever is unread (rows and further result sets) and releases
    /// the connection. Dropping a cursor is also fine: the connection then discards the
    /// leftovers before its next command.
    pub async fn close(self) -> Result<()> {
        self.core.conn.drain().await
    }

    /// Columns of the current result set, `None` for statements without rows.
    pub fn description(&self) -> Option<&[ColumnDescription]> {
        self.core.description()
    }

    /// Rows of the last SELECT (buffered), rows affected by the last statement, or -1:
    /// before any execute, and for an unbuffered result until its last row was read.
    /// After `executemany`, the sum over its statements.
    pub fn rowcount(&self) -> i64 {
        self.core.rowcount
    }

    /// 0-based index of the next row to fetch in the current result; `None` before any
    /// execute.
    pub fn rownumber(&self) -> Option<usize> {
        self.core.executed.then_some(self.core.rownumber)
    }

    /// The AUTO_INCREMENT value the last statement generated, if it generated one
    /// (PyMySQL reports 0 where this reports `None`).
    pub fn lastrowid(&self) -> Option<u64> {
        self.core.lastrowid
    }

    /// Warnings raised by the last statement (for an unbuffered SELECT, known once all of
    /// its rows are read). `conn.show_warnings()` lists them.
    pub fn warning_count(&self) -> u16 {
        self.core.warnings
    }

    /// Rows `fetchmany(None)` returns (default 1).
    pub fn arraysize(&self) -> usize {
        self.core.arraysize
    }

    /// Sets the default `fetchmany` size.
    pub fn set_arraysize(&mut self, size: usize) {
        self.core.arraysize = size;
    }

    /// The longest statement `executemany` builds when batching rows (default 1,024,000
    /// bytes). The connection's `max_allowed_packet` option caps it as well.
    pub fn max_stmt_length(&self) -> usize {
        self.core.max_stmt_length
    }

    /// Sets the batching limit of `executemany`.
    pub fn set_max_stmt_length(&mut self, bytes: usize) {
        self.core.max_stmt_length = bytes;
    }

    /// Whether `executemany` sends batchable INSERTs to MariaDB with its bulk protocol
    /// (one prepared statement, rows as binary arrays: the server skips parsing a literal
    /// per value, about twice as fast for wide rows). On by default; `false` sends
    /// PyMySQL's multi-row text INSERTs, exactly what `mogrify_many` shows. MySQL has no
    /// bulk protocol and always gets text.
    ///
    /// One difference shows: InnoDB allocates a bulk INSERT's AUTO_INCREMENT values in
    /// growing blocks (as for `INSERT ... SELECT`), so the ids of one call may have gaps
    /// where a multi-row text INSERT gets consecutive ones. `lastrowid()` is the first id
    /// of the last command either way.
    pub fn set_bulk(&mut self, on: bool) {
        self.core.bulk = on;
    }

    /// See [`set_bulk`](Self::set_bulk).
    pub fn bulk(&self) -> bool {
        self.core.bulk
    }

    /// The connection this cursor runs on.
    pub fn connection(&self) -> &Connection {
        self.core.conn
    }
}
