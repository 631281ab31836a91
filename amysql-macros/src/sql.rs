//! Compile-time twin of amysql's runtime placeholder scanner (`value/format.rs`): the
//! same grammar (`%s`, `%(name)s`, `%%`; any other `%` is an error), so a query that
//! the macros accept formats exactly as `query(sql).bind(..)` would. The proc-macro
//! crate cannot depend on amysql (amysql depends on it), hence the second copy; the
//! tests below pin both to the same cases.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// SQL text, with `%%` already turned into `%`; adjacent text is merged.
    Literal(String),
    Positional,
    Named(String),
}

/// Splits `sql` into pieces, or explains the first bad placeholder.
pub fn split(sql: &str) -> Result<Vec<Piece>, String> {
    let bytes = sql.as_bytes();
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut pos = 0;
    while let Some(off) = bytes[pos..].iter().position(|&b| b == b'%') {
        let at = pos + off;
        text.push_str(&sql[pos..at]);
        match bytes.get(at + 1) {
            Some(b'%') => {
                text.push('%');
                pos = at + 2;
                continue;
            }
            Some(b's') => {
                flush(&mut text, &mut pieces);
                pieces.push(Piece::Positional);
                pos = at + 2;
            }
            Some(b'(') => {
                let Some(close) = bytes[at + 2..].iter().position(|&b| b == b')') else {
                    return Err(format!("unterminated `%(` placeholder at byte {at}: expected `%(name)s`"));
                };
                let name = &sql[at + 2..at + 2 + close];
                let after = at + 2 + close + 1;
                if bytes.get(after) != Some(&b's') {
                    return Err(format!("invalid placeholder `%({name})` at byte {at}: only `%(name)s` is supported"));
                }
                if name.is_empty() {
                    return Err(format!("empty parameter name in `%()s` at byte {at}"));
                }
                flush(&mut text, &mut pieces);
                pieces.push(Piece::Named(name.to_string()));
                pos = after + 1;
            }
            None => return Err(format!("lone `%` at the end of the query (byte {at}); write `%%` for a literal `%`")),
            Some(_) => {
                let c = sql[at + 1..].chars().next().unwrap_or('?');
                return Err(format!(
                    "invalid placeholder `%{c}` at byte {at}: only `%s`, `%(name)s` and `%%` (a literal `%`) \
                     are allowed"
                ));
            }
        }
    }
    text.push_str(&sql[pos..]);
    flush(&mut text, &mut pieces);
    Ok(pieces)
}

fn flush(text: &mut String, pieces: &mut Vec<Piece>) {
    if !text.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(text)));
    }
}

#[cfg(test)]
mod tests {
    use super::Piece::*;
    use super::*;

    fn lit(s: &str) -> Piece {
        Literal(s.into())
    }

    #[test]
    fn splits_like_the_runtime_scanner() {
        assert_eq!(split("SELECT 1").unwrap(), [lit("SELECT 1")]);
        assert_eq!(split("").unwrap(), []);
        assert_eq!(split("a %s b %s").unwrap(), [lit("a "), Positional, lit(" b "), Positional]);
        assert_eq!(split("%(id)s%(id)s").unwrap(), [Named("id".into()), Named("id".into())]);
        assert_eq!(split("LIKE '100%%' AND x = %s").unwrap(), [lit("LIKE '100%' AND x = "), Positional]);
        assert_eq!(split("%%%s%%").unwrap(), [lit("%"), Positional, lit("%")]);
        assert_eq!(split("é %s ü").unwrap(), [lit("é "), Positional, lit(" ü")]);
    }

    #[test]
    fn rejects_what_the_runtime_scanner_rejects() {
        assert!(split("100%").unwrap_err().starts_with("lone `%`"));
        assert!(split("%d").unwrap_err().starts_with("invalid placeholder `%d`"));
        assert!(split("%é").unwrap_err().starts_with("invalid placeholder `%é`"));
        assert!(split("%(id").unwrap_err().starts_with("unterminated `%(`"));
        assert!(split("%(id)d").unwrap_err().starts_with("invalid placeholder `%(id)`"));
        assert!(split("%()s").unwrap_err().starts_with("empty parameter name"));
    }
}
