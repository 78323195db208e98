//! The tables of `m20261123_000002_create_catalog`: authors, categories, books and their links,
//! reviews, warehouses and stock, and the outbox.
use sea_orm_migration::prelude::*;

use crate::{big, fk, id, int, time, varchar};

#[derive(DeriveIden)]
enum Authors {
    Table,
    Id,
    Name,
    NameKey,
    Bio,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Slug,
    Name,
}

#[derive(DeriveIden)]
enum Books {
    Table,
    Id,
    Isbn,
    Title,
    TitleKey,
    Subtitle,
    Description,
    Publisher,
    PublishedYear,
    PageCount,
    Keywords,
    PriceMinor,
    Currency,
    RatingCount,
    RatingSum,
    RatingKey,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum BookAuthors {
    Table,
    BookId,
    AuthorId,
    Position,
}

#[derive(DeriveIden)]
enum BookCategories {
    Table,
    BookId,
    CategoryId,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    BookId,
    UserId,
    Rating,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
    Name,
    Region,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Stock {
    Table,
    BookId,
    WarehouseId,
    OnHand,
    Held,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OutboxCursors {
    Table,
    Consumer,
    LastId,
    UpdatedAt,
}

pub(crate) fn authors() -> TableCreateStatement {
    Table::create()
        .table(Authors::Table)
        .col(id(Authors::Id))
        .col(ColumnDef::new(Authors::Name).string().not_null())
        // Lower-cased name: authors are found by name when books are created.
        .col(
            ColumnDef::new(Authors::NameKey)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Authors::Bio).text())
        .col(time(Authors::CreatedAt))
        .to_owned()
}

pub(crate) fn categories() -> TableCreateStatement {
    Table::create()
        .table(Categories::Table)
        .col(id(Categories::Id))
        .col(
            ColumnDef::new(Categories::Slug)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Categories::Name).string().not_null())
        .to_owned()
}

pub(crate) fn books() -> TableCreateStatement {
    Table::create()
        .table(Books::Table)
        .col(id(Books::Id))
        .col(varchar(Books::Isbn, 13).unique_key())
        .col(ColumnDef::new(Books::Title).string().not_null())
        // Lower-cased title, the TITLE sort key.
        .col(ColumnDef::new(Books::TitleKey).string().not_null())
        .col(ColumnDef::new(Books::Subtitle).string())
        .col(ColumnDef::new(Books::Description).text().not_null())
        .col(ColumnDef::new(Books::Publisher).string())
        .col(ColumnDef::new(Books::PublishedYear).integer())
        .col(ColumnDef::new(Books::PageCount).integer())
        // JSON array of strings.
        .col(ColumnDef::new(Books::Keywords).text().not_null())
        .col(big(Books::PriceMinor))
        .col(varchar(Books::Currency, 3))
        .col(int(Books::RatingCount).default(0))
        .col(int(Books::RatingSum).default(0))
        // Average rating × 1000, rounded (0 without reviews): the RATING sort key, kept in step with
        // the two columns above in the transaction that changes a review.
        .col(int(Books::RatingKey).default(0))
        .col(time(Books::CreatedAt))
        .col(time(Books::UpdatedAt))
        .col(ColumnDef::new(Books::DeletedAt).timestamp_with_time_zone())
        .to_owned()
}

pub(crate) fn book_authors() -> TableCreateStatement {
    Table::create()
        .table(BookAuthors::Table)
        .col(big(BookAuthors::BookId))
        .col(big(BookAuthors::AuthorId))
        .col(int(BookAuthors::Position))
        .primary_key(
            Index::create()
                .col(BookAuthors::BookId)
                .col(BookAuthors::AuthorId),
        )
        .foreign_key(&mut fk(
            BookAuthors::Table,
            BookAuthors::BookId,
            Books::Table,
            Books::Id,
        ))
        .foreign_key(&mut fk(
            BookAuthors::Table,
            BookAuthors::AuthorId,
            Authors::Table,
            Authors::Id,
        ))
        .to_owned()
}

pub(crate) fn book_categories() -> TableCreateStatement {
    Table::create()
        .table(BookCategories::Table)
        .col(big(BookCategories::BookId))
        .col(big(BookCategories::CategoryId))
        .primary_key(
            Index::create()
                .col(BookCategories::BookId)
                .col(BookCategories::CategoryId),
        )
        .foreign_key(&mut fk(
            BookCategories::Table,
            BookCategories::BookId,
            Books::Table,
            Books::Id,
        ))
        .foreign_key(&mut fk(
            BookCategories::Table,
            BookCategories::CategoryId,
            Categories::Table,
            Categories::Id,
        ))
        .to_owned()
}

pub(crate) fn reviews() -> TableCreateStatement {
    Table::create()
        .table(Reviews::Table)
        .col(id(Reviews::Id))
        .col(big(Reviews::BookId))
        .col(big(Reviews::UserId))
        .col(int(Reviews::Rating))
        .col(ColumnDef::new(Reviews::Title).string())
        .col(ColumnDef::new(Reviews::Body).text())
        .col(time(Reviews::CreatedAt))
        .col(time(Reviews::UpdatedAt))
        .foreign_key(&mut fk(
            Reviews::Table,
            Reviews::BookId,
            Books::Table,
            Books::Id,
        ))
        .foreign_key(&mut fk(
            Reviews::Table,
            Reviews::UserId,
            Users::Table,
            Users::Id,
        ))
        .to_owned()
}

pub(crate) fn warehouses() -> TableCreateStatement {
    Table::create()
        .table(Warehouses::Table)
        .col(id(Warehouses::Id))
        .col(
            ColumnDef::new(Warehouses::Name)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Warehouses::Region).string().not_null())
        .col(time(Warehouses::CreatedAt))
        .to_owned()
}

pub(crate) fn stock() -> TableCreateStatement {
    Table::create()
        .table(Stock::Table)
        .col(big(Stock::BookId))
        .col(big(Stock::WarehouseId))
        .col(int(Stock::OnHand).default(0))
        .col(int(Stock::Held).default(0))
        .primary_key(Index::create().col(Stock::BookId).col(Stock::WarehouseId))
        .foreign_key(&mut fk(
            Stock::Table,
            Stock::BookId,
            Books::Table,
            Books::Id,
        ))
        .foreign_key(&mut fk(
            Stock::Table,
            Stock::WarehouseId,
            Warehouses::Table,
            Warehouses::Id,
        ))
        // The invariant the whole cart design rests on, enforced by the database too.
        .check(Expr::col(Stock::Held).gte(0))
        .check(Expr::col(Stock::Held).lte(Expr::col(Stock::OnHand)))
        .to_owned()
}

pub(crate) fn outbox() -> TableCreateStatement {
    Table::create()
        .table(Outbox::Table)
        .col(id(Outbox::Id))
        .col(varchar(Outbox::Kind, 32))
        .col(ColumnDef::new(Outbox::Payload).text().not_null())
        .col(time(Outbox::CreatedAt))
        .to_owned()
}

pub(crate) fn outbox_cursors() -> TableCreateStatement {
    Table::create()
        .table(OutboxCursors::Table)
        .col(
            ColumnDef::new(OutboxCursors::Consumer)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(big(OutboxCursors::LastId))
        .col(time(OutboxCursors::UpdatedAt))
        .to_owned()
}
