//! The pool core, generic over a [`Manager`]: a fair semaphore bounds the connections
//! out of the pool, a mutex-protected queue holds the free ones, and guards keep `size`
//! (free + out + being opened or recycled) exact under cancellation.
//!
//! Invariant: `size <= maxsize`. A permit is held by every acquirer and for every
//! connection out of the pool or being recycled; a new connection is only opened by a
//! permit holder that found the free queue empty; a returning connection joins the
//! queue *before* its permit is released. Connections being closed no longer count in
//! `size` (they are counted in `closing`, which `wait_closed` also waits for).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::guard::{Closing, Pooled, Slot};
use super::manager::{Manager, Returned};
use super::options::PoolOptions;
use crate::error::{Error, Result};

/// Upper bound on a background rollback/drain/reset of a returned connection; a
/// connection that takes longer is closed (the server rolls back on disconnect).
const RECYCLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound on a polite COM_QUIT before the socket is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection with the times the pool's policies need.
pub(crate) struct Live<C> {
    pub(crate) conn: C,
    pub(crate) id: u64,
    created: Instant,
    idle_since: Instant,
}

struct State<C> {
    /// Free connections, most recently returned at the back (handed out first, so the
    /// rarely used ones at the front age out through `idle_timeout`).
    idle: VecDeque<Live<C>>,
    size: usize,
    closing: usize,
    closed: bool,
    /// Checked-out connections' kill ids, for `terminate`.
    out: HashMap<u64, u64>,
}

pub(crate) struct Shared<M: Manager> {
    pub(crate) manager: M,
    pub(crate) opts: PoolOptions,
    semaphore: Arc<Semaphore>,
    state: Mutex<State<M::Conn>>,
    /// Signalled whenever `size` or `closing` drops, for `wait_closed`.
    changed: Notify,
    next_id: AtomicU64,
}

impl<M: Manager> Shared<M> {
    pub(crate) fn new(manager: M, opts: PoolOptions) -> Arc<Self> {
        let permits = if opts.maxsize == 0 { Semaphore::MAX_PERMITS } else { opts.maxsize };
        Arc::new(Shared {
            manager,
            opts,
            semaphore: Arc::new(Semaphore::new(permits)),
            state: Mutex::new(State { idle: VecDeque::new(), size: 0, closing: 0, closed: false, out: HashMap::new() }),
            changed: Notify::new(),
            next_id: AtomicU64::new(1),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<M::Conn>> {
        // The state is consistent after every critical section (no user code runs under
        // the lock), so a panic elsewhere that poisoned it does not invalidate it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn size(&self) -> usize {
        self.lock().size
    }
    pub(crate) fn freesize(&self) -> usize {
        self.lock().idle.len()
    }
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    fn live(&self, conn: M::Conn) -> Live<M::Conn> {
        let now = Instant::now();
        Live { conn, id: self.next_id.fetch_add(1, Ordering::Relaxed), created: now, idle_since: now }
    }

    pub(crate) fn release_slot(&self) {
        self.lock().size -= 1;
        self.changed.notify_waiters();
    }

    pub(crate) fn closing_done(&self) {
        self.lock().closing -= 1;
        self.changed.notify_waiters();
    }

    pub(crate) fn forget_checked_out(&self, id: u64) {
        self.lock().out.remove(&id);
    }

    /// Opens `minsize` connections (create_pool's first step); the first failure is
    /// returned, like aiomysql's.
    pub(crate) async fn fill_initial(self: &Arc<Self>) -> Result<()> {
        let opens = (0..self.opts.minsize).map(|_| async {
            let slot = self.reserve();
            let conn = self.manager.connect().await?;
            self.push_idle(self.live(conn), slot);
            Ok::<_, Error>(())
        });
        futures_util::future::try_join_all(opens).await.map(|_| ())
    }

    fn reserve(self: &Arc<Self>) -> Slot<M> {
        self.lock().size += 1;
        Slot::adopt(self)
    }

    /// Acquires a connection within `acquire_timeout`. Cancel-safe: every intermediate
    /// state is owned by a guard (permit, `Slot`, `Pooled`).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Pooled<M>> {
        match tokio::time::timeout(self.opts.acquire_timeout, self.acquire_inner()).await {
            Ok(r) => r,
            Err(_) => Err(Error::PoolTimedOut),
        }
    }

    async fn acquire_inner(self: &Arc<Self>) -> Result<Pooled<M>> {
        if self.is_closed() {
            return Err(Error::PoolClosed);
        }
        // Tokio's semaphore is fair: waiters are served in FIFO order.
        let permit = self.semaphore.clone().acquire_owned().await.map_err(|_| Error::PoolClosed)?;
        loop {
            let taken = {
                let mut st = self.lock();
                if st.closed {
                    return Err(Error::PoolClosed);
                }
                let taken = st.idle.pop_back();
                if taken.is_none() {
                    st.size += 1;
                }
                taken
            };
            let Some(live) = taken else {
                // A failed or cancelled connect drops the slot, which frees the unit.
                let slot = Slot::adopt(self);
                let conn = self.manager.connect().await?;
                let pooled = self.check_out(self.live(conn), slot, permit);
                if self.is_closed() {
                    return Err(Error::PoolClosed);
                }
                self.spawn_fill();
                return Ok(pooled);
            };
            let mut pooled = self.check_out(live, Slot::adopt(self), permit);
            if self.validate(&mut pooled).await {
                self.spawn_fill();
                return Ok(pooled);
            }
            // The connection was bad: its Pooled discards it; reuse the permit.
            let permit = pooled.permit.take().expect("permit present until dropped");
            drop(pooled);
            return Box::pin(self.retry_with(permit)).await;
        }
    }

    /// Continues an acquire that already holds a permit (after a failed validation).
    async fn retry_with(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Result<Pooled<M>> {
        let mut permit = Some(permit);
        loop {
            let taken = {
                let mut st = self.lock();
                if st.closed {
                    return Err(Error::PoolClosed);
                }
                let taken = st.idle.pop_back();
                if taken.is_none() {
                    st.size += 1;
                }
                taken
            };
            let permit_now = permit.take().expect("permit kept across retries");
            let Some(live) = taken else {
                let slot = Slot::adopt(self);
                let conn = self.manager.connect().await?;
                let pooled = self.check_out(self.live(conn), slot, permit_now);
                if self.is_closed() {
                    return Err(Error::PoolClosed);
                }
                self.spawn_fill();
                return Ok(pooled);
            };
            let mut pooled = self.check_out(live, Slot::adopt(self), permit_now);
            if self.validate(&mut pooled).await {
                self.spawn_fill();
                return Ok(pooled);
            }
            permit = pooled.permit.take();
        }
    }
}
