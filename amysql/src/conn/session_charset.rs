//! Noticing, in outgoing SQL, statements that change the session's client character set
//! (`SET NAMES`, `SET CHARACTER SET`, `SET CHARSET`, `SET character_set_client = ..`).
//!
//! `%s` escaping is only safe under the charset the server reads the query in: after
//! `SET NAMES gbk` the escaped bytes `ac 5c 27` are one GBK character followed by a bare
//! quote. So the connection follows such statements: a recognised charset replaces the
//! one escaping assumes (and GBK-like ones are then refused as usual), anything it cannot
//! read (`SET NAMES DEFAULT`, a variable, an unknown name) makes escaping refuse until
//! the session is reset. Sans-IO: a pure function over the SQL bytes.
//!
//! Cost: every COM_QUERY passes through [`may_change_charset`] first, which looks at the
//! first keyword and, only with multi-statements on, for a `;` — a few instructions on
//! the point path. The tokenizing scan runs only when one of those matches.

/// What a query does to the session's client charset, as far as its text tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CharsetChange {
    /// The charset named (lowercased, quotes removed).
    To(String),
    /// Changed to something the text does not name (`DEFAULT`, `@var`, an expression).
    Unknown,
}

/// The change `sql` makes, checked cheaply first: the full scan runs only when the
/// pre-filter lets the text through.
#[inline]
pub(crate) fn noticed_change(sql: &[u8], multi: bool, backslash_escapes: bool) -> Option<CharsetChange> {
    if may_change_charset(sql, multi) {
        charset_change(sql, backslash_escapes)
    } else {
        None
    }
}

/// Cheap pre-filter: false when `sql` certainly holds no charset-changing statement.
/// `multi`: whether the connection allows several statements per query.
#[inline]
pub(crate) fn may_change_charset(sql: &[u8], multi: bool) -> bool {
    let mut i = 0;
    while i < sql.len() && sql[i].is_ascii_whitespace() {
        i += 1;
    }
    let starts_like_set = match sql.get(i) {
        // `SET ...`, but not `SELECT`: look at the third letter.
        Some(b's' | b'S') => matches!(sql.get(i + 2), Some(b't' | b'T')),
        // A leading comment or parenthesis: let the full scan decide.
        Some(b'/' | b'#' | b'-' | b'(') => true,
        _ => false,
    };
    starts_like_set || (multi && has_semicolon(sql))
}

/// Whether `sql` holds a `;` (inline, a word at a time: see `amysql_placeholders::contains_byte`).
#[inline]
fn has_semicolon(sql: &[u8]) -> bool {
    amysql_placeholders::contains_byte(sql, b';')
}

/// The last change to the session's client charset that `sql` makes, if any.
#[cold]
/// `backslash_escapes`: whether `\` escapes inside string literals (false under
/// NO_BACKSLASH_ESCAPES), needed to find where literals end.
pub(crate) fn charset_change(sql: &[u8], backslash_escapes: bool) -> Option<CharsetChange> {
    let mut change = None;
    for statement in statements(sql, backslash_escapes) {
        if let Some(c) = set_statement_change(&statement) {
            change = Some(c);
        }
    }
    change
}

/// A token of SQL text, enough for SET statements: words, quoted strings, punctuation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A bare word (identifier, keyword, `@@session.x`), lowercased.
    Word(String),
    /// A quoted string or identifier, its content (escapes not interpreted).
    Quoted(String),
    /// Any other single byte (`=`, `,`, `(`).
    Punct(u8),
}

/// Splits `sql` into statements (at `;` outside literals and comments), each a token list.
fn statements(sql: &[u8], backslash_escapes: bool) -> Vec<Vec<Token>> {
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < sql.len() {
        let b = sql[i];
        match b {
            b if b.is_ascii_whitespace() => i += 1,
            b';' => {
                out.push(Vec::new());
                i += 1;
            }
            b'#' => i = skip_line(sql, i),
            b'-' if sql.get(i + 1) == Some(&b'-') && sql.get(i + 2).map_or(true, |c| c.is_ascii_whitespace()) => {
                i = skip_line(sql, i)
            }
            b'/' if sql.get(i + 1) == Some(&b'*') => {
                // `/*! ... */` and `/*M! ... */` are executed by the server: read inside
                // them as ordinary text; plain comments are skipped.
                let executable = sql.get(i + 2) == Some(&b'!') || sql.get(i + 2..i + 4) == Some(b"M!");
                if executable {
                    i += 3;
                    while i < sql.len() && (sql[i].is_ascii_digit() || sql[i] == b'!') {
                        i += 1;
                    }
                } else {
                    i = match find(sql, i + 2, b"*/") {
                        Some(end) => end + 2,
                        None => sql.len(),
                    };
                }
            }
            b'*' if sql.get(i + 1) == Some(&b'/') => i += 2, // end of an executable comment
            b'\'' | b'"' | b'`' => {
                let (content, next) = quoted(sql, i, backslash_escapes && b != b'`');
                push(&mut out, Token::Quoted(content));
                i = next;
            }
            b if is_word_byte(b) => {
                let start = i;
                while i < sql.len() && (is_word_byte(sql[i]) || sql[i] == b'.') {
                    i += 1;
                }
                push(&mut out, Token::Word(String::from_utf8_lossy(&sql[start..i]).to_ascii_lowercase()));
            }
            _ => {
                push(&mut out, Token::Punct(b));
                i += 1;
            }
        }
    }
    out
}

fn push(out: &mut [Vec<Token>], t: Token) {
    if let Some(last) = out.last_mut() {
        last.push(t);
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'@' || b == b'$' || b >= 0x80
}

fn skip_line(sql: &[u8], i: usize) -> usize {
    sql[i..].iter().position(|&c| c == b'\n').map_or(sql.len(), |p| i + p + 1)
}

fn find(sql: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    sql.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

/// A quoted literal starting at `i`: its content and the index after it. A doubled quote
/// stands for itself; with `backslash`, `\` escapes the next byte.
fn quoted(sql: &[u8], i: usize, backslash: bool) -> (String, usize) {
    let q = sql[i];
    let mut j = i + 1;
    let mut content = Vec::new();
    while j < sql.len() {
        let c = sql[j];
        if backslash && c == b'\\' && j + 1 < sql.len() {
            content.push(sql[j + 1]);
            j += 2;
        } else if c == q {
            if sql.get(j + 1) == Some(&q) {
                content.push(q);
                j += 2;
            } else {
                return (String::from_utf8_lossy(&content).into_owned(), j + 1);
            }
        } else {
            content.push(c);
            j += 1;
        }
    }
    (String::from_utf8_lossy(&content).into_owned(), sql.len())
}

/// The charset change a single statement makes, when it is a SET statement.
fn set_statement_change(tokens: &[Token]) -> Option<CharsetChange> {
    let mut t = tokens.iter().peekable();
    if t.next() != Some(&Token::Word("set".into())) {
        return None;
    }
    // `SET STATEMENT var=.. FOR stmt` changes nothing beyond that one statement.
    if t.peek() == Some(&&Token::Word("statement".into())) {
        return None;
    }
    let mut change = None;
    // One assignment per comma-separated item: `[GLOBAL|SESSION|LOCAL] target value`.
    let mut global = false;
    let mut expect_target = true;
    while let Some(tok) = t.next() {
        match tok {
            Token::Punct(b',') => {
                global = false;
                expect_target = true;
            }
            Token::Word(w) if expect_target => {
                expect_target = false;
                match w.as_str() {
                    "global" | "@@global" => {
                        global = true;
                        expect_target = true;
                    }
                    "session" | "local" | "@@session" | "@@local" => expect_target = true,
                    "names" | "charset" => {
                        let value = charset_value(&mut t);
                        if !global {
                            change = Some(value);
                        }
                    }
                    "character" => {
                        if t.peek() == Some(&&Token::Word("set".into())) {
                            t.next();
                            let value = charset_value(&mut t);
                            if !global {
                                change = Some(value);
                            }
                        }
                    }
                    var => {
                        let (scope_global, name) = variable_name(var);
                        if name == "character_set_client" {
                            if t.peek() == Some(&&Token::Punct(b'=')) || t.peek() == Some(&&Token::Punct(b':')) {
                                while matches!(t.peek(), Some(Token::Punct(b'=' | b':'))) {
                                    t.next();
                                }
                            }
                            let value = charset_value(&mut t);
                            if !(global || scope_global) {
                                change = Some(value);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    change
}

/// `@@session.character_set_client` → (false, "character_set_client").
fn variable_name(word: &str) -> (bool, &str) {
    let (global, rest) = if let Some(r) = word.strip_prefix("@@global.") {
        (true, r)
    } else if let Some(r) =
        word.strip_prefix("@@session.").or_else(|| word.strip_prefix("@@local.")).or_else(|| word.strip_prefix("@@"))
    {
        (false, r)
    } else {
        (false, word)
    };
    (global, rest)
}

/// Reads the value after `NAMES` / `CHARACTER SET` / `character_set_client =`.
fn charset_value<'a>(t: &mut std::iter::Peekable<impl Iterator<Item = &'a Token>>) -> CharsetChange {
    let value = match t.next() {
        Some(Token::Word(w)) if w != "default" && !w.starts_with('@') => CharsetChange::To(w.clone()),
        Some(Token::Quoted(q)) if !q.is_empty() => CharsetChange::To(q.to_ascii_lowercase()),
        _ => CharsetChange::Unknown,
    };
    // Anything but a plain end, a comma or COLLATE after the name makes it an expression.
    match t.peek() {
        None | Some(Token::Punct(b',')) => value,
        Some(Token::Word(w)) if w == "collate" => {
            t.next();
            t.next();
            value
        }
        _ => CharsetChange::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(sql: &str) -> Option<CharsetChange> {
        charset_change(sql.as_bytes(), true)
    }
    fn to(name: &str) -> Option<CharsetChange> {
        Some(CharsetChange::To(name.into()))
    }

    #[test]
    fn prefilter_passes_set_and_multi_statements_only() {
        assert!(!may_change_charset(b"SELECT 1", true));
        assert!(!may_change_charset(b"  select name from t where id = 5", true));
        assert!(!may_change_charset(b"INSERT INTO t VALUES ('a;b')", false));
        assert!(may_change_charset(b"INSERT INTO t VALUES ('a;b')", true));
        assert!(may_change_charset(b"SET NAMES gbk", false));
        assert!(may_change_charset(b"\n set names gbk", false));
        assert!(may_change_charset(b"/* hi */ SET NAMES gbk", false));
        assert!(may_change_charset(b"SELECT 1; SET NAMES gbk", true));
    }

    #[test]
    fn semicolon_scan_matches_contains() {
        for len in 0..40 {
            for at in 0..=len {
                let mut sql = vec![b'x'; len];
                // Bytes next to ';' in value, and high bytes, must not confuse the word test.
                for (i, b) in sql.iter_mut().enumerate() {
                    *b = [b'x', b':', b'<', 0xbb, 0x3a, 0x00][i % 6];
                }
                if at < len {
                    sql[at] = b';';
                }
                assert_eq!(has_semicolon(&sql), sql.contains(&b';'), "len {len}, at {at}");
            }
        }
    }

    #[test]
    fn set_names_forms() {
        assert_eq!(change("SET NAMES gbk"), to("gbk"));
        assert_eq!(change("set names 'GBK'"), to("gbk"));
        assert_eq!(change("SET NAMES `big5` COLLATE big5_chinese_ci"), to("big5"));
        assert_eq!(change("SET NAMES utf8mb4 COLLATE 'utf8mb4_unicode_ci', autocommit = 0"), to("utf8mb4"));
        assert_eq!(change("SET CHARACTER SET sjis"), to("sjis"));
        assert_eq!(change("SET CHARSET latin1"), to("latin1"));
        assert_eq!(change("SET character_set_client = gbk"), to("gbk"));
        assert_eq!(change("SET SESSION character_set_client=gbk"), to("gbk"));
        assert_eq!(change("SET @@session.character_set_client := 'gbk'"), to("gbk"));
        assert_eq!(change("SET @@character_set_client = cp932"), to("cp932"));
        assert_eq!(change("SET autocommit = 0, NAMES gbk"), to("gbk"));
        assert_eq!(change("/*!40101 SET NAMES gbk */"), to("gbk"));
        assert_eq!(change("SELECT 1; SET NAMES gbk; SELECT 2"), to("gbk"));
        assert_eq!(change("SET NAMES gbk; SET NAMES utf8mb4"), to("utf8mb4"));
    }

    #[test]
    fn unreadable_changes_are_unknown() {
        assert_eq!(change("SET NAMES DEFAULT"), Some(CharsetChange::Unknown));
        assert_eq!(change("SET character_set_client = @saved"), Some(CharsetChange::Unknown));
        assert_eq!(change("SET character_set_client = CONCAT('g','bk')"), Some(CharsetChange::Unknown));
        assert_eq!(change("SET NAMES"), Some(CharsetChange::Unknown));
    }

    #[test]
    fn not_changes() {
        assert_eq!(change("SELECT 'SET NAMES gbk'"), None);
        assert_eq!(change("INSERT INTO t VALUES ('x; SET NAMES gbk')"), None);
        assert_eq!(change("INSERT INTO t VALUES ('it\\'s; SET NAMES gbk')"), None);
        assert_eq!(change("SELECT 1 -- ; SET NAMES gbk"), None);
        assert_eq!(change("SELECT 1 /* ; SET NAMES gbk */"), None);
        assert_eq!(change("SET GLOBAL character_set_client = gbk"), None);
        assert_eq!(change("SET @@global.character_set_client = gbk"), None);
        assert_eq!(change("SET STATEMENT character_set_client=gbk FOR SELECT 1"), None);
        assert_eq!(change("SET sql_mode = 'ANSI_QUOTES'"), None);
        assert_eq!(change("SET @names = 'gbk'"), None);
        assert_eq!(change("SELECT names FROM t"), None);
        // Under NO_BACKSLASH_ESCAPES a backslash ends nothing: the literal closes at `'`.
        assert_eq!(charset_change(b"SELECT 'a\\'; SET NAMES gbk", false), to("gbk"));
        assert_eq!(charset_change(b"SELECT 'a\\'; SET NAMES gbk", true), None);
    }
}
