//! Stock holds: the units of a book a cart line has taken from warehouses, and giving them back.
//!
//! Every unit is taken with one guarded statement, `held = held + q WHERE on_hand - held >= q`, so
//! however many buyers race, held and sold never exceed on hand (a check constraint says so too).
//! A popular book's stock row is the one lock all its buyers queue for, so the functions here
//! write everything else first (hold rows, the outbox row) and touch the stock row last: the lock
//! is then held only from that statement to the commit.
use std::collections::BTreeSet;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::count_cache::CountCache;
use crate::db::begin_write;
use crate::entities::outbox::{self, Change};
use crate::entities::{cart, cart_item, hold, stock};
use crate::error::{Error, Result};
use crate::services::inventory::level::{adjust_stock, available, stock_of};

/// How many times a hold is planned again when a warehouse's stock changed between reading it and
/// holding from it. The guarded update makes a lost race safe; retrying makes it rarely visible.
const HOLD_ATTEMPTS: usize = 3;

/// Holds `quantity` units of a book for the cart. Warehouses are drawn from most available first
/// (ties by id), so a line spans as few warehouses as possible. When the whole quantity cannot be
/// held, nothing is, and the error says how much is available.
pub(crate) async fn hold_units(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    quantity: i32,
) -> Result<()> {
    for _ in 0..HOLD_ATTEMPTS {
        let rows = stock::Entity::find()
            .filter(stock::Column::BookId.eq(book_id))
            .all(txn)
            .await?;
        let available: i64 = rows.iter().map(|r| i64::from(r.available())).sum();
        if available < i64::from(quantity) {
            return Err(Error::OutOfStock { available });
        }
        let plan = plan_draws(&rows, quantity);
        for &(warehouse_id, units) in &plan {
            add_hold(txn, cart_id, book_id, warehouse_id, units).await?;
        }
        let mut taken = 0;
        for &(warehouse_id, units) in &plan {
            let held = stock::Entity::update_many()
                .col_expr(
                    stock::Column::Held,
                    Expr::col(stock::Column::Held).add(units),
                )
                .filter(stock::Column::BookId.eq(book_id))
                .filter(stock::Column::WarehouseId.eq(warehouse_id))
                .filter(
                    Expr::col(stock::Column::OnHand)
                        .sub(Expr::col(stock::Column::Held))
                        .gte(units),
                )
                .exec(txn)
                .await?;
            if held.rows_affected == 0 {
                break;
            }
            taken += 1;
        }
        if taken == plan.len() {
            return Ok(());
        }
        // Lost a race for one warehouse: undo this attempt and plan again from fresh counts.
        for (n, &(warehouse_id, units)) in plan.iter().enumerate() {
            if n < taken {
                adjust_stock(txn, book_id, warehouse_id, 0, -units).await?;
            }
            take_from_hold(txn, cart_id, book_id, warehouse_id, units).await?;
        }
    }
    let rows = stock_of(txn, book_id).await?;
    Err(Error::OutOfStock {
        available: available(&rows),
    })
}

/// Which warehouses to hold `quantity` from: most available first, ties by warehouse id.
fn plan_draws(rows: &[stock::Model], quantity: i32) -> Vec<(i64, i32)> {
    let mut order: Vec<&stock::Model> = rows.iter().filter(|r| r.available() > 0).collect();
    order.sort_by_key(|r| (std::cmp::Reverse(r.available()), r.warehouse_id));
    let mut left = quantity;
    let mut plan = Vec::new();
    for row in order {
        if left == 0 {
            break;
        }
        let units = Ord::min(left, row.available());
        plan.push((row.warehouse_id, units));
        left -= units;
    }
    plan
}

/// Adds units to the cart's hold on one warehouse, creating the hold if new (the hold row only;
/// the stock row is the caller's).
pub(crate) async fn add_hold(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    warehouse_id: i64,
    units: i32,
) -> Result<()> {
    hold::Entity::insert(hold::ActiveModel {
        cart_id: Set(cart_id),
        book_id: Set(book_id),
        warehouse_id: Set(warehouse_id),
        quantity: Set(units),
    })
    .on_conflict(
        OnConflict::columns([
            hold::Column::CartId,
            hold::Column::BookId,
            hold::Column::WarehouseId,
        ])
        .value(
            hold::Column::Quantity,
            Expr::col((hold::Entity, hold::Column::Quantity))
                .add(Expr::col((Alias::new("excluded"), hold::Column::Quantity))),
        )
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Takes units off the cart's hold on one warehouse, deleting the hold when none are left (the hold
/// row only).
async fn take_from_hold(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    warehouse_id: i64,
    units: i32,
) -> Result<()> {
    let Some(row) = hold::Entity::find_by_id((cart_id, book_id, warehouse_id))
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    if row.quantity <= units {
        hold::Entity::delete_by_id((cart_id, book_id, warehouse_id))
            .exec(txn)
            .await?;
    } else {
        let remaining = row.quantity - units;
        let mut active: hold::ActiveModel = row.into();
        active.quantity = Set(remaining);
        active.update(txn).await?;
    }
    Ok(())
}

/// Releases `quantity` of a line's held units, from its smallest holds first (so the line ends up
/// in as few warehouses as possible).
pub(crate) async fn release_units(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    book_id: i64,
    quantity: i32,
) -> Result<()> {
    let holds = hold::Entity::find()
        .filter(hold::Column::CartId.eq(cart_id))
        .filter(hold::Column::BookId.eq(book_id))
        .order_by_asc(hold::Column::Quantity)
        .order_by_asc(hold::Column::WarehouseId)
        .all(txn)
        .await?;
    let mut left = quantity;
    let mut release = Vec::new();
    for h in holds {
        if left == 0 {
            break;
        }
        let units = Ord::min(left, h.quantity);
        take_from_hold(txn, cart_id, book_id, h.warehouse_id, units).await?;
        release.push((h.warehouse_id, units));
        left -= units;
    }
    for (warehouse_id, units) in release {
        adjust_stock(txn, book_id, warehouse_id, 0, -units).await?;
    }
    Ok(())
}

/// Records, for the search index and subscribers, that the books' available stock changed. The
/// relay reads the new counts when it publishes, so writers need not read the stock row they just
/// locked; and it is written before that row is touched, to keep the lock short.
pub(crate) async fn record_stock_changes(
    txn: &impl ConnectionTrait,
    books: &BTreeSet<i64>,
) -> Result<()> {
    for &book_id in books {
        outbox::record(txn, &Change::StockChanged { book_id }).await?;
    }
    Ok(())
}

/// Lines the sweeper looks at per batch.
const SWEEP_BATCH: u64 = 200;

/// Gives back the stock of cart lines whose hold lapsed before `now`, up to one batch; returns how
/// many lines it released. Safe on every instance at once: each line is claimed by a guarded update
/// (`held > 0 AND reserved_until <= now`) in the transaction that releases it, so one sweeper wins
/// a line and the others see it already released (or renewed by a touch meanwhile) and skip it.
pub async fn release_lapsed_holds(
    db: &DatabaseConnection,
    counts: &CountCache,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let lapsed: Vec<(i64, i64, i32)> = cart_item::Entity::find()
        .select_only()
        .column(cart_item::Column::CartId)
        .column(cart_item::Column::BookId)
        .column(cart_item::Column::Held)
        .filter(cart_item::Column::Held.gt(0))
        .filter(cart_item::Column::ReservedUntil.lte(now))
        .order_by_asc(cart_item::Column::ReservedUntil)
        .limit(SWEEP_BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut released = 0;
    for (cart_id, book_id, held) in lapsed {
        let txn = begin_write(db).await?;
        // The same lock every change to this cart takes first.
        cart::Entity::find_by_id(cart_id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let claimed = cart_item::Entity::update_many()
            .col_expr(cart_item::Column::Held, Expr::val(0))
            .filter(cart_item::Column::CartId.eq(cart_id))
            .filter(cart_item::Column::BookId.eq(book_id))
            .filter(cart_item::Column::Held.eq(held))
            .filter(cart_item::Column::ReservedUntil.lte(now))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            record_stock_changes(&txn, &BTreeSet::from([book_id])).await?;
            release_units(&txn, cart_id, book_id, held).await?;
            released += 1;
        }
        txn.commit().await?;
    }
    if released > 0 {
        counts.invalidate();
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(warehouse_id: i64, on_hand: i32, held: i32) -> stock::Model {
        stock::Model {
            book_id: 1,
            warehouse_id,
            on_hand,
            held,
        }
    }

    #[test]
    fn holds_draw_from_the_warehouse_with_most_available_first() {
        let rows = [row(1, 5, 0), row(2, 9, 1), row(3, 2, 0)];
        assert_eq!(plan_draws(&rows, 3), vec![(2, 3)]);
    }

    #[test]
    fn a_line_spans_warehouses_when_one_is_not_enough() {
        let rows = [row(1, 5, 0), row(2, 9, 1), row(3, 2, 0)];
        assert_eq!(plan_draws(&rows, 14), vec![(2, 8), (1, 5), (3, 1)]);
    }

    #[test]
    fn ties_go_to_the_older_warehouse_and_empty_ones_are_skipped() {
        let rows = [row(2, 4, 0), row(1, 4, 0), row(3, 4, 4)];
        assert_eq!(plan_draws(&rows, 5), vec![(1, 4), (2, 1)]);
    }
}
