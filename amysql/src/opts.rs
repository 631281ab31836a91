//! Connection options: a builder and `mysql://` URL parsing.
//!
//! `Debug` shows the user and hides the password; error messages about a URL never echo
//! the URL itself, since it may carry the password.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::percent_decode_str;

mod extras;
mod option_file;
mod url;

pub use extras::ProviderResult;

use crate::conn::local_infile::LocalInfile;
use crate::error::{Error, Result};

/// How TLS is negotiated (MySQL's `--ssl-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Never use TLS.
    Disabled,
    /// Use TLS when the server offers it, without verifying the certificate (default).
    #[default]
    Preferred,
    /// Require TLS; do not verify the certificate.
    Required,
    /// Require TLS and verify the certificate chain against `ssl_ca`, which is required
    /// (connecting without it is refused: public roots without a name check would accept
    /// any publicly trusted certificate for any domain).
    VerifyCa,
    /// Require TLS, verify the chain against `ssl_ca` (or, without it, the public web
    /// roots bundled from webpki-roots), and check that the certificate names the host.
    VerifyIdentity,
}

impl FromStr for SslMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "disabled" | "disable" | "false" | "0" => SslMode::Disabled,
            "preferred" | "prefer" => SslMode::Preferred,
            "required" | "require" | "true" | "1" => SslMode::Required,
            "verify_ca" => SslMode::VerifyCa,
            "verify_identity" | "verify_full" => SslMode::VerifyIdentity,
            other => return Err(Error::Interface(format!("unknown ssl-mode `{other}`"))),
        })
    }
}

/// Everything needed to open a connection.
#[derive(Clone)]
pub struct ConnectOptions {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: Option<String>,
    pub(crate) db: Option<String>,
    pub(crate) unix_socket: Option<PathBuf>,
    pub(crate) charset: String,
    pub(crate) sql_mode: Option<String>,
    pub(crate) init_command: Option<String>,
    pub(crate) autocommit: Option<bool>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    /// Statement timeouts (see `statement_timeout`): `None`/`false` cost nothing.
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) kill_on_drop: bool,
    pub(crate) lock_wait_timeout: Option<Duration>,
    pub(crate) ssl_mode: SslMode,
    pub(crate) ssl_ca: Option<PathBuf>,
    pub(crate) ssl_cert: Option<PathBuf>,
    pub(crate) ssl_key: Option<PathBuf>,
    pub(crate) server_public_key: Option<Arc<Vec<u8>>>,
    pub(crate) allow_public_key_retrieval: bool,
    pub(crate) program_name: Option<String>,
    pub(crate) local_infile: LocalInfile,
    /// Explicit limit on what the client sends; `None` follows the server's
    /// `@@max_allowed_packet`, learned the first time a command exceeds 16 MiB.
    pub(crate) max_allowed_packet: Option<usize>,
    pub(crate) max_incoming_packet: usize,
    pub(crate) enable_cleartext_plugin: bool,
    pub(crate) allow_cleartext_without_tls: bool,
    pub(crate) echo: bool,
    pub(crate) multi_statements: bool,
    pub(crate) stmt_cache_size: usize,
    /// Protocol compression (`compression`): none by default.
    pub(crate) compression: Option<crate::protocol::compressed::Compression>,
    pub(crate) compression_level: Option<u8>,
    /// Option files, flags, credential provider, auth plugins (opts/extras.rs).
    pub(crate) ext: extras::Extras,
    /// Statement logging and span contents (trace.rs).
    pub(crate) obs: crate::trace::ObsOptions,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            host: "localhost".into(),
            port: 3306,
            user: String::new(),
            password: None,
            db: None,
            unix_socket: None,
            charset: "utf8mb4".into(),
            sql_mode: None,
            init_command: None,
            autocommit: None,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: None,
            write_timeout: None,
            statement_timeout: None,
            kill_on_drop: false,
            lock_wait_timeout: None,
            ssl_mode: SslMode::Preferred,
            ssl_ca: None,
            ssl_cert: None,
            ssl_key: None,
            server_public_key: None,
            allow_public_key_retrieval: false,
            program_name: None,
            local_infile: LocalInfile::Disabled,
            max_allowed_packet: None,
            max_incoming_packet: crate::io::packet_stream::DEFAULT_MAX_INCOMING_PACKET,
            enable_cleartext_plugin: false,
            allow_cleartext_without_tls: false,
            echo: false,
            multi_statements: true,
            stmt_cache_size: 0,
            compression: None,
            compression_level: None,
            ext: Default::default(),
            obs: crate::trace::ObsOptions::default(),
        }
    }
}

impl ConnectOptions {
    /// Defaults: localhost:3306, no user, utf8mb4, ssl-mode preferred, 10 s connect timeout.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self.mark_explicit("host");
        self
    }
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self.mark_explicit("port");
        self
    }
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self.mark_explicit("user");
        self
    }
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self.mark_explicit("password");
        self
    }
    pub fn db(mut self, db: impl Into<String>) -> Self {
        self.db = Some(db.into());
        self.mark_explicit("database");
        self
    }
    /// Connect through this unix socket instead of TCP.
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix_socket = Some(path.into());
        self.mark_explicit("socket");
        self
    }
    /// Connection charset (default utf8mb4). Client-side `%s` escaping refuses GBK, BIG5,
    /// SJIS, CP932 and GB2312, where backslash escaping is unsafe.
    pub fn charset(mut self, charset: impl Into<String>) -> Self {
        self.charset = charset.into();
        self.mark_explicit("default-character-set");
        self
    }
    /// `SET sql_mode = ...` right after connecting.
    pub fn sql_mode(mut self, mode: impl Into<String>) -> Self {
        self.sql_mode = Some(mode.into());
        self
    }
    /// A statement run after connecting (and after every reset).
    pub fn init_command(mut self, sql: impl Into<String>) -> Self {
        self.init_command = Some(sql.into());
        self
    }
    /// Set autocommit on connect. Unset, the server's default (ON) stays: this differs from
    /// aiomysql, whose default is False.
    pub fn autocommit(mut self, on: bool) -> Self {
        self.autocommit = Some(on);
        self
    }
    /// Bound on TCP connect plus the whole handshake (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self.mark_explicit("connect-timeout");
        self
    }
    /// Bound on each wait for server data; on expiry the connection is closed.
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.read_timeout = Some(t);
        self
    }
    /// Bound on each write to the server.
    pub fn write_timeout(mut self, t: Duration) -> Self {
        self.write_timeout = Some(t);
        self
    }
    /// Bound on every statement of the typed layer (`query`, `query_as`, `query_scalar`)
    /// and of cursors' `execute`, from the moment it is sent until its last row is read
    /// (URL `statement_timeout=<seconds>`; default none). `query(..).timeout(d)` and
    /// `cursor.set_timeout(..)` override it per statement.
    ///
    /// The server enforces it where it can, at no extra round trip: MariaDB runs the
    /// statement as `SET STATEMENT max_statement_time=<s> FOR <statement>`, MySQL gets a
    /// `/*+ MAX_EXECUTION_TIME(<ms>) */` hint after a leading `SELECT`. A client-side
    /// deadline backs it up (a little later when the server enforces the limit, so the
    /// server's own error comes first): when it passes, `KILL QUERY` is sent over a
    /// short-lived side connection opened with these options, the killed statement's
    /// response is read, and the connection stays usable. Either way the statement
    /// returns [`Error::Timeout`] with `what` starting with `"statement"`
    /// ([`Error::is_statement_timeout`]). Sub-millisecond parts are rounded up. A zero
    /// duration means no timeout. Administrative helpers (`query_drop`, `query_text`,
    /// `commit`, ...) are not bounded.
    pub fn statement_timeout(mut self, t: Duration) -> Self {
        self.statement_timeout = (!t.is_zero()).then_some(t);
        self
    }
    /// When a typed query's future or stream is dropped while its statement may still be
    /// running on the server, send `KILL QUERY` for it in the background (a task spawned
    /// on the current tokio runtime opens a short-lived side connection). The connection
    /// then waits for that kill to be acknowledged before its next command, so the kill
    /// cannot hit a later statement, and a pooled connection comes back in milliseconds
    /// instead of after the statement ends. Off by default (URL `kill_on_drop=true`):
    /// without it the statement runs to its end and the connection reads and discards
    /// its response before its next command (a pooled one before it is lent again, within
    /// the pool's recycle timeout, else it is closed).
    pub fn kill_on_drop(mut self, on: bool) -> Self {
        self.kill_on_drop = on;
        self
    }
    /// `SET innodb_lock_wait_timeout` for the session at connect and after every reset,
    /// in the same statement as the other session settings (URL
    /// `lock_wait_timeout=<seconds>`; default: the server's, usually 50 s). InnoDB counts
    /// whole seconds: a fraction is rounded up.
    pub fn lock_wait_timeout(mut self, t: Duration) -> Self {
        self.lock_wait_timeout = Some(t);
        self
    }
    pub fn ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = mode;
        self.mark_explicit("ssl-mode");
        self
    }
    /// PEM file with the CA certificate(s) to verify the server against.
    pub fn ssl_ca(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_ca = Some(path.into());
        self.mark_explicit("ssl-ca");
        self
    }
    /// PEM client certificate, for users that REQUIRE X509.
    pub fn ssl_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_cert = Some(path.into());
        self.mark_explicit("ssl-cert");
        self
    }
    /// PEM private key for `ssl_cert`.
    pub fn ssl_key(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_key = Some(path.into());
        self.mark_explicit("ssl-key");
        self
    }
    /// The server's RSA public key (PEM, `BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`),
    /// for sha256_password and caching_sha2_password full authentication over plain TCP
    /// (no TLS, no unix socket): the password is sent encrypted with this key. Without it
    /// (and without [`allow_public_key_retrieval`](Self::allow_public_key_retrieval)) such
    /// a connection is refused rather than sending the password.
    pub fn server_public_key(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.server_public_key = Some(Arc::new(pem.into()));
        self
    }
    /// Let the client ask the server for its RSA public key when sha256_password or
    /// caching_sha2_password full authentication runs over plain TCP and no
    /// [`server_public_key`](Self::server_public_key) is given (off by default; URL
    /// `allow_public_key_retrieval=true`). The key is not authenticated: whoever answers,
    /// a rogue server or anybody between client and server, can send its own key and
    /// decrypt the password. Prefer TLS or a configured key; this is libmysqlclient's
    /// `--get-server-public-key` and Connector/J's `allowPublicKeyRetrieval`.
    pub fn allow_public_key_retrieval(mut self, on: bool) -> Self {
        self.allow_public_key_retrieval = on;
        self
    }
    /// Sent as the `program_name` connection attribute.
    pub fn program_name(mut self, name: impl Into<String>) -> Self {
        self.program_name = Some(name.into());
        self
    }
    /// LOAD DATA LOCAL INFILE policy (refused by default).
    pub fn local_infile(mut self, policy: LocalInfile) -> Self {
        self.local_infile = policy;
        self
    }
    /// Largest command the client sends; larger ones are refused before they are sent
    /// (the server would drop the connection instead). Unset (the default), the limit is
    /// the server's own `@@max_allowed_packet`, asked for once per connection the first
    /// time a command exceeds 16 MiB, so ordinary commands cost nothing extra.
    pub fn max_allowed_packet(mut self, bytes: usize) -> Self {
        self.max_allowed_packet = Some(bytes);
        self
    }
    /// Largest packet the client accepts from the server: one row, column definition or
    /// status packet (default 64 MiB). A longer one is refused as soon as its header
    /// announces it, before its bytes are buffered, and breaks the connection, so a
    /// hostile or corrupted length cannot make the client allocate without bound. Raise
    /// it to read single values larger than 64 MiB (the server's max_allowed_packet
    /// bounds what it sends).
    pub fn max_incoming_packet(mut self, bytes: usize) -> Self {
        self.max_incoming_packet = bytes;
        self
    }
    /// Prepared statements for the typed layer (`query`, `query_as`, `query_scalar`):
    /// with `n > 0` each connection prepares a distinct SQL text once, keeps up to `n`
    /// statements (least recently used closed first) and runs queries as
    /// COM_STMT_EXECUTE with binary parameters and binary result rows, which costs both
    /// sides less per row and the server less per query than formatting `%s` into SQL.
    /// `0` (the default) keeps aiomysql's text protocol everywhere. Cursors always use
    /// text. Statements the server cannot prepare, and parameters without a binary form
    /// (IN lists), run as text.
    pub fn stmt_cache_size(mut self, n: usize) -> Self {
        self.stmt_cache_size = n;
        self
    }
    // --- compression ---

    /// Compresses the protocol (`Compression::Zlib`, any server: needs the `compression`
    /// cargo feature; `Compression::Zstd`, MySQL 8.0.18+: needs `zstd`). Worth it on slow
    /// or metered links with large results; on a fast network it costs both sides CPU for
    /// nothing. A server that does not offer the algorithm gets an uncompressed
    /// connection, as with libmysqlclient. Negotiated after TLS when both are on.
    pub fn compression(mut self, algorithm: crate::protocol::compressed::Compression) -> Self {
        self.compression = Some(algorithm);
        self
    }
    /// Compression level: zlib 0-9 (default 6), zstd 1-22 (default 3). Out of range is an
    /// error at connect time.
    pub fn compression_level(mut self, level: u8) -> Self {
        self.compression_level = Some(level);
        self
    }

    /// Allow the mysql_clear_password plugin (needed for PAM/LDAP). It is still refused on
    /// plain TCP without TLS unless `allow_cleartext_without_tls(true)` is also set.
    pub fn enable_cleartext_plugin(mut self, on: bool) -> Self {
        self.enable_cleartext_plugin = on;
        self
    }
    /// Permit the cleartext plugin to send the password over an unencrypted TCP connection.
    pub fn allow_cleartext_without_tls(mut self, on: bool) -> Self {
        self.allow_cleartext_without_tls = on;
        self
    }
    /// Log every query through `tracing` at INFO (aiomysql's `echo`).
    pub fn echo(mut self, on: bool) -> Self {
        self.echo = on;
        self
    }
    /// Allow `;`-separated statements in one query (default on, as in aiomysql).
    pub fn multi_statements(mut self, on: bool) -> Self {
        self.multi_statements = on;
        self
    }

    /// The configured user.
    pub fn get_user(&self) -> &str {
        &self.user
    }
    /// The configured host.
    pub fn get_host(&self) -> &str {
        &self.host
    }
    /// The configured port.
    pub fn get_port(&self) -> u16 {
        self.port
    }
    /// The configured database.
    pub fn get_db(&self) -> Option<&str> {
        self.db.as_deref()
    }

    fn apply_param(mut self, key: &str, value: &str) -> Result<Self> {
        let dur = |v: &str| -> Result<Duration> {
            // try_from: a huge number is an error, not a panic.
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| Error::Interface(format!("URL option `{key}` must be a number of seconds")))
        };
        let flag = |v: &str| -> Result<bool> {
            match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(Error::Interface(format!("URL option `{key}` must be true or false"))),
            }
        };
        match key.replace('-', "_").to_ascii_lowercase().as_str() {
            "ssl_mode" | "sslmode" => {
                self.mark_explicit("ssl-mode");
                self.ssl_mode = value.parse()?
            }
            "ssl_ca" | "sslca" => {
                self.mark_explicit("ssl-ca");
                self.ssl_ca = Some(value.into())
            }
            "ssl_cert" => {
                self.mark_explicit("ssl-cert");
                self.ssl_cert = Some(value.into())
            }
            "ssl_key" => {
                self.mark_explicit("ssl-key");
                self.ssl_key = Some(value.into())
            }
            "socket" | "unix_socket" => {
                self.mark_explicit("socket");
                self.unix_socket = Some(value.into())
            }
            "charset" => {
                self.mark_explicit("default-character-set");
                self.charset = value.into()
            }
            "sql_mode" => self.sql_mode = Some(value.into()),
            "init_command" => self.init_command = Some(value.into()),
            "autocommit" => self.autocommit = Some(flag(value)?),
            "connect_timeout" => {
                self.mark_explicit("connect-timeout");
                self.connect_timeout = Some(dur(value)?)
            }
            "read_timeout" => self.read_timeout = Some(dur(value)?),
            "write_timeout" => self.write_timeout = Some(dur(value)?),
            "statement_timeout" | "max_statement_time" => self = self.statement_timeout(dur(value)?),
            "kill_on_drop" => self.kill_on_drop = flag(value)?,
            "lock_wait_timeout" | "innodb_lock_wait_timeout" => self.lock_wait_timeout = Some(dur(value)?),
            "program_name" => self.program_name = Some(value.into()),
            "echo" => self.echo = flag(value)?,
            "multi_statements" => self.multi_statements = flag(value)?,
            "stmt_cache_size" | "statement_cache_size" => {
                self.stmt_cache_size = value
                    .parse()
                    .map_err(|_| Error::Interface("URL option `stmt_cache_size` must be a count".into()))?
            }
            "enable_cleartext_plugin" => self.enable_cleartext_plugin = flag(value)?,
            "allow_public_key_retrieval" | "allowpublickeyretrieval" | "get_server_public_key" => {
                self.allow_public_key_retrieval = flag(value)?
            }
            "max_allowed_packet" => {
                self.max_allowed_packet = Some(
                    value
                        .parse()
                        .map_err(|_| Error::Interface("URL option `max_allowed_packet` must be a byte count".into()))?,
                )
            }
            "max_incoming_packet" => {
                self.max_incoming_packet = value
                    .parse()
                    .map_err(|_| Error::Interface("URL option `max_incoming_packet` must be a byte count".into()))?
            }
            "compression" => {
                self.compression = match value.to_ascii_lowercase().as_str() {
                    "" | "none" | "off" | "false" | "0" => None,
                    "true" | "on" | "1" => Some(crate::protocol::compressed::Compression::Zlib),
                    v => Some(v.parse()?),
                }
            }
            "compression_level" => {
                self.compression_level =
                    Some(value.parse().map_err(|_| {
                        Error::Interface("URL option `compression_level` must be a small number".into())
                    })?)
            }
            "read_default_file" => self.ext.option_files.push(value.into()),
            "read_default_group" => self.ext.option_group = Some(value.into()),
            "found_rows" => self.ext.found_rows = flag(value)?,
            "collation" => self.ext.collation = Some(value.into()),
            _ => return Err(Error::Interface(format!("unknown URL option `{key}`"))),
        }
        Ok(self)
    }
}

fn decode(part: &str, what: &str) -> Result<String> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::Interface(format!("connection URL: {what} is not valid percent-encoded UTF-8")))
}

impl FromStr for ConnectOptions {
    type Err = Error;

    /// Parses `mysql://user:password@host:port/db?option=value&...` (also `mariadb://`).
    /// Percent-encode reserved characters in the user, password and database name; an
    /// unencoded `/`, `@`, `:`, `#` or `?` in a password is still understood (the rules are
    /// in `opts/url.rs`), but in a URL without a user an `@` in the database name must be
    /// written `%40`. URL errors never quote the user, the password, or any part that might
    /// belong to them.
    /// Options: ssl-mode, ssl-ca, ssl-cert, ssl-key, socket, charset, sql_mode,
    /// init_command, autocommit, connect_timeout, read_timeout, write_timeout,
    /// statement_timeout, lock_wait_timeout (seconds), kill_on_drop,
    /// program_name, echo, multi_statements, enable_cleartext_plugin,
    /// allow_public_key_retrieval, max_allowed_packet, max_incoming_packet, stmt_cache_size,
    /// read_default_file, read_default_group, found_rows, collation,
    /// compression (zlib, zstd), compression_level.
    fn from_str(url: &str) -> Result<Self> {
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| Error::Interface("connection URL must start with mysql:// or mariadb://".into()))?;
        // With an `@` after the first `?`, the options may hold part of a password that
        // contains an unencoded `?`: their errors then name no option and no value.
        let quote = !rest.split_once('?').is_some_and(|(_, q)| q.contains('@'));
        // When no reading holds, report the first one whose shape was right (its values
        // were wrong), else the first shape error: that is the likelier intended reading.
        let (mut shape_err, mut value_err) = (None, None);
        for reading in url::readings(rest) {
            match reading {
                Err(e) => {
                    shape_err.get_or_insert(e);
                }
                Ok(parts) => match ConnectOptions::from_parts(parts, quote) {
                    Ok(opts) => return Ok(opts),
                    Err(e) => {
                        value_err.get_or_insert(e);
                    }
                },
            }
        }
        Err(value_err.or(shape_err).unwrap_or_else(|| Error::Interface("connection URL cannot be parsed".into())))
    }
}

impl ConnectOptions {
    fn from_parts(parts: url::UrlParts<'_>, quote: bool) -> Result<Self> {
        let mut opts = ConnectOptions::new();
        if let Some(user) = parts.user {
            opts.user = decode(user, "user")?;
            opts.mark_explicit("user");
        }
        if let Some(p) = parts.password {
            opts.password = Some(decode(p, "password")?);
            opts.mark_explicit("password");
        }
        if !parts.host.is_empty() {
            opts.host = decode(parts.host, "host")?;
            opts.mark_explicit("host");
        }
        if let Some(port) = parts.port {
            opts.port = port;
            opts.mark_explicit("port");
        }
        if !parts.db.is_empty() {
            opts.db = Some(decode(parts.db, "database")?);
            opts.mark_explicit("database");
        }
        for pair in parts.query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = decode(v, "option value")?;
            opts = opts.apply_param(&decode(k, "option name")?, &v).map_err(|e| {
                if quote {
                    e
                } else {
                    Error::Interface(
                        "connection URL: an option is unknown or has an invalid value (not quoted: with an `@` \
                         after the `?` the options may hold part of a password; percent-encode `?` in a \
                         password as %3F)"
                            .into(),
                    )
                }
            })?;
        }
        Ok(opts)
    }
}

impl TryFrom<&str> for ConnectOptions {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        s.parse()
    }
}

/// Observability: statement logging (as sqlx's `log_statements` / `log_slow_statements`)
/// and what the per-command `tracing` spans record (see the `trace` module).
impl ConnectOptions {
    /// The level every statement is logged at, target `amysql::query` (default DEBUG;
    /// `LevelFilter::OFF` for none). The event carries `db.query.text` (the SQL as
    /// written, never bound values), `elapsed`, `rows_returned` / `rows_affected`.
    pub fn log_statements(mut self, level: impl Into<tracing::level_filters::LevelFilter>) -> Self {
        self.obs.statements = level.into();
        self
    }
    /// Statements that take `threshold` or longer are logged at `level` instead (default
    /// WARN above 1 s; `LevelFilter::OFF` for none), with `slow_threshold`.
    pub fn log_slow_statements(
        mut self,
        level: impl Into<tracing::level_filters::LevelFilter>,
        threshold: Duration,
    ) -> Self {
        self.obs.slow = level.into();
        self.obs.slow_threshold = threshold;
        self
    }
    /// No statement logging at all (either level); spans stay.
    pub fn disable_statement_logging(mut self) -> Self {
        self.obs.statements = tracing::level_filters::LevelFilter::OFF;
        self.obs.slow = tracing::level_filters::LevelFilter::OFF;
        self
    }
    /// Whether spans and statement log events carry `db.query.text` (default on). The
    /// text is the SQL as written, placeholders unexpanded; turn it off when the SQL
    /// itself is sensitive (literals written into it by the application).
    pub fn trace_query_text(mut self, on: bool) -> Self {
        self.obs.query_text = on;
        self
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("db", &self.db)
            .field("unix_socket", &self.unix_socket)
            .field("charset", &self.charset)
            .field("ssl_mode", &self.ssl_mode)
            .field("autocommit", &self.autocommit)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("compression", &self.compression)
            .field("ext", &self.ext)
            .finish_non_exhaustive()
    }
}

/// Anything `connect` accepts: options, or a URL string.
pub trait IntoConnectOptions {
    fn into_connect_options(self) -> Result<ConnectOptions>;
}

impl IntoConnectOptions for ConnectOptions {
    fn into_connect_options(self) -> Result<ConnectOptions> {
        Ok(self)
    }
}
impl IntoConnectOptions for &ConnectOptions {
    fn into_connect_options(self) -> Result<ConnectOptions> {
        Ok(self.clone())
    }
}
impl IntoConnectOptions for &str {
    fn into_connect_options(self) -> Result<ConnectOptions> {
        self.parse()
    }
}
impl IntoConnectOptions for &String {
    fn into_connect_options(self) -> Result<ConnectOptions> {
        self.parse()
    }
}
impl IntoConnectOptions for String {
    fn into_connect_options(self) -> Result<ConnectOptions> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_url() {
        let o: ConnectOptions =
            "mysql://ro%40t:p%3Aw%2F@db.example:3307/my%20db?ssl-mode=verify_ca&ssl-ca=/ca.pem&connect_timeout=2.5&autocommit=false"
                .parse()
                .unwrap();
        assert_eq!(o.user, "ro@t");
        assert_eq!(o.password.as_deref(), Some("p:w/"));
        assert_eq!((o.host.as_str(), o.port), ("db.example", 3307));
        assert_eq!(o.db.as_deref(), Some("my db"));
        assert_eq!(o.ssl_mode, SslMode::VerifyCa);
        assert_eq!(o.ssl_ca, Some(PathBuf::from("/ca.pem")));
        assert_eq!(o.connect_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(o.autocommit, Some(false));
    }

    #[test]
    fn minimal_and_ipv6() {
        let o: ConnectOptions = "mysql://localhost".parse().unwrap();
        assert_eq!((o.host.as_str(), o.port, o.user.as_str(), o.db), ("localhost", 3306, "", None));
        let o: ConnectOptions = "mariadb://u@[::1]:3310/".parse().unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 3310));
        let o: ConnectOptions = "mysql://u@localhost/test?socket=/run/mysqld.sock".parse().unwrap();
        assert_eq!(o.unix_socket, Some(PathBuf::from("/run/mysqld.sock")));
    }

    /// Every 4-character piece of `secret`: none may show up in an error.
    fn fragments(secret: &str) -> Vec<String> {
        let chars: Vec<char> = secret.chars().collect();
        if chars.len() < 4 {
            return vec![secret.to_string()];
        }
        chars.windows(4).map(|w| w.iter().collect()).collect()
    }

    fn percent_encode_all(s: &str) -> String {
        s.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    #[test]
    fn malformed_urls_are_errors_without_secrets() {
        // Secrets share no 4-character piece with the fixed error texts, so a match can
        // only be an echo. Each holds characters that are reserved in URLs.
        let users = ["zqKyl3", "zq/Ky:l3", "zq%zzKy", "zq@Kyl3"];
        let passwords = [
            "Xv9Rq/wT7k",
            "Xv9Rq?wT7k",
            "Xv9:Rq:wT7k",
            "Xv9@Rq@wT7k",
            "Xv9#Rq#wT7k",
            "Xv9[Rq]wT7k",
            "Xv9/Rq@wT?7k",
            "Xv9Rq%zzwT7k",
            "Xv9Rq%ff%fewT7k",
            "4821/9730",
            "4821?9730=@",
            "Xv9&Rq=wT7k",
        ];
        let templates = [
            "postgres://{u}:{p}@db.example/app",
            "mysql://{u}:{p}@db.example:99999/app",
            "mysql://{u}:{p}@db.example:port/app",
            "mysql://{u}:{p}@db.example:3306:3307/app",
            "mysql://{u}:{p}@[::1/app",
            "mysql://{u}:{p}@[::1]x/app",
            "mysql://{u}:{p}@db example/app",
            "mysql://{u}:{p}@db.example/a/b",
            "mysql://{u}:{p}@db.example/%ff",
            "mysql://{u}:{p}@db.example/app?ssl-mode=sometimes",
            "mysql://{u}:{p}@db.example/app?frobnicate=1",
            "mysql://{u}:{p}@db.example/app?connect_timeout=-1",
            "mysql://{u}:{p}@db.example/app?autocommit=maybe&echo=1",
            "mysql://{u}:{p}@db.example:3306/app?%ff=1",
        ];
        let mut checked = 0;
        for user in users {
            for password in passwords {
                // Raw (as people paste them) and properly percent-encoded.
                for (u, p) in
                    [(user.to_string(), password.to_string()), (percent_encode_all(user), percent_encode_all(password))]
                {
                    for t in templates {
                        let url = t.replace("{u}", &u).replace("{p}", &p);
                        let e = match url.parse::<ConnectOptions>() {
                            Err(e) => e,
                            Ok(o) => panic!("{url} parsed: {o:?}"),
                        };
                        assert_eq!(e.kind(), crate::ErrorKind::Interface, "{url}");
                        let text = format!("{e} {e:?}");
                        for secret in [user, password, u.as_str(), p.as_str()] {
                            for piece in fragments(secret) {
                                assert!(!text.contains(&piece), "{url}: `{piece}` in: {text}");
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, users.len() * passwords.len() * 2 * templates.len());
    }

    #[test]
    fn unencoded_userinfo_characters_are_understood() {
        // The example: `/` in the password used to end the authority.
        let o: ConnectOptions = "mysql://u:Passw0rd/xyz@db.example:3306/app".parse().unwrap();
        assert_eq!((o.user.as_str(), o.password.as_deref()), ("u", Some("Passw0rd/xyz")));
        assert_eq!((o.host.as_str(), o.port, o.db.as_deref()), ("db.example", 3306, Some("app")));
        for (url, user, password, db) in [
            ("mysql://u:p@ss/w@db.example/app", "u", "p@ss/w", Some("app")),
            ("mysql://u:4821/9730@db.example", "u", "4821/9730", None),
            ("mysql://u:4821?9730@db.example/app", "u", "4821?9730", Some("app")),
            ("mysql://u:pa?ss@db.example/app?ssl-mode=disabled", "u", "pa?ss", Some("app")),
            ("mysql://u:a:b#c[d]@db.example/app", "u", "a:b#c[d]", Some("app")),
            ("mysql://us/er:pw@db.example/app", "us/er", "pw", Some("app")),
            // A user given: the database name may hold `@`, options may too.
            ("mysql://u:pw@db.example/my@db?init_command=SET%20@x%3D1", "u", "pw", Some("my@db")),
        ] {
            let o: ConnectOptions = url.parse().unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!((o.user.as_str(), o.password.as_deref()), (user, Some(password)), "{url}");
            assert_eq!((o.host.as_str(), o.db.as_deref()), ("db.example", db), "{url}");
        }
        let o: ConnectOptions = "mysql://u:pa?ss@db.example/app?ssl-mode=disabled".parse().unwrap();
        assert_eq!(o.ssl_mode, SslMode::Disabled);
        // No user: an `@` in the options stays there.
        let o: ConnectOptions = "mysql://db.example/app?init_command=SET%20@x%3D1".parse().unwrap();
        assert_eq!((o.user.as_str(), o.host.as_str()), ("", "db.example"));
        assert_eq!(o.init_command.as_deref(), Some("SET @x=1"));
    }

    #[test]
    fn public_key_retrieval_is_opt_in() {
        assert!(!ConnectOptions::new().allow_public_key_retrieval);
        assert!(ConnectOptions::new().allow_public_key_retrieval(true).allow_public_key_retrieval);
        let o: ConnectOptions = "mysql://u:p@h/db?allow_public_key_retrieval=true".parse().unwrap();
        assert!(o.allow_public_key_retrieval);
        let o: ConnectOptions = "mysql://u:p@h/db?allowPublicKeyRetrieval=false".parse().unwrap();
        assert!(!o.allow_public_key_retrieval);
    }

    #[test]
    fn timeout_options_from_url() {
        let o: ConnectOptions =
            "mysql://u@h/db?statement_timeout=0.25&kill_on_drop=true&lock_wait_timeout=3".parse().unwrap();
        assert_eq!(o.statement_timeout, Some(Duration::from_millis(250)));
        assert!(o.kill_on_drop);
        assert_eq!(o.lock_wait_timeout, Some(Duration::from_secs(3)));
        let o: ConnectOptions = "mysql://u@h/db?statement_timeout=0".parse().unwrap();
        assert_eq!(o.statement_timeout, None);
        let d = ConnectOptions::new();
        assert_eq!((d.statement_timeout, d.kill_on_drop, d.lock_wait_timeout), (None, false, None));
        for bad in ["statement_timeout=soon", "kill_on_drop=maybe", "lock_wait_timeout=-1", "statement_timeout=1e300"] {
            let e = format!("mysql://u@h/db?{bad}").parse::<ConnectOptions>().unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Interface, "{bad}");
        }
    }

    #[test]
    fn debug_redacts_password() {
        let o = ConnectOptions::new().user("alice").password("hunter2");
        let d = format!("{o:?}");
        assert!(d.contains("alice") && d.contains("<redacted>") && !d.contains("hunter2"), "{d}");
    }
}
