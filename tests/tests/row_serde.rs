//! `serde::Serialize` for rows from the real server: a `Row` is a JSON array, a `DictRow` a
//! JSON object in column order, each value the natural JSON (see amysql's row_serde), and
//! text and prepared results serialize identically.

use amysql::{query, ConnectOptions, Connection, DictRow, Row};
use amysql_tests::*;
use serde_json::json;

async fn conn(cache: usize) -> Connection {
    let o: ConnectOptions = server().url().parse().unwrap();
    amysql::connect(o.stmt_cache_size(cache)).await.expect("connect")
}

const COLUMNS: &str = "id INT PRIMARY KEY, big BIGINT UNSIGNED, neg BIGINT, f FLOAT, d DOUBLE, dc DECIMAL(30,10), \
    s VARCHAR(50), b VARBINARY(20), dt DATE, ts DATETIME(6), ts0 DATETIME, tm TIME(6), j JSON, n INT NULL, y YEAR, \
    bits BIT(16)";

const ROW: &str = "(1, 18446744073709551615, -9223372036854775808, 1.5, 0.1, '-12345678901234567890.0123456789', \
    'it''s \"q\" 😀', X'00FF10', '2024-02-29', '2024-02-29 23:59:59.000120', '1970-01-01 00:00:00', \
    '-838:59:59.5', '{\"k\": [1, null, \"x\"], \"n\": 2.5}', NULL, 2024, b'0000000100000010')";

const J: &str = "{\"k\": [1, null, \"x\"], \"n\": 2.5}";

fn expected() -> serde_json::Value {
    json!([
        1,
        u64::MAX,
        i64::MIN,
        1.5,
        0.1,
        "-12345678901234567890.0123456789",
        "it's \"q\" 😀",
        "AP8Q",
        "2024-02-29",
        "2024-02-29T23:59:59.000120",
        "1970-01-01T00:00:00",
        "-838:59:59.500000",
        // MariaDB's JSON is LONGTEXT on the wire (type BLOB, not MySQL's JSON type 245), so
        // it arrives as text and stays a string; MySQL's JSON columns embed (unit-tested).
        J,
        null,
        2024,
        "AQI="
    ])
}

async fn table() -> String {
    let mut c = conn(0).await;
    let t = unique_name("row_serde");
    c.query_drop(&format!("CREATE TABLE {t} ({COLUMNS})")).await.unwrap();
    c.query_drop(&format!("INSERT INTO {t} VALUES {ROW}")).await.unwrap();
    t
}

#[tokio::test]
async fn rows_serialize_as_arrays_on_both_paths() {
    let t = table().await;
    let sql = format!("SELECT * FROM {t} WHERE id = %s");
    for cache in [0, 8] {
        let mut c = conn(cache).await;
        let rows: Vec<Row> = query(&sql).bind(1).fetch_all(&mut c).await.unwrap();
        assert_eq!(rows[0].columns().is_binary(), cache > 0);
        assert_eq!(serde_json::to_value(&rows[0]).unwrap(), expected(), "cache {cache}");
        assert_eq!(serde_json::to_value(&rows).unwrap(), json!([expected()]), "cache {cache}");
    }
    // Through a cursor, as aiomysql users fetch.
    let mut c = conn(0).await;
    let mut cur = c.cursor();
    cur.execute(&sql, (1,)).await.unwrap();
    let row = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(&row).unwrap(), expected());
}

#[tokio::test]
async fn dict_rows_serialize_as_objects_in_column_order() {
    let t = table().await;
    let mut c = conn(0).await;
    let mut cur = c.dict_cursor();
    cur.execute(&format!("SELECT s AS zeta, id AS alpha, j, n, b FROM {t}"), ()).await.unwrap();
    let rows: Vec<DictRow> = cur.fetchall().await.unwrap();
    let text = serde_json::to_string(&rows[0]).unwrap();
    assert_eq!(
        text,
        r#"{"zeta":"it's \"q\" 😀","alpha":1,"j":"{\"k\": [1, null, \"x\"], \"n\": 2.5}","n":null,"b":"AP8Q"}"#
    );
    assert_eq!(
        serde_json::to_value(&rows).unwrap(),
        json!([{"zeta": "it's \"q\" 😀", "alpha": 1, "j": J, "n": null, "b": "AP8Q"}])
    );
    // Text that holds JSON can be embedded by decoding it: `row.get::<serde_json::Value>`.
    assert_eq!(rows[0].get::<serde_json::Value>("j").unwrap(), json!({"k": [1, null, "x"], "n": 2.5}));
    // A repeated column name is keyed `table.name`, as DictCursor does.
    cur.execute(&format!("SELECT a.id, b.id FROM {t} a JOIN {t} b ON a.id = b.id"), ()).await.unwrap();
    let row = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"id":1,"b.id":1}"#);
}

#[tokio::test]
async fn zero_dates_and_empty_results() {
    let o: ConnectOptions = server().url().parse().unwrap();
    let mut c = amysql::connect(o.sql_mode("")).await.unwrap();
    let row = query("SELECT CAST('0000-00-00' AS DATE), CAST('0000-00-00 00:00:00' AS DATETIME), X''")
        .fetch_one(&mut c)
        .await
        .unwrap();
    // A zero date is not NULL on the server, so it is not null here either.
    assert_eq!(serde_json::to_value(&row).unwrap(), json!(["0000-00-00", "0000-00-00T00:00:00", ""]));
    let none: Vec<Row> = query("SELECT 1 FROM DUAL WHERE 0").fetch_all(&mut c).await.unwrap();
    assert_eq!(serde_json::to_string(&none).unwrap(), "[]");
}

/// MySQL's JSON type (245) embeds the document; the scripted server plays a MySQL 8.
#[tokio::test]
async fn mysql_json_columns_embed_the_document() {
    use amysql_tests::fake_server::scripted::{text_result, Script, ScriptedServer};
    const JSON_TYPE: u8 = 245;
    let rows = vec![vec![Some(&br#"{"k": [1, null, "x"], "n": 2.5}"#[..]), Some(b"7")], vec![Some(b"null"), None]];
    let cols = [("doc", JSON_TYPE), ("id", 8)];
    let server = ScriptedServer::start(Script::mysql8().then(text_result(&cols, &rows, true))).await;
    let o = server.options().connect_timeout(std::time::Duration::from_secs(5));
    let mut c = amysql::connect(o).await.unwrap();
    let mut cur = c.dict_cursor();
    cur.execute("SELECT doc, id FROM t", ()).await.unwrap();
    let got: Vec<DictRow> = cur.fetchall().await.unwrap();
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        r#"[{"doc":{"k":[1,null,"x"],"n":2.5},"id":7},{"doc":null,"id":null}]"#
    );
}
