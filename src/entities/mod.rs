//! sea-orm entities: one file per table. The GraphQL layer wraps these, so a column can change
//! without the public schema changing.
pub mod user;
