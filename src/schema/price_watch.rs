//! Price watches and the price changes they follow.
use async_graphql::{Context, Object, Result};

use crate::entities::price_watch;
use crate::schema::book::{Book, load_book};
use crate::schema::money::Money;
use crate::services::updates::live::PriceUpdate;

/// A book whose price the viewer watches.
pub(crate) struct PriceWatch(pub(crate) price_watch::Model);

/// A book whose price the viewer watches.
#[Object]
impl PriceWatch {
    /// The book watched.
    async fn book(&self, ctx: &Context<'_>) -> Result<Book> {
        load_book(ctx, self.0.book_id).await
    }

    /// When the watch began.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// A committed change of a book's price.
pub(crate) struct PriceChange(pub(crate) PriceUpdate);

/// A committed change of a book's price.
#[Object]
impl PriceChange {
    /// The book, as it is after the change.
    async fn book(&self) -> Book {
        Book(self.0.book.clone())
    }

    /// The price before.
    async fn old_price(&self) -> Money {
        Money::from_minor(self.0.old_minor, &self.0.currency)
    }

    /// The price now.
    async fn new_price(&self) -> Money {
        Money::from_minor(self.0.new_minor, &self.0.currency)
    }

    /// When it changed.
    async fn changed_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.changed_at
    }
}
