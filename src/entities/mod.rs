//! sea-orm entities: one file per table, with the reusable queries of that table next to it. The
//! GraphQL layer wraps these, so a column can change without the public schema changing.
pub mod author;
pub mod book;
pub mod book_author;
pub mod book_category;
pub mod cart;
pub mod cart_item;
pub mod category;
pub mod conversation;
pub mod conversation_member;
pub mod hold;
pub mod idempotency_key;
pub mod message;
pub mod order;
pub mod order_allocation;
pub mod order_item;
pub mod outbox;
pub mod outbox_cursor;
pub mod persisted_operation;
pub mod price_watch;
pub mod refresh_token;
pub mod review;
pub mod session;
pub mod simulated_charge;
pub mod stock;
pub mod user;
pub mod warehouse;

/// A table keyed by one `i64` id column, for the loader of rows by id.
pub trait KeyedById: sea_orm::EntityTrait {
    /// The id column.
    fn id_column() -> Self::Column;
    /// The id of a row.
    fn id_of(row: &Self::Model) -> i64;
}

macro_rules! keyed_by_id {
    ($($table:ident),*) => {
        $(impl KeyedById for $table::Entity {
            fn id_column() -> $table::Column {
                $table::Column::Id
            }
            fn id_of(row: &$table::Model) -> i64 {
                row.id
            }
        })*
    };
}

keyed_by_id!(book, user, warehouse);
