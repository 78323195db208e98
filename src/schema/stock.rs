//! A book's stock across warehouses, what an admin sets, and its live changes.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, ResultExt, SimpleObject};

use crate::domain::status;
use crate::entities::stock;
use crate::error::Error;
use crate::loaders::gql_error;
use crate::schema::context::{loaders, state};
use crate::schema::warehouse::Warehouse;
use crate::services::inventory::level::available;

/// Whether a book can be bought now, from its available (on hand minus held) stock.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::StockStatus")]
// The variants are the contract's names (IN_STOCK, LOW_STOCK, OUT_OF_STOCK).
#[allow(clippy::enum_variant_names)]
pub(crate) enum StockStatus {
    /// More than the low-stock threshold is available.
    InStock,
    /// Some, but no more than the low-stock threshold (5 by default), is available.
    LowStock,
    /// Nothing is available.
    OutOfStock,
}

impl StockStatus {
    /// The status of `available` units, with the configured low-stock threshold.
    pub(crate) fn of(ctx: &Context<'_>, available: i64) -> Result<Self> {
        let threshold = state(ctx)?.config.low_stock_threshold;
        Ok(status::StockStatus::of(available, threshold).into())
    }
}

/// A book's stock over every warehouse.
pub(crate) struct StockLevel {
    pub(crate) book_id: i64,
    pub(crate) rows: Vec<stock::Model>,
}

/// A book's stock over every warehouse.
#[Object]
impl StockLevel {
    /// The book whose stock this is.
    async fn book_id(&self) -> ID {
        ID(self.book_id.to_string())
    }

    /// Units that can be added to a cart: on hand minus held, over all warehouses.
    async fn available(&self) -> i64 {
        available(&self.rows)
    }

    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    async fn stock_status(&self, ctx: &Context<'_>) -> Result<StockStatus> {
        StockStatus::of(ctx, available(&self.rows))
    }

    /// Per warehouse: units on hand and units held by carts.
    async fn warehouses(&self) -> Vec<WarehouseStock> {
        self.rows.iter().cloned().map(WarehouseStock).collect()
    }
}

/// One warehouse's stock of a book.
pub(crate) struct WarehouseStock(stock::Model);

/// One warehouse's stock of a book.
#[Object]
impl WarehouseStock {
    /// The warehouse that keeps these units.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        loaders(ctx)?
            .warehouse_by_id
            .load_one(self.0.warehouse_id)
            .await
            .map_err(gql_error)?
            .map(Warehouse::from)
            .ok_or(Error::NotFound("warehouse"))
            .extend()
    }

    /// Units there and not yet sold. A sale is taken off a moment after its payment (until then
    /// its units count here and in `held`).
    async fn on_hand(&self) -> i32 {
        self.0.on_hand
    }

    /// Units of those held: by carts, by orders awaiting payment, and by paid orders for the moment
    /// until their sale is taken off `onHand`.
    async fn held(&self) -> i32 {
        self.0.held
    }
}

/// The units on hand of a book in one warehouse.
#[derive(InputObject)]
pub(crate) struct SetStockInput {
    /// The book whose stock is set.
    pub(crate) book_id: ID,
    /// The warehouse that keeps it.
    pub(crate) warehouse_id: ID,
    /// Units on hand, ≥ 0 and not below what carts hold there.
    pub(crate) on_hand: i32,
}

/// A committed change of a book's available stock.
#[derive(SimpleObject, Clone, Debug)]
pub(crate) struct StockChange {
    /// The book whose stock changed.
    pub(crate) book_id: ID,
    /// Units that can be added to a cart now.
    pub(crate) available: i64,
    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    pub(crate) stock_status: StockStatus,
}
