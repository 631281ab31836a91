//! A hostile or broken server, scripted byte by byte: packets out of order, bytes after
//! the end of a response, lengths and column counts meant to exhaust memory, rows that
//! arrive slowly. Each case gets a clear `Err` (or, for slow rows, the right answer) and
//! never a hang; each would have been `Ok`, a hang or a timeout before the checks.

use std::time::Duration;

use amysql::{ConnectOptions, Connection};
use amysql_tests::fake_server::scripted::{
    err, ok, packet_ranges, status, text_result, text_row, ty, Packets, Script, ScriptedServer,
};

/// Bounds for "did not hang": generous, never a measurement.
const HANG: Duration = Duration::from_secs(10);

fn quick(server: &ScriptedServer) -> ConnectOptions {
    server.options().connect_timeout(Duration::from_secs(5))
}

async fn connect(script: Script) -> (ScriptedServer, Connection) {
    let server = ScriptedServer::start(script.keep_open()).await;
    let conn = amysql::connect(quick(&server)).await.expect("connect to the scripted server");
    (server, conn)
}

fn rows(n: usize) -> Vec<Vec<Option<Vec<u8>>>> {
    (1..=n).map(|i| vec![Some(i.to_string().into_bytes())]).collect()
}

/// A 50-row text result with `edit` applied to the bytes of physical packet `index`.
fn fifty_with(index: usize, edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let owned = rows(50);
    let cells: Vec<Vec<Option<&[u8]>>> = owned.iter().map(|r| r.iter().map(|c| c.as_deref()).collect()).collect();
    let mut raw = text_result(&[("n", ty::LONGLONG)], &cells, true);
    let ranges = packet_ranges(&raw);
    edit(&mut raw[ranges[index].clone()]);
    raw
}

async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, f).await.expect("the client hung")
}

#[tokio::test]
async fn a_sequence_id_out_of_order_is_a_protocol_error() {
    // Row 10 (packet 11: count, definition, rows) carries id 77.
    let (_s, mut c) = connect(Script::mariadb().then(fifty_with(11, |p| p[3] = 77))).await;
    let e = bounded(c.query_text("SELECT n FROM t")).await.unwrap_err();
    assert!(e.is_connection_error(), "{e}");
    assert!(e.to_string().contains("expected sequence id 12, the server sent 77"), "{e}");
    assert!(c.is_broken());
    assert!(bounded(c.query_text("SELECT 1")).await.is_err());
}

#[tokio::test]
async fn a_row_that_looks_like_the_end_cannot_shorten_a_result() {
    // A well-formed end-of-result packet after row 9, then rows 10..50 and another end,
    // all numbered in order (what one misread packet looks like to the client): the
    // result "ends" with 9 rows while 41 more packets wait in the buffer. A protocol
    // error, not 9 rows.
    let mut p = Packets::new(1).header(1, true).columns(&[("n", ty::LONGLONG)]);
    for i in 1..=50 {
        if i == 10 {
            p = p.end(status::AUTOCOMMIT);
        }
        p = p.packet(&text_row(&[Some(i.to_string().as_bytes())]));
    }
    let answer = p.end(status::AUTOCOMMIT).into_bytes();
    let (_s, mut c) = connect(Script::mariadb().then(answer)).await;
    let e = bounded(c.query_text("SELECT n FROM t")).await.unwrap_err();
    assert!(e.to_string().contains("after the end of the server's response"), "{e}");
    assert!(c.is_broken());
}

#[tokio::test]
async fn bytes_after_an_ok_are_an_error() {
    let mut answer = ok(1, 1, status::AUTOCOMMIT);
    answer.extend(ok(2, 0, status::AUTOCOMMIT));
    let (_s, mut c) = connect(Script::mariadb().then(answer)).await;
    let e = bounded(c.query_drop("DELETE FROM t")).await.unwrap_err();
    assert!(e.to_string().contains("after the end of the server's response"), "{e}");
    assert!(c.is_broken());
}

#[tokio::test]
async fn an_error_packet_followed_by_more_is_an_error() {
    let mut answer = err(1, 1146, "42S02", "Table 'test.t' doesn't exist");
    answer.extend(ok(2, 0, status::AUTOCOMMIT));
    let (_s, mut c) = connect(Script::mariadb().then(answer)).await;
    let e = bounded(c.query_drop("SELECT * FROM t")).await.unwrap_err();
    assert!(e.is_connection_error(), "{e}");
    assert!(c.is_broken(), "{e}");
}

#[tokio::test]
async fn a_wrong_id_is_noticed_before_the_announced_payload_arrives() {
    // A header announcing 1 MiB with the wrong id, then silence.
    let (_s, mut c) = connect(Script::mariadb().then(b"\x00\x00\x10\x09".to_vec())).await;
    let e = bounded(c.query_text("SELECT 1")).await.unwrap_err();
    assert!(e.to_string().contains("expected sequence id 1, the server sent 9"), "{e}");
}

#[tokio::test]
async fn an_incoming_packet_over_the_limit_is_refused_before_it_is_buffered() {
    // An "endless" continuation: 16 MiB chunks, each announcing more. With a 20 MiB
    // limit the second header is refused; its payload is never sent.
    let mut answer = b"\xff\xff\xff\x01".to_vec();
    answer.extend(std::iter::repeat_n(0u8, (1 << 24) - 1));
    answer.extend_from_slice(b"\xff\xff\xff\x02");
    let server = ScriptedServer::start(Script::mariadb().then(answer).keep_open()).await;
    let mut c = amysql::connect(quick(&server).max_incoming_packet(20 << 20)).await.unwrap();
    let e = bounded(c.query_text("SELECT 1")).await.unwrap_err();
    assert!(e.to_string().contains("max_incoming_packet"), "{e}");
    assert!(c.is_broken());
    // A header alone announcing more than the limit is refused at once.
    let server = ScriptedServer::start(Script::mariadb().then(b"\xff\xff\xff\x01".to_vec()).keep_open()).await;
    let mut c = amysql::connect(quick(&server).max_incoming_packet(1 << 20)).await.unwrap();
    let e = bounded(c.query_text("SELECT 1")).await.unwrap_err();
    assert!(e.to_string().contains("max_incoming_packet"), "{e}");
}

#[tokio::test]
async fn a_column_count_over_the_bound_is_refused_before_definitions() {
    // 2^32 columns announced; definitions would follow forever.
    let header = Packets::new(1).packet(b"\xfe\x00\x00\x00\x00\x01\x00\x00\x00").into_bytes();
    let (_s, mut c) = connect(Script::mariadb().then(header)).await;
    let e = bounded(c.query_text("SELECT 1")).await.unwrap_err();
    assert!(e.to_string().contains("4294967296 columns"), "{e}");
    assert!(c.is_broken());
}

#[tokio::test]
async fn read_timeout_bounds_each_wait_not_the_whole_row() {
    // A 1 MiB row arriving steadily, 16 KiB every 25 ms (~1.6 s in all), read with a
    // 1 s read_timeout: every wait is short, so it must arrive whole.
    let big = vec![b'r'; 1 << 20];
    let answer = text_result(&[("b", ty::BLOB)], &[vec![Some(&big[..])]], true);
    let server = ScriptedServer::start(
        Script::mariadb().then_slowly(answer, 16 * 1024, Duration::from_millis(25)).then(ok(0, 0, 2)).keep_open(),
    )
    .await;
    let mut c = amysql::connect(quick(&server).read_timeout(Duration::from_secs(1))).await.unwrap();
    let rows = bounded(c.query_text("SELECT b FROM t")).await.unwrap();
    assert_eq!(rows[0][0].as_ref().map(String::len), Some(1 << 20));
    assert!(!c.is_broken());
    // A server that stops sending still times out (and breaks the connection).
    let server = ScriptedServer::start(Script::mariadb().then_stall()).await;
    let mut c = amysql::connect(quick(&server).read_timeout(Duration::from_millis(300))).await.unwrap();
    let e = bounded(c.query_text("SELECT 1")).await.unwrap_err();
    assert!(matches!(e, amysql::Error::Timeout { .. }), "{e}");
    assert!(c.is_broken());
}
