//! `Pool::status()`: a snapshot of the pool's gauges and its totals since it started.
//! The totals are relaxed atomics bumped at the pool's existing decision points (open,
//! close, validate, return); a snapshot reads them without taking the pool's lock.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// A snapshot of a pool (see [`Pool::status`](crate::Pool::status)). Gauges are read
/// together under the pool's lock; the totals count since the pool was created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// The configured maximum (`PoolOptions::maxsize`; 0: unbounded).
    pub max_size: usize,
    /// Open connections: idle, in use, and being opened or cleaned up.
    pub size: usize,
    /// Connections waiting in the pool to be handed out.
    pub idle: usize,
    /// Connections lent out.
    pub in_use: usize,
    /// Callers inside `acquire()` right now (waiting for a permit, a connect or a ping).
    pub waiters: usize,
    /// `acquire()` calls that got a connection.
    pub acquires: u64,
    /// `acquire()` calls that gave up after `acquire_timeout`.
    pub acquire_timeouts: u64,
    /// Connections opened.
    pub connections_opened: u64,
    /// Connections closed, for any reason.
    pub connections_closed: u64,
    /// Of those, closed because they were broken: a failed ping or liveness probe, a
    /// connection returned broken, or one that could not be cleaned on return.
    pub discarded_broken: u64,
    /// Returned connections that needed cleaning (rollback, reset, unread results) and
    /// went back to the pool afterwards.
    pub recycles: u64,
}

/// The totals behind [`PoolStatus`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) waiters: AtomicUsize,
    pub(crate) acquires: AtomicU64,
    pub(crate) acquire_timeouts: AtomicU64,
    pub(crate) opened: AtomicU64,
    pub(crate) closed: AtomicU64,
    pub(crate) broken: AtomicU64,
    pub(crate) recycles: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// Fills in the totals of `status`.
    pub(crate) fn totals(&self, status: &mut PoolStatus) {
        status.waiters = self.waiters.load(Relaxed);
        status.acquires = self.acquires.load(Relaxed);
        status.acquire_timeouts = self.acquire_timeouts.load(Relaxed);
        status.connections_opened = self.opened.load(Relaxed);
        status.connections_closed = self.closed.load(Relaxed);
        status.discarded_broken = self.broken.load(Relaxed);
        status.recycles = self.recycles.load(Relaxed);
    }
}

/// Counts a caller as waiting while it is inside `acquire()` (also when its future is
/// dropped part-way).
pub(crate) struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    pub(crate) fn new(waiters: &'a AtomicUsize) -> Self {
        waiters.fetch_add(1, Relaxed);
        Waiting(waiters)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}
