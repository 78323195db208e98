//! Domain logic as plain async functions over a database connection (and the bus where they announce
//! something), grouped by noun: `catalog`, `inventory`, `commerce`, `chat`, `accounts`, `updates`.
//! Resolvers and workers call these; tests can too, without GraphQL. Nothing here imports
//! `async_graphql`: what a service returns is a domain value or an entity, never a GraphQL type.
pub mod accounts;
pub mod catalog;
pub mod chat;
pub mod commerce;
pub mod inventory;
pub mod updates;
