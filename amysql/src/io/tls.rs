//! TLS client configuration for each `ssl-mode`, with rustls.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::stream::Stream;
use crate::error::{Error, Result};
use crate::opts::{ConnectOptions, SslMode};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{context}: {e}"))
}

fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: std::result::Result<Vec<_>, _> =
        CertificateDer::pem_file_iter(path).map_err(|e| tls_err(&format!("reading {}", path.display()), e))?.collect();
    let certs = certs.map_err(|e| tls_err(&format!("parsing {}", path.display()), e))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!("{} holds no PEM certificate", path.display())));
    }
    Ok(certs)
}

/// The client's private key: plain PEM (PKCS#8, PKCS#1 or SEC1), or with
/// `ssl_key_password` an encrypted PKCS#8 key (`BEGIN ENCRYPTED PRIVATE KEY`, PBES2),
/// decrypted in memory. Errors never include the passphrase.
fn load_key(path: &Path, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    let reading = || format!("reading ssl-key {}", path.display());
    let Some(password) = password else {
        return PrivateKeyDer::from_pem_file(path).map_err(|e| tls_err(&reading(), e));
    };
    let text = std::fs::read_to_string(path).map_err(|e| tls_err(&reading(), e))?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(Error::Tls(format!(
            "ssl-key {}: legacy OpenSSL PEM encryption is not supported; convert the key with \
             `openssl pkcs8 -topk8 -in OLD -out NEW` (PKCS#8, PBES2)",
            path.display()
        )));
    }
    if !text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(Error::Tls(format!(
            "ssl-key {}: ssl_key_password is set but the key is not an encrypted PKCS#8 PEM key \
             (`BEGIN ENCRYPTED PRIVATE KEY`)",
            path.display()
        )));
    }
    let (_, doc) = pkcs8::Document::from_pem(&text).map_err(|e| tls_err(&reading(), e))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(doc.as_bytes()).map_err(|e| tls_err(&reading(), e))?;
    // A wrong passphrase shows as a padding or structure error; say what it most likely is.
    let plain = info.decrypt(password.as_bytes()).map_err(|_| {
        Error::Tls(format!("ssl-key {}: cannot decrypt the key (wrong ssl_key_password?)", path.display()))
    })?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
}

/// Refuses TLS settings that would verify less than they claim; checked before the client
/// connects, so nothing is sent under them.
///
/// `verify_ca` without `ssl_ca` would check the chain against the public web roots and
/// skip the name: any publicly trusted certificate, issued for any domain, would pass.
/// MySQL's `VERIFY_CA` requires a CA for the same reason. `verify_identity` may use the
/// public roots, since it checks that the certificate names the host.
pub fn check_options(opts: &ConnectOptions) -> Result<()> {
    if opts.ssl_mode == SslMode::VerifyCa && opts.ssl_ca.is_none() {
        return Err(Error::Interface(
            "ssl-mode verify_ca needs the CA to verify against: set ssl_ca (URL ssl-ca=<path>), \
             or use verify_identity, which also checks the server's name"
                .into(),
        ));
    }
    Ok(())
}

/// Builds the rustls configuration the options ask for.
pub fn client_config(opts: &ConnectOptions) -> Result<Arc<ClientConfig>> {
    check_options(opts)?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("TLS setup", e))?;
    let builder = match opts.ssl_mode {
        SslMode::VerifyCa | SslMode::VerifyIdentity => {
            let mut roots = RootCertStore::empty();
            match &opts.ssl_ca {
                Some(ca) => {
                    for c in load_certs(ca)? {
                        roots.add(c).map_err(|e| tls_err("adding ssl-ca certificate", e))?;
                    }
                }
                // Only verify_identity gets here (check_options): the name check is what
                // makes public roots meaningful.
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| tls_err("building certificate verifier", e))?;
            let verify_name = opts.ssl_mode == SslMode::VerifyIdentity;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainVerifier { webpki, verify_name }))
        }
        _ => builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerifier(provider()))),
    };
    let config = match (&opts.ssl_cert, &opts.ssl_key) {
        (Some(cert), Some(key)) => {
            let certs = load_certs(cert)?;
            let key = load_key(key, opts.ext.ssl_key_password.as_deref())?;
            builder.with_client_auth_cert(certs, key).map_err(|e| tls_err("client certificate", e))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(Error::Interface("ssl-cert and ssl-key must be given together".into())),
    };
    Ok(Arc::new(config))
}

/// Performs the TLS handshake over an established TCP stream.
pub async fn upgrade(tcp: TcpStream, opts: &ConnectOptions) -> Result<Stream> {
    let config = client_config(opts)?;
    let name = ServerName::try_from(opts.host.clone())
        .map_err(|_| Error::Tls(format!("`{}` is not a valid TLS server name", opts.host)))?;
    let tls = TlsConnector::from(config).connect(name, tcp).await.map_err(|e| tls_err("handshake failed", e))?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// ssl-mode preferred/required: encrypt, but accept any certificate (as libmysqlclient does).
#[derive(Debug)]
struct NoVerifier(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerifier {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// verify_ca checks the chain only; verify_identity also checks the name.
#[derive(Debug)]
struct ChainVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    verify_name: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, TlsError> {
        match self.webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(TlsError::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(TlsError::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. }))
                if !self.verify_name =>
            {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_ca_without_a_ca_is_refused() {
        let e = client_config(&ConnectOptions::new().ssl_mode(SslMode::VerifyCa)).unwrap_err();
        assert!(matches!(e, Error::Interface(_)) && e.to_string().contains("ssl_ca"), "{e}");
        // verify_identity checks the name, so the public roots are acceptable there.
        client_config(&ConnectOptions::new().ssl_mode(SslMode::VerifyIdentity)).unwrap();
        for mode in [SslMode::Disabled, SslMode::Preferred, SslMode::Required] {
            client_config(&ConnectOptions::new().ssl_mode(mode)).unwrap();
        }
    }
}
