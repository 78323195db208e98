//! `Order`, its lines and payment, and the orders connection.
use async_graphql::{Context, Enum, ID, Object, Result, ResultExt, SimpleObject};

use crate::entities::{order, order_item};
use crate::resolvers::state;
use crate::schema::cart::load_book;
use crate::schema::connection::PageInfo;
use crate::schema::{Book, Money};
use crate::services::order::{self as orders, OrderStatus, payment_status};
use crate::services::page::Page;

/// What a checkout bought.
pub struct Order(pub order::Model);

/// What a checkout bought.
#[Object]
impl Order {
    /// Opaque identifier.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Where the order stands.
    async fn status(&self) -> OrderStatus {
        OrderStatus::from_db(&self.0.status)
    }

    /// What was (or is to be) charged.
    async fn total(&self) -> Money {
        Money::from_minor(self.0.total_minor, &self.0.currency)
    }

    /// The books bought, with their titles and prices as they were at purchase.
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<OrderItem>> {
        let items = orders::items_of(&state(ctx).db, self.0.id).await.extend()?;
        Ok(items.into_iter().map(OrderItem).collect())
    }

    /// The payment.
    async fn payment(&self) -> Payment {
        Payment {
            status: match self.0.payment_status.as_str() {
                payment_status::SUCCEEDED => PaymentStatus::Succeeded,
                payment_status::DECLINED => PaymentStatus::Declined,
                payment_status::FAILED => PaymentStatus::Failed,
                payment_status::REFUNDED => PaymentStatus::Refunded,
                _ => PaymentStatus::Pending,
            },
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
pub struct OrderItem(pub order_item::Model);

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
pub enum PaymentStatus {
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
pub struct Payment {
    /// Where it stands.
    pub status: PaymentStatus,
    /// The payment provider's reference for the charge, once there is one.
    pub reference: Option<String>,
}

/// A page of orders, newest first.
pub struct OrderConnection {
    pub(crate) page: Page<order::Model>,
    pub(crate) total: u64,
    pub(crate) after: bool,
}

/// A page of orders, newest first.
#[Object]
impl OrderConnection {
    /// How many orders there are in all.
    async fn total_count(&self) -> u64 {
        self.total
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        PageInfo::forward(
            self.page.items.iter().map(|(c, _)| c),
            self.page.has_next_page,
            self.after,
        )
    }

    /// The orders on this page.
    async fn edges(&self) -> Vec<OrderEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, order)| OrderEdge {
                cursor: cursor.clone(),
                node: Order(order.clone()),
            })
            .collect()
    }
}

/// An order and its cursor.
#[derive(SimpleObject)]
pub struct OrderEdge {
    /// Pass as `after` to continue after this order.
    pub cursor: String,
    /// The order.
    pub node: Order,
}
