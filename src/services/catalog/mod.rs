//! The catalog: books, their authors and categories, reviews, browsing and search.
pub mod author;
pub mod book;
pub mod book_input;
pub mod browse;
pub mod category;
pub mod review;
pub mod search;
