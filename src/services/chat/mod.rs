//! Chat: conversations and their members, messages and their history, read receipts, typing,
//! presence, and the live message streams that lose nothing.
pub mod beacon;
pub mod conversation;
pub mod history;
pub mod message;
pub mod presence;
pub mod receipt;
pub mod stream;
pub mod typing;
