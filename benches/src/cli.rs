//! Command line of the parent process (hand-rolled: no clap, to keep the
//! CI build of this crate small).

use std::path::PathBuf;

use crate::scenario::{Scenario, ALL};

pub const HELP: &str = "\
amysql-bench: amysql vs mysql_async, sqlx and zero-mysql on one MariaDB

USAGE:
    cargo run -p amysql-bench --release -- <SCENARIO>[,<SCENARIO>...] [OPTIONS]

SCENARIOS:
    scan      200,000 8-column rows (DATETIME(6), DECIMAL, NULLs) into a Vec of structs
    point     20,000 sequential `SELECT id, s FROM bench_point WHERE id = ?`
    insert    20,000 rows through each driver's batch path
    pool      64 tasks x 500 point selects over a 16-connection pool
    stream    1,000,000 rows through a streaming API
    all       all of the above

OPTIONS:
    --driver LIST     comma-separated drivers (amysql, mysql_async, sqlx, zero-mysql)
                      or full driver/variant labels; default: all
    --runs N          runs per variant, drivers interleaved A B C A B C ... (default 3)
    --socket          every driver connects through the unix socket (default: TCP,
                      with each driver's socket auto-upgrade turned off)
    --socket-path P   the unix socket for --socket with --url
    --url URL         benchmark this server instead of starting a private MariaDB
                      (also DATABASE_URL); the account needs CREATE/DROP in its db
    --threads N       tokio worker threads per child; 1 = current_thread (default 1)
    --timeout SECS    kill a child run after SECS (default 600)
    --list            print the variants of the chosen scenarios and exit
    -h, --help        this text

Each (scenario, variant, run) runs in a fresh child process (this binary,
re-executed) so that peak RSS is that driver's alone. Tables are created and
filled once per invocation, untimed. Results print as Markdown tables.
";

#[derive(Debug)]
pub struct Args {
    pub scenarios: Vec<Scenario>,
    pub drivers: Option<Vec<String>>,
    pub runs: usize,
    pub socket: bool,
    pub socket_path: Option<PathBuf>,
    pub url: Option<String>,
    pub threads: usize,
    pub timeout_secs: u64,
    pub list: bool,
}

/// `Ok(None)` means help was printed.
pub fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        scenarios: Vec::new(),
        drivers: None,
        runs: 3,
        socket: false,
        socket_path: None,
        url: std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()),
        threads: 1,
        timeout_secs: 600,
        list: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(None);
            }
            "--driver" | "--drivers" => {
                a.drivers = Some(value(arg)?.split(',').map(|s| s.trim().to_string()).collect())
            }
            "--runs" => a.runs = number(&value(arg)?, arg)?.max(1) as usize,
            "--socket" => a.socket = true,
            "--socket-path" => a.socket_path = Some(value(arg)?.into()),
            "--url" => a.url = Some(value(arg)?),
            "--threads" => a.threads = number(&value(arg)?, arg)? as usize,
            "--timeout" => a.timeout_secs = number(&value(arg)?, arg)?,
            "--list" => a.list = true,
            s if s.starts_with('-') => return Err(format!("unknown option {s} (see --help)")),
            s => {
                for name in s.split(',') {
                    if name == "all" {
                        a.scenarios.extend(ALL);
                    } else {
                        a.scenarios.push(name.parse()?);
                    }
                }
            }
        }
    }
    if a.scenarios.is_empty() {
        return Err("which scenario? (scan, point, insert, pool, stream, all; see --help)".into());
    }
    a.scenarios.dedup();
    Ok(Some(a))
}

fn number(v: &str, name: &str) -> Result<u64, String> {
    v.parse().map_err(|_| format!("{name}: not a number: {v}"))
}

impl Args {
    /// Does `--driver` select this `driver/variant` label?
    pub fn selects(&self, label: &str) -> bool {
        let Some(list) = &self.drivers else { return true };
        let driver = label.split('/').next().unwrap_or(label);
        list.iter().any(|d| d == driver || d == label)
    }
}
