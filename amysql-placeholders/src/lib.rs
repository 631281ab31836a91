//! The placeholder scanner shared by `amysql` (run time) and `amysql-macros` (compile
//! time), so that a query the macros accept is split exactly as `query(sql).bind(..)`
//! splits it, with the same error texts. Internal to amysql: no stability promise.
//!
//! Two styles, one per statement:
//! * **percent** (PyMySQL's): `%s` positional, `%(name)s` named, `%%` a literal `%`; any
//!   other `%` is an error (a stray `%d` is almost always a porting mistake). As in
//!   PyMySQL this grammar applies to the whole text, string literals included, so SQL
//!   ported from aiomysql keeps its meaning (`LIKE '100%%'`).
//! * **qmark** (sqlx's, mysql_async's, sea-query's): `?` positional. Only a `?` in SQL
//!   code counts: one inside a string literal, a quoted identifier or a comment does not,
//!   as the server's own parser does not count it. `%` is literal (no `%%` needed).
//!
//! A statement is in qmark style when it has a `?` in code. It may then not also have a
//! `%s` / `%(name)s` in code (`Err`: mixing styles), and the `?`s must be in the same
//! places whether or not the session has `NO_BACKSLASH_ESCAPES` (`Err` otherwise: a
//! string like `'a\'` ends in one mode and not in the other, so a value could land
//! inside a literal or a literal's text in code).
//!
//! Sans-IO, no dependencies, never panics on any input.

#![forbid(unsafe_code)]

mod bytes;
mod lexer;
mod percent;
#[cfg(test)]
mod tests;

use std::fmt;

/// Which placeholders a statement uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `%s` / `%(name)s`, `%%` for a literal `%` (also the style of SQL without `?`).
    Percent,
    /// `?`; `%` is literal.
    Qmark,
}

impl Style {
    /// How a positional placeholder is written in this style, for messages.
    pub fn positional_mark(self) -> &'static str {
        match self {
            Style::Percent => "%s",
            Style::Qmark => "?",
        }
    }
}

/// One piece of a split query, borrowing from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Piece<'a> {
    /// SQL text copied as is (in percent style a `%%` comes out as its own `%` piece).
    Literal(&'a str),
    /// `%s` or `?`.
    Positional,
    /// `%(name)s`.
    Named(&'a str),
}

/// Bad placeholder syntax: what is wrong and where (a byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError(String);

impl ScanError {
    /// The message, for the caller's own error type.
    pub fn into_message(self) -> String {
        self.0
    }
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

/// The message for a statement with both `%s` and `%(name)s`.
pub const MIXED_PERCENT: &str = "query mixes %s and %(name)s placeholders";

pub use bytes::contains_byte;

/// The style of `sql`, or why it has none (mixed styles, `?`s that depend on the mode).
#[inline]
pub fn style(sql: &str) -> Result<Style, ScanError> {
    let b = sql.as_bytes();
    // The common case costs one byte search: no `?` at all.
    if !contains_byte(b, b'?') {
        return Ok(Style::Percent);
    }
    style_with_questions(sql)
}

/// [`style`] of a statement holding a `?` somewhere.
#[inline(never)]
fn style_with_questions(sql: &str) -> Result<Style, ScanError> {
    let b = sql.as_bytes();
    let mut marks = CodeMarks::new(b, true);
    let (mut question, mut percent) = (None, None);
    for mark in marks.by_ref() {
        match mark {
            Mark::Question(at) => {
                question.get_or_insert(at);
            }
            Mark::Percent(at, end) => {
                percent.get_or_insert((at, end));
            }
        }
        if let (Some(q), Some((at, end))) = (question, percent) {
            return Err(ScanError(format!(
                "query mixes ? and {} placeholders (byte {q} and byte {at}); use one style",
                &sql[at..end]
            )));
        }
    }
    if marks.saw_backslash {
        // Rare: only when a string literal holds a backslash. Compare with the other mode.
        let other_has_question = CodeMarks::new(b, false).any(|m| matches!(m, Mark::Question(_)));
        let same = CodeMarks::new(b, true).eq(CodeMarks::new(b, false));
        if !same && (question.is_some() || other_has_question) {
            return Err(ScanError(
                "the ? placeholders of this query depend on NO_BACKSLASH_ESCAPES: a string literal \
                 with a backslash before a quote ends at that quote only when the mode is on; \
                 write the quote doubled ('it''s') or the backslash doubled ('a\\\\')"
                    .to_string(),
            ));
        }
    }
    Ok(if question.is_some() { Style::Qmark } else { Style::Percent })
}

/// Detects the style of `sql` and splits it.
#[inline]
pub fn pieces(sql: &str) -> Result<Pieces<'_>, ScanError> {
    Ok(Pieces::new(sql, style(sql)?))
}

/// The single-pass splitter: yields literal runs and placeholders in order. In percent
/// style a syntax error is yielded once, then the iterator ends.
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    sql: &'a str,
    pos: usize,
    style: Style,
}

impl<'a> Pieces<'a> {
    /// Splits `sql` in the given style (decided on the whole statement, as for the text
    /// around an INSERT's row tuple).
    #[inline]
    pub fn new(sql: &'a str, style: Style) -> Pieces<'a> {
        Pieces { sql, pos: 0, style }
    }

    /// The style being split.
    pub fn style(&self) -> Style {
        self.style
    }

    fn next_qmark(&mut self) -> Option<Piece<'a>> {
        let b = self.sql.as_bytes();
        let start = self.pos;
        // `pos` is always at code level: the start, a code `?`, or just past one.
        match b.get(start)? {
            b'?' => {
                self.pos = start + 1;
                Some(Piece::Positional)
            }
            _ => {
                let mut marks = CodeMarks::new(b, true);
                marks.i = start;
                let end = marks.find_map(|m| if let Mark::Question(at) = m { Some(at) } else { None });
                let end = end.unwrap_or(b.len());
                self.pos = end;
                Some(Piece::Literal(&self.sql[start..end]))
            }
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Result<Piece<'a>, ScanError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.style {
            Style::Percent => percent::next(self.sql, &mut self.pos),
            Style::Qmark => self.next_qmark().map(Ok),
        }
    }
}

/// A placeholder-like mark in SQL code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// A `?` at this offset.
    Question(usize),
    /// A well-formed `%s` or `%(name)s` from `.0` to `.1` (`%%` and other `%` uses are
    /// plain text in qmark style, e.g. the modulo operator).
    Percent(usize, usize),
}

/// The code-level marks of a statement under one backslash mode.
struct CodeMarks<'a> {
    b: &'a [u8],
    i: usize,
    backslash: bool,
    saw_backslash: bool,
}

impl<'a> CodeMarks<'a> {
    fn new(b: &'a [u8], backslash: bool) -> Self {
        CodeMarks { b, i: 0, backslash, saw_backslash: false }
    }
}

impl Iterator for CodeMarks<'_> {
    type Item = Mark;

    fn next(&mut self) -> Option<Mark> {
        loop {
            let at = lexer::next_mark(self.b, self.i, self.backslash, &mut self.saw_backslash)?;
            self.i = at + 1;
            if self.b[at] == b'?' {
                return Some(Mark::Question(at));
            }
            match percent::placeholder_end(self.b, at) {
                Some(end) => {
                    self.i = end;
                    return Some(Mark::Percent(at, end));
                }
                // `%%` is one unit, so `%%s` is not a `%s`.
                None if self.b.get(at + 1) == Some(&b'%') => self.i = at + 2,
                None => {}
            }
        }
    }
}
