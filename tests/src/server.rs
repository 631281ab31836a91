//! `TestServer`: a private mariadbd (or an external server named by
//! `AMYSQL_TEST_URL`) plus the ways tests reach it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::certs::{self, Certs};
use crate::process::{self, free_port, kill_mariadbd, spawn_mariadbd, wait_ready};
use crate::programs::{euid, find_program, Programs};
use crate::template::{self, INNODB_ARGS};
use crate::url::{encode, host_for_url};
use crate::users::{bootstrap_sql, PASSWORD, TEST_DB, USER};

/// A MariaDB server for tests. Private servers are started by [`crate::server`]
/// / [`crate::disposable`]; with `AMYSQL_TEST_URL` set the shared one is
/// external and every accessor that needs our own setup (socket, certs, log,
/// kill/restart) returns `None` / refuses.
pub struct TestServer {
    host: String,
    port: u16,
    user: String,
    password: String,
    db: String,
    url: String,
    client: Result<PathBuf, String>,
    startup_time: Duration,
    private: Option<Private>,
}

struct Private {
    dir: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    certs: Certs,
    mariadbd: PathBuf,
    args: Vec<String>,
    disposable: bool,
    procs: Mutex<Procs>,
}

struct Procs {
    server: Option<Child>,
    watchdog: Option<Child>,
}

impl TestServer {
    /// Uses an existing server; nothing is started or bootstrapped.
    pub(crate) fn external(url: &str) -> Result<TestServer, String> {
        let p = crate::url::parse(url)?;
        Ok(TestServer {
            host: p.host,
            port: p.port,
            user: p.user,
            password: p.password,
            db: p.db,
            url: url.to_string(),
            client: find_program(&["mariadb", "mysql"]),
            startup_time: Duration::ZERO,
            private: None,
        })
    }

    /// Starts and bootstraps a private mariadbd.
    pub(crate) fn start(disposable: bool) -> Result<TestServer, String> {
        let begin = Instant::now();
        let programs = Programs::find()?;
        let template = template::ensure(&programs)?;
        let dir = make_server_dir()?;
        // From here on a partially built server is dropped on error, and
        // `Drop` kills whatever was started and removes `dir`.
        let watchdog = process::spawn_watchdog(&dir);
        let mut server = TestServer {
            host: "127.0.0.1".into(),
            port: 0,
            user: USER.into(),
            password: PASSWORD.into(),
            db: TEST_DB.into(),
            url: String::new(),
            client: Ok(programs.client.clone()),
            startup_time: Duration::ZERO,
            private: Some(Private {
                socket: dir.join("mysqld.sock"),
                log: dir.join("error.log"),
                certs: Certs::default(),
                mariadbd: programs.mariadbd.clone(),
                args: Vec::new(),
                disposable,
                procs: Mutex::new(Procs { server: None, watchdog: None }),
                dir: dir.clone(),
            }),
        };
        let private = server.private.as_mut().expect("just set");
        private.procs.get_mut().map_err(|e| e.to_string())?.watchdog = Some(watchdog?);
        template::copy_dir(&template, &dir.join("data"))?;
        fs::create_dir(dir.join("tmp")).map_err(|e| format!("create tmp dir: {e}"))?;
        private.certs = certs::generate(&dir.join("certs"))?;
        server.port = server.launch_on_free_port()?;
        server.url = format!("mysql://{USER}:{PASSWORD}@127.0.0.1:{}/{TEST_DB}", server.port);
        server.run_cli(&bootstrap_sql(), None)?;
        server.startup_time = begin.elapsed();
        Ok(server)
    }

    /// Picks a port and starts mariadbd; retries when another process took
    /// the port between our probe and mariadbd's bind.
    fn launch_on_free_port(&mut self) -> Result<u16, String> {
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let p = self.private.as_mut().expect("private server");
            p.args = mariadbd_args(&p.dir, &p.certs, port);
            match p.launch() {
                Ok(()) => return Ok(port),
                Err(e) => {
                    let log = process::tail(&p.log, 40);
                    if !log.contains("Address already in use") {
                        return Err(format!("{e}\n--- {} ---\n{log}", p.log.display()));
                    }
                    last_err = e;
                }
            }
        }
        Err(format!("no usable port after 5 attempts: {last_err}"))
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// User / password / database of [`TestServer::url`].
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    pub fn db(&self) -> &str {
        &self.db
    }

    /// True for servers this harness started (all users and certs exist).
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    pub fn socket_path(&self) -> Option<&Path> {
        self.private.as_ref().map(|p| p.socket.as_path())
    }

    /// CA that signed both the server and the client certificate.
    pub fn ca_path(&self) -> Option<&Path> {
        self.private.as_ref().map(|p| p.certs.ca.as_path())
    }

    /// Client certificate + key accepted for the `REQUIRE X509` user.
    pub fn client_cert_path(&self) -> Option<&Path> {
        self.private.as_ref().map(|p| p.certs.client_cert.as_path())
    }

    pub fn client_key_path(&self) -> Option<&Path> {
        self.private.as_ref().map(|p| p.certs.client_key.as_path())
    }

    /// Wall time `server()` / `disposable()` took to produce this server.
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }

    /// pid of the running mariadbd (private servers only).
    pub fn pid(&self) -> Option<u32> {
        let p = self.private.as_ref()?;
        let procs = p.procs.lock().unwrap_or_else(|e| e.into_inner());
        procs.server.as_ref().map(Child::id)
    }

    /// `mysql://amysql:amysql-pw@127.0.0.1:<port>/test`, or `AMYSQL_TEST_URL`
    /// verbatim for an external server. `AMYSQL_TEST_COMPRESSION=zlib` adds
    /// `compression=zlib`, to run any test file over a compressed connection.
    pub fn url(&self) -> String {
        match std::env::var("AMYSQL_TEST_COMPRESSION") {
            Ok(algo) if !algo.is_empty() => {
                let sep = if self.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}compression={algo}", self.url)
            }
            _ => self.url.clone(),
        }
    }

    /// URL for another account (see the constants in [`crate::users`]);
    /// an empty password leaves out the `:password` part.
    pub fn url_for(&self, user: &str, password: &str) -> String {
        let pw = if password.is_empty() { String::new() } else { format!(":{}", encode(password, false)) };
        format!(
            "mysql://{}{pw}@{}:{}/{}",
            encode(user, false),
            host_for_url(&self.host),
            self.port,
            encode(&self.db, false)
        )
    }

    /// `mysql://amysql:amysql-pw@localhost/test?socket=<path>`.
    pub fn socket_url(&self) -> Option<String> {
        let socket = self.socket_path()?.to_string_lossy().into_owned();
        Some(format!("mysql://{USER}:{PASSWORD}@localhost/{TEST_DB}?socket={}", encode(&socket, true)))
    }

    /// Runs `sql` with the `mariadb` CLI (`-N -B`: tab-separated, no header)
    /// in the test database and returns stdout without the final newline.
    /// Private servers: as root over the unix socket; external: as the URL's
    /// user over TCP. Independent of amysql, so tests can check its results.
    pub fn cli(&self, sql: &str) -> Result<String, String> {
        self.run_cli(sql, Some(&self.db))
    }

    fn run_cli(&self, sql: &str, db: Option<&str>) -> Result<String, String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let mut cmd = Command::new(client);
        cmd.arg("--no-defaults");
        match &self.private {
            Some(p) => {
                cmd.arg("--protocol=socket")
                    .arg(format!("--socket={}", p.socket.display()))
                    .arg("--user=root")
                    .env_remove("MYSQL_PWD");
            }
            None => {
                cmd.arg("--protocol=tcp")
                    .arg(format!("--host={}", self.host))
                    .arg(format!("--port={}", self.port))
                    .arg(format!("--user={}", self.user))
                    .env("MYSQL_PWD", &self.password); // keeps it out of `ps`
            }
        }
        if let Some(db) = db {
            cmd.arg(format!("--database={db}"));
        }
        let out = cmd
            .args(["-N", "-B", "-e", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run {}: {e}", client.display()))?;
        if !out.status.success() {
            return Err(format!(
                "mariadb CLI failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        Ok(stdout.trim_end_matches('\n').to_string())
    }

    /// Last 40 lines of mariadbd's error log (empty for external servers).
    pub fn error_log_tail(&self) -> String {
        self.private.as_ref().map(|p| process::tail(&p.log, 40)).unwrap_or_default()
    }

    /// SIGKILLs mariadbd (a crash, as clients see it). Disposable servers only.
    pub fn kill(&self) {
        let p = self.disposable_only("kill");
        let mut procs = p.procs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = procs.server.take() {
            kill_mariadbd(&mut child, &p.dir);
        }
    }

    /// Kills mariadbd if it is running, then starts it again on the same port
    /// and data dir (InnoDB recovers) and waits until it accepts connections.
    pub fn restart(&self) {
        let p = self.disposable_only("restart");
        self.kill();
        if let Err(e) = p.launch() {
            panic!("{e}\n--- {} ---\n{}", p.log.display(), self.error_log_tail());
        }
    }

    fn disposable_only(&self, what: &str) -> &Private {
        match &self.private {
            Some(p) if p.disposable => p,
            _ => panic!("TestServer::{what}() is only for servers from amysql_tests::disposable()"),
        }
    }
}

impl Private {
    /// Spawns mariadbd with `self.args` and waits until it is ready.
    fn launch(&self) -> Result<(), String> {
        let mut child = spawn_mariadbd(&self.mariadbd, &self.args, &self.dir)?;
        if let Err(e) = wait_ready(&mut child, &self.socket) {
            kill_mariadbd(&mut child, &self.dir);
            return Err(e);
        }
        let mut procs = self.procs.lock().unwrap_or_else(|e| e.into_inner());
        procs.server = Some(child);
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let Some(p) = self.private.as_mut() else {
            return;
        };
        let procs = p.procs.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = procs.server.take() {
            kill_mariadbd(&mut child, &p.dir);
        }
        if let Some(mut watchdog) = procs.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = fs::remove_dir_all(&p.dir);
    }
}

fn mariadbd_args(dir: &Path, certs: &Certs, port: u16) -> Vec<String> {
    let d = |name: &str| dir.join(name).display().to_string();
    // --no-defaults must come first: /etc/mysql must not leak in.
    let mut args = vec!["--no-defaults".to_string()];
    if euid() == 0 {
        args.push("--user=root".into()); // mariadbd refuses to run as root otherwise
    }
    args.extend([
        format!("--datadir={}", d("data")),
        format!("--tmpdir={}", d("tmp")),
        format!("--socket={}", d("mysqld.sock")),
        format!("--pid-file={}", d("mariadbd.pid")),
        format!("--log-error={}", d("error.log")),
        format!("--port={port}"),
        "--bind-address=127.0.0.1".into(),
        format!("--ssl-ca={}", certs.ca.display()),
        format!("--ssl-cert={}", certs.server_cert.display()),
        format!("--ssl-key={}", certs.server_key.display()),
        "--max-allowed-packet=256M".into(),
        "--local-infile=1".into(),
        "--plugin-load-add=auth_ed25519".into(),
        "--skip-name-resolve".into(),
        "--max-connections=500".into(),
        // Same defaults as Debian's packaged server, so unicode just works.
        "--character-set-server=utf8mb4".into(),
        "--collation-server=utf8mb4_general_ci".into(),
        // Speed over durability, but commits must survive kill() (=2 writes
        // the log at commit and leaves fsync to the OS).
        "--innodb-flush-log-at-trx-commit=2".into(),
        "--innodb-doublewrite=0".into(),
        "--performance-schema=0".into(),
    ]);
    args.extend(INNODB_ARGS.iter().map(|s| s.to_string()));
    args
}

/// A fresh `amysql-test-<pid>-<n>-<nanos>` under the temp dir (short, so the
/// socket path stays under the 108-byte limit).
fn make_server_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("amysql-test-{}-{n}-{nanos}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    Ok(dir)
}
