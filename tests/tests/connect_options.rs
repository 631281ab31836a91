//! PyMySQL's remaining `connect()` arguments against real servers: option files,
//! found_rows, collation, client_flag, bind_address, ssl_key_password, connect_attr, the
//! password provider (with a pool across a password change), and a custom `dialog`
//! authentication plugin against the fake server.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use amysql::{AuthContext, AuthPlugin, ConnectOptions, Connection, Error, PoolOptions, SslMode};
use amysql_tests::fake_server::{FakeConfig, FakeServer, DIALOG_CODE};
use amysql_tests::*;

async fn scalar(c: &mut Connection, sql: &str) -> Option<String> {
    let rows = c.query_text(sql).await.unwrap();
    rows.into_iter().next().and_then(|r| r.into_iter().next()).flatten()
}

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(unique_name(&format!("amysql-connopts-{tag}")));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test]
async fn connect_through_an_option_file() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let d = tmp_dir("file");
    std::fs::create_dir_all(d.join("conf.d")).unwrap();
    // [client] has the wrong account; the named group (in an included dir) fixes it.
    write(&d, "conf.d/app.cnf", &format!("[amysql_app]\nuser = {USER}\npassword = \"{PASSWORD}\"\n"));
    let main = write(
        &d,
        "my.cnf",
        &format!(
            "[client]\nhost = {}\nport = {}\nuser = nobody\npassword = wrong # not this\ndatabase = {}\n\
             connect-timeout = 5\n\n[mysql]\nno-auto-rehash\n!includedir conf.d\n",
            s.host(),
            s.port(),
            s.db()
        ),
    );
    let opts = ConnectOptions::new().read_default_file(&main).read_default_group("amysql_app");
    let mut c = amysql::connect(opts.clone()).await.unwrap();
    assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(USER));
    assert_eq!(scalar(&mut c, "SELECT DATABASE()").await.as_deref(), Some(s.db()));
    // An explicit option wins over the file, whichever came first.
    let mut c =
        amysql::connect(ConnectOptions::new().db("mysql").read_default_file(&main).read_default_group("amysql_app"))
            .await
            .unwrap();
    assert_eq!(scalar(&mut c, "SELECT DATABASE()").await.as_deref(), Some("mysql"));
    // Without the group, [client]'s wrong account is used and refused by the server.
    let e = amysql::connect(ConnectOptions::new().read_default_file(&main)).await.unwrap_err();
    assert_eq!(e.code(), Some(1045), "{e}");
    // The same through a URL with no host: everything comes from the file.
    let url = format!("mysql:///?read_default_file={}&read_default_group=amysql_app", main.display());
    let mut c = amysql::connect(url.as_str()).await.unwrap();
    assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(USER));
    // The socket from a file.
    if let Some(sock) = s.socket_path() {
        let f = write(
            &d,
            "sock.cnf",
            &format!("[client]\nsocket = {}\nuser = {USER}\npassword = {PASSWORD}\n", sock.display()),
        );
        let mut c = amysql::connect(ConnectOptions::new().read_default_file(f)).await.unwrap();
        assert_eq!(c.query_text("SHOW STATUS LIKE 'Ssl_version'").await.unwrap()[0][1].as_deref(), Some(""));
        assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(USER));
    }
}

#[tokio::test]
async fn malformed_or_missing_option_files_fail_the_connect_without_the_password() {
    let d = tmp_dir("bad");
    let secret = "Qx7Pw3Secret";
    let bad = write(&d, "bad.cnf", &format!("[client]\nuser = u\npassword = '{secret}\nport = 1\n"));
    let e = amysql::connect(ConnectOptions::new().read_default_file(&bad)).await.unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(matches!(e, Error::Interface(_)), "{e:?}");
    assert!(text.contains(&format!("{} line 3", bad.display())) && text.contains("unterminated quote"), "{text}");
    assert!(!text.contains(secret), "{text}");
    let e = amysql::connect(ConnectOptions::new().read_default_file(d.join("absent.cnf"))).await.unwrap_err();
    assert!(e.to_string().contains("absent.cnf"), "{e}");
    let port = write(&d, "port.cnf", "[client]\nhost = 127.0.0.1\nport = not-a-port\n");
    let e = amysql::connect(ConnectOptions::new().read_default_file(&port)).await.unwrap_err();
    assert!(e.to_string().contains("line 3: `port` must be a port number"), "{e}");
}

#[tokio::test]
async fn found_rows_reports_matched_rows() {
    let s = server();
    let table = unique_name("found_rows");
    let mut c = amysql::connect(s.url().as_str()).await.unwrap();
    c.query_drop(&format!("CREATE TABLE {table} (id INT PRIMARY KEY, v INT)")).await.unwrap();
    c.query_drop(&format!("INSERT INTO {table} VALUES (1, 10)")).await.unwrap();
    let update = format!("UPDATE {table} SET v = v WHERE id = 1");
    assert_eq!(c.query_drop(&update).await.unwrap().rows_affected, 0, "changed rows without found_rows");
    let opts: ConnectOptions = s.url().parse().unwrap();
    let mut f = amysql::connect(opts.clone().found_rows(true)).await.unwrap();
    assert_eq!(f.query_drop(&update).await.unwrap().rows_affected, 1, "matched rows with found_rows");
    // The same bit through client_flag (pymysql.constants.CLIENT.FOUND_ROWS = 2).
    let mut g = amysql::connect(opts.client_flag(2)).await.unwrap();
    assert_eq!(g.query_drop(&update).await.unwrap().rows_affected, 1);
    c.query_drop(&format!("DROP TABLE {table}")).await.unwrap();
}

#[tokio::test]
async fn client_flag_refuses_what_it_cannot_honour() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    for (flag, word) in [(32, "compression"), (128, "local_infile"), (2048, "ssl_mode"), (1 << 29, "unknown")] {
        let e = amysql::connect(opts.clone().client_flag(flag)).await.unwrap_err();
        assert!(matches!(e, Error::Interface(_)) && e.to_string().contains(word), "{flag}: {e}");
    }
    // Bits amysql negotiates itself are accepted (ported code passes them).
    amysql::connect(opts.client_flag(512 | (1 << 16) | (1 << 17))).await.unwrap();
}

#[tokio::test]
async fn collation_is_applied_and_survives_reset() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(opts.clone().collation("utf8mb4_bin")).await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@collation_connection").await.as_deref(), Some("utf8mb4_bin"));
    c.reset().await.unwrap();
    assert_eq!(scalar(&mut c, "SELECT @@collation_connection").await.as_deref(), Some("utf8mb4_bin"));
    assert_eq!(scalar(&mut c, "SELECT 'a' = 'A'").await.as_deref(), Some("0"));
    let e = amysql::connect(opts.clone().collation("latin1_swedish_ci")).await.unwrap_err();
    assert!(e.as_server().is_some(), "a collation of another charset is the server's refusal: {e}");
    let e = amysql::connect(opts.collation("x; DROP TABLE t")).await.unwrap_err();
    assert!(matches!(e, Error::Interface(_)), "{e}");
}

#[tokio::test]
async fn bind_address_sets_the_local_address() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let opts: ConnectOptions = s.url().parse().unwrap();
    // All of 127.0.0.0/8 is loopback on Linux; the server sees the chosen source.
    let mut c =
        amysql::connect(opts.clone().host("127.0.0.1").bind_address("127.0.0.2".parse().unwrap())).await.unwrap();
    let host = scalar(&mut c, "SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()").await;
    assert!(host.as_deref().unwrap_or("").starts_with("127.0.0.2:"), "{host:?}");
    // No server address of the bind address's family: a clear connect error.
    let e = amysql::connect(opts.host("127.0.0.1").bind_address("::1".parse().unwrap())).await.unwrap_err();
    assert!(e.to_string().contains("bind_address"), "{e}");
}

#[tokio::test]
async fn encrypted_client_key_with_ssl_key_password() {
    let s = server();
    let (Some(ca), Some(cert), Some(key)) = (s.ca_path(), s.client_cert_path(), s.client_key_path()) else { return };
    let d = tmp_dir("key");
    let encrypted = d.join("client-key.enc.pem");
    let out = std::process::Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:k3y-Pass"])
        .arg("-in")
        .arg(key)
        .arg("-out")
        .arg(&encrypted)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&encrypted).unwrap().contains("BEGIN ENCRYPTED PRIVATE KEY"));
    let opts: ConnectOptions = s.url_for(X509_USER, X509_PASSWORD).parse().unwrap();
    let opts = opts.ssl_mode(SslMode::VerifyCa).ssl_ca(ca).ssl_cert(cert).ssl_key(&encrypted);
    let mut c = amysql::connect(opts.clone().ssl_key_password("k3y-Pass")).await.unwrap();
    assert!(scalar(&mut c, "SELECT CURRENT_USER()").await.unwrap().starts_with(X509_USER));
    let e = amysql::connect(opts.clone().ssl_key_password("Wr0ng-Pass")).await.unwrap_err();
    assert!(matches!(e, Error::Tls(_)) && e.to_string().contains("ssl_key_password"), "{e}");
    assert!(!format!("{e} {e:?}").contains("Wr0ng"), "{e}");
    // Without the passphrase the encrypted key cannot be used.
    assert!(amysql::connect(opts).await.is_err());
}

#[tokio::test]
async fn extra_connect_attributes_are_sent() {
    let server = FakeServer::start(FakeConfig::new("mysql_native_password")).await;
    let opts: ConnectOptions = server.url().parse().unwrap();
    amysql::connect(opts.program_name("svc").connect_attr("tenant", "t-42").connect_attr("program_name", "override"))
        .await
        .unwrap();
    let log = server.log();
    assert!(log.contains(&"attr:tenant=t-42".to_string()), "{log:?}");
    assert!(log.contains(&"attr:program_name=override".to_string()), "{log:?}");
    assert!(!log.contains(&"attr:program_name=svc".to_string()), "{log:?}");
}

#[tokio::test]
async fn provider_errors_are_connection_errors_with_its_message() {
    let opts: ConnectOptions = server().url().parse().unwrap();
    let e = amysql::connect(opts.password_provider(|| async { Err::<String, _>("vault is sealed".to_string()) }))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Auth(_)) && e.to_string().contains("vault is sealed"), "{e}");
}

#[tokio::test]
async fn pool_follows_a_rotated_password_through_the_provider() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let user = unique_name("rot");
    s.cli(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'first-pw'")).unwrap();
    let current = Arc::new(Mutex::new("first-pw".to_string()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (p, n) = (Arc::clone(&current), Arc::clone(&calls));
    let opts =
        ConnectOptions::new().host(s.host()).port(s.port()).user(&user).password("stale-fixed").password_provider(
            move || {
                let p = Arc::clone(&p);
                n.fetch_add(1, Ordering::SeqCst);
                async move { Ok::<_, std::io::Error>(p.lock().unwrap().clone()) }
            },
        );
    let pool = amysql::create_pool(opts, PoolOptions::new().minsize(1).maxsize(3)).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one connection, one call");
    let mut old = pool.acquire().await.unwrap();
    let old_id = old.thread_id();

    s.cli(&format!("ALTER USER '{user}'@'%' IDENTIFIED BY 'second-pw'")).unwrap();
    *current.lock().unwrap() = "second-pw".to_string();

    // The pool's only connection is checked out: this opens a new one with the new password.
    let mut fresh = tokio::time::timeout(Duration::from_secs(10), pool.acquire()).await.unwrap().unwrap();
    assert_ne!(fresh.thread_id(), old_id);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(scalar(&mut fresh, "SELECT CURRENT_USER()").await.unwrap().starts_with(&user));
    // The connection authenticated with the old password keeps working.
    assert_eq!(scalar(&mut old, "SELECT 7").await.as_deref(), Some("7"));
    // Returned and reused: no new connection, no call.
    drop(fresh);
    let again = pool.acquire().await.unwrap();
    drop(again);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    drop(old);
    pool.close();
    s.cli(&format!("DROP USER '{user}'@'%'")).unwrap();
}

/// MariaDB's `dialog` client plugin: answer each question, the password for password
/// questions (type 4/5) and a one-time code for the others.
struct Dialog {
    code: String,
}

impl Dialog {
    fn answer(&self, ctx: &AuthContext, question: &[u8]) -> amysql::Result<Vec<u8>> {
        let kind = *question.first().ok_or_else(|| Error::Auth("dialog: empty question".into()))?;
        let mut reply = match kind & !1 {
            4 => ctx.password().to_vec(),
            2 => self.code.as_bytes().to_vec(),
            _ => return Err(Error::Auth(format!("dialog: unknown question type {kind}"))),
        };
        reply.push(0);
        Ok(reply)
    }
}

impl AuthPlugin for Dialog {
    fn first_response(&self, ctx: &mut AuthContext) -> amysql::Result<Vec<u8>> {
        let question = ctx.data().to_vec();
        self.answer(ctx, &question)
    }
    fn next_response(&self, ctx: &mut AuthContext, data: &[u8]) -> amysql::Result<Option<Vec<u8>>> {
        self.answer(ctx, data).map(Some)
    }
}

#[tokio::test]
async fn custom_dialog_plugin_against_the_fake_server() {
    let mut cfg = FakeConfig::new("dialog");
    cfg.switch_from = Some("mysql_native_password");
    let server = FakeServer::start(cfg).await;
    let opts: ConnectOptions = server.url().parse().unwrap();

    // Without a plugin for it: a clear error naming the plugin and how to add one.
    let e = amysql::connect(opts.clone()).await.unwrap_err();
    assert!(e.to_string().contains("`dialog`") && e.to_string().contains("auth_plugin"), "{e}");

    server.clear_log();
    let mut c = amysql::connect(opts.clone().auth_plugin("dialog", Dialog { code: DIALOG_CODE.into() })).await.unwrap();
    c.ping().await.unwrap();
    let log = server.log();
    for event in ["auth-switch", "dialog-code-ok", "dialog-password-ok", "auth-ok"] {
        assert!(log.contains(&event.to_string()), "{event}: {log:?}");
    }
    // A wrong code is the server's refusal.
    let e = amysql::connect(opts.auth_plugin("dialog", Dialog { code: "000000".into() })).await.unwrap_err();
    assert_eq!(e.code(), Some(1045), "{e}");
    assert!(server.logged("dialog-code-mismatch"));
}

#[tokio::test]
async fn a_registered_plugin_replaces_a_built_in_one() {
    /// Sends the native scramble of a different password: proves the registered plugin ran.
    struct WrongNative;
    impl AuthPlugin for WrongNative {
        fn first_response(&self, ctx: &mut AuthContext) -> amysql::Result<Vec<u8>> {
            Ok(amysql::protocol::auth::scramble_native(b"not-it", ctx.data()))
        }
        fn next_response(&self, _: &mut AuthContext, _: &[u8]) -> amysql::Result<Option<Vec<u8>>> {
            Ok(None)
        }
    }
    let server = FakeServer::start(FakeConfig::new("mysql_native_password")).await;
    let opts: ConnectOptions = server.url().parse().unwrap();
    amysql::connect(opts.clone()).await.unwrap();
    let e = amysql::connect(opts.auth_plugin("mysql_native_password", WrongNative)).await.unwrap_err();
    assert_eq!(e.code(), Some(1045), "{e}");
}
