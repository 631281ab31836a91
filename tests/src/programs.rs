//! Locating the MariaDB / OpenSSL executables.

use std::env;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

/// Searches PATH and then the sbin/libexec dirs, which are often missing
/// from a non-root PATH although `mariadbd` lives in /usr/sbin.
pub(crate) fn find_program(names: &[&str]) -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = env::var_os("PATH").map(|p| env::split_paths(&p).collect()).unwrap_or_default();
    for extra in ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/libexec"] {
        dirs.push(PathBuf::from(extra));
    }
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "none of {names:?} found on PATH or in /usr/sbin; install mariadb-server, \
         mariadb-client and openssl (scripts/test does that when run as root)"
    ))
}

/// The executables a private server needs.
#[derive(Debug, Clone)]
pub(crate) struct Programs {
    pub mariadbd: PathBuf,
    pub install_db: PathBuf,
    pub client: PathBuf,
}

impl Programs {
    pub(crate) fn find() -> Result<Programs, String> {
        Ok(Programs {
            mariadbd: find_program(&["mariadbd", "mysqld"])?,
            install_db: find_program(&["mariadb-install-db", "mysql_install_db"])?,
            client: find_program(&["mariadb", "mysql"])?,
        })
    }

    /// e.g. `10.11.19-MariaDB-0+deb12u1`, reduced to file-name-safe chars.
    pub(crate) fn server_version(&self) -> Result<String, String> {
        let out = Command::new(&self.mariadbd)
            .arg("--version")
            .output()
            .map_err(|e| format!("run {} --version: {e}", self.mariadbd.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version = text
            .split_whitespace()
            .skip_while(|w| *w != "Ver")
            .nth(1)
            .ok_or_else(|| format!("unexpected `mariadbd --version` output: {text}"))?;
        Ok(version.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect())
    }
}

/// Effective uid, read without `unsafe`: /proc/self is owned by it.
pub(crate) fn euid() -> u32 {
    std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX)
}
