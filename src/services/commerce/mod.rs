//! Commerce: carts, checkout, the settlement of payments, and orders.
pub mod cart;
pub mod checkout;
pub mod order;
pub mod settlement;
