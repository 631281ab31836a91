//! Test-server harness for amysql's integration tests.
//!
//! [`server()`] is one private `mariadbd` shared by all tests of a test
//! binary: a copy of a cached `mariadb-install-db` template in a temp dir, a
//! free port on 127.0.0.1 plus a unix socket, TLS with freshly generated
//! certificates, `auth_ed25519` loaded, `local_infile` on, and the accounts
//! in [`users`]. A watchdog process kills it and removes its dir once the
//! test process is gone (test binaries end with `std::process::exit`, so
//! statics are never dropped).
//!
//! With `AMYSQL_TEST_URL=mysql://user:pw@host:port/db` set, [`server()`]
//! uses that server instead and starts nothing: its socket / certificate /
//! log accessors return `None` (or empty), only the URL's account is known
//! to exist, and [`TestServer::cli`] connects over TCP as that account.
//! Tests that need the private setup should check
//! [`TestServer::is_private`]. [`disposable()`] always starts a private
//! server.

mod certs;
pub mod fake_server;
mod process;
mod programs;
mod proxy;
mod server;
mod template;
mod url;
pub mod users;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub use proxy::{Mutation, Proxy};
pub use server::TestServer;
pub use users::*;

/// The server shared by all tests of this test binary, started on first use.
/// Blocking (std only), so it can be called from any thread and from inside
/// a tokio runtime. Panics with mariadbd's error-log tail if it cannot start.
pub fn server() -> &'static TestServer {
    // The error is cached too: every test fails fast with the same message
    // instead of each retrying a 30 s start-up.
    static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
    let result = SERVER.get_or_init(|| match std::env::var("AMYSQL_TEST_URL") {
        Ok(url) if !url.trim().is_empty() => TestServer::external(url.trim()),
        _ => TestServer::start(false),
    });
    match result {
        Ok(server) => server,
        Err(e) => panic!("amysql test harness: no test server: {e}"),
    }
}

/// A private server of its own for destructive tests: supports
/// [`TestServer::kill`] / [`TestServer::restart`]; killed and removed when
/// dropped (and by the watchdog if the process exits first).
pub fn disposable() -> TestServer {
    TestServer::start(true).unwrap_or_else(|e| panic!("amysql test harness: disposable server failed: {e}"))
}

/// `<prefix>_<pid>_<n>`: a table/database name no other test in this run uses.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}
