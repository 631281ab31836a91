//! The pool's life cycle: `clear`, `close`, `terminate`, `wait_closed`, and the reaper
//! that enforces `idle_timeout` / `max_lifetime` on free connections.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use super::guard::{Closing, Slot};
use super::inner::{Shared, CLOSE_TIMEOUT};
use super::manager::Manager;
use crate::error::{Error, Result};

impl<M: Manager> Shared<M> {
    /// Closes the free connections and waits for them to be closed.
    pub(crate) async fn clear(self: &Arc<Self>) {
        let idle = std::mem::take(&mut self.lock().idle);
        let idle: Vec<_> = idle.into_iter().map(|live| (live, Slot::adopt(self))).collect();
        // If this future is dropped, the remaining entries (and their slots) drop with it.
        for (live, slot) in idle {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.manager.close(live.conn)).await;
            drop(slot);
        }
    }

    /// No new acquires; free connections are closed now, the others when they return.
    pub(crate) fn close(self: &Arc<Self>) {
        let idle = {
            let mut st = self.lock();
            if st.closed {
                return;
            }
            st.closed = true;
            std::mem::take(&mut st.idle)
        };
        // Wakes every queued acquirer with an error.
        self.semaphore.close();
        for live in idle {
            self.discard(live, Slot::adopt(self));
        }
        self.changed.notify_waiters();
    }

    /// `close()`, and the checked-out connections are given up: killed server-side so
    /// that their users fail fast instead of finishing their work, marked so that their
    /// handles refuse further commands (see `PooledConnection`'s `DerefMut`), and no
    /// longer waited for by `wait_closed` (as aiomysql's `terminate` closes them).
    pub(crate) fn terminate(self: &Arc<Self>) {
        self.terminated.store(true, Ordering::Release);
        self.close();
        let ids: Vec<u64> = {
            let mut st = self.lock();
            let mut ids = Vec::new();
            let mut newly = 0;
            for out in st.out.values_mut().filter(|o| !o.abandoned) {
                out.abandoned = true;
                newly += 1;
                ids.extend(out.kill_id);
            }
            st.abandoned += newly;
            if !ids.is_empty() {
                st.closing += 1;
            }
            ids
        };
        // `wait_closed` may be waiting for exactly the connections just given up.
        self.changed.notify_waiters();
        if ids.is_empty() {
            return;
        }
        let closing = Closing(self.clone());
        if let Ok(rt) = Handle::try_current() {
            let pool = self.clone();
            rt.spawn(async move {
                let _closing = closing;
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, pool.manager.kill(ids)).await;
            });
        }
    }

    /// Waits until every connection has come back and been closed, except those that
    /// `terminate` gave up while users held them.
    pub(crate) async fn wait_closed(&self) -> Result<()> {
        loop {
            let mut notified = std::pin::pin!(self.changed.notified());
            // Registered before the check, so a change right after it is not missed.
            notified.as_mut().enable();
            {
                let st = self.lock();
                if !st.closed {
                    return Err(Error::Interface("wait_closed() called before close() or terminate()".into()));
                }
                // Every abandoned handle holds one unit of `size` until its user drops it.
                if st.size == st.abandoned && st.closing == 0 {
                    return Ok(());
                }
            }
            notified.await;
        }
    }

    /// Closes connections idle past `idle_timeout` (down to `minsize`) or older than
    /// `max_lifetime`, every half period, until the pool is closed or dropped.
    pub(crate) fn spawn_reaper(self: &Arc<Self>) {
        let period = match (self.opts.idle_timeout, self.opts.max_lifetime) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return,
        };
        let period = (period / 2).clamp(Duration::from_millis(20), Duration::from_secs(30));
        // Weak: the reaper must not keep a pool nobody uses alive.
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let Some(pool) = weak.upgrade() else { break };
                if pool.is_closed() {
                    break;
                }
                pool.reap();
                pool.spawn_fill();
            }
        });
    }

    fn reap(self: &Arc<Self>) {
        let (min, idle_t, life) = (self.opts.minsize, self.opts.idle_timeout, self.opts.max_lifetime);
        let victims = {
            let mut st = self.lock();
            let mut remaining = st.size;
            let mut victims = Vec::new();
            // Front first: the longest idle go before the recently used.
            for live in std::mem::take(&mut st.idle) {
                let too_old = life.is_some_and(|m| live.created.elapsed() >= m);
                let too_idle = idle_t.is_some_and(|t| live.idle_since.elapsed() >= t) && remaining > min;
                if too_old || too_idle {
                    remaining -= 1;
                    victims.push(live);
                } else {
                    st.idle.push_back(live);
                }
            }
            victims
        };
        for live in victims {
            self.discard(live, Slot::adopt(self));
        }
    }
}
