//! `warehouses`; `createWarehouse` (ADMIN).
use async_graphql::{Context, Object, Result, ResultExt};

use crate::schema::context::state;
use crate::schema::guard::AdminGuard;
use crate::schema::warehouse::{CreateWarehouseInput, Warehouse};
use crate::services::inventory::warehouse;

/// Warehouses.
#[derive(Default)]
pub(crate) struct WarehouseQuery;

#[Object]
impl WarehouseQuery {
    /// Every warehouse, by name (ADMIN).
    #[graphql(guard = "AdminGuard")]
    async fn warehouses(&self, ctx: &Context<'_>) -> Result<Vec<Warehouse>> {
        let rows = warehouse::warehouses(&state(ctx)?.db).await.extend()?;
        Ok(rows.into_iter().map(Warehouse::from).collect())
    }
}

/// Managing warehouses.
#[derive(Default)]
pub(crate) struct WarehouseMutation;

#[Object]
impl WarehouseMutation {
    /// Adds a warehouse (ADMIN); names are unique (CONFLICT otherwise).
    #[graphql(guard = "AdminGuard")]
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new warehouse.")] input: CreateWarehouseInput,
    ) -> Result<Warehouse> {
        warehouse::create_warehouse(&state(ctx)?.db, &input.name, &input.region)
            .await
            .map(Warehouse::from)
            .extend()
    }
}
