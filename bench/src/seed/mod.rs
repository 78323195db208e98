//! `folio-bench seed --books N`: a reproducible synthetic catalog for benchmarks. Rows are written with
//! multi-row inserts in large transactions (no per-book service call, no outbox row), and the
//! search index is rebuilt from the tables afterwards, so a million books load in minutes.
mod insert;
mod words;

use std::time::Instant;

use folio::config::StoreArgs;
use folio::domain::isbn;
use folio::entities::outbox;
use folio::entities::{author, book, book_author, book_category, review, stock, user, warehouse};
use folio::error::Result;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, TransactionTrait};

use crate::rng::Rng;
use crate::store;
use insert::{insert_chunks, next_id};
use words::{ADJECTIVES, CATEGORIES, FIRST_NAMES, LAST_NAMES, NOUNS, TOPICS};

/// Books per transaction.
const BOOKS_PER_TXN: u64 = 10_000;

/// The flags of `folio-bench seed`.
#[derive(Clone, Debug, clap::Args)]
pub struct Seed {
    /// How many books to add.
    #[arg(long)]
    pub books: u64,
    /// Seed of the generator: the same seed gives the same catalog.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Elasticsearch URL, when the index to rebuild is there.
    #[arg(long, env = "ELASTICSEARCH_URL")]
    pub elasticsearch_url: Option<String>,
}

/// Adds the books and rebuilds the search index; prints what was added and how long it took.
pub async fn run(options: Seed) -> anyhow::Result<()> {
    let mut config = store::config(&options.store);
    config.elasticsearch_url = options.elasticsearch_url;
    let db = folio::db::connect(&config).await?;
    // The seeder may be the first to open a new database, before any server has migrated it.
    folio::db::migrate(&db).await?;
    let started = Instant::now();
    let seeded = seed(&db, options.books, options.seed)
        .await
        .map_err(|e| store::cause(e).context("seeding"))?;
    println!(
        "seeded {} books, {} authors, {} reviews in {:.1} s",
        seeded.books,
        seeded.authors,
        seeded.reviews,
        started.elapsed().as_secs_f64()
    );
    store::reindex(&config, &db).await
}

/// What `seed` created.
#[derive(Debug, Default)]
struct Seeded {
    books: u64,
    authors: u64,
    reviews: u64,
}

/// Adds `count` synthetic books (with authors, categories, stock in two warehouses and reviews) to
/// the catalog, reproducibly from `seed`.
async fn seed(db: &DatabaseConnection, count: u64, seed: u64) -> Result<Seeded> {
    let mut rng = Rng(seed);
    let now = chrono::Utc::now();
    let backend = db.get_database_backend();
    let first_book = next_id(db, "books").await?;
    let first_author = next_id(db, "authors").await?;
    let first_user = next_id(db, "users").await?;

    let mut category_ids = Vec::new();
    for (slug, name) in CATEGORIES {
        category_ids.push(
            folio::services::catalog::category::find_or_create_category(db, slug, name)
                .await?
                .id,
        );
    }
    let mut warehouse_ids = Vec::new();
    for (name, region) in [("Seed North", "eu-north"), ("Seed South", "us-south")] {
        let found = warehouse::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .find(|w| w.name == name);
        let id = match found {
            Some(w) => w.id,
            None => {
                folio::services::inventory::warehouse::create_warehouse(db, name, region)
                    .await?
                    .id
            }
        };
        warehouse_ids.push(id);
    }

    // Readers who write the reviews; they share one password hash, as hashing a thousand
    // passwords would dominate the run.
    let readers = (count / 100).clamp(10, 10_000);
    let hash = folio::auth::hash_password("seeded-reader")?;
    let users: Vec<user::ActiveModel> = (0..readers)
        .map(|i| user::ActiveModel {
            id: Set(first_user + i as i64),
            email: Set(format!("reader{}.{seed}@seed.folio", first_user + i as i64)),
            name: Set(format!(
                "{} {}",
                rng.pick(FIRST_NAMES),
                rng.pick(LAST_NAMES)
            )),
            password_hash: Set(hash.clone()),
            role: Set(folio::domain::viewer::Role::Customer),
            disabled: Set(false),
            created_at: Set(now),
        })
        .collect();
    insert_chunks(db, users).await?;

    let author_count = (count / 8).max(1);
    let authors: Vec<author::ActiveModel> = (0..author_count)
        .map(|i| {
            let name = format!(
                "{} {} {}",
                rng.pick(FIRST_NAMES),
                rng.pick(LAST_NAMES),
                first_author + i as i64
            );
            author::ActiveModel {
                id: Set(first_author + i as i64),
                name_key: Set(name.to_lowercase()),
                name: Set(name),
                bio: Set(Some(format!(
                    "Writes about {} and {}.",
                    rng.pick(TOPICS),
                    rng.pick(TOPICS)
                ))),
                created_at: Set(now),
            }
        })
        .collect();
    insert_chunks(db, authors).await?;

    let mut done = Seeded {
        authors: author_count,
        ..Default::default()
    };
    let mut start = 0u64;
    while start < count {
        let end = (start + BOOKS_PER_TXN).min(count);
        let txn = db.begin().await?;
        let (mut books, mut links, mut shelves, mut stocks, mut reviews) =
            (vec![], vec![], vec![], vec![], vec![]);
        for n in start..end {
            let id = first_book + n as i64;
            let title = format!("The {} {} {}", rng.pick(ADJECTIVES), rng.pick(NOUNS), id);
            let topic = rng.pick(TOPICS);
            let description = format!(
                "A {} novel about {} and {}, set between the {} and the {}.",
                rng.pick(ADJECTIVES).to_lowercase(),
                topic,
                rng.pick(TOPICS),
                rng.pick(NOUNS).to_lowercase(),
                rng.pick(NOUNS).to_lowercase()
            );
            let mut rating_count = 0;
            let mut rating_sum = 0;
            let mut reviewers: Vec<i64> = Vec::new();
            for _ in 0..rng.below(3) {
                let rating = 1 + rng.below(5) as i32;
                let reader = first_user + rng.below(readers) as i64;
                // One review per reader and book, as the unique index demands.
                if reviewers.contains(&reader) {
                    continue;
                }
                reviewers.push(reader);
                rating_count += 1;
                rating_sum += rating;
                reviews.push(review::ActiveModel {
                    book_id: Set(id),
                    user_id: Set(reader),
                    rating: Set(rating),
                    title: Set(Some(format!("On {topic}"))),
                    body: Set(Some(format!("A book about {topic}. {} stars.", rating))),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
            books.push(book::ActiveModel {
                id: Set(id),
                isbn: Set(isbn::synthetic(id as u64).as_str().to_owned()),
                title_key: Set(title.to_lowercase()),
                title: Set(title),
                subtitle: Set(None),
                description: Set(description),
                publisher: Set(Some(format!("{} Press", rng.pick(NOUNS)))),
                published_year: Set(Some(1800 + rng.below(226) as i32)),
                page_count: Set(Some(80 + rng.below(900) as i32)),
                keywords: Set(serde_json::to_string(&[topic, rng.pick(TOPICS)]).unwrap_or_default()),
                price_minor: Set(299 + rng.below(3700) as i64),
                currency: Set("USD".into()),
                rating_count: Set(rating_count),
                rating_sum: Set(rating_sum),
                rating_key: Set(book::rating_key(rating_sum, rating_count)),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
            });
            let first = first_author + rng.below(author_count) as i64;
            links.push(book_author::ActiveModel {
                book_id: Set(id),
                author_id: Set(first),
                position: Set(0),
            });
            if rng.below(10) == 0 {
                let second = first_author + rng.below(author_count) as i64;
                if second != first {
                    links.push(book_author::ActiveModel {
                        book_id: Set(id),
                        author_id: Set(second),
                        position: Set(1),
                    });
                }
            }
            let shelf = category_ids[rng.below(category_ids.len() as u64) as usize];
            shelves.push(book_category::ActiveModel {
                book_id: Set(id),
                category_id: Set(shelf),
            });
            let other = category_ids[rng.below(category_ids.len() as u64) as usize];
            if other != shelf && rng.below(3) == 0 {
                shelves.push(book_category::ActiveModel {
                    book_id: Set(id),
                    category_id: Set(other),
                });
            }
            for warehouse_id in &warehouse_ids {
                // About one book in eight is out of stock in a warehouse, some are low.
                let on_hand = if rng.below(8) == 0 {
                    0
                } else {
                    rng.below(40) as i32
                };
                stocks.push(stock::ActiveModel {
                    book_id: Set(id),
                    warehouse_id: Set(*warehouse_id),
                    on_hand: Set(on_hand),
                    held: Set(0),
                });
            }
        }
        done.books += books.len() as u64;
        done.reviews += reviews.len() as u64;
        insert_chunks(&txn, books).await?;
        insert_chunks(&txn, links).await?;
        insert_chunks(&txn, shelves).await?;
        insert_chunks(&txn, stocks).await?;
        insert_chunks(&txn, reviews).await?;
        txn.commit().await?;
        start = end;
        tracing::info!(books = end, of = count, "seeding");
    }
    if backend == DbBackend::Postgres {
        // Explicit ids leave the sequences behind; move them past what was written.
        for table in ["books", "authors", "users", "reviews"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await?;
        }
    }
    // Fresh statistics (both databases keep them): without them PostgreSQL takes the new
    // million-row tables for empty and scans them whole for every batch the reindex reads.
    db.execute_unprepared("ANALYZE").await?;
    // The outbox is bypassed; record one row so every index follower knows to look again.
    outbox::record(
        db,
        &outbox::Change::BookChanged {
            book_id: first_book,
        },
    )
    .await?;
    Ok(done)
}
