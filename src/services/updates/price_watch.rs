//! Price watches: a reader asks to hear when a book's price changes.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::price_watch;
use crate::error::Result;
use crate::services::catalog::book::find_book;

/// Watches the book's price (watching it again changes nothing); returns the watch.
pub(crate) async fn watch_price(
    db: &impl ConnectionTrait,
    user_id: i64,
    book_id: i64,
) -> Result<price_watch::Model> {
    find_book(db, book_id).await?;
    price_watch::Entity::insert(price_watch::ActiveModel {
        user_id: Set(user_id),
        book_id: Set(book_id),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict_do_nothing_on([price_watch::Column::UserId, price_watch::Column::BookId])
    .exec_without_returning(db)
    .await?;
    price_watch::Entity::find_by_id((user_id, book_id))
        .one(db)
        .await?
        .ok_or_else(|| {
            crate::error::Error::internal(anyhow::anyhow!("watch vanished after insert"))
        })
}

/// Stops watching; returns whether there was a watch.
pub(crate) async fn unwatch_price(
    db: &impl ConnectionTrait,
    user_id: i64,
    book_id: i64,
) -> Result<bool> {
    Ok(price_watch::Entity::delete_by_id((user_id, book_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// The user's watches, newest first.
pub(crate) async fn watches_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<price_watch::Model>> {
    Ok(price_watch::Entity::find()
        .filter(price_watch::Column::UserId.eq(user_id))
        .order_by_desc(price_watch::Column::CreatedAt)
        .order_by_desc(price_watch::Column::BookId)
        .all(db)
        .await?)
}

/// Whether the user watches the book.
pub(crate) async fn is_watching(
    db: &impl ConnectionTrait,
    user_id: i64,
    book_id: i64,
) -> Result<bool> {
    Ok(price_watch::Entity::find_by_id((user_id, book_id))
        .one(db)
        .await?
        .is_some())
}
