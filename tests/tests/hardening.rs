//! Hardening against a corrupting network and a session that changes under the client:
//! one bad byte between client and a real MariaDB (through the corrupting proxy) never
//! yields another answer's data as `Ok`; escaping follows `SET NAMES`; the outgoing size
//! limit follows the server's. Hostile-server cases that need scripted bytes live in
//! `hostile_server.rs`.

use std::net::SocketAddr;

use amysql::{query_as, query_scalar, ConnectOptions, Connection, ErrorKind, SslMode};
use amysql_tests::*;

fn server_addr() -> SocketAddr {
    format!("{}:{}", server().host(), server().port()).parse().expect("server address")
}

/// Options for the test server, but through `proxy`, without TLS (which would catch a
/// corrupted byte itself, and whose records the proxy cannot read as packets).
fn via(proxy: &Proxy) -> ConnectOptions {
    let opts: ConnectOptions = server().url().parse().unwrap();
    opts.host("127.0.0.1").port(proxy.addr().port()).ssl_mode(SslMode::Disabled)
}

const FIFTY: &str = "SELECT seq FROM seq_1_to_50";

/// The packet index of row `n` (1-based) in FIFTY's response: column count, one
/// definition, then rows (DEPRECATE_EOF: no EOF after the definitions).
fn row_packet(n: usize) -> usize {
    1 + n
}

/// Every way of reading a 50-row result, each on a fresh connection through the proxy
/// with one mutation armed just before the query: an `Err` is the only acceptable
/// outcome — never `Ok` with fewer or other rows.
#[tokio::test]
async fn one_bad_byte_in_a_result_is_an_error_not_a_short_result() {
    let proxy = Proxy::start(server_addr()).await;
    for mutation in [Mutation::Seq(77), Mutation::FirstByte(0xfe), Mutation::Length(1), Mutation::Length(-1)] {
        for reader in ["query_text", "cursor", "sscursor", "typed", "prepared"] {
            let cache = if reader == "prepared" { 8 } else { 0 };
            let mut c = amysql::connect(via(&proxy).stmt_cache_size(cache)).await.unwrap();
            if reader == "prepared" {
                // Prepare first, so the armed packet index counts from the execute.
                let _: Vec<(i64,)> = query_as(FIFTY).fetch_all(&mut c).await.unwrap();
            }
            proxy.arm(row_packet(10), mutation);
            let got: amysql::Result<usize> = match reader {
                "query_text" => c.query_text(FIFTY).await.map(|r| r.len()),
                "cursor" => {
                    let mut cur = c.cursor();
                    match cur.execute(FIFTY, ()).await {
                        Ok(_) => cur.fetchall().await.map(|r| r.len()),
                        Err(e) => Err(e),
                    }
                }
                "sscursor" => {
                    let mut cur = c.ss_cursor();
                    match cur.execute(FIFTY, ()).await {
                        Ok(_) => cur.fetchall().await.map(|r| r.len()),
                        Err(e) => Err(e),
                    }
                }
                _ => query_as::<(i64,)>(FIFTY).fetch_all(&mut c).await.map(|r| r.len()),
            };
            match got {
                Err(e) => assert!(c.is_broken(), "{mutation:?} {reader}: {e} left the connection usable"),
                Ok(n) => panic!("{mutation:?} via {reader}: Ok with {n} rows after a corrupted packet"),
            }
            // A broken connection refuses every later command instead of reading leftovers.
            let e = c.query_text("SELECT 1").await.unwrap_err();
            assert!(e.is_connection_error(), "{e}");
        }
    }
}

/// A prepared connection whose stream was corrupted never answers a later query with
/// another query's packets: each answer is the right token or an error.
#[tokio::test]
async fn prepared_connection_never_returns_another_answer() {
    let proxy = Proxy::start(server_addr()).await;
    for (skip, mutation) in [(1, Mutation::Seq(9)), (1, Mutation::Length(3)), (0, Mutation::FirstByte(0x00))] {
        let mut c = amysql::connect(via(&proxy).stmt_cache_size(8)).await.unwrap();
        let warm: String = query_scalar("SELECT %s").bind("warm").fetch_one(&mut c).await.unwrap();
        assert_eq!(warm, "warm");
        proxy.arm(skip, mutation);
        let mut errors = 0;
        for i in 0..40 {
            let token = format!("token-{i}");
            match query_scalar::<String>("SELECT %s").bind(token.as_str()).fetch_all(&mut c).await {
                Ok(v) => assert_eq!(v, vec![token.clone()], "{mutation:?}: query {i} got another answer"),
                Err(_) => errors += 1,
            }
        }
        // The corruption is noticed (FirstByte(0) turns the column count into an OK
        // packet: the rest of that response then arrives as leftovers).
        assert!(errors > 0, "{mutation:?}: corruption went unnoticed");
    }
}

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

/// `SET NAMES gbk` sent as SQL: `%s` escaping would produce bytes that GBK reads as one
/// character followed by a bare quote, so every escaping API refuses from then on.
#[tokio::test]
async fn escaping_follows_set_names() {
    let mut c = conn().await;
    assert!(c.escape("x").is_ok());
    c.query_drop("SET NAMES gbk").await.unwrap();
    assert_eq!(c.charset(), "gbk");
    let hostile = "\u{5f00}' OR 1=1 -- "; // GBK 0xbf27-style payload: a lead byte and a quote
    let e = c.escape(hostile).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(e.to_string().contains("gbk"), "{e}");
    let mut cur = c.cursor();
    let e = cur.execute("SELECT %s", (hostile,)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    drop(cur);
    let e = amysql::query("SELECT %s").bind(hostile).fetch_all(&mut c).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    // A single-byte charset is followed too, and escaping works under it.
    c.query_drop("SET NAMES latin1").await.unwrap();
    assert_eq!(c.charset(), "latin1");
    assert_eq!(c.escape("it's").unwrap(), "'it\\'s'");
    // An unnamed change refuses until reset.
    c.query_drop("SET NAMES DEFAULT").await.unwrap();
    assert!(c.escape("x").is_err());
    c.reset().await.unwrap();
    assert_eq!(c.charset(), "utf8mb4");
    assert!(c.escape("x").is_ok());
    // Changes inside a multi-statement query and as character_set_client count too.
    c.query_drop("SELECT 1; SET character_set_client = big5").await.unwrap();
    assert!(c.escape("x").is_err());
    c.query_drop("SET NAMES utf8mb4").await.unwrap();
    assert!(c.escape("x").is_ok());
    // Text that merely mentions SET NAMES changes nothing.
    c.query_drop("SELECT 'x; SET NAMES gbk'").await.unwrap();
    assert!(c.escape("x").is_ok());
}

/// The prepared path follows a prepared `SET NAMES` too.
#[tokio::test]
async fn escaping_follows_prepared_set_names() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.stmt_cache_size(8)).await.unwrap();
    amysql::query("SET NAMES gbk").execute(&mut c).await.unwrap();
    assert!(c.escape("x").is_err());
}

/// With no limit configured, a command over 16 MiB asks the server for its
/// max_allowed_packet once and goes out when the server accepts it; one over the
/// server's limit is refused before it is sent, naming the limit.
#[tokio::test]
async fn outgoing_limit_follows_the_server() {
    // 32 MiB: above the client's provisional 16 MiB, below what this test sends last.
    server().cli("SET GLOBAL max_allowed_packet = 33554432").unwrap();
    let mut c = conn().await;
    let big = "x".repeat(20 << 20);
    let sql = format!("SELECT LENGTH('{big}')");
    assert_eq!(c.query_text(&sql).await.unwrap()[0][0].as_deref(), Some("20971520"));
    // Over the server's limit: refused before sending, and the connection stays usable.
    let e = c.query_text(&format!("SELECT LENGTH('{big}{big}')")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(e.to_string().contains("(33554432 bytes)"), "{e}");
    assert_eq!(c.query_text("SELECT 3").await.unwrap()[0][0].as_deref(), Some("3"));
    // The prepared path too.
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut p = amysql::connect(opts.clone().stmt_cache_size(8)).await.unwrap();
    let n: i64 = query_scalar("SELECT LENGTH(%s)").bind(big.as_str()).fetch_one(&mut p).await.unwrap();
    assert_eq!(n, 20 << 20);
    // An explicit option still wins.
    let mut small = amysql::connect(opts.max_allowed_packet(16 << 20)).await.unwrap();
    let e = small.query_text(&sql).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(e.to_string().contains("max_allowed_packet"), "{e}");
    assert_eq!(small.query_text("SELECT 2").await.unwrap()[0][0].as_deref(), Some("2"));
}
