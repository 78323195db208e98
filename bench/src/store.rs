//! The database and search index a load program shares with the server it measures, named by the
//! same `--data-dir` / `--database-url` flags as `folio serve`'s, so that the users and books a
//! program writes are the ones the server reads.
use std::time::Instant;

use folio::Config;
use folio::config::StoreArgs;
use sea_orm::DatabaseConnection;

/// The server's configuration as far as these flags name it; everything else keeps the embedded
/// defaults, which no program reads.
pub(crate) fn config(store: &StoreArgs) -> Config {
    let mut config = Config::embedded(store.data_dir.clone());
    config.database_url = store.database_url.clone();
    config
}

/// Connects to the server's database, without migrating it: the server has, when it started
/// (`seed`, which may come first, migrates for itself).
pub(crate) async fn connect(store: &StoreArgs) -> anyhow::Result<DatabaseConnection> {
    folio::db::connect(&config(store)).await
}

/// Rebuilds the search index from the database, as `folio reindex` does: the seeder bypasses the
/// outbox, so the index learns of the new books only this way.
pub(crate) async fn reindex(config: &Config, db: &DatabaseConnection) -> anyhow::Result<()> {
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
pub(crate) fn cause(err: folio::error::Error) -> anyhow::Error {
    match err {
        folio::error::Error::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}
