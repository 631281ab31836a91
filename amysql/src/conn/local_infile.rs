//! LOAD DATA LOCAL INFILE: the server asks the client for a file's contents.
//!
//! Refused unless the user allowed it, because a hostile server can ask for any path at
//! any time. When refused, the server receives an empty file and the caller an error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Connection;
use crate::error::{Error, Result};
use crate::protocol::packet::write_packet;

/// A source for LOAD DATA LOCAL INFILE requests: given the file name the server asked for,
/// returns a reader of its contents.
pub trait LocalInfileHandler: Send + Sync {
    fn open(&self, filename: &str) -> BoxFuture<'static, Result<Box<dyn AsyncRead + Send + Unpin>>>;
}

impl<F> LocalInfileHandler for F
where
    F: Fn(&str) -> BoxFuture<'static, Result<Box<dyn AsyncRead + Send + Unpin>>> + Send + Sync,
{
    fn open(&self, filename: &str) -> BoxFuture<'static, Result<Box<dyn AsyncRead + Send + Unpin>>> {
        self(filename)
    }
}

/// The LOAD DATA LOCAL INFILE policy of a connection.
#[derive(Clone, Default)]
pub enum LocalInfile {
    /// Refuse every request (default).
    #[default]
    Disabled,
    /// Serve files under these paths (files, or directories and everything below them).
    AllowPaths(Arc<Vec<PathBuf>>),
    /// Ask this handler.
    Handler(Arc<dyn LocalInfileHandler>),
}

impl LocalInfile {
    /// Allow reading the given files, or files under the given directories.
    pub fn allow<I, P>(paths: I) -> LocalInfile
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        LocalInfile::AllowPaths(Arc::new(paths.into_iter().map(Into::into).collect()))
    }

    /// Serve requests with a handler.
    pub fn handler(h: impl LocalInfileHandler + 'static) -> LocalInfile {
        LocalInfile::Handler(Arc::new(h))
    }

    pub(crate) fn is_enabled(&self) -> bool {
        !matches!(self, LocalInfile::Disabled)
    }
}

impl fmt::Debug for LocalInfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalInfile::Disabled => f.write_str("Disabled"),
            LocalInfile::AllowPaths(p) => f.debug_tuple("AllowPaths").field(p).finish(),
            LocalInfile::Handler(_) => f.write_str("Handler(..)"),
        }
    }
}

/// Resolves `requested` and checks it lies under one of `allowed`. Both sides are
/// canonicalized, so `..` and symlinks cannot step outside the allow-list.
fn check_allowed(requested: &Path, allowed: &[PathBuf]) -> Result<PathBuf> {
    let real = requested
        .canonicalize()
        .map_err(|e| Error::Interface(format!("LOAD DATA LOCAL INFILE: cannot open `{}`: {e}", requested.display())))?;
    for a in allowed {
        if let Ok(a) = a.canonicalize() {
            if real == a || real.starts_with(&a) {
                return Ok(real);
            }
        }
    }
    Err(Error::Interface(format!(
        "LOAD DATA LOCAL INFILE: `{}` is not in the allowed paths; the server was sent an empty file",
        requested.display()
    )))
}

const CHUNK: usize = 64 * 1024;

impl Connection {
    /// Answers a LOCAL INFILE request: the file's contents in packets, then an empty packet.
    /// Any refusal sends just the empty packet and leaves the error for when the server's
    /// response arrives, so the wire stays in step.
    pub(crate) async fn send_local_infile(&mut self, filename: &[u8], draining: bool) -> Result<()> {
        let name = String::from_utf8_lossy(filename).into_owned();
        let source: Result<Box<dyn AsyncRead + Send + Unpin>> = if draining {
            Err(Error::Interface("LOAD DATA LOCAL INFILE request for an abandoned statement".into()))
        } else {
            match &self.opts.local_infile {
                LocalInfile::Disabled => Err(Error::Interface(format!(
                    "the server asked for local file `{name}`, but LOAD DATA LOCAL INFILE is not enabled \
                     (ConnectOptions::local_infile); the server was sent an empty file"
                ))),
                LocalInfile::AllowPaths(allowed) => match check_allowed(Path::new(&name), allowed) {
                    Ok(path) => tokio::fs::File::open(&path)
                        .await
                        .map(|f| Box::new(f) as Box<dyn AsyncRead + Send + Unpin>)
                        .map_err(|e| Error::Interface(format!("LOAD DATA LOCAL INFILE: cannot open `{name}`: {e}"))),
                    Err(e) => Err(e),
                },
                LocalInfile::Handler(h) => h.open(&name).await,
            }
        };
        // From here until the terminating empty packet is written, a dropped future would
        // leave the server waiting for file data we can no longer produce.
        self.broken = Some("LOAD DATA LOCAL INFILE transfer was interrupted".into());
        let mut seq = self.io.seq;
        match source {
            Ok(mut reader) => {
                let mut chunk = vec![0u8; CHUNK];
                loop {
                    let n = match reader.read(&mut chunk).await {
                        Ok(n) => n,
                        Err(e) => {
                            self.infile_error =
                                Some(Error::Interface(format!("LOAD DATA LOCAL INFILE: reading `{name}` failed: {e}")));
                            break;
                        }
                    };
                    if n == 0 {
                        break;
                    }
                    write_packet(self.io.write_buf(), &chunk[..n], &mut seq);
                    self.io.seq = seq;
                    self.io.flush().await?;
                }
            }
            Err(e) => self.infile_error = Some(e),
        }
        write_packet(self.io.write_buf(), &[], &mut seq);
        self.io.seq = seq;
        self.io.flush().await?;
        self.broken = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_is_canonical() {
        let dir = std::env::temp_dir().join(format!("amysql-infile-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ok")).unwrap();
        std::fs::write(dir.join("ok/data.csv"), b"1\n").unwrap();
        std::fs::write(dir.join("secret.txt"), b"x").unwrap();
        let allowed = vec![dir.join("ok")];
        assert!(check_allowed(&dir.join("ok/data.csv"), &allowed).is_ok());
        assert!(check_allowed(&dir.join("ok/../secret.txt"), &allowed).is_err());
        assert!(check_allowed(&dir.join("ok/missing.csv"), &allowed).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
