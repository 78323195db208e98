//! Carts and the stock they hold, orders and the warehouses they were allocated from, idempotency
//! keys, price watches, and the ledger of the built-in simulated payment provider.
//!
//! The invariant these tables keep with `stock.held`: for every (book, warehouse), `held` is the sum
//! of the cart `holds` plus the `order_allocations` of orders still PENDING_PAYMENT. Paying turns an
//! allocation into a sale (on hand and held both drop), anything else gives it back. (Since
//! `m20261124_000003_deduct_sales_later`, a paid order's sale is deducted a moment later.)
//!
//! The tables themselves are in `tables::carts_and_orders`; this file stays, under its name,
//! because the name is what `seaql_migrations` records.
use sea_orm_migration::prelude::*;

use crate::tables::carts_and_orders::{
    cart_items, carts, holds, idempotency_keys, order_allocations, order_items, orders,
    price_watches, simulated_charges,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            carts(),
            cart_items(),
            holds(),
            orders(),
            order_items(),
            order_allocations(),
            idempotency_keys(),
            price_watches(),
            simulated_charges(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        let db = manager.get_connection();
        for sql in [
            // The sweeper's scan: lines still holding stock, by when they lapse.
            "CREATE INDEX idx_cart_items_lapse ON cart_items (reserved_until) WHERE held > 0",
            "CREATE INDEX idx_holds_stock ON holds (book_id, warehouse_id)",
            "CREATE INDEX idx_orders_user ON orders (user_id, id)",
            // Recovery's scan: orders whose payment was never recorded.
            "CREATE INDEX idx_orders_pending ON orders (created_at) WHERE status = 'PENDING_PAYMENT'",
            "CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at)",
            "CREATE INDEX idx_price_watches_book ON price_watches (book_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "simulated_charges",
            "price_watches",
            "idempotency_keys",
            "order_allocations",
            "order_items",
            "orders",
            "holds",
            "cart_items",
            "carts",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
