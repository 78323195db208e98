//! DataLoaders: every relation a list can ask for is fetched once per request for all the rows on
//! the page, so a page of 50 books costs the same few statements as a page of 5. One loader per
//! file; all are registered here and attached to each request by `Loaders::new`.
mod authors_of_book;
mod book_by_id;
mod categories_of_book;
mod stock_of_book;
mod user_by_id;
mod warehouse_by_id;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use sea_orm::DatabaseConnection;

pub use authors_of_book::AuthorsOfBook;
pub use book_by_id::BookById;
pub use categories_of_book::CategoriesOfBook;
pub use stock_of_book::StockOfBook;
pub use user_by_id::UserById;
pub use warehouse_by_id::WarehouseById;

use crate::error::Error;

/// What a loader fails with: shared, because one failed batch fails every field that waited on it.
pub type LoadError = Arc<Error>;

/// The loaders of one request. Created per request so their caches never outlive it.
pub struct Loaders {
    pub authors_of_book: DataLoader<AuthorsOfBook>,
    pub book_by_id: DataLoader<BookById>,
    pub categories_of_book: DataLoader<CategoriesOfBook>,
    pub stock_of_book: DataLoader<StockOfBook>,
    pub user_by_id: DataLoader<UserById>,
    pub warehouse_by_id: DataLoader<WarehouseById>,
}

impl Loaders {
    /// Fresh loaders over `db`.
    pub fn new(db: &DatabaseConnection) -> Self {
        fn loader<T>(inner: T) -> DataLoader<T> {
            DataLoader::new(inner, tokio::spawn)
        }
        Loaders {
            authors_of_book: loader(AuthorsOfBook(db.clone())),
            book_by_id: loader(BookById(db.clone())),
            categories_of_book: loader(CategoriesOfBook(db.clone())),
            stock_of_book: loader(StockOfBook(db.clone())),
            user_by_id: loader(UserById(db.clone())),
            warehouse_by_id: loader(WarehouseById(db.clone())),
        }
    }
}

/// Turns a loader failure into the GraphQL error its variant maps to.
pub fn gql_error(err: LoadError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    err.extend()
}

fn load_error(err: impl Into<Error>) -> LoadError {
    Arc::new(err.into())
}
