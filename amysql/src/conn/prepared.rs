//! Preparing a statement and running COM_STMT_BULK_EXECUTE on it (MariaDB's bulk
//! `executemany`). Statements are closed lazily: `prepare_statement` queues the id in
//! `stale_statements` the moment the server answers, and the next ordinary command sends
//! COM_STMT_CLOSE in the same write. Bulk executions skip `prepare_command` so that they
//! can follow the prepare without closing their own statement.

use super::result::{Expect, ResultState, Step};
use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::prepared::{command, PrepareOk, MARIADB_CLIENT_STMT_BULK_OPERATIONS};
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
}
