//! The GraphQL types, one file per noun: objects wrapping entities and domain values (so a column
//! can change without the public schema changing), their inputs, and GraphQL enums mirroring the
//! domain's; plus what every field shares: the generic connection, the context accessors, the
//! guards, and the limits and error codes around every operation. Fields that need more than their
//! row read it through the request's loaders. The assembly of the whole schema is `crate::graphql`.
pub(crate) mod announcement;
pub(crate) mod author;
pub(crate) mod book;
pub(crate) mod book_input;
pub(crate) mod book_list;
pub(crate) mod cart;
pub(crate) mod category;
pub(crate) mod checkout;
pub(crate) mod connection;
pub(crate) mod context;
pub(crate) mod conversation;
pub(crate) mod cost;
pub(crate) mod error_codes;
pub(crate) mod guard;
pub(crate) mod limits;
pub(crate) mod message;
pub(crate) mod money;
pub(crate) mod order;
pub(crate) mod presence;
pub(crate) mod price_watch;
pub(crate) mod receipt;
pub(crate) mod review;
pub(crate) mod search;
pub(crate) mod session;
pub(crate) mod stock;
pub(crate) mod typing;
pub(crate) mod user;
pub(crate) mod warehouse;
