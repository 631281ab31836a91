//! The authentication plugin interface (PyMySQL's `auth_plugin_map`): the built-in plugins
//! and user-registered ones answer the server through the same trait, so a user can add
//! MariaDB's `dialog` (PAM), `auth_gssapi_client` and the like without forking.
//!
//! An exchange starts with the plugin's first response, to the greeting's nonce or to an
//! AuthSwitchRequest's data, and goes on with one call per server packet that is not OK,
//! ERR or another switch, until the server decides. The connection layer owns the
//! framing, the round cap and the OK/ERR handling; plugins only compute bytes.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::opts::ConnectOptions;
use crate::protocol::auth as plugin;

/// A client-side authentication plugin. Register one with
/// [`ConnectOptions::auth_plugin`].
///
/// Both methods are synchronous: they compute bytes from what the server sent. A plugin
/// that needs I/O of its own (a Kerberos ticket, a token) should obtain it before
/// connecting, e.g. in a [`password_provider`](ConnectOptions::password_provider), and
/// read it from [`AuthContext::password`].
pub trait AuthPlugin: Send + Sync + 'static {
    /// The first response, sent in the handshake response or after an AuthSwitchRequest.
    /// [`AuthContext::data`] holds the server's plugin data (the nonce, or for `dialog`
    /// the first question).
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>>;

    /// Answers a server packet during the exchange that is not OK, ERR or an
    /// AuthSwitchRequest. `data` is the packet without its AuthMoreData byte (0x01) when
    /// it has one; MariaDB sends plugin data starting with any other byte as it is, so a
    /// custom plugin gets those packets whole. `Ok(None)` sends nothing and waits for the
    /// next packet. An `Err` ends the connect with that error.
    fn next_response(&self, ctx: &mut AuthContext, data: &[u8]) -> Result<Option<Vec<u8>>>;
}

/// What a plugin may know about the exchange it is answering.
pub struct AuthContext {
    plugin_name: String,
    data: Vec<u8>,
    password: Vec<u8>,
    secure: bool,
    opts: Arc<ConnectOptions>,
    rounds: usize,
    /// Built-in SHA plugins: the client has just asked for the server's RSA key, so a key
    /// is accepted as the answer to that request, and only once.
    pub(crate) asked_for_key: bool,
}

impl std::fmt::Debug for AuthContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthContext")
            .field("plugin_name", &self.plugin_name)
            .field("secure", &self.secure)
            .field("rounds", &self.rounds)
            .finish_non_exhaustive()
    }
}

impl AuthContext {
    pub(crate) fn new(
        plugin_name: &str,
        data: &[u8],
        password: &[u8],
        secure: bool,
        opts: Arc<ConnectOptions>,
    ) -> AuthContext {
        AuthContext {
            plugin_name: plugin_name.to_string(),
            data: data.to_vec(),
            password: password.to_vec(),
            secure,
            opts,
            rounds: 0,
            asked_for_key: false,
        }
    }

    /// The plugin name the server asked for.
    pub fn plugin_name(&self) -> &str {
        &self.plugin_name
    }
    /// The server's plugin data from the greeting or the AuthSwitchRequest (the nonce, or
    /// a `dialog` question), as sent: MySQL and MariaDB end a nonce with a NUL, which the
    /// built-in plugins ignore by using only the bytes they need.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// The password for this connection: the fixed one, or the provider's.
    pub fn password(&self) -> &[u8] {
        &self.password
    }
    /// The user name being authenticated.
    pub fn user(&self) -> &str {
        &self.opts.user
    }
    /// True over TLS or a unix socket: a secret may be sent as it is.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
    /// The connection's options (host, port, user, database through their getters).
    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }
    /// How many server packets this plugin has answered through `next_response` so far.
    pub fn rounds(&self) -> usize {
        self.rounds
    }
    pub(crate) fn count_round(&mut self) {
        self.rounds += 1;
    }
}

/// The plugin that answers `name`: a registered one first, then a built-in one.
pub(crate) fn find(opts: &ConnectOptions, name: &str) -> Option<Arc<dyn AuthPlugin>> {
    if let Some((_, p)) = opts.ext.auth_plugins.iter().find(|(n, _)| n == name) {
        return Some(Arc::clone(p));
    }
    builtin(name)
}

/// Whether `name` was registered by the user (its packets are passed on whole).
pub(crate) fn is_custom(opts: &ConnectOptions, name: &str) -> bool {
    opts.ext.auth_plugins.iter().any(|(n, _)| n == name)
}

fn builtin(name: &str) -> Option<Arc<dyn AuthPlugin>> {
    Some(match name {
        plugin::MYSQL_NATIVE_PASSWORD => Arc::new(NativePassword),
        plugin::CACHING_SHA2_PASSWORD => Arc::new(CachingSha2Password),
        plugin::SHA256_PASSWORD => Arc::new(Sha256Password),
        plugin::MYSQL_CLEAR_PASSWORD => Arc::new(ClearPassword),
        plugin::CLIENT_ED25519 => Arc::new(ClientEd25519),
        _ => return None,
    })
}

/// The error for a plugin neither built in nor registered.
pub(crate) fn unsupported(name: &str) -> Error {
    Error::Auth(format!(
        "the server requested authentication plugin `{name}`, which amysql does not support \
         (register one with ConnectOptions::auth_plugin)"
    ))
}

/// Why the password cannot be sent over plain TCP without a trusted RSA key. Retrieving
/// the key from the server would hand it to whoever answers: any server, or anybody in
/// between, could send its own key and decrypt the password.
fn no_trusted_key(plugin_name: &str) -> Error {
    Error::Auth(format!(
        "{plugin_name} needs to send the password, and the connection has neither TLS nor a unix socket; \
         give the server's RSA public key with ConnectOptions::server_public_key(pem), use TLS, \
         or let the server supply its key with allow_public_key_retrieval(true) \
         (URL allow_public_key_retrieval=true), which trusts whoever answers"
    ))
}

fn with_nul(password: &[u8]) -> Vec<u8> {
    let mut v = password.to_vec();
    v.push(0);
    v
}

fn unexpected_data(name: &str) -> Error {
    Error::Auth(format!("unexpected extra authentication data for plugin `{name}`"))
}

/// A server key is only accepted right after the client asked for it: an unsolicited one
/// is how a man in the middle would swap in its own key after the client used a
/// configured one (or TLS).
fn encrypt_with_requested_key(ctx: &mut AuthContext, pem: &[u8]) -> Result<Option<Vec<u8>>> {
    if !std::mem::take(&mut ctx.asked_for_key) {
        return Err(Error::Auth(
            "the server sent an RSA public key the client did not ask for; refusing to \
             encrypt the password with it"
                .into(),
        ));
    }
    plugin::rsa_encrypt_password(&ctx.password, &ctx.data, pem).map(Some)
}

struct NativePassword;

impl AuthPlugin for NativePassword {
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>> {
        Ok(plugin::scramble_native(&ctx.password, &ctx.data))
    }
    fn next_response(&self, ctx: &mut AuthContext, _: &[u8]) -> Result<Option<Vec<u8>>> {
        Err(unexpected_data(&ctx.plugin_name))
    }
}

struct CachingSha2Password;

impl AuthPlugin for CachingSha2Password {
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>> {
        Ok(plugin::scramble_caching_sha2(&ctx.password, &ctx.data))
    }
    fn next_response(&self, ctx: &mut AuthContext, data: &[u8]) -> Result<Option<Vec<u8>>> {
        if data == [plugin::CACHING_SHA2_FAST_AUTH_OK] {
            return Ok(None);
        }
        if data == [plugin::CACHING_SHA2_FULL_AUTH] {
            return if ctx.secure || ctx.password.is_empty() {
                // An empty password is no secret: it needs no key.
                Ok(Some(with_nul(&ctx.password)))
            } else if let Some(key) = &ctx.opts.server_public_key {
                plugin::rsa_encrypt_password(&ctx.password, &ctx.data, key).map(Some)
            } else if ctx.opts.allow_public_key_retrieval {
                ctx.asked_for_key = true;
                Ok(Some(vec![plugin::CACHING_SHA2_REQUEST_PUBLIC_KEY]))
            } else {
                Err(no_trusted_key(&ctx.plugin_name))
            };
        }
        if data.starts_with(b"-----BEGIN") {
            return encrypt_with_requested_key(ctx, data);
        }
        Err(unexpected_data(&ctx.plugin_name))
    }
}

struct Sha256Password;

impl AuthPlugin for Sha256Password {
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>> {
        let password = &ctx.password;
        Ok(if password.is_empty() {
            vec![0]
        } else if ctx.secure {
            with_nul(password)
        } else if let Some(key) = &ctx.opts.server_public_key {
            plugin::rsa_encrypt_password(password, &ctx.data, key)?
        } else if ctx.opts.allow_public_key_retrieval {
            // The exchange now expects the key back, and nothing else is accepted as one.
            ctx.asked_for_key = true;
            vec![plugin::SHA256_REQUEST_PUBLIC_KEY]
        } else {
            return Err(no_trusted_key(&ctx.plugin_name));
        })
    }
    fn next_response(&self, ctx: &mut AuthContext, data: &[u8]) -> Result<Option<Vec<u8>>> {
        if data.starts_with(b"-----BEGIN") {
            return encrypt_with_requested_key(ctx, data);
        }
        Err(unexpected_data(&ctx.plugin_name))
    }
}

struct ClearPassword;

impl AuthPlugin for ClearPassword {
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>> {
        if !ctx.opts.enable_cleartext_plugin {
            return Err(Error::Auth(
                "the server asked for mysql_clear_password, which sends the password unencrypted; \
                 enable it with ConnectOptions::enable_cleartext_plugin(true)"
                    .into(),
            ));
        }
        if !ctx.secure && !ctx.opts.allow_cleartext_without_tls {
            return Err(Error::Auth(
                "refusing to send a cleartext password over TCP without TLS \
                 (use TLS, a unix socket, or allow_cleartext_without_tls(true))"
                    .into(),
            ));
        }
        Ok(with_nul(&ctx.password))
    }
    fn next_response(&self, ctx: &mut AuthContext, _: &[u8]) -> Result<Option<Vec<u8>>> {
        Err(unexpected_data(&ctx.plugin_name))
    }
}

struct ClientEd25519;

impl AuthPlugin for ClientEd25519 {
    fn first_response(&self, ctx: &mut AuthContext) -> Result<Vec<u8>> {
        Ok(plugin::ed25519_response(&ctx.password, &ctx.data).to_vec())
    }
    fn next_response(&self, ctx: &mut AuthContext, _: &[u8]) -> Result<Option<Vec<u8>>> {
        Err(unexpected_data(&ctx.plugin_name))
    }
}
