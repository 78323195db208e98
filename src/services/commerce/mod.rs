//! Commerce: carts, checkout and its idempotency keys, the settlement of payments, and orders.
pub mod cart;
pub mod checkout;
pub(crate) mod idempotency;
pub mod order;
pub mod settlement;
