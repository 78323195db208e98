//! Browsing the catalog: pages of books in a stable order under filters, and single books, authors
//! and categories. Pages use keyset cursors (the sort key and id of the last book seen), so a page
//! never skips or repeats a book while others are inserted or deleted.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};

use crate::entities::{author, book, book_author, book_category, category, stock};
use crate::error::{Error, Result};
use crate::services::count_cache::CountCache;
use crate::services::id::parse_id;
use crate::services::page::{Page, page_size};
use crate::services::{isbn, money};

/// Narrows a browse or search. Prices are in minor units of the book's own currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BookFilter {
    pub category_id: Option<i64>,
    pub author_id: Option<i64>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
}

impl BookFilter {
    /// Builds a filter from the client's strings, naming the field of any bad value.
    pub fn parse(
        category_id: Option<&str>,
        author_id: Option<&str>,
        min_price: Option<&str>,
        max_price: Option<&str>,
        in_stock: Option<bool>,
    ) -> Result<BookFilter> {
        let price = |field: &str, value: Option<&str>| -> Result<Option<i64>> {
            value
                .map(|v| {
                    money::parse_amount(v, "USD")
                        .map_err(|e| Error::bad_input(field, e.to_string()))
                })
                .transpose()
        };
        let filter = BookFilter {
            category_id: category_id
                .map(|id| parse_id("filter.categoryId", id))
                .transpose()?,
            author_id: author_id
                .map(|id| parse_id("filter.authorId", id))
                .transpose()?,
            min_price: price("filter.minPrice", min_price)?,
            max_price: price("filter.maxPrice", max_price)?,
            in_stock: in_stock.unwrap_or(false),
        };
        if let (Some(min), Some(max)) = (filter.min_price, filter.max_price)
            && min > max
        {
            return Err(Error::bad_input(
                "filter.maxPrice",
                "must not be below minPrice",
            ));
        }
        Ok(filter)
    }

    /// Applies the filter to a query over books that are not deleted, for counting: the category's
    /// books are read from its index.
    pub fn apply(&self, query: Select<book::Entity>) -> Select<book::Entity> {
        self.apply_with(query, ShelfPlan::FromShelf)
    }

    /// Applies the filter, reading a category either from its index or by walking the sort order.
    pub fn apply_with(
        &self,
        mut query: Select<book::Entity>,
        plan: ShelfPlan,
    ) -> Select<book::Entity> {
        query = query.filter(book::Column::DeletedAt.is_null());
        if let (Some(category_id), ShelfPlan::WalkSortOrder) = (self.category_id, plan) {
            query = query.filter(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(book_category::Entity)
                    .and_where(
                        Expr::col((book_category::Entity, book_category::Column::BookId))
                            .equals((book::Entity, book::Column::Id)),
                    )
                    .and_where(
                        Expr::col((book_category::Entity, book_category::Column::CategoryId))
                            .eq(category_id),
                    )
                    .to_owned(),
            ));
        } else if let Some(category_id) = self.category_id {
            query = query.filter(
                book::Column::Id.in_subquery(
                    Query::select()
                        .column(book_category::Column::BookId)
                        .from(book_category::Entity)
                        .and_where(book_category::Column::CategoryId.eq(category_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(author_id) = self.author_id {
            query = query.filter(
                book::Column::Id.in_subquery(
                    Query::select()
                        .column(book_author::Column::BookId)
                        .from(book_author::Entity)
                        .and_where(book_author::Column::AuthorId.eq(author_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(min) = self.min_price {
            query = query.filter(book::Column::PriceMinor.gte(min));
        }
        if let Some(max) = self.max_price {
            query = query.filter(book::Column::PriceMinor.lte(max));
        }
        if self.in_stock {
            query = query.filter(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(stock::Entity)
                    .and_where(
                        Expr::col((stock::Entity, stock::Column::BookId))
                            .equals((book::Entity, book::Column::Id)),
                    )
                    .and_where(
                        Expr::col((stock::Entity, stock::Column::OnHand))
                            .gt(Expr::col((stock::Entity, stock::Column::Held))),
                    )
                    .to_owned(),
            ));
        }
        query
    }
}

/// How a page reads a category's books. SQLite plans `id IN (books of the shelf)` by reading the
/// whole shelf and sorting it, which for a shelf of 60,000 books costs ~75 ms; walking the sort
/// order's index and checking each book's shelf finds a page of 20 in under a millisecond, but
/// would walk the whole catalog for a shelf of five. So the shelf's (cached) size decides.
/// PostgreSQL plans both forms the same way, from its own statistics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShelfPlan {
    /// Read the shelf's books from its index, then sort them: for small shelves.
    FromShelf,
    /// Walk the sort order and keep the books on the shelf: for large shelves.
    WalkSortOrder,
}

/// Shelves with more books than this are walked in sort order (see `ShelfPlan`). At this size a
/// page of 20 is found within ~10,000 index entries of a million, and a shelf read costs as much.
pub const LARGE_SHELF: u64 = 2_000;

/// The plan for a page under `filter`, from the shelf's cached size.
pub async fn shelf_plan(
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
    let shelf = BookFilter {
        category_id: Some(category_id),
        ..Default::default()
    };
    Ok(if counts.count(db, &shelf).await? > LARGE_SHELF {
        ShelfPlan::WalkSortOrder
    } else {
        ShelfPlan::FromShelf
    })
}

/// The orders books can be listed in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BookSort {
    Title,
    PriceAsc,
    PriceDesc,
    Newest,
    Rating,
}

/// Where a page ends: the sort it belongs to, the last book's sort key, and its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "s")]
    pub sort: BookSort,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<CursorKey>,
    #[serde(rename = "i")]
    pub id: i64,
}

/// A sort key value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorKey {
    Int(i64),
    Text(String),
}

impl Cursor {
    /// The cursor after `book` in `sort`.
    pub fn after(sort: BookSort, book: &book::Model) -> Cursor {
        let key = match sort {
            BookSort::Title => Some(CursorKey::Text(book.title_key.clone())),
            BookSort::PriceAsc | BookSort::PriceDesc => Some(CursorKey::Int(book.price_minor)),
            BookSort::Rating => Some(CursorKey::Int(i64::from(book.rating_key))),
            BookSort::Newest => None,
        };
        Cursor {
            sort,
            key,
            id: book.id,
        }
    }

    /// The opaque string clients pass back.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a cursor this server issued for `sort`; anything else is BAD_USER_INPUT on `after`.
    pub fn decode(value: &str, sort: BookSort) -> Result<Cursor> {
        let bad = || Error::bad_input("after", "is not a cursor of this list and order");
        let bytes = URL_SAFE_NO_PAD.decode(value.trim()).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let key_fits = matches!(
            (cursor.sort, &cursor.key),
            (BookSort::Title, Some(CursorKey::Text(_)))
                | (
                    BookSort::PriceAsc | BookSort::PriceDesc | BookSort::Rating,
                    Some(CursorKey::Int(_))
                )
                | (BookSort::Newest, None)
        );
        if cursor.sort != sort || !key_fits {
            return Err(bad());
        }
        Ok(cursor)
    }
}

/// A page of books matching `filter` in `sort` order, after `after`.
pub async fn browse(
    db: &impl ConnectionTrait,
    filter: &BookFilter,
    plan: ShelfPlan,
    sort: BookSort,
    first: i32,
    after: Option<&str>,
) -> Result<Page<book::Model>> {
    let first = page_size(first)?;
    let after = after.map(|a| Cursor::decode(a, sort)).transpose()?;
    let mut query = filter.apply_with(book::Entity::find(), plan);
    use book::Column as C;
    query = match sort {
        BookSort::Title => query.order_by_asc(C::TitleKey).order_by_asc(C::Id),
        BookSort::PriceAsc => query.order_by_asc(C::PriceMinor).order_by_asc(C::Id),
        BookSort::PriceDesc => query.order_by_desc(C::PriceMinor).order_by_desc(C::Id),
        BookSort::Newest => query.order_by_desc(C::Id),
        BookSort::Rating => query.order_by_desc(C::RatingKey).order_by_desc(C::Id),
    };
    if let Some(cursor) = after {
        let pair = |col: C| {
            Expr::tuple([
                Expr::col((book::Entity, col)),
                Expr::col((book::Entity, C::Id)),
            ])
        };
        let key = |k: CursorKey| match k {
            CursorKey::Int(n) => Expr::val(n),
            CursorKey::Text(s) => Expr::val(s),
        };
        let id = cursor.id;
        query = match (sort, cursor.key) {
            (BookSort::Newest, _) | (_, None) => query.filter(C::Id.lt(id)),
            (BookSort::Title, Some(k)) => {
                query.filter(pair(C::TitleKey).gt(Expr::tuple([key(k), Expr::val(id)])))
            }
            (BookSort::PriceAsc, Some(k)) => {
                query.filter(pair(C::PriceMinor).gt(Expr::tuple([key(k), Expr::val(id)])))
            }
            (BookSort::PriceDesc, Some(k)) => {
                query.filter(pair(C::PriceMinor).lt(Expr::tuple([key(k), Expr::val(id)])))
            }
            (BookSort::Rating, Some(k)) => {
                query.filter(pair(C::RatingKey).lt(Expr::tuple([key(k), Expr::val(id)])))
            }
        };
    }
    let rows = query.limit(first + 1).all(db).await?;
    Ok(Page::of(rows, first, |b| Cursor::after(sort, b).encode()))
}

/// How many books match `filter`.
pub async fn count_books(db: &impl ConnectionTrait, filter: &BookFilter) -> Result<u64> {
    Ok(filter.apply(book::Entity::find()).count(db).await?)
}

/// The book with this id, unless deleted.
pub async fn find_book(db: &impl ConnectionTrait, id: i64) -> Result<book::Model> {
    book::Entity::find_by_id(id)
        .filter(book::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound("book"))
}

/// The book with this ISBN (10 or 13 digits, hyphens and spaces ignored), unless deleted.
pub async fn find_book_by_isbn(db: &impl ConnectionTrait, input: &str) -> Result<book::Model> {
    let isbn = isbn::parse(input).map_err(|e| Error::bad_input("isbn", e.to_string()))?;
    book::Entity::find()
        .filter(book::Column::Isbn.eq(isbn.as_str()))
        .filter(book::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(Error::NotFound("book"))
}

/// The author with this id.
pub async fn find_author(db: &impl ConnectionTrait, id: i64) -> Result<author::Model> {
    author::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("author"))
}

/// A category with the number of books on its shelf.
#[derive(Clone, Debug, FromQueryResult)]
pub struct CategoryCount {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub book_count: i64,
}

/// Every category, by name, with its number of (not deleted) books, in one statement.
pub async fn categories(db: &impl ConnectionTrait) -> Result<Vec<CategoryCount>> {
    let counts = category::Entity::find()
        .select_only()
        .column(category::Column::Id)
        .column(category::Column::Slug)
        .column(category::Column::Name)
        .expr_as(
            Expr::cust(
                "(SELECT COUNT(*) FROM book_categories bc JOIN books b ON b.id = bc.book_id \
                 WHERE bc.category_id = categories.id AND b.deleted_at IS NULL)",
            ),
            "book_count",
        )
        .order_by_asc(category::Column::Name)
        .into_model::<CategoryCount>()
        .all(db)
        .await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_only_fits_the_order_it_was_made_for() {
        let cursor = Cursor {
            sort: BookSort::PriceAsc,
            key: Some(CursorKey::Int(999)),
            id: 7,
        };
        let encoded = cursor.encode();
        assert_eq!(
            Cursor::decode(&encoded, BookSort::PriceAsc).unwrap(),
            cursor
        );
        assert!(Cursor::decode(&encoded, BookSort::Title).is_err());
        assert!(Cursor::decode("garbage", BookSort::PriceAsc).is_err());
    }

    #[test]
    fn a_price_filter_names_its_field() {
        let err = BookFilter::parse(None, None, Some("abc"), None, None).unwrap_err();
        assert!(matches!(err, Error::BadUserInput { ref field, .. } if field == "filter.minPrice"));
        let err = BookFilter::parse(None, None, Some("5"), Some("4"), None).unwrap_err();
        assert!(matches!(err, Error::BadUserInput { ref field, .. } if field == "filter.maxPrice"));
    }
}
