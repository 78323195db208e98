//! sea-orm entities: one file per table. The GraphQL layer wraps these, so a column can change
//! without the public schema changing.
pub mod author;
pub mod book;
pub mod book_author;
pub mod book_category;
pub mod category;
pub mod outbox;
pub mod outbox_cursor;
pub mod review;
pub mod stock;
pub mod user;
pub mod warehouse;
