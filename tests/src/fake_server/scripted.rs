//! A hostile scripted server: it sends exactly the bytes a test gives it, headers and
//! sequence ids included, so a test can corrupt anything the client reads.
//!
//! A [`Script`] is a greeting, the answers to the authentication exchange, then one
//! answer per client command. The server never parses what it sends and never checks
//! what it receives (beyond splitting packets): it records every packet the client sent,
//! per connection, for the test to inspect.
//!
//! ```ignore
//! use amysql_tests::fake_server::scripted::{text_result, ty, Script, ScriptedServer};
//! let server = ScriptedServer::start(
//!     Script::mariadb().then(text_result(&[("a", ty::LONGLONG)], &[vec![Some(b"7")]], true)),
//! ).await;
//! let mut conn = amysql::connect(server.url()).await?;
//! let rows = conn.query_text("SELECT 7").await?;
//! ```
//!
//! Commands that get no answer from a real server (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
//! do not consume a scripted answer; COM_QUIT ends the connection. Every other packet the
//! client sends after authentication (including the empty packet that ends a LOCAL INFILE
//! upload) takes the next answer.

pub mod compressed;
mod packets;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub use packets::{
    binary_result, binary_result_cached, binary_row, column_def, column_def_unsigned, err, ok, packet_ranges,
    prepare_ok, status, text_result, text_row, ty, Packets,
};

use super::wire::{cap, put_lenenc_int, STATUS_AUTOCOMMIT};

/// MariaDB extended capabilities (the greeting's fourth capability word).
pub mod mariadb_cap {
    pub const STMT_BULK_OPERATIONS: u32 = 1 << 2;
    pub const CACHE_METADATA: u32 = 1 << 4;
}

/// The 20-byte scramble every scripted greeting carries (fixed: scripts are replayable).
pub const NONCE: &[u8; 20] = b"abcdefghij0123456789";

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Send these bytes at once.
    Send(Vec<u8>),
    /// Send `raw` in pieces of `piece` bytes, pausing `pause` before each piece after the first.
    Slowly { raw: Vec<u8>, piece: usize, pause: Duration },
    /// Never answer; keep the socket open (reading and recording) until the client leaves.
    Stall,
}

/// What the server does once every scripted answer has been sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AfterLast {
    /// Read the client's next packet, then close (the default).
    #[default]
    ReadThenClose,
    /// Keep reading (and recording) without answering until the client closes.
    KeepOpen,
    /// Half-close right after the last answer (FIN): the client reads what was sent and
    /// then sees end-of-stream instead of waiting for a read timeout. What fuzzing wants.
    CloseNow,
}

/// A greeting, the authentication answers and the per-command answers of one connection.
#[derive(Debug, Clone)]
pub struct Script {
    greeting: Vec<u8>,
    auth: Vec<Vec<u8>>,
    replies: Vec<Reply>,
    after_last: AfterLast,
}

/// Options of the generated greetings.
#[derive(Debug, Clone)]
pub struct Greeting {
    pub server_version: String,
    pub capabilities: u32,
    pub mariadb_capabilities: u32,
    pub auth_plugin: String,
    pub connection_id: u32,
    pub charset: u8,
}

impl Greeting {
    /// What MariaDB 10.11 offers (CLIENT_MYSQL clear, so the extended word is read).
    pub fn mariadb() -> Greeting {
        Greeting {
            // MariaDB prefixes "5.5.5-" for clients that parse the version as MySQL's.
            server_version: "5.5.5-10.11.0-MariaDB-scripted".into(),
            capabilities: cap::LONG_FLAG
                | cap::CONNECT_WITH_DB
                | cap::PROTOCOL_41
                | cap::TRANSACTIONS
                | cap::SECURE_CONNECTION
                | cap::MULTI_STATEMENTS
                | cap::MULTI_RESULTS
                | cap::PS_MULTI_RESULTS
                | cap::PLUGIN_AUTH
                | cap::CONNECT_ATTRS
                | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
                | cap::SESSION_TRACK
                | cap::DEPRECATE_EOF
                | 1 << 7, // CLIENT_LOCAL_FILES
            mariadb_capabilities: 0,
            auth_plugin: "mysql_native_password".into(),
            connection_id: 7,
            charset: 45,
        }
    }

    /// What MySQL 8.0 offers: CLIENT_MYSQL set, caching_sha2_password.
    pub fn mysql8() -> Greeting {
        Greeting {
            server_version: "8.0.36-scripted".into(),
            capabilities: Greeting::mariadb().capabilities | cap::LONG_PASSWORD,
            mariadb_capabilities: 0,
            auth_plugin: "caching_sha2_password".into(),
            connection_id: 8,
            charset: 255,
        }
    }

    /// The HandshakeV10 packet, sequence id 0.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(self.server_version.as_bytes());
        p.push(0);
        p.extend_from_slice(&self.connection_id.to_le_bytes());
        p.extend_from_slice(&NONCE[..8]);
        p.push(0); // filler
        p.extend_from_slice(&self.capabilities.to_le_bytes()[..2]);
        p.push(self.charset);
        p.extend_from_slice(&STATUS_AUTOCOMMIT.to_le_bytes());
        p.extend_from_slice(&self.capabilities.to_le_bytes()[2..]);
        p.push(21); // auth data length: 20 + NUL
        p.extend_from_slice(&[0; 6]);
        // MariaDB's extended capabilities; reserved zeros for MySQL.
        let ext = if self.capabilities & cap::LONG_PASSWORD == 0 { self.mariadb_capabilities } else { 0 };
        p.extend_from_slice(&ext.to_le_bytes());
        p.extend_from_slice(&NONCE[8..]);
        p.push(0);
        p.extend_from_slice(self.auth_plugin.as_bytes());
        p.push(0);
        Packets::new(0).packet(&p).into_bytes()
    }
}

impl Script {
    /// A MariaDB 10.11-like greeting (mysql_native_password, DEPRECATE_EOF, multi-results,
    /// no TLS) that accepts any credentials with an OK.
    pub fn mariadb() -> Script {
        Script::with_greeting(&Greeting::mariadb())
    }

    /// The same MariaDB greeting, also offering MARIADB_CLIENT_STMT_BULK_OPERATIONS and
    /// MARIADB_CLIENT_CACHE_METADATA (result headers then carry the metadata byte).
    pub fn mariadb_extended() -> Script {
        let mut g = Greeting::mariadb();
        g.mariadb_capabilities = mariadb_cap::STMT_BULK_OPERATIONS | mariadb_cap::CACHE_METADATA;
        Script::with_greeting(&g)
    }

    /// A MySQL 8.0-like greeting (caching_sha2_password): fast-auth success, then OK.
    pub fn mysql8() -> Script {
        let ok = Packets::new(2).packet(&[0x01, 0x03]).ok(0, 0, STATUS_AUTOCOMMIT).into_bytes();
        Script::with_greeting(&Greeting::mysql8()).auth_raw(vec![ok])
    }

    /// Any generated greeting; authentication is answered with one OK.
    pub fn with_greeting(g: &Greeting) -> Script {
        Script {
            greeting: g.to_bytes(),
            auth: vec![ok(2, 0, STATUS_AUTOCOMMIT)],
            replies: Vec::new(),
            after_last: AfterLast::default(),
        }
    }

    /// `raw` (headers included) answers the next client command.
    pub fn then(mut self, raw: Vec<u8>) -> Script {
        self.replies.push(Reply::Send(raw));
        self
    }

    /// Sends the answer in pieces with a pause before each but the first.
    pub fn then_slowly(mut self, raw: Vec<u8>, piece: usize, pause: Duration) -> Script {
        self.replies.push(Reply::Slowly { raw, piece: piece.max(1), pause });
        self
    }

    /// Never answers the next command (the socket stays open).
    pub fn then_stall(mut self) -> Script {
        self.replies.push(Reply::Stall);
        self
    }

    /// Replaces the greeting with raw bytes (headers included).
    pub fn greeting_raw(mut self, raw: Vec<u8>) -> Script {
        self.greeting = raw;
        self
    }

    /// Replaces the authentication answers: entry `i` is sent after the client's packet
    /// `i` of the connection phase (the handshake response, then each auth-switch or
    /// more-data answer). The default is one OK at sequence id 2.
    pub fn auth_raw(mut self, answers: Vec<Vec<u8>>) -> Script {
        self.auth = answers;
        self
    }

    /// An AuthSwitchRequest to mysql_native_password (seq 2), then OK (seq 4).
    pub fn with_auth_switch(self) -> Script {
        let mut switch = vec![0xfe];
        switch.extend_from_slice(b"mysql_native_password\0");
        switch.extend_from_slice(b"ZYXWVUTSRQponmlkjihg\0");
        let switch = Packets::new(2).packet(&switch).into_bytes();
        self.auth_raw(vec![switch, ok(4, 0, STATUS_AUTOCOMMIT)])
    }

    pub fn after_last(mut self, what: AfterLast) -> Script {
        self.after_last = what;
        self
    }

    /// Shorthand for `after_last(AfterLast::KeepOpen)`.
    pub fn keep_open(self) -> Script {
        self.after_last(AfterLast::KeepOpen)
    }

    /// Shorthand for `after_last(AfterLast::CloseNow)`.
    pub fn close_after_last(self) -> Script {
        self.after_last(AfterLast::CloseNow)
    }

    pub fn greeting(&self) -> &[u8] {
        &self.greeting
    }

    pub fn auth(&self) -> &[Vec<u8>] {
        &self.auth
    }

    pub fn replies(&self) -> &[Reply] {
        &self.replies
    }
}

/// Packets received on one connection: raw, header included.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

struct Shared {
    default_script: Script,
    queue: Mutex<VecDeque<Script>>,
    connections: Mutex<Vec<Received>>,
    sessions: Mutex<Vec<AbortHandle>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking test must not hide what was recorded from the assertion that follows.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running scripted server on 127.0.0.1 (ephemeral port). Each connection plays the
/// next script queued with [`ScriptedServer::push_script`], or the one given to `start`.
/// Dropping the server stops it and every connection it still serves.
pub struct ScriptedServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Binds and serves `script` to every connection (unless one is queued).
    pub async fn start(script: Script) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr of a bound listener");
        let shared = Arc::new(Shared {
            default_script: script,
            queue: Mutex::new(VecDeque::new()),
            connections: Mutex::new(Vec::new()),
            sessions: Mutex::new(Vec::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept_task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = tcp.set_nodelay(true);
                let script =
                    lock(&accept_shared.queue).pop_front().unwrap_or_else(|| accept_shared.default_script.clone());
                let received = Received::default();
                lock(&accept_shared.connections).push(Arc::clone(&received));
                let task = tokio::spawn(async move {
                    let _ = serve(tcp, script, received).await;
                });
                let mut sessions = lock(&accept_shared.sessions);
                sessions.retain(|s| !s.is_finished());
                sessions.push(task.abort_handle());
            }
        });
        ScriptedServer { addr, shared, accept_task }
    }

    /// The script the next connection plays (FIFO, one per connection).
    pub fn push_script(&self, script: Script) {
        lock(&self.shared.queue).push_back(script);
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mysql://scripted:pw@127.0.0.1:port/`.
    pub fn url(&self) -> String {
        format!("mysql://scripted:pw@{}/", self.addr)
    }

    /// Options for this server, to add timeouts and the like to.
    pub fn options(&self) -> amysql::ConnectOptions {
        amysql::ConnectOptions::new()
            .host(self.addr.ip().to_string())
            .port(self.addr.port())
            .user("scripted")
            .password("pw")
    }

    /// Per connection, in accept order: every byte the client sent, concatenated.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received_packets().into_iter().map(|c| c.concat()).collect()
    }

    /// Per connection, in accept order: each packet the client sent, header included.
    pub fn received_packets(&self) -> Vec<Vec<Vec<u8>>> {
        lock(&self.shared.connections).iter().map(|c| lock(c).clone()).collect()
    }

    /// How many connections were accepted so far.
    pub fn connection_count(&self) -> usize {
        lock(&self.shared.connections).len()
    }

    /// Forgets what was recorded (long-lived servers in fuzz loops stay small).
    pub fn clear_received(&self) {
        lock(&self.shared.connections).clear();
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.accept_task.abort();
        for s in lock(&self.shared.sessions).drain(..) {
            s.abort();
        }
    }
}

/// Reads one physical packet (header included); `None` at end of stream or on an error.
/// Sequence ids are not checked: this server is the hostile side, not the judge.
async fn read_packet(r: &mut OwnedReadHalf, received: &Received) -> Option<Vec<u8>> {
    let mut header = [0u8; 4];
    r.read_exact(&mut header).await.ok()?;
    let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let mut packet = vec![0u8; 4 + len];
    packet[..4].copy_from_slice(&header);
    r.read_exact(&mut packet[4..]).await.ok()?;
    lock(received).push(packet.clone());
    Some(packet)
}

/// Reads until the client leaves, recording, answering nothing.
async fn drain(r: &mut OwnedReadHalf, received: &Received) {
    while read_packet(r, received).await.is_some() {}
}

async fn serve(tcp: TcpStream, script: Script, received: Received) -> io::Result<()> {
    let (mut r, mut w) = tcp.into_split();
    w.write_all(&script.greeting).await?;
    for answer in &script.auth {
        if read_packet(&mut r, &received).await.is_none() {
            return Ok(());
        }
        w.write_all(answer).await?;
    }
    for reply in &script.replies {
        loop {
            let Some(p) = read_packet(&mut r, &received).await else { return Ok(()) };
            match p.get(4) {
                Some(0x01) => return Ok(()),   // COM_QUIT
                Some(0x18 | 0x19) => continue, // SEND_LONG_DATA, STMT_CLOSE: no answer
                _ => break,
            }
        }
        match reply {
            Reply::Send(raw) => w.write_all(raw).await?,
            Reply::Slowly { raw, piece, pause } => {
                for (i, chunk) in raw.chunks(*piece).enumerate() {
                    if i > 0 {
                        tokio::time::sleep(*pause).await;
                    }
                    w.write_all(chunk).await?;
                }
            }
            Reply::Stall => {
                drain(&mut r, &received).await;
                return Ok(());
            }
        }
    }
    match script.after_last {
        AfterLast::ReadThenClose => {
            read_packet(&mut r, &received).await;
        }
        AfterLast::KeepOpen => drain(&mut r, &received).await,
        AfterLast::CloseNow => {
            w.shutdown().await?;
            drain(&mut r, &received).await;
        }
    }
    Ok(())
}

/// A length-encoded integer, for tests that build odd headers by hand.
pub fn lenenc_int(n: u64) -> Vec<u8> {
    let mut v = Vec::new();
    put_lenenc_int(&mut v, n);
    v
}
