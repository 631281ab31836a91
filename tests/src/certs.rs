//! Per-server TLS material, made with the `openssl` CLI: a CA, a server
//! certificate for 127.0.0.1 / localhost and a client certificate, both
//! signed by the CA.
//!
//! P-256 keys rather than RSA: three RSA-2048 keys cost ~0.8 s of the
//! start-up budget, EC keys ~20 ms, and both MariaDB (OpenSSL) and rustls
//! accept them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::programs::find_program;

#[derive(Debug, Clone, Default)]
pub struct Certs {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

pub(crate) fn generate(dir: &Path) -> Result<Certs, String> {
    let openssl = find_program(&["openssl"])?;
    fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    // A minimal config so the system openssl.cnf cannot add extensions
    // (its default `v3_ca` would mark leaf certificates as CAs, which
    // webpki-based clients reject).
    let cnf = dir.join("openssl.cnf");
    fs::write(&cnf, "[req]\ndistinguished_name = dn\n[dn]\n").map_err(|e| format!("write {}: {e}", cnf.display()))?;
    let certs = Certs {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server-cert.pem"),
        server_key: dir.join("server-key.pem"),
        client_cert: dir.join("client-cert.pem"),
        client_key: dir.join("client-key.pem"),
    };
    let ca_key = dir.join("ca-key.pem");
    let req = |key: &Path, cert: &Path, subject: &str, exts: &[&str], signed: bool| {
        let mut cmd = Command::new(&openssl);
        cmd.arg("req").arg("-config").arg(&cnf).arg("-x509");
        if signed {
            cmd.arg("-CA").arg(&certs.ca).arg("-CAkey").arg(&ca_key);
        }
        cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
            .args(["-nodes", "-days", "3650", "-subj", subject])
            .arg("-keyout")
            .arg(key)
            .arg("-out")
            .arg(cert);
        for ext in exts {
            cmd.args(["-addext", ext]);
        }
        let out = cmd.output().map_err(|e| format!("run {}: {e}", openssl.display()))?;
        if !out.status.success() {
            return Err(format!(
                "openssl req for {subject} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    };
    req(
        &ca_key,
        &certs.ca,
        "/CN=amysql test CA",
        &["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
        false,
    )?;
    req(
        &certs.server_key,
        &certs.server_cert,
        "/CN=localhost",
        &[
            "basicConstraints=critical,CA:FALSE",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "extendedKeyUsage=serverAuth",
        ],
        true,
    )?;
    req(
        &certs.client_key,
        &certs.client_cert,
        "/CN=amysql test client",
        &["basicConstraints=critical,CA:FALSE", "extendedKeyUsage=clientAuth"],
        true,
    )?;
    Ok(certs)
}
