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
pub mod price_watch;
pub mod review;
pub mod simulated_charge;
pub mod stock;
pub mod user;
pub mod warehouse;

/// A row keyed by one `i64` id, for the loader of rows by id.
pub trait HasId {
    fn id(&self) -> i64;
}

macro_rules! has_id {
    ($($table:ident),*) => {
        $(impl HasId for $table::Model {
            fn id(&self) -> i64 {
                self.id
            }
        })*
    };
}

has_id!(book, user, warehouse);
