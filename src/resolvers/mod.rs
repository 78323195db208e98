//! The root fields, one root object per noun (merged into one schema by `crate::graphql`).
//! Resolvers stay thin: check who is asking, parse ids, call a service, wrap the result in its
//! GraphQL type. They never touch a table.
pub(crate) mod announcement;
pub(crate) mod author;
pub(crate) mod book;
pub(crate) mod cart;
pub(crate) mod category;
pub(crate) mod checkout;
pub(crate) mod conversation;
pub(crate) mod message;
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
