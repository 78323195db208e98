//! What an admin sends to add or change a book.
use async_graphql::InputObject;

use crate::services::catalog::book_input::BookInput;

/// A new book.
#[derive(InputObject)]
pub(crate) struct CreateBookInput {
    /// ISBN-10 or ISBN-13, hyphens and spaces allowed; stored as ISBN-13.
    pub(crate) isbn: String,
    /// Title, 1..300 characters.
    pub(crate) title: String,
    /// Subtitle.
    pub(crate) subtitle: Option<String>,
    /// What the book is about.
    pub(crate) description: Option<String>,
    /// Price as a decimal string, at most 2 decimals, not negative.
    pub(crate) price: String,
    /// ISO 4217 code of a supported currency; USD by default.
    pub(crate) currency: Option<String>,
    /// Authors in credit order; new names create authors.
    pub(crate) author_names: Vec<String>,
    /// Category slugs; new slugs create categories.
    #[graphql(default)]
    pub(crate) category_slugs: Vec<String>,
    /// Publisher.
    pub(crate) publisher: Option<String>,
    /// Year of first publication (negative for BCE).
    pub(crate) published_year: Option<i32>,
    /// Number of pages.
    pub(crate) page_count: Option<i32>,
    /// Search keywords.
    #[graphql(default)]
    pub(crate) keywords: Vec<String>,
}

impl From<CreateBookInput> for BookInput {
    fn from(i: CreateBookInput) -> Self {
        BookInput {
            isbn: Some(i.isbn),
            title: Some(i.title),
            subtitle: i.subtitle,
            description: i.description,
            price: Some(i.price),
            currency: i.currency,
            author_names: Some(i.author_names),
            category_slugs: Some(i.category_slugs),
            publisher: i.publisher,
            published_year: i.published_year,
            page_count: i.page_count,
            keywords: Some(i.keywords),
        }
    }
}

/// Changes to a book; omitted fields stay as they are.
#[derive(InputObject)]
pub(crate) struct UpdateBookInput {
    /// New ISBN-10 or ISBN-13.
    pub(crate) isbn: Option<String>,
    /// New title.
    pub(crate) title: Option<String>,
    /// New subtitle (empty clears it).
    pub(crate) subtitle: Option<String>,
    /// New description.
    pub(crate) description: Option<String>,
    /// New price as a decimal string; a change notifies watchers and priceChanged subscribers.
    pub(crate) price: Option<String>,
    /// New currency.
    pub(crate) currency: Option<String>,
    /// Replaces the authors.
    pub(crate) author_names: Option<Vec<String>>,
    /// Replaces the categories.
    pub(crate) category_slugs: Option<Vec<String>>,
    /// New publisher (empty clears it).
    pub(crate) publisher: Option<String>,
    /// New year of first publication.
    pub(crate) published_year: Option<i32>,
    /// New page count.
    pub(crate) page_count: Option<i32>,
    /// Replaces the keywords.
    pub(crate) keywords: Option<Vec<String>>,
}

impl From<UpdateBookInput> for BookInput {
    fn from(i: UpdateBookInput) -> Self {
        BookInput {
            isbn: i.isbn,
            title: i.title,
            subtitle: i.subtitle,
            description: i.description,
            price: i.price,
            currency: i.currency,
            author_names: i.author_names,
            category_slugs: i.category_slugs,
            publisher: i.publisher,
            published_year: i.published_year,
            page_count: i.page_count,
            keywords: i.keywords,
        }
    }
}
