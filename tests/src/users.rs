//! The accounts every private test server is bootstrapped with.

/// Database created on every private server; the default URLs point at it.
pub const TEST_DB: &str = "test";

/// Default test user (mysql_native_password, all privileges WITH GRANT OPTION,
/// so it can KILL other sessions and set global variables).
pub const USER: &str = "amysql";
pub const PASSWORD: &str = "amysql-pw";

/// A mysql_native_password account with an empty password.
pub const NOPW_USER: &str = "amysql_nopw";

/// Authenticates with the `ed25519` plugin (MariaDB's `client_ed25519`).
pub const ED25519_USER: &str = "amysql_ed25519";
pub const ED25519_PASSWORD: &str = "ed-pw";

/// `REQUIRE SSL`: plain-text logins are refused.
pub const SSL_USER: &str = "amysql_ssl";
pub const SSL_PASSWORD: &str = "ssl-pw";

/// `REQUIRE X509`: TLS with a client certificate signed by the test CA.
pub const X509_USER: &str = "amysql_x509";
pub const X509_PASSWORD: &str = "x509-pw";

/// Used by the benchmark crate.
pub const BENCH_USER: &str = "bench";
pub const BENCH_PASSWORD: &str = "bench-pw";

/// SQL run once as root right after a fresh server first starts. Idempotent
/// (`CREATE OR REPLACE`) so a half-finished bootstrap can simply be re-run.
pub(crate) fn bootstrap_sql() -> String {
    // (user, `IDENTIFIED ...` clause, `REQUIRE ...` clause, grant suffix)
    let accounts = [
        (USER, format!("IDENTIFIED VIA mysql_native_password USING PASSWORD('{PASSWORD}')"), "", " WITH GRANT OPTION"),
        (NOPW_USER, "IDENTIFIED VIA mysql_native_password USING ''".to_string(), "", ""),
        (ED25519_USER, format!("IDENTIFIED VIA ed25519 USING PASSWORD('{ED25519_PASSWORD}')"), "", ""),
        (
            SSL_USER,
            format!("IDENTIFIED VIA mysql_native_password USING PASSWORD('{SSL_PASSWORD}')"),
            " REQUIRE SSL",
            "",
        ),
        (
            X509_USER,
            format!("IDENTIFIED VIA mysql_native_password USING PASSWORD('{X509_PASSWORD}')"),
            " REQUIRE X509",
            "",
        ),
        (BENCH_USER, format!("IDENTIFIED VIA mysql_native_password USING PASSWORD('{BENCH_PASSWORD}')"), "", ""),
    ];
    let mut sql = format!("CREATE DATABASE IF NOT EXISTS `{TEST_DB}`;\n");
    for (user, ident, require, grant) in &accounts {
        // Both hosts: an anonymous ''@'localhost' row would otherwise shadow
        // '<user>'@'%' for unix-socket logins.
        for host in ["%", "localhost"] {
            sql.push_str(&format!(
                "CREATE OR REPLACE USER '{user}'@'{host}' {ident}{require};\n\
                 GRANT ALL PRIVILEGES ON *.* TO '{user}'@'{host}'{grant};\n"
            ));
        }
    }
    sql
}
