//! The outbox relays. Two consumers follow the outbox, each with its own cursor (their loops are
//! `workers::spawn_search_follower` and `workers::spawn_bus_relay`):
//! - the search follower applies committed catalog changes to the search index, in order, at least
//!   once (reapplying a change is harmless: documents are replaced whole). It runs in every instance
//!   for that instance's own embedded index; with a shared index each instance still follows, and
//!   the shared cursor makes the extra work a no-op;
//! - the bus relay publishes price and stock changes to the event bus, one instance at a time, so
//!   that each change reaches subscribers on every instance once.
use std::collections::HashMap;

use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::bus::{Event, EventBus, topic};
use crate::db::begin_write;
use crate::entities::outbox::Change;
use crate::entities::{book, outbox_cursor};
use crate::error::Result;
use crate::search::{Batch, SharedIndex, load_documents};
use crate::services::inventory::level::available_by_book;
use crate::services::updates::outbox;

/// Rows read from the outbox per batch: a pass that applies this many found a backlog.
pub(crate) const BATCH: u64 = 500;

/// Applies the outbox rows after the index's cursor, one batch; returns how many rows it applied.
/// An index that was away while the rows it needed were pruned (`outbox::prune`) is rebuilt
/// instead, and the number of books indexed is returned.
pub async fn catch_up_once(db: &DatabaseConnection, index: &SharedIndex) -> Result<usize> {
    catch_up(db, index, true).await
}

/// [`catch_up_once`]; `first` says this is a first pass (the follower's, or its first since an
/// error), when the index may have been away for long. Later passes of a follower that keeps up
/// cannot fall behind pruning, which only takes rows older than `FOLIO_OUTBOX_RETENTION`.
pub(crate) async fn catch_up(
    db: &DatabaseConnection,
    index: &SharedIndex,
    first: bool,
) -> Result<usize> {
    let cursor = index.cursor().await?;
    let rows = outbox::read_after(db, cursor, BATCH).await?;
    // Only where the log does not go on right after the cursor can rows have been pruned. A read
    // comes back empty both when nothing is new and when a pruned stretch is followed by rows
    // younger than `COMMIT_GRACE` (it looks like an uncommitted id); it is checked on a first pass
    // only, to keep idle polling at one query. Otherwise the gap shows once the grace has passed.
    let gap = match rows.first() {
        Some((id, _)) => *id > cursor + 1,
        None => first,
    };
    if gap && let Some(rebuilt) = rebuild_if_behind_pruning(db, index, cursor).await? {
        return Ok(rebuilt);
    }
    let Some((up_to, _)) = rows.last().cloned() else {
        return Ok(0);
    };
    let mut touched: Vec<i64> = Vec::new();
    for (_, change) in &rows {
        let book_id = match change {
            Change::BookChanged { book_id }
            | Change::BookDeleted { book_id }
            | Change::PriceChanged { book_id, .. }
            | Change::StockChanged { book_id, .. } => *book_id,
        };
        if !touched.contains(&book_id) {
            touched.push(book_id);
        }
    }
    // Whatever happened to a book, its current state is what the index should hold: the document if
    // it exists, nothing if it was deleted.
    let upserts = load_documents(db, &touched).await?;
    let deletes = touched
        .iter()
        .copied()
        .filter(|id| !upserts.iter().any(|d| d.id == *id))
        .collect();
    index
        .apply(Batch {
            upserts,
            deletes,
            up_to,
        })
        .await?;
    Ok(rows.len())
}

/// Rebuilds the index if rows after its `cursor` were pruned from the outbox; returns how many
/// books it indexed (at least 1, so that callers see that something changed), or `None`.
async fn rebuild_if_behind_pruning(
    db: &DatabaseConnection,
    index: &SharedIndex,
    cursor: i64,
) -> Result<Option<usize>> {
    if outbox::cursor(db, outbox::PRUNED).await? <= cursor {
        return Ok(None);
    }
    tracing::warn!(
        cursor,
        "the search index missed changes pruned from the outbox; rebuilding it"
    );
    Ok(Some(reindex(db, index).await?.max(1) as usize))
}

/// Rebuilds the index from the database: empties it, then indexes every book, and leaves the cursor
/// at the outbox position taken before reading, so changes made meanwhile are applied again after.
pub async fn reindex(db: &DatabaseConnection, index: &SharedIndex) -> Result<u64> {
    let up_to = outbox::last_id(db).await?;
    index.clear().await?;
    let mut after = 0i64;
    let mut total = 0u64;
    loop {
        let ids: Vec<i64> = book::Entity::find()
            .select_only()
            .column(book::Column::Id)
            .filter(book::Column::Id.gt(after))
            .filter(book::Column::DeletedAt.is_null())
            .order_by_asc(book::Column::Id)
            .limit(2000)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        let upserts = load_documents(db, &ids).await?;
        total += upserts.len() as u64;
        index
            .apply(Batch {
                upserts,
                deletes: Vec::new(),
                up_to: 0,
            })
            .await?;
        after = last;
    }
    index
        .apply(Batch {
            up_to,
            ..Default::default()
        })
        .await?;
    index.compact().await?;
    Ok(total)
}

/// The bus relay's cursor in `outbox_cursors`.
pub const BUS_CONSUMER: &str = "bus";

/// Starts the bus relay's cursor at the end of the log, if it has none yet: a new deployment does
/// not replay old price and stock changes to today's subscribers.
pub(crate) async fn init_bus_cursor(db: &DatabaseConnection) -> Result<()> {
    if outbox_cursor::Entity::find_by_id(BUS_CONSUMER.to_owned())
        .one(db)
        .await?
        .is_none()
    {
        let last = outbox::last_id(db).await?;
        outbox_cursor::Entity::insert(outbox_cursor::ActiveModel {
            consumer: Set(BUS_CONSUMER.to_owned()),
            last_id: Set(last),
            updated_at: Set(chrono::Utc::now()),
        })
        .on_conflict_do_nothing_on([outbox_cursor::Column::Consumer])
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Publishes the price and stock changes after the bus cursor, one batch; returns how many rows it
/// passed. One relay publishes at a time across all instances: the cursor row is locked for the
/// batch (`FOR UPDATE SKIP LOCKED`, so the others skip the round rather than queue), and advanced
/// in the same transaction. A crash after publishing and before committing republishes the batch;
/// events carry their outbox id so that subscribers drop the repeats.
///
/// Price changes are published one per change. Stock changes are published one per book per batch,
/// with the available count read now: a hot book that 200 carts touch in a batch costs its
/// subscribers one event, not 200, and a batch whose changes cancel out (or that only turned held
/// units into sold ones) sends nothing. `last_stock` remembers what this relay last sent per book.
pub(crate) async fn publish_once(
    db: &DatabaseConnection,
    bus: &dyn EventBus,
    last_stock: &mut HashMap<i64, i64>,
) -> Result<usize> {
    let txn = begin_write(db).await?;
    let Some(cursor) = outbox_cursor::Entity::find_by_id(BUS_CONSUMER.to_owned())
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(&txn)
        .await?
    else {
        return Ok(0);
    };
    let rows = outbox::read_after(&txn, cursor.last_id, BATCH).await?;
    let Some((up_to, _)) = rows.last().cloned() else {
        return Ok(0);
    };
    // Book → the last outbox id that touched its stock in this batch.
    let mut stock_books: HashMap<i64, i64> = HashMap::new();
    for (change_id, change) in &rows {
        match change.clone() {
            Change::PriceChanged {
                book_id,
                old_minor,
                new_minor,
                currency,
                changed_at,
            } => {
                let event = Event::PriceChanged {
                    change_id: *change_id,
                    book_id,
                    old_minor,
                    new_minor,
                    currency,
                    changed_at,
                };
                bus.publish(topic::PRICES, &event).await?;
            }
            Change::StockChanged { book_id } => {
                stock_books.insert(book_id, *change_id);
            }
            Change::BookChanged { .. } | Change::BookDeleted { .. } => {}
        }
    }
    if !stock_books.is_empty() {
        let ids: Vec<i64> = stock_books.keys().copied().collect();
        let available = available_by_book(&txn, &ids).await?;
        for (book_id, change_id) in stock_books {
            let now = available.get(&book_id).copied().unwrap_or(0);
            if last_stock.get(&book_id) == Some(&now) {
                continue;
            }
            let event = Event::StockChanged {
                change_id,
                book_id,
                available: now,
            };
            bus.publish(&topic::stock(book_id), &event).await?;
            last_stock.insert(book_id, now);
        }
    }
    outbox::advance(&txn, BUS_CONSUMER, up_to).await?;
    txn.commit().await?;
    Ok(rows.len())
}
