//! Price watches and the live price and stock updates.
use async_graphql::{Context, ID, Object, Result, SimpleObject};

use crate::entities::{book, price_watch};
use crate::schema::cart::load_book;
use crate::schema::{Book, Money, StockStatus};

/// A book whose price the viewer watches.
pub struct PriceWatch(pub price_watch::Model);

/// A book whose price the viewer watches.
#[Object]
impl PriceWatch {
    /// The book.
    async fn book(&self, ctx: &Context<'_>) -> Result<Book> {
        load_book(ctx, self.0.book_id).await
    }

    /// When the watch began.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// A committed change of a book's price.
pub struct PriceChange {
    pub(crate) book: book::Model,
    pub(crate) old_minor: i64,
    pub(crate) new_minor: i64,
    pub(crate) currency: String,
    pub(crate) changed_at: chrono::DateTime<chrono::Utc>,
}

/// A committed change of a book's price.
#[Object]
impl PriceChange {
    /// The book, as it is after the change.
    async fn book(&self) -> Book {
        Book(self.book.clone())
    }

    /// The price before.
    async fn old_price(&self) -> Money {
        Money::from_minor(self.old_minor, &self.currency)
    }

    /// The price now.
    async fn new_price(&self) -> Money {
        Money::from_minor(self.new_minor, &self.currency)
    }

    /// When it changed.
    async fn changed_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.changed_at
    }
}

/// A committed change of a book's available stock.
#[derive(SimpleObject, Clone, Debug)]
pub struct StockChange {
    /// The book.
    pub book_id: ID,
    /// Units that can be added to a cart now.
    pub available: i64,
    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    pub stock_status: StockStatus,
}
