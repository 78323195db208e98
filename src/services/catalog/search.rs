//! Searching the catalog: checks the request, asks the index for a page of ids (paged by offset:
//! relevance order is not a stable key, so search cursors are positions in the ranking), and reads
//! the page's books and its facets' categories.
use sea_orm::ConnectionTrait;

use crate::domain::book::BookFilter;
use crate::domain::cursor::search_offset_after;
use crate::domain::page::page_size;
use crate::entities::{book, category};
use crate::error::{Error, Result};
use crate::search::{SearchIndex, SearchRequest, SearchResults, Suggestion};
use crate::services::catalog::book::books_by_ids;
use crate::services::catalog::category::categories_by_ids;

/// Longest query accepted.
const MAX_QUERY_LEN: usize = 200;

/// What the index found for one page of a search, before its books are read.
pub(crate) struct Found {
    /// Position of the first hit in the whole ranking.
    offset: usize,
    results: SearchResults,
}

impl Found {
    /// The ids of the books on the page, best first.
    pub(crate) fn book_ids(&self) -> Vec<i64> {
        self.results.hits.iter().map(|(id, _)| *id).collect()
    }
}

/// A page of search results with its books and its facets' categories.
pub(crate) struct SearchPage {
    /// The books on this page that still exist, with their scores, best first.
    pub(crate) hits: Vec<(book::Model, f32)>,
    /// Position of the first hit in the whole ranking.
    pub(crate) offset: usize,
    /// How many books match in all.
    pub(crate) total: u64,
    pub(crate) has_next_page: bool,
    /// Matching books per category, over the whole match set, most first.
    pub(crate) facets: Vec<(category::Model, u64)>,
}

/// One page of the books matching `text`, best first, with the total and category facets, as the
/// index knows them: [`read_hits`] reads the books.
pub(crate) async fn search_books(
    index: &dyn SearchIndex,
    text: &str,
    filter: BookFilter,
    first: i32,
    after: Option<&str>,
) -> Result<Found> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::bad_input("query", "must not be empty"));
    }
    if text.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input(
            "query",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let limit = page_size(first)? as usize;
    let offset = after.map(search_offset_after).transpose()?.unwrap_or(0);
    let request = SearchRequest {
        text: text.to_owned(),
        filter,
        offset,
        limit,
    };
    let results = index.search(&request).await?;
    Ok(Found { offset, results })
}

/// The page of `found` with its books and facet categories, read at once. The index may briefly
/// still hold a book deleted a moment ago: it is left out.
pub(crate) async fn read_hits(db: &impl ConnectionTrait, found: Found) -> Result<SearchPage> {
    let Found { offset, results } = found;
    let ids: Vec<i64> = results.hits.iter().map(|(id, _)| *id).collect();
    let category_ids: Vec<i64> = results.facets.iter().map(|(id, _)| *id).collect();
    let (books, categories) =
        tokio::join!(books_by_ids(db, &ids), categories_by_ids(db, &category_ids));
    let (books, categories) = (books?, categories?);
    let hits = results
        .hits
        .iter()
        .filter_map(|(id, score)| {
            books
                .get(id)
                .filter(|b| b.deleted_at.is_none())
                .map(|b| (b.clone(), *score))
        })
        .collect();
    let facets = results
        .facets
        .iter()
        .filter_map(|(id, count)| {
            let category = categories.iter().find(|c| c.id == *id)?;
            Some((category.clone(), *count))
        })
        .collect();
    Ok(SearchPage {
        has_next_page: (offset + results.hits.len()) < results.total as usize,
        hits,
        offset,
        total: results.total,
        facets,
    })
}

/// Type-ahead suggestions for `prefix`, best first.
pub(crate) async fn suggest(
    index: &dyn SearchIndex,
    prefix: &str,
    first: i32,
) -> Result<Vec<Suggestion>> {
    let prefix = prefix.trim();
    if prefix.chars().count() > MAX_QUERY_LEN {
        return Err(Error::bad_input(
            "prefix",
            format!("must be at most {MAX_QUERY_LEN} characters"),
        ));
    }
    if !(1..=20).contains(&first) {
        return Err(Error::bad_input("first", "must be between 1 and 20"));
    }
    if prefix.is_empty() {
        return Ok(Vec::new());
    }
    index.suggest(prefix, first as usize).await
}
