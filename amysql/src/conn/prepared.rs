//! Preparing a statement and running COM_STMT_BULK_EXECUTE on it (MariaDB's bulk
//! `executemany`). Statements are closed lazily: `prepare_statement` queues the id in
//! `stale_statements` the moment the server answers, and the next ordinary command sends
//! COM_STMT_CLOSE in the same write. Bulk executions skip `prepare_command` so that they
//! can follow the prepare without closing their own statement.

use super::result::{Expect, ResultState, Step};
use super::stmt_cache::Entry;
use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::command::finish_command;
use crate::protocol::prepared::{
    begin_execute, command, set_execute_param, PrepareOk, MARIADB_CLIENT_STMT_BULK_OPERATIONS,
};
use crate::protocol::response::OkPacket;
use crate::value::prepared_sql::PreparedSql;
use crate::value::{Params, SqlTemplate};

impl Connection {
    /// True when the server accepts COM_STMT_BULK_EXECUTE (MariaDB 10.2 and later).
    pub(crate) fn supports_bulk(&self) -> bool {
        self.mariadb_caps & MARIADB_CLIENT_STMT_BULK_OPERATIONS != 0
    }

    /// COM_STMT_PREPARE. Returns once the whole response has been read; the statement
    /// stays open until the next command that goes through `prepare_command`.
    pub(crate) async fn prepare_statement(&mut self, sql: &str) -> Result<PrepareOk> {
        self.prepare(sql, false).await
    }

    /// COM_STMT_PREPARE for the cache: the statement is left in `unclaimed_statement`
    /// (closed at the next command unless the caller takes it first).
    async fn prepare(&mut self, sql: &str, keep: bool) -> Result<PrepareOk> {
        let span = crate::trace::command_span(self, crate::trace::Command::Prepare, Some(sql));
        crate::trace::in_span(span, self.prepare_untraced(sql, keep)).await
    }

    async fn prepare_untraced(&mut self, sql: &str, keep: bool) -> Result<PrepareOk> {
        if self.opts.echo {
            tracing::info!(target: "amysql::query", prepare = %sql);
        }
        // A prepared `SET NAMES` changes the session's charset when executed.
        if let Some(change) =
            super::session_charset::noticed_change(sql.as_bytes(), false, !self.no_backslash_escapes())
        {
            self.set_charset_change(change);
        }
        self.send_command(command::STMT_PREPARE, sql.as_bytes(), Expect::Prepare { keep }).await?;
        let ok = loop {
            match self.step(false).await? {
                Step::Prepared(ok) => break ok,
                Step::Progress => continue,
                _ => return Err(self.fail(Error::protocol("unexpected packet in a COM_STMT_PREPARE response"))),
            }
        };
        while !self.is_idle() {
            self.step(false).await?;
        }
        Ok(ok)
    }

    /// Sends one COM_STMT_BULK_EXECUTE, framed in `packet` by the caller, whose last
    /// sequence id was `seq`. The bytes are swapped into the send buffer, not copied;
    /// `packet` comes back as an empty buffer to encode the next command into. Only valid
    /// right after `prepare_statement` or an earlier bulk execution whose response has
    /// been read, with nothing else in between (it does not run `prepare_command`, which
    /// would close the statement).
    pub(crate) async fn send_bulk(&mut self, packet: &mut Vec<u8>, seq: u8) -> Result<()> {
        if let Some(reason) = &self.broken {
            return Err(Error::Broken(reason.clone()));
        }
        if !self.is_idle() || self.io.unflushed() > 0 {
            return Err(Error::Interface("bulk execution needs an idle connection".into()));
        }
        std::mem::swap(self.io.write_buf(), packet);
        packet.clear();
        self.io.seq = seq;
        self.state = ResultState::Awaiting(Expect::Ok);
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))
    }

    /// Reads the response to `send_bulk`: the OK, or the server's error.
    pub(crate) async fn read_bulk_result(&mut self) -> Result<OkPacket> {
        loop {
            match self.step(false).await? {
                Step::Ok(ok) => return Ok(ok),
                Step::Progress => continue,
                _ => return Err(self.fail(Error::protocol("unexpected packet in a COM_STMT_BULK_EXECUTE response"))),
            }
        }
    }

    /// The typed layer's prepared path: runs `sql` with `params` as a cached prepared
    /// statement (COM_STMT_EXECUTE; its rows come back binary). `Ok(false)` means "send
    /// it as text instead" and nothing was sent: the cache is off, the server cannot
    /// prepare this SQL, a value has no binary form, or the parameters do not fit the
    /// placeholders (the text formatter then reports how).
    pub(crate) async fn send_prepared<P: Params + ?Sized>(&mut self, sql: &str, params: &P) -> Result<bool> {
        let capacity = self.opts.stmt_cache_size;
        if capacity == 0 {
            return Ok(false);
        }
        let verbatim = params.is_empty_params();
        self.prepare_command().await?;
        // A hit costs one lookup; the plan stays in the cache (a field disjoint from the
        // send buffer) while the command is written.
        let encoded = if let Some(entry) = self.stmt_cache.get(sql, verbatim) {
            let Entry::Prepared(prepared) = entry else { return Ok(false) };
            encode_execute(self.io.write_buf(), prepared.id, &prepared.plan, params)?.map(|e| (prepared.id, e))
        } else {
            if !self.prepare_for_cache(sql, verbatim, params).await? {
                return Ok(false);
            }
            let Some(Entry::Prepared(prepared)) = self.stmt_cache.get(sql, verbatim) else {
                return Err(Error::protocol("statement cache lost an entry"));
            };
            encode_execute(self.io.write_buf(), prepared.id, &prepared.plan, params)?.map(|e| (prepared.id, e))
        };
        let Some((id, encoded)) = encoded else { return Ok(false) };
        let max = self.packet_limit();
        if encoded.len > max {
            self.over_limit(encoded, max).await?;
        }
        let seq = encoded.next_seq;
        self.io.seq = seq;
        self.state = ResultState::Awaiting(Expect::Query);
        self.executing = Some(id);
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))?;
        Ok(true)
    }

    /// An encoded command over the current limit: refused, unless the limit is only
    /// provisional; then the command is set aside while the server is asked for its own.
    #[cold]
    async fn over_limit(&mut self, encoded: Encoded, max: usize) -> Result<()> {
        let command = self.io.write_buf().split_off(encoded.start);
        if !self.limit_unknown_for(encoded.len) {
            return Err(super::too_large("query", encoded.len, max));
        }
        self.learn_packet_limit().await?;
        let max = self.packet_limit();
        if encoded.len > max {
            return Err(super::too_large("query", encoded.len, max));
        }
        self.io.write_buf().extend_from_slice(&command);
        Ok(())
    }

    /// A cache miss: prepares `sql` and records the statement, or records that it runs
    /// as text. `Ok(false)`: send it as text. Leaves the connection ready for a command
    /// (closes of evicted statements queued).
    async fn prepare_for_cache<P: Params + ?Sized>(&mut self, sql: &str, verbatim: bool, params: &P) -> Result<bool> {
        let plan = if verbatim {
            PreparedSql::verbatim(sql)
        } else {
            match SqlTemplate::parse(sql) {
                Ok(t) => PreparedSql::from_template(&t),
                Err(_) => return Ok(false),
            }
        };
        if !plan.accepts(params) {
            return Ok(false);
        }
        let ok = match self.prepare(&plan.sql, true).await {
            Ok(ok) => ok,
            // Not preparable (1295), or not one statement (1064: a multi-statement
            // string): text can run it.
            Err(e) if matches!(e.code(), Some(1295 | 1064)) => {
                self.stmt_cache.insert_text_only(sql, verbatim, self.opts.stmt_cache_size);
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        let Some(id) = self.unclaimed_statement.take() else {
            return Err(Error::protocol("prepared statement id went missing"));
        };
        if usize::from(ok.params) != plan.param_count() {
            // A `?` of the caller's own: the server counts differently.
            self.stmt_cache.forget_columns(id);
            self.stale_statements.push(id);
            self.stmt_cache.insert_text_only(sql, verbatim, self.opts.stmt_cache_size);
            return Ok(false);
        }
        let evicted = self.stmt_cache.insert(sql, verbatim, id, plan, self.opts.stmt_cache_size);
        self.stale_statements.extend(evicted);
        // Queue those closes now, ahead of the execute.
        self.prepare_command().await?;
        Ok(true)
    }
}

/// Where an encoded command lies in the send buffer.
#[derive(Clone, Copy)]
struct Encoded {
    start: usize,
    /// Payload length (what max_allowed_packet bounds).
    len: usize,
    /// The sequence id that follows the command.
    next_seq: u8,
}

/// Appends a COM_STMT_EXECUTE of `plan` with `params`; `None` (nothing appended) when a
/// value has no binary form.
fn encode_execute<P: Params + ?Sized>(
    buf: &mut Vec<u8>,
    id: u32,
    plan: &PreparedSql,
    params: &P,
) -> Result<Option<Encoded>> {
    let n = plan.param_count();
    let start = begin_execute(buf, id, n);
    for i in 0..n {
        match plan.write_param(i, params, buf) {
            Ok(Some(t)) => set_execute_param(buf, start, n, i, t),
            Ok(None) => {
                buf.truncate(start);
                return Ok(None);
            }
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    let len = buf.len() - start - 4;
    Ok(Some(Encoded { start, len, next_seq: finish_command(buf, start) }))
}
