//! Where things stand: the statuses and kinds Folio stores or derives. Stored ones are sea-orm
//! active enums kept as the upper-case strings they always were, so no row needs migrating (a value
//! no variant knows fails to load, where the old string columns fell back to a default); the
//! GraphQL enums in `schema/` (`order.rs`, `conversation.rs`, `message.rs`, `user.rs`, `cart.rs`,
//! `stock.rs`) mirror these one for one with `#[graphql(remote = …)]`.
use sea_orm::entity::prelude::*;

/// Where an order stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OrderStatus {
    /// Created; its stock is held for it while the payment goes through.
    #[sea_orm(string_value = "PENDING_PAYMENT")]
    PendingPayment,
    /// Charged; its stock is sold (and deducted from on hand a moment later).
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// Cancelled before it was paid; its stock went back.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// Paid, then cancelled: the charge was refunded and the stock went back.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
    /// The payment was declined or never went through; the stock went back to the cart.
    #[sea_orm(string_value = "PAYMENT_FAILED")]
    PaymentFailed,
}

/// Where an order's payment stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentStatus {
    /// Not settled yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Charged.
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// The provider declined the charge.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// The charge never went through (or the order was cancelled before it did).
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Charged, then refunded.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

/// What kind of conversation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ConversationKind {
    /// Two people; one such conversation per pair.
    #[sea_orm(string_value = "DIRECT")]
    Direct,
    /// Any number of people, with an optional title.
    #[sea_orm(string_value = "GROUP")]
    Group,
}

/// Where a message stands for its sender, derived from the other members' watermarks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum MessageStatus {
    /// Stored; not every other member has it yet.
    Sent,
    /// Every other member has it on a device.
    Delivered,
    /// Every other member has read it.
    Read,
}

/// ONLINE or OFFLINE.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PresenceStatus {
    /// Has at least one subscription connection open.
    Online,
    /// Has none (for longer than the grace period).
    Offline,
}

/// Whether a book can be bought now, from its available (on hand minus held) stock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
// The variants are the contract's names (IN_STOCK, LOW_STOCK, OUT_OF_STOCK).
#[allow(clippy::enum_variant_names)]
pub(crate) enum StockStatus {
    /// More than the low-stock threshold is available.
    InStock,
    /// Some, but no more than the low-stock threshold, is available.
    LowStock,
    /// Nothing is available.
    OutOfStock,
}

impl StockStatus {
    /// The status of `available` units given the low-stock threshold.
    pub(crate) fn of(available: i64, low_stock_threshold: i64) -> Self {
        if available <= 0 {
            StockStatus::OutOfStock
        } else if available <= low_stock_threshold {
            StockStatus::LowStock
        } else {
            StockStatus::InStock
        }
    }
}

/// Whether a cart line's units are held for the buyer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum HoldState {
    /// Every unit is held until the line's `reserved_until`.
    Held,
    /// The hold lapsed; the next change to the cart (or checkout) holds the units again, since
    /// enough are available.
    Lapsed,
    /// The hold lapsed and fewer units than the line wants are available now.
    OutOfStock,
}

impl HoldState {
    /// The state of a line wanting `quantity` units and holding `held` until `reserved_until`,
    /// when it could have `available` units now (those it holds plus those nobody holds).
    pub(crate) fn of(
        quantity: i32,
        held: i32,
        reserved_until: chrono::DateTime<chrono::Utc>,
        available: i64,
    ) -> Self {
        if HoldState::is_held(quantity, held, reserved_until) {
            HoldState::Held
        } else if available >= i64::from(quantity) {
            HoldState::Lapsed
        } else {
            HoldState::OutOfStock
        }
    }

    /// Whether every unit of the line is held now (then its state needs no stock read).
    pub(crate) fn is_held(
        quantity: i32,
        held: i32,
        reserved_until: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        held == quantity && reserved_until > chrono::Utc::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_is_low_at_or_below_the_threshold() {
        assert_eq!(StockStatus::of(0, 5), StockStatus::OutOfStock);
        assert_eq!(StockStatus::of(5, 5), StockStatus::LowStock);
        assert_eq!(StockStatus::of(6, 5), StockStatus::InStock);
    }

    #[test]
    fn a_lapsed_line_is_out_of_stock_only_when_too_few_are_left() {
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        let future = chrono::Utc::now() + chrono::Duration::seconds(60);
        assert_eq!(HoldState::of(2, 2, future, 0), HoldState::Held);
        assert_eq!(HoldState::of(2, 0, past, 2), HoldState::Lapsed);
        assert_eq!(HoldState::of(2, 0, past, 1), HoldState::OutOfStock);
    }
}
