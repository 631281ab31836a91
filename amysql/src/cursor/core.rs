//! The state every cursor kind shares, and the code that moves it: sending a statement,
//! reading a result's head (and, when buffered, its rows), advancing to the next result.
//! Not generic, so it is compiled once for all four cursor kinds.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;

use super::description::ColumnDescription;
use crate::conn::result::ResultHead;
use crate::conn::timeout::{bounded, Statement};
use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::protocol::text_row::{parse_text_row, CellRange};
use crate::row::{ColumnSet, FromRow, Row, RowRef};
use crate::value::{format_query, Params};

/// PyMySQL's `Cursor.max_stmt_length`: the largest statement executemany builds.
pub(super) const DEFAULT_MAX_STMT_LENGTH: usize = 1_024_000;

/// Above this many retained row slots, a finished result's `Vec` is freed rather than
/// reused, so one huge result does not pin its memory for the cursor's lifetime.
const KEEP_ROWS_CAPACITY: usize = 1 << 16;

pub(super) struct Core<'c> {
    pub(super) conn: &'c mut Connection,
    pub(super) buffered: bool,
    /// Set by the first execute; fetching before it is a programming error.
    pub(super) executed: bool,
    /// Columns of the current result set; `None` for statements without rows.
    pub(super) columns: Option<Arc<ColumnSet>>,
    /// Built on first request: most callers never look, and it allocates a name per column.
    pub(super) description: OnceLock<Box<[ColumnDescription]>>,
    /// Buffered cursors: the current result's row packets, each validated once on arrival.
    /// Packets rather than `Row`s: a fetch builds its `Row` (or typed value) straight from
    /// the packet, and nothing is built for rows that are never fetched.
    pub(super) rows: Vec<Bytes>,
    pub(super) rownumber: usize,
    pub(super) rowcount: i64,
    pub(super) lastrowid: Option<u64>,
    pub(super) warnings: u16,
    pub(super) arraysize: usize,
    pub(super) max_stmt_length: usize,
    /// executemany may use MariaDB's bulk protocol for batchable INSERTs.
    pub(super) bulk: bool,
    /// Cell boundaries of the row being decoded, reused for every row.
    pub(super) scratch: Vec<CellRange>,
    /// `set_timeout`: overrides the connection's statement timeout (zero: none).
    pub(super) timeout: Option<Duration>,
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<'c> Core<'c> {
    pub(super) fn new(conn: &'c mut Connection, buffered: bool) -> Self {
        Core {
            conn,
            buffered,
            executed: false,
            columns: None,
            description: OnceLock::new(),
            rows: Vec::new(),
            rownumber: 0,
            rowcount: -1,
            lastrowid: None,
            warnings: 0,
            arraysize: 1,
            max_stmt_length: DEFAULT_MAX_STMT_LENGTH,
            bulk: true,
            scratch: Vec::new(),
            timeout: None,
        }
    }

    /// Forgets the previous result before a new statement or result set.
    pub(super) fn begin_result(&mut self) {
        self.executed = true;
        self.columns = None;
        self.description = OnceLock::new();
        if self.rows.capacity() > KEEP_ROWS_CAPACITY {
            self.rows = Vec::new();
        } else {
            self.rows.clear();
        }
        self.rownumber = 0;
        self.rowcount = -1;
        self.lastrowid = None;
        self.warnings = 0;
    }

    pub(super) fn check_executed(&self) -> Result<()> {
        if self.executed {
            Ok(())
        } else {
            Err(Error::Programming("no statement has been executed on this cursor; call execute() first".into()))
        }
    }

    /// Formats `sql` straight into the send buffer, sends it and reads the first result
    /// (a buffered cursor: all its rows), under the statement timeout.
    pub(super) async fn execute<P: Params + ?Sized>(&mut self, sql: &str, params: &P) -> Result<u64> {
        self.begin_result();
        let st = self.conn.begin_statement(self.timeout, sql, crate::trace::Kind::Query);
        if st.is_plain() && !self.conn.options().kill_on_drop {
            // The default: no deadline or span machinery in this future (see `run_statement!`).
            let ctx = self.conn.format_context();
            self.conn.send_query_with(|buf| format_query(sql, params, &ctx, buf)).await?;
            return self.read_result().await;
        }
        Box::pin(self.execute_observed(st, sql, params)).await
    }

    /// [`execute`](Self::execute) under a statement timeout, `kill_on_drop` or a span.
    async fn execute_observed<P: Params + ?Sized>(
        &mut self,
        mut st: Statement<'_>,
        sql: &str,
        params: &P,
    ) -> Result<u64> {
        let injection = st.injection();
        // Written out twice: the unobserved path is the plain await (no wrapper to move).
        macro_rules! work {
            () => {
                bounded(st.deadline(), async {
                    let ctx = self.conn.format_context();
                    self.conn
                        .send_text_timed(sql, injection.as_ref(), |sql, buf| format_query(sql, params, &ctx, buf))
                        .await?;
                    self.conn.arm_kill_on_drop(&mut st);
                    self.read_result().await
                })
            };
        }
        let outcome = match st.span() {
            None => work!().await,
            Some(span) => tracing::Instrument::instrument(work!(), span).await,
        };
        if let Some(Ok(n)) = &outcome {
            // The rowcount is rows returned for a result set, rows affected otherwise
            // (unknown yet for an unbuffered result).
            let counts = match (&self.columns, *n) {
                (_, u64::MAX) => crate::trace::Counts::default(),
                (Some(_), n) => crate::trace::Counts { returned: Some(n), affected: None },
                (None, n) => crate::trace::Counts { returned: None, affected: Some(n) },
            };
            st.note_counts(counts);
        }
        if outcome.is_none() {
            // Timed out mid-result: what was read belongs to the killed statement.
            self.rows.clear();
            self.columns = None;
        }
        self.conn.end_statement(st, outcome).await
    }

    /// Reads the head of the next result; a buffered cursor also reads its rows. Returns
    /// the rowcount `execute` reports (`u64::MAX` for an unbuffered result: unknown yet).
    pub(super) async fn read_result(&mut self) -> Result<u64> {
        match self.conn.read_result_head().await? {
            ResultHead::Ok(ok) => {
                self.rowcount = clamp_i64(ok.affected_rows);
                self.lastrowid = (ok.last_insert_id != 0).then_some(ok.last_insert_id);
                self.warnings = ok.warnings;
                Ok(ok.affected_rows)
            }
            ResultHead::Rows(columns) => {
                let n = columns.len();
                self.columns = Some(columns);
                if !self.buffered {
                    return Ok(u64::MAX);
                }
                if let Err(e) = self.read_all_rows(n).await {
                    self.rows.clear();
                    return Err(e);
                }
                self.rowcount = clamp_i64(self.rows.len() as u64);
                self.warnings = self.conn.warning_count();
                Ok(self.rows.len() as u64)
            }
        }
    }

    async fn read_all_rows(&mut self, column_count: usize) -> Result<()> {
        while let Some(packet) = self.conn.next_row_packet().await? {
            // Validate now, as PyMySQL parses at execute: a malformed row is an error of
            // this statement, not of some later fetch.
            if let Err(e) = parse_text_row(&packet, column_count, &mut self.scratch) {
                return Err(self.conn.fail(e));
            }
            self.rows.push(packet);
        }
        Ok(())
    }

    /// Unbuffered cursors: the next row packet of the current result. At the end the row
    /// count becomes known, and the result's warnings with it.
    pub(super) async fn next_streamed(&mut self) -> Result<Option<Bytes>> {
        let next = self.conn.next_row_packet().await?;
        if next.is_none() && self.rowcount < 0 && self.columns.is_some() {
            self.rowcount = clamp_i64(self.rownumber as u64);
            self.warnings = self.conn.warning_count();
        }
        Ok(next)
    }

    /// Moves to the next result set: unread rows of the current one are discarded first.
    /// `Ok(false)` when there is none. A failing statement further on in a multi-statement
    /// query reports its error here.
    pub(super) async fn nextset(&mut self) -> Result<bool> {
        if !self.executed {
            return Ok(false);
        }
        while self.next_streamed().await?.is_some() {}
        if !self.conn.has_more_results() {
            return Ok(false);
        }
        self.begin_result();
        self.read_result().await?;
        Ok(true)
    }

    /// Builds a `Row` from a packet of the current result (its cells re-split into the
    /// reused scratch).
    pub(super) fn build_row(&mut self, packet: Bytes) -> Result<Row> {
        let Some(columns) = &self.columns else {
            return Err(no_rows());
        };
        Row::from_packet(columns.clone(), packet, &mut self.scratch).map_err(|e| self.conn.fail(e))
    }

    pub(super) fn description(&self) -> Option<&[ColumnDescription]> {
        let columns = self.columns.as_ref()?;
        Some(self.description.get_or_init(|| columns.columns().iter().map(ColumnDescription::from_column).collect()))
    }
}

pub(super) fn no_rows() -> Error {
    Error::Programming("the current result has no rows".into())
}

/// Decodes a typed row straight from its packet: no `Row`, no `Value`s. A free function
/// so that callers can lend it the packet from the cursor's own row list.
pub(super) fn decode_packet<T: FromRow>(
    columns: &ColumnSet,
    scratch: &mut Vec<CellRange>,
    mapping: &T::Mapping,
    packet: &[u8],
) -> Result<T> {
    parse_text_row(packet, columns.len(), scratch)?;
    T::from_row(mapping, &RowRef::new(columns, packet, scratch))
}
