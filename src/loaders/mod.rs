//! DataLoaders: every relation a list can ask for is fetched once per request for all the rows on
//! the page, so a page of 50 books costs the same few statements as a page of 5. One loader per
//! file; all are registered here and attached to each request by `Loaders::new`.
mod authors_of_book;
mod book_by_id;
mod categories_of_book;
mod last_message_of_conversation;
mod members_of_conversation;
mod presence_of_user;
mod stock_of_book;
mod user_by_id;
mod warehouse_by_id;

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::DatabaseConnection;

pub use authors_of_book::AuthorsOfBook;
pub use book_by_id::BookById;
pub use categories_of_book::CategoriesOfBook;
pub use last_message_of_conversation::LastMessageOfConversation;
pub use members_of_conversation::MembersOfConversation;
pub use presence_of_user::PresenceOfUser;
pub use stock_of_book::StockOfBook;
pub use user_by_id::UserById;
pub use warehouse_by_id::WarehouseById;

use crate::error::Error;

/// What a loader fails with: shared, because one failed batch fails every field that waited on it.
pub type LoadError = Arc<Error>;

/// The loaders of one request, created when a field first asks for one (through `Deref`): a
/// subscription keeps its request for as long as it lives, and most never load anything, so an
/// idle subscriber does not pay for nine loaders. Per request, so their caches never outlive it.
pub struct Loaders {
    db: DatabaseConnection,
    presence: Arc<crate::presence::Presence>,
    /// Boxed: inline, the empty cell would take as much room as the loaders.
    all: OnceLock<Box<AllLoaders>>,
}

impl Loaders {
    /// Loaders over `db` and `presence`, none created yet.
    pub fn new(db: &DatabaseConnection, presence: &Arc<crate::presence::Presence>) -> Self {
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
pub struct AllLoaders {
    pub authors_of_book: DataLoader<AuthorsOfBook, HashMapCache>,
    pub book_by_id: DataLoader<BookById, HashMapCache>,
    pub categories_of_book: DataLoader<CategoriesOfBook, HashMapCache>,
    pub last_message_of_conversation: DataLoader<LastMessageOfConversation, HashMapCache>,
    pub members_of_conversation: DataLoader<MembersOfConversation, HashMapCache>,
    pub presence_of_user: DataLoader<PresenceOfUser, HashMapCache>,
    pub stock_of_book: DataLoader<StockOfBook, HashMapCache>,
    pub user_by_id: DataLoader<UserById, HashMapCache>,
    pub warehouse_by_id: DataLoader<WarehouseById, HashMapCache>,
}

impl AllLoaders {
    fn new(db: &DatabaseConnection, presence: &Arc<crate::presence::Presence>) -> Self {
        // Cached per request, so that a page can prefetch (see `prefetch_books`) and the
        // fields of each row then read from the cache.
        fn loader<T>(inner: T) -> DataLoader<T, HashMapCache> {
            DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
        }
        AllLoaders {
            authors_of_book: loader(AuthorsOfBook(db.clone())),
            book_by_id: loader(BookById(db.clone())),
            categories_of_book: loader(CategoriesOfBook(db.clone())),
            last_message_of_conversation: loader(LastMessageOfConversation(db.clone())),
            members_of_conversation: loader(MembersOfConversation(db.clone())),
            presence_of_user: loader(PresenceOfUser(presence.clone())),
            stock_of_book: loader(StockOfBook(db.clone())),
            user_by_id: loader(UserById(db.clone())),
            warehouse_by_id: loader(WarehouseById(db.clone())),
        }
    }
}

/// Loads, in one batch per relation, what the selection under `edges.node` will ask of these
/// books, so a page costs the same statements whatever its size. Without it the batches depend on
/// timing: the loader's delay can fire on another worker thread before every row has asked.
pub async fn prefetch_books(
    ctx: &Context<'_>,
    book_ids: &[i64],
) -> Result<(), async_graphql::Error> {
    if book_ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let node = ctx.look_ahead().field("edges").field("node");
    let ids = || book_ids.iter().copied();
    let authors = async {
        if node.field("authors").exists() {
            loaders.authors_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let categories = async {
        if node.field("categories").exists() {
            loaders.categories_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let stock = async {
        if node.field("available").exists() || node.field("stockStatus").exists() {
            loaders.stock_of_book.load_many(ids()).await.map(drop)
        } else {
            Ok(())
        }
    };
    let (a, c, s) = tokio::join!(authors, categories, stock);
    a.and(c).and(s).map_err(gql_error)
}

/// Turns a loader failure into the GraphQL error its variant maps to.
pub fn gql_error(err: LoadError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    err.extend()
}

fn load_error(err: impl Into<Error>) -> LoadError {
    Arc::new(err.into())
}
