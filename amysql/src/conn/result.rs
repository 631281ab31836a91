//! The result-reading state machine.
//!
//! Every packet that follows a command moves `ResultState` one step, and the state is
//! updated only after the packet has been consumed. So wherever a caller stops (a dropped
//! future, an abandoned SSCursor, unread multi-results) the connection knows exactly what
//! is still on the wire, and `drain` reads it before the next command. The same `step`
//! serves cursors, the typed layer and the drain, so there is one parser of responses.

use std::sync::Arc;

use bytes::Bytes;

use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::column::Column;
use crate::protocol::constants::{capability as cap, status};
use crate::protocol::prepared::{PrepareOk, MARIADB_CLIENT_CACHE_METADATA};
use crate::protocol::response::{is_result_end, EofPacket, ErrPacket, OkPacket, QueryResponse};
use crate::row::ColumnSet;

/// What the connection expects to read next.
#[derive(Debug, Default)]
pub(crate) enum ResultState {
    /// Nothing pending: a command may be sent.
    #[default]
    Idle,
    /// A command was sent (or a multi-result continues); its response comes next.
    Awaiting(Expect),
    /// Reading column definitions.
    Columns { remaining: u64, columns: Vec<Column> },
    /// Definitions read; the classic EOF packet (no DEPRECATE_EOF) comes next.
    ColumnsEof { columns: Vec<Column> },
    /// Reading rows of a result set (the columns went to whoever read the head).
    Rows,
    /// Reading the parameter and column definitions of a COM_STMT_PREPARE response: the
    /// first `skip` packets (parameters) are discarded; column definitions are kept for
    /// the statement cache when `keep` names the statement.
    PrepareDefs { remaining: u32, skip: u32, keep: Option<u32>, columns: Vec<Column> },
    /// A prepared statement's result whose column definitions the server skipped
    /// (MARIADB_CLIENT_CACHE_METADATA); the classic EOF comes next.
    CachedEof(Arc<ColumnSet>),
}

/// The shape of the response a command produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// COM_QUERY: OK, ERR, LOCAL INFILE request, or a result set.
    Query,
    /// OK or ERR only (COM_PING, COM_INIT_DB, COM_RESET_CONNECTION).
    Ok,
    /// One raw packet (COM_STATISTICS).
    Raw,
    /// COM_STMT_PREPARE: ERR, or a prepare-OK followed by definitions. `keep`: the
    /// statement goes to the cache (else it is closed before the next command).
    Prepare { keep: bool },
}

/// One step's outcome.
pub(crate) enum Step {
    /// A statement finished without rows (or a whole OK-only response).
    Ok(OkPacket),
    /// A result set's columns are known; rows follow.
    Columns(Arc<ColumnSet>),
    /// One row packet.
    Row(Bytes),
    /// The current result set ended.
    End,
    /// A raw response packet (COM_STATISTICS).
    Raw(Bytes),
    /// A statement was prepared (its definitions, if any, come next).
    Prepared(PrepareOk),
    /// A packet was consumed that produces nothing by itself (a column definition).
    Progress,
}

/// Upper bound on preallocation from a server-announced column count (MySQL allows 4096).
const MAX_PREALLOC_COLUMNS: u64 = 4096;

/// Most columns a result set may announce. MySQL and MariaDB tables stop at 4096 and the
/// prepared-statement protocol counts columns in 16 bits; a larger count is a corrupted
/// or hostile header, refused before any definition is read, so the definitions it would
/// make the client keep stay bounded too.
pub(crate) const MAX_COLUMNS: u64 = u16::MAX as u64;

impl Connection {
    /// True while a statement's results remain unread.
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.state, ResultState::Idle)
    }

    /// True when another result set (of a multi-statement query or CALL) follows.
    pub(crate) fn has_more_results(&self) -> bool {
        matches!(self.state, ResultState::Awaiting(Expect::Query))
    }

    fn deprecate_eof(&self) -> bool {
        self.caps & cap::DEPRECATE_EOF != 0
    }

    /// Records an end-of-statement status and decides what comes next.
    fn finish_statement(&mut self, status: u16, expect_more: Expect) {
        self.status = status;
        self.state = if status & status::MORE_RESULTS_EXISTS != 0 {
            ResultState::Awaiting(expect_more)
        } else {
            ResultState::Idle
        };
    }

    fn apply_ok(&mut self, ok: &OkPacket) {
        self.affected_rows = ok.affected_rows;
        self.insert_id = ok.last_insert_id;
        self.warnings = ok.warnings;
        self.finish_statement(ok.status, Expect::Query);
    }

    /// Reads one packet and advances the state. `draining` refuses LOCAL INFILE requests
    /// (nobody is waiting for that statement any more).
    pub(crate) async fn step(&mut self, draining: bool) -> Result<Step> {
        let r = self.step_inner(draining).await;
        if self.is_idle() && self.io.buffered() > 0 {
            // The response chain is over, yet more bytes came: the stream is out of step
            // with the commands (a corrupted length or a packet the client misread), and
            // what was read may belong to another answer. Nothing from it is returned.
            return Err(self.fail(leftover_bytes(self.io.buffered())));
        }
        r.map_err(|e| self.fail(e))
    }

    async fn step_inner(&mut self, draining: bool) -> Result<Step> {
        match &mut self.state {
            ResultState::Idle => Err(Error::Interface("no result is pending on this connection".into())),
            ResultState::Awaiting(expect) => {
                let expect = *expect;
                let p = self.io.read_packet().await?;
                if expect == Expect::Raw {
                    self.state = ResultState::Idle;
                    return match p.first() {
                        Some(0xff) => Err(ErrPacket::decode(&p, self.caps)?.into_error()),
                        _ => Ok(Step::Raw(p)),
                    };
                }
                if let Expect::Prepare { keep } = expect {
                    return self.prepare_response(&p, keep);
                }
                let cache_metadata = self.mariadb_caps & MARIADB_CLIENT_CACHE_METADATA != 0;
                let response = match QueryResponse::decode(&p, self.caps, cache_metadata) {
                    Ok(r) => r,
                    Err(e) => {
                        if e.as_server().is_some() {
                            // ERR ends the statement chain: nothing else follows.
                            self.state = ResultState::Idle;
                            self.infile_error = None;
                        }
                        return Err(e);
                    }
                };
                match response {
                    QueryResponse::Ok(ok) => {
                        self.apply_ok(&ok);
                        if let Some(e) = self.infile_error.take() {
                            return Err(e);
                        }
                        Ok(Step::Ok(ok))
                    }
                    _ if expect == Expect::Ok => {
                        Err(Error::protocol("expected OK or ERR, the server sent a result set"))
                    }
                    QueryResponse::LocalInfile { filename } => {
                        self.send_local_infile(&filename, draining).await?;
                        Ok(Step::Progress)
                    }
                    QueryResponse::ResultSet { column_count, .. } if column_count > MAX_COLUMNS => {
                        Err(Error::protocol(format!(
                            "result set header announces {column_count} columns (at most {MAX_COLUMNS} are accepted)"
                        )))
                    }
                    QueryResponse::ResultSet { column_count, metadata_follows: false } => {
                        self.cached_result(column_count)
                    }
                    QueryResponse::ResultSet { column_count, metadata_follows: true } => {
                        self.state = ResultState::Columns {
                            remaining: column_count,
                            columns: Vec::with_capacity(column_count.min(MAX_PREALLOC_COLUMNS) as usize),
                        };
                        Ok(Step::Progress)
                    }
                }
            }
            ResultState::Columns { .. } => {
                let p = self.io.read_packet().await?;
                if p.first() == Some(&0xff) {
                    self.state = ResultState::Idle;
                    return Err(ErrPacket::decode(&p, self.caps)?.into_error());
                }
                let column = Column::decode(&p)?;
                let deprecate_eof = self.deprecate_eof();
                let ResultState::Columns { remaining, columns } = &mut self.state else {
                    return Err(Error::protocol("result state changed while reading columns"));
                };
                columns.push(column);
                *remaining -= 1;
                if *remaining > 0 {
                    return Ok(Step::Progress);
                }
                let columns = std::mem::take(columns);
                if deprecate_eof {
                    Ok(self.enter_rows(columns))
                } else {
                    self.state = ResultState::ColumnsEof { columns };
                    Ok(Step::Progress)
                }
            }
            ResultState::ColumnsEof { columns } => {
                let columns = std::mem::take(columns);
                let p = self.io.read_packet().await?;
                EofPacket::decode(&p)?;
                Ok(self.enter_rows(columns))
            }
            ResultState::Rows => {
                let p = self.io.read_packet().await?;
                if is_result_end(&p, self.deprecate_eof()) {
                    let (warnings, status) = if self.deprecate_eof() {
                        let ok = OkPacket::decode(&p, self.caps)?;
                        (ok.warnings, ok.status)
                    } else {
                        let eof = EofPacket::decode(&p)?;
                        (eof.warnings, eof.status)
                    };
                    self.warnings = warnings;
                    self.affected_rows = 0;
                    self.insert_id = 0;
                    self.finish_statement(status, Expect::Query);
                    return Ok(Step::End);
                }
                if p.first() == Some(&0xff) {
                    // An error mid-stream (max_statement_time, a killed query) ends the chain.
                    self.state = ResultState::Idle;
                    return Err(ErrPacket::decode(&p, self.caps)?.into_error());
                }
                Ok(Step::Row(p))
            }
            ResultState::PrepareDefs { .. } => {
                let p = self.io.read_packet().await?;
                if p.first() == Some(&0xff) {
                    self.state = ResultState::Idle;
                    return Err(ErrPacket::decode(&p, self.caps)?.into_error());
                }
                let ResultState::PrepareDefs { remaining, skip, keep, columns } = &mut self.state else {
                    return Err(Error::protocol("result state changed while reading definitions"));
                };
                *remaining -= 1;
                if *skip > 0 {
                    *skip -= 1;
                } else if keep.is_some() && !is_result_end(&p, false) {
                    columns.push(Column::decode(&p)?);
                }
                if *remaining == 0 {
                    let (keep, columns) = (keep.take(), std::mem::take(columns));
                    self.state = ResultState::Idle;
                    if let (Some(id), false) = (keep, columns.is_empty()) {
                        self.stmt_cache.set_columns(id, Arc::new(ColumnSet::binary(columns)));
                    }
                }
                Ok(Step::Progress)
            }
            ResultState::CachedEof(set) => {
                let set = Arc::clone(set);
                let p = self.io.read_packet().await?;
                EofPacket::decode(&p)?;
                self.state = ResultState::Rows;
                Ok(Step::Columns(set))
            }
        }
    }

    /// The first packet of a COM_STMT_PREPARE response.
    fn prepare_response(&mut self, p: &[u8], keep: bool) -> Result<Step> {
        if p.first() == Some(&0xff) {
            self.state = ResultState::Idle;
            return Err(ErrPacket::decode(p, self.caps)?.into_error());
        }
        let ok = PrepareOk::decode(p)?;
        // Closed before the next command whatever happens to the caller from here on,
        // unless a caller that keeps it claims it first.
        if keep {
            self.unclaimed_statement = Some(ok.statement_id);
        } else {
            self.stale_statements.push(ok.statement_id);
        }
        let remaining = ok.packets_after(self.deprecate_eof());
        let skip = if ok.params == 0 { 0 } else { u32::from(ok.params) + u32::from(!self.deprecate_eof()) };
        let keep = keep.then_some(ok.statement_id);
        self.state = if remaining == 0 {
            ResultState::Idle
        } else {
            ResultState::PrepareDefs { remaining, skip, keep, columns: Vec::new() }
        };
        Ok(Step::Prepared(ok))
    }

    fn rows_with(&mut self, set: Arc<ColumnSet>) -> Step {
        self.state = ResultState::Rows;
        Step::Columns(set)
    }

    /// A result set header without column definitions: the statement being executed
    /// has them cached. Anything else means the server assumed metadata we do not have,
    /// and its rows could not be read: the connection is unusable.
    fn cached_result(&mut self, column_count: u64) -> Result<Step> {
        let cached = self.executing.and_then(|id| self.stmt_cache.columns(id));
        let Some(set) = cached.filter(|s| s.len() as u64 == column_count) else {
            return Err(self
                .fail(Error::protocol("the server skipped column definitions that the client does not have cached")));
        };
        if self.deprecate_eof() {
            Ok(self.rows_with(set))
        } else {
            self.state = ResultState::CachedEof(set);
            Ok(Step::Progress)
        }
    }

    fn enter_rows(&mut self, columns: Vec<Column>) -> Step {
        let set = match self.executing {
            Some(id) => {
                let set = Arc::new(ColumnSet::binary(columns));
                // What the server may skip sending next time (CACHE_METADATA).
                self.stmt_cache.set_columns(id, Arc::clone(&set));
                set
            }
            None => Arc::new(ColumnSet::new(columns)),
        };
        self.rows_with(set)
    }

    /// Reads the next statement's response: `Ok(None)`-like `Step::Ok` for statements
    /// without rows, or the column set of a result whose rows follow.
    pub(crate) async fn read_result_head(&mut self) -> Result<ResultHead> {
        loop {
            match self.step(false).await? {
                Step::Ok(ok) => return Ok(ResultHead::Ok(ok)),
                Step::Columns(c) => return Ok(ResultHead::Rows(c)),
                Step::Progress => continue,
                Step::Row(_) | Step::End | Step::Raw(_) | Step::Prepared(_) => {
                    return Err(self.fail(Error::protocol("unexpected packet before a result header")))
                }
            }
        }
    }

    /// The next row packet of the current result set, or `None` at its end.
    pub(crate) async fn next_row_packet(&mut self) -> Result<Option<Bytes>> {
        if !matches!(self.state, ResultState::Rows) {
            return Ok(None);
        }
        match self.step(false).await? {
            Step::Row(p) => Ok(Some(p)),
            Step::End => Ok(None),
            _ => Err(self.fail(Error::protocol("unexpected packet inside a result set"))),
        }
    }

    /// The next row, decoded by `f` straight from the receive buffer when it is already
    /// there (no await, no copy of the packet), and consumed; `None` when it is not, or
    /// when the next packet is not a plain row (the end marker, an ERR, a multi-chunk
    /// packet: those go through [`next_row_packet`]). Nothing here awaits, so it cannot
    /// be interrupted between decoding a row and consuming it.
    // Always inlined: fetch_all calls it once per row, and as a call it moved every
    // decoded row through an extra Result<Option<T>>.
    #[inline(always)]
    pub(crate) fn take_buffered_row<T>(&mut self, f: impl FnOnce(&[u8]) -> Result<T>) -> Result<Option<T>> {
        if !matches!(self.state, ResultState::Rows) {
            return Ok(None);
        }
        let (payload, frame) = match self.io.peek_buffered() {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            Err(e) => return Err(self.fail(e)),
        };
        if payload.first() == Some(&0xff) || is_result_end(payload, self.deprecate_eof()) {
            return Ok(None);
        }
        let decoded = f(payload);
        self.io.consume(&frame);
        decoded.map(Some).map_err(|e| self.fail(e))
    }

    /// Reads and discards whatever earlier commands left unread. Server errors in those
    /// leftovers belong to statements nobody waits for, so they are logged, not returned.
    pub(crate) async fn drain(&mut self) -> Result<()> {
        while !self.is_idle() {
            match self.step(true).await {
                Ok(_) => {}
                Err(Error::Server(e)) => tracing::debug!(error = %e, "error in unread result discarded"),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The error for bytes left in the receive buffer after a response ended.
#[cold]
pub(crate) fn leftover_bytes(n: usize) -> Error {
    Error::protocol(format!(
        "{n} bytes arrived after the end of the server's response; the connection is out of step and was closed"
    ))
}

/// The head of one statement's response.
pub(crate) enum ResultHead {
    Ok(OkPacket),
    Rows(Arc<ColumnSet>),
}
