//! Many tasks hammer a small pool while random timeouts cancel them at every stage
//! (queued for a permit, mid-connect, mid-query, mid-transaction). Every completed query
//! must see its own token, and afterwards the pool must be within bounds with every
//! connection back and none inside a transaction.
//!
//! Scale with AMYSQL_STRESS_TASKS / AMYSQL_STRESS_ITERS (defaults 500 x 200).

use std::time::{Duration, Instant};

use amysql::{create_pool, Error, PoolOptions};
use amysql_tests::server;
use rand::{rngs::StdRng, Rng, SeedableRng};

const MAXSIZE: usize = 8;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// How an iteration may be cut short.
#[derive(Clone, Copy)]
enum Cancel {
    Never,
    /// The whole acquire + work: usually lands while queued for a permit.
    Whole(Duration),
    /// Only the work, after the connection was acquired: lands mid-query.
    Work(Duration),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_cancellations_never_cross_wires_or_leak() {
    let (tasks, iters) = (env("AMYSQL_STRESS_TASKS", 500), env("AMYSQL_STRESS_ITERS", 200));
    let opts = PoolOptions::new().minsize(2).maxsize(MAXSIZE).acquire_timeout(Duration::from_secs(120));
    let pool = create_pool(server().url().as_str(), opts).await.unwrap();
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(t as u64);
                let mut completed = 0usize;
                for i in 0..iters {
                    let token = format!("tok_{t}_{i}");
                    let sql = format!("SELECT '{token}'");
                    let mode = rng.gen_range(0..10u8);
                    let cancel = match rng.gen_range(0..10u8) {
                        0 => Cancel::Whole(Duration::from_micros(rng.gen_range(0..3000))),
                        1 | 2 => Cancel::Work(Duration::from_micros(rng.gen_range(0..1500))),
                        _ => Cancel::Never,
                    };
                    let mut conn = match cancel {
                        Cancel::Whole(b) => match tokio::time::timeout(b, pool.acquire()).await {
                            Ok(c) => c.unwrap(),
                            Err(_) => continue,
                        },
                        _ => pool.acquire().await.unwrap(),
                    };
                    let work = async {
                        let got = match mode {
                            // A transaction guard: committed, or dropped (rolled back).
                            0 => {
                                let mut tx = conn.begin().await?;
                                let got = tx.query_text(&sql).await?;
                                if i % 2 == 0 {
                                    tx.commit().await?;
                                }
                                got
                            }
                            // A raw BEGIN never ended: the pool must roll it back.
                            1 => {
                                conn.query_drop("BEGIN").await?;
                                conn.query_text(&sql).await?
                            }
                            // Something slow enough to be interrupted mid-statement.
                            2 => {
                                conn.query_drop("DO SLEEP(0.002)").await?;
                                conn.query_text(&sql).await?
                            }
                            _ => conn.query_text(&sql).await?,
                        };
                        assert_eq!(got, vec![vec![Some(token.clone())]], "crossed wires");
                        Ok::<_, Error>(())
                    };
                    match cancel {
                        Cancel::Work(b) | Cancel::Whole(b) => {
                            if let Ok(r) = tokio::time::timeout(b, work).await {
                                r.unwrap();
                                completed += 1;
                            }
                        }
                        Cancel::Never => {
                            work.await.unwrap();
                            completed += 1;
                        }
                    }
                }
                completed
            })
        })
        .collect();
    let mut completed = 0;
    for h in handles {
        completed += h.await.unwrap();
    }
    eprintln!("{tasks} tasks x {iters}: {completed} completed in {:?}", started.elapsed());
    assert!(completed > tasks * iters / 2, "most iterations should complete");

    // Background rollbacks/drains finish, then every connection is free again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pool.freesize() != pool.size() {
        assert!(Instant::now() < deadline, "connections never came back: {pool:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(pool.size() <= MAXSIZE, "{pool:?}");
    let n = pool.size();
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(pool.acquire().await.unwrap());
    }
    for c in &mut all {
        assert!(!c.in_transaction());
        let r = c.query_text("SELECT @@in_transaction").await.unwrap();
        assert_eq!(r[0][0].as_deref(), Some("0"));
    }
    drop(all);
    pool.close();
    tokio::time::timeout(Duration::from_secs(20), pool.wait_closed()).await.unwrap().unwrap();
    assert_eq!(pool.size(), 0);
}
