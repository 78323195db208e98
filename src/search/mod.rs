//! Full-text search over the catalog, behind one trait with two implementations:
//! - [`TantivyIndex`]: embedded, in the data dir (the default; one per instance);
//! - [`ElasticIndex`]: Elasticsearch, shared by every instance, when `ELASTICSEARCH_URL` is set.
//!
//! Each backend runs its own queries; what they share lives here: the document a book becomes
//! (`document`), and the type-ahead ranking (`suggestion`), so both suggest the same things in the
//! same order.
//!
//! The index is never written by requests. It follows the database through the outbox: the relay
//! (`services::updates::relay`) reads committed changes in order and applies them in batches, together with the
//! outbox id they reach, so an index that was down catches up where it stopped and a write never
//! fails because search is unavailable.
mod document;
mod elastic;
mod suggestion;
mod tantivy;

use async_trait::async_trait;

pub use document::BookDocument;
pub(crate) use document::load_documents;
pub use elastic::ElasticIndex;
pub use tantivy::TantivyIndex;

use crate::domain::book::BookFilter;
use crate::error::Result;

/// A batch of changes for the index, and how far into the outbox it brings the index.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Books to add or replace.
    pub upserts: Vec<BookDocument>,
    /// Books to remove.
    pub deletes: Vec<i64>,
    /// The outbox id this batch brings the index up to.
    pub up_to: i64,
}

/// A search as the client asks it.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub text: String,
    pub filter: BookFilter,
    pub offset: usize,
    pub limit: usize,
}

/// What a search found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResults {
    /// Matching books on the requested page, best first, with their relevance scores.
    pub hits: Vec<(i64, f32)>,
    /// How many books match in all.
    pub total: u64,
    /// Category id → number of matching books, over the whole match set.
    pub facets: Vec<(i64, u64)>,
}

/// What a type-ahead suggestion points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Suggestion {
    /// A book whose title starts with (a word starting with) the prefix.
    Title { text: String, book_id: i64 },
    /// An author whose name does.
    Author { text: String, author_id: i64 },
}

/// A search index of the catalog.
#[async_trait]
pub trait SearchIndex: Send + Sync + 'static {
    /// Applies a batch and records `batch.up_to` with it, atomically where the backend can.
    async fn apply(&self, batch: Batch) -> Result<()>;

    /// The outbox id the index has applied up to (0 for a new or emptied index).
    async fn cursor(&self) -> Result<i64>;

    /// Empties the index (for `folio reindex`), cursor included.
    async fn clear(&self) -> Result<()>;

    /// Books matching the request, ranked by relevance.
    async fn search(&self, request: &SearchRequest) -> Result<SearchResults>;

    /// Titles and author names that start with `prefix`, best first.
    async fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>>;

    /// Tidies the index after a bulk load (a no-op where the backend manages this itself).
    async fn compact(&self) -> Result<()> {
        Ok(())
    }
}

/// The index shared by the process.
pub type SharedIndex = std::sync::Arc<dyn SearchIndex>;

/// Opens the index the configuration asks for.
pub async fn open(config: &crate::config::Config) -> anyhow::Result<SharedIndex> {
    Ok(match &config.elasticsearch_url {
        Some(url) => {
            std::sync::Arc::new(ElasticIndex::connect(url, &config.search_index_name).await?)
        }
        None => std::sync::Arc::new(TantivyIndex::open(&config.data_dir.join("search"))?),
    })
}

/// Splits a query into lower-case words, keeping letters and digits.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}
