//! XA (two-phase) transactions against the private MariaDB.

use std::time::Duration;

use amysql::{create_pool, Connection, Error, PoolOptions};
use amysql_tests::{server, unique_name};

async fn connect() -> Connection {
    amysql::connect(server().url().as_str()).await.unwrap()
}

async fn table(c: &mut Connection, prefix: &str) -> String {
    let t = unique_name(prefix);
    let sql = format!("CREATE TABLE {t} (id INT PRIMARY KEY) ENGINE=InnoDB");
    c.query_drop(&sql).await.unwrap();
    t
}

async fn ids(c: &mut Connection, t: &str) -> Vec<String> {
    let rows = c.query_text(&format!("SELECT id FROM {t} ORDER BY id")).await.unwrap();
    rows.into_iter().map(|mut r| r.remove(0).unwrap()).collect()
}

#[tokio::test]
async fn two_phase_prepare_recover_commit() {
    let mut c = connect().await;
    let t = table(&mut c, "tx_xa").await;
    let xid = unique_name("xid");
    let mut xa = c.begin_twophase(Some(&xid)).await.unwrap();
    assert_eq!(xa.xid(), xid);
    xa.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await.unwrap();
    xa.prepare().await.unwrap();
    assert!(xa.is_prepared());
    drop(xa); // stays prepared
    assert!(c.recover_twophase().await.unwrap().contains(&xid));
    c.commit_prepared(&xid).await.unwrap();
    assert!(!c.recover_twophase().await.unwrap().contains(&xid));

    // One-phase commit; an unprepared XA dropped is rolled back; random ids.
    let mut xa = c.begin_twophase(None).await.unwrap();
    assert!(xa.xid().starts_with("amysql-"));
    xa.query_drop(&format!("INSERT INTO {t} (id) VALUES (2)")).await.unwrap();
    xa.commit().await.unwrap();
    let mut xa = c.begin_twophase(None).await.unwrap();
    xa.query_drop(&format!("INSERT INTO {t} (id) VALUES (3)")).await.unwrap();
    drop(xa);
    assert_eq!(ids(&mut c, &t).await, ["1", "2"]);
    assert!(matches!(c.begin_twophase(Some("it's")).await, Err(Error::Interface(_))));
    assert!(matches!(c.commit_prepared("a\\b").await, Err(Error::Interface(_))));
}

#[tokio::test]
async fn prepared_branch_on_a_pooled_connection_survives_for_recovery() {
    let opts = PoolOptions::new().maxsize(1);
    let p = create_pool(server().url().as_str(), opts).await.unwrap();
    let mut c = p.acquire().await.unwrap();
    let t = table(&mut c, "tx_xa_pool").await;
    let xid = unique_name("xidp");
    let first = c.thread_id();
    let mut xa = c.begin_twophase(Some(&xid)).await.unwrap();
    xa.query_drop(&format!("INSERT INTO {t} (id) VALUES (1)")).await.unwrap();
    xa.prepare().await.unwrap();
    drop(xa);
    drop(c); // cannot be cleaned (prepared branch): closed, which detaches the branch
    let mut c = p.acquire().await.unwrap();
    assert_ne!(c.thread_id(), first);
    let mut found = false;
    for _ in 0..50 {
        if c.recover_twophase().await.unwrap().contains(&xid) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(found, "prepared branch visible to another session");
    c.rollback_prepared(&xid).await.unwrap();
    assert!(ids(&mut c, &t).await.is_empty());
}
