//! Checkout: the cart becomes an order at the cart's prices, its holds become the order's
//! allocations, and the payment provider is charged, exactly once per (user, idempotency key).
//!
//! 1. One transaction creates the order (PENDING_PAYMENT), records the idempotency key and moves the
//!    cart's holds to the order. The order's unique payment key, made of (user, key), is the
//!    arbiter: a concurrent repeat, on this instance or another, conflicts on it and waits for the
//!    first one's outcome instead.
//! 2. The provider is charged with the order's `payment_key`, retried on transient failures; the
//!    provider charges a key at most once.
//! 3. A guarded status update settles the order, once: PAID (allocations sold, deducted from the
//!    stock rows by a later pass), or PAYMENT_FAILED with the units put back in the cart, still held.
//!
//! Steps 2 and 3 live in `commerce::settlement`. If the process dies between them,
//! `settlement::settle_stale_payments` (at start and periodically, on every instance) asks the
//! provider about the order's key and settles it either way. What a key stands for, and how a
//! repeat is told apart from another request, is `commerce::idempotency`.
use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use crate::config::Config;
use crate::count_cache::CountCache;
use crate::db::begin_write;
use crate::domain::status::{OrderStatus, PaymentStatus};
use crate::entities::{
    book, cart_item, hold, idempotency_key, order, order_allocation, order_item,
};
use crate::error::{Error, Result};
use crate::payment::{ChargeRequest, PaymentError, PaymentProvider};
use crate::services::commerce::cart::lock_cart;
use crate::services::commerce::idempotency::{find_key, fingerprint, order_of_repeat};
use crate::services::commerce::settlement::{charge_with_retries, settle_failed, settle_paid};
use crate::services::inventory::hold::{hold_units, record_stock_changes};

/// The timings checkout works with.
#[derive(Clone, Debug)]
pub struct CheckoutSettings {
    /// How long holds last once a failed payment puts them back in the cart.
    pub hold_ttl: Duration,
    /// How long a repeated checkout waits for the first one's payment to settle.
    pub settle_wait: Duration,
    /// How long one call to the provider may take before it counts as a transient failure.
    pub charge_timeout: Duration,
}

impl From<&Config> for CheckoutSettings {
    fn from(config: &Config) -> Self {
        CheckoutSettings {
            hold_ttl: config.hold_ttl,
            settle_wait: config.checkout_settle_wait,
            charge_timeout: config.charge_timeout,
        }
    }
}

/// Checks out the user's cart with `token`, once per `key`: a repeat with the same key and cart
/// returns the same order (waiting for its payment to settle), the same key with another cart or
/// token is IDEMPOTENCY_CONFLICT, a declined card is PAYMENT_DECLINED with the cart left as it was.
pub async fn checkout(
    db: &DatabaseConnection,
    counts: &CountCache,
    provider: &dyn PaymentProvider,
    settings: &CheckoutSettings,
    user_id: i64,
    key: &str,
    token: &str,
) -> Result<order::Model> {
    let key = key.trim();
    if key.is_empty() || key.chars().count() > 255 || key.chars().any(char::is_control) {
        return Err(Error::bad_input(
            "idempotencyKey",
            "must be 1 to 255 printable characters",
        ));
    }
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(Error::bad_input(
            "payment.token",
            "must be 1 to 100 characters",
        ));
    }
    // No lookup first: inserting the key is the check (a repeat conflicts on it).
    let order = match begin_order(db, user_id, key, token).await? {
        Begun::Order(order) => {
            // Lapsed lines were held again: available counts may have moved.
            counts.invalidate();
            order
        }
        Begun::Repeat => {
            let order_id = order_of_repeat(db, user_id, key, token).await?;
            return await_settled(db, settings, order_id).await;
        }
    };
    let request = ChargeRequest {
        idempotency_key: order.payment_key.clone(),
        token: token.to_owned(),
        amount_minor: order.total_minor,
        currency: order.currency.clone(),
    };
    match charge_with_retries(provider, &request, settings.charge_timeout).await {
        Ok(charge) => {
            if settle_paid(db, provider, &order, &charge.reference).await? {
                return Ok(order::Model {
                    status: OrderStatus::Paid,
                    payment_status: PaymentStatus::Succeeded,
                    payment_reference: Some(charge.reference),
                    ..order
                });
            }
        }
        Err(PaymentError::Declined) => {
            settle_failed(db, &order, PaymentStatus::Declined, settings.hold_ttl).await?;
            return Err(Error::PaymentDeclined);
        }
        // The provider may or may not have charged: the order stays PENDING_PAYMENT until recovery
        // asks the provider, and a repeat of this checkout returns it as it then stands.
        Err(PaymentError::Transient(cause)) => {
            tracing::warn!(order_id = order.id, %cause, "payment outcome unknown; left for recovery");
        }
    }
    reload(db, order.id).await
}

async fn reload(db: &impl ConnectionTrait, order_id: i64) -> Result<order::Model> {
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("order"))
}

/// The order a repeated checkout stands for, once its payment settles or `settle_wait` runs out,
/// whichever comes first.
async fn await_settled(
    db: &DatabaseConnection,
    settings: &CheckoutSettings,
    order_id: i64,
) -> Result<order::Model> {
    let deadline = tokio::time::Instant::now() + settings.settle_wait;
    let mut pause = Duration::from_millis(10);
    loop {
        let order = reload(db, order_id).await?;
        let pending = order.status == OrderStatus::PendingPayment;
        if !pending || tokio::time::Instant::now() >= deadline {
            if order.payment_status == PaymentStatus::Declined {
                return Err(Error::PaymentDeclined);
            }
            return Ok(order);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

enum Begun {
    Order(order::Model),
    /// Another call with the same key got there first.
    Repeat,
}

/// Step 1: key, order and allocations, in one transaction.
async fn begin_order(
    db: &DatabaseConnection,
    user_id: i64,
    key: &str,
    token: &str,
) -> Result<Begun> {
    let txn = begin_write(db).await?;
    let now = chrono::Utc::now();
    let cart = lock_cart(&txn, user_id).await?;
    let lines = match &cart {
        Some(cart) => {
            cart_item::Entity::find()
                .filter(cart_item::Column::CartId.eq(cart.id))
                .all(&txn)
                .await?
        }
        None => Vec::new(),
    };
    let (Some(cart), false) = (cart, lines.is_empty()) else {
        drop(txn);
        // Maybe the cart is empty because a concurrent call with this key just checked it out.
        return match find_key(db, user_id, key).await? {
            Some(_) => Ok(Begun::Repeat),
            None => Err(Error::Conflict("your cart is empty".into())),
        };
    };
    let currency = lines[0].currency.clone();
    if lines.iter().any(|l| l.currency != currency) {
        return Err(Error::Conflict(
            "the cart mixes currencies; check out one currency at a time".into(),
        ));
    }
    // Lines whose hold lapsed are held again now, or the checkout fails with nothing changed.
    let mut reheld = BTreeSet::new();
    for line in lines.iter().filter(|l| l.held < l.quantity) {
        hold_units(&txn, cart.id, line.book_id, line.quantity - line.held).await?;
        reheld.insert(line.book_id);
    }
    let total: i64 = lines
        .iter()
        .map(|l| l.unit_price_minor * i64::from(l.quantity))
        .sum();
    // The order's payment key is made of (user, key) and unique: it is the arbiter. A concurrent
    // checkout with this key waits here for this transaction, then finds it taken (and dropping its
    // transaction undoes everything it did so far).
    let inserted = order::Entity::insert(order::ActiveModel {
        user_id: Set(user_id),
        status: Set(OrderStatus::PendingPayment),
        total_minor: Set(total),
        currency: Set(currency),
        payment_key: Set(format!("folio:{user_id}:{key}")),
        payment_status: Set(PaymentStatus::Pending),
        payment_reference: Set(None),
        holds_stock: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([order::Column::PaymentKey])
    .exec_with_returning_many(&txn)
    .await?;
    // No row back: the key was taken.
    let Some(created) = (match inserted {
        sea_orm::TryInsertResult::Inserted(mut rows) => rows.pop(),
        _ => None,
    }) else {
        return Ok(Begun::Repeat);
    };
    idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request: Set(fingerprint(&lines, token)),
        order_id: Set(Some(created.id)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    // The lines as they were bought, titles included, in one statement.
    let bought = Query::insert()
        .into_table(order_item::Entity)
        .columns([
            order_item::Column::OrderId,
            order_item::Column::BookId,
            order_item::Column::Title,
            order_item::Column::Quantity,
            order_item::Column::UnitPriceMinor,
            order_item::Column::Currency,
        ])
        .select_from(
            Query::select()
                .expr(Expr::val(created.id))
                .column((cart_item::Entity, cart_item::Column::BookId))
                .column((book::Entity, book::Column::Title))
                .column((cart_item::Entity, cart_item::Column::Quantity))
                .column((cart_item::Entity, cart_item::Column::UnitPriceMinor))
                .column((cart_item::Entity, cart_item::Column::Currency))
                .from(cart_item::Entity)
                .inner_join(
                    book::Entity,
                    Expr::col((book::Entity, book::Column::Id))
                        .equals((cart_item::Entity, cart_item::Column::BookId)),
                )
                .and_where(Expr::col((cart_item::Entity, cart_item::Column::CartId)).eq(cart.id))
                .to_owned(),
        )
        .map_err(Error::internal)?
        .to_owned();
    txn.execute(&bought).await?;
    // The cart's holds become the order's allocations, in one statement.
    let allocate = Query::insert()
        .into_table(order_allocation::Entity)
        .columns([
            order_allocation::Column::OrderId,
            order_allocation::Column::BookId,
            order_allocation::Column::WarehouseId,
            order_allocation::Column::Quantity,
        ])
        .select_from(
            Query::select()
                .expr(Expr::val(created.id))
                .columns([
                    hold::Column::BookId,
                    hold::Column::WarehouseId,
                    hold::Column::Quantity,
                ])
                .from(hold::Entity)
                .and_where(hold::Column::CartId.eq(cart.id))
                .to_owned(),
        )
        .map_err(Error::internal)?
        .to_owned();
    txn.execute(&allocate).await?;
    hold::Entity::delete_many()
        .filter(hold::Column::CartId.eq(cart.id))
        .exec(&txn)
        .await?;
    cart_item::Entity::delete_many()
        .filter(cart_item::Column::CartId.eq(cart.id))
        .exec(&txn)
        .await?;
    record_stock_changes(&txn, &reheld).await?;
    txn.commit().await?;
    Ok(Begun::Order(created))
}
