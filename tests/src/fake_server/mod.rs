//! A scripted, in-process MySQL 8 server for the exchanges MariaDB cannot produce:
//! caching_sha2_password (fast and full auth, RSA key request, cleartext over TLS),
//! sha256_password, and AuthSwitchRequest between plugins.
//!
//! It speaks just enough protocol to authenticate and answer `SELECT 1`, and records what
//! happened in a log so tests can assert on *which* path the client took, not only that
//! it got in.
//!
//! ```ignore
//! let server = FakeServer::start(FakeConfig::new("caching_sha2_password")).await;
//! let conn = amysql::connect(&server.url()).await?;
//! assert!(server.log().contains(&"fast-auth-ok".to_string()));
//! ```

mod auth_flow;
pub mod handshake;
mod keys;
pub mod scripted;
mod session;
pub mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth_flow::DIALOG_CODE;
pub use keys::{test_tls_config, CA_CERT_PEM, TEST_RSA_PRIVATE_KEY_PEM};

use auth_flow::RsaKeys;

/// Whether the server's caching_sha2_password cache already holds the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Cache hit: a correct scramble gets `0x01 0x03` then OK.
    FastAuth,
    /// Cache miss (first login since server start or `FLUSH PRIVILEGES`): the server
    /// answers `0x01 0x04` and wants the password over TLS or RSA.
    FullAuth,
}

/// Ways the server misbehaves during authentication, to test what a hostile server (or a
/// man in the middle) gets out of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hostile {
    /// After the client's password response (sha256_password's first answer, or
    /// caching_sha2_password's answer to "full auth"), send the RSA public key anyway, as
    /// a man in the middle swapping in its own key would. Logs "unsolicited-key-sent",
    /// then "answered-unsolicited-key" if the client encrypts the password again.
    UnsolicitedPublicKey,
    /// Answer every auth response with yet another AuthSwitchRequest, forever. Logs
    /// "endless-auth-switch" per round.
    EndlessAuthSwitch,
    /// Send caching_sha2_password's "fast auth ok" AuthMoreData forever, never OK. Logs
    /// "endless-more-data" once.
    EndlessAuthMoreData,
}

/// How the fake server behaves. Start from [`FakeConfig::new`] and override fields.
#[derive(Clone)]
pub struct FakeConfig {
    /// The account's plugin: "caching_sha2_password", "sha256_password",
    /// "mysql_native_password", "mysql_clear_password", or "dialog" (MariaDB PAM style:
    /// a one-time code, [`DIALOG_CODE`], then the password; advertise another plugin with
    /// `switch_from`, as MariaDB does).
    pub plugin: &'static str,
    pub user: String,
    pub password: String,
    /// Only meaningful for caching_sha2_password.
    pub scenario: Scenario,
    /// When set, CLIENT_SSL is advertised and an SSLRequest is upgraded to TLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The server's RSA key pair (PKCS#1 or PKCS#8 PEM); the public half is served on
    /// request, SPKI-encoded as mysqld does.
    pub rsa_private_key_pem: String,
    /// Advertise this plugin in the handshake, then AuthSwitchRequest to `plugin`.
    pub switch_from: Option<&'static str>,
    /// Misbehave this way during authentication (default: behave).
    pub hostile: Option<Hostile>,
}

impl FakeConfig {
    /// User `amysql`, password `fake-pw-8`, fast auth, no TLS, the fixed test RSA key.
    pub fn new(plugin: &'static str) -> FakeConfig {
        FakeConfig {
            plugin,
            user: "amysql".to_string(),
            password: "fake-pw-8".to_string(),
            scenario: Scenario::FastAuth,
            tls: None,
            rsa_private_key_pem: TEST_RSA_PRIVATE_KEY_PEM.to_string(),
            switch_from: None,
            hostile: None,
        }
    }
}

type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, event: &str) {
    // A panicking test thread must not hide the log from the assertion that follows.
    log.lock().unwrap_or_else(|e| e.into_inner()).push(event.to_string());
}

/// State shared by the accept loop and every connection task.
struct Shared {
    cfg: FakeConfig,
    keys: RsaKeys,
    log: Log,
}

/// A running fake server on 127.0.0.1 (ephemeral port). Dropping it stops accepting;
/// connections already open run until the client leaves or the runtime shuts down.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

impl FakeServer {
    /// Binds and starts serving. Panics on a bad RSA PEM or if binding fails: both are
    /// broken test setups, not conditions a test wants to handle.
    pub async fn start(cfg: FakeConfig) -> FakeServer {
        let keys = RsaKeys::from_pem(&cfg.rsa_private_key_pem);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr of a bound listener");
        let shared = Arc::new(Shared { cfg, keys, log: Log::default() });
        let accept_shared = Arc::clone(&shared);
        let accept_task = tokio::spawn(async move {
            let next_id = AtomicU32::new(1);
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    // e.g. EMFILE: back off instead of spinning on the same error.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(session::serve(tcp, Arc::clone(&accept_shared), id));
            }
        });
        FakeServer { addr, shared, accept_task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mysql://user:password@127.0.0.1:port/`, user and password percent-encoded.
    pub fn url(&self) -> String {
        let cfg = &self.shared.cfg;
        format!("mysql://{}:{}@{}/", percent_encode(&cfg.user), percent_encode(&cfg.password), self.addr)
    }

    /// Events so far, in order, across all connections: "connect", "ssl-request",
    /// "tls-established", "client-plugin:<name>", "db:<name>", "attr:<key>=<value>" (for
    /// connection attributes not starting with `_`), "client-flags:<hex>", "auth-switch",
    /// "fast-auth-ok", "fast-auth-mismatch", "full-auth-requested",
    /// "public-key-requested", "cleartext-over-tls", "cleartext-over-insecure-transport",
    /// "rsa-password-ok", "rsa-password-mismatch", "rsa-decrypt-failed", "dialog-code-ok",
    /// "dialog-code-mismatch", "dialog-password-ok", "dialog-password-mismatch", the [`Hostile`]
    /// events, "auth-ok",
    /// "auth-failed", "ping", "query:<sql>", "init-db:<db>", "reset-connection", "quit",
    /// "client-closed", "bad-handshake: ...", "connection-error: ..." (e.g. a bad
    /// sequence id).
    pub fn log(&self) -> Vec<String> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets the events so far, so a test can look at one connection at a time.
    pub fn clear_log(&self) {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// True when `event` was logged.
    pub fn logged(&self, event: &str) -> bool {
        self.log().iter().any(|e| e == event)
    }

    pub fn config(&self) -> &FakeConfig {
        &self.shared.cfg
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

/// Escapes everything outside RFC 3986's unreserved set, enough for userinfo.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
