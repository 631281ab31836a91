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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::guard::{Closing, Pooled, Slot};
use super::manager::{Manager, Returned};
use super::options::PoolOptions;
use super::status::{Counters, PoolStatus, Waiting};
use crate::error::{Error, Result};

/// Upper bound on a polite COM_QUIT before the socket is just dropped.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection with the times the pool's policies need. Boxed once when opened and
/// moved as a box between the free queue and its guard: a `PooledConnection` stays small.
pub(crate) struct Live<C> {
    pub(crate) conn: C,
    pub(crate) id: u64,
    pub(super) created: Instant,
    pub(super) idle_since: Instant,
}

pub(super) struct State<C> {
    /// Free connections, most recently returned at the back (handed out first, so the
    /// rarely used ones at the front age out through `idle_timeout`).
    pub(super) idle: VecDeque<Box<Live<C>>>,
    pub(super) size: usize,
    pub(super) closing: usize,
    pub(super) closed: bool,
    /// Connections lent out (by `Live::id`), for `terminate`.
    pub(super) out: HashMap<u64, CheckedOut>,
    /// How many of `out` were given up by `terminate`: their holders still own a slot
    /// each, but `wait_closed` does not wait for them.
    pub(super) abandoned: usize,
}

/// A lent connection as `terminate` needs to know it.
pub(super) struct CheckedOut {
    /// What `Manager::kill` takes, when the manager can kill.
    pub(super) kill_id: Option<u64>,
    /// `terminate` gave it up (counted in `State::abandoned`).
    pub(super) abandoned: bool,
}

impl<C> State<C> {
    /// Forgets a lent connection that came back, was detached or is being closed.
    pub(super) fn check_in(&mut self, id: u64) {
        if self.out.remove(&id).is_some_and(|c| c.abandoned) {
            self.abandoned -= 1;
        }
    }
}

pub(crate) struct Shared<M: Manager> {
    pub(crate) manager: M,
    pub(crate) opts: PoolOptions,
    pub(super) semaphore: Arc<Semaphore>,
    state: Mutex<State<M::Conn>>,
    /// Signalled whenever `size` or `closing` drops, for `wait_closed`.
    pub(super) changed: Notify,
    next_id: AtomicU64,
    /// Set by `terminate`: connections still held by users are dead from then on (the
    /// public handle checks this before lending its connection out again).
    pub(crate) terminated: AtomicBool,
    /// Totals for `Pool::status()`.
    pub(crate) counters: Counters,
}

impl<M: Manager> Shared<M> {
    pub(crate) fn new(manager: M, opts: PoolOptions) -> Arc<Self> {
        let permits = if opts.maxsize == 0 { Semaphore::MAX_PERMITS } else { opts.maxsize };
        Arc::new(Shared {
            manager,
            opts,
            semaphore: Arc::new(Semaphore::new(permits)),
            state: Mutex::new(State {
                idle: VecDeque::new(),
                size: 0,
                closing: 0,
                closed: false,
                out: HashMap::new(),
                abandoned: 0,
            }),
            changed: Notify::new(),
            next_id: AtomicU64::new(1),
            terminated: AtomicBool::new(false),
            counters: Counters::default(),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State<M::Conn>> {
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

    pub(crate) fn status(&self) -> PoolStatus {
        let mut status = {
            let st = self.lock();
            PoolStatus {
                max_size: self.opts.maxsize,
                size: st.size,
                idle: st.idle.len(),
                in_use: st.out.len(),
                ..PoolStatus::default()
            }
        };
        self.counters.totals(&mut status);
        status
    }

    fn live(&self, conn: M::Conn) -> Box<Live<M::Conn>> {
        Counters::bump(&self.counters.opened);
        let now = Instant::now();
        Box::new(Live { conn, id: self.next_id.fetch_add(1, Ordering::Relaxed), created: now, idle_since: now })
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
        self.lock().check_in(id);
        // An abandoned handle that is detached no longer counts for `wait_closed` either.
        self.changed.notify_waiters();
    }

    /// True once `terminate` ran.
    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
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
        let _waiting = Waiting::new(&self.counters.waiters);
        match tokio::time::timeout(self.opts.acquire_timeout, self.acquire_inner()).await {
            Ok(r) => {
                if r.is_ok() {
                    Counters::bump(&self.counters.acquires);
                }
                r
            }
            Err(_) => {
                Counters::bump(&self.counters.acquire_timeouts);
                Err(Error::PoolTimedOut)
            }
        }
    }

    async fn acquire_inner(self: &Arc<Self>) -> Result<Pooled<M>> {
        if self.is_closed() {
            return Err(Error::PoolClosed);
        }
        // Tokio's semaphore is fair: waiters are served in FIFO order.
        let mut permit = self.semaphore.clone().acquire_owned().await.map_err(|_| Error::PoolClosed)?;
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
                // A failed or cancelled connect drops the slot, which frees the unit; the
                // error goes to this caller, nobody retries it behind their back.
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
                // `close()` may have run during the ping: a closed pool lends nothing.
                if self.is_closed() {
                    return Err(Error::PoolClosed);
                }
                self.spawn_fill();
                return Ok(pooled);
            }
            // Dropping `pooled` closes the bad connection; the permit is reused.
            permit = pooled.permit.take().expect("a Pooled holds its permit until dropped");
        }
    }

    fn check_out(self: &Arc<Self>, live: Box<Live<M::Conn>>, slot: Slot<M>, permit: OwnedSemaphorePermit) -> Pooled<M> {
        let kill_id = self.manager.kill_id(&live.conn);
        self.lock().out.insert(live.id, CheckedOut { kill_id, abandoned: false });
        Pooled { live: Some(live), permit: Some(permit), slot: Some(slot), discard_on_drop: false }
    }

    /// Decides whether a free connection may be handed out. While it runs, the connection
    /// is marked for discarding, so an interrupted ping closes it.
    async fn validate(&self, p: &mut Pooled<M>) -> bool {
        p.discard_on_drop = true;
        let Some(live) = p.live.as_mut() else {
            return false;
        };
        let opts = &self.opts;
        if opts.max_lifetime.is_some_and(|m| live.created.elapsed() >= m)
            || opts.pool_recycle.is_some_and(|r| live.idle_since.elapsed() >= r)
        {
            return false;
        }
        if !self.manager.quick_check(&mut live.conn) {
            Counters::bump(&self.counters.broken);
            return false;
        }
        if live.idle_since.elapsed() >= opts.ping_after {
            if let Err(e) = self.manager.check(&mut live.conn).await {
                tracing::debug!(error = %e, "pooled connection failed its ping; opening another");
                Counters::bump(&self.counters.broken);
                return false;
            }
        }
        p.discard_on_drop = false;
        true
    }

    /// Takes back a connection from a dropped `Pooled`. Runs inside `Drop`: never blocks;
    /// work that needs I/O runs in a spawned task that keeps the permit until it is done.
    pub(crate) fn give_back(
        self: &Arc<Self>,
        live: Box<Live<M::Conn>>,
        slot: Slot<M>,
        permit: Option<OwnedSemaphorePermit>,
    ) {
        let closed = {
            let mut st = self.lock();
            st.check_in(live.id);
            st.closed
        };
        let expired = self.opts.max_lifetime.is_some_and(|m| live.created.elapsed() >= m);
        let verdict = if closed || expired { Returned::Discard } else { self.manager.on_return(&live.conn) };
        if verdict == Returned::Discard && !closed && !expired {
            Counters::bump(&self.counters.broken);
        }
        match (verdict, Handle::try_current()) {
            (Returned::Ready, _) => self.push_idle(live, slot),
            (Returned::Recycle, Ok(rt)) => {
                let pool = self.clone();
                rt.spawn(async move {
                    // Still counted against maxsize until free again.
                    let _permit = permit;
                    let mut live = live;
                    // A stalled server must not keep the slot: past `recycle_timeout` the
                    // connection is closed in the background (the server rolls back on
                    // disconnect) and the slot and permit are free at once.
                    let limit = pool.opts.recycle_timeout;
                    match tokio::time::timeout(limit, pool.manager.recycle(&mut live.conn)).await {
                        Ok(Ok(())) => {
                            Counters::bump(&pool.counters.recycles);
                            pool.push_idle(live, slot)
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "returned connection could not be cleaned; closing it");
                            Counters::bump(&pool.counters.broken);
                            pool.discard(live, slot);
                        }
                        Err(_) => {
                            tracing::debug!(?limit, "returned connection not clean within recycle_timeout; closing it");
                            Counters::bump(&pool.counters.broken);
                            pool.discard(live, slot);
                        }
                    }
                });
            }
            // Without a runtime nobody can run the rollback: closing the socket makes the
            // server roll back instead.
            (Returned::Recycle, Err(_)) | (Returned::Discard, _) => self.discard(live, slot),
        }
    }

    fn push_idle(self: &Arc<Self>, mut live: Box<Live<M::Conn>>, slot: Slot<M>) {
        let mut st = self.lock();
        if st.closed {
            drop(st);
            return self.discard(live, slot);
        }
        live.idle_since = Instant::now();
        st.idle.push_back(live);
        drop(st);
        slot.disarm();
    }

    /// Closes a connection in the background; `wait_closed` waits for it.
    pub(crate) fn discard(self: &Arc<Self>, live: Box<Live<M::Conn>>, slot: Slot<M>) {
        {
            let mut st = self.lock();
            st.check_in(live.id);
            st.closing += 1;
        }
        Counters::bump(&self.counters.closed);
        let closing = Closing(self.clone());
        drop(slot);
        match Handle::try_current() {
            Ok(rt) => {
                let pool = self.clone();
                rt.spawn(async move {
                    let _closing = closing;
                    let _ = tokio::time::timeout(CLOSE_TIMEOUT, pool.manager.close(live.conn)).await;
                });
            }
            Err(_) => drop((live, closing)),
        }
    }

    /// Tops the pool up to `minsize` in the background. A background open holds a permit
    /// like any acquirer (so `size <= maxsize` holds) but never waits for one: it takes
    /// only permits nobody is queued for.
    pub(super) fn spawn_fill(self: &Arc<Self>) {
        let Ok(rt) = Handle::try_current() else {
            return;
        };
        loop {
            let (slot, permit) = {
                let mut st = self.lock();
                if st.closed || st.size >= self.opts.minsize {
                    return;
                }
                let Ok(permit) = self.semaphore.clone().try_acquire_owned() else {
                    return;
                };
                st.size += 1;
                (Slot::adopt(self), permit)
            };
            let pool = self.clone();
            rt.spawn(async move {
                let _permit = permit;
                match pool.manager.connect().await {
                    Ok(conn) => pool.push_idle(pool.live(conn), slot),
                    Err(e) => tracing::debug!(error = %e, "pool could not open a connection to reach minsize"),
                }
            });
        }
    }
}
