//! The simulated payment provider's ledger: one row per charge idempotency key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "simulated_charges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub idempotency_key: String,
    pub token: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: ChargeStatus,
    pub reference: String,
    /// Charge attempts made with this key.
    pub attempts: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Where a simulated charge stands. The provider's own ledger, not a status of Folio's: it lives
/// with its table rather than in `domain/`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ChargeStatus {
    #[sea_orm(string_value = "CHARGED")]
    Charged,
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// The transient failure `tok_fail_once` asks for: the next attempt with the key is charged.
    #[sea_orm(string_value = "FAILED_ONCE")]
    FailedOnce,
}
