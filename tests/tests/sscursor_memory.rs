//! An SSCursor reads a million rows in constant memory. In a test binary of its own, so
//! that only this test's allocations count towards the process's peak resident memory.

use amysql_tests::*;

/// `VmHWM` (peak resident set) and `VmRSS` of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

const ROWS: i64 = 1_000_000;
const LIMIT_KIB: u64 = 64 * 1024;

#[tokio::test]
async fn a_million_rows_in_constant_memory() {
    let mut conn = amysql::connect(server().url().as_str()).await.unwrap();
    let (peak_before, _) = memory_kib();
    let mut cur = conn.ss_cursor();
    // About 60 bytes per row on the wire: ~60 MB in all, so a client that buffered the
    // result (or leaked rows) would pass the limit.
    cur.execute("SELECT seq, seq * 2, CONCAT('row-', seq), REPEAT('x', 32) FROM seq_1_to_1000000", ()).await.unwrap();
    let (mut n, mut sum, mut text_bytes) = (0i64, 0i64, 0usize);
    while let Some(row) = cur.fetchone().await.unwrap() {
        n += 1;
        sum += row.get::<i64, _>(1).unwrap();
        text_bytes += row.raw(2).unwrap().len() + row.raw(3).unwrap().len();
    }
    assert_eq!(n, ROWS);
    assert_eq!(cur.rowcount(), ROWS);
    assert_eq!(sum, ROWS * (ROWS + 1));
    assert!(text_bytes > 40_000_000, "{text_bytes}");
    let (peak, rss) = memory_kib();
    eprintln!("SSCursor {ROWS} rows: VmHWM {peak} KiB (before the query {peak_before} KiB), VmRSS {rss} KiB");
    assert!(peak < LIMIT_KIB, "peak resident memory {peak} KiB >= {LIMIT_KIB} KiB");
}
