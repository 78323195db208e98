//! Accounts: users and their sessions.
pub mod session;
pub mod user;
