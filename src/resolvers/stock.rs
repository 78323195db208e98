//! `setStock` (ADMIN) and the `stockChanged` subscription.
use async_graphql::{Context, ID, Object, Result, ResultExt, Subscription};
use futures_util::{Stream, StreamExt};

use crate::domain::id::{parse_id, parse_ids};
use crate::domain::status;
use crate::schema::context::state;
use crate::schema::guard::AdminGuard;
use crate::schema::stock::{SetStockInput, StockChange, StockLevel};
use crate::services::inventory::stock;
use crate::services::updates::live;

/// Most books one subscription may follow.
const MAX_BOOKS: usize = 100;

/// Managing stock.
#[derive(Default)]
pub(crate) struct StockMutation;

#[Object]
impl StockMutation {
    /// Sets the units on hand of a book in one warehouse (ADMIN). Lowering it under what carts hold
    /// there fails with CONFLICT and changes nothing.
    #[graphql(guard = "AdminGuard")]
    async fn set_stock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book, warehouse and units on hand.")] input: SetStockInput,
    ) -> Result<StockLevel> {
        let book_id = parse_id("bookId", &input.book_id).extend()?;
        let warehouse_id = parse_id("warehouseId", &input.warehouse_id).extend()?;
        let state = state(ctx)?;
        let rows = stock::set_stock(
            &state.db,
            &state.counts,
            book_id,
            warehouse_id,
            input.on_hand,
        )
        .await
        .extend()?;
        Ok(StockLevel { book_id, rows })
    }
}

/// Live stock.
#[derive(Default)]
pub(crate) struct StockSubscription;

#[Subscription]
impl StockSubscription {
    /// Changes of the available stock of these books (holds, releases, sales, restocks), once per
    /// change, after it is committed. Open to everyone.
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The books, 1..100.")] book_ids: Vec<ID>,
    ) -> Result<impl Stream<Item = Result<StockChange>> + use<>> {
        let ids = parse_ids("bookIds", &book_ids, MAX_BOOKS).extend()?;
        let state = state(ctx)?;
        let threshold = state.config.low_stock_threshold;
        let updates = live::stock_updates(state.db.clone(), &state.bus, ids);
        Ok(updates.map(move |update| {
            let update = update.extend()?;
            Ok(StockChange {
                book_id: ID(update.book_id.to_string()),
                available: update.available,
                stock_status: status::StockStatus::of(update.available, threshold).into(),
            })
        }))
    }
}
