//! `priceWatches`; `watchPrice`, `unwatchPrice`; the `priceChanged` subscription.
use std::collections::HashSet;

use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::{parse_id, parse_ids};
use crate::schema::context::{state, viewer};
use crate::schema::guard::SignedInGuard;
use crate::schema::price_watch::{PriceChange, PriceWatch};
use crate::services::updates::live::{self, PriceInterest};
use crate::services::updates::price_watch;

/// Most books one subscription may follow.
const MAX_BOOKS: usize = 100;

/// The viewer's price watches.
#[derive(Default)]
pub(crate) struct PriceWatchQuery;

#[Object]
impl PriceWatchQuery {
    /// The books whose price the signed-in user watches, newest watch first.
    #[graphql(guard = "SignedInGuard")]
    async fn price_watches(&self, ctx: &Context<'_>) -> Result<Vec<PriceWatch>> {
        let user_id = viewer(ctx).user_id().extend()?;
        let watches = price_watch::watches_of(&state(ctx)?.db, user_id)
            .await
            .extend()?;
        Ok(watches.into_iter().map(PriceWatch).collect())
    }
}

/// Watching prices.
#[derive(Default)]
pub(crate) struct PriceWatchMutation;

#[Object]
impl PriceWatchMutation {
    /// Watches a book's price: its changes reach `priceChanged` without ids. Watching again
    /// changes nothing.
    #[graphql(guard = "SignedInGuard")]
    async fn watch_price(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book to watch.")] book_id: ID,
    ) -> Result<PriceWatch> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        price_watch::watch_price(&state(ctx)?.db, user_id, book_id)
            .await
            .map(PriceWatch)
            .extend()
    }

    /// Stops watching a book's price; true if it was watched.
    #[graphql(guard = "SignedInGuard")]
    async fn unwatch_price(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book to stop watching.")] book_id: ID,
    ) -> Result<bool> {
        let user_id = viewer(ctx).user_id().extend()?;
        let book_id = parse_id("bookId", &book_id).extend()?;
        price_watch::unwatch_price(&state(ctx)?.db, user_id, book_id)
            .await
            .extend()
    }
}

/// Live prices.
#[derive(Default)]
pub(crate) struct PriceWatchSubscription;

#[Subscription]
impl PriceWatchSubscription {
    /// Price changes of these books, or, with `bookIds` null, of the books the signed-in viewer
    /// watches (at the time of each change). Sent once per change, after it is committed.
    async fn price_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The books (1..100); null for the viewer's watched books.")]
        book_ids: Option<Vec<ID>>,
    ) -> Result<impl Stream<Item = Result<PriceChange>> + use<>> {
        let interest = match book_ids {
            Some(ids) => {
                let ids = parse_ids("bookIds", &ids, MAX_BOOKS).extend()?;
                PriceInterest::Books(ids.into_iter().collect::<HashSet<_>>())
            }
            None => PriceInterest::WatchedBy(viewer(ctx).user_id().extend()?),
        };
        let state = state(ctx)?;
        let updates = live::price_updates(state.db.clone(), &state.bus, interest);
        Ok(updates.map(|update| update.map(PriceChange).extend()))
    }
}
