//! The `Author` type. Its `books` list is resolved beside the other lists of books
//! (`schema::book_list`), so that a book's authors and an author's books do not import each other.
use async_graphql::{ID, SimpleObject};

use crate::entities::author;

/// A person who wrote books.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub(crate) struct Author {
    /// Opaque identifier.
    pub(crate) id: ID,
    /// Full name.
    pub(crate) name: String,
    /// A short biography, if the catalog has one.
    pub(crate) bio: Option<String>,
    #[graphql(skip)]
    pub(crate) author_id: i64,
}

impl From<author::Model> for Author {
    fn from(m: author::Model) -> Self {
        Author {
            id: ID(m.id.to_string()),
            name: m.name,
            bio: m.bio,
            author_id: m.id,
        }
    }
}
