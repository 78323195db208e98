//! The catalog: authors, categories, books and their links, reviews, warehouses and stock, and the
//! outbox that carries catalog changes to the search index and the event bus.
use sea_orm_migration::prelude::*;

use crate::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

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

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
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
                    .col(
                        ColumnDef::new(Authors::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Books::Table)
                    .col(id(Books::Id))
                    .col(
                        ColumnDef::new(Books::Isbn)
                            .string_len(13)
                            .not_null()
                            .unique_key(),
                    )
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
                    .col(ColumnDef::new(Books::PriceMinor).big_integer().not_null())
                    .col(ColumnDef::new(Books::Currency).string_len(3).not_null())
                    .col(
                        ColumnDef::new(Books::RatingCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Books::RatingSum)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    // Average rating × 1000, rounded (0 without reviews): the RATING sort key, kept in
                    // step with the two columns above in the transaction that changes a review.
                    .col(
                        ColumnDef::new(Books::RatingKey)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Books::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Books::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Books::DeletedAt).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BookAuthors::Table)
                    .col(ColumnDef::new(BookAuthors::BookId).big_integer().not_null())
                    .col(
                        ColumnDef::new(BookAuthors::AuthorId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(BookAuthors::Position).integer().not_null())
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BookCategories::Table)
                    .col(
                        ColumnDef::new(BookCategories::BookId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BookCategories::CategoryId)
                            .big_integer()
                            .not_null(),
                    )
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(id(Reviews::Id))
                    .col(ColumnDef::new(Reviews::BookId).big_integer().not_null())
                    .col(ColumnDef::new(Reviews::UserId).big_integer().not_null())
                    .col(ColumnDef::new(Reviews::Rating).integer().not_null())
                    .col(ColumnDef::new(Reviews::Title).string())
                    .col(ColumnDef::new(Reviews::Body).text())
                    .col(
                        ColumnDef::new(Reviews::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Reviews::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
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
                    .col(
                        ColumnDef::new(Warehouses::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Stock::Table)
                    .col(ColumnDef::new(Stock::BookId).big_integer().not_null())
                    .col(ColumnDef::new(Stock::WarehouseId).big_integer().not_null())
                    .col(
                        ColumnDef::new(Stock::OnHand)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(Stock::Held).integer().not_null().default(0))
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
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(id(Outbox::Id))
                    .col(ColumnDef::new(Outbox::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Outbox::Payload).text().not_null())
                    .col(
                        ColumnDef::new(Outbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxCursors::Table)
                    .col(
                        ColumnDef::new(OutboxCursors::Consumer)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OutboxCursors::LastId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OutboxCursors::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        // One index per browse order and filter. Partial indexes skip deleted books, which browse
        // and search never show; both SQLite and PostgreSQL support them.
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX idx_books_title ON books (title_key, id) WHERE deleted_at IS NULL",
            "CREATE INDEX idx_books_price ON books (price_minor, id) WHERE deleted_at IS NULL",
            "CREATE INDEX idx_books_rating ON books (rating_key, id) WHERE deleted_at IS NULL",
            "CREATE INDEX idx_book_authors_author ON book_authors (author_id, book_id)",
            "CREATE INDEX idx_book_categories_category ON book_categories (category_id, book_id)",
            "CREATE UNIQUE INDEX idx_reviews_book_user ON reviews (book_id, user_id)",
            "CREATE INDEX idx_reviews_book_created ON reviews (book_id, created_at, id)",
            "CREATE INDEX idx_stock_warehouse ON stock (warehouse_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox_cursors",
            "outbox",
            "stock",
            "warehouses",
            "reviews",
            "book_categories",
            "book_authors",
            "books",
            "categories",
            "authors",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
