//! The `Book` type and its connection.
use async_graphql::{Context, Enum, ID, Object, Result, ResultExt};

use crate::entities::book;
use crate::loaders::{Loaders, gql_error};
use crate::resolvers::state;
use crate::schema::connection::PageInfo;
use crate::schema::{Author, Category, Money, ReviewConnection};
use crate::services::catalog::{self, BookFilter, BookSort};
use crate::services::page::Page;
use crate::services::{review, stock};

/// Whether a book can be bought now, from its available (on hand minus held) stock.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum StockStatus {
    /// More than the low-stock threshold is available.
    InStock,
    /// Some, but no more than the low-stock threshold (5 by default), is available.
    LowStock,
    /// Nothing is available.
    OutOfStock,
}

impl StockStatus {
    /// The status of `available` units given the low-stock threshold.
    pub fn of(available: i64, low_stock_threshold: i64) -> Self {
        if available <= 0 {
            StockStatus::OutOfStock
        } else if available <= low_stock_threshold {
            StockStatus::LowStock
        } else {
            StockStatus::InStock
        }
    }
}

/// A book the store sells.
pub struct Book(pub book::Model);

/// A book the store sells.
#[Object]
impl Book {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// ISBN-13, digits only.
    async fn isbn(&self) -> &str {
        &self.0.isbn
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Subtitle, if any.
    async fn subtitle(&self) -> Option<&str> {
        self.0.subtitle.as_deref()
    }

    /// What the book is about.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Publisher of this edition, if known.
    async fn publisher(&self) -> Option<&str> {
        self.0.publisher.as_deref()
    }

    /// Year of first publication (negative for BCE), if known.
    async fn published_year(&self) -> Option<i32> {
        self.0.published_year
    }

    /// Number of pages of this edition, if known.
    async fn page_count(&self) -> Option<i32> {
        self.0.page_count
    }

    /// Search keywords, lower-case.
    async fn keywords(&self) -> Vec<String> {
        self.0.keyword_list()
    }

    /// Current price.
    async fn price(&self) -> Money {
        Money::from_minor(self.0.price_minor, &self.0.currency)
    }

    /// Authors, in credit order.
    async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<Author>> {
        let authors = ctx
            .data_unchecked::<Loaders>()
            .authors_of_book
            .load_one(self.0.id)
            .await;
        Ok(authors
            .map_err(gql_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Author)
            .collect())
    }

    /// Categories the book is shelved in, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let categories = ctx
            .data_unchecked::<Loaders>()
            .categories_of_book
            .load_one(self.0.id)
            .await;
        Ok(categories
            .map_err(gql_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Category::from)
            .collect())
    }

    /// Units that can be added to a cart right now: on hand minus held, over all warehouses.
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        available(ctx, self.0.id).await
    }

    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    async fn stock_status(&self, ctx: &Context<'_>) -> Result<StockStatus> {
        let threshold = state(ctx).config.low_stock_threshold;
        Ok(StockStatus::of(available(ctx, self.0.id).await?, threshold))
    }

    /// Average rating (1..5), or null when there are no reviews.
    async fn average_rating(&self) -> Option<f64> {
        self.0
            .average_rating()
            .map(|avg| (avg * 100.0).round() / 100.0)
    }

    /// Number of reviews.
    async fn review_count(&self) -> i32 {
        self.0.rating_count
    }

    /// Reviews, newest first.
    #[graphql(complexity = "first.max(0) as usize * child_complexity")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.", default = 10)] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<ReviewConnection> {
        let page = review::reviews_of(&state(ctx).db, self.0.id, first, after.as_deref())
            .await
            .extend()?;
        Ok(ReviewConnection::new(self.0.id, page, after.is_some()))
    }

    /// When the book entered the catalog.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When the book last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

async fn available(ctx: &Context<'_>, book_id: i64) -> Result<i64> {
    let rows = ctx
        .data_unchecked::<Loaders>()
        .stock_of_book
        .load_one(book_id)
        .await;
    Ok(stock::available(
        &rows.map_err(gql_error)?.unwrap_or_default(),
    ))
}

/// A page of books.
pub struct BookConnection {
    pub(crate) filter: BookFilter,
    pub(crate) page: Page<book::Model>,
    pub(crate) after: bool,
}

impl BookConnection {
    /// The page of books under `filter` in `sort` order after `after`, with what its selection asks
    /// of them prefetched: the one way every books list is read.
    pub async fn load(
        ctx: &Context<'_>,
        filter: BookFilter,
        sort: BookSort,
        first: i32,
        after: Option<String>,
    ) -> Result<Self> {
        let state = state(ctx);
        let plan = catalog::shelf_plan(&state.db, &state.counts, &filter)
            .await
            .extend()?;
        let page = catalog::browse(&state.db, &filter, plan, sort, first, after.as_deref())
            .await
            .extend()?;
        let ids: Vec<i64> = page.items.iter().map(|(_, b)| b.id).collect();
        crate::loaders::prefetch_books(ctx, &ids).await?;
        Ok(BookConnection {
            filter,
            page,
            after: after.is_some(),
        })
    }
}

/// A page of books.
#[Object]
impl BookConnection {
    /// How many books match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let state = state(ctx);
        state.counts.count(&state.db, &self.filter).await.extend()
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        PageInfo::forward(
            self.page.items.iter().map(|(c, _)| c),
            self.page.has_next_page,
            self.after,
        )
    }

    /// The books on this page.
    async fn edges(&self) -> Vec<BookEdge<'_>> {
        self.page
            .items
            .iter()
            .map(|(cursor, book)| BookEdge { cursor, book })
            .collect()
    }
}

/// A book on a page.
pub struct BookEdge<'a> {
    cursor: &'a str,
    book: &'a book::Model,
}

/// A book on a page.
#[Object]
impl BookEdge<'_> {
    /// Pass as `after` to continue after this book.
    async fn cursor(&self) -> &str {
        self.cursor
    }

    /// The book.
    async fn node(&self) -> Book {
        Book(self.book.clone())
    }
}
