//! DictCursor: rows as column name -> value, in column order.

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let mut conn = amysql::connect(url().as_str()).await?;
    conn.query_drop("CREATE TEMPORARY TABLE fruit (id INT, name VARCHAR(16), price DECIMAL(6,2))").await?;
    conn.query_drop("INSERT INTO fruit VALUES (1, 'apple', 0.50), (2, 'pear', 0.75)").await?;
    let mut cur = conn.dict_cursor();
    cur.execute(
        "SELECT id, name, price FROM fruit WHERE price > %(min)s ORDER BY id",
        amysql::params! { "min" => 0.1 },
    )
    .await?;
    for row in cur.fetchall().await? {
        let name: String = row.get("name")?;
        println!("{row:?} -> {name}");
    }
    drop(cur);
    conn.close().await
}
