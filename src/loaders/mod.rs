//! DataLoaders: every relation a list can ask for is fetched once per request for all the rows on
//! the page, so a page of 50 books costs the same few statements as a page of 5. One loader per
//! file (one generic loader for rows by id); all are registered here and attached to each request
//! by `Loaders::new`; `prefetch` loads what a page's selection will ask for, one batch each.
mod authors_of_book;
mod by_id;
mod categories_of_book;
mod last_message_of_conversation;
mod members_of_conversation;
mod prefetch;
mod presence_of_user;
mod stock_of_book;

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::DatabaseConnection;

use authors_of_book::AuthorsOfBook;
use by_id::ById;
use categories_of_book::CategoriesOfBook;
use last_message_of_conversation::LastMessageOfConversation;
use members_of_conversation::MembersOfConversation;
use presence_of_user::PresenceOfUser;
use stock_of_book::StockOfBook;

pub(crate) use prefetch::{prefetch_books, prefetch_conversations};

use crate::entities::{book, user, warehouse};
use crate::error::Error;
use crate::presence::Presence;

/// What a loader fails with: shared, because one failed batch fails every field that waited on it.
pub(crate) type LoadError = Arc<Error>;

/// The loaders of one request, created when a field first asks for one (through `Deref`): a
/// subscription keeps its request for as long as it lives, and most never load anything, so an
/// idle subscriber does not pay for nine loaders. Per request, so their caches never outlive it.
pub(crate) struct Loaders {
    db: DatabaseConnection,
    presence: Arc<Presence>,
    /// Boxed: inline, the empty cell would take as much room as the loaders.
    all: OnceLock<Box<AllLoaders>>,
}

impl Loaders {
    /// Loaders over `db` and `presence`, none created yet.
    pub(crate) fn new(db: &DatabaseConnection, presence: &Arc<Presence>) -> Self {
        Loaders {
            db: db.clone(),
            presence: presence.clone(),
            all: OnceLock::new(),
        }
    }
}

impl Deref for Loaders {
    type Target = AllLoaders;

    fn deref(&self) -> &AllLoaders {
        self.all
            .get_or_init(|| Box::new(AllLoaders::new(&self.db, &self.presence)))
    }
}

/// One loader per relation.
pub(crate) struct AllLoaders {
    pub(crate) authors_of_book: DataLoader<AuthorsOfBook, HashMapCache>,
    pub(crate) book_by_id: DataLoader<ById<book::Entity>, HashMapCache>,
    pub(crate) categories_of_book: DataLoader<CategoriesOfBook, HashMapCache>,
    pub(crate) last_message_of_conversation: DataLoader<LastMessageOfConversation, HashMapCache>,
    pub(crate) members_of_conversation: DataLoader<MembersOfConversation, HashMapCache>,
    pub(crate) presence_of_user: DataLoader<PresenceOfUser, HashMapCache>,
    pub(crate) stock_of_book: DataLoader<StockOfBook, HashMapCache>,
    pub(crate) user_by_id: DataLoader<ById<user::Entity>, HashMapCache>,
    pub(crate) warehouse_by_id: DataLoader<ById<warehouse::Entity>, HashMapCache>,
}

impl AllLoaders {
    fn new(db: &DatabaseConnection, presence: &Arc<Presence>) -> Self {
        // Cached per request, so that a page can prefetch (see `prefetch_books`) and the
        // fields of each row then read from the cache.
        fn loader<T>(inner: T) -> DataLoader<T, HashMapCache> {
            DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
        }
        AllLoaders {
            authors_of_book: loader(AuthorsOfBook(db.clone())),
            book_by_id: loader(ById::new(db.clone())),
            categories_of_book: loader(CategoriesOfBook(db.clone())),
            last_message_of_conversation: loader(LastMessageOfConversation(db.clone())),
            members_of_conversation: loader(MembersOfConversation(db.clone())),
            presence_of_user: loader(PresenceOfUser(presence.clone())),
            stock_of_book: loader(StockOfBook(db.clone())),
            user_by_id: loader(ById::new(db.clone())),
            warehouse_by_id: loader(ById::new(db.clone())),
        }
    }
}

/// Turns a loader failure into the GraphQL error its variant maps to.
pub(crate) fn gql_error(err: LoadError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    err.extend()
}

fn load_error(err: impl Into<Error>) -> LoadError {
    Arc::new(err.into())
}
