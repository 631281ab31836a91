//! The pool's cancellation matrix without a database (deadpool `managed_cancellation`
//! style): a fake manager whose connect, check and recycle can be slow, failing or
//! cancelled, and after each scenario the books must balance: `size` equals the fake
//! connections alive, never above `maxsize`, and nothing waits forever.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::inner::Shared;
use super::manager::{Manager, Returned};
use super::options::PoolOptions;
use crate::error::{Error, Result};

#[derive(Default)]
struct Fake {
    connect_ms: AtomicU64,
    connect_fail: AtomicBool,
    check_ms: AtomicU64,
    check_fail: AtomicBool,
    recycle_ms: AtomicU64,
    recycle_fail: AtomicBool,
    opened: AtomicUsize,
    alive: Arc<AtomicUsize>,
    killed: Mutex<Vec<u64>>,
}

struct FakeConn {
    id: u64,
    dirty: bool,
    dead: bool,
    broken: bool,
    alive: Arc<AtomicUsize>,
}

impl Drop for FakeConn {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, SeqCst);
    }
}

async fn pause(ms: &AtomicU64) {
    let ms = ms.load(SeqCst);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

impl Manager for Fake {
    type Conn = FakeConn;

    async fn connect(&self) -> Result<FakeConn> {
        pause(&self.connect_ms).await;
        if self.connect_fail.load(SeqCst) {
            return Err(Error::Interface("fake connect refused".into()));
        }
        let id = self.opened.fetch_add(1, SeqCst) as u64 + 1;
        self.alive.fetch_add(1, SeqCst);
        Ok(FakeConn { id, dirty: false, dead: false, broken: false, alive: self.alive.clone() })
    }
    fn quick_check(&self, conn: &mut FakeConn) -> bool {
        !conn.dead
    }
    async fn check(&self, _conn: &mut FakeConn) -> Result<()> {
        pause(&self.check_ms).await;
        if self.check_fail.load(SeqCst) {
            return Err(Error::Broken("fake ping failed".into()));
        }
        Ok(())
    }
    fn on_return(&self, conn: &FakeConn) -> Returned {
        match (conn.broken, conn.dirty) {
            (true, _) => Returned::Discard,
            (false, true) => Returned::Recycle,
            (false, false) => Returned::Ready,
        }
    }
    async fn recycle(&self, conn: &mut FakeConn) -> Result<()> {
        pause(&self.recycle_ms).await;
        if self.recycle_fail.load(SeqCst) {
            return Err(Error::Broken("fake rollback failed".into()));
        }
        conn.dirty = false;
        Ok(())
    }
    async fn close(&self, conn: FakeConn) {
        drop(conn);
    }
    fn kill_id(&self, conn: &FakeConn) -> Option<u64> {
        Some(conn.id)
    }
    async fn kill(&self, ids: Vec<u64>) {
        self.killed.lock().unwrap().extend(ids);
    }
}

type Pool = Arc<Shared<Fake>>;

async fn pool(opts: PoolOptions) -> Pool {
    let p = Shared::new(Fake::default(), opts);
    p.fill_initial().await.unwrap();
    p.spawn_reaper();
    p
}

fn opts(min: usize, max: usize) -> PoolOptions {
    PoolOptions::new().minsize(min).maxsize(max)
}

/// Waits (up to 5 s) for background tasks to reach `cond`.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

/// The books balance once background work is done.
async fn settled(p: &Pool) {
    let alive = p.manager.alive.clone();
    eventually("size == alive connections", || p.size() == alive.load(SeqCst)).await;
    if p.opts.maxsize > 0 {
        assert!(p.size() <= p.opts.maxsize, "size {} > maxsize", p.size());
    }
}

fn set(flag: &AtomicBool, on: bool) {
    flag.store(on, SeqCst);
}

#[tokio::test]
async fn minsize_opened_and_connection_reused() {
    let p = pool(opts(2, 5)).await;
    assert_eq!((p.size(), p.freesize()), (2, 2));
    let id = p.acquire().await.unwrap().id;
    for _ in 0..5 {
        assert_eq!(p.acquire().await.unwrap().id, id, "most recently returned goes out first");
    }
    assert_eq!(p.manager.opened.load(SeqCst), 2);
    settled(&p).await;
}

#[tokio::test]
async fn concurrency_never_exceeds_maxsize_and_zero_is_unlimited() {
    for (max, tasks) in [(3, 30), (0, 40)] {
        let p = pool(opts(0, max)).await;
        let in_use = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let hold = Arc::new(tokio::sync::Barrier::new(if max == 0 { tasks } else { 1 }));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (p, in_use, peak, hold) = (p.clone(), in_use.clone(), peak.clone(), hold.clone());
                tokio::spawn(async move {
                    let _c = p.acquire().await.unwrap();
                    peak.fetch_max(in_use.fetch_add(1, SeqCst) + 1, SeqCst);
                    hold.wait().await; // unlimited: all hold at once
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    in_use.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        match max {
            0 => assert_eq!(peak.load(SeqCst), tasks),
            m => assert!(peak.load(SeqCst) <= m && p.size() <= m),
        }
        settled(&p).await;
    }
}

#[tokio::test]
async fn slow_connect_times_out_and_frees_the_slot() {
    let p = pool(opts(0, 1).acquire_timeout(Duration::from_millis(30))).await;
    p.manager.connect_ms.store(300, SeqCst);
    assert!(matches!(p.acquire().await, Err(Error::PoolTimedOut)));
    assert_eq!(p.size(), 0);
    p.manager.connect_ms.store(0, SeqCst);
    assert!(p.acquire().await.is_ok());
    settled(&p).await;
}

#[tokio::test]
async fn failing_connect_is_returned_to_the_caller_and_frees_the_slot() {
    let p = pool(opts(0, 1)).await;
    set(&p.manager.connect_fail, true);
    for _ in 0..3 {
        assert!(matches!(p.acquire().await, Err(Error::Interface(_))));
        assert_eq!(p.size(), 0);
    }
    set(&p.manager.connect_fail, false);
    assert!(p.acquire().await.is_ok());
    settled(&p).await;
}

#[tokio::test]
async fn cancelled_connect_and_cancelled_waiter_leak_nothing() {
    let p = pool(opts(0, 2)).await;
    p.manager.connect_ms.store(200, SeqCst);
    let p2 = p.clone();
    let task = tokio::spawn(async move { p2.acquire().await.map(drop) });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(p.size(), 1, "the connect in progress is counted");
    task.abort();
    let _ = task.await;
    assert_eq!(p.size(), 0);
    p.manager.connect_ms.store(0, SeqCst);
    let (a, b) = (p.acquire().await.unwrap(), p.acquire().await.unwrap());
    // A waiter cancelled while queued gives its place up.
    assert!(tokio::time::timeout(Duration::from_millis(20), p.acquire()).await.is_err());
    drop(a);
    let c = tokio::time::timeout(Duration::from_secs(1), p.acquire()).await.expect("permit leaked").unwrap();
    drop((b, c));
    settled(&p).await;
    assert_eq!(p.freesize(), 2);
}

#[tokio::test]
async fn interrupted_or_failing_check_discards_the_connection() {
    let p = pool(opts(1, 2).ping_after(Duration::ZERO)).await;
    p.manager.check_ms.store(300, SeqCst);
    assert!(tokio::time::timeout(Duration::from_millis(20), p.acquire()).await.is_err());
    settled(&p).await;
    assert_eq!(p.manager.alive.load(SeqCst), 0, "a connection whose ping was cut off is closed");
    p.manager.check_ms.store(0, SeqCst);
    drop(p.acquire().await.unwrap());
    set(&p.manager.check_fail, true);
    let c = p.acquire().await.unwrap();
    assert_eq!(c.id, 3, "the unresponsive free connection was replaced");
    drop(c);
    settled(&p).await;
    assert_eq!(p.size(), 1);
}

#[tokio::test]
async fn dead_free_connection_is_replaced_without_a_check() {
    let p = pool(opts(1, 2)).await;
    p.acquire().await.unwrap().dead = true;
    assert_eq!(p.acquire().await.unwrap().id, 2);
    settled(&p).await;
    assert_eq!(p.size(), 1);
}

#[tokio::test]
async fn dirty_return_is_recycled_in_background_or_discarded() {
    let p = pool(opts(1, 1)).await;
    p.manager.recycle_ms.store(50, SeqCst);
    p.acquire().await.unwrap().dirty = true;
    assert_eq!((p.size(), p.freesize()), (1, 0), "being cleaned: counted, not free");
    let c = p.acquire().await.unwrap(); // waits for the permit the recycler holds
    assert!(!c.dirty);
    assert_eq!(c.id, 1);
    drop(c);
    set(&p.manager.recycle_fail, true);
    p.acquire().await.unwrap().dirty = true;
    eventually("a connection that could not be cleaned is closed", || p.size() == 0).await;
    settled(&p).await;
    p.acquire().await.unwrap().broken = true;
    settled(&p).await;
    assert_eq!(p.size(), 0);
}

#[tokio::test]
async fn close_waits_for_releases_and_refuses_acquires() {
    let p = pool(opts(2, 2)).await;
    let a = p.acquire().await.unwrap();
    let mut b = p.acquire().await.unwrap();
    let p2 = p.clone();
    let waiter = tokio::spawn(async move { p2.acquire().await.map(drop) });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(matches!(p.wait_closed().await, Err(Error::Interface(_))));
    p.close();
    assert!(matches!(waiter.await.unwrap(), Err(Error::PoolClosed)), "queued acquirers are woken");
    assert!(matches!(p.acquire().await, Err(Error::PoolClosed)));
    let p3 = p.clone();
    let closed = tokio::spawn(async move { p3.wait_closed().await });
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!closed.is_finished(), "wait_closed returned with connections out");
    drop(a);
    b.dirty = true; // a connection needing recycling is closed instead once the pool is closed
    drop(b);
    tokio::time::timeout(Duration::from_secs(5), closed).await.expect("wait_closed hung").unwrap().unwrap();
    assert_eq!((p.size(), p.manager.alive.load(SeqCst)), (0, 0));
}

#[tokio::test]
async fn connect_finishing_after_close_is_discarded() {
    let p = pool(opts(0, 1)).await;
    p.manager.connect_ms.store(50, SeqCst);
    let p2 = p.clone();
    let task = tokio::spawn(async move { p2.acquire().await.map(drop) });
    tokio::time::sleep(Duration::from_millis(10)).await;
    p.close();
    assert!(matches!(task.await.unwrap(), Err(Error::PoolClosed)));
    p.wait_closed().await.unwrap();
    assert_eq!(p.manager.alive.load(SeqCst), 0);
}

#[tokio::test]
async fn terminate_kills_checked_out_connections() {
    let p = pool(opts(1, 3)).await;
    let a = p.acquire().await.unwrap();
    let b = p.acquire().await.unwrap();
    p.terminate();
    eventually("kill ran", || p.manager.killed.lock().unwrap().len() == 2).await;
    let mut killed = p.manager.killed.lock().unwrap().clone();
    killed.sort();
    assert_eq!(killed, vec![a.id, b.id]);
    drop((a, b));
    p.wait_closed().await.unwrap();
    assert_eq!(p.manager.alive.load(SeqCst), 0);
}

/// aiomysql's `terminate()` closes the connections in use and `wait_closed()` then
/// returns: it must not wait for handles their users still hold.
#[tokio::test]
async fn wait_closed_after_terminate_does_not_wait_for_held_connections() {
    let p = pool(opts(2, 3)).await;
    let a = p.acquire().await.unwrap();
    let b = p.acquire().await.unwrap();
    let idle = p.acquire().await.unwrap();
    drop(idle); // one free connection, closed by terminate
    p.terminate();
    assert!(p.is_terminated());
    tokio::time::timeout(Duration::from_secs(10), p.wait_closed())
        .await
        .expect("wait_closed waited for connections users still hold")
        .unwrap();
    let mut killed = p.manager.killed.lock().unwrap().clone();
    killed.sort();
    let mut held = vec![a.id, b.id];
    held.sort();
    assert_eq!(killed, held, "the kill ran before wait_closed returned");
    assert_eq!(p.size(), 2, "the held handles still own their slots");
    // Dropping them later closes them, and the books balance.
    drop(a);
    p.wait_closed().await.unwrap();
    let detached = b.detach();
    drop(detached);
    settled(&p).await;
    p.wait_closed().await.unwrap();
    assert_eq!((p.size(), p.manager.alive.load(SeqCst)), (0, 0));
    // A second terminate has nothing left to give up.
    p.terminate();
    p.wait_closed().await.unwrap();
}

#[tokio::test]
async fn close_then_terminate_gives_up_held_connections_too() {
    let p = pool(opts(1, 2)).await;
    let a = p.acquire().await.unwrap();
    p.close();
    let p2 = p.clone();
    let closed = tokio::spawn(async move { p2.wait_closed().await });
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!closed.is_finished(), "after close() alone, wait_closed waits for the held connection");
    p.terminate();
    tokio::time::timeout(Duration::from_secs(10), closed).await.expect("wait_closed hung").unwrap().unwrap();
    drop(a);
    settled(&p).await;
    assert_eq!(p.size(), 0);
}

/// A returned connection whose clean-up stalls (a server that stopped answering) frees
/// its slot after `recycle_timeout`, so a `maxsize(1)` pool can lend again.
#[tokio::test]
async fn stalled_recycle_frees_the_slot_after_recycle_timeout() {
    let p = pool(opts(1, 1).recycle_timeout(Duration::from_millis(200)).acquire_timeout(Duration::from_secs(5))).await;
    p.manager.recycle_ms.store(60_000, SeqCst);
    p.acquire().await.unwrap().dirty = true;
    let c = p.acquire().await.expect("the slot stayed taken by a stalled recycle");
    assert_eq!(c.id, 2, "the stalled connection was closed and a new one opened");
    drop(c);
    settled(&p).await;
    assert_eq!(p.size(), 1);
}

#[tokio::test]
async fn recycle_lifetime_and_idle_timeouts() {
    let p = pool(opts(1, 4).pool_recycle(Duration::from_millis(30))).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(p.acquire().await.unwrap().id, 2, "pool_recycle closed the stale connection");

    let p = pool(opts(1, 4).idle_timeout(Duration::from_millis(40))).await;
    let held: Vec<_> = futures_util::future::join_all((0..4).map(|_| p.acquire())).await;
    drop(held);
    assert_eq!(p.size(), 4);
    eventually("reaped down to minsize", || p.size() == 1).await;
    settled(&p).await;

    let p = pool(opts(2, 4).max_lifetime(Duration::from_millis(40))).await;
    eventually("old connections replaced", || p.manager.opened.load(SeqCst) >= 4 && p.size() == 2).await;
    settled(&p).await;
}

#[tokio::test]
async fn clear_closes_free_connections_and_minsize_comes_back() {
    let p = pool(opts(2, 4)).await;
    let held = p.acquire().await.unwrap();
    p.clear().await;
    assert_eq!((p.size(), p.freesize()), (1, 0));
    drop(held);
    drop(p.acquire().await.unwrap());
    eventually("refilled to minsize", || p.size() >= 2).await;
    settled(&p).await;
}

#[tokio::test]
async fn random_cancellations_keep_the_books() {
    let p = pool(opts(2, 5).ping_after(Duration::ZERO)).await;
    p.manager.connect_ms.store(3, SeqCst);
    p.manager.check_ms.store(1, SeqCst);
    p.manager.recycle_ms.store(2, SeqCst);
    let tasks: Vec<_> = (0..50u64)
        .map(|t| {
            let p = p.clone();
            tokio::spawn(async move {
                for i in 0..40u64 {
                    let budget = Duration::from_millis((t * 7 + i * 13) % 9);
                    let _ = tokio::time::timeout(budget, async {
                        let mut c = p.acquire().await?;
                        c.dirty = i % 3 == 0;
                        c.broken = i % 17 == 0;
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        Ok::<_, Error>(())
                    })
                    .await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    settled(&p).await;
    p.close();
    tokio::time::timeout(Duration::from_secs(5), p.wait_closed()).await.expect("wait_closed hung").unwrap();
    assert_eq!(p.manager.alive.load(SeqCst), 0);
}

#[test]
fn public_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<super::Pool>();
    send::<super::PooledConnection>();
    send::<crate::Transaction<'static>>();
    send::<crate::TwoPhaseTransaction<'static>>();
    // Moved between tasks and stored in structs: keep the handle small.
    assert!(std::mem::size_of::<super::PooledConnection>() <= 64);
}
