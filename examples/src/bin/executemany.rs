//! `executemany`: an INSERT run for many rows is batched. On MariaDB the batches travel
//! as one prepared statement with binary row arrays (COM_STMT_BULK_EXECUTE); elsewhere,
//! or after `set_bulk(false)`, as the multi-row INSERT statements `mogrify_many` shows.

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let mut conn = amysql::connect(url().as_str()).await?;
    conn.query_drop("CREATE TEMPORARY TABLE people (id INT PRIMARY KEY, name VARCHAR(32), score DOUBLE)").await?;
    let rows: Vec<(i32, String, f64)> = (1..=1000).map(|i| (i, format!("person {i}"), f64::from(i) / 4.0)).collect();
    let mut cur = conn.cursor();
    let sql = "INSERT INTO people (id, name, score) VALUES (%s, %s, %s)";
    let batched = cur.mogrify_many(sql, &rows[..3])?;
    println!("as text, the first three rows would be: {}", batched[0]);
    println!("bulk protocol: {}", cur.bulk() && cur.connection().is_mariadb());
    let n = cur.executemany(sql, rows).await?;
    println!("inserted {n} rows");
    cur.execute("SELECT COUNT(*), SUM(score) FROM people", ()).await?;
    let row = cur.fetchone().await?.expect("one row");
    println!("count = {}, sum = {}", row.get::<i64, _>(0)?, row.get::<f64, _>(1)?);
    drop(cur);
    conn.close().await
}
