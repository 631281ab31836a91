//! The shared corpus: each statement with its style and pieces, or its error.

use super::Piece::{Literal as L, Named as N, Positional as P};
use super::*;

fn split(sql: &str) -> Result<(Style, Vec<Piece<'_>>), String> {
    let pieces = pieces(sql).map_err(ScanError::into_message)?;
    let style = pieces.style();
    let pieces = pieces.collect::<Result<Vec<_>, _>>().map_err(ScanError::into_message)?;
    Ok((style, pieces))
}

fn qmark(sql: &str) -> Vec<Piece<'_>> {
    match split(sql) {
        Ok((Style::Qmark, p)) => p,
        other => panic!("{sql:?}: {other:?}"),
    }
}

fn percent(sql: &str) -> Vec<Piece<'_>> {
    match split(sql) {
        Ok((Style::Percent, p)) => p,
        other => panic!("{sql:?}: {other:?}"),
    }
}

#[test]
fn qmark_style() {
    assert_eq!(qmark("SELECT ?, ?"), [L("SELECT "), P, L(", "), P]);
    assert_eq!(qmark("?"), [P]);
    assert_eq!(qmark("SELECT ?"), [L("SELECT "), P], "? at the end");
    // `??` is two placeholders, as the server counts it.
    assert_eq!(qmark("SELECT ??"), [L("SELECT "), P, P]);
    // `%` is literal: no doubling, `%%` stays two, `%d` and modulo are fine.
    assert_eq!(
        qmark("SELECT ? LIKE '100%', 5 % 2, '%%', DATE_FORMAT(d, '%Y')"),
        [L("SELECT "), P, L(" LIKE '100%', 5 % 2, '%%', DATE_FORMAT(d, '%Y')")]
    );
    // `%s` and `%(name)s` in literals and comments are text, so they do not mix.
    assert_eq!(
        qmark("SELECT '%s', \"%(a)s\", `%s`, ? -- %s\n# %(a)s\n/* %s */"),
        [L("SELECT '%s', \"%(a)s\", `%s`, "), P, L(" -- %s\n# %(a)s\n/* %s */")]
    );
    assert_eq!(qmark("SELECT a %%s, ?"), [L("SELECT a %%s, "), P], "%%s is not a %s");
}

#[test]
fn qmarks_in_literals_and_comments_are_text() {
    let sql = "SELECT '?', 'it''s ?', 'a\\\\?', \"?\", `?`, ? -- ?\n, ? # ?\n/* ? */ /*+ ? */ /*! ? */ /*M!100000 ? */";
    let pieces = qmark(sql);
    assert_eq!(pieces.iter().filter(|p| **p == P).count(), 4, "{pieces:?}");
    assert_eq!(pieces[0], L("SELECT '?', 'it''s ?', 'a\\\\?', \"?\", `?`, "));
    // The pieces put together give the statement back, `?` for each placeholder.
    let joined: String = pieces.iter().map(|p| if let L(t) = p { *t } else { "?" }).collect();
    assert_eq!(joined, sql);
    // Without a `?` in code the statement is in percent style, whatever its literals hold.
    assert_eq!(percent("SELECT '?', %s -- ?"), [L("SELECT '?', "), P, L(" -- ?")]);
    assert_eq!(percent("SELECT `a?`"), [L("SELECT `a?`")]);
    assert_eq!(percent("/* ? */ SELECT 1"), [L("/* ? */ SELECT 1")]);
}

#[test]
fn percent_style_is_pymysqls() {
    assert_eq!(percent("a %s b %(id)s"), [L("a "), P, L(" b "), N("id")]);
    assert_eq!(percent("LIKE '100%%' AND '%s'"), [L("LIKE '100"), L("%"), L("' AND '"), P, L("'")]);
    assert_eq!(percent(""), []);
    assert_eq!(percent("é %s ü"), [L("é "), P, L(" ü")]);
    let errors = [
        ("SELECT 5 % 2", "invalid placeholder %  at byte 9: "),
        ("SELECT %d", "invalid placeholder %d at byte 7: "),
        ("%é", "invalid placeholder %é at byte 0: "),
        ("SELECT 100%", "lone % at the end of the query (byte 10); write %% for a literal %"),
        ("SELECT %(id", "unterminated %( placeholder at byte 7: expected %(name)s"),
        ("SELECT %(id)d", "invalid placeholder %(id) at byte 7: only %(name)s is supported"),
        ("SELECT %()s", "empty parameter name in %()s at byte 7"),
    ];
    for (sql, msg) in errors {
        let e = split(sql).unwrap_err();
        assert!(e.starts_with(msg), "{sql}: {e}");
    }
    assert!(split("%d").unwrap_err().ends_with("or use ? placeholders, with which % is literal"));
}

#[test]
fn mixing_styles_is_an_error_naming_both() {
    let cases = [
        ("SELECT ?, %s", "query mixes ? and %s placeholders (byte 7 and byte 10); use one style"),
        ("SELECT %s, ?", "query mixes ? and %s placeholders (byte 11 and byte 7); use one style"),
        ("SELECT ?, %(id)s", "query mixes ? and %(id)s placeholders (byte 7 and byte 10); use one style"),
        ("/*! %s */ ?", "query mixes ? and %s placeholders (byte 10 and byte 4); use one style"),
    ];
    for (sql, msg) in cases {
        assert_eq!(split(sql).unwrap_err(), msg, "{sql}");
    }
}

#[test]
fn placeholders_that_depend_on_no_backslash_escapes_are_an_error() {
    // With backslash escapes the first literal runs to the last quote; without them it
    // ends at `\'` and the `?` is code.
    for sql in ["SELECT 'O\\'Brien', ?", "SELECT 'a\\' , ? , '", "SELECT 'a\\' , '?'", "SELECT \"a\\\" , ? , \""] {
        let e = split(sql).unwrap_err();
        assert!(e.contains("depend on NO_BACKSLASH_ESCAPES"), "{sql}: {e}");
    }
    // Backslashes that read the same in both modes are fine.
    assert_eq!(qmark("SELECT 'a\\\\', ?, 'b\\n'"), [L("SELECT 'a\\\\', "), P, L(", 'b\\n'")]);
    // And a statement without `?` in either mode is percent style, backslashes or not.
    assert_eq!(percent("SELECT 'a\\' , %s"), [L("SELECT 'a\\' , "), P]);
}

#[test]
fn never_panics() {
    // Every prefix of a statement full of edge cases, cut at every char boundary.
    let sql = "SELECT 'é\\'?', `?``?`, \"?\"\"\", ? -- ?\n# ?\r\n/*! ? */ /* ? %(a)s %s %% %";
    for (i, _) in sql.char_indices() {
        let _ = split(&sql[..i]);
        for style in [Style::Percent, Style::Qmark] {
            let _ = Pieces::new(&sql[..i], style).count();
        }
    }
}
