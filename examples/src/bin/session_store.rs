//! The session store (src/session_store.rs): set, get, expiry by server time, delete,
//! purge.

use std::time::Duration;

use amysql_examples::session_store::SessionStore;

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main]
async fn main() -> amysql::Result<()> {
    let pool = amysql::create_pool(url(), amysql::PoolOptions::new().maxsize(4)).await?;
    amysql::query("DROP TABLE IF EXISTS example_sessions").execute(&pool).await?;
    let store = SessionStore::new(pool.clone(), "example_sessions");
    store.create_table().await?;

    store.set("alice", b"{\"cart\": 3}", Duration::from_secs(3600)).await?;
    store.set("alice", b"{\"cart\": 4}", Duration::from_secs(3600)).await?; // upsert
    store.set("bob", b"{}", Duration::ZERO).await?; // expires at once
    println!("alice = {:?}", store.get("alice").await?.map(String::from_utf8));
    println!("bob (expired) = {:?}", store.get("bob").await?);
    println!("purged {} expired session(s)", store.purge_expired().await?);
    println!("deleted alice: {}", store.delete("alice").await?);
    println!("alice after delete = {:?}", store.get("alice").await?);

    pool.close();
    pool.wait_closed().await
}
