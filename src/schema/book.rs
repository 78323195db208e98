//! The `Book` type.
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::entities::book;
use crate::error::Error;
use crate::loaders::gql_error;
use crate::schema::author::Author;
use crate::schema::category::Category;
use crate::schema::connection::{Connection, selects_total_count};
use crate::schema::context::{loaders, state};
use crate::schema::money::Money;
use crate::schema::review::Review;
use crate::schema::stock::StockStatus;
use crate::services::catalog::review;
use crate::services::inventory::level;

/// A book the store sells.
pub(crate) struct Book(pub(crate) book::Model);

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
        let authors = loaders(ctx)?.authors_of_book.load_one(self.0.id).await;
        Ok(authors
            .map_err(gql_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Author::from)
            .collect())
    }

    /// Categories the book is shelved in, by name.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let categories = loaders(ctx)?.categories_of_book.load_one(self.0.id).await;
        Ok(categories
            .map_err(gql_error)?
            .unwrap_or_default()
            .into_iter()
            .map(Category::from)
            .collect())
    }

    /// Units that can be added to a cart right now: on hand minus held, over all warehouses.
    // Stock moves with every cart: a shared cache keeps it 5 s at most.
    #[graphql(cache_control(max_age = 5))]
    async fn available(&self, ctx: &Context<'_>) -> Result<i64> {
        available(ctx, self.0.id).await
    }

    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    #[graphql(cache_control(max_age = 5))]
    async fn stock_status(&self, ctx: &Context<'_>) -> Result<StockStatus> {
        StockStatus::of(ctx, available(ctx, self.0.id).await?)
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
    ) -> Result<Connection<Review>> {
        let db = &state(ctx)?.db;
        let page = review::reviews_of(db, self.0.id, first, after.as_deref())
            .await
            .extend()?;
        let total = if selects_total_count(ctx) {
            review::count_reviews(db, self.0.id).await.extend()?
        } else {
            0
        };
        Ok(Connection::new(page, after.is_some(), total, Review))
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

/// Units available of a book, through the request's stock loader.
async fn available(ctx: &Context<'_>, book_id: i64) -> Result<i64> {
    let rows = loaders(ctx)?.stock_of_book.load_one(book_id).await;
    Ok(level::available(
        &rows.map_err(gql_error)?.unwrap_or_default(),
    ))
}

/// A book by id through the request's loader, deleted ones included (carts, orders and watches
/// keep them).
pub(crate) async fn load_book(ctx: &Context<'_>, book_id: i64) -> Result<Book> {
    loaders(ctx)?
        .book_by_id
        .load_one(book_id)
        .await
        .map_err(gql_error)?
        .map(Book)
        .ok_or(Error::NotFound("book"))
        .extend()
}
