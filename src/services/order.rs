//! Orders: reading them (the owner or an admin), listing a user's newest first, and cancelling.
//! How an order comes to be and gets paid is `services::checkout`.
use std::collections::BTreeSet;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::auth::Viewer;
use crate::db::begin_write;
use crate::entities::{order, order_allocation, order_item, stock};
use crate::error::{Error, Result};
use crate::payment::PaymentProvider;
use crate::services::catalog::Page;
use crate::services::hold::record_stock_changes;

/// Where an order stands.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Created; its stock is held for it while the payment goes through.
    PendingPayment,
    /// Charged; its stock is sold.
    Paid,
    /// Cancelled before it was paid; its stock went back.
    Cancelled,
    /// Paid, then cancelled: the charge was refunded and the stock went back.
    Refunded,
    /// The payment was declined or never went through; the stock went back to the cart.
    PaymentFailed,
}

impl OrderStatus {
    /// How the status is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "PENDING_PAYMENT",
            OrderStatus::Paid => "PAID",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::PaymentFailed => "PAYMENT_FAILED",
        }
    }

    /// Reads a stored status.
    pub fn from_db(value: &str) -> Self {
        match value {
            "PAID" => OrderStatus::Paid,
            "CANCELLED" => OrderStatus::Cancelled,
            "REFUNDED" => OrderStatus::Refunded,
            "PAYMENT_FAILED" => OrderStatus::PaymentFailed,
            _ => OrderStatus::PendingPayment,
        }
    }
}

/// Where an order's payment stands, as stored in `orders.payment_status`.
pub mod payment_status {
    pub const PENDING: &str = "PENDING";
    pub const SUCCEEDED: &str = "SUCCEEDED";
    pub const DECLINED: &str = "DECLINED";
    pub const FAILED: &str = "FAILED";
    pub const REFUNDED: &str = "REFUNDED";
}

/// The order, if `viewer` may see it: its owner or an admin (FORBIDDEN for anyone else).
pub async fn find_order_for(
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
pub async fn items_of(db: &impl ConnectionTrait, order_id: i64) -> Result<Vec<order_item::Model>> {
    Ok(order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order_id))
        .order_by_asc(order_item::Column::BookId)
        .all(db)
        .await?)
}

/// A page of the user's orders, newest first; the cursor is the last order's id.
pub async fn orders_of(
    db: &impl ConnectionTrait,
    user_id: i64,
    first: u64,
    after: Option<&str>,
) -> Result<Page<order::Model>> {
    let mut query = order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .order_by_desc(order::Column::Id)
        .limit(first + 1);
    if let Some(cursor) = after {
        let before: i64 = cursor
            .parse()
            .map_err(|_| Error::bad_input("after", "is not a cursor from this list"))?;
        query = query.filter(order::Column::Id.lt(before));
    }
    let rows = query.all(db).await?;
    Ok(Page::of(rows, first, |o| o.id.to_string()))
}

/// How many orders the user has.
pub async fn count_orders(db: &impl ConnectionTrait, user_id: i64) -> Result<u64> {
    Ok(order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .count(db)
        .await?)
}

/// Cancels an order: a PAID one is refunded and its stock goes back on the shelf; a PENDING_PAYMENT
/// one is cancelled and its held stock released (should its charge still land, settling refunds
/// it). Any other status is final (CONFLICT).
pub async fn cancel_order(
    db: &DatabaseConnection,
    provider: &dyn PaymentProvider,
    viewer: &Viewer,
    order_id: i64,
) -> Result<order::Model> {
    let found = find_order_for(db, viewer, order_id).await?;
    match OrderStatus::from_db(&found.status) {
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
                payment_status::REFUNDED,
                StockReturn::Restock,
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
                payment_status::FAILED,
                StockReturn::ReleaseHold,
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
                other.as_str()
            )));
        }
    }
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("order"))
}

/// What happens to an order's allocated stock when its status moves.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum StockReturn {
    /// Sold units go back on the shelf (`on_hand += q`).
    Restock,
    /// Held units are released (`held -= q`).
    ReleaseHold,
    /// Held units are sold (`on_hand -= q, held -= q`): available stock does not change.
    Sell,
}

/// Moves the order from `from` to `to` and its stock as `stock` says, in one transaction, if it is
/// still in `from`; returns whether it was (the guarded update makes concurrent moves safe: one
/// wins, the rest change nothing).
pub(crate) async fn transition(
    db: &DatabaseConnection,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    payment: &str,
    stock: StockReturn,
) -> Result<bool> {
    let txn = begin_write(db).await?;
    let moved = set_status(&txn, order_id, from, to, payment, None).await?;
    if moved {
        move_allocated_stock(&txn, order_id, stock).await?;
    }
    txn.commit().await?;
    Ok(moved)
}

/// The guarded status update itself.
pub(crate) async fn set_status(
    txn: &impl ConnectionTrait,
    order_id: i64,
    from: OrderStatus,
    to: OrderStatus,
    payment: &str,
    reference: Option<&str>,
) -> Result<bool> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(to.as_str()))
        .col_expr(order::Column::PaymentStatus, Expr::val(payment))
        .col_expr(order::Column::UpdatedAt, Expr::val(chrono::Utc::now()))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(from.as_str()));
    if let Some(reference) = reference {
        update = update.col_expr(order::Column::PaymentReference, Expr::val(reference));
    }
    Ok(update.exec(txn).await?.rows_affected == 1)
}

/// Applies `how` to every warehouse allocation of the order, and records the stock changes that
/// subscribers can see (selling held units changes no available count, so it records none).
pub(crate) async fn move_allocated_stock(
    txn: &impl ConnectionTrait,
    order_id: i64,
    how: StockReturn,
) -> Result<()> {
    let allocations = order_allocation::Entity::find()
        .filter(order_allocation::Column::OrderId.eq(order_id))
        .all(txn)
        .await?;
    let mut books = BTreeSet::new();
    for a in &allocations {
        let mut update = stock::Entity::update_many()
            .filter(stock::Column::BookId.eq(a.book_id))
            .filter(stock::Column::WarehouseId.eq(a.warehouse_id));
        update = match how {
            StockReturn::Restock => update.col_expr(
                stock::Column::OnHand,
                Expr::col(stock::Column::OnHand).add(a.quantity),
            ),
            StockReturn::ReleaseHold => update.col_expr(
                stock::Column::Held,
                Expr::col(stock::Column::Held).sub(a.quantity),
            ),
            StockReturn::Sell => update
                .col_expr(
                    stock::Column::OnHand,
                    Expr::col(stock::Column::OnHand).sub(a.quantity),
                )
                .col_expr(
                    stock::Column::Held,
                    Expr::col(stock::Column::Held).sub(a.quantity),
                ),
        };
        update.exec(txn).await?;
        books.insert(a.book_id);
    }
    if how != StockReturn::Sell {
        record_stock_changes(txn, &books).await?;
    }
    Ok(())
}
