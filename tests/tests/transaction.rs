//! Transaction guards, savepoints, XA and the closure API against the private MariaDB.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use amysql::{create_pool, Connection, Error, IsolationLevel, Pool, PoolOptions, TxOptions};
use amysql_tests::{server, unique_name};

async fn connect() -> Connection {
    amysql::connect(server().url().as_str()).await.unwrap()
}

async fn pool(max: usize) -> Pool {
    create_pool(server().url().as_str(), PoolOptions::new().minsize(1).maxsize(max)).await.unwrap()
}

/// A fresh InnoDB table `(id INT PRIMARY KEY, v INT)`.
async fn table(c: &mut Connection, prefix: &str) -> String {
    let t = unique_name(prefix);
    c.query_drop(&format!("CREATE TABLE {t} (id INT PRIMARY KEY, v INT NOT NULL DEFAULT 0) ENGINE=InnoDB"))
        .await
        .unwrap();
    t
}

async fn scalar(c: &mut Connection, sql: &str) -> Option<String> {
    c.query_text(sql).await.unwrap().remove(0).remove(0)
}

async fn ids(c: &mut Connection, t: &str) -> Vec<String> {
    let rows = c.query_text(&format!("SELECT id FROM {t} ORDER BY id")).await.unwrap();
    rows.into_iter().map(|mut r| r.remove(0).unwrap()).collect()
}

#[tokio::test]
async fn commit_persists_rollback_and_drop_do_not() {
    let mut c = connect().await;
    let t = table(&mut c, "tx_basic").await;
    let mut tx = c.begin().await.unwrap();
    assert!(tx.is_active() && tx.in_transaction());
    tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = c.begin().await.unwrap();
    tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (2)")).await.unwrap();
    tx.rollback().await.unwrap();

    let mut tx = c.begin().await.unwrap();
    tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (3)")).await.unwrap();
    drop(tx); // queued ROLLBACK runs before the next command
    assert_eq!(ids(&mut c, &t).await, ["1"]);
    assert_eq!(scalar(&mut c, "SELECT @@in_transaction").await.as_deref(), Some("0"));
}

#[tokio::test]
async fn closure_commits_on_ok_and_rolls_back_on_err_and_panic() {
    let p = pool(2).await;
    let t = table(&mut p.acquire().await.unwrap(), "tx_closure").await;

    let t1 = t.clone();
    let v: i32 = p
        .transaction(move |tx| {
            let t = t1.clone();
            Box::pin(async move {
                tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await?;
                Ok::<_, Error>(7)
            })
        })
        .await
        .unwrap();
    assert_eq!(v, 7);

    // `?` on an error inside the closure: everything it did is rolled back.
    let t2 = t.clone();
    let r: Result<(), Error> = p
        .transaction(move |tx| {
            let t = t2.clone();
            Box::pin(async move {
                tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (2)")).await?;
                tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await?; // duplicate key
                Ok(())
            })
        })
        .await;
    assert_eq!(r.unwrap_err().code(), Some(1062));

    // A panic unwinds through the guard; its Drop queues the rollback.
    let (p2, t3) = (p.clone(), t.clone());
    let panicked = tokio::spawn(async move {
        p2.transaction(move |tx| {
            let t = t3.clone();
            Box::pin(async move {
                tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (3)")).await?;
                panic!("boom");
                #[allow(unreachable_code)]
                Ok::<_, Error>(())
            })
        })
        .await
    })
    .await;
    assert!(panicked.unwrap_err().is_panic());

    // Same with a plain connection and a user error type.
    let mut c = connect().await;
    let t4 = t.clone();
    let r: Result<(), Box<dyn std::error::Error + Send + Sync>> = c
        .transaction(move |tx| {
            let t = t4.clone();
            Box::pin(async move {
                tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (4)")).await?;
                Err("changed my mind".into())
            })
        })
        .await;
    assert!(r.is_err());
    assert!(!c.in_transaction());
    assert_eq!(ids(&mut c, &t).await, ["1"]);
    let mut pc = p.acquire().await.unwrap();
    assert_eq!(scalar(&mut pc, "SELECT @@in_transaction").await.as_deref(), Some("0"));
}

#[tokio::test]
async fn cancelled_transaction_commits_nothing_and_the_connection_comes_back_clean() {
    let p = pool(1).await;
    let t = table(&mut p.acquire().await.unwrap(), "tx_cancel").await;
    let work = async {
        let mut tx = p.begin().await?;
        tx.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await?;
        tx.query_drop("DO SLEEP(2)").await?;
        tx.commit().await
    };
    assert!(tokio::time::timeout(Duration::from_millis(200), work).await.is_err());
    let mut c = tokio::time::timeout(Duration::from_secs(20), p.acquire()).await.unwrap().unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@in_transaction").await.as_deref(), Some("0"));
    assert!(ids(&mut c, &t).await.is_empty());
}

#[tokio::test]
async fn savepoints_nest_three_deep() {
    let mut c = connect().await;
    let t = table(&mut c, "tx_nested").await;
    let ins = |id: i32| format!("INSERT INTO {t} (id) VALUES ({id})");
    let mut tx = c.begin().await.unwrap();
    tx.query_drop(&ins(1)).await.unwrap();
    {
        let mut sp1 = tx.begin_nested().await.unwrap();
        sp1.query_drop(&ins(2)).await.unwrap();
        {
            let mut sp2 = sp1.begin_nested().await.unwrap();
            sp2.query_drop(&ins(3)).await.unwrap();
            let mut sp3 = sp2.begin_nested().await.unwrap();
            assert_eq!(sp3.depth(), 3);
            sp3.query_drop(&ins(4)).await.unwrap();
            sp3.rollback().await.unwrap();
            sp2.commit().await.unwrap();
        }
        // A dropped savepoint guard rolls back to its savepoint only.
        let mut sp = sp1.begin().await.unwrap();
        sp.query_drop(&ins(5)).await.unwrap();
        drop(sp);
        sp1.commit().await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(ids(&mut c, &t).await, ["1", "2", "3"]);
}

/// The level is checked by its effects: on MariaDB `@@tx_isolation` shows the session
/// level, not the one `SET TRANSACTION` gave the next transaction, and INNODB_TRX's
/// `trx_isolation_level` is stale for transactions that have not written.
#[tokio::test]
async fn isolation_level_and_access_mode_apply_to_that_transaction_only() {
    let (mut a, mut b) = (connect().await, connect().await);
    let t = table(&mut a, "tx_iso").await;
    a.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await.unwrap();
    b.query_drop("SET SESSION innodb_lock_wait_timeout = 1").await.unwrap();
    let read = format!("SELECT v FROM {t} WHERE id = 1");
    let bump = |v: i32| format!("UPDATE {t} SET v = {v} WHERE id = 1");

    // SERIALIZABLE turns plain reads into shared-lock reads: B's write must wait.
    let mut tx = a.begin_with(TxOptions::new().isolation(IsolationLevel::Serializable)).await.unwrap();
    tx.query_text(&read).await.unwrap();
    assert_eq!(b.query_drop(&bump(1)).await.unwrap_err().code(), Some(1205));
    assert!(matches!(tx.begin_with(TxOptions::new()).await, Err(Error::Interface(_))));
    tx.commit().await.unwrap();
    // The next transaction is back at the session level: a consistent read takes no lock.
    let mut tx = a.begin().await.unwrap();
    tx.query_text(&read).await.unwrap();
    b.query_drop(&bump(1)).await.unwrap();
    tx.commit().await.unwrap();

    // READ COMMITTED sees B's commit mid-transaction; the default REPEATABLE READ does not.
    let mut tx = a.begin_with(TxOptions::new().isolation(IsolationLevel::ReadCommitted)).await.unwrap();
    assert_eq!(scalar(&mut tx, &read).await.as_deref(), Some("1"));
    b.query_drop(&bump(2)).await.unwrap();
    assert_eq!(scalar(&mut tx, &read).await.as_deref(), Some("2"));
    tx.commit().await.unwrap();
    let mut tx = a.begin_with(TxOptions::new().consistent_snapshot(true)).await.unwrap();
    b.query_drop(&bump(3)).await.unwrap();
    assert_eq!(scalar(&mut tx, &read).await.as_deref(), Some("2"), "snapshot taken at START");
    tx.commit().await.unwrap();

    let mut tx = a.begin_with(TxOptions::new().read_only(true)).await.unwrap();
    let e = tx.query_drop(&bump(4)).await.unwrap_err();
    assert_eq!(e.code(), Some(1792), "read-only transaction refused the write: {e:?}");
    tx.rollback().await.unwrap();
    assert_eq!(scalar(&mut a, "SELECT @@in_transaction").await.as_deref(), Some("0"));
}

#[tokio::test]
async fn deadlock_is_retried_by_transaction_with() {
    let p = pool(2).await;
    let t = table(&mut p.acquire().await.unwrap(), "tx_deadlock").await;
    p.acquire().await.unwrap().query_drop(&format!("INSERT INTO {t} (id) VALUES (1), (2)")).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    let run = |first: i32, second: i32| {
        let (p, t, barrier, attempts) = (p.clone(), t.clone(), barrier.clone(), attempts.clone());
        tokio::spawn(async move {
            let mut mine = 0;
            p.transaction_with(TxOptions::new().retry_on_deadlock(3), move |tx| {
                let (t, barrier) = (t.clone(), barrier.clone());
                mine += 1;
                attempts.fetch_add(1, SeqCst);
                let first_attempt = mine == 1;
                Box::pin(async move {
                    tx.query_drop(&format!("UPDATE {t} SET v = v + 1 WHERE id = {first}")).await?;
                    if first_attempt {
                        barrier.wait().await; // both hold one row lock: lock in opposite order
                    }
                    tx.query_drop(&format!("UPDATE {t} SET v = v + 1 WHERE id = {second}")).await?;
                    Ok::<_, Error>(())
                })
            })
            .await
        })
    };
    let (a, b) = (run(1, 2), run(2, 1));
    let (a, b) = tokio::time::timeout(Duration::from_secs(60), async { (a.await, b.await) }).await.unwrap();
    a.unwrap().unwrap();
    b.unwrap().unwrap();
    assert_eq!(attempts.load(SeqCst), 3, "exactly one side deadlocked and ran again");
    let mut c = p.acquire().await.unwrap();
    let sums = c.query_text(&format!("SELECT SUM(v) FROM {t}")).await.unwrap();
    assert_eq!(sums[0][0].as_deref(), Some("4"), "both transactions committed once");
}

/// The deadlock hits inside a savepoint whose guard `?` drops: InnoDB already rolled the
/// whole transaction (savepoints included) back, so the queued ROLLBACK TO SAVEPOINT must
/// not be run, or the connection would break and could not retry.
#[tokio::test]
async fn deadlock_inside_a_savepoint_is_retried_on_the_same_connection() {
    let mut c = connect().await;
    let t = table(&mut c, "tx_deadlock_sp").await;
    c.query_drop(&format!("INSERT INTO {t} (id) VALUES (1), (2)")).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let attempts = Arc::new(AtomicU32::new(0));
    let run = |first: i32, second: i32| {
        let (t, barrier, attempts) = (t.clone(), barrier.clone(), attempts.clone());
        tokio::spawn(async move {
            let mut conn = connect().await;
            let thread = conn.thread_id();
            let mut mine = 0;
            let r = conn
                .transaction_with(TxOptions::new().retry_on_deadlock(3), move |tx| {
                    let (t, barrier) = (t.clone(), barrier.clone());
                    mine += 1;
                    attempts.fetch_add(1, SeqCst);
                    let first_attempt = mine == 1;
                    Box::pin(async move {
                        tx.query_drop(&format!("UPDATE {t} SET v = v + 1 WHERE id = {first}")).await?;
                        if first_attempt {
                            barrier.wait().await;
                        }
                        let mut sp = tx.begin_nested().await?;
                        sp.query_drop(&format!("UPDATE {t} SET v = v + 1 WHERE id = {second}")).await?;
                        sp.commit().await?;
                        Ok::<_, Error>(())
                    })
                })
                .await;
            assert!(!conn.is_broken());
            (r, thread, conn.thread_id())
        })
    };
    let (a, b) = (run(1, 2), run(2, 1));
    let (a, b) = tokio::time::timeout(Duration::from_secs(60), async { (a.await, b.await) }).await.unwrap();
    for (r, before, after) in [a.unwrap(), b.unwrap()] {
        r.unwrap();
        assert_eq!(before, after);
    }
    assert_eq!(attempts.load(SeqCst), 3);
    assert_eq!(scalar(&mut c, &format!("SELECT SUM(v) FROM {t}")).await.as_deref(), Some("4"));
}
