//! Guards that keep the pool's books right whatever happens to the future holding them.
//!
//! Every unit of `size` is owned by exactly one `Slot` (or by an entry of the free queue);
//! every connection out of the pool is owned by a `Pooled`. Their `Drop`s repair the
//! count and hand the connection back, so a cancelled acquire, a panicking user or a
//! dropped task can neither leak a slot nor lose track of a connection (the sqlx
//! `DecrementSizeGuard` / bb8 "wrap before any await" idea).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;

use super::inner::{Live, Shared};
use super::manager::Manager;

/// One counted unit of the pool's `size`: a connection being opened, checked out, being
/// recycled or being checked. Dropping it gives the unit back.
pub(crate) struct Slot<M: Manager> {
    pool: Arc<Shared<M>>,
    armed: bool,
}

impl<M: Manager> Slot<M> {
    /// Takes responsibility for a unit already counted in `size`.
    pub(crate) fn adopt(pool: &Arc<Shared<M>>) -> Self {
        Slot { pool: pool.clone(), armed: true }
    }

    /// The unit now belongs to the free queue (which counts its entries itself).
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }

    pub(crate) fn pool(&self) -> &Arc<Shared<M>> {
        &self.pool
    }
}

impl<M: Manager> Drop for Slot<M> {
    fn drop(&mut self) {
        if self.armed {
            self.pool.release_slot();
        }
    }
}

/// Bookkeeping for a connection being closed in the background, so that `wait_closed`
/// waits for the close to finish. Counted before the slot is given back.
pub(crate) struct Closing<M: Manager>(pub(crate) Arc<Shared<M>>);

impl<M: Manager> Drop for Closing<M> {
    fn drop(&mut self) {
        self.0.closing_done();
    }
}

/// A connection out of the pool. Returned (or discarded) when dropped.
pub(crate) struct Pooled<M: Manager> {
    pub(crate) live: Option<Box<Live<M::Conn>>>,
    pub(crate) permit: Option<OwnedSemaphorePermit>,
    pub(crate) slot: Option<Slot<M>>,
    /// Set while the pool itself is checking the connection: if that check is
    /// interrupted, the connection's state is unknown and it is closed.
    pub(crate) discard_on_drop: bool,
}

impl<M: Manager> Pooled<M> {
    pub(crate) fn conn(&self) -> &M::Conn {
        &self.live.as_ref().expect("a Pooled holds its connection until dropped").conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut M::Conn {
        &mut self.live.as_mut().expect("a Pooled holds its connection until dropped").conn
    }

    /// Takes the connection out of the pool's accounting for good.
    pub(crate) fn detach(mut self) -> M::Conn {
        let live = self.live.take().expect("a Pooled holds its connection until dropped");
        if let Some(slot) = self.slot.take() {
            slot.pool().forget_checked_out(live.id);
        }
        live.conn
    }

    pub(crate) fn pool(&self) -> &Arc<Shared<M>> {
        self.slot.as_ref().expect("a Pooled holds its slot until dropped").pool()
    }
}

impl<M: Manager> Deref for Pooled<M> {
    type Target = M::Conn;
    fn deref(&self) -> &M::Conn {
        self.conn()
    }
}

impl<M: Manager> DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Conn {
        self.conn_mut()
    }
}

impl<M: Manager> Drop for Pooled<M> {
    fn drop(&mut self) {
        let (Some(live), Some(slot)) = (self.live.take(), self.slot.take()) else {
            return;
        };
        let pool = slot.pool().clone();
        if self.discard_on_drop {
            pool.discard(live, slot);
        } else {
            pool.give_back(live, slot, self.permit.take());
        }
    }
}
