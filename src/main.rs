//! The `folio` command: parse the command line and call into the library.
use std::process::ExitCode;

use clap::Parser;
use folio::config::{ServeArgs, StoreArgs};
use folio::{App, Config};
use sea_orm::ActiveEnum;

mod cli;
use cli::{Cli, Command, OperationsCommand, UserCommand};

/// jemalloc rather than the system's allocator. A server holding thousands of idle WebSockets keeps
/// a few dozen small long-lived allocations per connection among many short-lived ones; glibc's
/// malloc kept 21–25 KiB resident per idle connection where jemalloc (returning unused pages after
/// 1 s, see `.cargo/config.toml`) keeps about 16, and it spent less CPU per delivery (BENCHMARKS.md).
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
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries the banner and `folio schema`): human-readable on a terminal,
/// one JSON object per line when `FOLIO_LOG_FORMAT=json`. `FOLIO_LOG` filters, as `RUST_LOG` would.
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Schema) => {
            print!("{}", folio::graphql::sdl());
            Ok(())
        }
        Some(Command::Operations(OperationsCommand::Manifest { file })) => {
            let source = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let manifest = folio::operations::manifest::apollo_manifest(&source)
                .map_err(|e| e.context(format!("{}", file.display())))?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
        Some(Command::Migrate(store)) => {
            let config = store_config(store);
            let db = folio::db::connect(&config).await?;
            folio::db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Some(Command::Reindex {
            store,
            elasticsearch_url,
        }) => {
            let mut config = store_config(store);
            config.elasticsearch_url = elasticsearch_url;
            let db = folio::db::connect(&config).await?;
            folio::db::migrate(&db).await?;
            reindex(&config, &db).await
        }
        Some(Command::User(UserCommand::Create {
            email,
            password,
            name,
            admin,
            store,
        })) => {
            let config = store_config(store);
            let db = folio::db::connect(&config).await?;
            folio::db::migrate(&db).await?;
            let role = if admin {
                folio::domain::viewer::Role::Admin
            } else {
                folio::domain::viewer::Role::Customer
            };
            let new = folio::services::accounts::user::NewUser {
                email,
                password,
                name,
                role,
            };
            let user = folio::services::accounts::user::create_user(&db, new)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created user {} <{}> as {}",
                user.id,
                user.email,
                user.role.to_value()
            );
            Ok(())
        }
    }
}

async fn reindex(config: &Config, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    if config.database_url.is_some() && config.jwt_secret.is_none() {
        tracing::warn!(
            "FOLIO_JWT_SECRET is not set: tokens are signed with a secret from this instance's data \
             dir, so other instances will not accept them; set the same FOLIO_JWT_SECRET on every instance"
        );
    }
    let demo = config.demo;
    let app = App::build(config).await?;
    let loaded = if demo {
        let loaded = folio::demo::load_if_empty(&app.state.db)
            .await
            .map_err(|e| cause(e).context("loading the demo data"))?;
        if loaded.books > 0 {
            tracing::info!(books = loaded.books, "loaded the demo catalog");
        }
        loaded.accounts
    } else {
        false
    };
    let url = format!("http://{}/", app.addr);
    println!("Folio is listening on {url}");
    println!("  GraphQL:    {url}graphql (POST, GET, WebSocket, SSE)");
    println!("  Playground: {url}");
    if demo {
        println!(
            "  Demo admin: {} / {}{}",
            folio::demo::ADMIN.0,
            folio::demo::ADMIN.1,
            if loaded { "" } else { " (if unchanged)" }
        );
        println!(
            "  Demo customer: {} / {}",
            folio::demo::CUSTOMER.0,
            folio::demo::CUSTOMER.1
        );
    }
    wait_for_signal().await;
    tracing::info!("draining");
    app.shutdown().await?;
    tracing::info!("stopped");
    Ok(())
}

/// Waits for SIGTERM or Ctrl-C.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
