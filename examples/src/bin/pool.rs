//! A connection pool shared by concurrent tasks (aiomysql's `create_pool`).

use std::time::Duration;

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main]
async fn main() -> Result<(), amysql::Error> {
    let opts: amysql::ConnectOptions = url().parse()?;
    let pool = amysql::create_pool(
        &opts,
        amysql::PoolOptions::new().minsize(2).maxsize(4).acquire_timeout(Duration::from_secs(5)),
    )
    .await?;
    println!("pool opened: size {} (free {})", pool.size(), pool.freesize());

    let mut tasks = Vec::new();
    for i in 0..16 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut cur = conn.cursor();
            cur.execute("SELECT %s * %s", (i, i)).await?;
            let square: i64 = cur.fetchone().await?.expect("one row").get(0)?;
            Ok::<_, amysql::Error>((i, square))
        }));
    }
    for t in tasks {
        let (i, square) = t.await.expect("task panicked")?;
        println!("{i}^2 = {square}");
    }
    println!("connections opened: {} (maxsize {})", pool.size(), pool.maxsize());
    pool.close();
    pool.wait_closed().await?;
    println!("pool closed");
    Ok(())
}
