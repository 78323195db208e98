//! One book in a cart: how many, the price it was added at, and how many of those units are held.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cart_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub book_id: i64,
    pub quantity: i32,
    /// Units held for this line right now: `quantity` while the hold lasts, 0 once it lapsed.
    pub held: i32,
    /// The price checkout charges, fixed when the line was added.
    pub unit_price_minor: i64,
    pub currency: String,
    /// When the hold lapses (or lapsed) unless the cart is touched.
    pub reserved_until: ChronoDateTimeUtc,
    pub added_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
