//! The stores of src/ (session store, event queue) against the private server. Expiry
//! is tested with the server's clock moved forward for some sessions (`SET timestamp`
//! in their `init_command`), not with sleeps; only the load test waits for real leases
//! to run out (1 s).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amysql::{ConnectOptions, Pool, PoolOptions};
use amysql_examples::event_queue::EventQueue;
use amysql_examples::session_store::SessionStore;
use amysql_tests::{server, unique_name};

/// A pool whose sessions see the server clock `ahead_secs` in the future (0: real time).
async fn pool(ahead_secs: u64, max: usize) -> Pool {
    let mut o: ConnectOptions = server().url().parse().unwrap();
    if ahead_secs > 0 {
        o = o.init_command(format!("SET timestamp = UNIX_TIMESTAMP(NOW(6)) + {ahead_secs}"));
    }
    amysql::create_pool(o, PoolOptions::new().maxsize(max)).await.unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn sessions_set_get_upsert_delete() {
    let store = SessionStore::new(pool(0, 2).await, unique_name("sessions"));
    store.create_table().await.unwrap();
    assert_eq!(store.get("a").await.unwrap(), None);
    store.set("a", b"one", HOUR).await.unwrap();
    store.set("b", &[0, 255, b'\''], HOUR).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"one"[..]));
    // The upsert replaces the data (no duplicate-key error).
    store.set("a", b"two", HOUR).await.unwrap();
    assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(store.get("b").await.unwrap().as_deref(), Some(&[0, 255, b'\''][..]));
    assert!(store.delete("a").await.unwrap());
    assert!(!store.delete("a").await.unwrap());
    assert_eq!(store.get("a").await.unwrap(), None);
    assert_eq!(store.get("b").await.unwrap().as_deref(), Some(&[0, 255, b'\''][..]));
}

#[tokio::test]
async fn sessions_expire_by_server_time_and_are_purged() {
    let table = unique_name("sessions");
    let now_pool = pool(0, 2).await;
    let now = SessionStore::new(now_pool.clone(), table.clone());
    // The same table seen from two minutes in the future.
    let later = SessionStore::new(pool(120, 2).await, table.clone());
    now.create_table().await.unwrap();

    now.set("short", b"s", Duration::from_secs(60)).await.unwrap();
    now.set("long", b"l", HOUR).await.unwrap();
    now.set("renewed", b"r", Duration::from_secs(60)).await.unwrap();
    now.set("gone", b"g", Duration::ZERO).await.unwrap();
    assert_eq!(now.get("short").await.unwrap().as_deref(), Some(&b"s"[..]));
    assert_eq!(now.get("gone").await.unwrap(), None, "a zero TTL is expired at once");

    // Renewed for an hour before it ran out: alive later. An expired one cannot be renewed.
    assert!(now.touch("renewed", HOUR).await.unwrap());
    assert!(!now.touch("gone", HOUR).await.unwrap());

    assert_eq!(later.get("short").await.unwrap(), None, "expired = absent");
    assert_eq!(later.get("long").await.unwrap().as_deref(), Some(&b"l"[..]));
    assert_eq!(later.get("renewed").await.unwrap().as_deref(), Some(&b"r"[..]));
    // Purging at real time removes only what has expired by now ("gone")...
    assert_eq!(now.purge_expired().await.unwrap(), 1);
    assert_eq!(now.get("short").await.unwrap().as_deref(), Some(&b"s"[..]));
    // ... and two minutes later "short" too, in batches that cover more than one batch.
    for i in 0..1500 {
        now.set(&format!("bulk{i}"), b"x", Duration::from_secs(30)).await.unwrap();
    }
    assert_eq!(later.purge_expired().await.unwrap(), 1501);
    assert_eq!(now.get("short").await.unwrap(), None);
    assert_eq!(now.get("long").await.unwrap().as_deref(), Some(&b"l"[..]));
    let left: i64 =
        amysql::query_scalar(&format!("SELECT COUNT(*) FROM `{table}`")).fetch_one(&now_pool).await.unwrap();
    assert_eq!(left, 2, "long and renewed remain");
}

#[tokio::test]
async fn queue_ack_nack_and_lease_expiry() {
    let table = unique_name("events");
    let q = EventQueue::new(pool(0, 4).await, table.clone());
    let later = EventQueue::new(pool(120, 2).await, table);
    q.create_table().await.unwrap();
    let a = q.publish(b"a").await.unwrap();
    let b = q.publish(b"b").await.unwrap();
    let c = q.publish(b"c").await.unwrap();

    let first = q.claim(2, Duration::from_secs(60)).await.unwrap();
    assert_eq!(first.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(a, 1), (b, 1)]);
    assert_eq!(first[0].payload, b"a");
    // Leased events are invisible; the third is still there.
    let second = q.claim(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(second.iter().map(|d| d.id).collect::<Vec<_>>(), [c]);
    assert!(q.claim(10, Duration::from_secs(60)).await.unwrap().is_empty());

    // Ack once; a second ack of the same delivery is refused.
    assert!(q.ack(&first[0]).await.unwrap());
    assert!(!q.ack(&first[0]).await.unwrap());
    // Nack: redelivered at once, attempts counted; the old delivery can no longer ack.
    assert!(q.nack(&first[1], Duration::ZERO).await.unwrap());
    let again = q.claim(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(b, 2)]);
    assert!(!q.ack(&first[1]).await.unwrap(), "stale delivery");
    assert!(q.ack(&again[0]).await.unwrap());
    // A nack with a delay keeps it away for that long (server time).
    let delayed = q.nack(&second[0], Duration::from_secs(60)).await.unwrap();
    assert!(delayed);
    assert!(q.claim(10, Duration::from_secs(60)).await.unwrap().is_empty());

    // Lease expiry: two minutes later `c` (nacked for 60 s) is back, with the attempt
    // counted; the first worker's delivery of it is stale.
    let re = later.claim(10, Duration::from_secs(60)).await.unwrap();
    assert_eq!(re.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(c, 2)]);
    assert!(!q.ack(&second[0]).await.unwrap());
    assert!(later.ack(&re[0]).await.unwrap());
    assert_eq!(q.pending().await.unwrap(), 0);
}

/// 8 workers drain 10,000 events; one is killed (its task aborted) while it holds a
/// lease on unacked events. Every event is acked exactly once, none is lost, and the
/// dead worker's events are redelivered after their 1 s lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_under_load_with_a_killed_worker() {
    const EVENTS: usize = 10_000;
    const WORKERS: usize = 8;
    const LEASE: Duration = Duration::from_secs(1);
    let q = EventQueue::new(pool(0, WORKERS + 2).await, unique_name("events"));
    q.create_table().await.unwrap();
    let payloads: Vec<String> = (0..EVENTS).map(|i| format!("event {i}")).collect();
    assert_eq!(q.publish_batch(&payloads).await.unwrap(), EVENTS as u64);

    let acks: Arc<Mutex<HashMap<u64, usize>>> = Arc::default();
    let acked = Arc::new(AtomicUsize::new(0));
    let redelivered = Arc::new(AtomicUsize::new(0));
    let (victim_tx, victim_rx) = tokio::sync::oneshot::channel::<Vec<u64>>();
    let mut victim_tx = Some(victim_tx);
    let mut handles = Vec::new();
    for w in 0..WORKERS {
        let (q, acks, acked, redelivered) = (q.clone(), acks.clone(), acked.clone(), redelivered.clone());
        let victim = if w == 0 { victim_tx.take() } else { None };
        handles.push(tokio::spawn(async move {
            let mut claims = 0;
            while acked.load(Ordering::SeqCst) < EVENTS {
                let batch = q.claim(25, LEASE).await.unwrap();
                if batch.is_empty() {
                    // Everything is leased by others (or by the dead worker): wait a bit.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                claims += 1;
                let mut it = batch.into_iter();
                if claims == 3 {
                    if let Some(victim) = victim {
                        // Ack half, then hang holding the lease on the rest until killed.
                        for d in it.by_ref().take(12) {
                            assert!(q.ack(&d).await.unwrap());
                            *acks.lock().unwrap().entry(d.id).or_default() += 1;
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        victim.send(it.map(|d| d.id).collect()).unwrap();
                        std::future::pending::<()>().await;
                        unreachable!();
                    }
                }
                for d in it {
                    assert_eq!(d.payload, format!("event {}", d.id - 1).into_bytes());
                    if d.attempts > 1 {
                        redelivered.fetch_add(1, Ordering::SeqCst);
                    }
                    if q.ack(&d).await.unwrap() {
                        *acks.lock().unwrap().entry(d.id).or_default() += 1;
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    let orphans = tokio::time::timeout(Duration::from_secs(60), victim_rx).await.unwrap().unwrap();
    handles[0].abort();
    assert!(handles.remove(0).await.unwrap_err().is_cancelled());
    for h in handles {
        tokio::time::timeout(Duration::from_secs(120), h).await.expect("workers finish").unwrap();
    }

    let acks = std::mem::take(&mut *acks.lock().unwrap());
    assert_eq!(acks.len(), EVENTS, "no event lost");
    assert!(acks.values().all(|&n| n == 1), "every event acked exactly once");
    assert_eq!(q.pending().await.unwrap(), 0);
    let redelivered = redelivered.load(Ordering::SeqCst);
    assert_eq!(orphans.len(), 13);
    assert!(redelivered >= orphans.len(), "the killed worker's {} events came back ({redelivered})", orphans.len());
    println!("redelivered {redelivered} event(s), {} from the killed worker", orphans.len());
}
