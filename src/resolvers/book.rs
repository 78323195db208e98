//! `books`, `book`, `bookByIsbn`; `createBook`, `updateBook`, `deleteBook` (ADMIN).
use async_graphql::{Context, ID, Object, Result, ResultExt};

use crate::domain::id::parse_id;
use crate::schema::book::Book;
use crate::schema::book_input::{CreateBookInput, UpdateBookInput};
use crate::schema::book_list::{BookConnection, BookFilterInput, BookSortInput};
use crate::schema::context::state;
use crate::schema::guard::AdminGuard;
use crate::services::catalog::book;

/// Books.
#[derive(Default)]
pub(crate) struct BookQuery;

#[Object]
impl BookQuery {
    /// A page of books, filtered and sorted. Cursors stay valid while books are added or removed:
    /// following `endCursor` never skips or repeats a book.
    // The catalog's roots allow an anonymous GET to be kept by others for a minute (the whole
    // response's `Cache-Control` is the shortest of its fields', `transport::media`).
    #[graphql(
        complexity = "first.max(0) as usize * child_complexity",
        cache_control(max_age = 60)
    )]
    async fn books(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1..100.")] first: i32,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Narrows the list.")] filter: Option<BookFilterInput>,
        #[graphql(desc = "Order of the list; TITLE by default.")] sort: Option<BookSortInput>,
    ) -> Result<BookConnection> {
        let filter = filter.unwrap_or_default().parse().extend()?;
        let sort = sort.unwrap_or(BookSortInput::Title).into();
        BookConnection::load(ctx, filter, sort, first, after).await
    }

    /// One book; NOT_FOUND if there is none (or it was deleted).
    #[graphql(cache_control(max_age = 60))]
    async fn book(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book's id.")] id: ID,
    ) -> Result<Book> {
        let id = parse_id("id", &id).extend()?;
        book::find_book(&state(ctx)?.db, id)
            .await
            .map(Book)
            .extend()
    }

    /// The book with this ISBN (10 or 13 digits; hyphens and spaces ignored); NOT_FOUND if none.
    #[graphql(cache_control(max_age = 60))]
    async fn book_by_isbn(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ISBN-10 or ISBN-13.")] isbn: String,
    ) -> Result<Book> {
        book::find_book_by_isbn(&state(ctx)?.db, &isbn)
            .await
            .map(Book)
            .extend()
    }
}

/// Managing books.
#[derive(Default)]
pub(crate) struct BookMutation;

#[Object]
impl BookMutation {
    /// Adds a book (ADMIN). Each invalid field fails with BAD_USER_INPUT naming it; an ISBN already
    /// in the catalog fails with CONFLICT.
    #[graphql(guard = "AdminGuard")]
    async fn create_book(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new book.")] input: CreateBookInput,
    ) -> Result<Book> {
        let state = state(ctx)?;
        book::create_book(&state.db, &state.counts, input.into())
            .await
            .map(Book)
            .extend()
    }

    /// Changes a book (ADMIN); omitted fields stay as they are. A price change notifies watchers and
    /// `priceChanged` subscribers once it is committed.
    #[graphql(guard = "AdminGuard")]
    async fn update_book(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book's id.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateBookInput,
    ) -> Result<Book> {
        let id = parse_id("id", &id).extend()?;
        let state = state(ctx)?;
        book::update_book(&state.db, &state.counts, id, input.into())
            .await
            .map(Book)
            .extend()
    }

    /// Removes a book from browse and search (ADMIN); past orders and reviews keep it. True once done.
    #[graphql(guard = "AdminGuard")]
    async fn delete_book(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The book's id.")] id: ID,
    ) -> Result<bool> {
        let id = parse_id("id", &id).extend()?;
        let state = state(ctx)?;
        book::delete_book(&state.db, &state.counts, id)
            .await
            .map(|()| true)
            .extend()
    }
}
