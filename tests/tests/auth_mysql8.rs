//! MySQL-8-only authentication (caching_sha2_password, sha256_password, RSA key exchange),
//! against the scripted fake server: MariaDB cannot produce these exchanges.

use std::time::Duration;

use amysql::{ConnectOptions, SslMode};
use amysql_tests::fake_server::{test_tls_config, FakeConfig, FakeServer, Hostile, Scenario};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

fn public_key_pem() -> String {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = amysql_tests::fake_server::TEST_RSA_PRIVATE_KEY_PEM;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem).or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem)).unwrap();
    key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap()
}

async fn connect_ok(server: &FakeServer, tweak: impl FnOnce(ConnectOptions) -> ConnectOptions) {
    let opts: ConnectOptions = server.url().parse().unwrap();
    let mut c = amysql::connect(tweak(opts)).await.unwrap_or_else(|e| panic!("{e}; log: {:?}", server.log()));
    let rows = c.query_text("SELECT 1").await.unwrap();
    assert_eq!(rows, vec![vec![Some("1".to_string())]]);
    c.ping().await.unwrap();
    assert!(server.logged("auth-ok"), "{:?}", server.log());
}

#[tokio::test]
async fn caching_sha2_fast_auth() {
    let s = FakeServer::start(FakeConfig::new("caching_sha2_password")).await;
    connect_ok(&s, |o| o).await;
    assert!(s.logged("fast-auth-ok"));
    assert!(!s.logged("public-key-requested"));
}

#[tokio::test]
async fn caching_sha2_full_auth_over_tls_sends_cleartext() {
    let (tls, _ca) = test_tls_config();
    let mut cfg = FakeConfig::new("caching_sha2_password");
    cfg.scenario = Scenario::FullAuth;
    cfg.tls = Some(tls);
    let s = FakeServer::start(cfg).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Required)).await;
    assert!(s.logged("tls-established") && s.logged("cleartext-over-tls"), "{:?}", s.log());
    assert!(!s.logged("cleartext-over-insecure-transport"));
}

#[tokio::test]
async fn caching_sha2_full_auth_requests_rsa_key_without_tls() {
    let mut cfg = FakeConfig::new("caching_sha2_password");
    cfg.scenario = Scenario::FullAuth;
    let s = FakeServer::start(cfg).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Disabled).allow_public_key_retrieval(true)).await;
    assert!(s.logged("public-key-requested") && s.logged("rsa-password-ok"), "{:?}", s.log());
    assert!(!s.logged("cleartext-over-insecure-transport"));
}

#[tokio::test]
async fn caching_sha2_full_auth_with_given_public_key() {
    let mut cfg = FakeConfig::new("caching_sha2_password");
    cfg.scenario = Scenario::FullAuth;
    let s = FakeServer::start(cfg).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Disabled).server_public_key(public_key_pem())).await;
    assert!(s.logged("rsa-password-ok"), "{:?}", s.log());
    assert!(!s.logged("public-key-requested"), "the key was given; no round trip for it");
}

#[tokio::test]
async fn sha256_password_key_request_and_tls() {
    let s = FakeServer::start(FakeConfig::new("sha256_password")).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Disabled).allow_public_key_retrieval(true)).await;
    assert!(s.logged("public-key-requested") && s.logged("rsa-password-ok"), "{:?}", s.log());

    let (tls, _ca) = test_tls_config();
    let mut cfg = FakeConfig::new("sha256_password");
    cfg.tls = Some(tls);
    let s = FakeServer::start(cfg).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Required)).await;
    assert!(s.logged("cleartext-over-tls"), "{:?}", s.log());

    let s = FakeServer::start(FakeConfig::new("sha256_password")).await;
    connect_ok(&s, |o| o.ssl_mode(SslMode::Disabled).server_public_key(public_key_pem())).await;
    assert!(!s.logged("public-key-requested"));
}

#[tokio::test]
async fn auth_switch_to_caching_sha2() {
    let mut cfg = FakeConfig::new("caching_sha2_password");
    cfg.switch_from = Some("mysql_native_password");
    let s = FakeServer::start(cfg).await;
    connect_ok(&s, |o| o).await;
    assert!(s.logged("auth-switch"), "{:?}", s.log());
}

#[tokio::test]
async fn wrong_password_is_1045() {
    for plugin in ["caching_sha2_password", "sha256_password", "mysql_native_password"] {
        let s = FakeServer::start(FakeConfig::new(plugin)).await;
        let opts: ConnectOptions = s.url().parse().unwrap();
        let opts = opts.password("wrong").ssl_mode(SslMode::Disabled).allow_public_key_retrieval(true);
        let e = amysql::connect(opts).await.unwrap_err();
        assert_eq!(e.code(), Some(1045), "{plugin}: {e}");
    }
}

/// Without TLS, a configured key or the opt-in, the password stays home: the client fails
/// before sending anything derived from it, and says how to proceed.
#[tokio::test]
async fn no_key_retrieval_without_opt_in() {
    for plugin in ["caching_sha2_password", "sha256_password"] {
        let mut cfg = FakeConfig::new(plugin);
        cfg.scenario = Scenario::FullAuth;
        let s = FakeServer::start(cfg).await;
        let opts: ConnectOptions = s.url().parse().unwrap();
        let e = amysql::connect(opts.ssl_mode(SslMode::Disabled)).await.unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, amysql::Error::Auth(_)), "{plugin}: {e:?}");
        assert!(text.contains("server_public_key") && text.contains("allow_public_key_retrieval"), "{plugin}: {text}");
        assert!(!text.contains(&s.config().password), "{plugin}: {text}");
        for event in
            ["public-key-requested", "rsa-password-ok", "rsa-decrypt-failed", "cleartext-over-insecure-transport"]
        {
            assert!(!s.logged(event), "{plugin}: {event} in {:?}", s.log());
        }
        // The URL spelling of the opt-in.
        let url = format!("{}?ssl-mode=disabled&allow_public_key_retrieval=true", s.url());
        connect_ok(&s, |_| url.parse().unwrap()).await;
        assert!(s.logged("public-key-requested") && s.logged("rsa-password-ok"), "{plugin}: {:?}", s.log());
    }
}

/// A key the client did not ask for (a man in the middle swapping in its own) is refused,
/// after a configured key and after a key the client did ask for alike.
#[tokio::test]
async fn unsolicited_public_key_is_refused() {
    for (plugin, pinned) in
        [("sha256_password", true), ("caching_sha2_password", true), ("caching_sha2_password", false)]
    {
        let mut cfg = FakeConfig::new(plugin);
        cfg.scenario = Scenario::FullAuth;
        cfg.hostile = Some(Hostile::UnsolicitedPublicKey);
        let s = FakeServer::start(cfg).await;
        let opts: ConnectOptions = s.url().parse().unwrap();
        let opts = opts.ssl_mode(SslMode::Disabled);
        let opts =
            if pinned { opts.server_public_key(public_key_pem()) } else { opts.allow_public_key_retrieval(true) };
        let e = amysql::connect(opts).await.unwrap_err();
        assert!(matches!(e, amysql::Error::Auth(_)) && e.to_string().contains("did not ask for"), "{plugin}: {e}");
        assert!(s.logged("rsa-password-ok") && s.logged("unsolicited-key-sent"), "{plugin}: {:?}", s.log());
        assert!(!s.logged("answered-unsolicited-key"), "{plugin} pinned={pinned}: {:?}", s.log());
    }
}

async fn connect_to_endless(hostile: Hostile) -> amysql::Error {
    let mut cfg = FakeConfig::new("caching_sha2_password");
    cfg.hostile = Some(hostile);
    let s = FakeServer::start(cfg).await;
    let opts: ConnectOptions = s.url().parse().unwrap();
    // connect_timeout would end it too, but only after a minute: the cap must come first.
    let opts = opts.ssl_mode(SslMode::Disabled).connect_timeout(Duration::from_secs(60));
    let r = tokio::time::timeout(Duration::from_secs(10), amysql::connect(opts)).await;
    let e = r.expect("an endless authentication exchange must not hang the client").unwrap_err();
    assert!(s.logged("connect"), "{:?}", s.log());
    e
}

#[tokio::test]
async fn endless_auth_switch_is_capped() {
    let e = connect_to_endless(Hostile::EndlessAuthSwitch).await;
    assert!(matches!(e, amysql::Error::Auth(_)) && e.to_string().contains("within 8 rounds"), "{e}");
}

#[tokio::test]
async fn endless_auth_more_data_is_capped() {
    let e = connect_to_endless(Hostile::EndlessAuthMoreData).await;
    assert!(matches!(e, amysql::Error::Auth(_)) && e.to_string().contains("within 8 rounds"), "{e}");
}
