//! The child side: one (scenario, driver variant, run) per process, so peak
//! RSS (VmHWM, monotonic per process) and the allocator's state belong to
//! that driver alone. The parent re-execs this binary as
//! `amysql-bench __child <scenario> <driver/variant>` with the target in env.

use std::process::ExitCode;

use crate::drivers;
use crate::scenario::Scenario;
use crate::target::{Target, ENV_THREADS};

pub const CHILD_ARG: &str = "__child";

/// Prints `@sample ...` on stdout; errors go to stderr with a non-zero exit
/// status.
pub fn main(args: &[String]) -> ExitCode {
    let (Some(sc), Some(label)) = (args.first(), args.get(1)) else {
        eprintln!("usage: amysql-bench {CHILD_ARG} <scenario> <driver/variant>");
        return ExitCode::from(2);
    };
    let sc: Scenario = match sc.parse() {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let target = match Target::from_env() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(drivers::run(sc, label, &target)) {
        Ok(sample) => {
            println!("{}", sample.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{label} {sc}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Single-threaded by default: on a 2-core machine that also runs the
/// server, a second worker mostly adds scheduling noise, and it keeps the
/// CPU-per-op column about the driver rather than about work stealing.
/// `--threads N` (N > 1) switches every driver to a multi-thread runtime.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let threads: usize = std::env::var(ENV_THREADS).ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
}
