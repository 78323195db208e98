//! Inputs of the catalog: browse filters and orders, and what admins and reviewers send.
use async_graphql::{Enum, ID, InputObject};

use crate::services::book::BookInput;
use crate::services::catalog::BookSort;

/// Narrows a list of books. Every field is optional; they combine with AND.
#[derive(InputObject, Default, Clone)]
#[graphql(name = "BookFilter")]
pub struct BookFilterInput {
    /// Only books in this category.
    pub category_id: Option<ID>,
    /// Only books by this author.
    pub author_id: Option<ID>,
    /// Lowest price, a decimal string such as "5.00".
    pub min_price: Option<String>,
    /// Highest price, a decimal string such as "20.00".
    pub max_price: Option<String>,
    /// Only books with at least one unit available.
    pub in_stock: Option<bool>,
}

impl BookFilterInput {
    /// The service-level filter, with BAD_USER_INPUT naming a malformed field.
    pub fn parse(&self) -> crate::error::Result<crate::services::catalog::BookFilter> {
        crate::services::catalog::BookFilter::parse(
            self.category_id.as_ref().map(|id| id.as_str()),
            self.author_id.as_ref().map(|id| id.as_str()),
            self.min_price.as_deref(),
            self.max_price.as_deref(),
            self.in_stock,
        )
    }
}

/// The order of a list of books.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "BookSort")]
pub enum BookSortInput {
    /// Alphabetical by title (the default).
    Title,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Most recently added to the catalog first.
    Newest,
    /// Best average rating first; unrated books last.
    Rating,
}

impl From<BookSortInput> for BookSort {
    fn from(sort: BookSortInput) -> Self {
        match sort {
            BookSortInput::Title => BookSort::Title,
            BookSortInput::PriceAsc => BookSort::PriceAsc,
            BookSortInput::PriceDesc => BookSort::PriceDesc,
            BookSortInput::Newest => BookSort::Newest,
            BookSortInput::Rating => BookSort::Rating,
        }
    }
}

/// A new book.
#[derive(InputObject)]
pub struct CreateBookInput {
    /// ISBN-10 or ISBN-13, hyphens and spaces allowed; stored as ISBN-13.
    pub isbn: String,
    /// Title, 1..300 characters.
    pub title: String,
    /// Subtitle.
    pub subtitle: Option<String>,
    /// What the book is about.
    pub description: Option<String>,
    /// Price as a decimal string, at most 2 decimals, not negative.
    pub price: String,
    /// ISO 4217 code of a supported currency; USD by default.
    pub currency: Option<String>,
    /// Authors in credit order; new names create authors.
    pub author_names: Vec<String>,
    /// Category slugs; new slugs create categories.
    #[graphql(default)]
    pub category_slugs: Vec<String>,
    /// Publisher.
    pub publisher: Option<String>,
    /// Year of first publication (negative for BCE).
    pub published_year: Option<i32>,
    /// Number of pages.
    pub page_count: Option<i32>,
    /// Search keywords.
    #[graphql(default)]
    pub keywords: Vec<String>,
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
pub struct UpdateBookInput {
    /// New ISBN-10 or ISBN-13.
    pub isbn: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New subtitle (empty clears it).
    pub subtitle: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New price as a decimal string; a change notifies watchers and priceChanged subscribers.
    pub price: Option<String>,
    /// New currency.
    pub currency: Option<String>,
    /// Replaces the authors.
    pub author_names: Option<Vec<String>>,
    /// Replaces the categories.
    pub category_slugs: Option<Vec<String>>,
    /// New publisher (empty clears it).
    pub publisher: Option<String>,
    /// New year of first publication.
    pub published_year: Option<i32>,
    /// New page count.
    pub page_count: Option<i32>,
    /// Replaces the keywords.
    pub keywords: Option<Vec<String>>,
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

/// A new warehouse.
#[derive(InputObject)]
pub struct CreateWarehouseInput {
    /// Unique name, 1..100 characters.
    pub name: String,
    /// Region, e.g. "eu-west".
    pub region: String,
}

/// The units on hand of a book in one warehouse.
#[derive(InputObject)]
pub struct SetStockInput {
    /// The book.
    pub book_id: ID,
    /// The warehouse.
    pub warehouse_id: ID,
    /// Units on hand, ≥ 0 and not below what carts hold there.
    pub on_hand: i32,
}

/// A review of a book.
#[derive(InputObject)]
pub struct AddReviewInput {
    /// The book.
    pub book_id: ID,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
    /// Headline, up to 200 characters.
    pub title: Option<String>,
    /// Text, up to 10000 characters.
    pub body: Option<String>,
}
