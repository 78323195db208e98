//! Warehouses and stock (ADMIN): `warehouses`, `createWarehouse`, `setStock`.
use async_graphql::{Context, Object, Result, ResultExt};
use sea_orm::{EntityTrait, QueryOrder};

use super::state;
use crate::auth::AdminGuard;
use crate::entities::warehouse;
use crate::error::Error;
use crate::schema::{CreateWarehouseInput, SetStockInput, StockLevel, Warehouse};
use crate::services::id::parse_id;
use crate::services::stock;

/// Stock queries.
#[derive(Default)]
pub struct StockQuery;

#[Object]
impl StockQuery {
    /// Every warehouse, by name (ADMIN).
    #[graphql(guard = "AdminGuard")]
    async fn warehouses(&self, ctx: &Context<'_>) -> Result<Vec<Warehouse>> {
        let rows = warehouse::Entity::find()
            .order_by_asc(warehouse::Column::Name)
            .all(&state(ctx).db)
            .await
            .map_err(Error::from)
            .extend()?;
        Ok(rows.into_iter().map(Warehouse::from).collect())
    }
}

/// Stock administration.
#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Adds a warehouse (ADMIN); names are unique (CONFLICT otherwise).
    #[graphql(guard = "AdminGuard")]
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new warehouse.")] input: CreateWarehouseInput,
    ) -> Result<Warehouse> {
        stock::create_warehouse(&state(ctx).db, &input.name, &input.region)
            .await
            .map(Warehouse::from)
            .extend()
    }

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
        let state = state(ctx);
        let rows = stock::set_stock(&state.db, book_id, warehouse_id, input.on_hand).await;
        state.counts.invalidate();
        let rows = rows.extend()?;
        Ok(StockLevel { book_id, rows })
    }
}
