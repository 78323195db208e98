//! Browsing the catalog: pages of books in a stable order under filters, and how many books a
//! filter matches. Pages use keyset cursors (the sort key and id of the last book seen), so a page
//! never skips or repeats a book while others are inserted or deleted.
use sea_orm::{ConnectionTrait, PaginatorTrait, QuerySelect};

use crate::count_cache::CountCache;
use crate::domain::book::{BookFilter, BookSort};
use crate::domain::cursor::BookCursor;
use crate::domain::page::{Page, page_size};
use crate::entities::book::{self, ShelfPlan};
use crate::error::Result;

/// Shelves with more books than this are walked in sort order (see `ShelfPlan`). At this size a
/// page of 20 is found within ~10,000 index entries of a million, and a shelf read costs as much.
const LARGE_SHELF: u64 = 2_000;

/// A page of books matching `filter` in `sort` order, after `after`.
pub(crate) async fn browse(
    db: &impl ConnectionTrait,
    counts: &CountCache,
    filter: &BookFilter,
    sort: BookSort,
    first: i32,
    after: Option<&str>,
) -> Result<Page<book::Model>> {
    let plan = shelf_plan(db, counts, filter).await?;
    page_with_plan(db, filter, plan, sort, first, after).await
}

/// [`browse`], reading a category as `plan` says (both plans give the same pages; only their cost
/// differs).
pub async fn page_with_plan(
    db: &impl ConnectionTrait,
    filter: &BookFilter,
    plan: ShelfPlan,
    sort: BookSort,
    first: i32,
    after: Option<&str>,
) -> Result<Page<book::Model>> {
    let first = page_size(first)?;
    let after = after.map(|a| BookCursor::decode(a, sort)).transpose()?;
    let query = book::in_order(book::matching(filter, plan), sort, after);
    let rows = query.limit(first + 1).all(db).await?;
    Ok(Page::of(rows, first, |b| b.cursor(sort).encode()))
}

/// How many books match `filter`: from the cache while it knows, counted (and remembered) otherwise.
pub(crate) async fn count_books(
    db: &impl ConnectionTrait,
    counts: &CountCache,
    filter: &BookFilter,
) -> Result<u64> {
    if let Some(count) = counts.get(filter) {
        return Ok(count);
    }
    let count = book::matching(filter, ShelfPlan::FromShelf)
        .count(db)
        .await?;
    counts.put(filter, count);
    Ok(count)
}

/// The plan for a page under `filter`, from the shelf's (cached) size.
async fn shelf_plan(
    db: &impl ConnectionTrait,
    counts: &CountCache,
    filter: &BookFilter,
) -> Result<ShelfPlan> {
    let Some(category_id) = filter.category_id else {
        return Ok(ShelfPlan::FromShelf);
    };
    // An author's books are few: reading them first beats any walk, whatever the shelf.
    if filter.author_id.is_some() {
        return Ok(ShelfPlan::FromShelf);
    }
    let shelf = BookFilter::shelf(category_id);
    Ok(if count_books(db, counts, &shelf).await? > LARGE_SHELF {
        ShelfPlan::WalkSortOrder
    } else {
        ShelfPlan::FromShelf
    })
}
