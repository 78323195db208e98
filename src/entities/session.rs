//! A sign-in that can end: the access tokens issued for it name it (`sid`), and it ends when its user
//! signs out, an admin disables the user, or one of its refresh tokens is presented twice.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub created_at: ChronoDateTimeUtc,
    /// Set once, when the session ends; its tokens stop working then.
    pub revoked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
