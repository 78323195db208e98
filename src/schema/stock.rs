//! `Warehouse` and the stock of a book across warehouses.
use async_graphql::{Context, ID, Object, Result, ResultExt, SimpleObject};

use crate::entities::{stock, warehouse};
use crate::error::Error;
use crate::loaders::{Loaders, gql_error};
use crate::resolvers::state;
use crate::schema::StockStatus;

/// A place stock is kept and shipped from.
#[derive(SimpleObject, Clone)]
pub struct Warehouse {
    /// Opaque identifier.
    pub id: ID,
    /// Unique name.
    pub name: String,
    /// Where it is, e.g. "eu-west".
    pub region: String,
}

impl From<warehouse::Model> for Warehouse {
    fn from(m: warehouse::Model) -> Self {
        Warehouse {
            id: ID(m.id.to_string()),
            name: m.name,
            region: m.region,
        }
    }
}

/// A book's stock over every warehouse.
pub struct StockLevel {
    pub(crate) book_id: i64,
    pub(crate) rows: Vec<stock::Model>,
}

/// A book's stock over every warehouse.
#[Object]
impl StockLevel {
    /// The book.
    async fn book_id(&self) -> ID {
        ID(self.book_id.to_string())
    }

    /// Units that can be added to a cart: on hand minus held, over all warehouses.
    async fn available(&self) -> i64 {
        crate::services::stock::available(&self.rows)
    }

    /// IN_STOCK, LOW_STOCK or OUT_OF_STOCK, from `available`.
    async fn stock_status(&self, ctx: &Context<'_>) -> StockStatus {
        StockStatus::of(
            crate::services::stock::available(&self.rows),
            state(ctx).config.low_stock_threshold,
        )
    }

    /// Per warehouse: units on hand and units held by carts.
    async fn warehouses(&self) -> Vec<WarehouseStock> {
        self.rows.iter().cloned().map(WarehouseStock).collect()
    }
}

/// One warehouse's stock of a book.
pub struct WarehouseStock(stock::Model);

/// One warehouse's stock of a book.
#[Object]
impl WarehouseStock {
    /// The warehouse.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        let found = ctx
            .data_unchecked::<Loaders>()
            .warehouse_by_id
            .load_one(self.0.warehouse_id)
            .await;
        found
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
