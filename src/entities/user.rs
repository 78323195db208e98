//! A person with an account: a customer, or an admin who manages the catalog.
use sea_orm::entity::prelude::*;

use crate::domain::viewer::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased, so the unique index makes it case-insensitive.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    /// Set by an admin: the user cannot sign in, and their sessions have ended.
    pub disabled: bool,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
