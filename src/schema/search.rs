//! Search results and type-ahead suggestions.
use async_graphql::{Enum, ID, Object, SimpleObject};

use crate::domain::cursor::search_cursor;
use crate::entities::book;
use crate::schema::book::Book;
use crate::schema::category::Category;
use crate::schema::connection::PageInfo;
use crate::search;
use crate::services::catalog::search::SearchPage;

/// A page of search results, best match first.
pub(crate) struct SearchConnection(pub(crate) SearchPage);

/// A page of search results, best match first.
#[Object]
impl SearchConnection {
    /// How many books match, over all pages.
    async fn total_count(&self) -> u64 {
        self.0.total
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        let page = &self.0;
        let cursors: Vec<String> = (0..page.hits.len())
            .map(|i| search_cursor(page.offset + i))
            .collect();
        PageInfo::forward(cursors.iter(), page.has_next_page, page.offset > 0)
    }

    /// The matches on this page.
    async fn edges(&self) -> Vec<SearchEdge> {
        self.0
            .hits
            .iter()
            .enumerate()
            .map(|(i, (book, score))| SearchEdge {
                cursor: search_cursor(self.0.offset + i),
                score: f64::from(*score),
                book: book.clone(),
            })
            .collect()
    }

    /// Matches per category, over the whole match set (not just this page), most first.
    async fn facets(&self) -> Vec<CategoryFacet> {
        self.0
            .facets
            .iter()
            .map(|(category, count)| CategoryFacet {
                category: Category::from(category.clone()),
                count: *count,
            })
            .collect()
    }
}

/// One match.
pub(crate) struct SearchEdge {
    cursor: String,
    score: f64,
    book: book::Model,
}

/// One match.
#[Object]
impl SearchEdge {
    /// Pass as `after` to continue after this match.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// Relevance: higher is better; comparable only within one search.
    async fn score(&self) -> f64 {
        self.score
    }

    /// The book that matched.
    async fn node(&self) -> Book {
        Book(self.book.clone())
    }
}

/// The number of matches in one category.
#[derive(SimpleObject)]
pub(crate) struct CategoryFacet {
    /// The category the matches are shelved in.
    pub(crate) category: Category,
    /// Matching books in it.
    pub(crate) count: u64,
}

/// What a suggestion completes to.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SuggestionKind {
    /// A book title.
    Title,
    /// An author's name.
    Author,
}

/// A type-ahead completion.
#[derive(SimpleObject)]
pub(crate) struct Suggestion {
    /// The completed text to show.
    pub(crate) text: String,
    /// Whether it is a title or an author.
    pub(crate) kind: SuggestionKind,
    /// The book, for a title.
    pub(crate) book_id: Option<ID>,
    /// The author, for an author's name.
    pub(crate) author_id: Option<ID>,
}

impl From<search::Suggestion> for Suggestion {
    fn from(s: search::Suggestion) -> Self {
        match s {
            search::Suggestion::Title { text, book_id } => Suggestion {
                text,
                kind: SuggestionKind::Title,
                book_id: Some(ID(book_id.to_string())),
                author_id: None,
            },
            search::Suggestion::Author { text, author_id } => Suggestion {
                text,
                kind: SuggestionKind::Author,
                book_id: None,
                author_id: Some(ID(author_id.to_string())),
            },
        }
    }
}
