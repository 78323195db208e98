//! The catalog: authors, categories, books and their links, reviews, warehouses and stock, and the
//! outbox that carries catalog changes to the search index and the event bus.
//!
//! The tables themselves are in `tables::catalog`; this file stays, under its name, because the
//! name is what `seaql_migrations` records.
use sea_orm_migration::prelude::*;

use crate::tables::catalog::{
    authors, book_authors, book_categories, books, categories, outbox, outbox_cursors, reviews,
    stock, warehouses,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            authors(),
            categories(),
            books(),
            book_authors(),
            book_categories(),
            reviews(),
            warehouses(),
            stock(),
            outbox(),
            outbox_cursors(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }

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
