//! `DictCursor` / `SSDictCursor`, ported from PyMySQL's and aiomysql's
//! `test_DictCursor.py`: rows keyed by column name in column order, repeated names keyed
//! `table.name`.

use amysql::{Connection, DictRow, Value};
use amysql_tests::*;

async fn conn() -> Connection {
    amysql::connect(server().url().as_str()).await.expect("connect")
}

/// PyMySQL's fixture: `dictcursor (name, age, DOB)` with bob, jim and fred.
async fn people(c: &mut Connection) -> String {
    let t = unique_name("dictcursor");
    c.query_drop(&format!("CREATE TABLE {t} (name char(20), age int, DOB datetime)")).await.unwrap();
    let mut cur = c.cursor();
    cur.executemany(
        &format!("INSERT INTO {t} VALUES (%s, %s, %s)"),
        [("bob", 21, "1990-02-06 23:04:56"), ("jim", 56, "1955-05-09 13:12:45"), ("fred", 100, "1911-09-12 01:01:01")],
    )
    .await
    .unwrap();
    t
}

fn name_age(r: &DictRow) -> (String, i64) {
    (r.get("name").unwrap(), r.get("age").unwrap())
}

#[tokio::test]
async fn rows_are_keyed_by_column_name() {
    let mut c = conn().await;
    let t = people(&mut c).await;
    let mut cur = c.dict_cursor();
    cur.execute(&format!("SELECT * FROM {t} WHERE name = %s"), ("bob",)).await.unwrap();
    let bob = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(bob.keys().collect::<Vec<_>>(), ["name", "age", "DOB"]);
    assert_eq!(bob["name"], Value::Text("bob".into()));
    assert_eq!(bob["age"], Value::Int(21));
    let dob: chrono::NaiveDateTime = bob.get("DOB").unwrap();
    assert_eq!(dob.to_string(), "1990-02-06 23:04:56");
    assert!(bob.get_value("missing").is_none());
    assert!(bob.get::<i64>("missing").is_err());
    assert!(cur.fetchone().await.unwrap().is_none());

    cur.execute(&format!("SELECT * FROM {t} ORDER BY age"), ()).await.unwrap();
    let first = cur.fetchmany(Some(2)).await.unwrap();
    assert_eq!(first.iter().map(name_age).collect::<Vec<_>>(), [("bob".into(), 21), ("jim".into(), 56)]);
    let rest = cur.fetchall().await.unwrap();
    assert_eq!(rest.iter().map(name_age).collect::<Vec<_>>(), [("fred".into(), 100)]);
    // Equality compares keys and values in order.
    cur.execute(&format!("SELECT name, age FROM {t} WHERE age = 100"), ()).await.unwrap();
    let again = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(
        again.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>(),
        [("name".to_string(), Value::Text("fred".into())), ("age".to_string(), Value::Int(100))]
    );
}

#[tokio::test]
async fn repeated_names_are_keyed_with_the_table_alias() {
    let mut c = conn().await;
    let t = people(&mut c).await;
    let sql = format!(
        "SELECT a.name, b.name, a.age FROM {t} a JOIN {t} b ON b.age > a.age WHERE a.name = 'bob' ORDER BY b.age"
    );
    let mut cur = c.dict_cursor();
    cur.execute(&sql, ()).await.unwrap();
    let rows = cur.fetchall().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].keys().collect::<Vec<_>>(), ["name", "b.name", "age"]);
    assert_eq!(rows[0].get::<String>("name").unwrap(), "bob");
    assert_eq!(rows[0].get::<String>("b.name").unwrap(), "jim");
    assert_eq!(rows[1].get::<String>("b.name").unwrap(), "fred");
    // `SELECT a.id, b.id`: the second `id` is keyed by its table alias.
    cur.execute("SELECT a.seq AS id, b.seq AS id FROM seq_1_to_3 a JOIN seq_2_to_9 b ON b.seq = a.seq + 1", ())
        .await
        .unwrap();
    let r = cur.fetchone().await.unwrap().unwrap();
    assert_eq!(r.keys().collect::<Vec<_>>(), ["id", "b.id"]);
    assert_eq!((r.get::<i64>("id").unwrap(), r.get::<i64>("b.id").unwrap()), (1, 2));
    drop(cur);
    // The same keys from an unbuffered dict cursor.
    let mut ss = c.ss_dict_cursor();
    ss.execute(&sql, ()).await.unwrap();
    let first = ss.fetchone().await.unwrap().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["name", "b.name", "age"]);
    assert_eq!(first.get::<String>("b.name").unwrap(), "jim");
    assert_eq!(ss.fetchall().await.unwrap().len(), 1);
    assert_eq!(ss.rowcount(), 2);
}

#[tokio::test]
async fn ss_dict_cursor_streams_dict_rows() {
    use futures_util::TryStreamExt;
    let mut c = conn().await;
    let t = people(&mut c).await;
    let mut cur = c.ss_dict_cursor();
    cur.execute(&format!("SELECT name, age FROM {t} ORDER BY age"), ()).await.unwrap();
    let rows: Vec<DictRow> = cur.stream().try_collect().await.unwrap();
    assert_eq!(rows.iter().map(name_age).collect::<Vec<_>>().len(), 3);
    assert_eq!(rows[2].get::<String>("name").unwrap(), "fred");
}

#[tokio::test]
async fn typed_fetch_from_a_dict_cursor() {
    let mut c = conn().await;
    let t = people(&mut c).await;
    let mut cur = c.dict_cursor();
    cur.execute(&format!("SELECT name, age FROM {t} ORDER BY age DESC"), ()).await.unwrap();
    let typed: Vec<(String, u8)> = cur.fetchall_as().await.unwrap();
    assert_eq!(typed, [("fred".into(), 100), ("jim".into(), 56), ("bob".into(), 21)]);
}
