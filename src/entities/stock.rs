//! Units of one book in one warehouse: `on_hand` physically there, `held` of those reserved by carts.
//! Available = on_hand − held, which the database keeps ≥ 0 with a check constraint.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub book_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub warehouse_id: i64,
    pub on_hand: i32,
    pub held: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Units that can be added to a cart.
    pub fn available(&self) -> i32 {
        (self.on_hand - self.held).max(0)
    }
}
