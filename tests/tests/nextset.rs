//! Multiple result sets, ported from PyMySQL's and aiomysql's `test_nextset.py`.

use amysql::{Connection, ErrorKind};
use amysql_tests::*;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

#[tokio::test]
async fn nextset_walks_the_result_sets() {
    let opts: amysql::ConnectOptions = server().url().parse().unwrap();
    // init_command with two result sets must not disturb later queries.
    let mut c = amysql::connect(opts.init_command("SELECT \"bar\"; SELECT \"baz\"")).await.unwrap();
    let mut cur = c.cursor();
    cur.execute("SELECT 1; SELECT 2;", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(2,)]);
    assert!(!cur.nextset().await.unwrap());
    assert!(!cur.nextset().await.unwrap());
}

#[tokio::test]
async fn execute_skips_unread_result_sets() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("SELECT 1; SELECT 2;", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    cur.execute("SELECT 42", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(42,)]);
}

#[tokio::test]
async fn error_in_a_later_statement_is_raised_at_nextset() {
    let mut c = conn().await;
    for ss in [false, true] {
        for i in 0..3i64 {
            let (first, err, rest) = if ss {
                let mut cur = c.ss_cursor();
                cur.execute("SELECT %s; xyzzy;", (i,)).await.unwrap();
                let first = cur.fetchall_as::<(i64,)>().await.unwrap();
                let err = cur.nextset().await.unwrap_err();
                (first, err, cur.fetchall().await.unwrap().len())
            } else {
                let mut cur = c.cursor();
                cur.execute("SELECT %s; xyzzy;", (i,)).await.unwrap();
                let first = cur.fetchall_as::<(i64,)>().await.unwrap();
                let err = cur.nextset().await.unwrap_err();
                (first, err, cur.fetchall().await.unwrap().len())
            };
            assert_eq!(first, [(i,)]);
            assert_eq!((err.kind(), err.code()), (ErrorKind::Programming, Some(1064)), "{err}");
            assert_eq!(rest, 0);
            assert!(c.is_clean(), "nothing is left pending after the error");
        }
    }
}

#[tokio::test]
async fn ok_packets_between_result_sets() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("SELECT 1; commit; SELECT 2;", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    assert!(cur.nextset().await.unwrap());
    assert!(cur.description().is_none());
    assert_eq!(cur.rowcount(), 0);
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(2,)]);
    assert!(!cur.nextset().await.unwrap());
}

#[tokio::test]
async fn multi_statement_warnings() {
    let mut c = conn().await;
    let mut cur = c.cursor();
    cur.execute("DROP TABLE IF EXISTS a_not_there; DROP TABLE IF EXISTS b_not_there;", ()).await.unwrap();
    assert_eq!(cur.warning_count(), 1);
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.warning_count(), 1);
    assert!(!cur.nextset().await.unwrap());
}

#[tokio::test]
async fn unbuffered_nextset_discards_unread_rows() {
    let mut c = conn().await;
    let mut cur = c.ss_cursor();
    cur.execute("SELECT seq FROM seq_1_to_1000; SELECT 'b'; SELECT 'c'", ()).await.unwrap();
    assert_eq!(cur.fetchone_as::<(i64,)>().await.unwrap(), Some((1,)));
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.fetchall_as::<(String,)>().await.unwrap(), [("b".to_string(),)]);
    assert!(cur.nextset().await.unwrap());
    assert!(!cur.nextset().await.unwrap());
}
