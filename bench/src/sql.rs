//! `folio-bench sql-browse`: the statements behind a Browse page, run directly on the database with
//! concurrent connections, as the ceiling Folio's own Browse throughput is compared with. These are
//! the statements Folio runs once the page's count is cached: the keyset page, then one batch each
//! for book–author links, authors, book–category links, categories and stock.
use std::time::{Duration, Instant};

use folio::config::StoreArgs;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::rng::Rng;
use crate::samples::{Samples, TABLE_HEADER};
use crate::store;

fn placeholders(backend: DbBackend, from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn page(db: &DatabaseConnection, title_key: &str, id: i64) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let page_sql = format!(
        "SELECT id, isbn, title, title_key, price_minor, currency, rating_count, rating_sum, rating_key \
         FROM books WHERE deleted_at IS NULL AND (title_key, id) > ({}) ORDER BY title_key, id LIMIT 21",
        placeholders(backend, 1, 2)
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            page_sql,
            [title_key.into(), id.into()],
        ))
        .await?;
    let ids: Vec<Value> = rows
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "id").ok())
        .take(20)
        .map(Value::from)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let list = placeholders(backend, 1, ids.len());
    let links = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT book_id, author_id, position FROM book_authors WHERE book_id IN ({list}) ORDER BY book_id, position"),
            ids.clone(),
        ))
        .await?;
    let author_ids: Vec<Value> = links
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "author_id").ok())
        .map(Value::from)
        .collect();
    let shelves = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT book_id, category_id FROM book_categories WHERE book_id IN ({list})"),
            ids.clone(),
        ))
        .await?;
    let category_ids: Vec<Value> = shelves
        .iter()
        .filter_map(|r| r.try_get::<i64>("", "category_id").ok())
        .map(Value::from)
        .collect();
    for (table, values) in [("authors", author_ids), ("categories", category_ids)] {
        if !values.is_empty() {
            let list = placeholders(backend, 1, values.len());
            db.query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT * FROM {table} WHERE id IN ({list})"),
                values,
            ))
            .await?;
        }
    }
    db.query_all_raw(Statement::from_sql_and_values(
        backend,
        format!("SELECT * FROM stock WHERE book_id IN ({list}) ORDER BY warehouse_id"),
        ids,
    ))
    .await?;
    Ok(())
}

/// The flags of `folio-bench sql-browse`.
#[derive(Clone, Debug, clap::Args)]
pub struct SqlBrowse {
    /// The database to read, as the server names it.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Numbers of concurrent connections.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    pub clients: Vec<usize>,
    /// Seconds per measured run.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
}

/// Runs the Browse page's statements with each number of clients; prints a table.
pub async fn run(options: SqlBrowse) -> anyhow::Result<()> {
    let db = store::connect(&options.store).await?;
    let duration = Duration::from_secs(options.seconds);
    // Starting points spread over the whole title order, as the HTTP benchmark's pages are.
    let backend = db.get_database_backend();
    let starts: Vec<(String, i64)> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT title_key, id FROM books WHERE deleted_at IS NULL AND id % 997 = 0 ORDER BY id LIMIT 2000",
        ))
        .await?
        .into_iter()
        .filter_map(|r| Some((r.try_get::<String>("", "title_key").ok()?, r.try_get::<i64>("", "id").ok()?)))
        .collect();
    anyhow::ensure!(
        !starts.is_empty(),
        "the catalog is empty: run folio-bench seed first"
    );
    let count_started = Instant::now();
    db.query_one_raw(Statement::from_string(
        backend,
        "SELECT COUNT(*) FROM books WHERE deleted_at IS NULL",
    ))
    .await?;
    println!(
        "bare COUNT(*) over the catalog: {:.1} ms (Folio caches it per filter)\n",
        count_started.elapsed().as_secs_f64() * 1000.0
    );
    println!("{TABLE_HEADER}");
    for &n in &options.clients {
        let started = Instant::now();
        let deadline = started + duration;
        let mut tasks = Vec::new();
        for client in 0..n {
            let (db, starts) = (db.clone(), starts.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0x5E1 + client as u64);
                let mut samples = Samples::default();
                while Instant::now() < deadline {
                    let (key, id) = &starts[rng.below(starts.len() as u64) as usize];
                    let sent = Instant::now();
                    let outcome = page(&db, key, *id).await;
                    samples.record(sent, &outcome);
                }
                samples
            }));
        }
        let mut all = Samples::gather(started, tasks).await;
        println!("{}", all.row("bare SQL of a Browse page", n));
    }
    Ok(())
}
