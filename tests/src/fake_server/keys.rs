//! Fixed test-only key material, generated once (recipe below) so that
//! tests need neither `openssl` at runtime nor slow RSA key generation in debug builds.
//! None of these keys protect anything.
//!
//! Regenerate with Python's `cryptography`: a P-256 CA (CA:TRUE, pathlen 0) and a P-256
//! leaf signed by it with SAN `IP:127.0.0.1, DNS:localhost`, EKU serverAuth, valid
//! 2020-01-01..2120-01-01 (backdated so that machines with skewed clocks still accept
//! it); the RSA key is `openssl genrsa -traditional 2048`.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The CA that signed [`SERVER_CERT_PEM`]; clients put it in their root store.
pub const CA_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBkzCCATmgAwIBAgIUA1KH12BEHkb9SZwIz8PkPZsxq2AwCgYIKoZIzj0EAwIw
JTEjMCEGA1UEAwwaYW15c3FsIGZha2Utc2VydmVyIHRlc3QgQ0EwIBcNMjAwMTAx
MDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMCUxIzAhBgNVBAMMGmFteXNxbCBmYWtl
LXNlcnZlciB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJl2RAtnc
KdgvX19cf0zNn+DgMocZD5L3CiHKtKQuKWT0hwYOKuzTW7C1Mk3bJzwD2MiVVQo7
92EbprWjCmvEzqNFMEMwEgYDVR0TAQH/BAgwBgEB/wIBADAOBgNVHQ8BAf8EBAMC
AQYwHQYDVR0OBBYEFI2bJvL/K9P1RFqNrav5Ms3eo1NmMAoGCCqGSM49BAMCA0gA
MEUCIBqJkxWUHxmMx46kT2OV3eb6iqefWo6mvt8Nb89dOodaAiEAuIwyH2RM4dQN
oame0D977f5OgjRihlsKrXunSLXKDNU=
-----END CERTIFICATE-----
";

/// The fake server's TLS certificate, for 127.0.0.1 and localhost.
pub const SERVER_CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBrzCCAVWgAwIBAgIUNJbGcXTlAyeoj+C8/Su0DwP8Xn0wCgYIKoZIzj0EAwIw
JTEjMCEGA1UEAwwaYW15c3FsIGZha2Utc2VydmVyIHRlc3QgQ0EwIBcNMjAwMTAx
MDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMMCTEyNy4wLjAuMTBZ
MBMGByqGSM49AgEGCCqGSM49AwEHA0IABMvAJgBOhhzfYwlz9i2W6JY50JHxk/6E
C0bKKShWqtZ3x1ZodMr9nYLDSEE7p6T4uXAjzgsO8XR3PBCYQTPGb4yjcjBwMAwG
A1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMB
MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAfBgNVHSMEGDAWgBSNmyby/yvT
9URaja2r+TLN3qNTZjAKBggqhkjOPQQDAgNIADBFAiAqSJyxJbDVNlqAU8MmEOEw
XwKkC8ges6Zagf8gM1xZ/AIhAPvle40q5ho+q0e2v/kkjTB/iJpyn8pDTnATL7I6
jFe7
-----END CERTIFICATE-----
";

/// The private key of [`SERVER_CERT_PEM`] (PKCS#8).
pub const SERVER_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6hqVsDF4cussuUMw
NiHZ0RgSTGQuKuSlsxKyKpUYH1WhRANCAATLwCYAToYc32MJc/YtluiWOdCR8ZP+
hAtGyikoVqrWd8dWaHTK/Z2Cw0hBO6ek+LlwI84LDvF0dzwQmEEzxm+M
-----END PRIVATE KEY-----
";

/// The fake server's RSA key pair for sha256_password / caching_sha2_password password
/// encryption (PKCS#1, as MySQL's `private_key.pem`). 2048 bits like MySQL's default,
/// so a client's OAEP padding is exercised at the real size.
pub const TEST_RSA_PRIVATE_KEY_PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsR9i7HIR2zLws+eiKf9sGH+h6mmLk7yI8z1qDlNuWWrzTul/
NL3zBZ4WhzzqqWQIhCmXqP/ZVvngO7sKk3KjJUht1yRYLMdtudlxMkFgbTDCNWIq
VQ4UV7QHBt8yHzDA581k0kJNNT8oB+fwh2LCY8v68fsgvsanV853Oh0JwNjzwsDB
FFn0AYAR4JL730fPnujPDC2jdqyMIiWhd7lpD8brZTC6YocyBlMTeY+ZV7M0COh/
xZ37lBBKeGzIPd/TU5goG0DAUbYsJZVr3ashsu+PQoOMYK3NJfowm+onAH4up6MH
lEEXSyQAmHWLy2y+SfOKLLgilYRoBs6qlX1SeQIDAQABAoIBACf8SO3N9qAAiPxk
P2Sxx+pj7d6ogx0QA+69n5KqXRAMp+7ZoaD7fMB45ucS5nrlHVMQvK8nSx5qfKef
WwzcZV5GUp2uE8XQI8JAB2DsB2O/DSjWB256JjeCac+wVXVbIUFzSd55n0p0/omC
X/eAYRf8daNpKQRIfoDBGINjCM+jCmq+8ByZiRIpW4sypVTzfrzJhbJlcW8PbTHy
lLT23wjhmznVAVnDDOYPskp+CCmllITUCKZ8YPYWy/USDKIqfL9NugXOHixiqcn4
+S4DoxrkSpA/hcCXaqZc8VvMfOrtUFnQ75jXEM0ztaZsdZl3F8EBzcp6TYMSwgRl
UWjIwzECgYEA34is9zLcNWjEJPZVuOFPqu8RvQIF84TWmivqoGq6OO6k2KB88kpf
s31T8rhoYJh22z615yEnCyZDHcW0WbIdGvmipeCCmn6mh0UsRYbNZKtBd+LLYbFc
5a5tZkmzlSAxLmE/M0n/PJKEBswudoWPLmIdgFmahAYSOmdFhnwBoKUCgYEAytkR
2mVhwPSApmUj50ZrqhtFVcP9BUrYcx+SUl25KYYe1fUhOIjBlariFlFD99k2Uo27
HBpMaujmdCUlYKXVmW8uiMLHE5h1TAgBI0+9jW/stBiwQlqCqfDaH3UDLzTbc/qU
dhQNZb9P9/YmPcfnZ2FCiFcjFlxcyjs0zxH0DkUCgYEA2vaiH9/FT9gZUu+uVtT2
WkWnBZNmyv1Tzl+4jH0ff8dc2QqUei6aglMBGaDENeMDgo5yVz7lZQmM8ywIF1jf
I95nEb/Tj40CiT0cOdrrdXJARjR173NywVZUub72V9zZ8Em4RAB3Mhl/lL0LwnPg
Jppbta+QKUVdM7KXqz3rxjUCgYBks4SobkIsP3WKpZVAYHZcmXM/U6/Nq81uwZKr
bznYAmxWfX4DiejIu2/H8ooShfPw4cms9uVPAdY+fJ5kr48tv8NTQ5b/BGXe2+5s
sE6C47iX49XE6xgI87fle/qbudrkZdbEE8pe4634hGuRqicX7HHSK6gQlsO95cye
q+QEHQKBgAcU11ZSZNAl5SFcxA6ufqH+cGnUPtXGmkUvr2KzqyKG8ER0bQ7NoG89
oRBiKp6vR1AOgWWyQnFR7MetfuJ/2mhvOau7JMbqNwh+oSYfXmdHEHcGnMawWW3g
WeMsObZIblHGsuuV9leos7XTfAV0JHmX8A3qvMpM/rFTvStjCG9d
-----END RSA PRIVATE KEY-----
";

/// A rustls server config presenting [`SERVER_CERT_PEM`] (chain: leaf, CA), and the CA
/// PEM a client needs to verify it.
pub fn test_tls_config() -> (Arc<rustls::ServerConfig>, String) {
    let chain: Vec<CertificateDer<'static>> = [SERVER_CERT_PEM, CA_CERT_PEM]
        .iter()
        .map(|pem| CertificateDer::from_pem_slice(pem.as_bytes()).expect("fixed cert PEM"))
        .collect();
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY_PEM.as_bytes()).expect("fixed key PEM");
    // Name the provider explicitly: the process-wide default is ambiguous when another
    // crate in the build enables a second rustls backend.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("fixed cert and key match");
    (Arc::new(config), CA_CERT_PEM.to_string())
}
