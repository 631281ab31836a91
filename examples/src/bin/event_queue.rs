//! The event queue (src/event_queue.rs): publish, four workers claiming with
//! `FOR UPDATE SKIP LOCKED`, ack, and a nack that is redelivered.

use std::time::Duration;

use amysql_examples::event_queue::EventQueue;

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main]
async fn main() -> amysql::Result<()> {
    let pool = amysql::create_pool(url(), amysql::PoolOptions::new().maxsize(8)).await?;
    amysql::query("DROP TABLE IF EXISTS example_events").execute(&pool).await?;
    let queue = EventQueue::new(pool.clone(), "example_events");
    queue.create_table().await?;

    let payloads: Vec<String> = (1..=100).map(|i| format!("event {i}")).collect();
    println!("published {}", queue.publish_batch(&payloads).await?);

    let mut workers = Vec::new();
    for w in 0..4 {
        let queue = queue.clone();
        workers.push(tokio::spawn(async move {
            let (mut acked, mut nacked) = (0, 0);
            loop {
                let batch = queue.claim(10, Duration::from_secs(30)).await?;
                if batch.is_empty() {
                    return Ok::<_, amysql::Error>((acked, nacked));
                }
                for d in batch {
                    // Worker 0 gives its first event back once; someone gets it again.
                    if w == 0 && nacked == 0 && d.attempts == 1 {
                        queue.nack(&d, Duration::ZERO).await?;
                        nacked += 1;
                    } else if queue.ack(&d).await? {
                        acked += 1;
                    }
                }
            }
        }));
    }
    let (mut acked, mut nacked) = (0, 0);
    for w in workers {
        let (a, n) = w.await.expect("worker panicked")?;
        acked += a;
        nacked += n;
    }
    println!("acked {acked}, nacked {nacked}, pending {}", queue.pending().await?);

    pool.close();
    pool.wait_closed().await
}
