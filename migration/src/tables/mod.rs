//! The tables the longer migrations create, one function per table, in files named after the
//! migration that uses them.
//!
//! These are the tables as they were first created, not as they are now: later changes are
//! migrations of their own (`orders.holds_stock` comes from `m20261124_000003_deduct_sales_later`).
//! An applied migration must run the same SQL on every new database, so nothing here ever changes.
pub(crate) mod carts_and_orders;
pub(crate) mod catalog;
