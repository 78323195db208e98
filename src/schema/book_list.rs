//! Lists of books: the connection a browse returns, and the filter and order a client asks for.
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, Result, ResultExt};

use crate::domain::book::{BookFilter, BookSort};
use crate::domain::page::Page;
use crate::entities::book;
use crate::loaders::prefetch_books;
use crate::schema::author::Author;
use crate::schema::book::Book;
use crate::schema::connection::PageInfo;
use crate::schema::context::state;
use crate::services::catalog::browse;

/// A page of books.
pub(crate) struct BookConnection {
    filter: BookFilter,
    page: Page<book::Model>,
    after: bool,
}

impl BookConnection {
    /// The page of books under `filter` in `sort` order after `after`, with what its selection asks
    /// of them prefetched: the one way every books list is read.
    pub(crate) async fn load(
        ctx: &Context<'_>,
        filter: BookFilter,
        sort: BookSort,
        first: i32,
        after: Option<String>,
    ) -> Result<Self> {
        let state = state(ctx)?;
        let page = browse::browse(
            &state.db,
            &state.counts,
            &filter,
            sort,
            first,
            after.as_deref(),
        )
        .await
        .extend()?;
        let ids: Vec<i64> = page.items.iter().map(|(_, b)| b.id).collect();
        prefetch_books(ctx, &ids).await?;
        Ok(BookConnection {
            filter,
            page,
            after: after.is_some(),
        })
    }
}

/// A page of books.
#[Object]
impl BookConnection {
    /// How many books match, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let state = state(ctx)?;
        browse::count_books(&state.db, &state.counts, &self.filter)
            .await
            .extend()
    }

    /// Where this page sits.
    async fn page_info(&self) -> PageInfo {
        PageInfo::forward(
            self.page.items.iter().map(|(c, _)| c),
            self.page.has_next_page,
            self.after,
        )
    }

    /// The books on this page.
    async fn edges(&self) -> Vec<BookEdge<'_>> {
        self.page
            .items
            .iter()
            .map(|(cursor, book)| BookEdge { cursor, book })
            .collect()
    }
}

#[ComplexObject]
impl Author {
    /// The author's books in the catalog.
    #[graphql(complexity = "first.max(0) as usize * child_complexity")]
    async fn books(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Order of the books; TITLE by default.")] sort: Option<BookSortInput>,
    ) -> Result<BookConnection> {
        let sort = sort.unwrap_or(BookSortInput::Title).into();
        let filter = BookFilter::by_author(self.author_id);
        BookConnection::load(ctx, filter, sort, first, after).await
    }
}

/// A book on a page.
pub(crate) struct BookEdge<'a> {
    cursor: &'a str,
    book: &'a book::Model,
}

/// A book on a page.
#[Object]
impl BookEdge<'_> {
    /// Pass as `after` to continue after this book.
    async fn cursor(&self) -> &str {
        self.cursor
    }

    /// The book at this place in the list.
    async fn node(&self) -> Book {
        Book(self.book.clone())
    }
}

/// Narrows a list of books. Every field is optional; they combine with AND.
#[derive(InputObject, Default, Clone)]
#[graphql(name = "BookFilter")]
pub(crate) struct BookFilterInput {
    /// Only books in this category.
    pub(crate) category_id: Option<ID>,
    /// Only books by this author.
    pub(crate) author_id: Option<ID>,
    /// Lowest price, a decimal string such as "5.00".
    pub(crate) min_price: Option<String>,
    /// Highest price, a decimal string such as "20.00".
    pub(crate) max_price: Option<String>,
    /// Only books with at least one unit available.
    pub(crate) in_stock: Option<bool>,
}

impl BookFilterInput {
    /// The domain's filter, with BAD_USER_INPUT naming a malformed field.
    pub(crate) fn parse(&self) -> crate::error::Result<BookFilter> {
        BookFilter::parse(
            self.category_id.as_deref().map(String::as_str),
            self.author_id.as_deref().map(String::as_str),
            self.min_price.as_deref(),
            self.max_price.as_deref(),
            self.in_stock,
        )
    }
}

/// The order of a list of books.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "BookSort", remote = "crate::domain::book::BookSort")]
pub(crate) enum BookSortInput {
    /// Alphabetical by title (the default).
    Title,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// Most recently added to the catalog first.
    Newest,
    /// Best average rating first; unrated books last.
    Rating,
}
