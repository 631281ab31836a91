//! The INSERT splitter against PyMySQL's `RE_INSERT_VALUES` cases, and the batcher's
//! statement boundaries.

use super::*;

fn split(sql: &str) -> Option<(String, String, String)> {
    InsertPlan::parse(sql).map(|p| (p.prefix, p.values.sql().to_string(), p.postfix))
}

fn parts(prefix: &str, values: &str, postfix: &str) -> Option<(String, String, String)> {
    Some((prefix.into(), values.into(), postfix.into()))
}

#[test]
fn pymysql_regex_cases() {
    assert_eq!(
        split("INSERT INTO TEST (ID, NAME) VALUES (%s, %s)"),
        parts("INSERT INTO TEST (ID, NAME) VALUES ", "(%s, %s)", "")
    );
    assert_eq!(
        split("INSERT INTO TEST (ID, NAME) VALUES (%(id_name)s, %(name)s)"),
        parts("INSERT INTO TEST (ID, NAME) VALUES ", "(%(id_name)s, %(name)s)", "")
    );
    assert_eq!(
        split("INSERT INTO TEST (ID, NAME) VALUES (%(id_name)s, %(name)s) ON duplicate update"),
        parts("INSERT INTO TEST (ID, NAME) VALUES ", "(%(id_name)s, %(name)s)", " ON duplicate update")
    );
    assert_eq!(
        split("INSERT INTO bloup(foo, bar)VALUES(%s, %s)"),
        parts("INSERT INTO bloup(foo, bar)VALUES", "(%s, %s)", "")
    );
    assert_eq!(split("replace into t value (%s)"), parts("replace into t value ", "(%s)", ""));
}

#[test]
fn percent_semicolon_whitespace_and_case() {
    assert_eq!(
        split("INSERT INTO percent_test (`A%%`, `B%%`) VALUES (%s, %s)"),
        parts("INSERT INTO percent_test (`A%`, `B%`) VALUES ", "(%s, %s)", "")
    );
    assert_eq!(split("  insert into t (a) values (%s);  "), parts("insert into t (a) values ", "(%s)", ""));
    assert_eq!(split("INSERT INTO t (a) VALUES (%s)\n    "), parts("INSERT INTO t (a) VALUES ", "(%s)", "\n    "));
    assert_eq!(split("INSERT INTO t (a) VALUES (%s) ;"), parts("INSERT INTO t (a) VALUES ", "(%s)", " "));
}

#[test]
fn alias_and_on_duplicate() {
    assert_eq!(
        split("INSERT INTO t (a, b) VALUES (%s, %s) AS new ON DUPLICATE KEY UPDATE b = new.b"),
        parts("INSERT INTO t (a, b) VALUES ", "(%s, %s)", " AS new ON DUPLICATE KEY UPDATE b = new.b")
    );
    assert_eq!(
        split("INSERT INTO t (a, b) VALUES (%s, %s) AS n(x, y) ON DUPLICATE KEY UPDATE b = y;"),
        parts("INSERT INTO t (a, b) VALUES ", "(%s, %s)", " AS n(x, y) ON DUPLICATE KEY UPDATE b = y")
    );
    assert_eq!(split("INSERT INTO t (a) VALUES (%s) AS new"), parts("INSERT INTO t (a) VALUES ", "(%s)", " AS new"));
    // The last VALUES is inside the ON DUPLICATE clause; the earlier one is the tuple.
    assert_eq!(
        split("INSERT INTO t (a) VALUES (%s) ON DUPLICATE KEY UPDATE a = VALUES(a)"),
        parts("INSERT INTO t (a) VALUES ", "(%s)", " ON DUPLICATE KEY UPDATE a = VALUES(a)")
    );
}

#[test]
fn statements_that_run_once_per_row() {
    for sql in [
        "UPDATE t SET a = %s WHERE id = %s",
        "SELECT * FROM t WHERE id = %s",
        "INSERT INTO t (a) VALUES (%s, 1)",
        "INSERT INTO t (a) VALUES (%s), (%s)",
        "INSERT INTO t (a) VALUES (%s) RETURNING id",
        "INSERT INTO t (a) SELECT %s",
        "INSERT INTO t (a) VALUES (%s) ON DUPLICATE KEY UPDATE a = %s",
        "INSERT INTO t%s (a) VALUES (%s)",
        "INSERTX INTO t (a) VALUES (%s)",
        "INSERT INTO t (a) MYVALUES (%s)",
        "INSERT INTO t (a) VALUES (%x)",
        "INSERT INTO t (a) VALUES (%()s)",
        "INSERT INTO t (a) VALUES (%s",
    ] {
        assert!(split(sql).is_none(), "{sql}");
    }
}

fn batches(sql: &str, rows: &[(i32, &str)], limit: usize) -> Vec<String> {
    let plan = InsertPlan::parse(sql).unwrap();
    let mut b = Batcher::new(&plan, limit);
    let mut it = rows.iter().peekable();
    let mut out = Vec::new();
    while !b.done(&mut it) {
        let mut buf = Vec::new();
        b.write_next(&mut it, &FormatContext::default(), &mut buf).unwrap();
        out.push(String::from_utf8(buf).unwrap());
    }
    out
}

#[test]
fn batches_split_at_the_limit_and_keep_every_row() {
    let sql = "INSERT INTO t (a, b) VALUES (%s, %s) ON DUPLICATE KEY UPDATE b = VALUES(b)";
    let rows = [(1, "x"), (2, "yy"), (3, "z")];
    let all = "INSERT INTO t (a, b) VALUES (1, 'x'),(2, 'yy'),(3, 'z') ON DUPLICATE KEY UPDATE b = VALUES(b)";
    assert_eq!(batches(sql, &rows, 10_000), [all]);
    // Exactly the length of the whole statement fits; one byte less does not.
    assert_eq!(batches(sql, &rows, all.len()), [all]);
    let split = batches(sql, &rows, all.len() - 1);
    assert_eq!(
        split,
        [
            "INSERT INTO t (a, b) VALUES (1, 'x'),(2, 'yy') ON DUPLICATE KEY UPDATE b = VALUES(b)",
            "INSERT INTO t (a, b) VALUES (3, 'z') ON DUPLICATE KEY UPDATE b = VALUES(b)",
        ]
    );
    // A limit below one row still sends every row, one per statement.
    assert_eq!(batches(sql, &rows, 1).len(), 3);
}

#[test]
fn qmark_inserts_are_batched_with_percent_kept_literal() {
    assert_eq!(split("INSERT INTO t (a, b) VALUES (?, ?)"), parts("INSERT INTO t (a, b) VALUES ", "(?, ?)", ""));
    assert_eq!(split("insert into t (a) values (?);"), parts("insert into t (a) values ", "(?)", ""));
    // In `?` style `%` is literal around the tuple too: no undoubling.
    assert_eq!(
        split("INSERT INTO `p%%` (a) VALUES (?) ON DUPLICATE KEY UPDATE a = a % 2"),
        parts("INSERT INTO `p%%` (a) VALUES ", "(?)", " ON DUPLICATE KEY UPDATE a = a % 2")
    );
    // A `?` in a literal or comment around the tuple is text.
    assert_eq!(
        split("INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = '?' -- ?"),
        parts("INSERT INTO t (a) VALUES ", "(?)", " ON DUPLICATE KEY UPDATE a = '?' -- ?")
    );
    let rows = [(1, "x%"), (2, "y")];
    assert_eq!(
        batches("INSERT INTO t (a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = '100%'", &rows, 10_000),
        ["INSERT INTO t (a, b) VALUES (1, 'x%'),(2, 'y') ON DUPLICATE KEY UPDATE b = '100%'"]
    );
    for sql in [
        "INSERT INTO t (a) VALUES (?, 1)",
        "INSERT INTO t (a) VALUES (?) ON DUPLICATE KEY UPDATE a = ?",
        "INSERT INTO t (a) VALUES (?, %s)",
        "INSERT INTO t (a) VALUES (%s) ON DUPLICATE KEY UPDATE a = ?",
        "INSERT INTO t (a) VALUES ('?')",
    ] {
        assert!(split(sql).is_none(), "{sql}");
    }
}
