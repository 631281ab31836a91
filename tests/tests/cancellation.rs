//! Dropping a command future at every await point never lets the next command see
//! leftover packets: it either drains them or reports the connection broken.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use amysql::{ConnectOptions, Connection};
use amysql_tests::server;

async fn fresh() -> Connection {
    let opts: ConnectOptions = server().url().parse().unwrap();
    amysql::connect(opts.max_allowed_packet(64 << 20)).await.unwrap()
}

/// Polls `fut` at most `polls` times (letting the server make progress in between) and
/// drops it. Returns true when the future finished before that.
async fn poll_then_drop<F: Future>(fut: F, polls: usize) -> bool {
    let mut fut = pin!(fut);
    for _ in 0..polls {
        let ready = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await;
        if ready {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    false
}

#[derive(Default, Debug)]
struct Tally {
    completed: usize,
    drained: usize,
    broken: usize,
}

/// For k = 0, 1, 2, ... drops the command made by `make` after k polls, then checks that a
/// query with a unique token returns exactly that token (or a clean error, after which a
/// fresh connection is used). Stops when the command completes within k polls.
async fn drop_at_every_await<M>(label: &str, make: M) -> Tally
where
    M: for<'c> Fn(&'c mut Connection) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'c>>,
{
    let mut conn = fresh().await;
    let mut tally = Tally::default();
    for k in 0..10_000 {
        let finished = poll_then_drop(make(&mut conn), k).await;
        let token = format!("{label}-token-{k}");
        match conn.query_text(&format!("SELECT '{token}'")).await {
            Ok(rows) => {
                assert_eq!(rows, vec![vec![Some(token.clone())]], "{label}: stale data after drop at poll {k}");
                if finished {
                    tally.completed += 1;
                    break;
                }
                tally.drained += 1;
            }
            Err(e) => {
                assert!(conn.is_broken(), "{label}: error without a broken connection at poll {k}: {e}");
                tally.broken += 1;
                conn = fresh().await;
            }
        }
    }
    assert_eq!(tally.completed, 1, "{label}: the command never completed: {tally:?}");
    tally
}

#[tokio::test]
async fn drop_large_result_at_every_await() {
    let t = drop_at_every_await("rows", |c| {
        Box::pin(async move {
            let _ = c.query_text("SELECT seq, REPEAT('x', 200) FROM seq_1_to_20000").await;
        })
    })
    .await;
    // Reads are cancel-safe at packet granularity: abandoning a result only costs a drain.
    assert_eq!(t.broken, 0, "{t:?}");
    assert!(t.drained >= 2, "dropped mid-result at least twice: {t:?}");
}

#[tokio::test]
async fn drop_multi_statement_at_every_await() {
    let t = drop_at_every_await("multi", |c| {
        Box::pin(async move {
            let _ = c.query_drop("SELECT 1; DO SLEEP(0.01); SELECT seq FROM seq_1_to_3000; SELECT 'end'").await;
        })
    })
    .await;
    assert_eq!(t.broken, 0, "{t:?}");
}

#[tokio::test]
async fn drop_large_write_at_every_await() {
    let big = format!("SELECT LENGTH('{}')", "w".repeat(8 << 20));
    let t = drop_at_every_await("write", move |c| {
        let sql = big.clone();
        Box::pin(async move {
            let _ = c.query_text(&sql).await;
        })
    })
    .await;
    assert_eq!(t.broken, 0, "a half-written command is finished before the next one: {t:?}");
}

#[tokio::test]
async fn drop_ping_and_select_db_at_every_await() {
    drop_at_every_await("ping", |c| {
        Box::pin(async move {
            let _ = c.ping().await;
        })
    })
    .await;
    drop_at_every_await("initdb", |c| {
        Box::pin(async move {
            let _ = c.select_db("test").await;
        })
    })
    .await;
}

#[tokio::test]
async fn timeout_mid_query_then_reuse() {
    let mut c = fresh().await;
    let r = tokio::time::timeout(Duration::from_millis(100), c.query_text("SELECT SLEEP(1), 'slow'")).await;
    assert!(r.is_err(), "the query should still be running");
    // The abandoned statement's result is drained: the next query sees only its own row.
    assert_eq!(c.query_text("SELECT 'after'").await.unwrap(), vec![vec![Some("after".to_string())]]);
}

#[tokio::test]
async fn drop_typed_fetch_all_at_every_await() {
    // The typed path decodes buffered rows in place between awaits; dropping it anywhere
    // must still leave the connection in step.
    let t = drop_at_every_await("typed", |c| {
        Box::pin(async move {
            let _ = amysql::query_as::<(i64, String)>("SELECT seq, REPEAT('y', 100) FROM seq_1_to_30000")
                .fetch_all(&mut *c)
                .await;
        })
    })
    .await;
    assert_eq!(t.broken, 0, "{t:?}");
}
