//! Authentication plugin computations: the scrambles, the RSA password encryption and the
//! MariaDB ed25519 signature.
//!
//! Pure functions over bytes; the connection layer decides which one to call and when.
//! The nonce ("scramble") is the 20 bytes the server sent in the handshake or in an
//! AuthSwitchRequest, without the trailing NUL that servers append; longer inputs are cut
//! to 20 bytes the way the server does (`SCRAMBLE_LENGTH`), so passing the NUL along does
//! not change the result. ed25519 is the exception: MariaDB signs its whole 32-byte nonce.

use curve25519_dalek::constants::ED25519_BASEPOINT_TABLE;
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, Result};

/// Plugin names as servers spell them in handshakes and AuthSwitchRequests.
pub const MYSQL_NATIVE_PASSWORD: &str = "mysql_native_password";
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";
pub const SHA256_PASSWORD: &str = "sha256_password";
pub const MYSQL_CLEAR_PASSWORD: &str = "mysql_clear_password";
pub const CLIENT_ED25519: &str = "client_ed25519";

/// caching_sha2_password's one-byte AuthMoreData payloads (after the 0x01 header).
pub const CACHING_SHA2_FAST_AUTH_OK: u8 = 0x03;
pub const CACHING_SHA2_FULL_AUTH: u8 = 0x04;
/// What the client sends to ask for the server's RSA public key. The two plugins picked
/// different bytes, so the caller has to know which one it is speaking.
pub const CACHING_SHA2_REQUEST_PUBLIC_KEY: u8 = 0x02;
pub const SHA256_REQUEST_PUBLIC_KEY: u8 = 0x01;

/// The server's scramble length; both SHA plugins use only this much of the nonce.
const SCRAMBLE_LEN: usize = 20;

fn scramble_part(nonce: &[u8]) -> &[u8] {
    nonce.get(..SCRAMBLE_LEN).unwrap_or(nonce)
}

fn xor_in_place(left: &mut [u8], right: &[u8]) {
    for (l, r) in left.iter_mut().zip(right) {
        *l ^= r;
    }
}

/// mysql_native_password: `SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))`.
///
/// The server stores `SHA1(SHA1(password))`, so this proves knowledge of `SHA1(password)`
/// without sending it. An empty password is sent as an empty response, not a hash.
pub fn scramble_native(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut out = stage1.to_vec();
    let mask = Sha1::new().chain_update(scramble_part(nonce)).chain_update(stage2).finalize();
    xor_in_place(&mut out, &mask);
    out
}

/// caching_sha2_password fast path:
/// `SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)`.
///
/// Note the nonce comes *after* the double hash here, unlike mysql_native_password
/// (MySQL's `generate_sha256_scramble`). An empty password gives an empty response.
pub fn scramble_caching_sha2(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mut out = stage1.to_vec();
    let mask = Sha256::new().chain_update(stage2).chain_update(scramble_part(nonce)).finalize();
    xor_in_place(&mut out, &mask);
    out
}

/// `(password + NUL) XOR nonce`, the nonce repeated as often as needed.
///
/// Both SHA plugins obfuscate the password with the scramble before RSA-encrypting it, so
/// that a captured ciphertext is bound to one handshake.
pub fn xor_password_with_nonce(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(password.len() + 1);
    out.extend_from_slice(password);
    out.push(0);
    let nonce = scramble_part(nonce);
    if !nonce.is_empty() {
        for (b, n) in out.iter_mut().zip(nonce.iter().cycle()) {
            *b ^= n;
        }
    }
    out
}

/// Parses the public key a server sends (or the user configures) for RSA password
/// exchange. MySQL serves SPKI (`BEGIN PUBLIC KEY`); keys generated with older OpenSSL
/// tooling are PKCS#1 (`BEGIN RSA PUBLIC KEY`), so both are accepted.
fn parse_public_key(pem: &[u8]) -> Result<RsaPublicKey> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| Error::Auth("server RSA public key is not valid UTF-8 PEM text".into()))?;
    // The server's AuthMoreData payload may carry a trailing NUL or newline.
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let parsed = if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
        RsaPublicKey::from_pkcs1_pem(text).map_err(|e| e.to_string())
    } else if text.contains("-----BEGIN PUBLIC KEY-----") {
        RsaPublicKey::from_public_key_pem(text).map_err(|e| e.to_string())
    } else {
        Err("expected a PEM block `BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`".to_string())
    };
    parsed.map_err(|e| Error::Auth(format!("invalid server RSA public key: {e}")))
}

/// The RSA-encrypted password of sha256_password and caching_sha2_password full auth
/// over an insecure transport: `(password + NUL) XOR nonce`, encrypted with RSA-OAEP
/// (SHA-1, MGF1-SHA-1), which is what MySQL's `RSA_PKCS1_OAEP_PADDING` means.
pub fn rsa_encrypt_password(password: &[u8], nonce: &[u8], public_key_pem: &[u8]) -> Result<Vec<u8>> {
    let key = parse_public_key(public_key_pem)?;
    let plaintext = xor_password_with_nonce(password, nonce);
    key.encrypt(&mut rand::thread_rng(), Oaep::new::<Sha1>(), &plaintext)
        .map_err(|e| Error::Auth(format!("RSA encryption of the password failed: {e}")))
}

/// MariaDB `client_ed25519`: an Ed25519 signature of the 32-byte nonce, where the secret
/// key is derived from the password of any length as `SHA512(password)` (standard Ed25519
/// hashes a 32-byte seed the same way). The server stores only the public key `A`.
pub fn ed25519_response(password: &[u8], nonce: &[u8]) -> [u8; 64] {
    let h = Sha512::digest(password);
    let (lower, upper) = h.split_at(32);
    let mut a_bytes = [0u8; 32];
    a_bytes.copy_from_slice(lower);
    let a = Scalar::from_bytes_mod_order(clamp_integer(a_bytes));
    let public = (&a * ED25519_BASEPOINT_TABLE).compress();

    let r = wide_scalar(Sha512::new().chain_update(upper).chain_update(nonce));
    let big_r = (&r * ED25519_BASEPOINT_TABLE).compress();
    let k =
        wide_scalar(Sha512::new().chain_update(big_r.as_bytes()).chain_update(public.as_bytes()).chain_update(nonce));
    let s = r + k * a;

    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(big_r.as_bytes());
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

fn wide_scalar(hasher: Sha512) -> Scalar {
    let mut wide = [0u8; 64];
    wide.copy_from_slice(&hasher.finalize());
    Scalar::from_bytes_mod_order_wide(&wide)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
    use rsa::pkcs8::EncodePublicKey;
    use rsa::RsaPrivateKey;

    /// 0x01..=0x14: a fixed 20-byte nonce. Expected values were computed independently
    /// with Python's hashlib.
    fn nonce20() -> Vec<u8> {
        (1..=20).collect()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn native_scramble_matches_reference() {
        let got = scramble_native(b"secret", &nonce20());
        assert_eq!(got, hex("b32bb3a583e1340c0a1108d58b1be49781ad8c2f"));
        // A trailing NUL after the nonce (as in AuthSwitchRequest) is ignored.
        let mut with_nul = nonce20();
        with_nul.push(0);
        assert_eq!(scramble_native(b"secret", &with_nul), got);
        assert!(scramble_native(b"", &nonce20()).is_empty());
    }

    #[test]
    fn caching_sha2_scramble_matches_reference() {
        let got = scramble_caching_sha2(b"secret", &nonce20());
        assert_eq!(got, hex("746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9"));
        assert!(scramble_caching_sha2(b"", &nonce20()).is_empty());
    }

    #[test]
    fn short_or_empty_nonce_does_not_panic() {
        assert_eq!(scramble_native(b"pw", &[1, 2]).len(), 20);
        assert_eq!(scramble_caching_sha2(b"pw", &[]).len(), 32);
        assert_eq!(xor_password_with_nonce(b"pw", &[]), b"pw\0");
    }

    #[test]
    fn xor_repeats_the_nonce() {
        let pw = [0u8; 25];
        let out = xor_password_with_nonce(&pw, &nonce20());
        assert_eq!(out.len(), 26);
        assert_eq!(&out[..20], &nonce20()[..]);
        assert_eq!(&out[20..], &[1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn ed25519_matches_reference_and_verifies() {
        let nonce: Vec<u8> = (0..32).collect();
        let sig = ed25519_response(b"secret", &nonce);
        // From a pure-Python RFC 8032 implementation (cross-checked against `cryptography`
        // for 32-byte seeds) that hashes the whole password as the seed.
        let expected = hex("546c3e9311d19ee389d1ae5d945821bfe459423910136f16b3bd2ae89fd7d63b\
             449e689f4be812891a85b8f999076446d92adb83d0707215aaa60b5a23220907");
        assert_eq!(&sig[..], &expected[..]);

        // Standard Ed25519 verification: S·B == R + SHA512(R‖A‖M)·A.
        let public_hex = "648814444520e4f56043a2ec9215e63be7992d2d270bc6dee873e36164786096";
        let public = CompressedEdwardsY::from_slice(&hex(public_hex)).unwrap();
        let public = public.decompress().unwrap();
        let big_r = CompressedEdwardsY::from_slice(&sig[..32]).unwrap().decompress().unwrap();
        let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
        let k = wide_scalar(Sha512::new().chain_update(&sig[..32]).chain_update(hex(public_hex)).chain_update(&nonce));
        assert_eq!(&s * ED25519_BASEPOINT_TABLE, big_r + k * public);
    }

    /// A 1024-bit throwaway key: small enough to keep the debug-build test fast.
    const TEST_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQCmdtPwq+g/pM5zNgYiS/8wCrhbwG/vMxIxlqOQr8mwK4VSwB62
1gL6rNYxddBlxdVKN9FznQcQC/QmlZGLWKt+Z54ZoQVXwAnbU1bK7wOlkb6G+QdL
8mALa06LELrZnjIN0pOSnz6C/cRa5JhliOXtYchBLqCWXHPcDybEMrXOLwIDAQAB
AoGALT1wHiFqLhnJLdCJ3DpRMSpIrk7fXN/BWw64hzLvGlzJkBK8hi4lgyED2U9O
gspATDpdRxFvAPJuuSm+82L2wCR63wQ5p7TEX5Ym+sdw0sihioX/OyhMlxMynUWi
wt1aC7UGVq3twY75NmSdjzPHeJl1Z33igXxqz3wK10YLzxECQQDWHitOw3boGz72
sr3fkQnwb2oM85rG0jACLZt4UVgL9mjaUSXQ1eupF/qzCJ4nvY8Q8eoDjgrBErr+
h04hQ/T3AkEAxwZteqaMe0C/ii5hDQnpJv0rY2Ckxdp5k2PhFton1ozATnRcj5Ac
OovYFRp/Ip/2PanXi4Qo4QNU2n0tPbZ6iQJBAJN1Z4Hw31zuFqizZEwpiNzK/hA5
XGh8rI9zdVShQK/MXV2s8Qwnpwpm90KBNtpLk9GpqO4VzpY1Hg7YhBgowvUCQE8a
fukAyVUzpu2FAY3tIn4coeIdx1/cNfYe/JfYnXzo9IY6OY/V92JNstSwc1ePvI9F
siYBoT3N1SwCFLkyjgECQHjHXYZxBe+IKCfkXgnXYMxdG3evwcZuOw1KdSEQx1G/
norPhgN2gchk9XjKhIcRz34Lfl+6X9p3L7L6zfYOdbU=
-----END RSA PRIVATE KEY-----
";

    #[test]
    fn rsa_round_trip_with_spki_and_pkcs1_keys() {
        let private = RsaPrivateKey::from_pkcs1_pem(TEST_KEY).unwrap();
        let public = private.to_public_key();
        let spki = public.to_public_key_pem(Default::default()).unwrap();
        let pkcs1 = public.to_pkcs1_pem(Default::default()).unwrap();
        // Servers send the PEM with a trailing NUL sometimes; it must not matter.
        let mut spki_nul = spki.clone().into_bytes();
        spki_nul.push(0);
        for pem in [spki.as_bytes(), pkcs1.as_bytes(), &spki_nul[..]] {
            let ct = rsa_encrypt_password(b"hunter2", &nonce20(), pem).unwrap();
            assert_eq!(ct.len(), 128);
            let pt = private.decrypt(Oaep::new::<Sha1>(), &ct).unwrap();
            assert_eq!(pt, xor_password_with_nonce(b"hunter2", &nonce20()));
            // Undo the XOR to be sure the plaintext is password + NUL.
            let mut plain = pt.clone();
            for (b, n) in plain.iter_mut().zip(nonce20().iter().cycle()) {
                *b ^= n;
            }
            assert_eq!(plain, b"hunter2\0");
        }
    }

    #[test]
    fn bad_pem_is_an_auth_error() {
        for pem in [&b"not a key"[..], b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", b"\xff\xfe"] {
            match rsa_encrypt_password(b"pw", &nonce20(), pem) {
                Err(Error::Auth(msg)) => assert!(msg.contains("RSA public key"), "{msg}"),
                other => panic!("expected Error::Auth, got {other:?}"),
            }
        }
    }

    #[test]
    fn password_too_long_for_key_is_an_auth_error() {
        let private = RsaPrivateKey::from_pkcs1_pem(TEST_KEY).unwrap();
        let spki = private.to_public_key().to_public_key_pem(Default::default()).unwrap();
        // OAEP-SHA1 with a 128-byte modulus fits at most 86 bytes of plaintext.
        let err = rsa_encrypt_password(&[b'x'; 200], &nonce20(), spki.as_bytes()).unwrap_err();
        assert!(matches!(err, Error::Auth(_)));
    }
}
