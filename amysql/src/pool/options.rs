//! `PoolOptions`: aiomysql's `create_pool` keywords plus the limits a long-running
//! service needs (acquire timeout, lifetime, idle reaping, liveness checks).

use std::time::Duration;

use crate::error::{Error, Result};

/// How a [`Pool`](super::Pool) sizes, checks and recycles its connections.
///
/// Setters take `self` and return it, so options read as one chain:
/// `PoolOptions::new().minsize(2).maxsize(20).acquire_timeout(Duration::from_secs(5))`.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub(crate) minsize: usize,
    pub(crate) maxsize: usize,
    pub(crate) pool_recycle: Option<Duration>,
    pub(crate) acquire_timeout: Duration,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) ping_after: Duration,
    pub(crate) reset_on_release: bool,
    pub(crate) recycle_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            minsize: 1,
            maxsize: 10,
            pool_recycle: None,
            acquire_timeout: Duration::from_secs(30),
            max_lifetime: None,
            idle_timeout: None,
            // Idle sockets that the server or a NAT closed are noticed without a round trip
            // (see `probe_idle`); the ping only catches silently dropped peers, which take
            // minutes to happen, so a connection used within the last minute is trusted.
            ping_after: Duration::from_secs(60),
            reset_on_release: false,
            recycle_timeout: Duration::from_secs(10),
        }
    }
}

impl PoolOptions {
    /// aiomysql's defaults: `minsize` 1, `maxsize` 10, no recycling; plus a 30 s acquire
    /// timeout and a ping for connections idle 60 s or more.
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections opened by `create_pool` and kept open (default 1; 0 opens none).
    pub fn minsize(mut self, n: usize) -> Self {
        self.minsize = n;
        self
    }

    /// Upper bound on open connections, free and used (default 10; 0 means unlimited).
    pub fn maxsize(mut self, n: usize) -> Self {
        self.maxsize = n;
        self
    }

    /// aiomysql's `pool_recycle`: a free connection unused for longer than this is closed
    /// instead of handed out (checked on acquire). Unset by default.
    pub fn pool_recycle(mut self, after: Duration) -> Self {
        self.pool_recycle = Some(after);
        self
    }

    /// How long `acquire()` may wait for a free slot and open a connection, in total, before
    /// failing with [`Error::PoolTimedOut`] (default 30 s).
    pub fn acquire_timeout(mut self, t: Duration) -> Self {
        self.acquire_timeout = t;
        self
    }

    /// A connection older than this is closed when it comes back or sits idle, whatever
    /// its use (unset by default). Bounds server-side memory growth of long sessions.
    pub fn max_lifetime(mut self, t: Duration) -> Self {
        self.max_lifetime = Some(t);
        self
    }

    /// Free connections idle longer than this are closed by a background task, down to
    /// `minsize` (unset by default). Unlike `pool_recycle`, it frees server resources
    /// without waiting for the next acquire.
    pub fn idle_timeout(mut self, t: Duration) -> Self {
        self.idle_timeout = Some(t);
        self
    }

    /// A free connection idle at least this long is pinged before it is handed out
    /// (default 60 s; `Duration::ZERO` pings on every acquire, `Duration::MAX` never).
    pub fn ping_after(mut self, t: Duration) -> Self {
        self.ping_after = t;
        self
    }

    /// Run COM_RESET_CONNECTION on every returned connection (default false), so no
    /// session state (variables, temporary tables, `SET` options) leaks between users.
    /// The reset runs in a background task before the connection is free again.
    pub fn reset_on_release(mut self, on: bool) -> Self {
        self.reset_on_release = on;
        self
    }

    /// Upper bound on the background clean-up of a returned connection (default 10 s):
    /// reading the rest of an abandoned result, the rollback of an open transaction, the
    /// reset of [`reset_on_release`](Self::reset_on_release). Until it finishes the
    /// connection keeps its slot, so a `maxsize(1)` pool has no connection to lend.
    ///
    /// When it expires (a stalled server, a huge result left unread), the connection is
    /// closed instead: its slot is free at once and the next `acquire()` opens a new
    /// connection. Closing loses nothing that clean-up would have kept: the server rolls
    /// back an open transaction when the session ends. A shorter limit frees slots sooner
    /// on a stuck server; a longer one saves reconnects when returned connections often
    /// have long results left to drain or long rollbacks to run.
    pub fn recycle_timeout(mut self, t: Duration) -> Self {
        self.recycle_timeout = t;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.maxsize != 0 && self.minsize > self.maxsize {
            return Err(Error::Interface(format!(
                "pool minsize ({}) must not exceed maxsize ({})",
                self.minsize, self.maxsize
            )));
        }
        Ok(())
    }
}
