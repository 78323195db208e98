//! The tables of `m20261124_000001_create_carts_and_orders`: carts and their holds, orders and their
//! allocations, idempotency keys, price watches, and the simulated payment provider's ledger.
use sea_orm_migration::prelude::*;

use crate::{big, fk, id, int, time, varchar};

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

/// One cart per user, kept (empty) after checkout.
pub(crate) fn carts() -> TableCreateStatement {
    Table::create()
        .table(Carts::Table)
        .col(id(Carts::Id))
        .col(big(Carts::UserId).unique_key())
        .col(time(Carts::CreatedAt))
        .col(time(Carts::UpdatedAt))
        .foreign_key(&mut fk(
            Carts::Table,
            Carts::UserId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

/// A line keeps the price it was added at (the price checkout charges) and how many of its units
/// are held right now: `held` drops to 0 when the sweeper releases a lapsed line.
pub(crate) fn cart_items() -> TableCreateStatement {
    Table::create()
        .table(CartItems::Table)
        .col(big(CartItems::CartId))
        .col(big(CartItems::BookId))
        .col(int(CartItems::Quantity))
        .col(int(CartItems::Held))
        .col(big(CartItems::UnitPriceMinor))
        .col(varchar(CartItems::Currency, 3))
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
        .to_owned()
}

/// Which warehouses a line's held units come from (a line may span several).
pub(crate) fn holds() -> TableCreateStatement {
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
        .to_owned()
}

pub(crate) fn orders() -> TableCreateStatement {
    Table::create()
        .table(Orders::Table)
        .col(id(Orders::Id))
        .col(big(Orders::UserId))
        .col(varchar(Orders::Status, 24))
        .col(big(Orders::TotalMinor))
        .col(varchar(Orders::Currency, 3))
        // The key the payment provider knows the charge by: retries never charge twice.
        .col(varchar(Orders::PaymentKey, 300).unique_key())
        .col(varchar(Orders::PaymentStatus, 24))
        .col(ColumnDef::new(Orders::PaymentReference).string_len(100))
        .col(time(Orders::CreatedAt))
        .col(time(Orders::UpdatedAt))
        .foreign_key(&mut fk(
            Orders::Table,
            Orders::UserId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

/// Title and price as they were at purchase.
pub(crate) fn order_items() -> TableCreateStatement {
    Table::create()
        .table(OrderItems::Table)
        .col(big(OrderItems::OrderId))
        .col(big(OrderItems::BookId))
        .col(varchar(OrderItems::Title, 300))
        .col(int(OrderItems::Quantity))
        .col(big(OrderItems::UnitPriceMinor))
        .col(varchar(OrderItems::Currency, 3))
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
        .to_owned()
}

/// Which warehouse each unit of an order comes from, so a cancel restocks the right shelf.
pub(crate) fn order_allocations() -> TableCreateStatement {
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
        .to_owned()
}

/// The primary key is what makes one order per (user, key): a repeat's insert conflicts.
pub(crate) fn idempotency_keys() -> TableCreateStatement {
    Table::create()
        .table(IdempotencyKeys::Table)
        .col(big(IdempotencyKeys::UserId))
        .col(varchar(IdempotencyKeys::Key, 255))
        .col(ColumnDef::new(IdempotencyKeys::Request).text().not_null())
        .col(ColumnDef::new(IdempotencyKeys::OrderId).big_integer())
        .col(time(IdempotencyKeys::CreatedAt))
        .primary_key(
            Index::create()
                .col(IdempotencyKeys::UserId)
                .col(IdempotencyKeys::Key),
        )
        .to_owned()
}

pub(crate) fn price_watches() -> TableCreateStatement {
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
        .to_owned()
}

/// The simulated provider's own books, shared by every instance like a real provider's.
pub(crate) fn simulated_charges() -> TableCreateStatement {
    Table::create()
        .table(SimulatedCharges::Table)
        .col(
            ColumnDef::new(SimulatedCharges::IdempotencyKey)
                .string_len(300)
                .not_null()
                .primary_key(),
        )
        .col(varchar(SimulatedCharges::Token, 100))
        .col(big(SimulatedCharges::AmountMinor))
        .col(varchar(SimulatedCharges::Currency, 3))
        .col(varchar(SimulatedCharges::Status, 24))
        .col(varchar(SimulatedCharges::Reference, 100))
        .col(int(SimulatedCharges::Attempts))
        .col(time(SimulatedCharges::CreatedAt))
        .col(time(SimulatedCharges::UpdatedAt))
        .to_owned()
}
