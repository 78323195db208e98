//! Setting the stock of books in warehouses (admins). Available stock is on hand minus held;
//! nothing here ever lets on hand drop under what carts hold.
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::count_cache::CountCache;
use crate::db::begin_write;
use crate::entities::outbox::{self, Change};
use crate::entities::stock;
use crate::error::{Error, Result};
use crate::services::catalog::book::find_book;
use crate::services::inventory::level::{available, stock_of};
use crate::services::inventory::sale::deduct_sold_stock_in;
use crate::services::inventory::warehouse::find_warehouse;

/// Sets the units on hand of a book in one warehouse. Lowering it under what carts hold there fails
/// with CONFLICT and changes nothing; a change in available stock is recorded for subscribers.
pub(crate) async fn set_stock(
    db: &DatabaseConnection,
    counts: &CountCache,
    book_id: i64,
    warehouse_id: i64,
    on_hand: i32,
) -> Result<Vec<stock::Model>> {
    if on_hand < 0 {
        return Err(Error::bad_input("onHand", "must not be negative"));
    }
    let txn = begin_write(db).await?;
    find_book(&txn, book_id).await?;
    find_warehouse(&txn, warehouse_id).await?;
    // The count is of unsold units: sales still counted as held are deducted first, or they would
    // come off the new count a second time.
    while deduct_sold_stock_in(&txn).await? > 0 {}
    let before = available(&stock_of(&txn, book_id).await?);
    let existing = stock::Entity::find_by_id((book_id, warehouse_id))
        .one(&txn)
        .await?;
    match existing {
        None => {
            stock::ActiveModel {
                book_id: Set(book_id),
                warehouse_id: Set(warehouse_id),
                on_hand: Set(on_hand),
                held: Set(0),
            }
            .insert(&txn)
            .await?;
        }
        Some(_) => {
            // Guarded: a hold taken since we read the row is honoured, not overwritten.
            let updated = stock::Entity::update_many()
                .col_expr(stock::Column::OnHand, Expr::val(on_hand))
                .filter(stock::Column::BookId.eq(book_id))
                .filter(stock::Column::WarehouseId.eq(warehouse_id))
                .filter(stock::Column::Held.lte(on_hand))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 0 {
                let held = stock::Entity::find_by_id((book_id, warehouse_id))
                    .one(&txn)
                    .await?
                    .map_or(0, |r| r.held);
                return Err(Error::Conflict(format!(
                    "{held} units are held by carts in this warehouse; on hand cannot go below that"
                )));
            }
        }
    }
    let rows = stock_of(&txn, book_id).await?;
    let after = available(&rows);
    if after != before {
        outbox::record(&txn, &Change::StockChanged { book_id }).await?;
    }
    txn.commit().await?;
    counts.invalidate();
    Ok(rows)
}
