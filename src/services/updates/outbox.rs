//! Reading the transactional outbox: its consumers' cursors, the rows after a cursor (minding the
//! ids of transactions not yet committed), and pruning. Writing a row happens in the transaction of
//! the change itself (`entities::outbox::record`), so nothing is announced that did not commit and
//! nothing committed goes unannounced if the process dies. The relay (`updates::relay`) reads the
//! rows in id order and applies them, at least once.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::outbox::{self, Change};
use crate::entities::outbox_cursor;
use crate::error::{Error, Result};

/// How long a consumer waits for a missing id to appear before it passes over it. On PostgreSQL
/// ids are handed out when rows are inserted, not when their transactions commit, so id 7 can
/// become visible after id 8: a consumer that moved its cursor past 8 would never see 7. So a
/// consumer stops before a gap until the row after it is this old; by then the transaction that
/// took the missing id has committed or rolled back (a rolled-back id never appears). Rows are
/// written just before their transaction commits, so two seconds is ample.
pub(crate) const COMMIT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Up to `limit` changes after `after`, in log order, stopping before an id gap younger than
/// [`COMMIT_GRACE`]. Rows a newer version wrote in a shape this one cannot read are skipped (with a
/// warning) rather than stalling every consumer.
pub async fn read_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<(i64, Change)>> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::Id.gt(after))
        .order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let now = chrono::Utc::now();
    let grace = chrono::Duration::from_std(COMMIT_GRACE).map_err(Error::internal)?;
    let mut expected = after + 1;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        if row.id != expected && now - row.created_at < grace {
            break;
        }
        expected = row.id + 1;
        match serde_json::from_str(&row.payload) {
            Ok(change) => changes.push((row.id, change)),
            Err(err) => tracing::warn!(id = row.id, %err, "skipping an unreadable outbox row"),
        }
    }
    Ok(changes)
}

/// The `outbox_cursors` row that records how far the log has been pruned: every row up to its
/// `last_id` is gone. A consumer whose own cursor is behind it missed changes and must rebuild.
pub const PRUNED: &str = "pruned";

/// Deletes the rows older than `older_than` that the bus relay (`bus_consumer`) has published, and
/// records the highest id deleted under [`PRUNED`]; returns how many rows it deleted. The search
/// indexes keep their cursors in the index itself, out of the database's sight, so an index that
/// was away for longer than `older_than` finds that it is behind [`PRUNED`] and rebuilds (see
/// `relay::catch_up_once`). Safe on every instance at once: deleting a deleted row deletes nothing.
pub async fn prune(
    db: &impl ConnectionTrait,
    older_than: std::time::Duration,
    bus_consumer: &str,
) -> Result<u64> {
    let cutoff =
        chrono::Utc::now() - chrono::Duration::from_std(older_than).map_err(Error::internal)?;
    let newest_old: Option<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::CreatedAt.lt(cutoff))
        .order_by_desc(outbox::Column::Id)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some(newest_old) = newest_old else {
        return Ok(0);
    };
    let up_to = newest_old.min(cursor(db, bus_consumer).await?);
    // Recorded first: a consumer must never see the rows gone without the mark that says so.
    advance(db, PRUNED, up_to).await?;
    Ok(outbox::Entity::delete_many()
        .filter(outbox::Column::Id.lte(up_to))
        .exec(db)
        .await?
        .rows_affected)
}

/// The id of the newest row (0 when empty).
pub async fn last_id(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?
        .map_or(0, |row| row.id))
}

/// How far `consumer` has applied the log (0 if it never has).
pub async fn cursor(db: &impl ConnectionTrait, consumer: &str) -> Result<i64> {
    Ok(outbox_cursor::Entity::find_by_id(consumer.to_owned())
        .one(db)
        .await?
        .map_or(0, |c| c.last_id))
}

/// Records that `consumer` has applied the log up to `last_id`.
pub async fn advance(db: &impl ConnectionTrait, consumer: &str, last_id: i64) -> Result<()> {
    let now = chrono::Utc::now();
    let existing = outbox_cursor::Entity::find_by_id(consumer.to_owned())
        .one(db)
        .await?;
    match existing {
        Some(row) if row.last_id >= last_id => {}
        Some(row) => {
            let mut active: outbox_cursor::ActiveModel = row.into();
            active.last_id = Set(last_id);
            active.updated_at = Set(now);
            active.update(db).await?;
        }
        None => {
            outbox_cursor::ActiveModel {
                consumer: Set(consumer.to_owned()),
                last_id: Set(last_id),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
