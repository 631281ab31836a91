//! Pool behaviour against the private MariaDB: sizing, reuse, return-path cleanup,
//! liveness checks, cancellation, close/terminate. Only generous upper bounds on time
//! are asserted ("it did not hang").

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use amysql::{create_pool, Error, Pool, PoolOptions};
use amysql_tests::{server, unique_name};

async fn pool(opts: PoolOptions) -> Pool {
    create_pool(server().url().as_str(), opts).await.unwrap()
}

async fn scalar(c: &mut amysql::Connection, sql: &str) -> Option<String> {
    c.query_text(sql).await.unwrap().remove(0).remove(0)
}

const NO_HANG: Duration = Duration::from_secs(20);

#[tokio::test]
async fn initial_size_and_connection_reuse() {
    let p = pool(PoolOptions::new().minsize(2).maxsize(5)).await;
    assert_eq!((p.size(), p.freesize(), p.minsize(), p.maxsize()), (2, 2, 2, 5));
    let id = p.acquire().await.unwrap().thread_id();
    for _ in 0..3 {
        let mut c = p.acquire().await.unwrap();
        assert_eq!(c.thread_id(), id);
        assert_eq!(scalar(&mut c, "SELECT 1").await.as_deref(), Some("1"));
        p.release(c);
    }
    assert_eq!(p.size(), 2);
    p.close();
    p.wait_closed().await.unwrap();
    assert_eq!(p.size(), 0);
}

#[tokio::test]
async fn parallel_use_never_exceeds_maxsize_and_zero_is_unlimited() {
    for (max, tasks) in [(4usize, 40usize), (0, 15)] {
        let p = pool(PoolOptions::new().minsize(0).maxsize(max)).await;
        let (in_use, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let all_in = Arc::new(tokio::sync::Barrier::new(if max == 0 { tasks } else { 1 }));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (p, in_use, peak, all_in) = (p.clone(), in_use.clone(), peak.clone(), all_in.clone());
                tokio::spawn(async move {
                    let mut c = p.acquire().await.unwrap();
                    peak.fetch_max(in_use.fetch_add(1, SeqCst) + 1, SeqCst);
                    all_in.wait().await;
                    c.query_drop("DO SLEEP(0.01)").await.unwrap();
                    in_use.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
        if max == 0 {
            assert_eq!(peak.load(SeqCst), tasks, "unlimited pool let every task in at once");
            assert_eq!(p.size(), tasks);
        } else {
            assert!(peak.load(SeqCst) <= max && p.size() <= max, "peak {} size {}", peak.load(SeqCst), p.size());
        }
        p.close();
        p.wait_closed().await.unwrap();
    }
}

#[tokio::test]
async fn release_inside_a_transaction_rolls_back() {
    let table = unique_name("pool_rb");
    let p = pool(PoolOptions::new().maxsize(1)).await;
    let mut c = p.acquire().await.unwrap();
    c.query_drop(&format!("CREATE TABLE {table} (id INT PRIMARY KEY) ENGINE=InnoDB")).await.unwrap();
    c.query_drop("BEGIN").await.unwrap();
    c.query_drop(&format!("INSERT INTO {table} VALUES (1)")).await.unwrap();
    let id = c.thread_id();
    p.release(c);
    let mut c = p.acquire().await.unwrap();
    assert_eq!(c.thread_id(), id, "the same connection came back, cleaned");
    assert!(!c.in_transaction());
    assert_eq!(scalar(&mut c, "SELECT @@in_transaction").await.as_deref(), Some("0"));
    assert_eq!(scalar(&mut c, &format!("SELECT COUNT(*) FROM {table}")).await.as_deref(), Some("0"));
}

#[tokio::test]
async fn autocommit_switched_off_by_a_user_is_restored() {
    let explicit = server().url().parse::<amysql::ConnectOptions>().unwrap().autocommit(true);
    let p1 = create_pool(server().url().as_str(), PoolOptions::new().maxsize(1)).await.unwrap();
    let p2 = create_pool(&explicit, PoolOptions::new().maxsize(1)).await.unwrap();
    for p in [p1, p2] {
        p.acquire().await.unwrap().autocommit(false).await.unwrap();
        let mut c = p.acquire().await.unwrap();
        assert!(c.get_autocommit());
        assert_eq!(scalar(&mut c, "SELECT @@autocommit").await.as_deref(), Some("1"));
    }
}

#[tokio::test]
async fn reset_on_release_clears_session_state() {
    let p = pool(PoolOptions::new().maxsize(1).reset_on_release(true)).await;
    let mut c = p.acquire().await.unwrap();
    let id = c.thread_id();
    c.query_drop("SET @leak = 42").await.unwrap();
    drop(c);
    let mut c = p.acquire().await.unwrap();
    assert_eq!(c.thread_id(), id);
    assert_eq!(scalar(&mut c, "SELECT @leak").await, None);
}

#[tokio::test]
async fn pool_recycle_replaces_a_stale_connection() {
    let p = pool(PoolOptions::new().minsize(1).maxsize(2).pool_recycle(Duration::from_millis(200))).await;
    let first = p.acquire().await.unwrap().thread_id();
    assert_eq!(p.acquire().await.unwrap().thread_id(), first, "used recently: kept");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_ne!(p.acquire().await.unwrap().thread_id(), first);
}

#[tokio::test]
async fn server_side_wait_timeout_is_noticed_on_acquire() {
    let p = pool(PoolOptions::new().minsize(1).maxsize(1)).await;
    let mut c = p.acquire().await.unwrap();
    c.query_drop("SET SESSION wait_timeout = 1").await.unwrap();
    let first = c.thread_id();
    drop(c);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut c = tokio::time::timeout(NO_HANG, p.acquire()).await.unwrap().unwrap();
    assert_ne!(c.thread_id(), first, "the server closed the old one");
    assert_eq!(scalar(&mut c, "SELECT 1").await.as_deref(), Some("1"));
}

#[tokio::test]
async fn cancelled_query_does_not_poison_the_next_acquirer() {
    let p = pool(PoolOptions::new().minsize(1).maxsize(1)).await;
    let mut c = p.acquire().await.unwrap();
    c.query_drop("BEGIN").await.unwrap();
    let r = tokio::time::timeout(Duration::from_millis(100), c.query_text("SELECT SLEEP(2), 'stale'")).await;
    assert!(r.is_err(), "the query should have been cut off");
    drop(c);
    let mut c = tokio::time::timeout(NO_HANG, p.acquire()).await.unwrap().unwrap();
    assert_eq!(scalar(&mut c, "SELECT 'fresh'").await.as_deref(), Some("fresh"));
    assert_eq!(scalar(&mut c, "SELECT @@in_transaction").await.as_deref(), Some("0"));
}

#[tokio::test]
async fn close_waits_for_releases_and_refuses_acquires() {
    let p = pool(PoolOptions::new().minsize(2).maxsize(3)).await;
    assert!(matches!(p.wait_closed().await, Err(Error::Interface(_))), "wait_closed before close");
    let c = p.acquire().await.unwrap();
    p.close();
    assert!(p.closed());
    assert!(matches!(p.acquire().await, Err(Error::PoolClosed)));
    let p2 = p.clone();
    let closed = tokio::spawn(async move { p2.wait_closed().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!closed.is_finished(), "a connection is still out");
    assert_eq!(p.size(), 1);
    drop(c);
    tokio::time::timeout(NO_HANG, closed).await.unwrap().unwrap().unwrap();
    assert_eq!(p.size(), 0);
}

#[tokio::test]
async fn terminate_interrupts_connections_in_use() {
    let p = pool(PoolOptions::new().minsize(1).maxsize(2)).await;
    let mut c = p.acquire().await.unwrap();
    let busy = tokio::spawn(async move {
        let r = c.query_drop("DO SLEEP(30)").await;
        (r, c)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    p.terminate();
    let (r, c) = tokio::time::timeout(NO_HANG, busy).await.expect("terminate did not interrupt").unwrap();
    // KILL CONNECTION ends the statement; depending on timing the server reports 1927
    // (connection killed) or just closes the socket.
    let e = r.expect_err("the killed statement cannot succeed");
    assert!(e.is_connection_error() || e.code() == Some(1927), "{e:?}");
    drop(c);
    tokio::time::timeout(NO_HANG, p.wait_closed()).await.unwrap().unwrap();
    assert_eq!(p.size(), 0);
}

/// aiomysql's `terminate()` closes the connections in use and `wait_closed()` returns:
/// a handle still held is dead (its next command is an error) and is not waited for.
#[tokio::test]
async fn terminate_then_wait_closed_does_not_wait_for_held_connections() {
    let p = pool(PoolOptions::new().minsize(1).maxsize(3)).await;
    let mut held = p.acquire().await.unwrap();
    let mut in_tx = p.acquire().await.unwrap();
    in_tx.query_drop("BEGIN").await.unwrap();
    assert_eq!(scalar(&mut held, "SELECT 1").await.as_deref(), Some("1"));
    p.terminate();
    tokio::time::timeout(Duration::from_secs(10), p.wait_closed())
        .await
        .expect("wait_closed waited for connections users still hold")
        .unwrap();
    for c in [&mut held, &mut in_tx] {
        let e = c.query_drop("SELECT 1").await.expect_err("a terminated pool's connection is dead");
        assert!(matches!(e, Error::Broken(_)), "{e:?}");
        assert!(e.to_string().contains("pool was terminated"), "{e}");
        assert!(c.ping().await.is_err());
    }
    let detached = in_tx.detach();
    assert!(detached.is_broken());
    drop(detached);
    drop(held);
    tokio::time::timeout(NO_HANG, p.wait_closed()).await.unwrap().unwrap();
    assert_eq!(p.size(), 0);
    assert!(matches!(p.acquire().await, Err(Error::PoolClosed)));
}

/// A connection dropped mid-read on a stalled server needs its result drained before
/// reuse; past `recycle_timeout` it is closed instead and its slot freed, so a
/// `maxsize(1)` pool lends again instead of blocking for the server's 20 s.
#[tokio::test]
async fn stalled_recycle_frees_the_slot_after_recycle_timeout() {
    let p = pool(
        PoolOptions::new()
            .minsize(1)
            .maxsize(1)
            .recycle_timeout(Duration::from_millis(200))
            .acquire_timeout(Duration::from_secs(5)),
    )
    .await;
    let mut c = p.acquire().await.unwrap();
    let stalled = c.thread_id();
    let r = tokio::time::timeout(Duration::from_millis(100), c.query_text("SELECT SLEEP(20)")).await;
    assert!(r.is_err(), "the query should have been cut off mid-read");
    drop(c);
    let mut c = p.acquire().await.expect("the stalled connection kept the only slot");
    assert_ne!(c.thread_id(), stalled, "the stalled connection was closed, a new one opened");
    assert_eq!(scalar(&mut c, "SELECT 'fresh'").await.as_deref(), Some("fresh"));
    // Don't leave the server sleeping for the rest of the 20 s.
    let _ = c.query_drop(&format!("KILL {stalled}")).await;
}

#[tokio::test]
async fn acquire_timeout_is_an_error() {
    let p = pool(PoolOptions::new().maxsize(1).acquire_timeout(Duration::from_millis(200))).await;
    let held = p.acquire().await.unwrap();
    assert!(matches!(p.acquire().await, Err(Error::PoolTimedOut)));
    drop(held);
    assert!(p.acquire().await.is_ok(), "the timed-out waiter left no trace");
}

#[tokio::test]
async fn connect_failure_reaches_the_caller_and_frees_the_slot() {
    // A port nobody listens on: bind, note, release.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("mysql://nobody@127.0.0.1:{port}/db");
    let e = create_pool(url.as_str(), PoolOptions::new()).await.unwrap_err();
    assert_eq!(e.code(), Some(2003), "{e:?}");
    let p = create_pool(url.as_str(), PoolOptions::new().minsize(0).maxsize(1)).await.unwrap();
    for _ in 0..3 {
        let e = tokio::time::timeout(NO_HANG, p.acquire()).await.unwrap().unwrap_err();
        assert_eq!(e.code(), Some(2003), "{e:?}");
        assert_eq!(p.size(), 0);
    }
    assert!(matches!(
        create_pool(url.as_str(), PoolOptions::new().minsize(3).maxsize(2)).await,
        Err(Error::Interface(_))
    ));
}
