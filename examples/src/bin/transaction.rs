//! Transactions: commit, rollback, and the guard that rolls back when dropped.

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

async fn count(conn: &mut amysql::Connection) -> Result<i64, amysql::Error> {
    let mut cur = conn.cursor();
    cur.execute("SELECT COUNT(*) FROM ledger", ()).await?;
    cur.fetchone().await?.expect("one row").get(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let mut conn = amysql::connect(url().as_str()).await?;
    conn.query_drop("CREATE TEMPORARY TABLE ledger (id INT AUTO_INCREMENT PRIMARY KEY, note TEXT) ENGINE=InnoDB")
        .await?;

    let mut tx = conn.begin().await?;
    tx.query_drop("INSERT INTO ledger (note) VALUES ('committed')").await?;
    tx.commit().await?;
    println!("after commit: {} row(s)", count(&mut conn).await?);

    let mut tx = conn.begin().await?;
    tx.query_drop("INSERT INTO ledger (note) VALUES ('rolled back')").await?;
    tx.rollback().await?;
    println!("after rollback: {} row(s)", count(&mut conn).await?);

    {
        let mut tx = conn.begin().await?;
        tx.query_drop("INSERT INTO ledger (note) VALUES ('dropped')").await?;
        // No commit: dropping the guard queues a rollback that runs before the next command.
    }
    println!("after a dropped guard: {} row(s)", count(&mut conn).await?);

    let mut tx = conn.begin().await?;
    tx.query_drop("INSERT INTO ledger (note) VALUES ('outer')").await?;
    let mut sp = tx.begin_nested().await?;
    sp.query_drop("INSERT INTO ledger (note) VALUES ('inner')").await?;
    sp.rollback().await?;
    tx.commit().await?;
    println!("after a rolled-back savepoint: {} row(s)", count(&mut conn).await?);
    conn.close().await
}
