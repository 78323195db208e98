//! An order: what a checkout bought, its total and where its payment stands.
use sea_orm::entity::prelude::*;

use crate::domain::status::{OrderStatus, PaymentStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub status: OrderStatus,
    pub total_minor: i64,
    pub currency: String,
    /// The idempotency key the payment provider knows this order's charge by.
    #[sea_orm(unique)]
    pub payment_key: String,
    pub payment_status: PaymentStatus,
    /// The provider's reference for the charge, once there is one.
    pub payment_reference: Option<String>,
    /// Whether the order's units still count in its stock rows' `held`: while it awaits payment,
    /// and once paid until `services::inventory::sale::deduct_sold_stock` takes the sale off on hand.
    pub holds_stock: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
