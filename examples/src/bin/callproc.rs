//! Stored procedures with `callproc`, as in aiomysql's documentation.

fn url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let mut conn = amysql::connect(url().as_str()).await?;
    conn.query_drop("DROP PROCEDURE IF EXISTS amysql_example_inc").await?;
    conn.query_drop(
        "CREATE PROCEDURE amysql_example_inc(IN n INT, OUT doubled INT)
         BEGIN SET doubled = n * 2; SELECT n + 1 AS incremented; END",
    )
    .await?;
    let mut cur = conn.cursor();
    let args = cur.callproc("amysql_example_inc", (20, 0)).await?;
    println!("callproc args: {args:?}");
    let row = cur.fetchone().await?.expect("the procedure returns one row");
    println!("incremented = {}", row.get::<i64, _>("incremented")?);
    // The CALL's own status result follows the SELECT's rows.
    while cur.nextset().await? {}
    cur.execute("SELECT @_amysql_example_inc_1", ()).await?;
    let doubled: i64 = cur.fetchone().await?.expect("one row").get(0)?;
    println!("OUT doubled = {doubled}");
    drop(cur);
    conn.query_drop("DROP PROCEDURE amysql_example_inc").await?;
    conn.close().await
}
