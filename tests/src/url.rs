//! Just enough URL handling for the harness: percent-encoding for the URLs
//! it builds, and splitting `AMYSQL_TEST_URL`.

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/`
/// when `keep_slash`, for socket paths in a query).
pub(crate) fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `host` as it must appear in a URL (IPv6 literals in brackets).
pub(crate) fn host_for_url(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

#[derive(Debug, PartialEq)]
pub(crate) struct Parsed {
    pub user: String,
    pub password: String,
    pub host: String,
    pub port: u16,
    pub db: String,
}

/// `mysql://user:pw@host:port/db?opts`; user defaults to root, port to 3306,
/// db to `test`.
pub(crate) fn parse(url: &str) -> Result<Parsed, String> {
    let rest = url
        .strip_prefix("mysql://")
        .or_else(|| url.strip_prefix("mariadb://"))
        .ok_or_else(|| format!("AMYSQL_TEST_URL must start with mysql://, got {url:?}"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("root", authority));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| format!("bad IPv6 host in {url:?}"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port {p:?} in {url:?}"))?,
        None => 3306,
    };
    Ok(Parsed {
        user: decode(user),
        password: decode(password),
        host: if host.is_empty() { "127.0.0.1".into() } else { decode(host) },
        port,
        db: if path.is_empty() { "test".into() } else { decode(path) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(encode("a b@c:d/é", false), "a%20b%40c%3Ad%2F%C3%A9");
        assert_eq!(decode(&encode("p@ss:w/rd%", false)), "p@ss:w/rd%");
        assert_eq!(encode("/tmp/x.sock", true), "/tmp/x.sock");
    }

    #[test]
    fn parses_external_urls() {
        let p = parse("mysql://root:p%40ss@db.local:3307/app?ssl-mode=required").unwrap();
        assert_eq!(
            p,
            Parsed {
                user: "root".into(),
                password: "p@ss".into(),
                host: "db.local".into(),
                port: 3307,
                db: "app".into()
            }
        );
        let p = parse("mysql://u@[::1]/").unwrap();
        assert_eq!((p.host.as_str(), p.port, p.db.as_str()), ("::1", 3306, "test"));
        assert!(parse("postgres://x").is_err());
    }
}
