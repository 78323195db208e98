//! One refresh token of a session, kept by its SHA-256 only. A token is spent when it is traded for
//! a new pair; spent ones are kept until they expire, so that one presented again is known for what
//! it is (a copy in the wrong hands) and ends its session.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// The token's SHA-256, in hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub session_id: i64,
    pub created_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    pub spent_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
