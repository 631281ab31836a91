//! `amysql-cli`: manage migrations from the command line.
//!
//! ```text
//! amysql-cli [--database-url URL] [--source DIR] migrate add <name>
//! amysql-cli [--database-url URL] [--source DIR] migrate run | revert | info
//! ```
//! The URL defaults to `DATABASE_URL`; the source directory to `./migrations`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amysql::migrate::Migrator;

const USAGE: &str = "usage: amysql-cli [--database-url URL] [--source DIR] migrate <add NAME|run|revert|info>";

struct Args {
    url: Option<String>,
    source: PathBuf,
    command: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { url: std::env::var("DATABASE_URL").ok(), source: "migrations".into(), command: Vec::new() };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--database-url" => args.url = Some(it.next().ok_or("--database-url needs a value")?),
            "--source" => args.source = it.next().ok_or("--source needs a value")?.into(),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => args.command.push(a),
        }
    }
    Ok(args)
}

/// Creates `<next version>_<name>.up.sql` and `.down.sql`.
fn add(source: &Path, name: &str) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("migration name `{name}` must be letters, digits and underscores"));
    }
    std::fs::create_dir_all(source).map_err(|e| e.to_string())?;
    let next =
        Migrator::from_dir(source).map_err(|e| e.to_string())?.migrations.iter().map(|m| m.version).max().unwrap_or(0)
            + 1;
    for (suffix, body) in [("up", "-- Write the migration here.\n"), ("down", "-- Undo it here.\n")] {
        let path = source.join(format!("{next:04}_{name}.{suffix}.sql"));
        std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("created {}", path.display());
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    let cmd: Vec<&str> = args.command.iter().map(String::as_str).collect();
    if let ["migrate", "add", name] = cmd.as_slice() {
        return add(&args.source, name);
    }
    if !matches!(cmd.as_slice(), ["migrate", "run" | "revert" | "info"]) {
        return Err(USAGE.into());
    }
    let url = args.url.ok_or("set DATABASE_URL or pass --database-url")?;
    let migrator = Migrator::from_dir(&args.source).map_err(|e| e.to_string())?;
    let mut conn = amysql::connect(url.as_str()).await.map_err(|e| e.to_string())?;
    match cmd.as_slice() {
        ["migrate", "run"] => {
            let applied = migrator.run(&mut conn).await.map_err(|e| e.to_string())?;
            println!("applied {} migration(s): {applied:?}", applied.len());
        }
        ["migrate", "revert"] => {
            let status = migrator.status(&mut conn).await.map_err(|e| e.to_string())?;
            let Some(last) = status.iter().rev().find(|s| s.applied) else {
                println!("nothing to revert");
                return Ok(());
            };
            let before = status.iter().filter(|s| s.applied && s.version < last.version).map(|s| s.version).max();
            let reverted = migrator.undo(&mut conn, before.unwrap_or(0)).await.map_err(|e| e.to_string())?;
            println!("reverted {reverted:?}");
        }
        ["migrate", "info"] => {
            for s in migrator.status(&mut conn).await.map_err(|e| e.to_string())? {
                let state = if s.dirty {
                    "DIRTY"
                } else if s.checksum_mismatch {
                    "CHANGED"
                } else if s.applied {
                    "applied"
                } else {
                    "pending"
                };
                println!("{:>6}  {:<8} {}", s.version, state, s.description);
            }
        }
        _ => return Err(USAGE.into()),
    }
    conn.close().await.map_err(|e| e.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(args) => run(args).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("amysql-cli: {e}");
            ExitCode::FAILURE
        }
    }
}
