//! Stock levels: a book's stock rows and what is available of them (on hand minus held), and the
//! one statement every unguarded change to a stock row goes through.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::stock;
use crate::error::Result;

/// A book's stock rows, by warehouse id.
pub async fn stock_of(db: &impl ConnectionTrait, book_id: i64) -> Result<Vec<stock::Model>> {
    Ok(stock::Entity::find()
        .filter(stock::Column::BookId.eq(book_id))
        .order_by_asc(stock::Column::WarehouseId)
        .all(db)
        .await?)
}

/// Units available of each of these books, across warehouses, in one query (0 for a book with
/// no stock).
pub(crate) async fn available_by_book(
    db: &impl ConnectionTrait,
    book_ids: &[i64],
) -> Result<std::collections::HashMap<i64, i64>> {
    let mut out: std::collections::HashMap<i64, i64> = book_ids.iter().map(|id| (*id, 0)).collect();
    for row in stock::Entity::find()
        .filter(stock::Column::BookId.is_in(book_ids.iter().copied()))
        .all(db)
        .await?
    {
        *out.entry(row.book_id).or_default() += i64::from(row.available());
    }
    Ok(out)
}

/// Units available across warehouses.
pub fn available(rows: &[stock::Model]) -> i64 {
    rows.iter().map(|r| i64::from(r.available())).sum()
}

/// `on_hand += on_hand_delta, held += held_delta` on one stock row, in one statement (either may be
/// negative or 0; the check constraint keeps both in range). Every unguarded change to a stock row
/// goes through here: undoing a hold, releasing one, returning an order's units, deducting sales.
pub(crate) async fn adjust_stock(
    txn: &impl ConnectionTrait,
    book_id: i64,
    warehouse_id: i64,
    on_hand_delta: i32,
    held_delta: i32,
) -> Result<()> {
    let mut update = stock::Entity::update_many()
        .filter(stock::Column::BookId.eq(book_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id));
    for (column, delta) in [
        (stock::Column::OnHand, on_hand_delta),
        (stock::Column::Held, held_delta),
    ] {
        if delta != 0 {
            update = update.col_expr(column, Expr::col(column).add(delta));
        }
    }
    update.exec(txn).await?;
    Ok(())
}
