//! Tests for `format.rs`: placeholder syntax, arity messages and charset refusal.

use super::*;
use crate::params;
use std::collections::HashMap;

fn fmt<P: Params + ?Sized>(sql: &str, params: &P) -> Result<String> {
    fmt_in(sql, params, &FormatContext::default())
}

fn fmt_in<P: Params + ?Sized>(sql: &str, params: &P, ctx: &FormatContext) -> Result<String> {
    let mut out = b"prefix:".to_vec();
    let result = format_query(sql, params, ctx, &mut out);
    let text = String::from_utf8(out).unwrap();
    let body = text.strip_prefix("prefix:").expect("the prefix is kept").to_owned();
    match result {
        Ok(()) => Ok(body),
        Err(e) => {
            assert_eq!(body, "", "output is rolled back on error");
            Err(e)
        }
    }
}

fn err_msg<P: Params + ?Sized>(sql: &str, params: &P) -> String {
    fmt(sql, params).unwrap_err().to_string()
}

#[test]
fn positional() {
    assert_eq!(fmt("SELECT %s, %s", &(1, "it's")).unwrap(), r"SELECT 1, 'it\'s'");
    assert_eq!(fmt("%s", &(None::<i32>,)).unwrap(), "NULL");
    assert_eq!(fmt("x IN %s", &(vec![1, 2, 3],)).unwrap(), "x IN (1,2,3)");
    assert_eq!(fmt("%s%s", &[1, 2]).unwrap(), "12");
}

#[test]
fn named() {
    let sql = "UPDATE t SET a = %(a)s WHERE id = %(id)s OR parent = %(id)s";
    let p = params! {"id" => 7, "a" => "x"};
    assert_eq!(fmt(sql, &p).unwrap(), "UPDATE t SET a = 'x' WHERE id = 7 OR parent = 7");
    let mut m = HashMap::new();
    m.insert("a".to_string(), 1);
    m.insert("id".to_string(), 2);
    assert_eq!(fmt(sql, &m).unwrap(), "UPDATE t SET a = 1 WHERE id = 2 OR parent = 2");
}

#[test]
fn percent_percent_is_a_literal_percent() {
    assert_eq!(fmt("SELECT '100%%', %s", &(1,)).unwrap(), "SELECT '100%', 1");
    assert_eq!(fmt("%%s", &[0u16; 0]).unwrap(), "%s");
    assert_eq!(fmt("a%%%%b %s", &(2,)).unwrap(), "a%%b 2");
}

#[test]
fn unit_params_mean_verbatim_sql() {
    assert_eq!(fmt("SELECT '100%'", &()).unwrap(), "SELECT '100%'");
    assert_eq!(fmt("SELECT '%%', '%s', %(x)s, %d", &()).unwrap(), "SELECT '%%', '%s', %(x)s, %d");
    assert_eq!(fmt("SELECT '100%'", &params![]).unwrap(), "SELECT '100%'");
    // An empty sequence is a parameter set: it is formatted, so `%%` becomes `%`.
    assert_eq!(fmt("SELECT '100%%'", &Vec::<i32>::new()).unwrap(), "SELECT '100%'");
}

#[test]
fn arity_errors_name_the_placeholder() {
    assert_eq!(err_msg("%s, %s, %s", &(1, 2)), "not enough parameters for %s placeholder #3 (2 given)");
    assert_eq!(err_msg("%s, %s", &(1, 2, 3)), "too many parameters: 3 given, query has 2 placeholders");
    assert_eq!(err_msg("SELECT 1", &(1,)), "too many parameters: 1 given, query has 0 placeholders");
    assert_eq!(err_msg("%(id)s", &params! {"x" => 1}), "missing named parameter `id` for %(id)s");
    assert_eq!(err_msg("%(id)s", &params! {"id" => 1, "x" => 2}), "named parameter `x` is not used by the query");
    assert_eq!(err_msg("%(id)s", &params! {"id" => 1, "id" => 2}), "named parameter `id` is given more than once");
    assert_eq!(err_msg("%s", &params! {"id" => 1}), "query uses %s placeholders but named parameters were given");
    assert_eq!(err_msg("%(id)s", &(1,)), "query uses %(id)s but positional parameters were given");
    for e in [fmt("%s, %s, %s", &(1, 2)).unwrap_err(), fmt("%(id)s", &(1,)).unwrap_err()] {
        assert!(matches!(e, Error::Interface(_)), "{e:?}");
    }
}

#[test]
fn syntax_errors() {
    let cases = [
        ("SELECT 5 % 2", "invalid placeholder %  at byte 9: only %s, %(name)s and %% (a literal %) are allowed; or use ? placeholders, with which % is literal"),
        ("SELECT %d", "invalid placeholder %d at byte 7: only %s, %(name)s and %% (a literal %) are allowed; or use ? placeholders, with which % is literal"),
        ("SELECT %é", "invalid placeholder %é at byte 7: only %s, %(name)s and %% (a literal %) are allowed; or use ? placeholders, with which % is literal"),
        ("SELECT 100%", "lone % at the end of the query (byte 10); write %% for a literal %"),
        ("SELECT %(id", "unterminated %( placeholder at byte 7: expected %(name)s"),
        ("SELECT %(id)d", "invalid placeholder %(id) at byte 7: only %(name)s is supported"),
        ("SELECT %(id)", "invalid placeholder %(id) at byte 7: only %(name)s is supported"),
        ("SELECT %()s", "empty parameter name in %()s at byte 7"),
        ("%s %(a)s", "query mixes %s and %(name)s placeholders"),
        ("%(a)s %s", "query mixes %s and %(name)s placeholders"),
    ];
    for (sql, msg) in cases {
        let parsed = SqlTemplate::parse(sql).unwrap_err();
        assert!(matches!(parsed, Error::Programming(_)), "{sql}: {parsed:?}");
        assert_eq!(parsed.to_string(), msg, "{sql}");
        // Formatting reports the same syntax error, whichever params kind is given (the
        // mixing cases first trip over the params kind, tested above).
        if !msg.contains("mixes") {
            assert_eq!(fmt(sql, &(1, 2)).unwrap_err().to_string(), msg, "{sql}");
            assert_eq!(fmt(sql, &params! {"a" => 1}).unwrap_err().to_string(), msg, "{sql}");
        }
    }
    let mixed = fmt("%(a)s %s", &params! {"a" => 1}).unwrap_err();
    assert!(matches!(mixed, Error::Programming(_)));
    assert_eq!(mixed.to_string(), "query mixes %s and %(name)s placeholders");
    assert_eq!(err_msg("%s %(a)s", &(1,)), "query mixes %s and %(name)s placeholders");
}

#[test]
fn template_parse_and_format() {
    let t = SqlTemplate::parse("INSERT INTO t VALUES (%s, %s) -- 100%%").unwrap();
    assert_eq!(
        t.pieces(),
        &[
            Piece::Literal("INSERT INTO t VALUES ("),
            Piece::Positional,
            Piece::Literal(", "),
            Piece::Positional,
            Piece::Literal(") -- 100"),
            Piece::Literal("%"),
        ]
    );
    assert_eq!((t.placeholder_count(), t.is_named()), (2, false));
    let ctx = FormatContext::default();
    let mut out = Vec::new();
    for row in [(1, "a"), (2, "b'")] {
        t.format_into(&row, &ctx, &mut out).unwrap();
        out.push(b';');
    }
    assert_eq!(out, br"INSERT INTO t VALUES (1, 'a') -- 100%;INSERT INTO t VALUES (2, 'b\'') -- 100%;");
    out.clear();
    t.format_into(&(), &ctx, &mut out).unwrap();
    assert_eq!(out, b"INSERT INTO t VALUES (%s, %s) -- 100%%");
    out.clear();
    let e = t.format_into(&(1,), &ctx, &mut out).unwrap_err();
    assert_eq!(e.to_string(), "not enough parameters for %s placeholder #2 (1 given)");
    assert!(out.is_empty());
}

#[test]
fn template_from_static_parts() {
    static PIECES: &[Piece<'static>] = &[Piece::Literal("SELECT * FROM u WHERE id = "), Piece::Named("id")];
    const T: SqlTemplate<'static> = SqlTemplate::from_parts("SELECT * FROM u WHERE id = %(id)s", PIECES);
    assert!(T.is_named());
    assert_eq!(T.sql(), "SELECT * FROM u WHERE id = %(id)s");
    let mut out = Vec::new();
    T.format_into(&params! {"id" => 3}, &FormatContext::default(), &mut out).unwrap();
    assert_eq!(out, b"SELECT * FROM u WHERE id = 3");
    let mixed = SqlTemplate::from_parts("", &[Piece::Positional, Piece::Named("a")]);
    let e = mixed.format_into(&(1,), &FormatContext::default(), &mut out).unwrap_err();
    assert_eq!(e.to_string(), "query mixes %s and %(name)s placeholders");
}

#[test]
fn no_backslash_escapes_mode() {
    let nbe = FormatContext::new(true, "utf8mb4");
    assert_eq!(fmt_in("%s, %s", &("foo'bar", vec!["a\\b", "c'"]), &nbe).unwrap(), r"'foo''bar', ('a\b','c''')");
    assert_eq!(fmt_in("%s", &(b"'\\".to_vec(),), &nbe).unwrap(), r"_binary'''\'");
    assert!(nbe.no_backslash_escapes());
}

#[test]
fn encode_errors_name_the_parameter() {
    assert_eq!(
        err_msg("%s, %s", &(1, f64::NAN)),
        "encode error: parameter #2: NaN cannot be sent to MySQL: it has no NaN or infinity values"
    );
    let e = err_msg("%(ids)s", &params! {"ids" => Vec::<i32>::new()});
    assert!(e.starts_with("encode error: parameter `ids`: cannot format an empty sequence"), "{e}");
}

#[test]
fn charsets() {
    for safe in ["utf8mb4", "UTF8MB4", "utf8mb3", "utf8", "latin1", "ascii", "binary", "cp1251", "utf8mb4_general_ci"] {
        assert!(FormatContext::is_charset_safe(safe), "{safe}");
        assert_eq!(fmt_in("%s", &("x",), &FormatContext::new(false, safe)).unwrap(), "'x'");
    }
    for unsafe_cs in ["gbk", "big5", "sjis", "cp932", "gb2312", "gbk_chinese_ci"] {
        let ctx = FormatContext::new(false, unsafe_cs);
        let e = fmt_in("SELECT %s", &(1,), &ctx).unwrap_err();
        assert!(matches!(e, Error::Interface(_)));
        let msg = e.to_string();
        assert!(msg.contains(&format!("charset `{unsafe_cs}`")) && msg.contains("unsafe"), "{msg}");
        // No params: nothing is escaped, so the query may be sent.
        assert_eq!(fmt_in("SELECT 1", &(), &ctx).unwrap(), "SELECT 1");
    }
    for unknown in ["utf16", "ujis", ""] {
        let e = fmt_in("%s", &(1,), &FormatContext::new(false, unknown)).unwrap_err().to_string();
        assert!(e.contains("not known to be safe"), "{e}");
    }
}

#[test]
fn qmark_positional() {
    assert_eq!(fmt("SELECT ?, ?", &(1, "it's")).unwrap(), r"SELECT 1, 'it\'s'");
    assert_eq!(fmt("SELECT ??", &(1, 2)).unwrap(), "SELECT 12");
    assert_eq!(fmt("x IN ?", &(vec![1, 2],)).unwrap(), "x IN (1,2)");
    // `%` is literal: no doubling, `%%` stays two.
    assert_eq!(
        fmt("SELECT ? LIKE '100%', 5 % 2, '%%', '%d'", &("a",)).unwrap(),
        "SELECT 'a' LIKE '100%', 5 % 2, '%%', '%d'"
    );
    // `?` (and `%s`) in literals, quoted identifiers and comments is text.
    assert_eq!(
        fmt("SELECT '?', `?`, \"%s\", ? -- ? %s\n/* ? */ /*! , ? */", &(1, 2)).unwrap(),
        "SELECT '?', `?`, \"%s\", 1 -- ? %s\n/* ? */ /*! , 2 */"
    );
    let t = SqlTemplate::parse("INSERT INTO t VALUES (?, ?) -- 100%").unwrap();
    assert_eq!(
        t.pieces(),
        &[
            Piece::Literal("INSERT INTO t VALUES ("),
            Piece::Positional,
            Piece::Literal(", "),
            Piece::Positional,
            Piece::Literal(") -- 100%")
        ]
    );
    assert!(t.is_qmark() && !t.is_named());
    let mut out = Vec::new();
    t.format_into(&(1, "b"), &FormatContext::default(), &mut out).unwrap();
    assert_eq!(out, b"INSERT INTO t VALUES (1, 'b') -- 100%");
}

#[test]
fn qmark_errors() {
    assert_eq!(err_msg("SELECT ?, ?", &(1,)), "not enough parameters for ? placeholder #2 (1 given)");
    assert_eq!(err_msg("SELECT ?", &(1, 2)), "too many parameters: 2 given, query has 1 placeholders");
    let e = fmt("SELECT ?", &params! {"a" => 1}).unwrap_err();
    assert!(matches!(e, Error::Interface(_)), "{e:?}");
    assert_eq!(e.to_string(), "query uses ? placeholders but named parameters were given");
    // `()` cannot fill a `?`: a clear error rather than SQL the server rejects.
    assert_eq!(
        fmt("SELECT ?", &params![]).unwrap_err().to_string(),
        "query has ? placeholders but no parameters were given"
    );
    let e = fmt("SELECT ?", &()).unwrap_err();
    assert!(matches!(e, Error::Interface(_)), "{e:?}");
    assert_eq!(e.to_string(), "query has ? placeholders but no parameters were given");
    let mut out = Vec::new();
    let t = SqlTemplate::parse("SELECT ?").unwrap();
    assert_eq!(t.format_into(&(), &FormatContext::default(), &mut out).unwrap_err().to_string(), e.to_string());
    // A `?` that is text is still fine with `()`.
    assert_eq!(fmt("SELECT '?' -- ?", &()).unwrap(), "SELECT '?' -- ?");
    // Mixing styles, whichever params are given.
    for sql in ["SELECT ?, %s", "SELECT %(a)s, ?"] {
        for e in [
            fmt(sql, &(1, 2)).unwrap_err(),
            fmt(sql, &params! {"a" => 1}).unwrap_err(),
            SqlTemplate::parse(sql).unwrap_err(),
        ] {
            assert!(matches!(e, Error::Programming(_)), "{e:?}");
            let msg = e.to_string();
            assert!(msg.starts_with("query mixes ? and %"), "{msg}");
        }
    }
    let e = fmt("SELECT 'O\\'Brien', ?", &(1,)).unwrap_err();
    assert!(e.to_string().contains("NO_BACKSLASH_ESCAPES"), "{e}");
}
