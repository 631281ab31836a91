//! Statement timeouts, kill-on-drop and lock-wait timeouts against the private MariaDB:
//! a timed-out statement is stopped on the server (its process-list entry goes away)
//! and the same connection answers the next query. Only generous "did not hang" bounds
//! on time are asserted; the errors and the server's state are what is checked.

use std::future::Future;
use std::time::Duration;

use amysql::{query, query_scalar, ConnectOptions, Connection, Error, Pool, PoolOptions};
use amysql_tests::{server, unique_name};

const NO_HANG: Duration = Duration::from_secs(10);
const LIMIT: Duration = Duration::from_millis(200);

fn opts() -> ConnectOptions {
    server().url().parse().unwrap()
}

async fn connect(o: ConnectOptions) -> Connection {
    amysql::connect(o).await.unwrap()
}

/// Runs `fut` under the no-hang bound.
async fn no_hang<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(NO_HANG, fut).await.unwrap_or_else(|_| panic!("{what} hung"))
}

/// What the server runs for connection `id` right now (`None` when it runs nothing).
async fn running(side: &mut Connection, id: u32) -> Option<String> {
    let rows = side
        .query_text(&format!(
            "SELECT COALESCE(INFO, '') FROM information_schema.PROCESSLIST WHERE ID = {id} AND COMMAND <> 'Sleep'"
        ))
        .await
        .unwrap();
    rows.into_iter().next().map(|mut r| r.remove(0).unwrap_or_default())
}

/// Polls the process list until connection `id` runs nothing.
async fn wait_idle_on_server(side: &mut Connection, id: u32) {
    no_hang("waiting for the server statement to end", async {
        while running(side, id).await.is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

async fn global_status(side: &mut Connection, name: &str) -> u64 {
    let rows = side.query_text(&format!("SHOW GLOBAL STATUS LIKE '{name}'")).await.unwrap();
    rows[0][1].as_deref().unwrap().parse().unwrap()
}

async fn session_status(conn: &mut Connection, name: &str) -> u64 {
    let rows = conn.query_text(&format!("SHOW SESSION STATUS LIKE '{name}'")).await.unwrap();
    rows[0][1].as_deref().unwrap().parse().unwrap()
}

/// The connection is in step and usable: a unique token comes back.
async fn answers_token(conn: &mut Connection, label: &str) {
    let token = unique_name(label);
    let got: String =
        no_hang("token query", query_scalar(&format!("SELECT '{token}'")).fetch_one(&mut *conn)).await.unwrap();
    assert_eq!(got, token);
    assert!(!conn.is_broken());
}

fn assert_stopped_by_server(e: &Error) {
    assert!(e.is_statement_timeout(), "{e}");
    assert!(matches!(e, Error::Timeout { after, .. } if *after == LIMIT), "{e:?}");
    assert!(e.to_string().contains("the server stopped it"), "{e}");
    assert!(!e.is_connection_error(), "{e}");
}

fn assert_killed(e: &Error, after: Duration) {
    assert!(e.is_statement_timeout(), "{e}");
    assert!(matches!(e, Error::Timeout { after: a, .. } if *a == after), "{e:?}");
    assert!(e.to_string().contains("killed on the server with KILL QUERY"), "{e}");
    assert!(!e.is_connection_error(), "{e}");
}

#[tokio::test]
async fn text_query_is_stopped_by_the_server() {
    let mut conn = connect(opts().statement_timeout(LIMIT)).await;
    let mut side = connect(opts()).await;
    let started = std::time::Instant::now();
    let e = no_hang("SLEEP(30)", query_scalar::<i64>("SELECT SLEEP(30)").fetch_one(&mut conn)).await.unwrap_err();
    eprintln!("stopped by the server after {:?}", started.elapsed());
    assert_stopped_by_server(&e);
    wait_idle_on_server(&mut side, conn.thread_id()).await;
    answers_token(&mut conn, "text").await;
    // execute and fetch_all take the same path.
    let e = no_hang("execute", query("DO SLEEP(30); SELECT 1").execute(&mut conn)).await;
    // `DO SLEEP` is interrupted silently by max_statement_time; the rest runs.
    assert!(e.is_ok(), "{e:?}");
    let e = no_hang("fetch_all", query("SELECT SLEEP(30)").fetch_all(&mut conn)).await.unwrap_err();
    assert_stopped_by_server(&e);
    answers_token(&mut conn, "text2").await;
}

#[tokio::test]
async fn prepared_query_is_stopped_by_the_server() {
    let mut conn = connect(opts().statement_timeout(LIMIT).stmt_cache_size(8)).await;
    let mut side = connect(opts()).await;
    let executes = session_status(&mut conn, "Com_stmt_execute").await;
    let e =
        no_hang("SLEEP(%s)", query_scalar::<i64>("SELECT SLEEP(%s)").bind(30).fetch_one(&mut conn)).await.unwrap_err();
    assert_stopped_by_server(&e);
    assert!(session_status(&mut conn, "Com_stmt_execute").await > executes, "the query did not run prepared");
    wait_idle_on_server(&mut side, conn.thread_id()).await;
    // The same SQL and timeout reuse the statement prepared with the prefix; a short sleep
    // finishes within the limit.
    let v: i64 = query_scalar("SELECT SLEEP(%s)").bind(0).fetch_one(&mut conn).await.unwrap();
    assert_eq!(v, 0);
    // Without a timeout the same SQL is another statement (the cache key has the prefix):
    // a sleep past the old limit completes.
    let v: i64 = query_scalar("SELECT SLEEP(%s)").bind(0.4).timeout(Duration::ZERO).fetch_one(&mut conn).await.unwrap();
    assert_eq!(v, 0);
    let token = unique_name("prep");
    let got: String = query_scalar("SELECT %s").bind(&token).fetch_one(&mut conn).await.unwrap();
    assert_eq!(got, token);
}

#[tokio::test]
async fn cursor_execute_is_stopped_by_the_server() {
    let mut conn = connect(opts()).await;
    let mut side = connect(opts()).await;
    let id = conn.thread_id();
    {
        let mut cur = conn.cursor();
        cur.set_timeout(Some(LIMIT));
        assert_eq!(cur.timeout(), Some(LIMIT));
        let e = no_hang("cursor SLEEP(30)", cur.execute("SELECT SLEEP(30)", ())).await.unwrap_err();
        assert_stopped_by_server(&e);
        // The cursor stays usable too.
        let token = unique_name("cur");
        cur.execute("SELECT %s", (&token,)).await.unwrap();
        let row = cur.fetchone().await.unwrap().unwrap();
        assert_eq!(row.get::<String, _>(0).unwrap(), token);
    }
    wait_idle_on_server(&mut side, id).await;
    answers_token(&mut conn, "cursor").await;
}

#[tokio::test]
async fn statement_the_server_does_not_cover_is_killed() {
    // MariaDB's SET STATEMENT covers the first statement of a multi-statement query only:
    // the second SLEEP runs unbounded on the server, and the client's deadline kills it.
    let after = Duration::from_millis(300);
    let mut conn = connect(opts()).await;
    let mut side = connect(opts()).await;
    let kills = global_status(&mut side, "Com_kill").await;
    let started = std::time::Instant::now();
    let e = no_hang("multi-statement", query("SELECT 1; SELECT SLEEP(30)").timeout(after).execute(&mut conn))
        .await
        .unwrap_err();
    eprintln!("killed after {:?}", started.elapsed());
    assert_killed(&e, after);
    assert!(global_status(&mut side, "Com_kill").await > kills, "no KILL was sent");
    // KILL QUERY, not KILL: the same session answers.
    wait_idle_on_server(&mut side, conn.thread_id()).await;
    answers_token(&mut conn, "killed").await;

    // The stream path under a per-query timeout.
    use futures_util::StreamExt;
    let mut s = query_scalar::<i64>("SELECT SLEEP(30)").timeout(after).fetch(&mut conn);
    let first = no_hang("stream", s.next()).await.unwrap().unwrap_err();
    assert!(first.is_statement_timeout(), "{first}");
    assert!(no_hang("stream end", s.next()).await.is_none());
    drop(s);
    answers_token(&mut conn, "stream").await;
}

#[tokio::test]
async fn a_timeout_does_not_leak_into_the_next_statement() {
    let mut conn = connect(opts()).await;
    let e = query_scalar::<i64>("SELECT SLEEP(30)").timeout(LIMIT).fetch_one(&mut conn).await.unwrap_err();
    assert_stopped_by_server(&e);
    // Longer than the last limit, and no limit now.
    let v: i64 = no_hang("next", query_scalar("SELECT SLEEP(0.5)").fetch_one(&mut conn)).await.unwrap();
    assert_eq!(v, 0);
    let t: String = query_scalar("SELECT @@max_statement_time").fetch_one(&mut conn).await.unwrap();
    assert_eq!(t.parse::<f64>().unwrap(), 0.0);

    // A connection-wide timeout: a per-query ZERO lifts it, a per-query one replaces it.
    let mut conn = connect(opts().statement_timeout(LIMIT)).await;
    let v: i64 = query_scalar("SELECT SLEEP(0.5)").timeout(Duration::ZERO).fetch_one(&mut conn).await.unwrap();
    assert_eq!(v, 0);
    let v: i64 = query_scalar("SELECT SLEEP(0.5)").timeout(Duration::from_secs(5)).fetch_one(&mut conn).await.unwrap();
    assert_eq!(v, 0);
    let e = query_scalar::<i64>("SELECT SLEEP(30)").fetch_one(&mut conn).await.unwrap_err();
    assert_stopped_by_server(&e);
    // The prefix leaves SET NAMES noticed (escaping follows the charset it names).
    query("SET NAMES latin1").execute(&mut conn).await.unwrap();
    assert_eq!(conn.charset(), "latin1");
}

#[tokio::test]
async fn url_option_sets_the_timeout() {
    let url =
        format!("{}{}statement_timeout=0.2", server().url(), if server().url().contains('?') { "&" } else { "?" });
    let mut conn = amysql::connect(url.as_str()).await.unwrap();
    let e = no_hang("url", query_scalar::<i64>("SELECT SLEEP(30)").fetch_one(&mut conn)).await.unwrap_err();
    assert_stopped_by_server(&e);
}

async fn pool(o: ConnectOptions) -> Pool {
    amysql::create_pool(o, PoolOptions::new().minsize(1).maxsize(1)).await.unwrap()
}

async fn pooled_thread_id(p: &Pool) -> u32 {
    let id: i64 = no_hang("acquire", query_scalar("SELECT CONNECTION_ID()").fetch_one(p)).await.unwrap();
    u32::try_from(id).unwrap()
}

#[tokio::test]
async fn kill_on_drop_stops_the_statement_and_frees_the_pool_slot() {
    let p = pool(opts().kill_on_drop(true)).await;
    let mut side = connect(opts()).await;
    let id = pooled_thread_id(&p).await;

    // A future dropped while the server sleeps.
    let dropped =
        tokio::time::timeout(Duration::from_millis(100), query_scalar::<i64>("SELECT SLEEP(30)").fetch_one(&p)).await;
    assert!(dropped.is_err(), "the query finished: {dropped:?}");
    let started = std::time::Instant::now();
    wait_idle_on_server(&mut side, id).await;
    eprintln!("server statement gone {:?} after the drop", started.elapsed());
    // The same connection is lent again (not a replacement), and is in step.
    assert_eq!(pooled_thread_id(&p).await, id);
    eprintln!("lent again {:?} after the drop", started.elapsed());

    // A stream dropped while the server sleeps.
    use futures_util::StreamExt;
    let mut s = query_scalar::<i64>("SELECT SLEEP(30)").fetch(&p);
    assert!(tokio::time::timeout(Duration::from_millis(100), s.next()).await.is_err());
    drop(s);
    wait_idle_on_server(&mut side, id).await;
    assert_eq!(pooled_thread_id(&p).await, id);

    // A borrowed connection: the next command waits for the kill, then answers.
    let mut conn = connect(opts().kill_on_drop(true)).await;
    let f = query_scalar::<i64>("SELECT SLEEP(30)").fetch_one(&mut conn);
    assert!(tokio::time::timeout(Duration::from_millis(100), f).await.is_err());
    answers_token(&mut conn, "borrowed").await;
    assert_ne!(running(&mut side, conn.thread_id()).await.as_deref(), Some("SELECT SLEEP(30)"));
}

#[tokio::test]
async fn without_kill_on_drop_the_statement_runs_to_its_end() {
    // Today's behaviour: the server finishes the statement; the pool reads its response
    // and lends the connection again after that (within its recycle timeout).
    let p = pool(opts()).await;
    let mut side = connect(opts()).await;
    let id = pooled_thread_id(&p).await;
    let dropped =
        tokio::time::timeout(Duration::from_millis(100), query_scalar::<i64>("SELECT SLEEP(2)").fetch_one(&p)).await;
    assert!(dropped.is_err());
    assert_eq!(running(&mut side, id).await.as_deref(), Some("SELECT SLEEP(2)"));
    assert_eq!(pooled_thread_id(&p).await, id);
    // (The process list may still show the query just answered: the server updates it
    // after sending the response.)
    assert_ne!(running(&mut side, id).await.as_deref(), Some("SELECT SLEEP(2)"));
}

#[tokio::test]
async fn query_futures_stay_send() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    let p = pool(opts().statement_timeout(LIMIT).kill_on_drop(true)).await;
    let h = tokio::spawn(async move {
        let v: i64 = send(query_scalar("SELECT %s").bind(7).timeout(LIMIT).fetch_one(&p)).await.unwrap();
        v
    });
    assert_eq!(h.await.unwrap(), 7);
}

#[tokio::test]
async fn lock_wait_timeout_is_set_in_the_connect_round_trip() {
    let o = opts().lock_wait_timeout(Duration::from_secs(1)).sql_mode("ANSI_QUOTES").autocommit(false);
    let mut conn = connect(o).await;
    // One SET statement for all three session options.
    assert_eq!(session_status(&mut conn, "Com_set_option").await, 1);
    let row = conn.query_text("SELECT @@innodb_lock_wait_timeout, @@sql_mode, @@autocommit").await.unwrap();
    assert_eq!(row, vec![vec![Some("1".into()), Some("ANSI_QUOTES".into()), Some("0".into())]]);
    conn.reset().await.unwrap();
    let row = conn.query_text("SELECT @@innodb_lock_wait_timeout, @@autocommit").await.unwrap();
    assert_eq!(row, vec![vec![Some("1".into()), Some("0".into())]]);
    conn.query_drop("SET autocommit = 1").await.unwrap();

    // A real lock wait ends after it with 1205.
    let table = unique_name("lockwait");
    let mut holder = connect(opts()).await;
    holder.query_drop(&format!("CREATE TABLE test.{table} (id INT PRIMARY KEY) ENGINE=InnoDB")).await.unwrap();
    holder.query_drop(&format!("INSERT INTO test.{table} VALUES (1)")).await.unwrap();
    holder.query_drop("BEGIN").await.unwrap();
    holder.query_drop(&format!("SELECT * FROM test.{table} WHERE id = 1 FOR UPDATE")).await.unwrap();
    let e = no_hang("lock wait", conn.query_drop(&format!("UPDATE test.{table} SET id = 2 WHERE id = 1")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(1205), "{e}");
    holder.query_drop("ROLLBACK").await.unwrap();
    holder.query_drop(&format!("DROP TABLE test.{table}")).await.unwrap();
}

/// MySQL has no SET STATEMENT: the limit goes into a `MAX_EXECUTION_TIME` hint after a
/// leading SELECT (only there), and its error 3024 is a statement timeout. Scripted
/// MySQL 8 server, since the harness runs MariaDB.
#[tokio::test]
async fn mysql_gets_the_hint_after_select_only() {
    use amysql_tests::fake_server::scripted::{err, ok, Script, ScriptedServer};
    let script = Script::mysql8()
        .then(err(1, 3024, "HY000", "Query execution was interrupted, maximum statement execution time exceeded"))
        .then(ok(1, 3, 2));
    let server = ScriptedServer::start(script).await;
    let o = server.options().statement_timeout(LIMIT).read_timeout(Duration::from_secs(5));
    let mut conn = amysql::connect(o).await.unwrap();
    assert!(!conn.is_mariadb());
    let e = query_scalar::<i64>("select SLEEP(%s)").bind(30).fetch_one(&mut conn).await.unwrap_err();
    assert_stopped_by_server(&e);
    let r = query("UPDATE t SET a = 1").execute(&mut conn).await.unwrap();
    assert_eq!(r.rows_affected, 3);
    let sent = server.received_packets();
    assert_eq!(&sent[0][1][4..], b"\x03select /*+ MAX_EXECUTION_TIME(200) */ SLEEP(30)");
    assert_eq!(&sent[0][2][4..], b"\x03UPDATE t SET a = 1");
}
