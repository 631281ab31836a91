//! Parent-side database work, never timed: creating and filling the tables
//! once per invocation, and the monitor connection that reads the server's
//! `Connections` counter and checks `insert`'s result between children.
//! Uses mysql_async over TCP simply because it is a finished driver; the
//! children never share this connection.

use mysql_async::prelude::*;
use mysql_async::{Conn, OptsBuilder};

use crate::drivers::BoxError;
use crate::scenario::*;
use crate::target::Target;

pub struct Monitor {
    conn: Conn,
}

impl Monitor {
    pub async fn connect(t: &Target) -> Result<Monitor, BoxError> {
        let opts = OptsBuilder::default()
            .ip_or_hostname(t.host.clone())
            .tcp_port(t.port)
            .user(Some(t.user.clone()))
            .pass(Some(t.password.clone()))
            .db_name(Some(t.db.clone()))
            .prefer_socket(false);
        Ok(Monitor { conn: Conn::new(opts).await? })
    }

    pub async fn server_version(&mut self) -> Result<String, BoxError> {
        Ok(self.conn.query_first("SELECT VERSION()").await?.unwrap_or_default())
    }

    /// Server-wide count of connection attempts so far; the delta around a
    /// child is the number of connections that child opened.
    pub async fn connections(&mut self) -> Result<u64, BoxError> {
        let row: Option<(String, u64)> = self.conn.query_first("SHOW GLOBAL STATUS LIKE 'Connections'").await?;
        Ok(row.ok_or("no Connections status")?.1)
    }

    /// Only on a private server: the harness starts MariaDB with a 64 MiB
    /// buffer pool, smaller than `bench_stream`; without this, `stream`
    /// would measure InnoDB page reads more than the drivers.
    pub async fn grow_buffer_pool(&mut self) -> Result<(), BoxError> {
        self.conn.query_drop("SET GLOBAL innodb_buffer_pool_size = 512 * 1024 * 1024").await?;
        Ok(())
    }

    /// Creates and fills the tables the given scenarios read.
    pub async fn prepare(&mut self, scenarios: &[Scenario]) -> Result<(), BoxError> {
        let needs = |s: Scenario| scenarios.contains(&s);
        let max_rows = [
            (needs(Scenario::Scan), SCAN_ROWS),
            (needs(Scenario::Stream), STREAM_ROWS),
            (needs(Scenario::Point) || needs(Scenario::Pool), POINT_TABLE_ROWS),
        ]
        .iter()
        .filter(|(n, _)| *n)
        .map(|(_, rows)| *rows)
        .max();
        if let Some(rows) = max_rows {
            self.fill_nums(rows).await?;
        }
        if needs(Scenario::Scan) {
            self.fill_wide("bench_scan", SCAN_ROWS).await?;
        }
        if needs(Scenario::Stream) {
            self.fill_wide("bench_stream", STREAM_ROWS).await?;
        }
        if needs(Scenario::Point) || needs(Scenario::Pool) {
            self.run(&[
                "DROP TABLE IF EXISTS bench_point",
                "CREATE TABLE bench_point (id INT PRIMARY KEY, s VARCHAR(64) NOT NULL)",
                &format!(
                    "INSERT INTO bench_point SELECT n, CONCAT('point-', n, '-', REPEAT('y', n % 30)) \
                     FROM bench_nums WHERE n <= {POINT_TABLE_ROWS}"
                ),
            ])
            .await?;
        }
        if needs(Scenario::Insert) {
            self.run(&[
                "DROP TABLE IF EXISTS bench_insert",
                "CREATE TABLE bench_insert (id BIGINT AUTO_INCREMENT PRIMARY KEY, \
                 a INT NOT NULL, b BIGINT NOT NULL, s VARCHAR(64) NOT NULL, d DOUBLE NOT NULL, \
                 ts DATETIME(6) NOT NULL, amount DECIMAL(12,2) NOT NULL, note VARCHAR(32) NULL)",
            ])
            .await?;
        }
        Ok(())
    }

    /// `bench_nums(n)` = 1..=rows, from a cross join of digit tables: plain
    /// SQL that works on MariaDB and MySQL alike (no sequence engine needed).
    async fn fill_nums(&mut self, rows: u64) -> Result<(), BoxError> {
        let digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
                      UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 \
                      UNION ALL SELECT 8 UNION ALL SELECT 9)";
        let places = rows.max(1).saturating_sub(1).to_string().len();
        let expr: Vec<String> = (0..places).map(|p| format!("{}*d{p}.d", 10u64.pow(p as u32))).collect();
        let from: Vec<String> = (0..places).map(|p| format!("{digits} d{p}")).collect();
        self.run(&[
            "DROP TABLE IF EXISTS bench_nums",
            "CREATE TABLE bench_nums (n INT PRIMARY KEY)",
            &format!(
                "INSERT INTO bench_nums SELECT n FROM (SELECT 1 + {} AS n FROM {}) x WHERE n <= {rows}",
                expr.join(" + "),
                from.join(", ")
            ),
        ])
        .await
    }

    /// The 8-column table `scan` and `stream` read (ScanRow's shape).
    async fn fill_wide(&mut self, table: &str, rows: u64) -> Result<(), BoxError> {
        self.run(&[
            &format!("DROP TABLE IF EXISTS {table}"),
            &format!(
                "CREATE TABLE {table} (id INT PRIMARY KEY, a INT NOT NULL, b BIGINT NOT NULL, \
                 s VARCHAR(64) NOT NULL, d DOUBLE NOT NULL, ts DATETIME(6) NOT NULL, \
                 amount DECIMAL(12,2) NOT NULL, note VARCHAR(32) NULL)"
            ),
            &format!(
                "INSERT INTO {table} SELECT n, n % 1000, n * 1000003, \
                 CONCAT('name-', n, '-', REPEAT('x', n % 40)), n / 4, \
                 TIMESTAMP('2024-01-01 00:00:00') + INTERVAL (n * 1000123) MICROSECOND, \
                 n * 1.25, IF(n % 3 = 0, NULL, CONCAT('n', n)) \
                 FROM bench_nums WHERE n <= {rows}"
            ),
        ])
        .await
    }

    pub async fn truncate_insert(&mut self) -> Result<(), BoxError> {
        self.run(&["TRUNCATE TABLE bench_insert"]).await
    }

    /// `(COUNT(*), SUM(a), SUM(CHAR_LENGTH(s)))` of `bench_insert`, compared
    /// with [`insert_expectation`] after every insert child.
    pub async fn insert_summary(&mut self) -> Result<(u64, i64, u64), BoxError> {
        let row: Option<(u64, Option<i64>, Option<u64>)> =
            self.conn.query_first("SELECT COUNT(*), SUM(a), SUM(CHAR_LENGTH(s)) FROM bench_insert").await?;
        let (n, a, len) = row.ok_or("no summary row")?;
        Ok((n, a.unwrap_or(0), len.unwrap_or(0)))
    }

    async fn run(&mut self, sqls: &[&str]) -> Result<(), BoxError> {
        for sql in sqls {
            self.conn
                .query_drop(*sql)
                .await
                .map_err(|e| format!("setup `{}`: {e}", sql.chars().take(60).collect::<String>()))?;
        }
        Ok(())
    }
}
