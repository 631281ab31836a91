//! amysql-bench: run-by-hand benchmarks of amysql against mysql_async, sqlx
//! and zero-mysql on one MariaDB. See BENCHMARKS.md and `--help`.
//!
//! The parent process (parent.rs) starts or finds the server, creates the
//! tables and re-executes this binary once per (scenario, variant, run)
//! (child.rs); each child measures itself (measure.rs) and prints one line.

mod child;
mod cli;
mod drivers;
mod machine;
mod measure;
mod parent;
mod report;
mod scenario;
mod setup;
mod target;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(child::CHILD_ARG) {
        return child::main(&args[1..]);
    }
    match cli::parse(&args) {
        Ok(Some(a)) => parent::main(a),
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amysql-bench: {e}");
            ExitCode::from(2)
        }
    }
}
