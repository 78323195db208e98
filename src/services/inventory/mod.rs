//! Inventory: warehouses, the stock of each book in them, and the holds carts and orders take on it.
pub mod hold;
pub mod level;
pub mod sale;
pub mod stock;
pub mod warehouse;
