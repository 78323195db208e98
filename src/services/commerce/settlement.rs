//! Settling an order's payment: charging the provider (steps 2 and 3 of checkout, see
//! `commerce::checkout`), and recovering the orders whose checkout died between the charge and the
//! settlement. Each settlement is one guarded status update, so it happens once whoever gets there
//! first: the checkout itself, a repeat of it, or the recovery pass on any instance.
use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::begin_write;
use crate::domain::status::{OrderStatus, PaymentStatus};
use crate::entities::{cart_item, order, order_allocation, order_item};
use crate::error::{Error, Result};
use crate::payment::{Charge, ChargeRequest, PaymentError, PaymentProvider};
use crate::services::commerce::cart::lock_cart;
use crate::services::commerce::order::{items_of, set_status};
use crate::services::inventory::hold::add_hold;

/// Charge attempts per checkout (the provider's idempotency makes retries safe).
const CHARGE_ATTEMPTS: u32 = 3;

/// Step 2: the charge, retried with backoff while the provider fails transiently.
pub(crate) async fn charge_with_retries(
    provider: &dyn PaymentProvider,
    request: &ChargeRequest,
    timeout: Duration,
) -> std::result::Result<Charge, PaymentError> {
    let mut last = PaymentError::Transient("not attempted".into());
    for attempt in 0..CHARGE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50 * 2u64.pow(attempt))).await;
        }
        match tokio::time::timeout(timeout, provider.charge(request)).await {
            Ok(Ok(charge)) => return Ok(charge),
            Ok(Err(PaymentError::Declined)) => return Err(PaymentError::Declined),
            Ok(Err(transient)) => last = transient,
            Err(_) => last = PaymentError::Transient("the provider did not answer in time".into()),
        }
    }
    Err(last)
}

/// Step 3, paid: the order's held units are sold; returns whether this call settled it. The sale
/// is deducted from the stock rows a moment later, with other orders' (`inventory::sale::deduct_sold_stock`),
/// so paying does not queue for a popular book's stock row a second time. If the order was settled
/// otherwise meanwhile (cancelled, or failed by recovery), the charge must not stand: it is refunded.
pub(crate) async fn settle_paid(
    db: &DatabaseConnection,
    provider: &dyn PaymentProvider,
    order: &order::Model,
    reference: &str,
) -> Result<bool> {
    let moved = set_status(
        db,
        order.id,
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        PaymentStatus::Succeeded,
        Some(reference),
    )
    .await?;
    if !moved {
        tracing::warn!(
            order_id = order.id,
            "a charge landed on a settled order; refunding it"
        );
        provider
            .refund(&order.payment_key)
            .await
            .map_err(|err| Error::internal(anyhow::anyhow!("refund failed: {err}")))?;
    }
    Ok(moved)
}

/// Step 3, failed: the order is PAYMENT_FAILED and its units go back into the user's cart, still
/// held (renewed for `hold_ttl`), at the prices they had.
pub(crate) async fn settle_failed(
    db: &DatabaseConnection,
    order: &order::Model,
    payment: PaymentStatus,
    hold_ttl: Duration,
) -> Result<bool> {
    let txn = begin_write(db).await?;
    let moved = set_status(
        &txn,
        order.id,
        OrderStatus::PendingPayment,
        OrderStatus::PaymentFailed,
        payment,
        None,
    )
    .await?;
    if moved {
        let now = chrono::Utc::now();
        let cart = lock_cart(&txn, order.user_id)
            .await?
            .ok_or_else(|| Error::internal(anyhow::anyhow!("the order's cart is gone")))?;
        let allocations = order_allocation::Entity::find()
            .filter(order_allocation::Column::OrderId.eq(order.id))
            .all(&txn)
            .await?;
        for a in &allocations {
            add_hold(&txn, cart.id, a.book_id, a.warehouse_id, a.quantity).await?;
        }
        for item in items_of(&txn, order.id).await? {
            put_back_line(&txn, cart.id, &item, now, now + hold_ttl).await?;
        }
    }
    txn.commit().await?;
    Ok(moved)
}

/// Adds an order line back to the cart as a held line (merged with one added since).
async fn put_back_line(
    txn: &impl ConnectionTrait,
    cart_id: i64,
    item: &order_item::Model,
    now: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let excluded = |col: cart_item::Column| Expr::col((Alias::new("excluded"), col));
    let current = |col: cart_item::Column| Expr::col((cart_item::Entity, col));
    cart_item::Entity::insert(cart_item::ActiveModel {
        cart_id: Set(cart_id),
        book_id: Set(item.book_id),
        quantity: Set(item.quantity),
        held: Set(item.quantity),
        unit_price_minor: Set(item.unit_price_minor),
        currency: Set(item.currency.clone()),
        reserved_until: Set(until),
        added_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([cart_item::Column::CartId, cart_item::Column::BookId])
            .value(
                cart_item::Column::Quantity,
                current(cart_item::Column::Quantity).add(excluded(cart_item::Column::Quantity)),
            )
            .value(
                cart_item::Column::Held,
                current(cart_item::Column::Held).add(excluded(cart_item::Column::Held)),
            )
            .value(
                cart_item::Column::ReservedUntil,
                excluded(cart_item::Column::ReservedUntil),
            )
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Orders looked at per recovery pass.
const RECOVERY_BATCH: u64 = 100;

/// Settles orders left PENDING_PAYMENT for longer than `older_than` (their checkout died or gave
/// up): the provider is asked about each order's key, and the order becomes PAID if it was charged,
/// PAYMENT_FAILED (units back in the cart) if not. Safe on every instance at once. Returns how many
/// it settled.
pub async fn settle_stale_payments(
    db: &DatabaseConnection,
    provider: &dyn PaymentProvider,
    older_than: Duration,
    hold_ttl: Duration,
) -> Result<usize> {
    let cutoff = chrono::Utc::now() - older_than;
    let stale = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment))
        .filter(order::Column::CreatedAt.lt(cutoff))
        .order_by_asc(order::Column::CreatedAt)
        .limit(RECOVERY_BATCH)
        .all(db)
        .await?;
    let mut settled = 0;
    for order in stale {
        match provider.find_charge(&order.payment_key).await {
            Ok(Some(charge)) if !charge.refunded => {
                if settle_paid(db, provider, &order, &charge.reference).await? {
                    settled += 1;
                }
            }
            Ok(_) => {
                if settle_failed(db, &order, PaymentStatus::Failed, hold_ttl).await? {
                    settled += 1;
                }
            }
            Err(err) => {
                tracing::warn!(order_id = order.id, %err, "cannot ask the provider yet; will retry")
            }
        }
    }
    Ok(settled)
}
