//! SSCursor: stream a large result without holding it in memory.

use futures_util::StreamExt;

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let mut conn = amysql::connect(url().as_str()).await?;
    let mut cur = conn.ss_cursor();
    // MariaDB's Sequence engine generates the rows; nothing is stored.
    cur.execute("SELECT seq, MD5(seq) FROM seq_1_to_200000", ()).await?;
    let mut rows = cur.stream();
    let (mut n, mut total) = (0u64, 0u64);
    while let Some(row) = rows.next().await {
        let row = row?;
        total += row.get::<u64, _>(0)?;
        n += 1;
    }
    drop(rows);
    println!("streamed {n} rows, sum of seq = {total}");
    drop(cur);
    conn.close().await
}
