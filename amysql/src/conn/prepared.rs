//! Preparing a statement and running COM_STMT_BULK_EXECUTE on it (MariaDB's bulk
//! `executemany`). Statements are closed lazily: `prepare_statement` queues the id in
//! `stale_statements` the moment the server answers, and the next ordinary command sends
//! COM_STMT_CLOSE in the same write. Bulk executions skip `prepare_command` so that they
//! can follow the prepare without closing their own statement.

use super::result::{Expect, ResultState, Step};
use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::prepared::{
    begin_bulk_execute, command, finish_bulk_execute, PrepareOk, MARIADB_CLIENT_STMT_BULK_OPERATIONS,
};
use crate::protocol::response::OkPacket;

impl Connection {
    /// True when the server accepts COM_STMT_BULK_EXECUTE (MariaDB 10.2 and later).
    pub(crate) fn supports_bulk(&self) -> bool {
        self.mariadb_caps & MARIADB_CLIENT_STMT_BULK_OPERATIONS != 0
    }

    /// COM_STMT_PREPARE. Returns once the whole response has been read; the statement
    /// stays open until the next command that goes through `prepare_command`.
    pub(crate) async fn prepare_statement(&mut self, sql: &str) -> Result<PrepareOk> {
        if self.opts.echo {
            tracing::info!(target: "amysql::query", prepare = %sql);
        }
        self.send_command(command::STMT_PREPARE, sql.as_bytes(), Expect::Prepare).await?;
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

    /// Sends one COM_STMT_BULK_EXECUTE for `statement_id` and reads its OK. `write`
    /// appends the rows after the header (it gets the buffer and the packet start, for
    /// `set_bulk_types`) and returns `false` when it has nothing to send; then nothing is
    /// sent and the result is `None`. Only valid right after `prepare_statement` or an
    /// earlier bulk execution, with nothing else in between.
    pub(crate) async fn bulk_execute_with(
        &mut self,
        statement_id: u32,
        param_count: usize,
        write: impl FnOnce(&mut Vec<u8>, usize) -> Result<bool>,
    ) -> Result<Option<OkPacket>> {
        if let Some(reason) = &self.broken {
            return Err(Error::Broken(reason.clone()));
        }
        if !self.is_idle() || self.io.unflushed() > 0 {
            return Err(Error::Interface("bulk execution needs an idle connection".into()));
        }
        let max = self.opts.max_allowed_packet;
        let buf = self.io.write_buf();
        let start = begin_bulk_execute(buf, statement_id, param_count);
        match write(buf, start) {
            Ok(true) => {}
            Ok(false) => {
                buf.truncate(start);
                return Ok(None);
            }
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
        // Payload = everything after the 4-byte packet header.
        let len = buf.len() - start - 4;
        if len > max {
            buf.truncate(start);
            return Err(Error::Interface(format!(
                "a bulk INSERT command of {len} bytes exceeds max_allowed_packet ({max} bytes); raise ConnectOptions::max_allowed_packet"
            )));
        }
        self.io.seq = finish_bulk_execute(buf, start);
        self.state = ResultState::Awaiting(Expect::Ok);
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))?;
        loop {
            match self.step(false).await? {
                Step::Ok(ok) => return Ok(Some(ok)),
                Step::Progress => continue,
                _ => return Err(self.fail(Error::protocol("unexpected packet in a COM_STMT_BULK_EXECUTE response"))),
            }
        }
    }
}
