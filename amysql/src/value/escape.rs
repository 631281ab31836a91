//! Escaping of string and byte contents for MySQL quoted literals.
//!
//! The body of a `'...'` literal is written so that the server's lexer reads back exactly
//! the original bytes and the literal can only end at the closing quote we write. Two
//! lexer modes exist, chosen per session by `sql_mode`:
//!
//! * normal mode: backslash starts an escape sequence, so `\` and `'` must be escaped and
//!   we also escape `\0`, `"`, `\n`, `\r` and `\x1a` like `mysql_real_escape_string` and
//!   PyMySQL's `_escape_table` (harmless to the lexer, but keeps logs and terminals sane);
//! * `NO_BACKSLASH_ESCAPES`: backslash is an ordinary character and the only way to put a
//!   quote in a literal is to double it, so that is the only change we make.
//!
//! Both are byte-oriented, which is only safe when no multibyte character of the
//! connection charset can contain the bytes `\` or `'`; `FormatContext` refuses the
//! charsets where that happens (GBK, BIG5, SJIS, ...).

/// Replacement byte after a backslash for each input byte in normal mode (0 = copy as is).
/// A table lookup keeps the scan loop branch-light; most bytes of real data map to 0.
const BACKSLASH_TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[0x00] = b'0';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[0x1a] = b'Z';
    t[b'\'' as usize] = b'\'';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Appends the escaped form of `s` (without surrounding quotes) to `out`.
///
/// `no_backslash_escapes` must reflect the session's `NO_BACKSLASH_ESCAPES` mode (the
/// server reports it in every OK packet's status flags): escaping for the wrong mode
/// either corrupts the value or, worse, lets it end the literal early.
pub fn escape_string_into(out: &mut Vec<u8>, s: &[u8], no_backslash_escapes: bool) {
    // Reserve for the common case of nothing to escape; escapes grow the buffer rarely.
    out.reserve(s.len());
    let mut rest = s;
    if no_backslash_escapes {
        while let Some(i) = rest.iter().position(|&b| b == b'\'') {
            // Copy the run including the quote, then add its twin.
            out.extend_from_slice(&rest[..=i]);
            out.push(b'\'');
            rest = &rest[i + 1..];
        }
    } else {
        while let Some(i) = rest.iter().position(|&b| BACKSLASH_TABLE[usize::from(b)] != 0) {
            out.extend_from_slice(&rest[..i]);
            out.push(b'\\');
            out.push(BACKSLASH_TABLE[usize::from(rest[i])]);
            rest = &rest[i + 1..];
        }
    }
    out.extend_from_slice(rest);
}

/// Appends `'` + escaped `s` + `'`.
pub(crate) fn quote_into(out: &mut Vec<u8>, s: &[u8], no_backslash_escapes: bool) {
    out.reserve(s.len() + 2);
    out.push(b'\'');
    escape_string_into(out, s, no_backslash_escapes);
    out.push(b'\'');
}

/// Escapes `s` into a new `String` (no surrounding quotes), like PyMySQL's
/// `escape_string`.
pub fn escape_string(s: &str, no_backslash_escapes: bool) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    escape_string_into(&mut out, s.as_bytes(), no_backslash_escapes);
    // Only ASCII bytes are inserted, and only next to ASCII bytes, so UTF-8 stays valid.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Appends `X'<hex>'` for `b`. Used when a formatted query must be shown as a `String`
/// and a `_binary'...'` literal would hold bytes that are not UTF-8.
pub(crate) fn hex_literal_into(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(b.len() * 2 + 3);
    out.extend_from_slice(b"X'");
    for &byte in b {
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0xf)]);
    }
    out.push(b'\'');
}

/// A test-only model of the server's lexer for quoted literals, used to prove that no
/// value can leave its literal. Follows the MySQL manual's "String Literals" section.
#[cfg(test)]
pub(crate) mod model {
    /// Parses one literal (`'...'`, optionally prefixed by `_binary`) at the start of
    /// `input`; returns the decoded bytes and the unparsed rest.
    pub fn parse_literal(input: &[u8], no_backslash_escapes: bool) -> Option<(Vec<u8>, &[u8])> {
        let input = input.strip_prefix(b"_binary").unwrap_or(input);
        let mut rest = input.strip_prefix(b"'")?;
        let mut value = Vec::new();
        loop {
            match *rest {
                [b'\'', b'\'', ref tail @ ..] => {
                    value.push(b'\'');
                    rest = tail;
                }
                [b'\'', ref tail @ ..] => return Some((value, tail)),
                [b'\\', c, ref tail @ ..] if !no_backslash_escapes => {
                    match c {
                        b'0' => value.push(0),
                        b'b' => value.push(8),
                        b'n' => value.push(b'\n'),
                        b'r' => value.push(b'\r'),
                        b't' => value.push(b'\t'),
                        b'Z' => value.push(0x1a),
                        // `\%` and `\_` keep their backslash (they matter to LIKE).
                        b'%' | b'_' => value.extend_from_slice(&[b'\\', c]),
                        other => value.push(other),
                    }
                    rest = tail;
                }
                [c, ref tail @ ..] => {
                    value.push(c);
                    rest = tail;
                }
                [] => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::model::parse_literal;
    use super::*;
    use proptest::prelude::*;

    fn quoted(s: &[u8], nbe: bool) -> Vec<u8> {
        let mut out = Vec::new();
        quote_into(&mut out, s, nbe);
        out
    }

    #[test]
    fn pymysql_escape_cases_backslash_mode() {
        assert_eq!(quoted(b"foo'bar", false), b"'foo\\'bar'");
        assert_eq!(quoted(b"a\0b", false), b"'a\\0b'");
        assert_eq!(quoted(b"a\nb\rc", false), b"'a\\nb\\rc'");
        assert_eq!(quoted(b"\x1a", false), b"'\\Z'");
        assert_eq!(quoted(b"say \"hi\"", false), b"'say \\\"hi\\\"'");
        assert_eq!(quoted(b"C:\\dir", false), b"'C:\\\\dir'");
        assert_eq!(quoted(b"", false), b"''");
        assert_eq!(quoted(b"plain", false), b"'plain'");
        // LIKE wildcards are not escaped: PyMySQL does not either.
        assert_eq!(quoted(b"50%_", false), b"'50%_'");
    }

    #[test]
    fn no_backslash_escapes_only_doubles_quotes() {
        assert_eq!(quoted(b"foo'bar", true), b"'foo''bar'");
        assert_eq!(quoted(b"''", true), b"''''''");
        assert_eq!(quoted(b"a\\b\0\n\"", true), b"'a\\b\0\n\"'");
    }

    #[test]
    fn escape_string_returns_body_only() {
        assert_eq!(escape_string("it's", false), "it\\'s");
        assert_eq!(escape_string("it's", true), "it''s");
        assert_eq!(escape_string("ünï'cødé", false), "ünï\\'cødé");
    }

    #[test]
    fn hex_literal() {
        let mut out = Vec::new();
        hex_literal_into(&mut out, &[0x00, 0xab, 0xff, b'\'']);
        assert_eq!(out, b"X'00ABFF27'");
    }

    #[test]
    fn all_bytes_round_trip_in_both_modes() {
        let all: Vec<u8> = (0..=255).collect();
        for nbe in [false, true] {
            let lit = quoted(&all, nbe);
            let (value, rest) = parse_literal(&lit, nbe).unwrap();
            assert_eq!(value, all);
            assert!(rest.is_empty());
        }
    }

    proptest! {
        #[test]
        fn bytes_never_escape_their_literal(s in proptest::collection::vec(any::<u8>(), 0..200), nbe: bool) {
            let mut lit = quoted(&s, nbe);
            // Whatever follows the literal must still be parsed as "after the literal".
            lit.extend_from_slice(b" OR 1=1");
            let (value, rest) = parse_literal(&lit, nbe).unwrap();
            prop_assert_eq!(value, s);
            prop_assert_eq!(rest, b" OR 1=1");
        }

        #[test]
        fn strings_never_escape_their_literal(s in "[\\x00-\\x7f'\"\\\\%_ü€]{0,80}", nbe: bool) {
            let lit = quoted(s.as_bytes(), nbe);
            let (value, rest) = parse_literal(&lit, nbe).unwrap();
            prop_assert_eq!(value, s.as_bytes());
            prop_assert!(rest.is_empty());
        }
    }
}
