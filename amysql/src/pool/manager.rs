//! What the generic pool needs to know about its connections.
//!
//! The pool core (`inner.rs`) only counts, queues and guards; every operation that touches
//! a connection goes through [`Manager`]. The MySQL implementation is the one users get;
//! unit tests plug in fakes whose connects and checks are slow, failing or cancelled.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use crate::conn::Connection;
use crate::error::Result;
use crate::opts::ConnectOptions;

/// What to do with a connection that comes back to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returned {
    /// Clean: free for the next acquirer at once.
    Ready,
    /// Needs work (rollback, drain, reset) before reuse; done in a background task.
    Recycle,
    /// Unusable: close it.
    Discard,
}

pub(crate) trait Manager: Send + Sync + 'static {
    type Conn: Send + 'static;

    /// Opens a new connection.
    fn connect(&self) -> impl Future<Output = Result<Self::Conn>> + Send;

    /// A check without I/O waits: false when a free connection is known to be dead.
    fn quick_check(&self, conn: &mut Self::Conn) -> bool;

    /// A round trip proving a connection that idled a while still works.
    fn check<'a>(&'a self, conn: &'a mut Self::Conn) -> impl Future<Output = Result<()>> + Send + 'a;

    /// Classifies a returned connection; must not block (it runs inside `Drop`).
    fn on_return(&self, conn: &Self::Conn) -> Returned;

    /// Makes a `Returned::Recycle` connection clean again.
    fn recycle<'a>(&'a self, conn: &'a mut Self::Conn) -> impl Future<Output = Result<()>> + Send + 'a;

    /// Closes a connection politely.
    fn close(&self, conn: Self::Conn) -> impl Future<Output = ()> + Send;

    /// An id by which `kill` can interrupt a checked-out connection, if supported.
    fn kill_id(&self, conn: &Self::Conn) -> Option<u64>;

    /// Forcibly ends the given connections (used by `terminate`). Best effort.
    fn kill(&self, ids: Vec<u64>) -> impl Future<Output = ()> + Send;
}

/// The MySQL/MariaDB manager behind the public `Pool`.
pub(crate) struct MySqlManager {
    pub(crate) opts: Arc<ConnectOptions>,
    pub(crate) reset_on_release: bool,
    /// The session autocommit every connection must have when lent: the configured one,
    /// else what the server gave the first connection.
    autocommit: OnceLock<bool>,
}

impl MySqlManager {
    pub(crate) fn new(opts: Arc<ConnectOptions>, reset_on_release: bool) -> Self {
        let autocommit = OnceLock::new();
        if let Some(on) = opts.autocommit {
            let _ = autocommit.set(on);
        }
        MySqlManager { opts, reset_on_release, autocommit }
    }
}

impl Manager for MySqlManager {
    type Conn = Connection;

    async fn connect(&self) -> Result<Connection> {
        let conn = crate::conn::connect(&*self.opts).await?;
        let _ = self.autocommit.set(conn.get_autocommit());
        Ok(conn)
    }

    fn quick_check(&self, conn: &mut Connection) -> bool {
        // probe_idle notices a socket the server closed (wait_timeout, restart, KILL)
        // without a round trip: a closed or unexpectedly readable socket fails it.
        !conn.is_broken() && conn.is_clean() && conn.io.probe_idle()
    }

    fn check<'a>(&'a self, conn: &'a mut Connection) -> impl Future<Output = Result<()>> + Send + 'a {
        conn.ping()
    }

    fn on_return(&self, conn: &Connection) -> Returned {
        if conn.is_broken() {
            return Returned::Discard;
        }
        // A user may have switched autocommit off; the next user must get the configured
        // mode, or their writes would silently never commit.
        let autocommit_changed = self.autocommit.get().is_some_and(|&on| on != conn.get_autocommit());
        if !conn.is_clean() || conn.in_transaction() || self.reset_on_release || autocommit_changed {
            Returned::Recycle
        } else {
            Returned::Ready
        }
    }

    async fn recycle(&self, conn: &mut Connection) -> Result<()> {
        // Reads unread results and runs queued rollbacks of dropped transaction guards.
        conn.run_pending_cleanup().await?;
        if conn.in_transaction() {
            conn.query_drop("ROLLBACK").await?;
        }
        if self.reset_on_release {
            conn.reset().await?;
        } else if let Some(&on) = self.autocommit.get() {
            if on != conn.get_autocommit() {
                conn.autocommit(on).await?;
            }
        }
        if conn.is_clean() && !conn.in_transaction() {
            Ok(())
        } else {
            // E.g. a prepared XA branch: ROLLBACK cannot end it, closing the session does.
            Err(crate::Error::Interface("connection still in a transaction after rollback".into()))
        }
    }

    async fn close(&self, conn: Connection) {
        let _ = conn.close().await;
    }

    fn kill_id(&self, conn: &Connection) -> Option<u64> {
        Some(u64::from(conn.thread_id()))
    }

    async fn kill(&self, ids: Vec<u64>) {
        let mut admin = match crate::conn::connect(&*self.opts).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "pool terminate: cannot connect to kill checked-out connections");
                return;
            }
        };
        for id in ids {
            // 1094 (unknown thread) just means it ended on its own meanwhile.
            if let Err(e) = admin.query_drop(&format!("KILL CONNECTION {id}")).await {
                tracing::debug!(error = %e, id, "pool terminate: KILL failed");
            }
        }
        let _ = admin.close().await;
    }
}
