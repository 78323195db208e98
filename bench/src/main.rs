//! The `folio-bench` command: parse the command line and call into the load programs (see the
//! library's docs for what each one does).
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use folio::Config;
use folio::config::StoreArgs;
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
        Command::Seed {
            books,
            seed,
            store,
            elasticsearch_url,
        } => {
            let mut config = store_config(store);
            config.elasticsearch_url = elasticsearch_url;
            let db = folio::db::connect(&config).await?;
            folio::db::migrate(&db).await?;
            let started = Instant::now();
            let seeded = seed::seed(&db, books, seed)
                .await
                .map_err(|e| cause(e).context("seeding"))?;
            println!(
                "seeded {} books, {} authors, {} reviews in {:.1} s",
                seeded.books,
                seeded.authors,
                seeded.reviews,
                started.elapsed().as_secs_f64()
            );
            reindex(&config, &db).await
        }
        Command::Catalog {
            url,
            scenario,
            clients,
            seconds,
        } => {
            let scenarios = if scenario.is_empty() {
                catalog::Scenario::ALL.to_vec()
            } else {
                scenario
            };
            catalog::run(&url, &scenarios, &clients, Duration::from_secs(seconds)).await
        }
        Command::HotBook {
            url,
            store,
            buyers,
            units,
            seconds,
            holds_only,
        } => {
            let db = folio::db::connect(&store_config(store)).await?;
            let options = checkout::HotBook {
                url,
                buyers,
                units,
                duration: Duration::from_secs(seconds),
                holds_only,
            };
            checkout::run(&db, options).await
        }
        Command::Chat {
            url,
            store,
            jwt_secret,
            redis_url,
            connections,
            group_size,
            rate,
            seconds,
            idle_seconds,
            server_pid,
        } => {
            let db = folio::db::connect(&store_config(store)).await?;
            let options = chat::Chat {
                url,
                redis_url,
                jwt_secret,
                connections,
                group_size,
                rate,
                duration: Duration::from_secs(seconds),
                idle: Duration::from_secs(idle_seconds),
                server_pid,
            };
            chat::run(&db, options).await
        }
        Command::SqlBrowse {
            store,
            clients,
            seconds,
        } => {
            let db = folio::db::connect(&store_config(store)).await?;
            sql::run(db, &clients, Duration::from_secs(seconds)).await
        }
    }
}

/// Rebuilds the search index from the database, as `folio reindex` does: the seeder bypasses the
/// outbox, so the index learns of the new books only this way.
async fn reindex(config: &Config, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let started = Instant::now();
    let index = folio::search::open(config)
        .await
        .map_err(|e| anyhow::anyhow!("opening the search index (is a server using it?): {e}"))?;
    let count = folio::services::updates::relay::reindex(db, &index)
        .await
        .map_err(|e| cause(e).context("reindexing"))?;
    println!(
        "indexed {count} books in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The whole story of a service error, for the operator at the terminal (clients only ever see
/// the generic message of an internal error).
fn cause(err: folio::error::Error) -> anyhow::Error {
    match err {
        folio::error::Error::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}

fn store_config(store: StoreArgs) -> Config {
    let mut config = Config::embedded(store.data_dir);
    config.database_url = store.database_url;
    config
}
