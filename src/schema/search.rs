//! Search results and type-ahead suggestions.
use async_graphql::{Enum, ID, Object, SimpleObject};

use crate::entities::book;
use crate::schema::connection::PageInfo;
use crate::schema::{Book, Category};
use crate::services::search::cursor_at;

/// A page of search results, best match first.
pub struct SearchConnection {
    /// The books on this page that still exist, with their scores, in rank order.
    pub(crate) hits: Vec<(book::Model, f32)>,
    /// Position of the first hit in the whole ranking.
    pub(crate) offset: usize,
    pub(crate) total: u64,
    pub(crate) has_next_page: bool,
    pub(crate) facets: Vec<CategoryFacet>,
}

/// A page of search results, best match first.
#[Object]
impl SearchConnection {
    /// How many books match, over all pages.
    async fn total_count(&self) -> u64 {
        self.total
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        let cursors: Vec<String> = (0..self.hits.len())
            .map(|i| cursor_at(self.offset + i))
            .collect();
        PageInfo::forward(cursors.iter(), self.has_next_page, self.offset > 0)
    }

    /// The matches on this page.
    async fn edges(&self) -> Vec<SearchEdge> {
        self.hits
            .iter()
            .enumerate()
            .map(|(i, (book, score))| SearchEdge {
                cursor: cursor_at(self.offset + i),
                score: f64::from(*score),
                book: book.clone(),
            })
            .collect()
    }

    /// Matches per category, over the whole match set (not just this page), most first.
    async fn facets(&self) -> &[CategoryFacet] {
        &self.facets
    }
}

/// One match.
pub struct SearchEdge {
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

    /// The book.
    async fn node(&self) -> Book {
        Book(self.book.clone())
    }
}

/// The number of matches in one category.
#[derive(SimpleObject)]
pub struct CategoryFacet {
    /// The category.
    pub category: Category,
    /// Matching books in it.
    pub count: u64,
}

/// What a suggestion completes to.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SuggestionKind {
    /// A book title.
    Title,
    /// An author's name.
    Author,
}

/// A type-ahead completion.
#[derive(SimpleObject)]
pub struct Suggestion {
    /// The completed text to show.
    pub text: String,
    /// Whether it is a title or an author.
    pub kind: SuggestionKind,
    /// The book, for a title.
    pub book_id: Option<ID>,
    /// The author, for an author's name.
    pub author_id: Option<ID>,
}

impl From<crate::search::Suggestion> for Suggestion {
    fn from(s: crate::search::Suggestion) -> Self {
        match s {
            crate::search::Suggestion::Title { text, book_id } => Suggestion {
                text,
                kind: SuggestionKind::Title,
                book_id: Some(ID(book_id.to_string())),
                author_id: None,
            },
            crate::search::Suggestion::Author { text, author_id } => Suggestion {
                text,
                kind: SuggestionKind::Author,
                book_id: None,
                author_id: Some(ID(author_id.to_string())),
            },
        }
    }
}
