//! Connection-level commands (aiomysql's `Connection` methods).

use super::result::{Expect, ResultHead, Step};
use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::command::ChangeUser;
use crate::protocol::constants::command;
use crate::protocol::packet::write_packet;
use crate::protocol::text_row::parse_text_row;
use crate::trace;

/// The outcome of a statement that returns no rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueryResult {
    /// Rows inserted, updated or deleted (changed rows, not matched rows).
    pub rows_affected: u64,
    /// The AUTO_INCREMENT id the statement generated, if any.
    pub last_insert_id: Option<u64>,
    /// Warnings the statement raised (see `show_warnings`).
    pub warnings: u16,
}

/// One row of `SHOW WARNINGS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub level: String,
    pub code: u32,
    pub message: String,
}

impl Connection {
    pub(crate) fn last_result(&self) -> QueryResult {
        QueryResult {
            rows_affected: self.affected_rows,
            last_insert_id: (self.insert_id != 0).then_some(self.insert_id),
            warnings: self.warnings,
        }
    }

    async fn simple(&mut self, cmd: u8, arg: &[u8]) -> Result<()> {
        self.send_command(cmd, arg, Expect::Ok).await?;
        self.drain_until_idle().await
    }

    /// Reads results until idle, returning the first server error.
    async fn drain_until_idle(&mut self) -> Result<()> {
        let mut first_err = None;
        while !self.is_idle() {
            match self.step(false).await {
                Ok(_) => {}
                Err(e @ Error::Server(_)) => {
                    first_err.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Runs SQL and discards any rows (all result sets of a multi-statement query are read;
    /// the first error is returned). Returns the last statement's outcome.
    pub async fn query_drop(&mut self, sql: &str) -> Result<QueryResult> {
        self.send_query(sql).await?;
        self.drain_until_idle().await?;
        Ok(self.last_result())
    }

    /// Runs SQL and returns every cell of the first result set as text (NULL as `None`),
    /// reading and discarding any further result sets. A small helper for administrative
    /// queries; cursors and the typed layer are the real API.
    pub async fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        self.send_query(sql).await?;
        let mut out = Vec::new();
        if let ResultHead::Rows(columns) = self.read_result_head().await? {
            let mut cells = Vec::new();
            while let Some(p) = self.next_row_packet().await? {
                parse_text_row(&p, columns.len(), &mut cells).map_err(|e| self.fail(e))?;
                out.push(cells.iter().map(|c| c.slice(&p).map(|b| String::from_utf8_lossy(b).into_owned())).collect());
            }
        }
        self.drain_until_idle().await?;
        Ok(out)
    }

    /// COM_PING: checks the server is alive.
    pub async fn ping(&mut self) -> Result<()> {
        let span = trace::command_span(self, trace::Command::Ping, None);
        trace::in_span(span, self.simple(command::PING, &[])).await
    }

    /// COM_INIT_DB: changes the default database.
    pub async fn select_db(&mut self, db: &str) -> Result<()> {
        self.simple(command::INIT_DB, db.as_bytes()).await
    }

    /// Turns autocommit on or off for the session.
    pub async fn autocommit(&mut self, on: bool) -> Result<()> {
        self.query_drop(if on { "SET autocommit=1" } else { "SET autocommit=0" }).await.map(|_| ())
    }

    /// COMMIT (DB-API style, for autocommit=false sessions).
    pub async fn commit(&mut self) -> Result<()> {
        let span = trace::command_span(self, trace::Command::Commit, None);
        trace::in_span(span, self.query_drop("COMMIT")).await.map(|_| ())
    }

    /// ROLLBACK (DB-API style).
    pub async fn rollback(&mut self) -> Result<()> {
        let span = trace::command_span(self, trace::Command::Rollback, None);
        trace::in_span(span, self.query_drop("ROLLBACK")).await.map(|_| ())
    }

    /// `SHOW WARNINGS` for the last statement.
    pub async fn show_warnings(&mut self) -> Result<Vec<Warning>> {
        let rows = self.query_text("SHOW WARNINGS").await?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                r.resize(3, None);
                let message = r[2].take().unwrap_or_default();
                let code = r[1].as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
                let level = r[0].take().unwrap_or_default();
                Warning { level, code, message }
            })
            .collect())
    }

    /// COM_RESET_CONNECTION: clears session state (variables, temporary tables, open
    /// transaction) without re-authenticating, then re-applies the session options.
    pub async fn reset(&mut self) -> Result<()> {
        // The server drops this session's prepared statements.
        self.stmt_cache.clear();
        self.simple(command::RESET_CONNECTION, &[]).await?;
        self.forget_charset_change();
        self.init_session().await
    }

    /// COM_STATISTICS: the server's one-line status summary.
    pub async fn statistics(&mut self) -> Result<String> {
        self.send_command(command::STATISTICS, &[], Expect::Raw).await?;
        match self.step(false).await? {
            Step::Raw(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            _ => Err(self.fail(Error::protocol("unexpected response to COM_STATISTICS"))),
        }
    }

    /// Asks the server to kill another connection (`KILL <id>`).
    pub async fn kill(&mut self, thread_id: u32) -> Result<()> {
        self.query_drop(&format!("KILL {thread_id}")).await.map(|_| ())
    }

    /// COM_CHANGE_USER: re-authenticates as another user (session state is reset).
    pub async fn change_user(&mut self, user: &str, password: &str, db: Option<&str>) -> Result<()> {
        // The server drops this session's prepared statements.
        self.stmt_cache.clear();
        self.prepare_command().await?;
        let mut opts = (*self.opts).clone();
        opts.user = user.to_string();
        opts.password = Some(password.to_string());
        opts.db = db.map(str::to_string);
        self.opts = std::sync::Arc::new(opts);
        let secure = self.io.stream.is_secure();
        let plugin_name = self.auth_plugin.clone();
        let (exchange, auth) = super::auth::start(&self.opts, &plugin_name, &self.nonce, password.as_bytes(), secure)?;
        let cu = ChangeUser {
            username: user,
            auth_response: &auth,
            database: db,
            charset: self.charset.collation_id,
            auth_plugin: &plugin_name,
            attributes: &[],
        };
        // Until the server accepts the new user, the session belongs to nobody.
        self.broken = Some("COM_CHANGE_USER did not complete".into());
        let caps = self.caps;
        self.io.seq = crate::protocol::command::com_change_user(self.io.write_buf(), &cu, caps);
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))?;
        let r = self.authenticate(exchange).await;
        match r {
            Ok(()) => {
                self.broken = None;
                self.forget_charset_change();
                self.init_session().await
            }
            Err(e @ Error::Server(_)) => {
                // The server closes the connection after a failed change-user.
                Err(e)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Sends COM_QUIT and closes the socket. Dropping a connection closes it too, without
    /// the goodbye.
    pub async fn close(mut self) -> Result<()> {
        if self.broken.is_none() && self.io.unflushed() == 0 {
            let mut seq = 0;
            write_packet(self.io.write_buf(), &[command::QUIT], &mut seq);
            let _ = self.io.flush().await;
        }
        self.io.shutdown().await;
        Ok(())
    }
}
