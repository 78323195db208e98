//! Domain logic as plain async functions over a database connection (and the bus where they announce
//! something). Resolvers call these; tests can too, without GraphQL.
pub mod account;
pub mod announcement;
