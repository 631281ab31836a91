//! The server side of the authentication plugins, following mysqld's
//! `caching_sha2_password_authenticate` / `sha256_password_authenticate` and the MySQL
//! docs' "authentication exchanges" pages.
//!
//! The scrambles are recomputed here with sha1/sha2 directly rather than through amysql's
//! `protocol::auth`, so this server is an independent oracle for the client's math.

use std::io;

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{Oaep, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};

use super::handshake::{new_nonce, HandshakeResponse};
use super::wire::{auth_more_data, auth_switch_request, Wire};
use super::{FakeConfig, Hostile, Log, Scenario};

/// The server's RSA key pair, parsed once per server.
pub(super) struct RsaKeys {
    private: RsaPrivateKey,
    /// SPKI PEM (`BEGIN PUBLIC KEY`), what mysqld serves from `public_key.pem`.
    public_pem: String,
}

impl RsaKeys {
    /// Panics on a bad PEM: this is test configuration, and failing at `start` is clearer
    /// than failing inside some later connection.
    pub(super) fn from_pem(pem: &str) -> RsaKeys {
        let private = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .expect("FakeConfig::rsa_private_key_pem is not a PKCS#1 or PKCS#8 RSA key");
        let public_pem =
            private.to_public_key().to_public_key_pem(LineEnding::LF).expect("encoding an RSA public key cannot fail");
        RsaKeys { private, public_pem }
    }
}

/// Everything the plugins need besides the stream.
pub(super) struct AuthContext<'a> {
    pub cfg: &'a FakeConfig,
    pub keys: &'a RsaKeys,
    /// TLS is up: cleartext passwords are acceptable (mysqld also counts unix sockets).
    pub secure: bool,
    pub log: &'a Log,
}

impl AuthContext<'_> {
    fn note(&self, event: &str) {
        super::note(self.log, event);
    }

    fn password(&self) -> &[u8] {
        self.cfg.password.as_bytes()
    }
}

/// Runs the plugin exchange that follows the HandshakeResponse41 and reports whether the
/// client proved it knows the account's user and password. The caller sends OK or ERR.
pub(super) async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
    response: &HandshakeResponse,
    handshake_nonce: &[u8; 20],
    advertised_plugin: &str,
) -> io::Result<bool> {
    let client_plugin = match &response.plugin {
        Some(p) => String::from_utf8_lossy(p).into_owned(),
        None => advertised_plugin.to_string(),
    };
    let account_plugin = ctx.cfg.plugin;
    match ctx.cfg.hostile {
        Some(Hostile::EndlessAuthSwitch) => return endless_auth_switch(wire, ctx).await,
        Some(Hostile::EndlessAuthMoreData) => return endless_more_data(wire, ctx).await,
        _ => {}
    }
    if account_plugin == "dialog" {
        let ok = dialog(wire, ctx).await?;
        return Ok(ok && response.user == ctx.cfg.user.as_bytes());
    }
    // The account's plugin wins: a client that answered for another one is switched, with
    // a fresh nonce so that a client reusing the handshake's nonce fails visibly.
    let (data, nonce) = if client_plugin == account_plugin {
        (response.auth_response.clone(), *handshake_nonce)
    } else {
        ctx.note("auth-switch");
        let nonce = new_nonce();
        wire.write(&auth_switch_request(account_plugin, &nonce)).await?;
        (wire.read_required().await?, nonce)
    };
    let password_ok = match account_plugin {
        "mysql_native_password" => data == native_scramble(ctx.password(), &nonce),
        "caching_sha2_password" => caching_sha2(wire, ctx, data, &nonce).await?,
        "sha256_password" => sha256(wire, ctx, data, &nonce).await?,
        "mysql_clear_password" => strip_nul(&data) == ctx.password(),
        other => {
            ctx.note(&format!("unsupported-plugin:{other}"));
            false
        }
    };
    Ok(password_ok && response.user == ctx.cfg.user.as_bytes())
}

/// The one-time code the `dialog` account asks for before the password.
pub const DIALOG_CODE: &str = "424242";

/// MariaDB's `dialog` plugin as auth_pam drives it: the first question travels in the
/// AuthSwitchRequest's data, later ones as bare packets (MariaDB only wraps plugin data
/// in AuthMoreData when its first byte is 0x00, 0x01, 0xFE or 0xFF). A question is a
/// type byte (2 ordinary, 4 password; +1 for the last question) and the prompt; each
/// answer is the text with a NUL.
async fn dialog<S: AsyncRead + AsyncWrite + Unpin>(wire: &mut Wire<S>, ctx: &AuthContext<'_>) -> io::Result<bool> {
    ctx.note("auth-switch");
    let mut switch = vec![0xfe];
    switch.extend_from_slice(b"dialog\0\x02Verification code: ");
    wire.write(&switch).await?;
    let code = wire.read_required().await?;
    if strip_nul(&code) != DIALOG_CODE.as_bytes() || !code.ends_with(&[0]) {
        ctx.note("dialog-code-mismatch");
        return Ok(false);
    }
    ctx.note("dialog-code-ok");
    wire.write(b"\x05Password: ").await?;
    let pw = wire.read_required().await?;
    let ok = strip_nul(&pw) == ctx.password() && pw.ends_with(&[0]);
    ctx.note(if ok { "dialog-password-ok" } else { "dialog-password-mismatch" });
    Ok(ok)
}

/// mysqld treats an empty packet, or a lone NUL, as "no password".
fn is_empty_response(data: &[u8]) -> bool {
    data.is_empty() || data == [0]
}

async fn caching_sha2<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
    data: Vec<u8>,
    nonce: &[u8; 20],
) -> io::Result<bool> {
    if is_empty_response(&data) {
        return Ok(ctx.password().is_empty());
    }
    if data.len() != 32 {
        ctx.note("bad-scramble-length");
        return Ok(false);
    }
    if ctx.cfg.scenario == Scenario::FastAuth {
        if data == caching_sha2_scramble(ctx.password(), nonce) {
            wire.write(&auth_more_data(&[0x03])).await?;
            ctx.note("fast-auth-ok");
            return Ok(true);
        }
        // mysqld does not refuse a wrong scramble outright: a miss and a mismatch both
        // fall through to full authentication.
        ctx.note("fast-auth-mismatch");
    }
    wire.write(&auth_more_data(&[0x04])).await?;
    ctx.note("full-auth-requested");
    let mut reply = wire.read_required().await?;
    if ctx.secure {
        ctx.note("cleartext-over-tls");
        return Ok(strip_nul(&reply) == ctx.password());
    }
    if reply == [0x02] {
        ctx.note("public-key-requested");
        wire.write(&auth_more_data(ctx.keys.public_pem.as_bytes())).await?;
        reply = wire.read_required().await?;
    }
    if !check_rsa(ctx, &reply, nonce) {
        return Ok(false);
    }
    push_unsolicited_key(wire, ctx, nonce).await
}

async fn sha256<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
    mut data: Vec<u8>,
    nonce: &[u8; 20],
) -> io::Result<bool> {
    if is_empty_response(&data) {
        return Ok(ctx.password().is_empty());
    }
    if ctx.secure {
        ctx.note("cleartext-over-tls");
        return Ok(strip_nul(&data) == ctx.password());
    }
    // sha256_password asks for the key with 0x01 (caching_sha2_password uses 0x02).
    if data == [0x01] {
        ctx.note("public-key-requested");
        wire.write(&auth_more_data(ctx.keys.public_pem.as_bytes())).await?;
        data = wire.read_required().await?;
    }
    if !check_rsa(ctx, &data, nonce) {
        return Ok(false);
    }
    push_unsolicited_key(wire, ctx, nonce).await
}

/// With [`Hostile::UnsolicitedPublicKey`], sends the public key although the client never
/// asked for it, and accepts the account if the client answers with the password
/// encrypted under it: a client that does has handed its password to whoever holds that
/// key. Otherwise (behaving) accepts the password already checked.
async fn push_unsolicited_key<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
    nonce: &[u8; 20],
) -> io::Result<bool> {
    if ctx.cfg.hostile != Some(Hostile::UnsolicitedPublicKey) {
        return Ok(true);
    }
    ctx.note("unsolicited-key-sent");
    wire.write(&auth_more_data(ctx.keys.public_pem.as_bytes())).await?;
    let Some(reply) = wire.read().await? else {
        ctx.note("client-closed");
        return Ok(false);
    };
    ctx.note("answered-unsolicited-key");
    Ok(check_rsa(ctx, &reply, nonce))
}

/// [`Hostile::EndlessAuthSwitch`]: every answer gets another switch, until the client
/// leaves. Never returns `Ok(true)`.
async fn endless_auth_switch<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
) -> io::Result<bool> {
    loop {
        ctx.note("endless-auth-switch");
        wire.write(&auth_switch_request("mysql_native_password", &new_nonce())).await?;
        if wire.read().await?.is_none() {
            ctx.note("client-closed");
            return Ok(false);
        }
    }
}

/// [`Hostile::EndlessAuthMoreData`]: "fast auth ok" again and again, never OK. Ends when
/// the client closes (the write fails).
async fn endless_more_data<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    ctx: &AuthContext<'_>,
) -> io::Result<bool> {
    ctx.note("endless-more-data");
    loop {
        wire.write(&auth_more_data(&[0x03])).await?;
    }
}

/// Decrypts `(password + NUL) XOR nonce` sent under RSA-OAEP(SHA-1).
fn check_rsa(ctx: &AuthContext<'_>, ciphertext: &[u8], nonce: &[u8; 20]) -> bool {
    let mut cleartext = ctx.password().to_vec();
    cleartext.push(0);
    if ciphertext == cleartext {
        // A client that sends the password in the clear over plain TCP is a security bug
        // worth a distinct log line; mysqld would just fail to decrypt it.
        ctx.note("cleartext-over-insecure-transport");
        return false;
    }
    let Ok(mut plain) = ctx.keys.private.decrypt(Oaep::new::<Sha1>(), ciphertext) else {
        ctx.note("rsa-decrypt-failed");
        return false;
    };
    for (b, n) in plain.iter_mut().zip(nonce.iter().cycle()) {
        *b ^= n;
    }
    let ok = plain == cleartext;
    ctx.note(if ok { "rsa-password-ok" } else { "rsa-password-mismatch" });
    ok
}

fn strip_nul(data: &[u8]) -> &[u8] {
    data.strip_suffix(&[0]).unwrap_or(data)
}

fn xor(mut left: Vec<u8>, right: &[u8]) -> Vec<u8> {
    for (l, r) in left.iter_mut().zip(right) {
        *l ^= r;
    }
    left
}

fn native_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mask = Sha1::new().chain_update(nonce).chain_update(stage2).finalize();
    xor(stage1.to_vec(), &mask)
}

fn caching_sha2_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mask = Sha256::new().chain_update(stage2).chain_update(nonce).finalize();
    xor(stage1.to_vec(), &mask)
}
