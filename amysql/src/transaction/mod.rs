//! Transaction guards: the `async with conn.begin()` of aiomysql, as a value whose `Drop`
//! rolls back.
//!
//! `Drop` cannot await, so it queues the rollback on the connection
//! ([`Connection::queue_cleanup`]); the connection runs it before its next command, and a
//! pool runs it (in a background task) before lending the connection again. So a `?`
//! early return, a panic or a cancelled future never leaves a transaction open for the
//! next user, and never blocks.
//!
//! Savepoints nest to any depth: `begin_nested()` issues `SAVEPOINT amysql_sp_<depth>`,
//! its `commit()` releases it and its `rollback()` or drop rolls back to it.

mod closure;
mod xa;

use crate::trace;
use std::ops::{Deref, DerefMut};

use crate::conn::Connection;
use crate::error::{Error, Result};
use crate::pool::{Pool, PooledConnection};
use crate::protocol::constants::capability;

pub use closure::RetryableError;
pub use futures_util::future::BoxFuture;
pub use xa::TwoPhaseTransaction;

/// Savepoint names are `amysql_sp_<depth>`: one per nesting level, reused by siblings
/// (a `SAVEPOINT` with an existing name moves it).
const SAVEPOINT_PREFIX: &str = "amysql_sp_";

/// Transaction isolation levels (`SET TRANSACTION ISOLATION LEVEL ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl IsolationLevel {
    /// The SQL spelling, e.g. `REPEATABLE READ`.
    pub fn as_sql(self) -> &'static str {
        match self {
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
            IsolationLevel::Serializable => "SERIALIZABLE",
        }
    }
}

/// How to start a transaction (and, for the closure API, how often to retry it).
#[derive(Debug, Clone, Default)]
pub struct TxOptions {
    isolation: Option<IsolationLevel>,
    read_only: Option<bool>,
    consistent_snapshot: bool,
    pub(crate) retry_on_deadlock: u32,
}

impl TxOptions {
    /// The server's defaults: `START TRANSACTION` with nothing added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Isolation level of this transaction only.
    pub fn isolation(mut self, level: IsolationLevel) -> Self {
        self.isolation = Some(level);
        self
    }

    /// `READ ONLY` (true) or `READ WRITE` (false); unset leaves the session default.
    pub fn read_only(mut self, on: bool) -> Self {
        self.read_only = Some(on);
        self
    }

    /// `WITH CONSISTENT SNAPSHOT`: take the InnoDB read view at start, not at first read.
    pub fn consistent_snapshot(mut self, on: bool) -> Self {
        self.consistent_snapshot = on;
        self
    }

    /// For `transaction_with`: retry the whole closure up to `n` more times when it fails
    /// with a deadlock (1213) or lock wait timeout (1205). See [`RetryableError`].
    pub fn retry_on_deadlock(mut self, n: u32) -> Self {
        self.retry_on_deadlock = n;
        self
    }

    /// The statements that start the transaction.
    fn start_statements(&self) -> Vec<String> {
        let mut stmts = Vec::with_capacity(2);
        if let Some(level) = self.isolation {
            // Without SESSION/GLOBAL this applies to the next transaction only.
            stmts.push(format!("SET TRANSACTION ISOLATION LEVEL {}", level.as_sql()));
        }
        let mut traits = Vec::new();
        if self.consistent_snapshot {
            traits.push("WITH CONSISTENT SNAPSHOT");
        }
        match self.read_only {
            Some(true) => traits.push("READ ONLY"),
            Some(false) => traits.push("READ WRITE"),
            None => {}
        }
        stmts.push(if traits.is_empty() {
            "START TRANSACTION".to_string()
        } else {
            format!("START TRANSACTION {}", traits.join(", "))
        });
        stmts
    }
}

/// The connection a transaction runs on: borrowed, or owned when it came from a pool.
enum TxConn<'c> {
    Borrowed(&'c mut Connection),
    Owned(PooledConnection),
}

/// An open transaction (or, when nested, a savepoint). Derefs to the [`Connection`].
///
/// End it with [`commit`](Transaction::commit) or [`rollback`](Transaction::rollback);
/// dropped while still active, it is rolled back before the connection's next command.
pub struct Transaction<'c> {
    conn: TxConn<'c>,
    /// 0 for the transaction itself; n for the savepoint `amysql_sp_<n>`.
    depth: u32,
    active: bool,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").field("depth", &self.depth).field("active", &self.active).finish()
    }
}

impl<'c> Transaction<'c> {
    async fn start(conn: TxConn<'c>, opts: &TxOptions) -> Result<Transaction<'c>> {
        // The guard exists before anything is sent: if this future is dropped part-way,
        // its Drop queues the rollback.
        let mut tx = Transaction { conn, depth: 0, active: true };
        let stmts = opts.start_statements();
        let c = tx.conn_mut();
        let span = trace::command_span(c, trace::Command::Begin, None);
        let r = trace::in_span(span, Self::send_start(c, &stmts)).await;
        match r {
            Ok(()) => Ok(tx),
            Err(e) => {
                tx.active = false;
                Err(e)
            }
        }
    }

    /// The statements that open the transaction, in one round trip when possible.
    async fn send_start(c: &mut Connection, stmts: &[String]) -> Result<()> {
        // One round trip when the session allows multi-statements; also keeps SET
        // TRANSACTION and START TRANSACTION together if the future is dropped.
        let r = if c.caps & capability::MULTI_STATEMENTS != 0 {
            c.query_drop(&stmts.join("; ")).await.map(drop)
        } else {
            let mut r = Ok(());
            for s in stmts {
                r = c.query_drop(s).await.map(drop);
                if r.is_err() {
                    break;
                }
            }
            r
        };
        r
    }

    fn conn_mut(&mut self) -> &mut Connection {
        match &mut self.conn {
            TxConn::Borrowed(c) => c,
            TxConn::Owned(c) => c,
        }
    }

    /// True until `commit` or `rollback` succeeded.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// 0 for a transaction, 1.. for nested savepoints.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Opens a savepoint inside this transaction; the returned guard is itself nestable.
    pub async fn begin_nested(&mut self) -> Result<Transaction<'_>> {
        let depth = self.depth + 1;
        let mut sp = Transaction { conn: TxConn::Borrowed(self.conn_mut()), depth, active: true };
        match sp.conn_mut().query_drop(&format!("SAVEPOINT {SAVEPOINT_PREFIX}{depth}")).await {
            Ok(_) => Ok(sp),
            Err(e) => {
                sp.active = false;
                Err(e)
            }
        }
    }

    /// Same as [`begin_nested`](Transaction::begin_nested): shadows `Connection::begin`,
    /// whose `START TRANSACTION` would silently commit this transaction.
    pub async fn begin(&mut self) -> Result<Transaction<'_>> {
        self.begin_nested().await
    }

    /// Refused: a transaction's options cannot change once it started. Shadows
    /// `Connection::begin_with`, which would silently commit this transaction.
    pub async fn begin_with(&mut self, _opts: TxOptions) -> Result<Transaction<'_>> {
        Err(Error::Interface("a transaction is already open; use begin_nested() for a savepoint".into()))
    }

    /// COMMIT, or RELEASE SAVEPOINT for a nested guard. On error the guard is dropped
    /// still active, so the transaction is rolled back.
    pub async fn commit(mut self) -> Result<()> {
        let sql = match self.depth {
            0 => "COMMIT".to_string(),
            d => format!("RELEASE SAVEPOINT {SAVEPOINT_PREFIX}{d}"),
        };
        let c = self.conn_mut();
        let span = trace::command_span(c, trace::Command::Commit, Some(&sql));
        trace::in_span(span, c.query_drop(&sql)).await?;
        self.active = false;
        Ok(())
    }

    /// ROLLBACK, or ROLLBACK TO SAVEPOINT for a nested guard.
    pub async fn rollback(mut self) -> Result<()> {
        let sql = match self.depth {
            0 => {
                self.drop_queued_savepoint_rollbacks();
                "ROLLBACK".to_string()
            }
            d => format!("ROLLBACK TO SAVEPOINT {SAVEPOINT_PREFIX}{d}"),
        };
        let c = self.conn_mut();
        let span = trace::command_span(c, trace::Command::Rollback, Some(&sql));
        trace::in_span(span, c.query_drop(&sql)).await?;
        self.active = false;
        Ok(())
    }

    /// A whole-transaction rollback makes the savepoint rollbacks queued by dropped
    /// nested guards pointless, and they can fail (a deadlock already rolled everything
    /// back, savepoints included), which would needlessly break the connection.
    fn drop_queued_savepoint_rollbacks(&mut self) {
        let prefix = format!("ROLLBACK TO SAVEPOINT {SAVEPOINT_PREFIX}");
        self.conn_mut().pending_cleanup.retain(|sql| !sql.starts_with(&prefix));
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        match self.depth {
            0 => {
                self.drop_queued_savepoint_rollbacks();
                self.conn_mut().queue_cleanup("ROLLBACK");
            }
            d => self.conn_mut().queue_cleanup(format!("ROLLBACK TO SAVEPOINT {SAVEPOINT_PREFIX}{d}")),
        }
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match &self.conn {
            TxConn::Borrowed(c) => c,
            TxConn::Owned(c) => c,
        }
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn_mut()
    }
}

impl Connection {
    /// Starts a transaction (`START TRANSACTION`); see [`Transaction`].
    pub async fn begin(&mut self) -> Result<Transaction<'_>> {
        Transaction::start(TxConn::Borrowed(self), &TxOptions::new()).await
    }

    /// Starts a transaction with an isolation level, access mode or consistent snapshot.
    pub async fn begin_with(&mut self, opts: TxOptions) -> Result<Transaction<'_>> {
        Transaction::start(TxConn::Borrowed(self), &opts).await
    }
}

impl Pool {
    /// Acquires a connection and starts a transaction that owns it; the connection goes
    /// back to the pool (rolled back if still active) when the transaction is dropped.
    pub async fn begin(&self) -> Result<Transaction<'static>> {
        self.begin_with(TxOptions::new()).await
    }

    /// [`Pool::begin`] with options.
    pub async fn begin_with(&self, opts: TxOptions) -> Result<Transaction<'static>> {
        let conn = self.acquire().await?;
        Transaction::start(TxConn::Owned(conn), &opts).await
    }
}

#[cfg(test)]
mod tests {
    use super::{IsolationLevel, TxOptions};

    #[test]
    fn start_statements() {
        assert_eq!(TxOptions::new().start_statements(), ["START TRANSACTION"]);
        let opts = TxOptions::new().isolation(IsolationLevel::ReadCommitted).read_only(true).consistent_snapshot(true);
        assert_eq!(
            opts.start_statements(),
            ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"]
        );
        let rw = TxOptions::new().read_only(false).start_statements();
        assert_eq!(rw, ["START TRANSACTION READ WRITE"]);
    }
}
