//! `%s` / `%(name)s` / `?` formatting: the connection's escaping context, templates and
//! the formatter that writes chunks and literals into one query buffer.
//!
//! The placeholder grammar lives in the `amysql-placeholders` crate, shared with the
//! `query!` macros so both split a statement identically: PyMySQL's `%s` positional,
//! `%(name)s` named, `%%` a literal `%` (anything else after `%` is an error, because a
//! stray `%d` is almost always a porting mistake); or `?` positional, counted only in
//! SQL code (not in literals, quoted identifiers or comments), with `%` literal.

use std::borrow::Cow;

use amysql_placeholders::{self as scan, Style};

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
    /// A `%s` or `?` placeholder.
    Positional,
    /// A `%(name)s` placeholder.
    Named(&'a str),
}

impl<'a> From<scan::Piece<'a>> for Piece<'a> {
    #[inline]
    fn from(p: scan::Piece<'a>) -> Self {
        match p {
            scan::Piece::Literal(t) => Piece::Literal(t),
            scan::Piece::Positional => Piece::Positional,
            scan::Piece::Named(n) => Piece::Named(n),
        }
    }
}

/// The scanner's pieces in this crate's types.
fn tokens(pieces: scan::Pieces<'_>) -> impl Iterator<Item = Result<Piece<'_>>> {
    pieces.map(|p| p.map(Piece::from).map_err(syntax_error))
}

#[cold]
fn syntax_error(e: scan::ScanError) -> Error {
    Error::Programming(e.into_message())
}

/// A query split into literal chunks and placeholders, so that formatting it many times
/// (executemany, or the output of the `query!` macros) never re-parses the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlTemplate<'a> {
    sql: &'a str,
    pieces: Cow<'a, [Piece<'a>]>,
    positional: usize,
    named: usize,
    style: Style,
}

impl<'a> SqlTemplate<'a> {
    /// Splits `sql`, reporting bad placeholder syntax (and a mix of styles) as
    /// `Error::Programming`. A statement with a `?` in SQL code (not in a literal or a
    /// comment) uses `?` placeholders, and `%` is literal in it; any other statement
    /// uses `%s` / `%(name)s`.
    pub fn parse(sql: &'a str) -> Result<SqlTemplate<'a>> {
        let style = scan::style(sql).map_err(syntax_error)?;
        Self::parse_as(sql, style)
    }

    /// Splits `sql` in a style decided on a larger statement (the row tuple of a
    /// batched INSERT).
    pub(crate) fn parse_as(sql: &'a str, style: Style) -> Result<SqlTemplate<'a>> {
        let mut pieces = Vec::new();
        let (mut positional, mut named) = (0, 0);
        for piece in tokens(scan::Pieces::new(sql, style)) {
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
        Ok(SqlTemplate { sql, pieces: Cow::Owned(pieces), positional, named, style })
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
        SqlTemplate { sql, pieces: Cow::Borrowed(pieces), positional, named, style: Style::Percent }
    }

    /// The original SQL text.
    pub fn sql(&self) -> &'a str {
        self.sql
    }

    /// The pieces in order.
    pub fn pieces(&self) -> &[Piece<'a>] {
        &self.pieces
    }

    /// Number of placeholders (`%s`, `?` or `%(name)s`, counting repeats).
    pub fn placeholder_count(&self) -> usize {
        self.positional + self.named
    }

    /// True when the placeholders are `%(name)s`.
    pub fn is_named(&self) -> bool {
        self.named > 0
    }

    /// True when the placeholders are `?`.
    pub fn is_qmark(&self) -> bool {
        self.style == Style::Qmark
    }

    /// Appends the query with `params` substituted to `out`. With `()` the original SQL
    /// is appended verbatim, as PyMySQL does for `args=None` (an error if it has `?`
    /// placeholders). On error `out` is left as it was.
    pub fn format_into<P: Params + ?Sized>(&self, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
        if params.is_empty_params() {
            if self.style == Style::Qmark && self.positional > 0 {
                return Err(qmarks_without_params());
            }
            out.extend_from_slice(self.sql.as_bytes());
            return Ok(());
        }
        if self.positional > 0 && self.named > 0 {
            return Err(mixed_placeholders());
        }
        out.reserve(self.sql.len() + 8 * self.placeholder_count());
        format_pieces(self.pieces.iter().map(|p| Ok(*p)), self.style, params, ctx, out)
    }
}

/// Appends `sql` with `params` substituted to `out`, parsing the SQL in the same single
/// pass. With `()` nothing is parsed: the SQL is appended verbatim (so `SELECT '100%'`
/// works without doubling the `%`), as PyMySQL does for `args=None`; only a `?`
/// placeholder in it is an error, since no value can fill it. On error `out` is left as
/// it was.
pub fn format_query<P: Params + ?Sized>(sql: &str, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()> {
    if params.is_empty_params() {
        // `scan::style` returns at once for SQL without any `?`; its errors do not
        // matter here, since nothing is substituted.
        if matches!(scan::style(sql), Ok(Style::Qmark)) {
            return Err(qmarks_without_params());
        }
        out.extend_from_slice(sql.as_bytes());
        return Ok(());
    }
    let pieces = scan::pieces(sql).map_err(syntax_error)?;
    let style = pieces.style();
    out.reserve(sql.len() + 8 * params.positional_len().unwrap_or(params.named_len()));
    format_pieces(tokens(pieces), style, params, ctx, out)
}

#[cold]
fn qmarks_without_params() -> Error {
    Error::Interface("query has ? placeholders but no parameters were given".into())
}

fn format_pieces<'s, P, I>(pieces: I, style: Style, params: &P, ctx: &FormatContext, out: &mut Vec<u8>) -> Result<()>
where
    P: Params + ?Sized,
    I: Iterator<Item = Result<Piece<'s>>>,
{
    let start = out.len();
    let result = format_pieces_inner(pieces, style.positional_mark(), params, ctx, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// `mark` is how the positional placeholder is written (`%s` or `?`), for messages.
fn format_pieces_inner<'s, P, I>(
    pieces: I,
    mark: &str,
    params: &P,
    ctx: &FormatContext,
    out: &mut Vec<u8>,
) -> Result<()>
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
                    return Err(Error::Interface(format!(
                        "query uses {mark} placeholders but named parameters were given"
                    )));
                };
                if next_positional >= given {
                    return Err(Error::Interface(format!(
                        "not enough parameters for {mark} placeholder #{} ({given} given)",
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
    Error::Programming(scan::MIXED_PERCENT.into())
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

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
