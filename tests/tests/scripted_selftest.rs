//! The scripted server against a real `amysql::Connection`: valid scripts give the rows
//! they describe, through the text, typed, prepared and cached-metadata paths. These
//! pin the builders down before the fuzz test and the hardening tests rely on them.

use std::time::Duration;

use amysql::{ConnectOptions, Error, Value};
use amysql_tests::fake_server::scripted::{
    binary_result, err, ok, prepare_ok, status, text_result, ty, Packets, Script, ScriptedServer,
};

/// The command byte of each packet the client sent after the handshake response.
fn commands(server: &ScriptedServer, conn: usize) -> Vec<u8> {
    server.received_packets()[conn].iter().skip(1).filter_map(|p| p.get(4).copied()).collect()
}

fn quick(server: &ScriptedServer) -> ConnectOptions {
    server.options().connect_timeout(Duration::from_secs(5)).read_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn text_rows_arrive_intact() {
    let rows = vec![vec![Some(&b"7"[..]), Some(b"seven")], vec![Some(b"-1"), None]];
    let script = Script::mariadb().then(text_result(&[("n", ty::LONGLONG), ("s", ty::VAR_STRING)], &rows, true));
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server)).await.unwrap();
    assert_eq!(conn.server_version(), "10.11.0-MariaDB-scripted");
    assert!(conn.is_mariadb());
    let got = conn.query_text("SELECT n, s FROM t").await.unwrap();
    assert_eq!(got, vec![vec![Some("7".into()), Some("seven".into())], vec![Some("-1".into()), None]]);
    assert!(conn.is_clean());
    // Handshake response, then COM_QUERY with the SQL.
    let sent = &server.received_packets()[0];
    assert_eq!(&sent[1][4..], b"\x03SELECT n, s FROM t");
    assert_eq!(sent[1][3], 0, "a command starts at sequence id 0");
}

#[tokio::test]
async fn typed_fetch_and_cursor_over_classic_eof() {
    let mut g = amysql_tests::fake_server::scripted::Greeting::mariadb();
    g.capabilities &= !(1 << 24); // no CLIENT_DEPRECATE_EOF: EOF packets everywhere
    let rows = vec![vec![Some(&b"1"[..]), Some(b"a")], vec![Some(b"2"), Some(b"b")]];
    let cols = [("id", ty::LONGLONG), ("name", ty::VAR_STRING)];
    let script =
        Script::with_greeting(&g).then(text_result(&cols, &rows, false)).then(text_result(&cols, &rows, false));
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server)).await.unwrap();
    let typed: Vec<(i64, String)> = amysql::query_as("SELECT id, name FROM t").fetch_all(&mut conn).await.unwrap();
    assert_eq!(typed, vec![(1, "a".to_string()), (2, "b".to_string())]);
    let mut cur = conn.cursor();
    cur.execute("SELECT id, name FROM t", ()).await.unwrap();
    let rows = cur.fetchall().await.unwrap();
    let values: Vec<Vec<Value>> = rows.iter().map(|r| r.values().to_vec()).collect();
    assert_eq!(values[1], vec![Value::Int(2), Value::Text("b".into())]);
}

#[tokio::test]
async fn prepared_statement_goes_through_prepare_and_execute() {
    let script = Script::mariadb().then(prepare_ok(1, &[("?", ty::LONGLONG)], 1, true)).then(binary_result(
        &[("?", ty::LONGLONG)],
        &[vec![Some(&1i64.to_le_bytes())]],
        true,
    ));
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server).stmt_cache_size(8)).await.unwrap();
    let rows = amysql::query("SELECT %s").bind(1i64).fetch_all(&mut conn).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<i64, _>(0).unwrap(), 1);
    // Not pipelined: COM_STMT_PREPARE is answered before COM_STMT_EXECUTE is sent.
    assert_eq!(commands(&server, 0), vec![0x16, 0x17]);
    assert_eq!(&server.received_packets()[0][1][5..], b"SELECT ?");
}

#[tokio::test]
async fn cached_metadata_is_reused_on_the_second_execute() {
    let cols = [("v", ty::LONGLONG)];
    let one = 5i64.to_le_bytes();
    let first = Packets::new(1).cache_metadata(true).binary_result(&cols, &[vec![Some(&one)]], status::AUTOCOMMIT);
    let two = 6i64.to_le_bytes();
    let script = Script::mariadb_extended()
        .then(prepare_ok(3, &cols, 1, true))
        .then(first.into_bytes())
        .then(amysql_tests::fake_server::scripted::binary_result_cached(&[ty::LONGLONG], &[vec![Some(&two)]], true));
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server).stmt_cache_size(8)).await.unwrap();
    let q = |n: i64| amysql::query_scalar::<i64>("SELECT v FROM t WHERE k = %s").bind(n);
    assert_eq!(q(1).fetch_all(&mut conn).await.unwrap(), vec![5]);
    assert_eq!(q(2).fetch_all(&mut conn).await.unwrap(), vec![6]);
    assert_eq!(commands(&server, 0), vec![0x16, 0x17, 0x17]);
}

#[tokio::test]
async fn ok_err_and_multi_results() {
    let multi = Packets::new(1)
        .text_result(&[("a", ty::LONGLONG)], &[vec![Some(b"1")]], status::AUTOCOMMIT | status::MORE_RESULTS_EXISTS)
        .text_result(&[("b", ty::VAR_STRING)], &[vec![Some(b"x")], vec![Some(b"y")]], status::AUTOCOMMIT)
        .into_bytes();
    let script = Script::mariadb()
        .then(ok(1, 3, status::AUTOCOMMIT))
        .then(err(1, 1146, "42S02", "Table 'test.nope' doesn't exist"))
        .then(multi);
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server).multi_statements(true)).await.unwrap();
    let r = conn.query_drop("UPDATE t SET a = 1").await.unwrap();
    assert_eq!(r.rows_affected, 3);
    let e = conn.query_drop("SELECT * FROM nope").await.unwrap_err();
    assert_eq!(e.code(), Some(1146));
    let mut cur = conn.cursor();
    cur.execute("SELECT 1; SELECT 'x' UNION SELECT 'y'", ()).await.unwrap();
    assert_eq!(cur.fetchall().await.unwrap().len(), 1);
    assert!(cur.nextset().await.unwrap());
    let rows = cur.fetchall().await.unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<String, _>(0).unwrap()).collect::<Vec<_>>(), ["x", "y"]);
    assert!(!cur.nextset().await.unwrap());
}

#[tokio::test]
async fn local_infile_request_is_refused_with_an_empty_upload() {
    let script = Script::mariadb().then(Packets::new(1).local_infile("/etc/passwd").into_bytes()).then(ok(3, 0, 2));
    let server = ScriptedServer::start(script).await;
    let mut conn = amysql::connect(quick(&server)).await.unwrap();
    let e = conn.query_drop("SELECT 1").await.unwrap_err();
    assert!(e.to_string().contains("LOCAL INFILE"), "{e}");
    // The refusal is an empty packet at sequence id 2.
    assert_eq!(server.received_packets()[0][2], b"\x00\x00\x00\x02");
}

#[tokio::test]
async fn auth_switch_and_mysql8_fast_auth() {
    let server = ScriptedServer::start(Script::mariadb().with_auth_switch().then(ok(1, 0, 2))).await;
    let mut conn = amysql::connect(quick(&server)).await.unwrap();
    conn.ping().await.unwrap();
    // The switch answer is a 20-byte native scramble at sequence id 3.
    let answer = &server.received_packets()[0][1];
    assert_eq!(&answer[..4], b"\x14\x00\x00\x03");

    let server = ScriptedServer::start(Script::mysql8().then(ok(1, 0, 2))).await;
    let mut conn = amysql::connect(quick(&server)).await.unwrap();
    assert_eq!(conn.server_version(), "8.0.36-scripted");
    conn.ping().await.unwrap();
}

#[tokio::test]
async fn stall_and_slow_answers() {
    let rows: Vec<Vec<Option<&[u8]>>> = (0..20).map(|_| vec![Some(&b"0123456789"[..])]).collect();
    let slow = text_result(&[("s", ty::VAR_STRING)], &rows, true);
    let script = Script::mariadb().then_slowly(slow, 16, Duration::from_millis(5)).then_stall();
    let server = ScriptedServer::start(script).await;
    let opts = server.options().read_timeout(Duration::from_millis(300));
    let mut conn = amysql::connect(opts).await.unwrap();
    assert_eq!(conn.query_text("SELECT s FROM t").await.unwrap().len(), 20);
    let started = std::time::Instant::now();
    let e = conn.query_text("SELECT s FROM t").await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(conn.is_broken());
}

#[tokio::test]
async fn queued_scripts_go_one_per_connection() {
    let server = ScriptedServer::start(Script::mariadb().then(ok(1, 1, 2))).await;
    server.push_script(Script::mariadb().then(ok(1, 2, 2)));
    for want in [2, 1] {
        let mut conn = amysql::connect(quick(&server)).await.unwrap();
        assert_eq!(conn.query_drop("DO 1").await.unwrap().rows_affected, want);
    }
    assert_eq!(server.connection_count(), 2);
}

#[tokio::test]
async fn corrupted_greeting_is_an_error() {
    let server = ScriptedServer::start(Script::mariadb().greeting_raw(b"\x05\x00\x00\x00\x09abc\x00".to_vec())).await;
    let e = amysql::connect(quick(&server)).await.unwrap_err();
    assert!(e.to_string().contains("protocol version"), "{e}");
}
