//! Opening the database (SQLite in the data dir, or PostgreSQL) and bringing its schema up to date.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;

/// Counts the SQL statements a connection pool runs: for `/metrics`, for the benchmarks' "statements
/// per request", and for the test that proves a page of books costs a fixed number of them.
#[derive(Clone, Default, Debug)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Connects to the configured database and counts its statements.
pub(crate) async fn connect_counted(
    config: &Config,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let mut db = connect(config).await?;
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    db.set_metric_callback(move |_info| {
        inner.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("folio_sql_statements_total").increment(1);
    });
    Ok((db, counter))
}

/// Connects to the configured database, creating the data dir for SQLite.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if sqlite { 8 } else { 32 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if sqlite {
        // WAL lets readers proceed while one writer commits; it is a property of the file, so once is
        // enough. Writers still take turns, which is what makes guarded updates safe on SQLite.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    Ok(db)
}

/// Applies pending migrations. On PostgreSQL an advisory lock makes instances that start together
/// take turns instead of racing to create the same tables.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7234001)")
            .await?;
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
    } else {
        Migrator::up(db, None).await?;
    }
    Ok(())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`): a transaction that read first and wrote later could otherwise fail at its
/// first write with SQLITE_BUSY when another writer committed in between, which no busy timeout
/// retries. Taken up front, writers queue on the busy timeout instead. PostgreSQL begins normally.
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    } else {
        db.begin().await
    }
}

/// Begins a writing transaction whose commit does not wait for the disk (on PostgreSQL,
/// `synchronous_commit = off` for this transaction only), for the write on a hot book's path that a
/// database crash may undo without harm: a cart change (line, hold and stock together). A crash can
/// lose the last fraction of a second of them, each one whole, and holds lapse within minutes anyway.
///
/// Orders, keys and everything else commit synchronously, and a synchronous commit makes every
/// earlier one durable too. The point is the hot book: its stock row stays locked until the commit,
/// and not waiting for the disk there shortens the lock for every buyer queued behind it.
pub(crate) async fn begin_write_unflushed(
    db: &DatabaseConnection,
) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    let txn = begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF")
            .await?;
    }
    Ok(txn)
}

/// Whether the database answers (for `/readyz`).
pub(crate) async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
