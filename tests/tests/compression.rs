//! The compressed protocol (`ConnectOptions::compression`): key scenarios of the suite
//! run again over zlib against the private MariaDB (text and binary results, 20 MiB
//! rows, LOAD DATA LOCAL INFILE, multiple result sets, TLS underneath), what it saves on
//! the wire, zstd against the scripted server (MariaDB has no zstd), and hostile
//! compressed input.

use std::time::Duration;

use amysql::{query_as, Compression, ConnectOptions, Connection, LocalInfile};
use amysql_tests::fake_server::scripted::compressed::{self as zc, CompressedServer};
use amysql_tests::fake_server::scripted::{ok, text_result, ty, Script};
use amysql_tests::*;

fn opts() -> ConnectOptions {
    let o: ConnectOptions = server().url().parse().unwrap();
    o.compression(Compression::Zlib).max_allowed_packet(64 << 20)
}

async fn zconn() -> Connection {
    amysql::connect(opts()).await.expect("connect with compression")
}

async fn status(c: &mut Connection, name: &str) -> String {
    let rows = c.query_text(&format!("SHOW SESSION STATUS LIKE '{name}'")).await.unwrap();
    rows[0][1].clone().unwrap()
}

#[tokio::test]
async fn zlib_is_negotiated_and_queries_work() {
    let mut c = zconn().await;
    assert_eq!(status(&mut c, "Compression").await, "ON");
    let rows = c.query_text("SELECT 1, 'a'").await.unwrap();
    assert_eq!(rows, vec![vec![Some("1".into()), Some("a".into())]]);
    // Over TLS when the server offers it (the default ssl-mode is preferred), and without.
    let tls = status(&mut c, "Ssl_cipher").await;
    let plain_opts = opts().ssl_mode(amysql::SslMode::Disabled);
    let mut p = amysql::connect(plain_opts).await.unwrap();
    assert_eq!(status(&mut p, "Compression").await, "ON");
    assert_eq!(status(&mut p, "Ssl_cipher").await, "");
    eprintln!("compressed connection over TLS cipher {tls:?}");
    // A URL asks for it too.
    let url = format!("{}{}compression=zlib&compression_level=1", server().url(), sep(&server().url()));
    let mut u = amysql::connect(url.as_str()).await.unwrap();
    assert_eq!(status(&mut u, "Compression").await, "ON");
}

fn sep(url: &str) -> &'static str {
    if url.contains('?') {
        "&"
    } else {
        "?"
    }
}

#[tokio::test]
async fn text_results_match_uncompressed() {
    let sql = "SELECT seq, REPEAT('x', seq % 300), seq * 1.5, NULL FROM seq_1_to_20000";
    let mut z = zconn().await;
    let mut p = amysql::connect(server().url().as_str()).await.unwrap();
    let a = z.query_text(sql).await.unwrap();
    let b = p.query_text(sql).await.unwrap();
    assert_eq!(a.len(), 20000);
    assert!(a == b);
    // Through a cursor, streamed (the in-place row path), and typed.
    let mut cur = z.ss_cursor();
    cur.execute(sql, ()).await.unwrap();
    let mut n = 0u64;
    while let Some(row) = cur.fetchone_as::<(u64, String, String, Option<String>)>().await.unwrap() {
        n += 1;
        assert_eq!(row.0, n);
        assert_eq!(row.1.len() as u64, n % 300);
    }
    assert_eq!(n, 20000);
    drop(cur);
    let rows: Vec<(i64, String)> =
        query_as("SELECT seq, REPEAT('y', seq % 50) FROM seq_1_to_5000").fetch_all(&mut z).await.unwrap();
    assert_eq!(rows.len(), 5000);
    assert_eq!(rows[4999], (5000, String::new()));
}

#[tokio::test]
async fn prepared_binary_results() {
    let mut z = amysql::connect(opts().stmt_cache_size(16)).await.unwrap();
    let before: u64 = status(&mut z, "Com_stmt_execute").await.parse().unwrap();
    for i in 0..3i64 {
        let rows: Vec<(i64, String, f64)> =
            query_as("SELECT seq + %s, REPEAT('p', MOD(seq, 100)), seq / 4 FROM seq_1_to_3000")
                .bind(i)
                .fetch_all(&mut z)
                .await
                .unwrap();
        assert_eq!(rows.len(), 3000);
        assert_eq!(rows[2999].0, 3000 + i);
        assert_eq!(rows[98].1, "p".repeat(99));
        assert_eq!(rows[1].2, 0.5);
    }
    let after: u64 = status(&mut z, "Com_stmt_execute").await.parse().unwrap();
    assert_eq!(after - before, 3);
}

#[tokio::test]
async fn twenty_mib_query_and_rows() {
    let mut c = zconn().await;
    // Compressible (one repeated byte) and incompressible-ish (random) large values.
    let big = "x".repeat(20 << 20);
    let rows = c.query_text(&format!("SELECT LENGTH('{big}'), 'tail'")).await.unwrap();
    assert_eq!(rows[0][0].as_deref(), Some((20u64 << 20).to_string().as_str()));
    let rows = c.query_text("SELECT REPEAT('ab', 10485760), 7").await.unwrap();
    let cell = rows[0][0].as_deref().unwrap();
    assert_eq!(cell.len(), 20 << 20);
    assert!(cell.starts_with("abab") && cell.ends_with("ab"));
    let rows = c.query_text("SELECT REPEAT('z', 16777211)").await.unwrap();
    assert_eq!(rows[0][0].as_ref().unwrap().len(), 16777211);
    // Hashes do not compress: ~19 MiB of them come back as stored pieces.
    c.query_drop("SET SESSION group_concat_max_len = 67108864").await.unwrap();
    let (n, h): (i64, Vec<u8>) = query_as(
        "SELECT LENGTH(h), h FROM (SELECT GROUP_CONCAT(UNHEX(SHA2(seq, 512)) ORDER BY seq SEPARATOR '') AS h \
         FROM seq_1_to_300000) t",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!((n, h.len()), (300_000 * 64, 300_000 * 64));
    assert_eq!(&h[..4], &[0x4d, 0xff, 0x4e, 0xa3][..]); // SHA-512("1") starts 4dff4ea3
    assert_eq!(c.query_text("SELECT 'still in step'").await.unwrap()[0][0].as_deref(), Some("still in step"));
}

#[tokio::test]
async fn load_data_local_infile() {
    // 25 MiB: ~400 chunks of 64 KiB, so the inner sequence ids wrap past 255.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    let lines = 1_000_000usize;
    let body: String = (0..lines).map(|i| format!("{i},{:016}\n", i * 7)).collect();
    assert!(body.len() > 20 << 20);
    std::fs::write(&path, &body).unwrap();
    let mut c = amysql::connect(opts().local_infile(LocalInfile::allow([dir.path()]))).await.unwrap();
    let t = unique_name("zload");
    c.query_drop(&format!("CREATE TABLE {t} (a INTEGER, b BIGINT)")).await.unwrap();
    let mut cur = c.cursor();
    let n = cur
        .execute(
            &format!("LOAD DATA LOCAL INFILE %s INTO TABLE {t} FIELDS TERMINATED BY ','"),
            (path.to_str().unwrap(),),
        )
        .await
        .unwrap();
    assert_eq!(n, lines as u64);
    cur.execute(&format!("SELECT COUNT(*), SUM(b) FROM {t}"), ()).await.unwrap();
    let sum = (0..lines as i64).map(|i| i * 7).sum::<i64>();
    assert_eq!(cur.fetchone_as::<(i64, i64)>().await.unwrap(), Some((lines as i64, sum)));
}

#[tokio::test]
async fn multiple_result_sets() {
    let mut c = amysql::connect(opts().init_command("SELECT \"bar\"; SELECT \"baz\"")).await.unwrap();
    let mut cur = c.cursor();
    cur.execute("SELECT 1; SELECT seq FROM seq_1_to_10000; SELECT 3", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(1,)]);
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap().len(), 10000);
    assert!(cur.nextset().await.unwrap());
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(3,)]);
    assert!(!cur.nextset().await.unwrap());
    // Unread result sets are skipped; an error in a later statement surfaces.
    cur.execute("SELECT 1; SELECT 2;", ()).await.unwrap();
    cur.execute("SELECT 42", ()).await.unwrap();
    assert_eq!(cur.fetchall_as::<(i64,)>().await.unwrap(), [(42,)]);
    cur.execute("SELECT 1; SELECT * FROM no_such_table_z", ()).await.unwrap();
    assert!(cur.nextset().await.is_err());
    drop(cur);
    assert_eq!(c.query_text("SELECT 5").await.unwrap()[0][0].as_deref(), Some("5"));
}

#[tokio::test]
async fn pool_ping_reset_and_change_user() {
    let mut c = zconn().await;
    c.ping().await.unwrap();
    c.reset().await.unwrap();
    assert_eq!(status(&mut c, "Compression").await, "ON");
    // COM_CHANGE_USER runs an authentication exchange over the compressed stream.
    let (user, pw) = (server().user().to_string(), server().password().to_string());
    c.change_user(&user, &pw, None).await.unwrap();
    assert_eq!(c.query_text("SELECT 8").await.unwrap()[0][0].as_deref(), Some("8"));
    let pool = amysql::create_pool(opts(), amysql::PoolOptions::new().maxsize(2)).await.unwrap();
    for _ in 0..5 {
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(conn.query_text("SELECT 9").await.unwrap()[0][0].as_deref(), Some("9"));
    }
}

/// Bytes the server sent for a 200k-row scan, compressed and not (printed: the ratio).
#[tokio::test]
async fn compression_cuts_bytes_sent() {
    let sql = "SELECT seq, CONCAT('user-', seq, '@example.com'), seq % 7 = 0, '2024-01-01 00:00:00' \
               FROM seq_1_to_200000";
    let mut sent = Vec::new();
    for compressed in [false, true] {
        let mut o: ConnectOptions = server().url().parse().unwrap();
        if compressed {
            o = o.compression(Compression::Zlib);
        }
        let mut c = amysql::connect(o).await.unwrap();
        let before: u64 = status(&mut c, "Bytes_sent").await.parse().unwrap();
        let rows = c.query_text(sql).await.unwrap();
        assert_eq!(rows.len(), 200_000);
        let after: u64 = status(&mut c, "Bytes_sent").await.parse().unwrap();
        sent.push(after - before);
    }
    eprintln!(
        "200k-row scan: {} bytes uncompressed, {} compressed (ratio {:.2})",
        sent[0],
        sent[1],
        sent[0] as f64 / sent[1] as f64
    );
    assert!(sent[1] * 2 < sent[0], "{sent:?}");
}

// --- zstd and hostile input, against the scripted server ---

fn mysql8_zstd() -> Script {
    let mut g = amysql_tests::fake_server::scripted::Greeting::mysql8();
    g.capabilities |= zc::ZSTD_CAP;
    Script::with_greeting(&g)
}

#[tokio::test]
async fn zstd_against_scripted_mysql8() {
    let rows: Vec<Vec<u8>> = (0..2000).map(|i| format!("value number {i} ").repeat(3).into_bytes()).collect();
    let row_refs: Vec<Vec<Option<&[u8]>>> = rows.iter().map(|r| vec![Some(&r[..])]).collect();
    let result = text_result(&[("v", ty::VAR_STRING)], &row_refs, true);
    // The OK after authentication, then the result: compressed by the server side.
    let script = mysql8_zstd().auth_raw(vec![ok(2, 0, 2)]).then(result.clone());
    let server = CompressedServer::start(script, zc::Algo::Zstd).await;
    let mut c = amysql::connect(server.options().compression(Compression::Zstd).compression_level(7)).await.unwrap();
    let got = c.query_text("SELECT v FROM t").await.unwrap();
    assert_eq!(got.len(), 2000);
    assert_eq!(got[1999][0].as_deref(), Some("value number 1999 value number 1999 value number 1999 "));
    // The handshake response asked for zstd and carried the level as its last byte.
    let hello = &server.handshake_responses()[0];
    let caps = u32::from_le_bytes(hello[4..8].try_into().unwrap());
    assert_ne!(caps & zc::ZSTD_CAP, 0);
    assert_eq!(caps & (1 << 5), 0, "not CLIENT_COMPRESS");
    assert_eq!(*hello.last().unwrap(), 7);
    // The command arrived as a compressed packet with id 0.
    let cmds = server.commands();
    assert_eq!(cmds[0], b"\x03SELECT v FROM t");
    assert!(server.wire_bytes_received() > 0);
    assert!(server.wire_bytes_sent() < result.len() / 4, "{} vs {}", server.wire_bytes_sent(), result.len());
}

#[tokio::test]
async fn zlib_against_scripted_server_with_large_command() {
    // A 100 KB query goes out compressed; the answer comes back in several compressed
    // packets, each split at an arbitrary byte.
    let script = Script::mariadb().auth_raw(vec![ok(2, 0, 2)]).then(ok(1, 0, 2));
    let server = CompressedServer::start(script, zc::Algo::Zlib).await;
    let mut c = amysql::connect(server.options().compression(Compression::Zlib)).await.unwrap();
    let sql = format!("SELECT '{}'", "abc".repeat(33_000));
    c.query_drop(&sql).await.unwrap();
    assert_eq!(server.commands()[0][1..], *sql.as_bytes());
    let wire = server.wire_bytes_received();
    assert!(wire < 10_000, "{wire}");
}

/// What the client makes of a compressed answer with `mangle` applied to the result's
/// compressed packets: an error, promptly.
async fn hostile(mangle: zc::Mangle) -> amysql::Error {
    let rows: Vec<Vec<u8>> = (0..200).map(|i| format!("row {i} padding padding padding").into_bytes()).collect();
    let row_refs: Vec<Vec<Option<&[u8]>>> = rows.iter().map(|r| vec![Some(&r[..])]).collect();
    let result = text_result(&[("v", ty::VAR_STRING)], &row_refs, true);
    let script = Script::mariadb().auth_raw(vec![ok(2, 0, 2)]).then(result);
    let server = CompressedServer::start_mangled(script, zc::Algo::Zlib, mangle).await;
    let o = server.options().compression(Compression::Zlib).read_timeout(Duration::from_secs(5));
    let mut c = amysql::connect(o).await.unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), c.query_text("SELECT v")).await.expect("did not hang");
    let e = r.expect_err("hostile compressed input must be an error");
    // And the connection is not usable afterwards.
    assert!(c.query_text("SELECT 1").await.is_err());
    e
}

#[tokio::test]
async fn wrong_compressed_sequence_id_is_an_error() {
    let e = hostile(zc::Mangle::SeqId(9)).await;
    assert!(e.to_string().contains("expected sequence id 1, the server sent 9"), "{e}");
}

#[tokio::test]
async fn decompression_bomb_is_an_error() {
    // The header announces 64 bytes; the data inflates to far more.
    let e = hostile(zc::Mangle::UncompressedLen(64)).await;
    assert!(e.to_string().contains("does not decompress"), "{e}");
}

#[tokio::test]
async fn oversized_announced_length_is_an_error() {
    // 16 MiB - 1 announced against a 1 MiB limit: refused at the header.
    let rows: Vec<Vec<u8>> = vec![b"x".to_vec()];
    let row_refs: Vec<Vec<Option<&[u8]>>> = rows.iter().map(|r| vec![Some(&r[..])]).collect();
    let script =
        Script::mariadb().auth_raw(vec![ok(2, 0, 2)]).then(text_result(&[("v", ty::VAR_STRING)], &row_refs, true));
    let server = CompressedServer::start_mangled(script, zc::Algo::Zlib, zc::Mangle::UncompressedLen(0xff_ffff)).await;
    let o = server.options().compression(Compression::Zlib).max_incoming_packet(1000);
    let mut c = amysql::connect(o).await.unwrap();
    let e = c.query_text("SELECT v").await.unwrap_err();
    assert!(e.to_string().contains("max_incoming_packet"), "{e}");
}

#[tokio::test]
async fn corrupt_and_short_compressed_data_are_errors() {
    let e = hostile(zc::Mangle::FlipByte(12)).await;
    assert!(e.to_string().contains("zlib") || e.to_string().contains("decompress"), "{e}");
    let e = hostile(zc::Mangle::UncompressedLen(100_000)).await;
    assert!(e.to_string().contains("does not decompress"), "{e}");
    // A compressed length longer than what is sent: the client waits, then the server's
    // close is a lost connection, not a hang.
    let e = hostile(zc::Mangle::CompressedLenPlus(1000)).await;
    assert!(!e.to_string().is_empty());
}
