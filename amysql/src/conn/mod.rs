//! One connection to the server: connect and authenticate, send commands, read results.
//! Knows nothing of pools; cursors and the typed layer build on `send_query` and the
//! result state machine in `result.rs`.

mod auth;
pub mod auth_plugin;
pub(crate) mod commands;
pub(crate) mod connect;
mod kill;
pub mod local_infile;
mod prepared;
pub(crate) mod result;
mod session_charset;
mod stmt_cache;
pub(crate) mod timeout;

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::io::packet_stream::PacketStream;
use crate::opts::ConnectOptions;
use crate::protocol::charset::Charset;
use crate::protocol::command::{begin_command, finish_command};
use crate::protocol::constants::{command, status};
use crate::protocol::prepared::com_stmt_close;
use crate::value::{FormatContext, ToSql};
use result::{Expect, ResultHead, ResultState};
use session_charset::CharsetChange;

pub use connect::connect;

/// The refusal of a command larger than `max_allowed_packet`, before anything is sent
/// (the server would drop the connection instead).
#[cold]
pub(crate) fn too_large(what: &str, len: usize, max: usize) -> Error {
    Error::Interface(format!(
        "{what} of {len} bytes exceeds max_allowed_packet ({max} bytes); raise the server's max_allowed_packet \
         (or ConnectOptions::max_allowed_packet, if set)"
    ))
}

/// The limit on outgoing commands while neither the options nor the server have named
/// one: MariaDB's default max_allowed_packet. A larger command makes the connection ask
/// the server for its real limit first.
const PROVISIONAL_MAX_PACKET: usize = 16 << 20;

/// A connection to a MySQL or MariaDB server.
///
/// Dropping it closes the socket at once; [`Connection::close`] says goodbye first.
pub struct Connection {
    pub(crate) io: PacketStream,
    pub(crate) opts: Arc<ConnectOptions>,
    /// Capabilities both sides agreed on.
    pub(crate) caps: u32,
    /// MariaDB extended capabilities both sides agreed on (0 on MySQL).
    pub(crate) mariadb_caps: u32,
    server_version: String,
    thread_id: u32,
    pub(crate) charset: Charset,
    /// Server status flags from the last OK/EOF (autocommit, in transaction,
    /// NO_BACKSLASH_ESCAPES, more results).
    pub(crate) status: u16,
    pub(crate) affected_rows: u64,
    pub(crate) insert_id: u64,
    pub(crate) warnings: u16,
    pub(crate) state: ResultState,
    /// Set when the connection cannot be trusted any more; every later command fails.
    pub(crate) broken: Option<String>,
    /// An error to report once the server acknowledges a refused LOCAL INFILE request.
    pub(crate) infile_error: Option<Error>,
    /// SQL to run, in order, before the next command: rollbacks queued by dropped
    /// transaction guards (which cannot await in `Drop`).
    pub(crate) pending_cleanup: Vec<String>,
    /// Server-side statements to close before the next command (COM_STMT_CLOSE has no
    /// response, so closing costs no round trip). A statement lands here as soon as it
    /// is prepared, so an interrupted bulk `executemany` cannot leak it.
    pub(crate) stale_statements: Vec<u32>,
    /// A statement prepared for the cache whose caller has not taken it yet (it was
    /// interrupted if it is still here at the next command: then it is closed).
    pub(crate) unclaimed_statement: Option<u32>,
    /// Prepared statements of the typed layer (`ConnectOptions::stmt_cache_size`).
    pub(crate) stmt_cache: stmt_cache::StmtCache,
    /// The statement of the COM_STMT_EXECUTE whose response is being read (its rows are
    /// binary); `None` for text commands.
    pub(crate) executing: Option<u32>,
    /// The greeting's nonce and plugin: COM_CHANGE_USER answers with a scramble over them.
    pub(crate) nonce: Vec<u8>,
    pub(crate) auth_plugin: String,
    /// The server's `@@max_allowed_packet`, once asked for (see `packet_limit`).
    pub(crate) server_max_packet: Option<usize>,
    /// A change of the session's client charset made by SQL the connection sent
    /// (`SET NAMES ..`); `None` while the session uses the charset it connected with.
    pub(crate) charset_change: Option<CharsetChange>,
    /// Set while a `kill_on_drop` statement runs; if its query was dropped, a background
    /// `KILL QUERY` reports here when done, and the next command waits for that first.
    pub(crate) kill_wait: Option<tokio::sync::oneshot::Receiver<()>>,
    /// Reused buffer for the SQL of a timed prepared statement (see `timeout.rs`).
    pub(crate) timed_sql: String,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("thread_id", &self.thread_id)
            .field("server_version", &self.server_version)
            .field("user", &self.opts.user)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects with options or a `mysql://` URL.
    pub async fn connect(opts: impl crate::opts::IntoConnectOptions) -> Result<Connection> {
        connect(opts).await
    }

    /// The server's connection id (what `KILL` takes).
    pub fn thread_id(&self) -> u32 {
        self.thread_id
    }

    /// The server version string, e.g. `10.11.6-MariaDB-0+deb12u1`.
    pub fn server_version(&self) -> &str {
        &self.server_version
    }

    /// True when the server is MariaDB.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }

    /// Last insert id reported by the last statement (0 when none).
    pub fn insert_id(&self) -> u64 {
        self.insert_id
    }

    /// Rows affected by the last statement.
    pub fn affected_rows(&self) -> u64 {
        self.affected_rows
    }

    /// Warnings raised by the last statement.
    pub fn warning_count(&self) -> u16 {
        self.warnings
    }

    /// Autocommit as the server last reported it in its status flags.
    pub fn get_autocommit(&self) -> bool {
        self.status & status::AUTOCOMMIT != 0
    }

    /// True while the server reports an open transaction.
    pub fn in_transaction(&self) -> bool {
        self.status & status::IN_TRANS != 0
    }

    /// True when the session has NO_BACKSLASH_ESCAPES in its sql_mode.
    pub fn no_backslash_escapes(&self) -> bool {
        self.status & status::NO_BACKSLASH_ESCAPES != 0
    }

    /// The session's client charset name: the one connected with (utf8mb4 unless
    /// configured), or the one a `SET NAMES` sent since then named (`"unknown"` when the
    /// statement did not name one the client can read, e.g. `SET NAMES DEFAULT`).
    pub fn charset(&self) -> &str {
        match &self.charset_change {
            None => self.charset.name,
            Some(CharsetChange::To(name)) => name,
            Some(CharsetChange::Unknown) => "unknown",
        }
    }

    /// How `%s` values are written for this connection right now: quote doubling when the
    /// session has NO_BACKSLASH_ESCAPES (read from the latest status flags, so a `SET
    /// sql_mode` mid-session is honoured), and a refusal on multibyte charsets where
    /// client-side escaping is unsafe — including a charset the session switched to with
    /// `SET NAMES` / `SET CHARACTER SET` / `SET character_set_client` sent as SQL, and
    /// one it switched to without naming it.
    pub fn format_context(&self) -> FormatContext {
        match &self.charset_change {
            None => FormatContext::new(self.no_backslash_escapes(), self.charset.name),
            Some(CharsetChange::To(name)) => FormatContext::new(self.no_backslash_escapes(), name),
            Some(CharsetChange::Unknown) => FormatContext::refusing(
                self.no_backslash_escapes(),
                "client-side escaping is refused: a statement sent on this connection changed the session's \
                 character set to one the client cannot tell (e.g. SET NAMES DEFAULT or a variable); \
                 reset() the connection, or name the charset in SET NAMES",
            ),
        }
    }

    /// Records a charset change noticed in outgoing SQL (see `session_charset`).
    pub(crate) fn set_charset_change(&mut self, change: CharsetChange) {
        // Back to the charset connected with: no override.
        let back = matches!(&change, CharsetChange::To(n) if n == self.charset.name);
        self.charset_change = if back { None } else { Some(change) };
    }

    /// Forgets charset changes: after COM_RESET_CONNECTION / COM_CHANGE_USER the session
    /// has the handshake's charset again.
    pub(crate) fn forget_charset_change(&mut self) {
        self.charset_change = None;
    }

    /// The largest command the client may send now: the configured limit, else the
    /// server's once known, else 16 MiB (see `learn_packet_limit`).
    pub(crate) fn packet_limit(&self) -> usize {
        self.opts.max_allowed_packet.or(self.server_max_packet).unwrap_or(PROVISIONAL_MAX_PACKET)
    }

    /// True when a command of `len` bytes is over the limit only because the server's own
    /// limit has not been asked for yet.
    pub(crate) fn limit_unknown_for(&self, len: usize) -> bool {
        len > PROVISIONAL_MAX_PACKET && self.opts.max_allowed_packet.is_none() && self.server_max_packet.is_none()
    }

    /// Asks the server for `@@max_allowed_packet` (once per connection, and only when a
    /// command larger than 16 MiB is about to go out). Whatever is already queued in the
    /// send buffer goes out with it.
    pub(crate) async fn learn_packet_limit(&mut self) -> Result<()> {
        self.write_command(command::QUERY, b"SELECT @@max_allowed_packet", Expect::Query).await?;
        let mut value = None;
        if let ResultHead::Rows(columns) = self.read_result_head().await? {
            let mut cells = Vec::new();
            while let Some(p) = self.next_row_packet().await? {
                crate::protocol::text_row::parse_text_row(&p, columns.len(), &mut cells).map_err(|e| self.fail(e))?;
                value = cells.first().and_then(|c| c.slice(&p)).and_then(|b| std::str::from_utf8(b).ok()?.parse().ok());
            }
        }
        self.drain_strict().await?;
        let max = value.ok_or_else(|| Error::protocol("SELECT @@max_allowed_packet returned no number"))?;
        self.server_max_packet = Some(max);
        Ok(())
    }

    /// The SQL literal `%s` would produce for `value` on this connection.
    pub fn escape<T: ToSql + ?Sized>(&self, value: &T) -> Result<String> {
        crate::value::escape_value(value, &self.format_context())
    }

    /// The options this connection was opened with.
    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }

    /// True when an earlier failure (I/O error, timeout, interrupted transfer) made the
    /// connection unusable.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// True when the connection can run a command right away: not broken, nothing unread,
    /// no queued cleanup.
    pub fn is_clean(&self) -> bool {
        self.broken.is_none()
            && self.is_idle()
            && self.pending_cleanup.is_empty()
            && self.kill_wait.is_none()
            && self.io.unflushed() == 0
            && self.io.buffered() == 0
    }

    /// Marks the connection broken when `e` means its stream can no longer be trusted.
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        if e.is_connection_error() && self.broken.is_none() {
            self.broken = Some(e.to_string());
        }
        e
    }

    /// Makes the connection ready for a new command: finishes an interrupted write, reads
    /// whatever earlier commands left unread, and runs a queued rollback.
    pub(crate) async fn prepare_command(&mut self) -> Result<()> {
        if let Some(reason) = &self.broken {
            return Err(Error::Broken(reason.clone()));
        }
        if self.io.unflushed() > 0 {
            let r = self.io.flush().await;
            r.map_err(|e| self.fail(e))?;
        }
        if let Some(killing) = self.kill_wait.take() {
            // A dropped query's KILL QUERY is on its way: let it land before anything else
            // is sent, or it could stop the next statement. Then the drain is quick.
            let _ = tokio::time::timeout(timeout::KILL_BOUND, killing).await;
        }
        if !self.is_idle() {
            self.drain().await?;
        }
        if let Some(id) = self.unclaimed_statement.take() {
            self.stmt_cache.forget_columns(id);
            self.stale_statements.push(id);
        }
        for id in self.stale_statements.drain(..) {
            // Goes out together with the command the caller is about to queue.
            com_stmt_close(self.io.write_buf(), id);
        }
        while !self.pending_cleanup.is_empty() {
            // Queued by a dropped transaction guard. Until it has run, the connection must
            // not be used: a failure here breaks it rather than leaving a transaction open.
            let sql = self.pending_cleanup.remove(0);
            self.broken = Some(format!("queued `{sql}` did not complete"));
            self.write_command(command::QUERY, sql.as_bytes(), Expect::Query).await?;
            self.drain_strict().await?;
            self.broken = None;
        }
        Ok(())
    }

    /// Queues SQL to run before the next command. For `Drop` impls, which cannot await.
    pub(crate) fn queue_cleanup(&mut self, sql: impl Into<String>) {
        self.pending_cleanup.push(sql.into());
    }

    /// Runs queued cleanup now (the pool calls this when a connection comes back).
    pub async fn run_pending_cleanup(&mut self) -> Result<()> {
        self.prepare_command().await?;
        if self.io.unflushed() > 0 {
            // Statement closes queued for a command that is not coming.
            let r = self.io.flush().await;
            r.map_err(|e| self.fail(e))?;
        }
        Ok(())
    }

    /// Like `drain`, but server errors are returned.
    async fn drain_strict(&mut self) -> Result<()> {
        while !self.is_idle() {
            self.step(false).await?;
        }
        Ok(())
    }

    /// Queues and sends one command packet whose payload is `arg`, without preparing.
    async fn write_command(&mut self, cmd: u8, arg: &[u8], expect: Expect) -> Result<()> {
        let buf = self.io.write_buf();
        let start = begin_command(buf, cmd);
        buf.extend_from_slice(arg);
        self.io.seq = finish_command(buf, start);
        self.state = ResultState::Awaiting(expect);
        self.executing = None;
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))
    }

    /// Sends a simple command after preparing the connection.
    pub(crate) async fn send_command(&mut self, cmd: u8, arg: &[u8], expect: Expect) -> Result<()> {
        self.prepare_command().await?;
        self.write_command(cmd, arg, expect).await
    }

    /// Sends COM_QUERY whose text `write_sql` appends straight into the send buffer (so a
    /// `%s`-formatted query is built in place, once). If `write_sql` fails, nothing is sent.
    pub(crate) async fn send_query_with(&mut self, write_sql: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<()> {
        self.send_query_scanned(0, write_sql).await
    }

    /// `send_query_with`, where the first `prefix` bytes `write_sql` writes are the
    /// client's own (a statement-timeout prefix) and not scanned for charset changes.
    pub(crate) async fn send_query_scanned(
        &mut self,
        prefix: usize,
        write_sql: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.prepare_command().await?;
        let max = self.packet_limit();
        let learnable = self.limit_unknown_for(usize::MAX);
        let buf = self.io.write_buf();
        let mut start = begin_command(buf, command::QUERY);
        let body_offset = buf.len() - start;
        if let Err(e) = write_sql(buf) {
            buf.truncate(start);
            return Err(e);
        }
        let len = buf.len() - start - body_offset;
        if len + 1 > max {
            if !learnable {
                buf.truncate(start);
                return Err(too_large("query", len, max));
            }
            // Rare (a query over 16 MiB, once per connection): set the command aside, ask
            // the server for its limit, and put the command back.
            let command = buf.split_off(start);
            self.learn_packet_limit().await?;
            let max = self.packet_limit();
            if len + 1 > max {
                return Err(too_large("query", len, max));
            }
            let buf = self.io.write_buf();
            start = buf.len();
            buf.extend_from_slice(&command);
        }
        let body = start + body_offset;
        let multi = self.caps & crate::protocol::constants::capability::MULTI_STATEMENTS != 0;
        let backslash = !self.no_backslash_escapes();
        let buf = self.io.write_buf();
        let change = session_charset::noticed_change(buf.get(body + prefix..).unwrap_or_default(), multi, backslash);
        if self.opts.echo {
            tracing::info!(target: "amysql::query", sql = %String::from_utf8_lossy(&buf[body..]));
        }
        if let Some(change) = change {
            // Conservative: assumed even if the statement then fails.
            self.set_charset_change(change);
        }
        let buf = self.io.write_buf();
        self.io.seq = finish_command(buf, start);
        self.state = ResultState::Awaiting(Expect::Query);
        self.executing = None;
        let r = self.io.flush().await;
        r.map_err(|e| self.fail(e))
    }

    /// Sends a query whose text is ready.
    pub(crate) async fn send_query(&mut self, sql: &str) -> Result<()> {
        self.send_query_with(|buf| {
            buf.extend_from_slice(sql.as_bytes());
            Ok(())
        })
        .await
    }
}
