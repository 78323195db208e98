//! Sales leaving the shelf: paid orders' units are deducted from the stock rows that held them, a
//! moment after payment and in batches (see [`deduct_sold_stock`]).
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

use crate::db::begin_write;
use crate::domain::status::OrderStatus;
use crate::entities::{order, order_allocation};
use crate::error::{Error, Result};
use crate::services::inventory::level::adjust_stock;

/// Paid orders whose sales one pass of `deduct_sold_stock` deducts.
const DEDUCT_BATCH: u64 = 500;

/// Deducts the sales of paid orders from the stock rows that held them (`on_hand -= q, held -= q`,
/// available stock unchanged), up to one batch of orders; returns how many orders it deducted.
///
/// Paying does not touch the stock rows itself: a popular book's stock row is the lock all its
/// buyers queue on, and this pass takes it once for all the orders of a batch instead of once per
/// order. Until then a paid order's units count as held, so nothing can be sold twice. Safe on every
/// instance at once: each order is claimed by a guarded update (`holds_stock` from true to false) in
/// the transaction that deducts it.
pub async fn deduct_sold_stock(db: &DatabaseConnection) -> Result<usize> {
    let txn = begin_write(db).await?;
    let deducted = deduct_sold_stock_in(&txn).await?;
    txn.commit().await?;
    Ok(deducted)
}

/// `deduct_sold_stock` inside the caller's transaction (`set_stock` deducts before it counts).
pub(crate) async fn deduct_sold_stock_in(txn: &impl ConnectionTrait) -> Result<usize> {
    let paid_and_holding = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(Expr::col(order::Column::HoldsStock))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .order_by_asc(order::Column::Id)
        .limit(DEDUCT_BATCH);
    let claimed: Vec<i64> = order::Entity::update_many()
        .col_expr(order::Column::HoldsStock, Expr::val(false))
        .filter(Expr::col(order::Column::HoldsStock))
        .filter(order::Column::Status.eq(OrderStatus::Paid))
        .filter(order::Column::Id.in_subquery(paid_and_holding.into_query()))
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    if claimed.is_empty() {
        return Ok(0);
    }
    let sold: Vec<(i64, i64, i64)> = order_allocation::Entity::find()
        .select_only()
        .column(order_allocation::Column::BookId)
        .column(order_allocation::Column::WarehouseId)
        .column_as(order_allocation::Column::Quantity.sum(), "quantity")
        .filter(order_allocation::Column::OrderId.is_in(claimed.iter().copied()))
        .group_by(order_allocation::Column::BookId)
        .group_by(order_allocation::Column::WarehouseId)
        // One order of locking for every pass, so that two passes cannot deadlock.
        .order_by_asc(order_allocation::Column::BookId)
        .order_by_asc(order_allocation::Column::WarehouseId)
        .into_tuple()
        .all(txn)
        .await?;
    for (book_id, warehouse_id, quantity) in sold {
        let quantity = i32::try_from(quantity).map_err(Error::internal)?;
        adjust_stock(txn, book_id, warehouse_id, -quantity, -quantity).await?;
    }
    Ok(claimed.len())
}
