//! Tests of the test-server harness itself, using only the `mariadb` CLI.

use std::process::Command;

use amysql_tests::*;

/// Logs in over TCP as `user` with the CLI; `extra` adds TLS options.
fn login(user: &str, password: &str, extra: &[String]) -> Result<String, String> {
    let s = server();
    let out = Command::new("mariadb")
        .arg("--no-defaults")
        .arg("--protocol=tcp")
        .arg(format!("--host={}", s.host()))
        .arg(format!("--port={}", s.port()))
        .arg(format!("--user={user}"))
        .args(extra)
        .args(["-N", "-B", "-e", "SELECT CURRENT_USER()"])
        .env("MYSQL_PWD", password)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn variable(name: &str) -> String {
    server().cli(&format!("SHOW GLOBAL VARIABLES LIKE '{name}'")).unwrap()
}

#[test]
fn answers_select_1() {
    let s = server();
    eprintln!("server {} started in {:?}", s.url(), s.startup_time());
    assert_eq!(s.cli("SELECT 1").unwrap(), "1");
    assert_eq!(s.cli("SELECT DATABASE()").unwrap(), s.db());
}

#[test]
fn tls_and_local_infile_are_on() {
    if !server().is_private() {
        return;
    }
    assert_eq!(variable("have_ssl"), "have_ssl\tYES");
    assert_eq!(variable("local_infile"), "local_infile\tON");
    assert_eq!(variable("max_allowed_packet"), "max_allowed_packet\t268435456");
}

#[test]
fn ed25519_plugin_is_active() {
    if !server().is_private() {
        return;
    }
    let status =
        server().cli("SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'").unwrap();
    assert_eq!(status, "ACTIVE");
}

#[test]
fn users_exist_and_can_log_in() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let users = s.cli("SELECT CONCAT(User, '@', Host) FROM mysql.user ORDER BY 1").unwrap();
    for user in [USER, NOPW_USER, ED25519_USER, SSL_USER, X509_USER, BENCH_USER] {
        for host in ["%", "localhost"] {
            let account = format!("{user}@{host}");
            assert!(users.lines().any(|l| l == account), "{account} missing in:\n{users}");
        }
    }
    assert_eq!(login(USER, PASSWORD, &[]).unwrap(), "amysql@%");
    assert_eq!(login(NOPW_USER, "", &[]).unwrap(), "amysql_nopw@%");
    assert_eq!(login(BENCH_USER, BENCH_PASSWORD, &[]).unwrap(), "bench@%");
    assert_eq!(login(ED25519_USER, ED25519_PASSWORD, &[]).unwrap(), "amysql_ed25519@%");
    assert!(login(USER, "wrong", &[]).is_err());

    // REQUIRE SSL / X509: refused in plain text, accepted with (verified) TLS.
    let ca = format!("--ssl-ca={}", s.ca_path().unwrap().display());
    let tls = vec!["--ssl".to_string(), ca.clone(), "--ssl-verify-server-cert".into()];
    assert!(login(SSL_USER, SSL_PASSWORD, &["--skip-ssl".into()]).is_err());
    assert_eq!(login(SSL_USER, SSL_PASSWORD, &tls).unwrap(), "amysql_ssl@%");
    assert!(login(X509_USER, X509_PASSWORD, &tls).is_err());
    let mut x509 = tls.clone();
    x509.push(format!("--ssl-cert={}", s.client_cert_path().unwrap().display()));
    x509.push(format!("--ssl-key={}", s.client_key_path().unwrap().display()));
    assert_eq!(login(X509_USER, X509_PASSWORD, &x509).unwrap(), "amysql_x509@%");
}

#[test]
fn urls_have_the_documented_shape() {
    let s = server();
    if !s.is_private() {
        return;
    }
    let port = s.port();
    assert_eq!(s.url(), format!("mysql://amysql:amysql-pw@127.0.0.1:{port}/test"));
    assert_eq!(s.url_for("a b", "p@ss:/"), format!("mysql://a%20b:p%40ss%3A%2F@127.0.0.1:{port}/test"));
    assert_eq!(s.url_for(NOPW_USER, ""), format!("mysql://amysql_nopw@127.0.0.1:{port}/test"));
    let socket = s.socket_path().unwrap();
    assert!(socket.exists());
    assert_eq!(s.socket_url().unwrap(), format!("mysql://amysql:amysql-pw@localhost/test?socket={}", socket.display()));
}

#[test]
fn unique_names_differ() {
    let a = unique_name("t");
    let b = unique_name("t");
    assert_ne!(a, b);
    assert!(a.starts_with(&format!("t_{}_", std::process::id())));
}

#[test]
fn disposable_server_kill_and_restart() {
    let d = disposable();
    eprintln!("disposable server started in {:?}", d.startup_time());
    assert_ne!(d.port(), server().port());
    let table = unique_name("survives");
    d.cli(&format!("CREATE TABLE {table} (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO {table} VALUES (7)")).unwrap();
    let port = d.port();

    d.kill();
    let err = d.cli("SELECT 1").unwrap_err();
    assert!(err.contains("Can't connect"), "{err}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    d.restart();
    assert_eq!(d.port(), port);
    assert_eq!(d.cli(&format!("SELECT id FROM {table}")).unwrap(), "7");

    let dir = d.socket_path().unwrap().parent().unwrap().to_path_buf();
    drop(d);
    assert!(!dir.exists(), "{} not removed on drop", dir.display());
}

#[test]
#[should_panic(expected = "only for servers from amysql_tests::disposable()")]
fn shared_server_cannot_be_killed() {
    server().kill();
}
