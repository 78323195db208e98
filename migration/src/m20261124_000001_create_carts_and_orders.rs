//! Carts and the stock they hold, orders and the warehouses they were allocated from, idempotency
//! keys, price watches, and the ledger of the built-in simulated payment provider.
//!
//! The invariant these tables keep with `stock.held`: for every (book, warehouse), `held` is the sum
//! of the cart `holds` plus the `order_allocations` of orders still PENDING_PAYMENT. Paying turns an
//! allocation into a sale (on hand and held both drop), anything else gives it back. (Since
//! `m20261124_000003_deduct_sales_later`, a paid order's sale is deducted a moment later.)
use sea_orm_migration::prelude::*;

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    UserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartItems {
    Table,
    CartId,
    BookId,
    Quantity,
    Held,
    UnitPriceMinor,
    Currency,
    ReservedUntil,
    AddedAt,
}

#[derive(DeriveIden)]
enum Holds {
    Table,
    CartId,
    BookId,
    WarehouseId,
    Quantity,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    Status,
    TotalMinor,
    Currency,
    PaymentKey,
    PaymentStatus,
    PaymentReference,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    OrderId,
    BookId,
    Title,
    Quantity,
    UnitPriceMinor,
    Currency,
}

#[derive(DeriveIden)]
enum OrderAllocations {
    Table,
    OrderId,
    BookId,
    WarehouseId,
    Quantity,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Request,
    OrderId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PriceWatches {
    Table,
    UserId,
    BookId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SimulatedCharges {
    Table,
    IdempotencyKey,
    Token,
    AmountMinor,
    Currency,
    Status,
    Reference,
    Attempts,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Books {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
}

fn big(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().to_owned()
}

fn time(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            // One cart per user, kept (empty) after checkout.
            Table::create()
                .table(Carts::Table)
                .col(
                    ColumnDef::new(Carts::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(big(Carts::UserId).unique_key().to_owned())
                .col(time(Carts::CreatedAt))
                .col(time(Carts::UpdatedAt))
                .foreign_key(&mut fk(
                    Carts::Table,
                    Carts::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
            // A line keeps the price it was added at (the price checkout charges) and how many of its
            // units are held right now: `held` drops to 0 when the sweeper releases a lapsed line.
            Table::create()
                .table(CartItems::Table)
                .col(big(CartItems::CartId))
                .col(big(CartItems::BookId))
                .col(int(CartItems::Quantity))
                .col(int(CartItems::Held))
                .col(big(CartItems::UnitPriceMinor))
                .col(text(CartItems::Currency, 3))
                .col(time(CartItems::ReservedUntil))
                .col(time(CartItems::AddedAt))
                .primary_key(
                    Index::create()
                        .col(CartItems::CartId)
                        .col(CartItems::BookId),
                )
                .foreign_key(&mut fk(
                    CartItems::Table,
                    CartItems::CartId,
                    Carts::Table,
                    Carts::Id,
                ))
                .foreign_key(&mut fk(
                    CartItems::Table,
                    CartItems::BookId,
                    Books::Table,
                    Books::Id,
                ))
                .check(Expr::col(CartItems::Held).gte(0))
                .check(Expr::col(CartItems::Held).lte(Expr::col(CartItems::Quantity)))
                .to_owned(),
            // Which warehouses a line's held units come from (a line may span several).
            Table::create()
                .table(Holds::Table)
                .col(big(Holds::CartId))
                .col(big(Holds::BookId))
                .col(big(Holds::WarehouseId))
                .col(int(Holds::Quantity))
                .primary_key(
                    Index::create()
                        .col(Holds::CartId)
                        .col(Holds::BookId)
                        .col(Holds::WarehouseId),
                )
                .foreign_key(&mut fk(
                    Holds::Table,
                    Holds::CartId,
                    Carts::Table,
                    Carts::Id,
                ))
                .foreign_key(&mut fk(
                    Holds::Table,
                    Holds::WarehouseId,
                    Warehouses::Table,
                    Warehouses::Id,
                ))
                .check(Expr::col(Holds::Quantity).gt(0))
                .to_owned(),
            Table::create()
                .table(Orders::Table)
                .col(
                    ColumnDef::new(Orders::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(big(Orders::UserId))
                .col(text(Orders::Status, 24))
                .col(big(Orders::TotalMinor))
                .col(text(Orders::Currency, 3))
                // The key the payment provider knows the charge by: retries never charge twice.
                .col(text(Orders::PaymentKey, 300).unique_key().to_owned())
                .col(text(Orders::PaymentStatus, 24))
                .col(ColumnDef::new(Orders::PaymentReference).string_len(100))
                .col(time(Orders::CreatedAt))
                .col(time(Orders::UpdatedAt))
                .foreign_key(&mut fk(
                    Orders::Table,
                    Orders::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
            // Title and price as they were at purchase.
            Table::create()
                .table(OrderItems::Table)
                .col(big(OrderItems::OrderId))
                .col(big(OrderItems::BookId))
                .col(text(OrderItems::Title, 300))
                .col(int(OrderItems::Quantity))
                .col(big(OrderItems::UnitPriceMinor))
                .col(text(OrderItems::Currency, 3))
                .primary_key(
                    Index::create()
                        .col(OrderItems::OrderId)
                        .col(OrderItems::BookId),
                )
                .foreign_key(&mut fk(
                    OrderItems::Table,
                    OrderItems::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
            // Which warehouse each unit of an order comes from, so a cancel restocks the right shelf.
            Table::create()
                .table(OrderAllocations::Table)
                .col(big(OrderAllocations::OrderId))
                .col(big(OrderAllocations::BookId))
                .col(big(OrderAllocations::WarehouseId))
                .col(int(OrderAllocations::Quantity))
                .primary_key(
                    Index::create()
                        .col(OrderAllocations::OrderId)
                        .col(OrderAllocations::BookId)
                        .col(OrderAllocations::WarehouseId),
                )
                .foreign_key(&mut fk(
                    OrderAllocations::Table,
                    OrderAllocations::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
            // The primary key is what makes one order per (user, key): a repeat's insert conflicts.
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(big(IdempotencyKeys::UserId))
                .col(text(IdempotencyKeys::Key, 255))
                .col(ColumnDef::new(IdempotencyKeys::Request).text().not_null())
                .col(ColumnDef::new(IdempotencyKeys::OrderId).big_integer())
                .col(time(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::UserId)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
            Table::create()
                .table(PriceWatches::Table)
                .col(big(PriceWatches::UserId))
                .col(big(PriceWatches::BookId))
                .col(time(PriceWatches::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(PriceWatches::UserId)
                        .col(PriceWatches::BookId),
                )
                .foreign_key(&mut fk(
                    PriceWatches::Table,
                    PriceWatches::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    PriceWatches::Table,
                    PriceWatches::BookId,
                    Books::Table,
                    Books::Id,
                ))
                .to_owned(),
            // The simulated provider's own books, shared by every instance like a real provider's.
            Table::create()
                .table(SimulatedCharges::Table)
                .col(
                    ColumnDef::new(SimulatedCharges::IdempotencyKey)
                        .string_len(300)
                        .not_null()
                        .primary_key(),
                )
                .col(text(SimulatedCharges::Token, 100))
                .col(big(SimulatedCharges::AmountMinor))
                .col(text(SimulatedCharges::Currency, 3))
                .col(text(SimulatedCharges::Status, 24))
                .col(text(SimulatedCharges::Reference, 100))
                .col(int(SimulatedCharges::Attempts))
                .col(time(SimulatedCharges::CreatedAt))
                .col(time(SimulatedCharges::UpdatedAt))
                .to_owned(),
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
