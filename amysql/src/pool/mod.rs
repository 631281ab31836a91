//! Connection pool with aiomysql's `create_pool` semantics.
//!
//! ```no_run
//! # async fn demo() -> amysql::Result<()> {
//! use std::time::Duration;
//! let pool = amysql::create_pool("mysql://app:pw@127.0.0.1/app", amysql::PoolOptions::new()
//!     .minsize(1).maxsize(10).acquire_timeout(Duration::from_secs(5))).await?;
//! let mut conn = pool.acquire().await?;   // returned to the pool when dropped
//! conn.query_drop("DO 1").await?;
//! drop(conn);
//! pool.close();
//! pool.wait_closed().await?;
//! # Ok(()) }
//! ```
//!
//! A connection comes back clean or not at all: one returned inside a transaction, with
//! unread results or with a queued rollback is rolled back / drained by a background
//! task before anyone else gets it (a broken one is closed, and so is one whose clean-up
//! takes longer than [`PoolOptions::recycle_timeout`]), and with
//! [`PoolOptions::reset_on_release`] its session is reset too. Free connections are
//! checked before they are handed out: a socket the server closed is noticed without a
//! round trip, and a connection idle longer than [`PoolOptions::ping_after`] is pinged.

mod guard;
mod inner;
mod lifecycle;
mod manager;
mod options;
mod status;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::conn::Connection;
use crate::error::Result;
use crate::opts::IntoConnectOptions;
use guard::Pooled;
use inner::Shared;
use manager::MySqlManager;

pub use options::PoolOptions;
pub use status::PoolStatus;

/// Creates a pool and opens `minsize` connections; the first connect error is returned.
pub async fn create_pool(opts: impl IntoConnectOptions, pool_opts: PoolOptions) -> Result<Pool> {
    pool_opts.validate()?;
    let opts = Arc::new(opts.into_connect_options()?);
    let manager = MySqlManager::new(opts, pool_opts.reset_on_release);
    let shared = Shared::new(manager, pool_opts);
    if let Err(e) = shared.fill_initial().await {
        shared.close();
        return Err(e);
    }
    shared.spawn_reaper();
    Ok(Pool { shared })
}

/// A pool of connections. Cheap to clone: clones share the same connections.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared<MySqlManager>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.size())
            .field("freesize", &self.freesize())
            .field("minsize", &self.minsize())
            .field("maxsize", &self.maxsize())
            .field("closed", &self.closed())
            .finish()
    }
}

impl Pool {
    /// Creates a pool; same as [`create_pool`].
    pub async fn new(opts: impl IntoConnectOptions, pool_opts: PoolOptions) -> Result<Pool> {
        create_pool(opts, pool_opts).await
    }

    /// A free connection, or a new one while `size() < maxsize()`, else waits (first come,
    /// first served) for one to be returned, up to `acquire_timeout`
    /// ([`Error::PoolTimedOut`](crate::Error::PoolTimedOut)). After `close()`:
    /// [`Error::PoolClosed`](crate::Error::PoolClosed). A connect error is returned to
    /// this caller and its slot freed. Dropping the future at any point leaks nothing.
    pub async fn acquire(&self) -> Result<PooledConnection> {
        let span = crate::trace::acquire_span(&self.shared.manager.opts);
        crate::trace::in_span(span, self.shared.acquire()).await.map(|inner| PooledConnection { inner })
    }

    /// Returns a connection to its pool (the same as dropping it).
    pub fn release(&self, conn: PooledConnection) {
        drop(conn);
    }

    /// A snapshot: size, idle, in use, waiters, and totals since the pool started
    /// (acquires, acquire timeouts, connections opened / closed / discarded as broken,
    /// recycles).
    pub fn status(&self) -> PoolStatus {
        self.shared.status()
    }

    /// Open connections: free, in use, and being opened or cleaned up.
    pub fn size(&self) -> usize {
        self.shared.size()
    }

    /// Free connections ready to be handed out.
    pub fn freesize(&self) -> usize {
        self.shared.freesize()
    }

    pub fn minsize(&self) -> usize {
        self.shared.opts.minsize
    }

    /// The configured maximum (0 = unlimited).
    pub fn maxsize(&self) -> usize {
        self.shared.opts.maxsize
    }

    /// True after `close()` or `terminate()`.
    pub fn closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Closes the free connections and waits until they are closed; the next acquires
    /// open new ones (and the pool grows back to `minsize`).
    pub async fn clear(&self) {
        self.shared.clear().await
    }

    /// Closes the pool: acquires fail from now on (also those already waiting), free
    /// connections are closed, and connections in use are closed when they are returned.
    /// Not async; call [`Pool::wait_closed`] to wait for the last one.
    pub fn close(&self) {
        self.shared.close()
    }

    /// Like `close()`, and connections in use are given up, as aiomysql's `terminate`
    /// closes them: each is killed on the server (`KILL CONNECTION`, from a short-lived
    /// extra connection), so a command running on it fails with a connection error; its
    /// handle refuses every later command with [`Error::Broken`](crate::Error::Broken)
    /// ("the pool was terminated"); and [`Pool::wait_closed`] does not wait for it.
    /// Dropping such a handle later just closes its socket.
    pub fn terminate(&self) {
        self.shared.terminate()
    }

    /// Waits until every connection is back and closed (after `terminate()`: except the
    /// connections users still hold, which are dead already). Errors with
    /// [`Error::Interface`](crate::Error::Interface) unless `close()` or `terminate()`
    /// was called first (otherwise it could wait forever).
    pub async fn wait_closed(&self) -> Result<()> {
        self.shared.wait_closed().await
    }
}

/// A connection lent by a [`Pool`]; derefs to [`Connection`] and goes back to the pool
/// when dropped.
pub struct PooledConnection {
    inner: Pooled<MySqlManager>,
}

impl PooledConnection {
    /// Takes the connection out of the pool for good (the pool's size drops by one).
    pub fn detach(self) -> Connection {
        let terminated = self.inner.pool().is_terminated();
        let mut conn = self.inner.detach();
        if terminated && conn.broken.is_none() {
            conn.broken = Some(TERMINATED.into());
        }
        conn
    }

    /// The pool this connection belongs to.
    pub fn pool(&self) -> Pool {
        Pool { shared: self.inner.pool().clone() }
    }
}

impl fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PooledConnection").field(self.inner.conn()).finish()
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.inner.conn()
    }
}

impl DerefMut for PooledConnection {
    /// Every command on a pooled connection comes through here (they all take `&mut`), so
    /// this is where a connection that `terminate()` gave up is marked dead: its next
    /// command fails at once, even if the server-side KILL could not be delivered.
    fn deref_mut(&mut self) -> &mut Connection {
        let terminated = self.inner.pool().is_terminated();
        let conn = self.inner.conn_mut();
        if terminated && conn.broken.is_none() {
            conn.broken = Some(TERMINATED.into());
        }
        conn
    }
}

/// Why a connection held across `Pool::terminate` refuses commands.
const TERMINATED: &str = "the pool was terminated while this connection was checked out";
