//! `%s` / `%(name)s` formatting: the connection's escaping context, the placeholder
//! parser and the formatter that writes chunks and literals into one query buffer.
//!
//! The syntax is PyMySQL's (Python `%` formatting restricted to `%s`): `%s` positional,
//! `%(name)s` named, `%%` a literal `%`. Anything else after `%` is an error rather than
//! being sent to the server, because a stray `%d` is almost always a porting mistake.

use std::borrow::Cow;

use super::params::Params;
use crate::error::{Error, Result};

/// Charsets in which every byte below 0x80 is always a character of its own, so escaping
/// `\` and `'` byte-wise is exact. Besides the Unicode and binary ones this is MySQL's
/// list of single-byte charsets (they cannot hide a byte inside a multibyte character).
/// The EUC family is also ASCII-transparent but is left out until someone needs it:
/// the list is the trust boundary, so it stays short.
const SAFE_CHARSETS: &[&str] = &[
    "utf8mb4", "utf8mb3", "utf8", "latin1", "ascii", "binary", "latin2", "latin5", "latin7", "cp1250", "cp1251",
    "cp1256", "cp1257", "cp850", "cp852", "cp866", "dec8", "greek", "hebrew", "hp8", "keybcs2", "koi8r", "koi8u",
    "macce", "macroman", "swe7", "armscii8", "geostd8", "tis620",
];

/// Charsets with multibyte characters whose trailing byte can be 0x5c (`\`): the classic
/// "addslashes on GBK" injection. Named separately for a more precise error message.
const UNSAFE_CHARSETS: &[&str] = &["gbk", "big5", "sjis", "cp932", "gb2312", "gb18030"];

/// How values are escaped for one connection: the session's `NO_BACKSLASH_ESCAPES` mode
/// and whether its charset allows client-side escaping at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatContext {
    no_backslash_escapes: bool,
    /// Render bytes as `X'..'` instead of `_binary'..'`; only for String-returning APIs.
    hex_bytes: bool,
    /// `Some(message)` when the charset is refused; allocated only in that rare case so
    /// that building a context per query costs nothing.
    refused: Option<Box<str>>,
}

impl FormatContext {
    /// A context for a session with the given `NO_BACKSLASH_ESCAPES` state and connection
    /// charset (a charset name like `utf8mb4`, or a collation name like
    /// `utf8mb4_general_ci`). An unsafe charset is not an error here; every attempt to
    /// format or escape with the context is.
    pub fn new(no_backslash_escapes: bool, charset: &str) -> FormatContext {
        FormatContext { no_backslash_escapes, hex_bytes: false, refused: charset_refusal(charset) }
    }

    /// A context whose every use fails with `message` (the session's charset is not known).
    pub(crate) fn refusing(no_backslash_escapes: bool, message: &str) -> FormatContext {
        FormatContext { no_backslash_escapes, hex_bytes: false, refused: Some(message.into()) }
    }

    /// True when quotes are doubled instead of backslash-escaped.
    pub fn no_backslash_escapes(&self) -> bool {
        self.no_backslash_escapes
    }

    /// True when client-side escaping is known to be safe for `charset`.
    pub fn is_charset_safe(charset: &str) -> bool {
        charset_refusal(charset).is_none()
    }

    /// `Err(Error::Interface)` naming the charset when escaping is unsafe.
    pub fn check(&self) -> Result<()> {
        match &self.refused {
            None => Ok(()),
            Some(msg) => Err(Error::Interface(msg.to_string())),
        }
    }

    pub(crate) fn hex_bytes(&self) -> bool {
        self.hex_bytes
    }

    pub(crate) fn with_hex_bytes(&self) -> FormatContext {
        FormatContext { hex_bytes: true, ..self.clone() }
    }
}

impl Default for FormatContext {
    /// utf8mb4 with backslash escapes: a fresh MariaDB/MySQL session's defaults.
    fn default() -> Self {
        FormatContext::new(false, "utf8mb4")
    }
}

fn charset_refusal(charset: &str) -> Option<Box<str>> {
    // Accept collation names too: the charset is everything before the first `_`.
    let name = charset.split('_').next().unwrap_or(charset);
    let is = |list: &[&str]| list.iter().any(|c| c.eq_ignore_ascii_case(name));
    if is(SAFE_CHARSETS) {
        None
    } else if is(UNSAFE_CHARSETS) {
        Some(
            format!(
                "client-side escaping is unsafe with charset `{charset}`: its multibyte \
                 characters can contain the byte of `\\`, so an escaped value could end its \
                 literal early; connect with charset utf8mb4 (or utf8mb3, latin1, ascii, binary)"
            )
            .into(),
        )
    } else {
        Some(
            format!(
                "client-side escaping is not known to be safe with charset `{charset}`; \
                 %s formatting and escape() need utf8mb4, utf8mb3, latin1, ascii, binary or \
                 another single-byte charset"
            )
            .into(),
        )
    }
}

/// One piece of a split query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Piece<'a> {
    /// SQL text copied as is (`%%` has already become `%`).
    Literal(&'a str),
    /// A `%s` placeholder.
    Positional,
    /// A `%(name)s` placeholder.
    Named(&'a str),
}

/// A query split into literal chunks and placeholders, so that formatting it many times
/// (executemany, or the output of the `query!` macros) never re-parses the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlTemplate<'a> {
    sql: &'a str,
    pieces: Cow<'a, [Piece<'a>]>,
    positional: usize,
    named: usize,
}

impl<'a> SqlTemplate<'a> {
    /// Splits `sql`, reporting bad placeholder syntax as `Error::Programming`.
    pub fn parse(sql: &'a str) -> Result<SqlTemplate<'a>> {
        let mut pieces = Vec::new();
        let (mut positional, mut named) = (0, 0);
        for piece in Tokens::new(sql) {
            let piece = piece?;
            match piece {
                Piece::Literal(_) => {}
                Piece::Positional => positional += 1,
                Piece::Named(_) => named += 1,
            }
            if positional > 0 && named > 0 {
                return Err(mixed_placeholders());
            }
            pieces.push(piece);
        }
        Ok(SqlTemplate { sql, pieces: Cow::Owned(pieces), positional, named })
    }

    /// Builds a template from pieces split ahead of time (by the compile-time macros).
    /// `sql` is the original text, sent verbatim when the parameters are `()`. The pieces
    /// are trusted to be what `parse` would produce; a mix of positional and named pieces
    /// is reported when formatting.
    pub const fn from_parts(sql: &'a str, pieces: &'a [Piece<'a>]) -> SqlTemplate<'a> {
        let (mut positional, mut named, mut i) = (0, 0, 0);
        while i < pieces.len() {
            match pieces[i] {
                Piece::Literal(_) => {}
                Piece::Positional => positional += 1,
                Piece::Named(_) => named += 1,
            }
            i += 1;
        }
        SqlTemplate { sql, pieces: Cow::Borrowed(pieces), positional, named }
    }

    /// The original SQL text.
    pub fn sql(&self) -> &'a str {
        self.sql
    }

    /// The pieces in order.
    pub fn pieces(&self) -> &[Piece<'a>] {
        &self.pieces
    }

    /// Number of placeholders (`%s` or `%(name)s`, counting repeats).
    pub fn placeholder_count(&self) -> usize {
        self.positional + self.named
    }

    /// True when the placeholders are `%(name)s`.
    pub fn is_named(&self) -> bool {
        self.named > 0
    }

    /// Appends the query with `params` substituted to `out`. With `()` the original SQL
    /// is appended verbatim, as PyMySQL does for `args=None`. On error `out` is left as
    /// it was.
    pub fn format_into<P: Params + ?Sized>(&self, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
        if params.is_empty_params() {
            out.extend_from_slice(self.sql.as_bytes());
            return Ok(());
        }
        if self.positional > 0 && self.named > 0 {
            return Err(mixed_placeholders());
        }
        out.reserve(self.sql.len() + 8 * self.placeholder_count());
        format_pieces(self.pieces.iter().map(|p| Ok(*p)), params, ctx, out)
    }
}

/// Appends `sql` with `params` substituted to `out`, parsing the SQL in the same single
/// pass. With `()` nothing is parsed: the SQL is appended verbatim (so `SELECT '100%'`
/// works without doubling the `%`), as PyMySQL does for `args=None`. On error `out` is
/// left as it was.
pub fn format_query<P: Params + ?Sized>(sql: &str, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
    if params.is_empty_params() {
        out.extend_from_slice(sql.as_bytes());
        return Ok(());
    }
    out.reserve(sql.len() + 8 * params.positional_len().unwrap_or(params.named_len()));
    format_pieces(Tokens::new(sql), params, ctx, out)
}

fn format_pieces<'s, P, I>(pieces: I, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()>
where
    P: Params + ?Sized,
    I: Iterator<Item = Result<Piece<'s>>>,
{
    let start = out.len();
    let result = format_pieces_inner(pieces, params, ctx, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn format_pieces_inner<'s, P, I>(pieces: I, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()>
where
    P: Params + ?Sized,
    I: Iterator<Item = Result<Piece<'s>>>,
{
    ctx.check()?;
    let given = params.positional_len();
    let mut next_positional = 0usize;
    let mut used_names = UsedNames::default();
    for piece in pieces {
        match piece? {
            Piece::Literal(text) => out.extend_from_slice(text.as_bytes()),
            Piece::Positional => {
                if !used_names.is_empty() {
                    return Err(mixed_placeholders());
                }
                let Some(given) = given else {
                    return Err(Error::Interface("query uses %s placeholders but named parameters were given".into()));
                };
                if next_positional >= given {
                    return Err(Error::Interface(format!(
                        "not enough parameters for %s placeholder #{} ({given} given)",
                        next_positional + 1
                    )));
                }
                params
                    .write_positional(next_positional, out, ctx)
                    .map_err(|e| in_parameter(e, format_args!("#{}", next_positional + 1)))?;
                next_positional += 1;
            }
            Piece::Named(name) => {
                if next_positional > 0 {
                    return Err(mixed_placeholders());
                }
                if given.is_some() {
                    return Err(Error::Interface(format!(
                        "query uses %({name})s but positional parameters were given"
                    )));
                }
                let found =
                    params.write_named(name, out, ctx).map_err(|e| in_parameter(e, format_args!("`{name}`")))?;
                if !found {
                    return Err(Error::Interface(format!("missing named parameter `{name}` for %({name})s")));
                }
                used_names.insert(name);
            }
        }
    }
    match given {
        Some(given) if given > next_positional => Err(Error::Interface(format!(
            "too many parameters: {given} given, query has {next_positional} placeholders"
        ))),
        Some(_) => Ok(()),
        None if params.named_len() > used_names.len() => Err(unused_name(params, &used_names)),
        None => Ok(()),
    }
}

#[cold]
fn unused_name<P: Params + ?Sized>(params: &P, used: &UsedNames<'_>) -> Error {
    let keys = params.named_keys();
    match keys.iter().find(|k| !used.contains(k)) {
        Some(k) => Error::Interface(format!("named parameter `{k}` is not used by the query")),
        // Every key was used, so some key must be given twice (only `params!` allows it).
        None => {
            let dup = keys.iter().enumerate().find(|(i, k)| keys[..*i].contains(k));
            let name = dup.map_or("?", |(_, k)| k);
            Error::Interface(format!("named parameter `{name}` is given more than once"))
        }
    }
}

/// Adds which parameter failed to an encoding error.
#[cold]
fn in_parameter(e: Error, which: std::fmt::Arguments<'_>) -> Error {
    match e {
        Error::Encode(m) => Error::Encode(format!("parameter {which}: {m}")),
        other => other,
    }
}

fn mixed_placeholders() -> Error {
    Error::Programming("query mixes %s and %(name)s placeholders".into())
}

/// Distinct placeholder names seen so far. Queries have few names, so a linear scan of a
/// `Vec` that is only allocated when named placeholders exist beats hashing.
#[derive(Default)]
struct UsedNames<'s>(Vec<&'s str>);

impl<'s> UsedNames<'s> {
    fn insert(&mut self, name: &'s str) {
        if !self.0.contains(&name) {
            self.0.push(name);
        }
    }
    fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The single-pass placeholder scanner: yields literal runs between `%` signs and the
/// placeholders themselves, borrowing everything from the SQL text.
struct Tokens<'a> {
    sql: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(sql: &'a str) -> Self {
        Tokens { sql, pos: 0 }
    }

    fn fail(&mut self, msg: String) -> Option<Result<Piece<'a>>> {
        self.pos = self.sql.len();
        Some(Err(Error::Programming(msg)))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Result<Piece<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.sql.as_bytes();
        let at = self.pos;
        if at >= bytes.len() {
            return None;
        }
        let Some(off) = bytes[at..].iter().position(|&b| b == b'%') else {
            self.pos = bytes.len();
            return Some(Ok(Piece::Literal(&self.sql[at..])));
        };
        if off > 0 {
            self.pos = at + off;
            return Some(Ok(Piece::Literal(&self.sql[at..at + off])));
        }
        match bytes.get(at + 1) {
            Some(b's') => {
                self.pos = at + 2;
                Some(Ok(Piece::Positional))
            }
            Some(b'%') => {
                self.pos = at + 2;
                Some(Ok(Piece::Literal(&self.sql[at..at + 1])))
            }
            Some(b'(') => {
                let Some(close) = bytes[at + 2..].iter().position(|&b| b == b')') else {
                    return self.fail(format!("unterminated %( placeholder at byte {at}: expected %(name)s"));
                };
                let name = &self.sql[at + 2..at + 2 + close];
                let after = at + 2 + close + 1;
                if bytes.get(after) != Some(&b's') {
                    return self
                        .fail(format!("invalid placeholder %({name}) at byte {at}: only %(name)s is supported"));
                }
                if name.is_empty() {
                    return self.fail(format!("empty parameter name in %()s at byte {at}"));
                }
                self.pos = after + 1;
                Some(Ok(Piece::Named(name)))
            }
            None => self.fail(format!("lone % at the end of the query (byte {at}); write %% for a literal %")),
            Some(_) => {
                let c = self.sql[at + 1..].chars().next().unwrap_or('?');
                self.fail(format!(
                    "invalid placeholder %{c} at byte {at}: only %s, %(name)s and %% \
                     (a literal %) are allowed"
                ))
            }
        }
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
