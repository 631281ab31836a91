//! Connects, runs one query and prints the result.
//! `DATABASE_URL=mysql://user:pw@host:port/db cargo run -p amysql-examples --bin hello`

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), amysql::Error> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let mut conn = amysql::connect(url.as_str()).await?;
    println!("connected to {} (thread {})", conn.server_version(), conn.thread_id());
    for row in conn.query_text("SELECT 1 + 1 AS two, 'héllo' AS greeting, NULL AS nothing").await? {
        println!("{row:?}");
    }
    conn.close().await
}
