//! The `folio-bench` command: parse the command line and call into the load programs (see the
//! library's docs for what each one does).
use std::process::ExitCode;

use clap::Parser;
use folio_bench::{catalog, chat, checkout, seed, sql};

mod cli;
use cli::{Cli, Command};

/// jemalloc, as in the `folio` binary: the load programs ran inside that binary when the figures in
/// BENCHMARKS.md were taken, and `chat` reports its own CPU time per delivery, which the allocator
/// is part of.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the tables), filtered by `FOLIO_LOG` as the server's are.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("FOLIO_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("FOLIO_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Seed(options) => seed::run(options).await,
        Command::Catalog(options) => catalog::run(options).await,
        Command::HotBook(options) => checkout::run(options).await,
        Command::Chat(options) => chat::run(options).await,
        Command::SqlBrowse(options) => sql::run(options).await,
    }
}
