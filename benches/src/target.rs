//! Where the children connect: parsed once from a `mysql://` URL and handed
//! to each child through the environment, so every driver gets the same
//! host/port/account and builds its options field by field (no driver
//! re-interprets the URL's query string differently from another).

use std::path::PathBuf;

pub const ENV_URL: &str = "AMYSQL_BENCH_URL";
pub const ENV_SOCKET: &str = "AMYSQL_BENCH_SOCKET";
pub const ENV_THREADS: &str = "AMYSQL_BENCH_THREADS";

#[derive(Clone, Debug)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub db: String,
    /// Set with `--socket`: every driver then uses this unix socket;
    /// otherwise every driver is forced onto TCP.
    pub socket: Option<PathBuf>,
}

impl Target {
    /// Parses `mysql://user[:password]@host[:port]/db` (percent-decoded; the
    /// query string is ignored).
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| format!("URL must start with mysql://: {url}"))?;
        let rest = rest.split('?').next().unwrap_or("");
        let (auth, hostpath) = rest.rsplit_once('@').ok_or_else(|| "URL needs user@host".to_string())?;
        let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
        let (hostport, db) = hostpath.split_once('/').unwrap_or((hostpath, ""));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().map_err(|_| format!("bad port in URL: {p}"))?),
            _ => (hostport, 3306),
        };
        Ok(Target {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port,
            user: decode(user),
            password: decode(password),
            db: decode(db),
            socket: None,
        })
    }

    pub fn from_env() -> Result<Target, String> {
        let url = std::env::var(ENV_URL).map_err(|_| format!("{ENV_URL} is not set"))?;
        let mut t = Target::parse(&url)?;
        t.socket = std::env::var_os(ENV_SOCKET).filter(|s| !s.is_empty()).map(PathBuf::from);
        Ok(t)
    }

    /// Round-trips through [`Target::parse`]; used for the child's env.
    pub fn tcp_url(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("mysql://{}:{}@{host}:{}/{}", encode(&self.user), encode(&self.password), self.port, encode(&self.db))
    }

    pub fn transport(&self) -> &'static str {
        if self.socket.is_some() {
            "unix socket"
        } else {
            "TCP"
        }
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trip() {
        let t = Target::parse("mysql://bench:p%40ss@127.0.0.1:3307/test?x=1").unwrap();
        assert_eq!((t.user.as_str(), t.password.as_str()), ("bench", "p@ss"));
        assert_eq!((t.host.as_str(), t.port, t.db.as_str()), ("127.0.0.1", 3307, "test"));
        let t2 = Target::parse(&t.tcp_url()).unwrap();
        assert_eq!(t2.password, "p@ss");
        let v6 = Target::parse("mysql://u@[::1]:3306/db").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 3306));
    }
}
