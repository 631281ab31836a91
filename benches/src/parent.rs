//! The parent process: find or start the server, set up tables, run every
//! variant's children interleaved, the first variant rotating from run to run
//! (A B C D, B C D A, ...), print the tables.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::child::CHILD_ARG;
use crate::cli::Args;
use crate::drivers::{self, BoxError};
use crate::machine::{self, Noise};
use crate::measure::{other_process_cpu, Sample};
use crate::report::{self, Status, VariantRuns};
use crate::scenario::{insert_expectation, insert_rows, Scenario};
use crate::setup::Monitor;
use crate::target::{Target, ENV_SOCKET, ENV_THREADS, ENV_URL};

/// The server under test plus what only a private one can tell us.
struct Server {
    target: Target,
    /// mariadbd's pid, for the server-CPU column.
    pid: Option<u32>,
    private: bool,
}

pub fn main(args: Args) -> ExitCode {
    if args.list {
        for sc in &args.scenarios {
            for label in drivers::variants(*sc).into_iter().filter(|l| args.selects(l)) {
                println!("{sc}\t{label}");
            }
        }
        return ExitCode::SUCCESS;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amysql-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), BoxError> {
    let server = server(args)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut monitor = rt.block_on(Monitor::connect(&server.target))?;
    let version = rt.block_on(monitor.server_version())?;

    println!("## amysql-bench\n");
    println!("- machine: {} x {}", machine::nproc(), machine::cpu_model());
    println!("- server: {version} ({})", if server.private { "private, started by amysql-tests" } else { "external" });
    println!(
        "- transport: {}; tokio runtime per child: {}; runs per variant: {}",
        server.target.transport(),
        if args.threads <= 1 { "current_thread".to_string() } else { format!("multi_thread({})", args.threads) },
        args.runs
    );

    let t0 = Instant::now();
    if server.private {
        if let Err(e) = rt.block_on(monitor.grow_buffer_pool()) {
            eprintln!("note: could not grow innodb_buffer_pool_size: {e}");
        }
    }
    rt.block_on(monitor.prepare(&args.scenarios))?;
    println!("- setup (tables + data, untimed): {:.1} s\n", t0.elapsed().as_secs_f64());

    let mut noise = Noise::default();
    for &sc in &args.scenarios {
        let mut runs: Vec<VariantRuns> =
            drivers::variants(sc).into_iter().filter(|l| args.selects(l)).map(VariantRuns::new).collect();
        let expected_insert = (sc == Scenario::Insert).then(|| insert_expectation(&insert_rows()));
        for run_no in 0..args.runs {
            // The starting variant rotates from run to run, so that no driver always
            // runs first (or right after the same neighbour): on a shared VM the
            // position in a round moved point's numbers by up to 15 %.
            let n = runs.len().max(1);
            let start = run_no % n;
            for i in 0..n {
                let Some(v) = runs.get_mut((start + i) % n) else { continue };
                if v.is_done() {
                    continue;
                }
                if sc == Scenario::Insert {
                    rt.block_on(monitor.truncate_insert())?;
                }
                noise.begin();
                let conns0 = rt.block_on(monitor.connections())?;
                let cpu0 = server.pid.and_then(other_process_cpu);
                let outcome = spawn_child(sc, &v.label, &server.target, args);
                noise.end();
                let cpu1 = server.pid.and_then(other_process_cpu);
                // The monitor connection is long-lived and the counter is read
                // after the child exited: the delta is the child's connections.
                let conns1 = rt.block_on(monitor.connections())?;
                match outcome {
                    Ok(s) => {
                        if s.ops != sc.ops() {
                            v.problems.push(format!("run {run_no}: {} ops, expected {}", s.ops, sc.ops()));
                        }
                        if let Some(expected) = expected_insert {
                            let got = rt.block_on(monitor.insert_summary())?;
                            if got != expected {
                                v.problems.push(format!(
                                    "run {run_no}: table holds (rows, sum a, sum len) {got:?}, expected {expected:?}"
                                ));
                            }
                        }
                        v.samples.push(s);
                        v.conns.push(conns1.saturating_sub(conns0));
                        if let (Some(a), Some(b)) = (cpu0, cpu1) {
                            v.server_cpu.push(b.saturating_sub(a));
                        }
                    }
                    Err(e) => {
                        eprintln!("{sc} {} run {run_no}: {e}", v.label);
                        v.status = Status::Failed(e.lines().next().unwrap_or("").to_string());
                    }
                }
            }
            eprintln!("{sc}: run {}/{} done", run_no + 1, args.runs);
        }
        println!("{}", report::table(sc, &runs, server.target.transport()));
    }
    println!("- noise: {}", noise.summary());
    Ok(())
}

fn server(args: &Args) -> Result<Server, BoxError> {
    let (mut target, pid, private, socket) = match &args.url {
        Some(url) => (Target::parse(url)?, None, false, args.socket_path.clone()),
        None => {
            let s = amysql_tests::server();
            let url = s.url_for(amysql_tests::BENCH_USER, amysql_tests::BENCH_PASSWORD);
            let socket = args.socket_path.clone().or_else(|| s.socket_path().map(PathBuf::from));
            (Target::parse(&url)?, s.pid(), s.is_private(), socket)
        }
    };
    if args.socket {
        target.socket = Some(socket.ok_or("--socket needs a unix socket: pass --socket-path")?);
    }
    Ok(Server { target, pid, private })
}

/// Runs one child to completion (or kills it at the timeout) and parses its
/// `@sample` line.
fn spawn_child(sc: Scenario, label: &str, t: &Target, args: &Args) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_ARG)
        .arg(sc.name())
        .arg(label)
        .env(ENV_URL, t.tcp_url())
        .env(ENV_THREADS, args.threads.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &t.socket {
        Some(p) => cmd.env(ENV_SOCKET, p),
        None => cmd.env_remove(ENV_SOCKET),
    };
    let mut child = cmd.spawn().map_err(|e| format!("spawn child: {e}"))?;
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().ok_or("no stdout pipe")?;
    let mut err_pipe = child.stderr.take().ok_or("no stderr pipe")?;
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let status = loop {
        match child.try_wait().map_err(|e| format!("wait: {e}"))? {
            Some(st) => break st,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", args.timeout_secs));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("child exited with {status}: {}", stderr.trim()));
    }
    for line in stdout.lines() {
        if let Some(s) = Sample::from_line(line) {
            return Ok(s);
        }
    }
    Err(format!("child printed no result; stderr: {}", stderr.trim()))
}
