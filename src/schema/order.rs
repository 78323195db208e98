//! `Order`, its lines and payment, and the orders connection.
use async_graphql::{Context, Enum, ID, Object, Result, ResultExt, SimpleObject};

use crate::entities::{order, order_item};
use crate::schema::book::{Book, load_book};
use crate::schema::connection::Node;
use crate::schema::context::state;
use crate::schema::money::Money;
use crate::services::commerce::order::items_of;

/// Where an order stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::OrderStatus")]
pub(crate) enum OrderStatus {
    /// Created; its stock is held for it while the payment goes through.
    PendingPayment,
    /// Charged; its stock is sold (and deducted from on hand a moment later).
    Paid,
    /// Cancelled before it was paid; its stock went back.
    Cancelled,
    /// Paid, then cancelled: the charge was refunded and the stock went back.
    Refunded,
    /// The payment was declined or never went through; the stock went back to the cart.
    PaymentFailed,
}

/// What a checkout bought.
pub(crate) struct Order(pub(crate) order::Model);

impl Node for Order {
    const NAME: &'static str = "Order";
}

/// What a checkout bought.
#[Object]
impl Order {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Where the order stands.
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    /// What was (or is to be) charged.
    async fn total(&self) -> Money {
        Money::from_minor(self.0.total_minor, &self.0.currency)
    }

    /// The books bought, with their titles and prices as they were at purchase.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItem>> {
        let items = items_of(&state(ctx)?.db, self.0.id).await.extend()?;
        Ok(items.into_iter().map(OrderItem).collect())
    }

    /// The payment.
    async fn payment(&self) -> Payment {
        Payment {
            status: self.0.payment_status.into(),
            reference: self.0.payment_reference.clone(),
        }
    }

    /// When the order was placed.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    /// When its status last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// One book of an order.
pub(crate) struct OrderItem(pub(crate) order_item::Model);

/// One book of an order.
#[Object]
impl OrderItem {
    /// The book as it is now (deleted books included).
    async fn book(&self, ctx: &Context<'_>) -> Result<Book> {
        load_book(ctx, self.0.book_id).await
    }

    /// The title at purchase.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Units bought.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// The price per unit paid.
    async fn unit_price(&self) -> Money {
        Money::from_minor(self.0.unit_price_minor, &self.0.currency)
    }

    /// `unitPrice` × `quantity`.
    async fn line_total(&self) -> Money {
        Money::from_minor(
            self.0.unit_price_minor * i64::from(self.0.quantity),
            &self.0.currency,
        )
    }
}

/// Where an order's payment stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::status::PaymentStatus")]
pub(crate) enum PaymentStatus {
    /// Not settled yet.
    Pending,
    /// Charged.
    Succeeded,
    /// The provider declined the charge.
    Declined,
    /// The charge never went through (or the order was cancelled before it did).
    Failed,
    /// Charged, then refunded.
    Refunded,
}

/// An order's payment.
#[derive(SimpleObject)]
pub(crate) struct Payment {
    /// Where it stands.
    pub(crate) status: PaymentStatus,
    /// The payment provider's reference for the charge, once there is one.
    pub(crate) reference: Option<String>,
}
