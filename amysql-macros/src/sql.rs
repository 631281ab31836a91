//! The SQL literal split at compile time by the same scanner the runtime uses
//! (`amysql-placeholders`), so a query the macros accept is split exactly as
//! `query(sql).bind(..)` would split it, and rejected with the same words.

pub use amysql_placeholders::Style;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// SQL text, with `%%` already turned into `%` in percent style; adjacent text is
    /// merged.
    Literal(String),
    Positional,
    Named(String),
}

/// Splits `sql` into pieces, or explains the first bad placeholder (or a mix of styles).
pub fn split(sql: &str) -> Result<(Style, Vec<Piece>), String> {
    let scanned = amysql_placeholders::pieces(sql).map_err(|e| e.into_message())?;
    let style = scanned.style();
    let mut pieces = Vec::new();
    let mut text = String::new();
    for piece in scanned {
        match piece.map_err(|e| e.into_message())? {
            amysql_placeholders::Piece::Literal(t) => text.push_str(t),
            amysql_placeholders::Piece::Positional => {
                flush(&mut text, &mut pieces);
                pieces.push(Piece::Positional);
            }
            amysql_placeholders::Piece::Named(n) => {
                flush(&mut text, &mut pieces);
                pieces.push(Piece::Named(n.to_string()));
            }
        }
    }
    flush(&mut text, &mut pieces);
    Ok((style, pieces))
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

    fn pieces(sql: &str) -> Vec<Piece> {
        split(sql).unwrap().1
    }

    #[test]
    fn merges_literal_runs() {
        assert_eq!(pieces("SELECT 1"), [lit("SELECT 1")]);
        assert_eq!(pieces(""), []);
        assert_eq!(pieces("a %s b %s"), [lit("a "), Positional, lit(" b "), Positional]);
        assert_eq!(pieces("%(id)s%(id)s"), [Named("id".into()), Named("id".into())]);
        assert_eq!(pieces("LIKE '100%%' AND x = %s"), [lit("LIKE '100%' AND x = "), Positional]);
        assert_eq!(pieces("%%%s%%"), [lit("%"), Positional, lit("%")]);
        assert_eq!(
            split("a ? '?' ? %").unwrap(),
            (Style::Qmark, vec![lit("a "), Positional, lit(" '?' "), Positional, lit(" %")])
        );
    }

    #[test]
    fn errors_are_the_runtime_scanners() {
        assert!(split("100%").unwrap_err().starts_with("lone % at the end"));
        assert!(split("%d").unwrap_err().starts_with("invalid placeholder %d"));
        assert!(split("? %s").unwrap_err().starts_with("query mixes ? and %s placeholders"));
    }
}
