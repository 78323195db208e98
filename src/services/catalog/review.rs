//! Reviews: one per reader and book, a second replaces the first. The book's rating count, sum and
//! sort key change in the same transaction, with relative updates so concurrent reviews add up.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::db::begin_write;
use crate::domain::cursor::{review_after, review_cursor};
use crate::domain::page::{Page, page_size};
use crate::entities::{book, review};
use crate::error::{Error, Result, is_unique_violation};
use crate::services::catalog::book::find_book;

/// A review as a reader writes it.
#[derive(Clone, Debug)]
pub(crate) struct ReviewInput {
    pub(crate) book_id: i64,
    pub(crate) rating: i32,
    pub(crate) title: Option<String>,
    pub(crate) body: Option<String>,
}

/// Adds or replaces `user_id`'s review of the book.
pub(crate) async fn add_review(
    db: &DatabaseConnection,
    user_id: i64,
    input: ReviewInput,
) -> Result<review::Model> {
    if !(1..=5).contains(&input.rating) {
        return Err(Error::bad_input("rating", "must be between 1 and 5"));
    }
    let clean = |field: &str, value: Option<String>, max: usize| -> Result<Option<String>> {
        let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(Error::bad_input(
                field,
                format!("must be at most {max} characters"),
            ));
        }
        Ok(value)
    };
    let title = clean("title", input.title, 200)?;
    let body = clean("body", input.body, 10_000)?;
    // Two first reviews racing from the same reader: the loser's insert hits the unique index and
    // the second attempt finds the winner's row to replace.
    for attempt in 0..2 {
        match write_review(
            db,
            user_id,
            input.book_id,
            input.rating,
            title.clone(),
            body.clone(),
        )
        .await
        {
            Err(Error::Internal(err))
                if attempt == 0
                    && err
                        .downcast_ref::<sea_orm::DbErr>()
                        .is_some_and(is_unique_violation) =>
            {
                continue;
            }
            other => return other,
        }
    }
    Err(Error::Conflict(
        "the review changed while it was being saved; try again".into(),
    ))
}

async fn write_review(
    db: &DatabaseConnection,
    user_id: i64,
    book_id: i64,
    rating: i32,
    title: Option<String>,
    body: Option<String>,
) -> Result<review::Model> {
    let txn = begin_write(db).await?;
    find_book(&txn, book_id).await?;
    let now = chrono::Utc::now();
    let existing = review::Entity::find()
        .filter(review::Column::BookId.eq(book_id))
        .filter(review::Column::UserId.eq(user_id))
        .one(&txn)
        .await?;
    let (saved, count_delta, sum_delta) = match existing {
        Some(old) => {
            let delta = rating - old.rating;
            let mut row: review::ActiveModel = old.into();
            row.rating = Set(rating);
            row.title = Set(title);
            row.body = Set(body);
            row.updated_at = Set(now);
            (row.update(&txn).await?, 0, delta)
        }
        None => {
            let row = review::ActiveModel {
                book_id: Set(book_id),
                user_id: Set(user_id),
                rating: Set(rating),
                title: Set(title),
                body: Set(body),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            (row.insert(&txn).await?, 1, rating)
        }
    };
    // Relative updates, so concurrent reviews of one book add up; the update also locks the row,
    // so the sort key computed from what it reads back is consistent with both columns.
    book::Entity::update_many()
        .col_expr(
            book::Column::RatingCount,
            Expr::col(book::Column::RatingCount).add(count_delta),
        )
        .col_expr(
            book::Column::RatingSum,
            Expr::col(book::Column::RatingSum).add(sum_delta),
        )
        .filter(book::Column::Id.eq(book_id))
        .exec(&txn)
        .await?;
    let counted = book::Entity::find_by_id(book_id)
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("book"))?;
    book::Entity::update_many()
        .col_expr(
            book::Column::RatingKey,
            Expr::val(book::rating_key(counted.rating_sum, counted.rating_count)),
        )
        .filter(book::Column::Id.eq(book_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A page of a book's reviews, newest first.
pub(crate) async fn reviews_of(
    db: &impl ConnectionTrait,
    book_id: i64,
    first: i32,
    after: Option<&str>,
) -> Result<Page<review::Model>> {
    let first = page_size(first)?;
    let mut query = review::Entity::find()
        .filter(review::Column::BookId.eq(book_id))
        .order_by_desc(review::Column::Id);
    if let Some(after) = after {
        query = query.filter(review::Column::Id.lt(review_after(after)?));
    }
    let rows = query.limit(first + 1).all(db).await?;
    Ok(Page::of(rows, first, |r| review_cursor(r.id)))
}

/// How many reviews a book has.
pub(crate) async fn count_reviews(db: &impl ConnectionTrait, book_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(review::Entity::find()
        .filter(review::Column::BookId.eq(book_id))
        .count(db)
        .await?)
}
