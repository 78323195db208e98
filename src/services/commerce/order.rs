//! Orders: reading them (the owner or an admin), listing a user's newest first, and cancelling.
//! How an order comes to be and gets paid is `commerce::checkout` and `commerce::settlement`; how
//! a paid order's units leave the shelf is `inventory::sale`.
use std::collections::BTreeSet;

use sea_orm::ActiveEnum;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::count_cache::CountCache;
use crate::db::begin_write;
use crate::domain::cursor::{id_after, id_cursor};
use crate::domain::page::{Page, page_size};
use crate::domain::status::{OrderStatus, PaymentStatus};
use crate::domain::viewer::Viewer;
use crate::entities::{order, order_allocation, order_item};
use crate::error::{Error, Result};
use crate::payment::PaymentProvider;
use crate::services::inventory::hold::record_stock_changes;
use crate::services::inventory::level::adjust_stock;

/// The order, if `viewer` may see it: its owner or an admin (FORBIDDEN for anyone else).
pub(crate) async fn find_order_for(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    order_id: i64,
) -> Result<order::Model> {
    let user_id = viewer.user_id()?;
    let found = order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("order"))?;
    if found.user_id != user_id && !viewer.is_admin() {
        return Err(Error::Forbidden);
    }
    Ok(found)
}

/// An order's lines, in the order they were bought.
pub(crate) async fn items_of(
    db: &impl ConnectionTrait,
    order_id: i64,
) -> Result<Vec<order_item::Model>> {
    Ok(order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order_id))
        .order_by_asc(order_item::Column::BookId)
        .all(db)
        .await?)
}

/// A page of the user's orders, newest first; the cursor is the last order's id.
pub(crate) async fn orders_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    first: i32,
    after: Option<&str>,
) -> Result<Page<order::Model>> {
    let first = page_size(first)?;
    let mut query = order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .order_by_desc(order::Column::Id)
        .limit(first + 1);
    if let Some(cursor) = after {
        query = query.filter(order::Column::Id.lt(id_after(cursor)?));
    }
    let rows = query.all(db).await?;
    Ok(Page::of(rows, first, |o| id_cursor(o.id)))
}

/// How many orders the user has.
pub(crate) async fn count_orders(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}

/// Cancels an order: a PAID one is refunded and its stock goes back on the shelf; a PENDING_PAYMENT
/// one is cancelled and its held stock released (should its charge still land, settling refunds
/// it). Any other status is final (CONFLICT).
pub(crate) async fn cancel_order(
    db: &DatabaseConnection,
    counts: &CountCache,
    provider: &dyn PaymentProvider,
    viewer: &Viewer,
    order_id: i64,
) -> Result<order::Model> {
    let found = find_order_for(db, viewer, order_id).await?;
    match found.status {
        OrderStatus::Paid => {
            // Refund first: it is idempotent, so a crash after it is healed by cancelling again,
            // while stock returned before a refund that then failed would have been given away.
            provider
                .refund(&found.payment_key)
                .await
                .map_err(|err| Error::internal(anyhow::anyhow!("refund failed: {err}")))?;
            let moved = transition(
                db,
                order_id,
                OrderStatus::Paid,
                OrderStatus::Refunded,
                PaymentStatus::Refunded,
            )
            .await?;
            if !moved {
                return Err(Error::Conflict(
                    "the order changed meanwhile; reload it".into(),
                ));
            }
        }
        OrderStatus::PendingPayment => {
            let moved = transition(
                db,
                order_id,
                OrderStatus::PendingPayment,
                OrderStatus::Cancelled,
                PaymentStatus::Failed,
            )
            .await?;
            if !moved {
                return Err(Error::Conflict(
                    "the order changed meanwhile; reload it".into(),
                ));
            }
        }
        other => {
            return Err(Error::Conflict(format!(
                "the order is {} and cannot be cancelled",
                other.to_value()
            )));
        }
    }
    // Its stock went back on the shelf or out of the holds: available counts moved.
    counts.invalidate();
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("order"))
}

/// Moves the order from `from` to `to` (CANCELLED or REFUNDED) and gives its stock back, in one
/// transaction, if it is still in `from`; returns whether it was (the guarded update makes
/// concurrent moves safe: one wins, the rest change nothing). Units the order still held are
/// released; units whose sale was already deducted go back on hand.
pub(crate) async fn transition(
    db: &DatabaseConnection,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    payment: PaymentStatus,
) -> Result<bool> {
    let txn = begin_write(db).await?;
    // Locked, so that `deduct_sold_stock` cannot deduct the sale between reading and moving.
    let Some(current) = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let moved = set_status(&txn, order_id, from, to, payment, None).await?;
    if moved {
        return_allocated_stock(&txn, order_id, current.holds_stock).await?;
    }
    txn.commit().await?;
    Ok(moved)
}

/// The guarded status update itself. An order holds stock only while it awaits payment or is paid;
/// any other status has given its units back (or, for PAYMENT_FAILED, back to the cart's holds).
pub(crate) async fn set_status(
    txn: &impl ConnectionTrait,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    payment: PaymentStatus,
    reference: Option<&str>,
) -> Result<bool> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(to))
        .col_expr(order::Column::PaymentStatus, Expr::val(payment))
        .col_expr(order::Column::UpdatedAt, Expr::val(chrono::Utc::now()))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(from));
    if to != OrderStatus::Paid {
        update = update.col_expr(order::Column::HoldsStock, Expr::val(false));
    }
    if let Some(reference) = reference {
        update = update.col_expr(order::Column::PaymentReference, Expr::val(reference));
    }
    Ok(update.exec(txn).await?.rows_affected == 1)
}

/// Gives back every warehouse allocation of the order, and records the stock changes: units the
/// order `still_held` are released (`held -= q`), units whose sale was deducted go back on the shelf
/// (`on_hand += q`).
async fn return_allocated_stock(
    txn: &impl ConnectionTrait,
    order_id: i64,
    still_held: bool,
) -> Result<()> {
    let allocations = order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.eq(order_id))
        .all(txn)
        .await?;
    let mut books = BTreeSet::new();
    for a in &allocations {
        let (on_hand, held) = if still_held {
            (0, -a.quantity)
        } else {
            (a.quantity, 0)
        };
        adjust_stock(txn, a.book_id, a.warehouse_id, on_hand, held).await?;
        books.insert(a.book_id);
    }
    record_stock_changes(txn, &books).await
}
