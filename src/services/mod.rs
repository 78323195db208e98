//! Domain logic as plain async functions over a database connection (and the bus where they announce
//! something). Resolvers call these; tests can too, without GraphQL.
pub mod account;
pub mod announcement;
pub mod book;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod conversation;
pub mod count_cache;
pub mod hold;
pub mod id;
pub mod isbn;
pub mod message;
pub mod message_stream;
pub mod money;
pub mod order;
pub mod outbox;
pub mod page;
pub mod receipt;
pub mod review;
pub mod search;
pub mod settlement;
pub mod stock;
pub mod typing;
pub mod updates;
pub mod watch;
