//! A title the store sells, and the queries that list books: under a filter, in a sort order,
//! after a keyset cursor.
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{QueryOrder, Select};

use crate::domain::book::{BookFilter, BookSort};
use crate::domain::cursor::{BookCursor, SortKey};
use crate::entities::{book_author, book_category, stock};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "books")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// ISBN-13 digits.
    #[sea_orm(unique)]
    pub isbn: String,
    pub title: String,
    /// Lower-cased title: the TITLE sort key.
    pub title_key: String,
    pub subtitle: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub publisher: Option<String>,
    pub published_year: Option<i32>,
    pub page_count: Option<i32>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub keywords: String,
    pub price_minor: i64,
    pub currency: String,
    pub rating_count: i32,
    pub rating_sum: i32,
    /// Average rating × 1000, rounded; 0 without reviews. The RATING sort key.
    pub rating_key: i32,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    /// Set when deleted: the book leaves browse and search, its orders and reviews stay.
    pub deleted_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The keywords as a list.
    pub fn keyword_list(&self) -> Vec<String> {
        serde_json::from_str(&self.keywords).unwrap_or_default()
    }

    /// The average rating, or `None` without reviews.
    pub fn average_rating(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| f64::from(self.rating_sum) / f64::from(self.rating_count))
    }
}

/// The RATING sort key for a rating sum and count.
pub fn rating_key(sum: i32, count: i32) -> i32 {
    if count == 0 {
        0
    } else {
        ((f64::from(sum) * 1000.0) / f64::from(count)).round() as i32
    }
}

impl Model {
    /// The cursor just after this book in `sort` order.
    pub fn cursor(&self, sort: BookSort) -> BookCursor {
        let key = match sort {
            BookSort::Title => Some(SortKey::Text(self.title_key.clone())),
            BookSort::PriceAsc | BookSort::PriceDesc => Some(SortKey::Int(self.price_minor)),
            BookSort::Rating => Some(SortKey::Int(i64::from(self.rating_key))),
            BookSort::Newest => None,
        };
        BookCursor {
            sort,
            key,
            id: self.id,
        }
    }
}

/// How a query reads a category's books. SQLite plans `id IN (books of the shelf)` by reading the
/// whole shelf and sorting it, which for a shelf of 60,000 books costs ~75 ms; walking the sort
/// order's index and checking each book's shelf finds a page of 20 in under a millisecond, but
/// would walk the whole catalog for a shelf of five. So the shelf's size decides (see
/// `services::catalog::browse::shelf_plan`). PostgreSQL plans both forms the same way, from its
/// own statistics.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShelfPlan {
    /// Read the shelf's books from its index, then sort them: for small shelves.
    FromShelf,
    /// Walk the sort order and keep the books on the shelf: for large shelves.
    WalkSortOrder,
}

/// The books that are not deleted and match `filter`, reading a category as `plan` says.
pub fn matching(filter: &BookFilter, plan: ShelfPlan) -> Select<Entity> {
    let mut query = Entity::find().filter(Column::DeletedAt.is_null());
    if let (Some(category_id), ShelfPlan::WalkSortOrder) = (filter.category_id, plan) {
        query = query.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(book_category::Entity)
                .and_where(
                    Expr::col((book_category::Entity, book_category::Column::BookId))
                        .equals((Entity, Column::Id)),
                )
                .and_where(
                    Expr::col((book_category::Entity, book_category::Column::CategoryId))
                        .eq(category_id),
                )
                .to_owned(),
        ));
    } else if let Some(category_id) = filter.category_id {
        query = query.filter(
            Column::Id.in_subquery(
                Query::select()
                    .column(book_category::Column::BookId)
                    .from(book_category::Entity)
                    .and_where(book_category::Column::CategoryId.eq(category_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(author_id) = filter.author_id {
        query = query.filter(
            Column::Id.in_subquery(
                Query::select()
                    .column(book_author::Column::BookId)
                    .from(book_author::Entity)
                    .and_where(book_author::Column::AuthorId.eq(author_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(min) = filter.min_price {
        query = query.filter(Column::PriceMinor.gte(min));
    }
    if let Some(max) = filter.max_price {
        query = query.filter(Column::PriceMinor.lte(max));
    }
    if filter.in_stock {
        query = query.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(stock::Entity)
                .and_where(
                    Expr::col((stock::Entity, stock::Column::BookId)).equals((Entity, Column::Id)),
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

/// `query` in `sort` order, after `after` when given: a keyset page, whatever its depth.
pub fn in_order(
    query: Select<Entity>,
    sort: BookSort,
    after: Option<BookCursor>,
) -> Select<Entity> {
    use Column as C;
    let mut query = match sort {
        BookSort::Title => query.order_by_asc(C::TitleKey).order_by_asc(C::Id),
        BookSort::PriceAsc => query.order_by_asc(C::PriceMinor).order_by_asc(C::Id),
        BookSort::PriceDesc => query.order_by_desc(C::PriceMinor).order_by_desc(C::Id),
        BookSort::Newest => query.order_by_desc(C::Id),
        BookSort::Rating => query.order_by_desc(C::RatingKey).order_by_desc(C::Id),
    };
    if let Some(cursor) = after {
        let pair = |col: C| Expr::tuple([Expr::col((Entity, col)), Expr::col((Entity, C::Id))]);
        let key = |k: SortKey| match k {
            SortKey::Int(n) => Expr::val(n),
            SortKey::Text(s) => Expr::val(s),
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
    query
}
