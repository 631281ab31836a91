//! The rest of PyMySQL's `connect()` arguments: option files, `found_rows`, `collation`,
//! `client_flag`, `bind_address`, `ssl_key_password`, extra connection attributes, a
//! password provider for rotating credentials, and custom authentication plugins.
//!
//! Kept apart from the core options so that each concern reads on its own.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use super::option_file::{self, Setting};
use super::ConnectOptions;
use crate::conn::auth_plugin::AuthPlugin;
use crate::error::{Error, Result};
use crate::protocol::constants::capability as cap;

/// What a password provider's future resolves to.
pub type ProviderResult = std::result::Result<String, Box<dyn std::error::Error + Send + Sync>>;
type ProviderFuture = Pin<Box<dyn Future<Output = ProviderResult> + Send>>;

/// The async password callback (see [`ConnectOptions::password_provider`]).
#[derive(Clone)]
pub(crate) struct PasswordProvider(Arc<dyn Fn() -> ProviderFuture + Send + Sync>);

impl PasswordProvider {
    pub(crate) async fn call(&self) -> Result<String> {
        (self.0)().await.map_err(|e| Error::Auth(format!("password provider failed: {e}")))
    }
}

/// Options added for issue 21, grouped so that [`ConnectOptions`] gains one field.
#[derive(Clone, Default)]
pub(crate) struct Extras {
    pub option_files: Vec<PathBuf>,
    pub option_group: Option<String>,
    /// Which option-file keys the caller set explicitly (builder or URL): a bit per
    /// entry of [`option_file::KEYS`]. Option files fill only the others.
    pub explicit: u16,
    pub found_rows: bool,
    pub collation: Option<String>,
    pub client_flag: u32,
    pub bind_address: Option<IpAddr>,
    pub ssl_key_password: Option<String>,
    pub connect_attrs: Vec<(String, String)>,
    pub password_provider: Option<PasswordProvider>,
    pub auth_plugins: Vec<(String, Arc<dyn AuthPlugin>)>,
}

impl fmt::Debug for Extras {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attr_keys: Vec<&str> = self.connect_attrs.iter().map(|(k, _)| k.as_str()).collect();
        let plugins: Vec<&str> = self.auth_plugins.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Extras")
            .field("option_files", &self.option_files)
            .field("option_group", &self.option_group)
            .field("found_rows", &self.found_rows)
            .field("collation", &self.collation)
            .field("client_flag", &format_args!("{:#x}", self.client_flag))
            .field("bind_address", &self.bind_address)
            .field("ssl_key_password", &self.ssl_key_password.as_ref().map(|_| "<redacted>"))
            .field("connect_attrs", &attr_keys)
            .field("password_provider", &self.password_provider.as_ref().map(|_| "<provider>"))
            .field("auth_plugins", &plugins)
            .finish()
    }
}

/// Capability bits `client_flag` may add: they change what the server reports or how it
/// parses, and amysql's decoders are indifferent to them.
const HONOURED_FLAGS: u32 = cap::FOUND_ROWS | cap::NO_SCHEMA | cap::ODBC | cap::IGNORE_SPACE | cap::INTERACTIVE;
/// Bits amysql always negotiates itself (or that only ever meant something to the C
/// client): accepted and ignored, so ported `client_flag` values keep working.
const ALREADY_MANAGED: u32 = crate::conn::connect::BASE_CAPABILITIES | cap::IGNORE_SIGPIPE;

impl Extras {
    /// The extra capability bits to request, or why `client_flag` is refused.
    pub(crate) fn extra_capabilities(&self) -> Result<u32> {
        let f = self.client_flag;
        let refused = [
            (cap::COMPRESS, "CLIENT_COMPRESS (use compression)"),
            (cap::SSL, "CLIENT_SSL (use ssl_mode)"),
            (cap::LOCAL_FILES, "CLIENT_LOCAL_FILES (use local_infile, which decides which files may be read)"),
            (cap::CONNECT_WITH_DB, "CLIENT_CONNECT_WITH_DB (use db)"),
            (cap::SESSION_TRACK, "CLIENT_SESSION_TRACK (amysql reads session state from the status flags)"),
        ];
        for (bit, why) in refused {
            if f & bit != 0 {
                return Err(Error::Interface(format!("client_flag: {why}")));
            }
        }
        let unknown = f & !(HONOURED_FLAGS | ALREADY_MANAGED | cap::MULTI_STATEMENTS);
        if unknown != 0 {
            return Err(Error::Interface(format!("client_flag: unknown or unsupported capability bits {unknown:#x}")));
        }
        let mut extra = f & (HONOURED_FLAGS | cap::MULTI_STATEMENTS);
        if self.found_rows {
            extra |= cap::FOUND_ROWS;
        }
        Ok(extra)
    }
}

fn key_bit(key: &str) -> u16 {
    option_file::KEYS.iter().position(|k| *k == key).map_or(0, |i| 1 << i)
}

impl ConnectOptions {
    /// Records that `key` (an option-file key name) was set by the caller.
    pub(crate) fn mark_explicit(&mut self, key: &'static str) {
        self.ext.explicit |= key_bit(key);
    }

    fn is_explicit(&self, key: &str) -> bool {
        self.ext.explicit & key_bit(key) != 0
    }

    /// Read connection settings from a MySQL option file (`my.cnf`) when connecting:
    /// the `[client]` group and, with [`read_default_group`](Self::read_default_group),
    /// that group too (it overrides `[client]`). May be called more than once: later files
    /// override earlier ones. Keys: host, port, user, password, database, socket,
    /// default-character-set, ssl-ca, ssl-cert, ssl-key, ssl-mode, connect-timeout
    /// (seconds); `!include` and `!includedir` are followed; other keys are ignored.
    ///
    /// **Precedence:** options set explicitly (builder calls or the URL), in any order,
    /// win over the files; the files only fill what was not set, as PyMySQL's explicit
    /// arguments win. The files are read on every connect (a pool's new connections see
    /// edits), and a missing or malformed file fails the connect with an error naming
    /// the file and line, never a value. URL `read_default_file=<path>`; `~/` is
    /// expanded.
    pub fn read_default_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ext.option_files.push(path.into());
        self
    }

    /// The option-file group read next to `[client]` (PyMySQL's `read_default_group`;
    /// URL `read_default_group=<name>`). Without [`read_default_file`](Self::read_default_file)
    /// the group is looked for in `/etc/my.cnf`, as PyMySQL does, and a missing
    /// `/etc/my.cnf` is then not an error. Unlike PyMySQL, which reads only the named
    /// group, `[client]` is read too, as libmysqlclient (and mysqlclient) do.
    pub fn read_default_group(mut self, group: impl Into<String>) -> Self {
        self.ext.option_group = Some(group.into());
        self
    }

    /// CLIENT_FOUND_ROWS: UPDATE reports the rows it *matched* instead of the rows it
    /// changed (what Django and many ported applications expect). Off by default.
    pub fn found_rows(mut self, on: bool) -> Self {
        self.ext.found_rows = on;
        self
    }

    /// The session collation, applied with `SET NAMES <charset> COLLATE <collation>`
    /// after connecting and after every reset. Must belong to the charset; the server
    /// refuses a mismatch.
    pub fn collation(mut self, collation: impl Into<String>) -> Self {
        self.ext.collation = Some(collation.into());
        self
    }

    /// Extra capability flags, PyMySQL's `client_flag` (values of `pymysql.constants.CLIENT`).
    /// Honoured: FOUND_ROWS (2), NO_SCHEMA (16), ODBC (64), IGNORE_SPACE (256),
    /// INTERACTIVE (1024: the server applies `interactive_timeout`), MULTI_STATEMENTS
    /// (65536). Accepted and ignored, because amysql negotiates them itself: LONG_PASSWORD,
    /// LONG_FLAG, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, MULTI_RESULTS,
    /// PS_MULTI_RESULTS, PLUGIN_AUTH, PLUGIN_AUTH_LENENC_CLIENT_DATA, CONNECT_ATTRS,
    /// DEPRECATE_EOF, IGNORE_SIGPIPE. Refused at connect with an error saying which option
    /// to use instead: COMPRESS, SSL, LOCAL_FILES, CONNECT_WITH_DB, SESSION_TRACK, and any
    /// other bit. Flags the server lacks are dropped, as for every capability.
    pub fn client_flag(mut self, flags: u32) -> Self {
        self.ext.client_flag = flags;
        self
    }

    /// The local address of the TCP socket (PyMySQL's `bind_address`), for hosts with
    /// several interfaces; the port is chosen by the system. Only server addresses of the
    /// same family (IPv4/IPv6) are tried. Ignored for unix sockets.
    pub fn bind_address(mut self, addr: IpAddr) -> Self {
        self.ext.bind_address = Some(addr);
        self
    }

    /// The passphrase of an encrypted `ssl_key` (PEM `BEGIN ENCRYPTED PRIVATE KEY`,
    /// PKCS#8 with PBES2: PBKDF2 or scrypt with AES-CBC, as `openssl pkcs8 -topk8` writes
    /// them). OpenSSL's legacy encrypted PEM (`Proc-Type: 4,ENCRYPTED` inside `BEGIN RSA
    /// PRIVATE KEY`) is not supported: convert it with `openssl pkcs8 -topk8`.
    pub fn ssl_key_password(mut self, password: impl Into<String>) -> Self {
        self.ext.ssl_key_password = Some(password.into());
        self
    }

    /// An extra connection attribute, sent next to the built-in ones (`_client_name`,
    /// `_client_version`, `_pid`, `_os`, `_platform`, `program_name`) and visible in
    /// `performance_schema.session_connect_attrs`. An attribute with the name of a
    /// built-in one replaces it.
    pub fn connect_attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.ext.connect_attrs.retain(|(k, _)| *k != key);
        self.ext.connect_attrs.push((key, value.into()));
        self
    }

    /// Get the password from `provider` instead of a fixed one: it is called, and
    /// awaited, for every new connection (so a pool keeps connecting across IAM token or
    /// Vault rotation), inside `connect_timeout`. It takes precedence over
    /// [`password`](Self::password) and option files. An error from it fails that connect
    /// as `Error::Auth` carrying the provider's message. Connections already open are not
    /// affected by a new password. `Connection::change_user` takes its password
    /// explicitly and does not call the provider.
    ///
    /// ```no_run
    /// # use amysql::ConnectOptions;
    /// let opts = ConnectOptions::new().user("app").password_provider(|| async {
    ///     Ok::<_, std::io::Error>(std::fs::read_to_string("/run/secrets/db")?.trim().to_string())
    /// });
    /// ```
    pub fn password_provider<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<String, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        self.ext.password_provider = Some(PasswordProvider(Arc::new(move || {
            let fut = provider();
            Box::pin(async move { fut.await.map_err(Into::into) })
        })));
        self
    }

    /// Handle the authentication plugin `name` with `plugin` (PyMySQL's
    /// `auth_plugin_map`), e.g. MariaDB's `dialog` (PAM) or `auth_gssapi_client`. A
    /// registered plugin replaces a built-in one of the same name.
    pub fn auth_plugin(mut self, name: impl Into<String>, plugin: impl AuthPlugin) -> Self {
        let name = name.into();
        self.ext.auth_plugins.retain(|(n, _)| *n != name);
        self.ext.auth_plugins.push((name, Arc::new(plugin)));
        self
    }

    /// The password for a new connection: the provider's, else the fixed one.
    pub(crate) async fn current_password(&self) -> Result<String> {
        match &self.ext.password_provider {
            Some(p) => p.call().await,
            None => Ok(self.password.clone().unwrap_or_default()),
        }
    }

    /// The options with the option files applied (a no-op without files or group).
    pub(crate) fn with_option_files(&self) -> Result<Option<ConnectOptions>> {
        let mut files = self.ext.option_files.clone();
        if files.is_empty() {
            if self.ext.option_group.is_none() {
                return Ok(None);
            }
            let default = PathBuf::from("/etc/my.cnf");
            if !default.exists() {
                return Ok(None);
            }
            files.push(default);
        }
        let settings = option_file::read(&files, self.ext.option_group.as_deref())?;
        let mut out = self.clone();
        for s in settings {
            if !self.is_explicit(s.key) {
                out.apply_setting(&s)?;
            }
        }
        Ok(Some(out))
    }

    fn apply_setting(&mut self, s: &Setting) -> Result<()> {
        let bad = |what: &str| Error::Interface(format!("{}: `{}` {what}", s.at, s.key));
        let v = s.value.clone();
        match s.key {
            "host" => self.host = v,
            "port" => self.port = v.parse().map_err(|_| bad("must be a port number"))?,
            "user" => self.user = v,
            "password" => self.password = Some(v),
            "database" => self.db = Some(v),
            "socket" => self.unix_socket = Some(v.into()),
            "default-character-set" => self.charset = v,
            "ssl-ca" => self.ssl_ca = Some(v.into()),
            "ssl-cert" => self.ssl_cert = Some(v.into()),
            "ssl-key" => self.ssl_key = Some(v.into()),
            "ssl-mode" => self.ssl_mode = v.parse().map_err(|_| bad("is not a known ssl-mode"))?,
            "connect-timeout" => {
                let secs = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| bad("must be a number of seconds"))?;
                self.connect_timeout = Some(std::time::Duration::from_secs_f64(secs));
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_flag_bits() {
        let o = ConnectOptions::new();
        assert_eq!(o.ext.extra_capabilities().unwrap(), 0);
        let o = o.client_flag(cap::FOUND_ROWS | cap::MULTI_STATEMENTS | cap::PROTOCOL_41 | cap::INTERACTIVE);
        assert_eq!(o.ext.extra_capabilities().unwrap(), cap::FOUND_ROWS | cap::MULTI_STATEMENTS | cap::INTERACTIVE);
        assert_eq!(ConnectOptions::new().found_rows(true).ext.extra_capabilities().unwrap(), cap::FOUND_ROWS);
        for (bit, word) in [(cap::COMPRESS, "compression"), (cap::LOCAL_FILES, "local_infile"), (1 << 30, "unknown")] {
            let e = ConnectOptions::new().client_flag(bit).ext.extra_capabilities().unwrap_err();
            assert!(e.to_string().contains(word), "{e}");
        }
    }

    #[test]
    fn url_options() {
        let o: ConnectOptions =
            "mysql://u@h/?read_default_file=/a.cnf&read_default_file=/b.cnf&read_default_group=app&found_rows=1&collation=utf8mb4_bin"
                .parse()
                .unwrap();
        assert_eq!(o.ext.option_files, vec![PathBuf::from("/a.cnf"), PathBuf::from("/b.cnf")]);
        assert_eq!(o.ext.option_group.as_deref(), Some("app"));
        assert!(o.ext.found_rows);
        assert_eq!(o.ext.collation.as_deref(), Some("utf8mb4_bin"));
    }

    #[test]
    fn debug_hides_secrets() {
        let o = ConnectOptions::new()
            .ssl_key_password("keypass-9")
            .connect_attr("tenant", "t1")
            .password_provider(|| async { Ok::<_, std::io::Error>("prov-pw-7".to_string()) });
        let d = format!("{o:?}");
        assert!(d.contains("<provider>") && d.contains("tenant") && d.contains("<redacted>"), "{d}");
        assert!(!d.contains("keypass-9") && !d.contains("prov-pw-7") && !d.contains("t1\""), "{d}");
    }

    #[tokio::test]
    async fn provider_wins_and_its_errors_carry_its_message() {
        let o = ConnectOptions::new().password("fixed");
        assert_eq!(o.current_password().await.unwrap(), "fixed");
        let o = o.password_provider(|| async { Ok::<_, std::io::Error>("rotated".into()) });
        assert_eq!(o.current_password().await.unwrap(), "rotated");
        let o = o.password_provider(|| async { Err::<String, _>("vault sealed".to_string()) });
        let e = o.current_password().await.unwrap_err();
        assert!(matches!(e, Error::Auth(_)) && e.to_string().contains("vault sealed"), "{e}");
    }

    #[test]
    fn explicit_options_win_over_files_in_any_order() {
        let d = std::env::temp_dir().join(format!("amysql-extras-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("my.cnf");
        std::fs::write(&f, "[client]\nhost = filehost\nport = 3310\nuser = fileuser\npassword = filepw\n").unwrap();
        let o = ConnectOptions::new().port(3306).read_default_file(&f).user("me");
        let r = o.with_option_files().unwrap().unwrap();
        assert_eq!((r.host.as_str(), r.port, r.user.as_str()), ("filehost", 3306, "me"));
        assert_eq!(r.password.as_deref(), Some("filepw"));
        // URL parts and options are explicit too; an absent port is not.
        let url = format!("mysql://urluser@urlhost/?read_default_file={}", f.display());
        let r = url.parse::<ConnectOptions>().unwrap().with_option_files().unwrap().unwrap();
        assert_eq!((r.host.as_str(), r.port, r.user.as_str()), ("urlhost", 3310, "urluser"));
        std::fs::write(&f, "[client]\nport = 99999\npassword = Sekr1t\n").unwrap();
        let e = ConnectOptions::new().read_default_file(&f).with_option_files().unwrap_err();
        assert!(e.to_string().contains("line 2: `port` must be a port number"), "{e}");
        assert!(!e.to_string().contains("99999"), "{e}");
    }
}
