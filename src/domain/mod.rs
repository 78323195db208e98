//! Value types with no I/O, the words every layer speaks: ids, money, ISBNs, the book filter and
//! sort, page cursors, pages, statuses, and who is asking. Nothing here reads a database or a
//! socket, and nothing imports another Folio module but `error`.
pub mod book;
pub mod client;
pub mod cursor;
pub mod digest;
pub mod id;
pub mod isbn;
pub mod money;
pub mod page;
pub mod rate;
pub mod status;
pub mod viewer;
