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
        if self.opts.echo {
            tracing::info!(target: "amysql::query", prepare = %sql);
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
        let (id, plan) = match self.stmt_cache.get(sql, verbatim) {
            Some(Entry::TextOnly) => return Ok(false),
            Some(Entry::Prepared(p)) => (p.id, None),
            None => {
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
                    // Not preparable (1295), or not one statement (1064: a
                    // multi-statement string): text can run it.
                    Err(e) if matches!(e.code(), Some(1295 | 1064)) => {
                        self.stmt_cache.insert_text_only(sql, verbatim);
                        return Ok(false);
                    }
                    Err(e) => return Err(e),
                };
                let Some(id) = self.unclaimed_statement.take() else {
                    return Err(Error::protocol("prepared statement id went missing"));
                };
                if usize::from(ok.params) != plan.param_count() {
                    // A `?` of the caller's own: the server counts differently.
                    self.stale_statements.push(id);
                    self.stmt_cache.insert_text_only(sql, verbatim);
                    return Ok(false);
                }
                (id, Some(plan))
            }
        };
        if let Some(plan) = plan {
            let evicted = self.stmt_cache.insert(sql, verbatim, id, plan, capacity);
            self.stale_statements.extend(evicted);
        }
        self.prepare_command().await?;
        let max = self.opts.max_allowed_packet;
        // Disjoint fields: the plan stays in the cache while the buffer is written.
        let Some(Entry::Prepared(prepared)) = self.stmt_cache.get(sql, verbatim) else {
            return Err(Error::protocol("statement cache lost an entry"));
        };
        let plan = &prepared.plan;
        let n = plan.param_count();
        let buf = self.io.write_buf();
        let start = begin_execute(buf, id, n);
        for i in 0..n {
            match plan.write_param(i, params, buf) {
                Ok(Some(t)) => set_execute_param(buf, start, n, i, t),
                Ok(None) => {
                    buf.truncate(start);
                    return Ok(false);
                }
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            }
        }
        let len = buf.len() - start - 4;
        if len > max {
            buf.truncate(start);
            return Err(Error::Interface(format!(
                "query of {len} bytes exceeds max_allowed_packet ({max} bytes); raise ConnectOptions::max_allowed_packet"
            )));
        }
        self.io.seq = finish_command(buf, start);
        self.state = ResultState::Awaiting(Expect::Query);
        self.binary_rows = true;
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))?;
        Ok(true)
    }
}
