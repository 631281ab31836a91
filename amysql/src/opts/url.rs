//! Splitting a `mysql://` URL (after the scheme) into userinfo, host, port, database and
//! query, tolerating the unencoded characters people put in passwords.
//!
//! Strictly (RFC 3986) the authority ends at the first `/` or `?`, so a password holding
//! an unencoded `/` or `?` moves the rest of it into the host, port or path, and a parser
//! that quotes what it failed on then prints part of the password. The rules here:
//!
//! 1. An `@` anywhere before the first `?` means the URL has a user: the userinfo ends at
//!    the last `@` in the authority when the authority holds one (so a database name may
//!    contain `@` after a user is given), otherwise at the last `@` before the first `?`
//!    (a password with an unencoded `/`). In a URL *without* a user, a database name
//!    holding `@` must therefore be percent-encoded (`%40`).
//! 2. No `@` before the first `?` but one after it: the URL is read as having no user; if
//!    that reading fails, the `?` is taken to be part of the password and the userinfo
//!    ends at the last `@` before the next `?` that follows an `@`.
//! 3. Each reading is checked (host characters, a numeric port, no raw `/` inside the
//!    database name) and the first that holds wins, so the lenient readings never change
//!    the meaning of a URL that parses strictly.
//!
//! The user name ends at the first `:`; `#` has no special meaning (there is no fragment).
//! Errors from here never quote the URL: any part of it may be part of the password.

use crate::error::{Error, Result};

/// One way of reading the URL. All fields are still percent-encoded.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct UrlParts<'a> {
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub host: &'a str,
    pub port: Option<u16>,
    pub db: &'a str,
    pub query: Option<&'a str>,
}

fn url_err(what: &str) -> Error {
    Error::Interface(format!("connection URL: {what}"))
}

/// The readings to try, in order (see the module doc), as userinfo end positions:
/// `None` is "no user".
fn userinfo_ends(rest: &str) -> Vec<Option<usize>> {
    let q0 = rest.find('?').unwrap_or(rest.len());
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let strict = rest[..auth_end].rfind('@');
    match rest[..q0].rfind('@') {
        Some(before_query) => {
            let mut ends = vec![strict.or(Some(before_query))];
            if strict.is_some() && strict != Some(before_query) {
                ends.push(Some(before_query));
            }
            ends
        }
        None => {
            let mut ends = vec![None];
            if let Some(first_at) = rest[q0..].find('@').map(|i| q0 + i) {
                let next_q = rest[first_at..].find('?').map_or(rest.len(), |i| first_at + i);
                ends.push(rest[..next_q].rfind('@'));
            }
            ends
        }
    }
}

/// Every reading of `rest` (the URL after `mysql://`), in order of preference; each is
/// checked, so an `Err` means that reading does not hold.
pub(super) fn readings(rest: &str) -> Vec<Result<UrlParts<'_>>> {
    userinfo_ends(rest).into_iter().map(|end| read(rest, end)).collect()
}

fn read(rest: &str, userinfo_end: Option<usize>) -> Result<UrlParts<'_>> {
    let (user, password, after) = match userinfo_end {
        Some(at) => {
            let userinfo = &rest[..at];
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            (Some(user), password, &rest[at + 1..])
        }
        None => (None, None, rest),
    };
    let (main, query) = match after.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (after, None),
    };
    let (hostport, path) = main.split_once('/').unwrap_or((main, ""));
    let (host, port) = split_host_port(hostport)?;
    let port =
        port.map(|p| p.parse::<u16>().map_err(|_| url_err("the port is not a number from 0 to 65535"))).transpose()?;
    let db = path.trim_end_matches('/');
    if db.contains('/') {
        return Err(url_err("the database name holds a `/` (percent-encode it as %2F)"));
    }
    Ok(UrlParts { user, password, host, port, db, query })
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<&str>)> {
    if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| url_err("unterminated [IPv6] host"))?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit() || b":.%".contains(&b)) {
            return Err(url_err("the [IPv6] host is not an IPv6 address"));
        }
        return match after {
            "" => Ok((h, None)),
            _ => match after.strip_prefix(':') {
                Some(p) => Ok((h, Some(p))),
                None => Err(url_err("unexpected text after the [IPv6] host")),
            },
        };
    }
    let (host, port) = match hostport.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    };
    // Host names, IPv4 addresses and percent-encoded bytes; anything else (`@`, `/`, `:`,
    // `=`, spaces, ...) means this reading took part of the userinfo or path as a host.
    if !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)) {
        return Err(url_err("the host is not a valid host name or address"));
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_ok(rest: &str) -> UrlParts<'_> {
        readings(rest).into_iter().find_map(|r| r.ok()).unwrap_or_else(|| panic!("no reading of {rest}"))
    }

    #[test]
    fn strict_urls_read_strictly() {
        let p = first_ok("u:p@h:3307/db?x=1");
        assert_eq!(
            p,
            UrlParts {
                user: Some("u"),
                password: Some("p"),
                host: "h",
                port: Some(3307),
                db: "db",
                query: Some("x=1")
            }
        );
        // An `@` in the path or query of a URL with a user stays there.
        let p = first_ok("u:p@h/my@db?init_command=SET%20@x=1");
        assert_eq!((p.user, p.host, p.db, p.query), (Some("u"), "h", "my@db", Some("init_command=SET%20@x=1")));
        // No user: an `@` after the `?` belongs to the query.
        let p = first_ok("h/db?init_command=SET%20@x=1");
        assert_eq!((p.user, p.host, p.db), (None, "h", "db"));
        let p = first_ok("[::1]:3310/");
        assert_eq!((p.host, p.port, p.db), ("::1", Some(3310), ""));
    }

    /// Which reading wins also depends on the options (a `?` in the password makes the
    /// no-user reading fail there); `opts.rs` tests that. Here: the right reading exists.
    #[test]
    fn unencoded_password_characters() {
        for (rest, password) in [
            ("u:Passw0rd/xyz@db.example:3306/app", "Passw0rd/xyz"),
            ("u:1234/xyz@db.example/app", "1234/xyz"),
            ("u:p@ss/w@db.example/app", "p@ss/w"),
            ("u:pa?ss@db.example/app?ssl-mode=disabled", "pa?ss"),
            ("u:12?34@db.example/app", "12?34"),
            ("u:a:b#c[d]@db.example/app", "a:b#c[d]"),
        ] {
            let found = readings(rest)
                .into_iter()
                .filter_map(|r| r.ok())
                .any(|p| (p.user, p.password, p.host, p.db) == (Some("u"), Some(password), "db.example", "app"));
            assert!(found, "{rest}: {:?}", readings(rest));
        }
    }

    #[test]
    fn bad_parts_fail_every_reading() {
        for rest in ["h:99999/db", "h:port/db", "[::1/db", "[::1]x/db", "h/a/b", "ho st/db", "u:p@h:-1/"] {
            assert!(readings(rest).iter().all(|r| r.is_err()), "{rest}");
        }
    }
}
