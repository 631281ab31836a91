//! Core connection tests against the private MariaDB: transports, auth plugins, errors,
//! large packets, multi-results and the connection-level commands.

use std::time::{Duration, Instant};

use amysql::{ConnectOptions, Connection, ErrorKind, SslMode};
use amysql_tests::*;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

async fn scalar(c: &mut Connection, sql: &str) -> Option<String> {
    let rows = c.query_text(sql).await.unwrap();
    rows.into_iter().next().and_then(|r| r.into_iter().next()).flatten()
}

fn assert_send<T: Send>(_: &T) {}

#[tokio::test]
async fn connect_over_tcp_and_query() {
    let mut c = conn().await;
    assert_send(&c);
    assert!(c.server_version().contains("MariaDB"), "{}", c.server_version());
    assert!(c.thread_id() > 0);
    assert_eq!(scalar(&mut c, "SELECT CONNECTION_ID()").await.unwrap(), c.thread_id().to_string());
    assert_eq!(
        c.query_text("SELECT 1, NULL, 'x'").await.unwrap(),
        vec![vec![Some("1".into()), None, Some("x".into())]]
    );
    c.close().await.unwrap();
}

#[tokio::test]
async fn connect_over_unix_socket() {
    let Some(url) = server().socket_url() else { return };
    let mut c = amysql::connect(url.as_str()).await.unwrap();
    let (_, via) = (0, scalar(&mut c, "SELECT @@socket").await);
    assert!(via.is_some());
    // Over a socket, the server reports the transport as a socket connection.
    let proto = c.query_text("SHOW STATUS LIKE 'Ssl_version'").await.unwrap();
    assert_eq!(proto[0][1].as_deref(), Some(""));
}

#[tokio::test]
async fn connect_over_tls_each_mode() {
    let s = server();
    let Some(ca) = s.ca_path() else { return };
    for mode in [SslMode::Preferred, SslMode::Required, SslMode::VerifyCa, SslMode::VerifyIdentity] {
        let opts: ConnectOptions = s.url().parse().unwrap();
        let mut c = amysql::connect(opts.ssl_mode(mode).ssl_ca(ca).host("127.0.0.1")).await.unwrap();
        let rows = c.query_text("SHOW STATUS LIKE 'Ssl_version'").await.unwrap();
        let version = rows[0][1].clone().unwrap_or_default();
        assert!(version.starts_with("TLS"), "{mode:?}: Ssl_version = {version:?}");
    }
    let opts: ConnectOptions = s.url().parse().unwrap();
    let mut c = amysql::connect(opts.ssl_mode(SslMode::Disabled)).await.unwrap();
    let rows = c.query_text("SHOW STATUS LIKE 'Ssl_version'").await.unwrap();
    assert_eq!(rows[0][1].as_deref(), Some(""));
}

#[tokio::test]
async fn verify_identity_rejects_wrong_name_and_verify_ca_rejects_unknown_ca() {
    let s = server();
    let Some(ca) = s.ca_path() else { return };
    // The certificate names 127.0.0.1 and localhost. Reach the server through a proxy on
    // 127.0.0.2 (another loopback address), a name the certificate does not carry.
    let proxy = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let proxy_port = proxy.local_addr().unwrap().port();
    let upstream = s.port();
    let relay = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = proxy.accept().await {
            tokio::spawn(async move {
                let mut out = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
            });
        }
    });
    let opts: ConnectOptions = s.url().parse().unwrap();
    let opts = opts.host("127.0.0.2").port(proxy_port).ssl_mode(SslMode::VerifyIdentity).ssl_ca(ca);
    let e = amysql::connect(opts.clone()).await.unwrap_err();
    assert!(matches!(e, amysql::Error::Tls(_)), "{e}");
    // verify_ca ignores the name.
    amysql::connect(opts.ssl_mode(SslMode::VerifyCa)).await.unwrap();
    // No CA given: verify_identity falls back to the public web roots, which do not know
    // our test CA (verify_ca without a CA is refused outright, see below).
    let opts: ConnectOptions = s.url().parse().unwrap();
    let e = amysql::connect(opts.ssl_mode(SslMode::VerifyIdentity).host("127.0.0.1")).await.unwrap_err();
    assert!(matches!(e, amysql::Error::Tls(_)), "{e}");
    relay.abort();
}

/// verify_ca without ssl_ca would accept any publicly trusted certificate for any name;
/// it is refused before the client even connects.
#[tokio::test]
async fn verify_ca_without_ssl_ca_is_refused_before_connecting() {
    use amysql_tests::fake_server::{test_tls_config, FakeConfig, FakeServer};
    let (tls, _ca) = test_tls_config();
    let mut cfg = FakeConfig::new("mysql_native_password");
    cfg.tls = Some(tls);
    let fake = FakeServer::start(cfg).await;
    let e = amysql::connect(format!("{}?ssl-mode=verify_ca", fake.url()).as_str()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(e.to_string().contains("ssl_ca") && e.to_string().contains("verify_identity"), "{e}");
    let opts: ConnectOptions = fake.url().parse().unwrap();
    let e = amysql::connect(opts.ssl_mode(SslMode::VerifyCa)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface, "{e}");
    assert!(fake.log().is_empty(), "nothing may be sent under the refused setting: {:?}", fake.log());
}

#[tokio::test]
async fn each_auth_plugin_user() {
    let s = server();
    if !s.is_private() {
        return;
    }
    for (user, pw) in [(USER, PASSWORD), (NOPW_USER, ""), (ED25519_USER, ED25519_PASSWORD)] {
        let mut c = amysql::connect(s.url_for(user, pw).as_str()).await.unwrap_or_else(|e| panic!("{user}: {e}"));
        let me = scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap();
        assert!(me.starts_with(user), "{me}");
    }
    // REQUIRE SSL: works with TLS, refused without.
    let url = s.url_for(SSL_USER, SSL_PASSWORD);
    amysql::connect(url.as_str()).await.unwrap();
    let opts: ConnectOptions = url.parse().unwrap();
    let e = amysql::connect(opts.ssl_mode(SslMode::Disabled)).await.unwrap_err();
    assert_eq!(e.code(), Some(1045), "{e}");
    // REQUIRE X509: needs the client certificate.
    let url = s.url_for(X509_USER, X509_PASSWORD);
    assert!(amysql::connect(url.as_str()).await.is_err());
    let opts: ConnectOptions = url.parse().unwrap();
    let opts = opts.ssl_cert(s.client_cert_path().unwrap()).ssl_key(s.client_key_path().unwrap());
    amysql::connect(opts).await.unwrap();
}

#[tokio::test]
async fn wrong_password_is_1045_without_the_password() {
    let e = amysql::connect(server().url_for(USER, "not-the-password").as_str()).await.unwrap_err();
    assert_eq!(e.code(), Some(1045));
    assert_eq!(e.kind(), ErrorKind::Operational);
    let s = e.as_server().unwrap();
    assert_eq!(s.sqlstate(), Some("28000"));
    assert!(!format!("{e} {e:?}").contains("not-the-password"));
    let e = amysql::connect(server().url_for(ED25519_USER, "nope").as_str()).await.unwrap_err();
    assert_eq!(e.code(), Some(1045));
}

#[tokio::test]
async fn unknown_database_is_1049() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let e = amysql::connect(opts.db("no_such_db_amysql")).await.unwrap_err();
    assert_eq!(e.code(), Some(1049), "{e}");
}

#[tokio::test]
async fn unreachable_port_is_2003_within_connect_timeout() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let opts = ConnectOptions::new().host("127.0.0.1").port(port).user("x").connect_timeout(Duration::from_secs(3));
    let e = amysql::connect(opts).await.unwrap_err();
    assert_eq!(e.code(), Some(2003), "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn silent_server_times_out_instead_of_hanging() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s); // accept and never speak
        }
    });
    let opts = ConnectOptions::new().host("127.0.0.1").port(port).user("x").connect_timeout(Duration::from_millis(500));
    let e = tokio::time::timeout(Duration::from_secs(10), amysql::connect(opts)).await.expect("hang").unwrap_err();
    assert!(matches!(e, amysql::Error::Timeout { what: "connect", .. }), "{e}");
    keep.abort();
}

#[tokio::test]
async fn server_closing_idle_connection_gives_error_not_hang() {
    let mut c = conn().await;
    c.query_drop("SET SESSION wait_timeout = 1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let e = tokio::time::timeout(Duration::from_secs(10), c.query_text("SELECT 1")).await.expect("hang").unwrap_err();
    assert!(matches!(e.code(), Some(2006) | Some(2013) | Some(4031)), "{e}");
    // And the connection stays failed rather than reading garbage.
    let e2 = c.query_text("SELECT 1").await.unwrap_err();
    assert_eq!(e2.code(), Some(2006), "{e2}");
}

#[tokio::test]
async fn twenty_mib_query_and_result() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.max_allowed_packet(64 << 20)).await.unwrap();
    let big = "x".repeat(20 << 20);
    let rows = c.query_text(&format!("SELECT LENGTH('{big}'), 'tail'")).await.unwrap();
    assert_eq!(rows[0][0].as_deref(), Some((20u64 << 20).to_string().as_str()));
    assert_eq!(rows[0][1].as_deref(), Some("tail"));
    let rows = c.query_text("SELECT REPEAT('ab', 10485760), 7").await.unwrap();
    let cell = rows[0][0].as_deref().unwrap();
    assert_eq!(cell.len(), 20 << 20);
    assert!(cell.starts_with("abab") && cell.ends_with("ab"));
    assert_eq!(rows[0][1].as_deref(), Some("7"));
    // Exactly one chunk's worth (16 MiB - 1) exercises the empty terminator packet.
    let rows = c.query_text("SELECT REPEAT('z', 16777211)").await.unwrap();
    assert_eq!(rows[0][0].as_ref().unwrap().len(), 16777211);
    assert_eq!(scalar(&mut c, "SELECT 'still in step'").await.as_deref(), Some("still in step"));
}

#[tokio::test]
async fn oversize_query_refused_client_side() {
    // An explicit limit; without one the server's own applies (hardening.rs).
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.max_allowed_packet(16 << 20)).await.unwrap();
    let big = "y".repeat(17 << 20);
    let e = c.query_text(&format!("SELECT '{big}'")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface);
    assert_eq!(scalar(&mut c, "SELECT 2").await.as_deref(), Some("2"));
}

#[tokio::test]
async fn multi_statement_results() {
    let mut c = conn().await;
    // query_text returns the first result set and reads the rest.
    assert_eq!(c.query_text("SELECT 1; SELECT 2").await.unwrap(), vec![vec![Some("1".into())]]);
    assert_eq!(scalar(&mut c, "SELECT 3").await.as_deref(), Some("3"));
    // An error in a later statement is reported, and the connection stays usable.
    let e = c.query_drop("SELECT 1; SELECT * FROM no_such_table_xyz; SELECT 3").await.unwrap_err();
    assert_eq!(e.code(), Some(1146));
    assert_eq!(scalar(&mut c, "SELECT 4").await.as_deref(), Some("4"));
}

#[tokio::test]
async fn ping_select_db_and_autocommit() {
    let mut c = conn().await;
    c.ping().await.unwrap();
    c.select_db("mysql").await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT DATABASE()").await.as_deref(), Some("mysql"));
    let e = c.select_db("no_such_db_amysql").await.unwrap_err();
    assert_eq!(e.code(), Some(1049));
    assert!(c.get_autocommit());
    c.autocommit(false).await.unwrap();
    assert!(!c.get_autocommit());
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").await.as_deref(), Some("0"));
    c.autocommit(true).await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").await.as_deref(), Some("1"));
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.autocommit(false).init_command("SET @amysql_init = 42")).await.unwrap();
    assert!(!c.get_autocommit());
    assert_eq!(scalar(&mut c, "SELECT @@autocommit").await.as_deref(), Some("0"));
    assert_eq!(scalar(&mut c, "SELECT @amysql_init").await.as_deref(), Some("42"));
}

#[tokio::test]
async fn reset_clears_session_state() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.init_command("SET @from_init = 'yes'")).await.unwrap();
    c.query_drop("SET @x = 5").await.unwrap();
    c.query_drop("CREATE TEMPORARY TABLE amysql_tmp_reset (a INT)").await.unwrap();
    c.reset().await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT @x").await, None);
    assert!(c.query_drop("SELECT * FROM amysql_tmp_reset").await.is_err());
    // init_command is re-applied after the reset.
    assert_eq!(scalar(&mut c, "SELECT @from_init").await.as_deref(), Some("yes"));
}

#[tokio::test]
async fn change_user_switches_identity() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let mut c = conn().await;
    c.change_user(NOPW_USER, "", Some("test")).await.unwrap();
    assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(NOPW_USER));
    c.change_user(ED25519_USER, ED25519_PASSWORD, None).await.unwrap();
    assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(ED25519_USER));
    let e = c.change_user(USER, "wrong", None).await.unwrap_err();
    assert_eq!(e.code(), Some(1045));
}

#[tokio::test]
async fn kill_another_connection() {
    let mut victim = conn().await;
    let mut killer = conn().await;
    killer.kill(victim.thread_id()).await.unwrap();
    let e =
        tokio::time::timeout(Duration::from_secs(10), victim.query_text("SELECT 1")).await.expect("hang").unwrap_err();
    assert!(e.is_connection_error() || matches!(e.code(), Some(1927) | Some(2013) | Some(2006)), "{e}");
    assert!(victim.query_text("SELECT 1").await.is_err());
}

#[tokio::test]
async fn statistics_and_warnings() {
    let mut c = conn().await;
    assert!(c.statistics().await.unwrap().contains("Uptime"));
    c.query_drop("SELECT CAST('abc' AS SIGNED)").await.unwrap();
    assert_eq!(c.warning_count(), 1);
    let w = c.show_warnings().await.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, 1292);
    assert_eq!(w[0].level, "Warning");
}

#[tokio::test]
async fn sql_mode_and_charset_options() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.clone().sql_mode("NO_BACKSLASH_ESCAPES,ANSI_QUOTES")).await.unwrap();
    assert!(c.no_backslash_escapes());
    assert_eq!(scalar(&mut c, "SELECT @@sql_mode").await.as_deref(), Some("ANSI_QUOTES,NO_BACKSLASH_ESCAPES"));
    let mut c = amysql::connect(opts.clone().charset("latin1")).await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@character_set_client").await.as_deref(), Some("latin1"));
    let e = amysql::connect(opts.charset("klingon")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface);
}

#[tokio::test]
async fn malformed_url_is_interface_error() {
    let e = amysql::connect("mysql://u:pw@h:notaport/db").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface);
    let e = Connection::connect("http://x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Interface);
}

#[tokio::test]
async fn debug_output_never_contains_the_password() {
    let url = server().url_for(USER, PASSWORD);
    let opts: ConnectOptions = url.parse().unwrap();
    let c = amysql::connect(opts.clone()).await.unwrap();
    let pool = amysql::create_pool(&opts, amysql::PoolOptions::new().minsize(1)).await.unwrap();
    let pooled = pool.acquire().await.unwrap();
    for text in [format!("{opts:?}"), format!("{c:?}"), format!("{pool:?}"), format!("{pooled:?}")] {
        assert!(!text.contains(PASSWORD), "{text}");
    }
    assert!(format!("{opts:?}").contains(USER));
}

#[tokio::test]
async fn read_timeout_fails_the_query_and_closes_the_connection() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.read_timeout(Duration::from_millis(300))).await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT 'quick'").await.as_deref(), Some("quick"));
    let e = c.query_text("SELECT SLEEP(3)").await.unwrap_err();
    assert!(matches!(e, amysql::Error::Timeout { what: "read", .. }), "{e}");
    // The late answer must never be read as the next query's result.
    assert!(c.is_broken());
    assert_eq!(c.query_text("SELECT 1").await.unwrap_err().code(), Some(2006));
}
