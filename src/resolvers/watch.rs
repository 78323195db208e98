//! Price watches and live updates: `priceWatches`; `watchPrice`, `unwatchPrice`; the
//! `priceChanged` and `stockChanged` subscriptions.
use std::collections::HashSet;

use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use super::{state, viewer};
use crate::auth::SignedInGuard;
use crate::schema::{PriceChange, PriceWatch, StockChange, StockStatus};
use crate::services::id::{parse_id, parse_ids};
use crate::services::updates::{self, PriceInterest};
use crate::services::watch;

/// Most books one subscription may follow.
const MAX_BOOKS: usize = 100;

/// Watch queries.
#[derive(Default)]
pub struct WatchQuery;

#[Object]
impl WatchQuery {
    /// The books whose price the signed-in user watches, newest watch first.
    #[graphql(guard = "SignedInGuard")]
    async fn price_watches(&self, ctx: &Context<'_>) -> Result<Vec<PriceWatch>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let watches = watch::watches_of(&state(ctx).db, user_id).await.extend()?;
        Ok(watches.into_iter().map(PriceWatch).collect())
    }
}

/// Watch mutations.
#[derive(Default)]
pub struct WatchMutation;

#[Object]
impl WatchMutation {
    /// Watches a book's price: its changes reach `priceChanged` without ids. Watching again
    /// changes nothing.
    #[graphql(guard = "SignedInGuard")]
    async fn watch_price(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book.")] book_id: ID,
    ) -> Result<PriceWatch> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        watch::watch_price(&state(ctx).db, user_id, book_id)
            .await
            .map(PriceWatch)
            .extend()
    }

    /// Stops watching a book's price; true if it was watched.
    #[graphql(guard = "SignedInGuard")]
    async fn unwatch_price(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book.")] book_id: ID,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        watch::unwatch_price(&state(ctx).db, user_id, book_id)
            .await
            .extend()
    }
}

/// Live price and stock updates.
#[derive(Default)]
pub struct WatchSubscription;

#[Subscription]
impl WatchSubscription {
    /// Price changes of these books, or, with `bookIds` null, of the books the signed-in viewer
    /// watches (at the time of each change). Sent once per change, after it is committed.
    async fn price_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The books (1..100); null for the viewer's watched books.")]
        book_ids: Option<Vec<ID>>,
    ) -> Result<impl Stream<Item = PriceChange> + use<>> {
        let interest = match book_ids {
            Some(ids) => PriceInterest::Books(
                parse_ids("bookIds", &ids, MAX_BOOKS)
                    .extend()?
                    .into_iter()
                    .collect::<HashSet<_>>(),
            ),
            None => PriceInterest::WatchedBy(viewer(ctx).user_id().extend()?),
        };
        let state = state(ctx);
        Ok(
            updates::price_updates(state.db.clone(), &state.bus, interest).map(|u| PriceChange {
                book: u.book,
                old_minor: u.old_minor,
                new_minor: u.new_minor,
                currency: u.currency,
                changed_at: u.changed_at,
            }),
        )
    }

    /// Changes of the available stock of these books (holds, releases, sales, restocks), once per
    /// change, after it is committed. Open to everyone.
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The books, 1..100.")] book_ids: Vec<ID>,
    ) -> Result<impl Stream<Item = StockChange> + use<>> {
        let ids = parse_ids("bookIds", &book_ids, MAX_BOOKS).extend()?;
        let state = state(ctx);
        let threshold = state.config.low_stock_threshold;
        Ok(
            updates::stock_updates(state.db.clone(), &state.bus, ids).map(move |u| StockChange {
                book_id: ID(u.book_id.to_string()),
                available: u.available,
                stock_status: StockStatus::of(u.available, threshold),
            }),
        )
    }
}
