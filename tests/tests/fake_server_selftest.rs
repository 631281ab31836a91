//! Drives the fake MySQL 8 server with a minimal hand-written client built on amysql's
//! `protocol::auth` functions, to show that each scripted exchange works end to end
//! before real amysql connections are pointed at it.

use std::net::IpAddr;
use std::sync::Arc;

use amysql::protocol::auth::{
    rsa_encrypt_password, scramble_caching_sha2, scramble_native, CACHING_SHA2_PASSWORD, MYSQL_NATIVE_PASSWORD,
    SHA256_PASSWORD,
};
use amysql_tests::fake_server::wire::{cap, put_lenenc_bytes, Cursor, Wire};
use amysql_tests::fake_server::{test_tls_config, FakeConfig, FakeServer, Scenario, TEST_RSA_PRIVATE_KEY_PEM};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Conn = Wire<Box<dyn Io>>;

#[derive(Default)]
struct ClientOpts {
    password: Option<String>,
    /// CA PEM: when set, send an SSLRequest and verify the server against it.
    tls_ca: Option<String>,
    /// The server's public key, when the client is configured with it up front.
    server_key: Option<String>,
}

/// The client's first answer for `plugin`, as libmysqlclient's plugins compute it.
fn auth_data(plugin: &str, password: &str, nonce: &[u8], secure: bool, key: Option<&str>) -> Vec<u8> {
    let pw = password.as_bytes();
    match plugin {
        MYSQL_NATIVE_PASSWORD => scramble_native(pw, nonce),
        CACHING_SHA2_PASSWORD => scramble_caching_sha2(pw, nonce),
        SHA256_PASSWORD if secure => [pw, b"\0"].concat(),
        SHA256_PASSWORD => match key {
            Some(pem) => rsa_encrypt_password(pw, nonce, pem.as_bytes()).unwrap(),
            None => vec![0x01],
        },
        other => panic!("self-test client does not speak {other}"),
    }
}

/// HandshakeV10 fields the client needs: capabilities, the 20-byte nonce, the plugin.
fn parse_handshake(hs: &[u8]) -> (u32, Vec<u8>, String) {
    let mut c = Cursor::new(hs, "handshake");
    assert_eq!(c.u8().unwrap(), 10);
    assert_eq!(c.null_terminated().unwrap(), b"8.0.36-fake");
    c.u32().unwrap(); // connection id
    let mut nonce = c.take(8).unwrap().to_vec();
    c.u8().unwrap();
    let caps_low = c.u16().unwrap();
    assert_eq!(c.u8().unwrap(), 255);
    c.u16().unwrap(); // status
    let caps = u32::from(caps_low) | u32::from(c.u16().unwrap()) << 16;
    assert_eq!(c.u8().unwrap(), 21);
    c.take(10).unwrap();
    nonce.extend_from_slice(c.null_terminated().unwrap());
    assert_eq!(nonce.len(), 20);
    let plugin = String::from_utf8(c.null_terminated().unwrap().to_vec()).unwrap();
    (caps, nonce, plugin)
}

/// Connects and authenticates; `Err((code, message))` when the server sends ERR.
async fn login(server: &FakeServer, opts: ClientOpts) -> Result<Conn, (u16, String)> {
    let cfg = server.config();
    let password = opts.password.unwrap_or_else(|| cfg.password.clone());
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut wire = Wire::new(tcp);
    let (server_caps, mut nonce, mut plugin) = parse_handshake(&wire.read_required().await.unwrap());

    let mut caps = cap::PROTOCOL_41
        | cap::SECURE_CONNECTION
        | cap::PLUGIN_AUTH
        | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
        | cap::CONNECT_WITH_DB
        | cap::CONNECT_ATTRS
        | cap::DEPRECATE_EOF;
    if opts.tls_ca.is_some() {
        assert!(server_caps & cap::SSL != 0, "server did not offer TLS");
        caps |= cap::SSL;
    }
    // The fixed-size head of HandshakeResponse41, which is also the whole SSLRequest.
    let mut fixed = caps.to_le_bytes().to_vec();
    fixed.extend_from_slice(&(16u32 << 20).to_le_bytes());
    fixed.push(255);
    fixed.extend_from_slice(&[0; 23]);
    let (mut wire, secure): (Conn, bool) = match &opts.tls_ca {
        Some(ca) => {
            wire.write(&fixed).await.unwrap();
            let (tcp, seq) = wire.into_parts();
            let name = ServerName::from(IpAddr::from([127, 0, 0, 1]));
            let tls = tls_connector(ca).connect(name, tcp).await.unwrap();
            (Wire::with_seq(Box::new(tls), seq), true)
        }
        None => {
            let (tcp, seq) = wire.into_parts();
            (Wire::with_seq(Box::new(tcp), seq), false)
        }
    };
    let key = opts.server_key.as_deref();

    let mut response = fixed;
    response.extend_from_slice(cfg.user.as_bytes());
    response.push(0);
    put_lenenc_bytes(&mut response, &auth_data(&plugin, &password, &nonce, secure, key));
    response.extend_from_slice(b"selftest_db\0");
    response.extend_from_slice(plugin.as_bytes());
    response.push(0);
    let mut attrs = Vec::new();
    put_lenenc_bytes(&mut attrs, b"_client_name");
    put_lenenc_bytes(&mut attrs, b"fake-server-selftest");
    put_lenenc_bytes(&mut response, &attrs);
    wire.write(&response).await.unwrap();

    loop {
        let packet = wire.read_required().await.unwrap();
        match packet.split_first() {
            Some((0x00, _)) => return Ok(wire),
            Some((0xff, rest)) => {
                let mut c = Cursor::new(rest, "ERR");
                let code = c.u16().unwrap();
                assert_eq!(c.take(6).unwrap(), b"#28000");
                return Err((code, String::from_utf8_lossy(c.rest()).into_owned()));
            }
            Some((0xfe, rest)) => {
                let mut c = Cursor::new(rest, "AuthSwitchRequest");
                plugin = String::from_utf8(c.null_terminated().unwrap().to_vec()).unwrap();
                nonce = c.rest().strip_suffix(&[0]).unwrap_or(c.rest()).to_vec();
                wire.write(&auth_data(&plugin, &password, &nonce, secure, key)).await.unwrap();
            }
            Some((0x01, [0x03])) if plugin == CACHING_SHA2_PASSWORD => {} // OK follows
            Some((0x01, [0x04])) if plugin == CACHING_SHA2_PASSWORD => {
                let reply = match (secure, key) {
                    (true, _) => [password.as_bytes(), b"\0"].concat(),
                    (false, Some(pem)) => rsa_encrypt_password(password.as_bytes(), &nonce, pem.as_bytes()).unwrap(),
                    (false, None) => vec![0x02],
                };
                wire.write(&reply).await.unwrap();
            }
            Some((0x01, pem)) => {
                assert!(pem.starts_with(b"-----BEGIN PUBLIC KEY-----"));
                let encrypted = rsa_encrypt_password(password.as_bytes(), &nonce, pem).unwrap();
                wire.write(&encrypted).await.unwrap();
            }
            _ => panic!("unexpected packet during auth: {packet:02x?}"),
        }
    }
}

fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

fn server_public_key_pem() -> String {
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(TEST_RSA_PRIVATE_KEY_PEM).unwrap();
    key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap()
}

/// COM_PING, `SELECT 1`, COM_QUIT: the post-auth commands the server supports.
async fn exercise(mut conn: Conn) {
    conn.reset_seq();
    conn.write(&[0x0e]).await.unwrap();
    assert_eq!(conn.read_required().await.unwrap(), [0x00, 0, 0, 2, 0, 0, 0]);

    conn.reset_seq();
    conn.write(b"\x03SELECT 1").await.unwrap();
    assert_eq!(conn.read_required().await.unwrap(), [1]);
    let coldef = conn.read_required().await.unwrap();
    let mut c = Cursor::new(&coldef, "column definition");
    assert_eq!(c.lenenc_bytes().unwrap(), b"def");
    for _ in 0..3 {
        c.lenenc_bytes().unwrap();
    }
    assert_eq!(c.lenenc_bytes().unwrap(), b"1");
    assert_eq!(conn.read_required().await.unwrap(), b"\x011"); // the row, text protocol
    assert_eq!(conn.read_required().await.unwrap(), [0xfe, 0, 0, 2, 0, 0, 0]);

    conn.reset_seq();
    conn.write(b"\x03DROP TABLE x").await.unwrap();
    assert_eq!(conn.read_required().await.unwrap()[..3], [0xff, 0x28, 0x04]); // 1064

    conn.reset_seq();
    conn.write(&[0x01]).await.unwrap();
    assert!(conn.read().await.unwrap().is_none(), "COM_QUIT closes the connection");
}

/// `expected` is a space-separated list of events that must all have been logged.
fn assert_log(server: &FakeServer, expected: &str) {
    let log = server.log();
    for e in expected.split_whitespace() {
        assert!(log.iter().any(|l| l == e), "missing {e:?} in {log:?}");
    }
}

#[tokio::test]
async fn native_password_ok_and_commands() {
    let server = FakeServer::start(FakeConfig::new(MYSQL_NATIVE_PASSWORD)).await;
    let conn = login(&server, ClientOpts::default()).await.unwrap();
    exercise(conn).await;
    assert_log(&server, "client-plugin:mysql_native_password db:selftest_db auth-ok ping quit");
    assert!(server.logged("query:SELECT 1"));
}

#[tokio::test]
async fn caching_sha2_fast_auth() {
    let server = FakeServer::start(FakeConfig::new(CACHING_SHA2_PASSWORD)).await;
    exercise(login(&server, ClientOpts::default()).await.unwrap()).await;
    assert_log(&server, "fast-auth-ok auth-ok");
    assert!(!server.logged("full-auth-requested"));
}

#[tokio::test]
async fn caching_sha2_full_auth_requests_public_key() {
    let cfg = FakeConfig { scenario: Scenario::FullAuth, ..FakeConfig::new(CACHING_SHA2_PASSWORD) };
    let server = FakeServer::start(cfg).await;
    exercise(login(&server, ClientOpts::default()).await.unwrap()).await;
    assert_log(&server, "full-auth-requested public-key-requested rsa-password-ok auth-ok");
}

#[tokio::test]
async fn caching_sha2_full_auth_with_known_public_key() {
    let cfg = FakeConfig { scenario: Scenario::FullAuth, ..FakeConfig::new(CACHING_SHA2_PASSWORD) };
    let server = FakeServer::start(cfg).await;
    let opts = ClientOpts { server_key: Some(server_public_key_pem()), ..Default::default() };
    login(&server, opts).await.unwrap();
    assert_log(&server, "full-auth-requested rsa-password-ok auth-ok");
    assert!(!server.logged("public-key-requested"));
}

#[tokio::test]
async fn caching_sha2_full_auth_over_tls_sends_cleartext() {
    let (tls, ca) = test_tls_config();
    let cfg = FakeConfig { scenario: Scenario::FullAuth, tls: Some(tls), ..FakeConfig::new(CACHING_SHA2_PASSWORD) };
    let server = FakeServer::start(cfg).await;
    let conn = login(&server, ClientOpts { tls_ca: Some(ca), ..Default::default() }).await.unwrap();
    exercise(conn).await;
    assert_log(&server, "ssl-request tls-established full-auth-requested cleartext-over-tls auth-ok");
}

#[tokio::test]
async fn sha256_password_requests_public_key() {
    let server = FakeServer::start(FakeConfig::new(SHA256_PASSWORD)).await;
    exercise(login(&server, ClientOpts::default()).await.unwrap()).await;
    assert_log(&server, "public-key-requested rsa-password-ok auth-ok");
}

#[tokio::test]
async fn sha256_password_over_tls_sends_cleartext() {
    let (tls, ca) = test_tls_config();
    let server = FakeServer::start(FakeConfig { tls: Some(tls), ..FakeConfig::new(SHA256_PASSWORD) }).await;
    login(&server, ClientOpts { tls_ca: Some(ca), ..Default::default() }).await.unwrap();
    assert_log(&server, "tls-established cleartext-over-tls auth-ok");
}

#[tokio::test]
async fn auth_switch_from_native_to_caching_sha2() {
    let cfg = FakeConfig { switch_from: Some(MYSQL_NATIVE_PASSWORD), ..FakeConfig::new(CACHING_SHA2_PASSWORD) };
    let server = FakeServer::start(cfg).await;
    exercise(login(&server, ClientOpts::default()).await.unwrap()).await;
    assert_log(&server, "client-plugin:mysql_native_password auth-switch fast-auth-ok auth-ok");
}

#[tokio::test]
async fn wrong_password_is_access_denied() {
    for (plugin, scenario) in [
        (MYSQL_NATIVE_PASSWORD, Scenario::FastAuth),
        (CACHING_SHA2_PASSWORD, Scenario::FastAuth),
        (CACHING_SHA2_PASSWORD, Scenario::FullAuth),
        (SHA256_PASSWORD, Scenario::FastAuth),
    ] {
        let server = FakeServer::start(FakeConfig { scenario, ..FakeConfig::new(plugin) }).await;
        let opts = ClientOpts { password: Some("wrong".into()), ..Default::default() };
        let (code, message) = login(&server, opts).await.err().expect("wrong password accepted");
        assert_eq!(code, 1045, "{plugin}");
        assert_eq!(message, "Access denied for user 'amysql'@'localhost' (using password: YES)");
        assert_log(&server, "auth-failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_concurrent_connections() {
    let server = Arc::new(FakeServer::start(FakeConfig::new(CACHING_SHA2_PASSWORD)).await);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let server = Arc::clone(&server);
            tokio::spawn(async move { exercise(login(&server, ClientOpts::default()).await.unwrap()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.log().iter().filter(|l| *l == "fast-auth-ok").count(), 8);
}

#[tokio::test]
async fn url_names_the_account() {
    let server =
        FakeServer::start(FakeConfig { password: "p@ss word".into(), ..FakeConfig::new(MYSQL_NATIVE_PASSWORD) }).await;
    assert_eq!(server.url(), format!("mysql://amysql:p%40ss%20word@{}/", server.addr()));
}
