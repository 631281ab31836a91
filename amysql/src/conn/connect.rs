//! Opening a connection: transport, greeting, optional TLS upgrade, handshake response,
//! authentication, then the session set-up the options ask for.

use std::sync::Arc;

use tokio::net::TcpStream;

use super::result::ResultState;
use super::Connection;
use crate::error::{client_code, Error, Result};
use crate::io::packet_stream::PacketStream;
use crate::io::stream::Stream;
use crate::io::tls;
use crate::opts::{ConnectOptions, IntoConnectOptions, SslMode};
use crate::protocol::auth as plugin;
use crate::protocol::charset;
use crate::protocol::compressed::{self, Codec, Compression};
use crate::protocol::constants::capability as cap;
use crate::protocol::handshake::{ssl_request, HandshakeResponse41, HandshakeV10};
use crate::protocol::packet::write_packet;
use crate::protocol::prepared::{MARIADB_CLIENT_CACHE_METADATA, MARIADB_CLIENT_STMT_BULK_OPERATIONS};

/// What the client asks for; the server's capabilities narrow it. Not
/// CLIENT_SESSION_TRACK: amysql reads the state it needs (autocommit, transaction,
/// NO_BACKSLASH_ESCAPES) from the status flags, and tracking costs the server a few
/// microseconds on every statement (measured on `point`, BENCHMARKS.md).
pub(crate) const BASE_CAPABILITIES: u32 = cap::LONG_PASSWORD
    | cap::LONG_FLAG
    | cap::PROTOCOL_41
    | cap::TRANSACTIONS
    | cap::SECURE_CONNECTION
    | cap::MULTI_RESULTS
    | cap::PS_MULTI_RESULTS
    | cap::PLUGIN_AUTH
    | cap::PLUGIN_AUTH_LENENC_CLIENT_DATA
    | cap::CONNECT_ATTRS
    | cap::DEPRECATE_EOF;

/// Connects with options or a `mysql://` URL. `connect_timeout` bounds the TCP connect
/// and the whole handshake.
pub async fn connect(opts: impl IntoConnectOptions) -> Result<Connection> {
    let opts = opts.into_connect_options()?;
    // Option files are read on every connect, before the timeout that they may set.
    let opts = Arc::new(match opts.with_option_files()? {
        Some(resolved) => resolved,
        None => opts,
    });
    let span = crate::trace::connect_span(&opts);
    let work = async {
        let conn = match opts.connect_timeout {
            Some(t) => tokio::time::timeout(t, establish(opts.clone()))
                .await
                .map_err(|_| Error::Timeout { what: "connect", after: t })??,
            None => establish(opts.clone()).await?,
        };
        crate::trace::connected(&tracing::Span::current(), &conn);
        Ok(conn)
    };
    crate::trace::in_span(span, work).await
}

async fn open_transport(opts: &ConnectOptions) -> Result<Stream> {
    #[cfg(unix)]
    if let Some(path) = &opts.unix_socket {
        let s = tokio::net::UnixStream::connect(path).await.map_err(|e| {
            Error::io(client_code::CONNECTION_ERROR, &format!("can't connect through socket `{}`", path.display()), e)
        })?;
        return Ok(Stream::Unix(s));
    }
    let tcp = match opts.ext.bind_address {
        None => TcpStream::connect((opts.host.as_str(), opts.port)).await,
        Some(local) => connect_from(local, &opts.host, opts.port).await,
    }
    .map_err(|e| {
        Error::io(client_code::CONN_HOST_ERROR, &format!("can't connect to server on `{}:{}`", opts.host, opts.port), e)
    })?;
    // Commands are small request/response exchanges: Nagle would add latency to each.
    let _ = tcp.set_nodelay(true);
    Ok(Stream::Tcp(tcp))
}

/// `bind_address`: a socket bound to `local` (any port), connected to the first address
/// of `host` in the same family that accepts.
async fn connect_from(local: std::net::IpAddr, host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last_err = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        if addr.is_ipv4() != local.is_ipv4() {
            continue;
        }
        let socket = if local.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        socket.bind(std::net::SocketAddr::new(local, 0))?;
        match socket.connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("no address of the server is in the family of bind_address {local}"),
        )
    }))
}

fn connect_attributes(opts: &ConnectOptions) -> Vec<(String, String)> {
    let mut attrs: Vec<(String, String)> = vec![
        ("_client_name".into(), "amysql".to_string()),
        ("_client_version".into(), env!("CARGO_PKG_VERSION").to_string()),
        ("_pid".into(), std::process::id().to_string()),
        ("_os".into(), std::env::consts::OS.to_string()),
        ("_platform".into(), std::env::consts::ARCH.to_string()),
    ];
    if let Some(p) = &opts.program_name {
        attrs.push(("program_name".into(), p.clone()));
    }
    for (k, v) in &opts.ext.connect_attrs {
        attrs.retain(|(built_in, _)| built_in != k);
        attrs.push((k.clone(), v.clone()));
    }
    attrs
}

async fn establish(opts: Arc<ConnectOptions>) -> Result<Connection> {
    let charset = charset::by_name(&opts.charset)
        .ok_or_else(|| Error::Interface(format!("unknown charset `{}`", opts.charset)))?;
    // Before any byte goes out, and whatever the transport: a unix socket skips TLS, but
    // the setting is wrong all the same and would bite on the next TCP host.
    tls::check_options(&opts)?;
    let stream = open_transport(&opts).await?;
    let is_socket = !matches!(stream, Stream::Tcp(_));
    let mut io = PacketStream::new(stream);
    let greeting = HandshakeV10::decode(&io.read_packet().await?)?;

    let mut caps = (BASE_CAPABILITIES | opts.ext.extra_capabilities()?) & greeting.capabilities;
    if opts.multi_statements {
        caps |= cap::MULTI_STATEMENTS & greeting.capabilities;
    }
    if opts.local_infile.is_enabled() {
        caps |= cap::LOCAL_FILES & greeting.capabilities;
    }
    if opts.db.is_some() {
        caps |= cap::CONNECT_WITH_DB & greeting.capabilities;
    }
    // Compression: asked for with its capability bit; the codec is built (and the level
    // checked) before anything is sent.
    let compression = match compressed::negotiate(opts.compression, greeting.capabilities) {
        Some(algorithm) => Some(Codec::new(algorithm, algorithm.level(opts.compression_level)?)?),
        None => None,
    };
    if let Some(codec) = &compression {
        caps |= codec.algorithm().capability();
    }
    if caps & cap::PROTOCOL_41 == 0 {
        return Err(Error::protocol("server does not speak protocol 4.1 (MySQL 4.1 or later is required)"));
    }
    let server_tls = greeting.capabilities & cap::SSL != 0;
    let want_tls = match opts.ssl_mode {
        SslMode::Disabled => false,
        // A unix socket never leaves the host; TLS over it buys nothing.
        _ if is_socket => false,
        SslMode::Preferred => server_tls,
        SslMode::Required | SslMode::VerifyCa | SslMode::VerifyIdentity => {
            if !server_tls {
                return Err(Error::Tls(format!(
                    "ssl-mode {:?} was requested but the server does not support TLS",
                    opts.ssl_mode
                )));
            }
            true
        }
    };
    // MariaDB extended capabilities amysql asks for: bulk execution (executemany), and
    // no resending of unchanged prepared-statement metadata (the typed layer's cache).
    let mariadb_caps =
        (MARIADB_CLIENT_STMT_BULK_OPERATIONS | MARIADB_CLIENT_CACHE_METADATA) & greeting.mariadb_capabilities;
    let collation = u8::try_from(charset.collation_id).unwrap_or(45);
    let max_packet = 0x0100_0000u32;
    let mut seq = io.seq;
    if want_tls {
        caps |= cap::SSL;
        let mut buf = Vec::new();
        ssl_request(&mut buf, caps, mariadb_caps, max_packet, collation);
        write_packet(io.write_buf(), &buf, &mut seq);
        io.flush().await?;
        let Stream::Tcp(tcp) = io.stream else {
            return Err(Error::Tls("TLS is only negotiated over TCP".into()));
        };
        io = PacketStream::new(tls::upgrade(tcp, &opts).await?);
    }

    let password = opts.current_password().await?;
    let secure = io.stream.is_secure();
    let mut plugin_name = greeting.auth_plugin.clone();
    if plugin_name.is_empty() || !super::auth::is_known(&opts, &plugin_name) {
        // Answer with native; a server that needs something else sends an auth switch.
        plugin_name = plugin::MYSQL_NATIVE_PASSWORD.to_string();
    }
    let (exchange, auth_response) =
        super::auth::start(&opts, &plugin_name, &greeting.nonce, password.as_bytes(), secure)?;
    drop(password);
    let attrs = connect_attributes(&opts);
    let attr_refs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut payload = Vec::with_capacity(128);
    HandshakeResponse41 {
        capabilities: caps,
        mariadb_capabilities: mariadb_caps,
        max_packet,
        charset: collation,
        username: &opts.user,
        auth_response: &auth_response,
        database: opts.db.as_deref(),
        auth_plugin: &plugin_name,
        attributes: &attr_refs,
    }
    .encode(&mut payload);
    if let Some(codec) = compression.as_ref().filter(|c| c.algorithm() == Compression::Zstd) {
        // zstd_compression_level, the last field of the handshake response.
        payload.push(codec.algorithm().level(opts.compression_level)?);
    }
    write_packet(io.write_buf(), &payload, &mut seq);
    // The server's answer continues the sequence (also across a TLS upgrade, which starts
    // a fresh packet stream).
    io.seq = seq;
    io.flush().await?;

    let mut conn = Connection {
        io,
        opts: opts.clone(),
        caps,
        mariadb_caps,
        server_version: greeting.server_version,
        thread_id: greeting.connection_id,
        charset,
        status: greeting.status,
        affected_rows: 0,
        insert_id: 0,
        warnings: 0,
        state: ResultState::Idle,
        broken: None,
        infile_error: None,
        pending_cleanup: Vec::new(),
        stale_statements: Vec::new(),
        unclaimed_statement: None,
        stmt_cache: Default::default(),
        executing: None,
        nonce: greeting.nonce.clone(),
        auth_plugin: plugin_name.clone(),
        server_max_packet: None,
        charset_change: None,
        kill_wait: None,
        timed_sql: String::new(),
    };
    conn.authenticate(exchange).await?;
    if conn.io.buffered() > 0 {
        return Err(super::result::leftover_bytes(conn.io.buffered()));
    }
    if let Some(codec) = compression {
        conn.io.enable_compression(codec);
    }
    conn.io.read_timeout = opts.read_timeout;
    conn.io.max_incoming = opts.max_incoming_packet;
    conn.io.write_timeout = opts.write_timeout;
    conn.init_session().await?;
    Ok(conn)
}

impl Connection {
    /// Session set-up from the options; costs no round trip when none is set, and one
    /// for all the session variables together (one `SET a, b, ..`), plus one for
    /// `init_command`.
    pub(crate) async fn init_session(&mut self) -> Result<()> {
        let opts = self.opts.clone();
        let names = match &opts.ext.collation {
            Some(collation) => {
                // A collation name is an identifier; anything else is refused, not quoted.
                if collation.is_empty() || !collation.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err(Error::Interface(format!("invalid collation `{collation}`")));
                }
                Some(format!("{} COLLATE {collation}", self.charset.name))
            }
            None => (self.charset.collation_id > 255).then(|| self.charset.name.to_string()),
        };
        // The greeting's status tells the session's autocommit: set it only to change it.
        let autocommit = opts.autocommit.filter(|on| *on != self.get_autocommit());
        if let Some(sql) = session_set(names.as_deref(), opts.sql_mode.as_deref(), autocommit, opts.lock_wait_timeout)?
        {
            self.query_drop(&sql).await?;
        }
        if let Some(init) = &opts.init_command {
            self.query_drop(init).await?;
        }
        Ok(())
    }
}

/// The one `SET` statement that applies the session options, or `None` when none is set.
/// `SET NAMES` may lead a list of assignments, and the connection notices the charset in
/// it as in a `SET NAMES` of its own.
fn session_set(
    names: Option<&str>,
    sql_mode: Option<&str>,
    autocommit: Option<bool>,
    lock_wait: Option<std::time::Duration>,
) -> Result<Option<String>> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(name) = names {
        parts.push(format!("NAMES {name}"));
    }
    if let Some(mode) = sql_mode {
        // sql_mode is a list of mode names; anything else is refused rather than quoted.
        if !mode.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b',' || b == b' ') {
            return Err(Error::Interface(format!("invalid sql_mode `{mode}`")));
        }
        parts.push(format!("sql_mode = '{mode}'"));
    }
    if let Some(on) = autocommit {
        parts.push(format!("autocommit = {}", u8::from(on)));
    }
    if let Some(t) = lock_wait {
        // Whole seconds: a fraction is rounded up (0 stays 0: MariaDB's NOWAIT).
        let secs = t.as_secs().saturating_add(u64::from(t.subsec_nanos() > 0));
        parts.push(format!("innodb_lock_wait_timeout = {}", secs.min(1_073_741_824)));
    }
    Ok((!parts.is_empty()).then(|| format!("SET {}", parts.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::session_set;
    use std::time::Duration;

    #[test]
    fn one_set_for_all_session_options() {
        assert_eq!(session_set(None, None, None, None).unwrap(), None);
        assert_eq!(
            session_set(
                Some("utf8mb4"),
                Some("ANSI_QUOTES,STRICT_ALL_TABLES"),
                Some(false),
                Some(Duration::from_millis(2500))
            )
            .unwrap()
            .as_deref(),
            Some(
                "SET NAMES utf8mb4, sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES', autocommit = 0, \
                 innodb_lock_wait_timeout = 3"
            )
        );
        assert_eq!(
            session_set(None, None, None, Some(Duration::ZERO)).unwrap().as_deref(),
            Some("SET innodb_lock_wait_timeout = 0")
        );
        assert_eq!(
            session_set(None, None, Some(true), Some(Duration::MAX)).unwrap().as_deref(),
            Some("SET autocommit = 1, innodb_lock_wait_timeout = 1073741824")
        );
        assert!(session_set(None, Some("x'; DROP TABLE t; --"), None, None).is_err());
    }
}
